// SPDX-License-Identifier: GPL-2.0-or-later
/* test_netns_config.c - the --netns.* flags and the netns: keys of the config file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "netns_discovery.h"
#include "netns_profile.h"
#include "opts.h"
#include "testutil.h"

#define ARGV(...) ((char *[]){"netstack_exporter", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"x", __VA_ARGS__}) / sizeof(char *)))
#define LOAD(cfg, e, ...) ns_config_load((cfg), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (e))

static char *write_tmp(const char *content)
{
	static char path[64];
	int fd;

	strcpy(path, "/tmp/ns_netns_cfg_XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
	return path;
}

static void test_defaults(void **st)
{
	struct ns_config cfg;
	struct ns_err e;

	assert_int_equal(ns_config_load(&cfg, 1, ARGV(NULL), &e), 0);
	assert_int_equal(cfg.netns_sources, 0);
	assert_null(cfg.netns_include);
	assert_null(cfg.netns_exclude);
	assert_int_equal(cfg.netns_max, 512);
	assert_int_equal(cfg.netns_interval_s, 5);
	assert_null(cfg.netns_collectors);
	assert_false(cfg.netns_full);
	assert_int_equal(cfg.netns_max_series, 2000);
	ns_config_free(&cfg);
}

static void test_flags(void **st)
{
	struct ns_config cfg;
	struct ns_err e;

	assert_int_equal(LOAD(&cfg, &e, "--netns.sources=named,processes", "--netns.include",
			      "^cni-", "--netns.exclude=^inode:", "--netns.max=3",
			      "--netns.rediscover-interval=30"),
			 0);
	assert_int_equal(cfg.netns_sources, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES);
	assert_string_equal(cfg.netns_include, "^cni-");
	assert_string_equal(cfg.netns_exclude, "^inode:");
	assert_int_equal(cfg.netns_max, 3);
	assert_int_equal(cfg.netns_interval_s, 30);
	ns_config_free(&cfg);
	assert_int_equal(LOAD(&cfg, &e, "--netns.sources=processes", "--netns.sources="), 0);
	assert_int_equal(cfg.netns_sources, 0);
	ns_config_free(&cfg);
}

static void test_errors(void **st)
{
	struct ns_config cfg;
	struct ns_err e;

	assert_int_equal(LOAD(&cfg, &e, "--netns.sources=named,docker"), -EINVAL);
	assert_string_equal(e.msg, "flag --netns.sources: 'docker' is not named or processes");
	assert_int_equal(LOAD(&cfg, &e, "--netns.include=("), -EINVAL);
	assert_string_equal(e.msg, "flag --netns.include: '(' is not a POSIX extended regex");
	assert_int_equal(LOAD(&cfg, &e, "--netns.rediscover-interval=0"), -EINVAL);
	assert_non_null(strstr(e.msg, "1..86400"));
	assert_int_equal(LOAD(&cfg, &e, "--netns.max=-1"), -EINVAL);
	assert_int_equal(LOAD(&cfg, &e, "--netns.bogus=1"), -EINVAL);
	assert_string_equal(e.msg, "unknown flag --netns.bogus=...");
	assert_int_equal(LOAD(&cfg, &e, "--netns.bogus"), -EINVAL);
	assert_string_equal(e.msg, "unknown flag --netns.bogus");
	if (ns_collector_find("sysctl")) {
		assert_int_equal(LOAD(&cfg, &e, "--netns.collectors=sysctl"), 0);
		assert_string_equal(cfg.netns_collectors, "sysctl");
		ns_config_free(&cfg);
	}
	assert_int_equal(LOAD(&cfg, &e, "--netns.collectors=sysctl,nope"), -EINVAL);
	assert_string_equal(e.msg, "flag --netns.collectors: unknown collector 'nope'");
	assert_int_equal(LOAD(&cfg, &e, "--netns.max"), -EINVAL);
	assert_string_equal(e.msg, "flag --netns.max needs a value");
	assert_int_equal(LOAD(&cfg, &e, "--netns.profile=all"), -EINVAL);
	assert_string_equal(e.msg, "flag --netns.profile: 'all' is not curated or full");
	assert_int_equal(LOAD(&cfg, &e, "--netns.max-series=x"), -EINVAL);
	assert_non_null(strstr(e.msg, "0..1000000"));
	assert_int_equal(LOAD(&cfg, &e, "--netns.profile=full", "--netns.max-series=0"), 0);
	assert_true(cfg.netns_full);
	assert_int_equal(cfg.netns_max_series, 0);
	ns_config_free(&cfg);
}

/* The curated profile's options and family filter (src/netns_profile.c). */
static void test_profile(void **st)
{
	const struct ns_collector *tcp = ns_collector_find("tcp");
	const struct ns_collector *ct = ns_collector_find("conntrack");
	const struct ns_collector *sc = ns_collector_find("sysctl");
	bool (*keep)(const char *);
	struct ns_opts *host, *o;
	struct ns_err e;
	size_t n;

	keep = ns_netns_curated_filter("snmp");
	assert_non_null(keep);
	assert_true(keep("netstack_snmp_tcpext_listen_overflows_total"));
	assert_true(keep("netstack_conntrack_entries"));
	assert_true(keep("netstack_udp_drops_total"));
	assert_true(keep("netstack_tcp_listener_queue_length"));
	assert_false(keep("netstack_snmp_mptcpext_add_addr_total"));
	assert_false(keep("netstack_tcp_receive_queue_bytes"));
	assert_null(ns_netns_curated_filter("qdisc"));
	/* netns_snmp.c emits exactly the snmp families of the curated list */
	{
		const char *const *names;
		size_t nf = ns_netns_snmp_fields(&names);

		assert_int_equal(nf, 34);
		for (size_t i = 0; i < nf; i++) {
			assert_true(keep(names[i]));
			assert_int_equal(strncmp(names[i], "netstack_snmp_", 14), 0);
		}
	}
	assert_false(ns_netns_curated_filter("sysctl")("netstack_sysctl_missing"));
	assert_true(ns_netns_curated_filter("sysctl")("netstack_sysctl_net_core_somaxconn"));
	if (tcp) {
		host = ns_opts_new("tcp", tcp->options);
		assert_int_equal(ns_opts_set(host, "max-ports", "9", &e), 0);
		assert_int_equal(ns_netns_profile_opts(tcp, host, false, false, &o, &e), 0);
		assert_true(ns_opt_bool(o, "listen-only"));
		assert_int_equal(ns_opt_uint(o, "max-ports"), 9);
		ns_opts_free(o);
		assert_int_equal(ns_netns_profile_opts(tcp, host, false, true, &o, &e), 0);
		assert_false(ns_opt_bool(o, "listen-only"));
		ns_opts_free(o);
		assert_int_equal(ns_netns_profile_opts(tcp, host, true, false, &o, &e), 0);
		assert_false(ns_opt_bool(o, "listen-only"));
		ns_opts_free(o);
		ns_opts_free(host);
	}
	if (ct) {
		host = ns_opts_new("conntrack", ct->options);
		assert_int_equal(ns_netns_profile_opts(ct, host, false, false, &o, &e), 0);
		assert_false(ns_opt_bool(o, "per-cpu"));
		assert_false(ns_opt_bool(o, "breakdown"));
		ns_opts_free(o);
		assert_int_equal(ns_netns_profile_opts(ct, host, true, false, &o, &e), 0);
		assert_true(ns_opt_bool(o, "breakdown"));
		ns_opts_free(o);
		ns_opts_free(host);
	}
	if (sc) {
		host = ns_opts_new("sysctl", sc->options);
		assert_int_equal(ns_opts_set(host, "include", "net.ipv4.*", &e), 0);
		assert_int_equal(ns_netns_profile_opts(sc, host, false, false, &o, &e), 0);
		assert_false(ns_opt_bool(o, "defaults"));
		assert_string_equal(ns_opt_list(o, "include", &n)[0], "net.core.somaxconn");
		assert_int_equal(n, 7);
		ns_opts_free(o);
		ns_opts_free(host);
	}
}

