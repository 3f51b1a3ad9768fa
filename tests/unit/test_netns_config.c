// SPDX-License-Identifier: GPL-2.0-or-later
/* test_netns_config.c - the --netns.* flags and the netns: keys of the config file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "netns_discovery.h"
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
	    cmocka_unit_test(test_yaml_and_precedence),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