static void test_yaml_and_precedence(void **st)
{
	struct ns_config cfg;
	struct ns_err e;
	char *f = write_tmp("netns:\n"
			    "  sources: [named, processes]\n"
			    "  include: '^cni-'\n"
			    "  max: 7\n"
			    "  rediscover-interval: 9\n");
	char arg[128];

	snprintf(arg, sizeof(arg), "--config.file=%s", f);
	assert_int_equal(LOAD(&cfg, &e, arg), 0);
	assert_int_equal(cfg.netns_sources, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES);
	assert_string_equal(cfg.netns_include, "^cni-");
	assert_int_equal(cfg.netns_max, 7);
	assert_int_equal(cfg.netns_interval_s, 9);
	ns_config_free(&cfg);
	/* the command line wins, whichever order */
	assert_int_equal(LOAD(&cfg, &e, "--netns.max=2", arg, "--netns.sources=named"), 0);
	assert_int_equal(cfg.netns_max, 2);
	assert_int_equal(cfg.netns_sources, NS_NETNS_SRC_NAMED);
	assert_int_equal(cfg.netns_interval_s, 9);
	ns_config_free(&cfg);
	unlink(f);

	f = write_tmp("netns:\n  sources: named,processes\n  exclude: x\n  collectors: []\n");
	snprintf(arg, sizeof(arg), "--config.file=%s", f);
	assert_int_equal(LOAD(&cfg, &e, arg), 0);
	assert_int_equal(cfg.netns_sources, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES);
	assert_string_equal(cfg.netns_exclude, "x");
	assert_string_equal(cfg.netns_collectors, "");
	ns_config_free(&cfg);
	unlink(f);

	f = write_tmp("netns:\n  maximum: 3\n");
	snprintf(arg, sizeof(arg), "--config.file=%s", f);
	assert_int_equal(LOAD(&cfg, &e, arg), -EINVAL);
	assert_non_null(strstr(e.msg, ": netns.maximum: unknown option"));
	unlink(f);

	f = write_tmp("netns:\n  sources: [named, pods]\n");
	snprintf(arg, sizeof(arg), "--config.file=%s", f);
	assert_int_equal(LOAD(&cfg, &e, arg), -EINVAL);
	assert_non_null(strstr(e.msg, "'pods' is not named or processes"));
	unlink(f);

	f = write_tmp("netns: 3\n");
	snprintf(arg, sizeof(arg), "--config.file=%s", f);
	assert_int_equal(LOAD(&cfg, &e, arg), -EINVAL);
	assert_non_null(strstr(e.msg, "netns must be a mapping"));
	unlink(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_flags),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_profile),
	    cmocka_unit_test(test_yaml_and_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
