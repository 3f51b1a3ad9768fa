// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_sysctl.c - the sysctl collector against fixture trees
 * (tests/fixtures/proc/sysctl-*), temporary trees, and the live /proc.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "testutil.h"

extern const struct ns_collector ns_collector_sysctl;

#define C (&ns_collector_sysctl)

/* Options from NULL-terminated include/exclude lists (either may be NULL). */
static struct ns_opts *mkopts(const char *const *inc, const char *const *exc)
{
	struct ns_opts *o = ns_opts_new(C->name, C->options);
	struct ns_err e = {{0}};

	assert_non_null(o);
	for (; inc && *inc; inc++)
		assert_int_equal(ns_opts_set(o, "include", *inc, &e), 0);
	for (; exc && *exc; exc++)
		assert_int_equal(ns_opts_set(o, "exclude", *exc, &e), 0);
	return o;
}

static int run(const char *procfs, const char *const *inc, const char *const *exc,
	       struct ns_buf *out)
{
	struct ns_opts *o = mkopts(inc, exc);
	int rc = tu_collect(C, procfs, NULL, NULL, o, NS_FMT_TEXT, out);

	ns_opts_free(o);
	return rc;
}

/* Count lines of @text starting with @prefix. */
static int count_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	int count = 0;

	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, n) == 0)
			count++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return count;
}

static void test_defaults(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	assert_int_equal(run("proc/sysctl-basic", NULL, NULL, &out), 0);
	t = out.data;
	/* single numbers */
	tu_assert_line(t, "# HELP netstack_sysctl_net_core_somaxconn Kernel parameter "
			  "net.core.somaxconn (/proc/sys/net/core/somaxconn).");
	tu_assert_line(t, "# TYPE netstack_sysctl_net_core_somaxconn gauge");
	tu_assert_line(t, "netstack_sysctl_net_core_somaxconn 4096");
	tu_assert_line(t, "netstack_sysctl_net_core_rmem_max 212992");
	tu_assert_line(t, "netstack_sysctl_net_core_netdev_budget 300");
	tu_assert_line(t, "netstack_sysctl_net_core_netdev_budget_usecs 2000");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_tw_reuse 2");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_fastopen 1");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_ip_forward 0");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_max_tw_buckets 262144");
	/* several numbers separated by tabs */
	tu_assert_line(t, "netstack_sysctl_net_ipv4_ip_local_port_range{index=\"0\"} 32768");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_ip_local_port_range{index=\"1\"} 60999");
	assert_int_equal(count_prefix(t, "netstack_sysctl_net_ipv4_ip_local_port_range{"), 2);
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"0\"} 4096");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"1\"} 131072");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"2\"} 6291456");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_mem{index=\"2\"} 187500");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_udp_mem{index=\"0\"} 187500");
	/* ... and by (repeated) spaces */
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_wmem{index=\"0\"} 4096");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_wmem{index=\"1\"} 16384");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_wmem{index=\"2\"} 4194304");
	assert_int_equal(count_prefix(t, "netstack_sysctl_net_ipv4_tcp_wmem{"), 3);
	/* a single value has no index label */
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_core_somaxconn{");
	/* strings */
	tu_assert_line(t, "# TYPE netstack_sysctl_info gauge");
	tu_assert_line(
	    t, "netstack_sysctl_info{name=\"net.core.default_qdisc\",value=\"fq_codel\"} 1");
	tu_assert_line(
	    t, "netstack_sysctl_info{name=\"net.ipv4.tcp_congestion_control\",value=\"cubic\"} 1");
	tu_assert_line(t, "netstack_sysctl_info{name=\"net.ipv4.tcp_available_congestion_control\","
			  "value=\"reno cubic\"} 1");
	assert_int_equal(count_prefix(t, "netstack_sysctl_info{"), 3);
	/* strings never show up as gauges */
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_core_default_qdisc");
	/* nf_conntrack is not "loaded" in this tree: silently absent */
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_netfilter");
	tu_assert_line(t, "netstack_sysctl_read_errors 0");
	tu_assert_line(t, "netstack_sysctl_missing 0");
	/* not in the default set */
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_tcp_sack");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_core_busy_poll");
	tu_assert_no_line_prefix(t, "netstack_sysctl_kernel");
	/* 30 defaults minus 3 conntrack: 24 numeric families + 3 info values */
	assert_int_equal(count_prefix(t, "# TYPE netstack_sysctl_net_"), 24);
	ns_buf_free(&out);
}

static void test_include(void **state)
{
	static const char *const inc[] = {
	    "net.ipv4.tcp_*",
	    "net/ipv6/conf/all/router_solicitations",
	    "kernel.shmmax",
	    "kernel.shmall",
	    "kernel.perf_event_mixed",
	    "kernel.core_pattern",
	    "net.ipv4.conf.*.forwarding",
	    "net.ipv4.ip_local_reserved_ports",
	    "net.core.flow_limit_cpu_bitmap",
	    "net.core.somaxconn", /* also a default: once */
	    "net.ipv4.tcp_sack",  /* also matched by the glob: once */
	    NULL,
	};
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	assert_int_equal(run("proc/sysctl-basic", inc, NULL, &out), 0);
	t = out.data;
	/* glob matches not in the default set */
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_sack 1");
	assert_int_equal(count_prefix(t, "netstack_sysctl_net_ipv4_tcp_sack "), 1);
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_timestamps 1");
	/* the glob matched the Fast Open key: withheld, never exported */
	tu_assert_no_line_prefix(t, "netstack_sysctl_info{name=\"net.ipv4.tcp_fastopen_key\"");
	tu_assert_line(t, "netstack_sysctl_withheld 1");
	/* the glob does not match outside its pattern */
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_ping_group_range");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_route");
	/* '*' spans components; a '.' inside a component is '/' in the dotted name */
	tu_assert_line(t, "netstack_sysctl_net_ipv4_conf_all_forwarding 0");
	tu_assert_line(t, "# HELP netstack_sysctl_net_ipv4_conf_eth0_100_forwarding Kernel "
			  "parameter net.ipv4.conf.eth0/100.forwarding "
			  "(/proc/sys/net/ipv4/conf/eth0.100/forwarding).");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_conf_eth0_100_forwarding 1");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_conf_all_rp_filter");
	/* explicit names, given with '/' too */
	tu_assert_line(t, "netstack_sysctl_net_ipv6_conf_all_router_solicitations -1");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv6_conf_all_hop_limit");
	tu_assert_line(t, "netstack_sysctl_kernel_shmmax 18446744073709551615");
	tu_assert_line(t, "netstack_sysctl_kernel_shmall 18446744073692774399");
	/* numbers mixed with text, an empty line, an empty file: info */
	tu_assert_line(
	    t, "netstack_sysctl_info{name=\"kernel.perf_event_mixed\",value=\"-1 fast 3\"} 1");
	tu_assert_no_line_prefix(t, "netstack_sysctl_kernel_perf_event_mixed");
	tu_assert_line(t, "netstack_sysctl_info{name=\"kernel.core_pattern\",value=\"|/usr/lib/"
			  "systemd/systemd-coredump %P %u %g %s %t %c %h\"} 1");
	tu_assert_line(
	    t, "netstack_sysctl_info{name=\"net.ipv4.ip_local_reserved_ports\",value=\"\"} 1");
	tu_assert_line(
	    t, "netstack_sysctl_info{name=\"net.core.flow_limit_cpu_bitmap\",value=\"\"} 1");
	/* defaults still there, once */
	assert_int_equal(count_prefix(t, "netstack_sysctl_net_core_somaxconn "), 1);
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"1\"} 131072");
	tu_assert_line(t, "netstack_sysctl_read_errors 0");
	tu_assert_line(t, "netstack_sysctl_missing 0");
	ns_buf_free(&out);
}

static void test_exclude(void **state)
{
	static const char *const inc[] = {"net.ipv4.tcp_*", NULL};
	static const char *const exc[] = {
	    "net.core.*",
	    "net/ipv4/tcp_rmem",
	    "net.ipv4.tcp_*congestion_control",
	    "net.ipv4.tcp_s*", /* wins over the include */
	    NULL,
	};
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	assert_int_equal(run("proc/sysctl-basic", inc, exc, &out), 0);
	t = out.data;
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_core");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_tcp_rmem");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_tcp_sack");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_tcp_syncookies");
	/* the only text-valued one left is the Fast Open key, which is withheld */
	assert_int_equal(count_prefix(t, "netstack_sysctl_info{"), 0);
	tu_assert_line(t, "netstack_sysctl_withheld 1");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_timestamps 1");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_wmem{index=\"2\"} 4194304");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_ip_local_port_range{index=\"1\"} 60999");
	ns_buf_free(&out);
}

static void test_errors(void **state)
{
	static const char *const inc[] = {
	    "net.ipv4.does_not_exist",
	    "net.ipv4.tcp_too_big",
	    "net.core.wmem_default", /* a default too: counted once */
	    "net.ipv4.*_glob_matching_nothing",
	    "nosuchdir.*",
	    NULL,
	};
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	assert_int_equal(run("proc/sysctl-errors", inc, NULL, &out), 0);
	t = out.data;
	/* the directory in place of net.core.wmem_default (EISDIR) */
	tu_assert_line(t, "netstack_sysctl_read_errors 1");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_core_wmem_default");
	/* net.ipv4.does_not_exist; absent defaults are not counted */
	tu_assert_line(t, "netstack_sysctl_missing 1");
	/* everything else still comes out */
	tu_assert_line(t, "netstack_sysctl_net_core_somaxconn 128");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"0\"} 4096");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"1\"} 87380");
	tu_assert_line(t, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"2\"} 6291456");
	tu_assert_line(t, "netstack_sysctl_net_netfilter_nf_conntrack_max 262144");
	/* 2^64 does not fit: exposed as text rather than rounded */
	tu_assert_line(t, "netstack_sysctl_info{name=\"net.ipv4.tcp_too_big\","
			  "value=\"18446744073709551616\"} 1");
	tu_assert_no_line_prefix(t, "netstack_sysctl_net_ipv4_tcp_too_big");
	ns_buf_free(&out);
}

static void test_invalid_names(void **state)
{
	static const char *const bad[] = {
	    "", "net..core", "../../etc/passwd", "net.core.", "/net/core", "net/../../x", ".",
	};
	struct ns_buf out = NS_BUF_INIT;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *inc[] = {bad[i], NULL};

		assert_int_equal(run("proc/sysctl-basic", inc, NULL, &out), -EINVAL);
		assert_int_equal(run("proc/sysctl-basic", NULL, inc, &out), -EINVAL);
	}
	ns_buf_free(&out);
}

/* A temporary procfs root, for what git cannot store (modes) and for rewrites. */
static char tmproot[64];

static void tmp_write(const char *rel, const char *content, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmproot, rel);
	/* mkdir -p of the parent directories */
	for (char *c = path + strlen(tmproot) + 1; (c = strchr(c, '/')) != NULL; c++) {
		*c = '\0';
		if (mkdir(path, 0755) != 0)
			assert_int_equal(errno, EEXIST);
		*c = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static int tmp_setup(void **state)
{
	strcpy(tmproot, "/tmp/ns_sysctl_XXXXXX");
	return mkdtemp(tmproot) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmproot);
	return system(cmd);
}

static void test_write_only_not_globbed(void **state)
{
	static const char *const inc[] = {"net.ipv4.route.*", NULL};
	struct ns_buf out = NS_BUF_INIT;

	tmp_write("sys/net/ipv4/route/flush", "", 0200);
	tmp_write("sys/net/ipv4/route/gc_timeout", "300\n", 0644);
	tmp_write("sys/net/ipv4/route/min_pmtu", "552\n", 0444);
	assert_int_equal(run(tmproot, inc, NULL, &out), 0);
	tu_assert_line(out.data, "netstack_sysctl_net_ipv4_route_gc_timeout 300");
	tu_assert_line(out.data, "netstack_sysctl_net_ipv4_route_min_pmtu 552");
	tu_assert_no_line_prefix(out.data, "netstack_sysctl_net_ipv4_route_flush");
	tu_assert_no_line_prefix(out.data, "netstack_sysctl_info");
	tu_assert_line(out.data, "netstack_sysctl_read_errors 0");
	ns_buf_free(&out);
}

/*
 * Interfaces a-b, a_b, a.b (a/b in the dotted name) and x\xfe, x\xff map to
 * the same metric names. Not a failure: the name that needs no replacement
 * keeps the metric (a_b), else the first in byte order (x\xfe); the others
 * go to netstack_sysctl_info with their full name and are counted. The
 * outcome does not depend on directory order (two trees, two orders).
 */
static void test_name_collisions(void **state)
{
	static const char *const inc[] = {"net.ipv4.conf.*", NULL};
	static const char *const order[2][5] = {
	    {"a-b", "a_b", "a.b", "x\xfe", "x\xff"},
	    {"x\xff", "a.b", "x\xfe", "a_b", "a-b"},
	};
	static const char *const vals[] = {"7\n", "8\n", "9 10\n", "5\n", "6\n"};
	struct ns_buf out = NS_BUF_INIT, first = NS_BUF_INIT;

	for (int round = 0; round < 2; round++) {
		char rel[64];

		assert_int_equal(tmp_teardown(state), 0);
		assert_int_equal(tmp_setup(state), 0);
		for (int i = 0; i < 5; i++) {
			const char *dev = order[round][i];
			int v = 0;

			while (strcmp(order[0][v], dev) != 0)
				v++;
			snprintf(rel, sizeof(rel), "sys/net/ipv4/conf/%s/forwarding", dev);
			tmp_write(rel, vals[v], 0644);
		}
		assert_int_equal(run(tmproot, inc, NULL, &out), 0);
		tu_assert_line(out.data, "netstack_sysctl_net_ipv4_conf_a_b_forwarding 8");
		tu_assert_line(out.data,
			       "netstack_sysctl_info{name=\"net.ipv4.conf.a-b.forwarding\","
			       "value=\"7\"} 1");
		tu_assert_line(out.data,
			       "netstack_sysctl_info{name=\"net.ipv4.conf.a/b.forwarding\","
			       "value=\"9 10\"} 1");
		tu_assert_line(out.data, "netstack_sysctl_net_ipv4_conf_x__forwarding 5");
		tu_assert_line(out.data, "netstack_sysctl_info{name=\"net.ipv4.conf.x\xef\xbf\xbd."
					 "forwarding\",value=\"6\"} 1");
		assert_int_equal(count_prefix(out.data, "netstack_sysctl_net_ipv4_conf_a_b_"), 1);
		assert_int_equal(count_prefix(out.data, "netstack_sysctl_net_ipv4_conf_x__"), 1);
		tu_assert_line(out.data, "netstack_sysctl_name_collisions 3");
		tu_assert_line(out.data, "# TYPE netstack_sysctl_name_collisions gauge");
		if (round == 0) {
			ns_buf_reset(&first);
			assert_int_equal(ns_buf_append(&first, out.data, out.len + 1), 0);
		} else {
			assert_string_equal(out.data, first.data);
		}
	}
	ns_buf_free(&out);
	ns_buf_free(&first);
}

/*
 * Several scrapes with one state: files are re-read from the start, values
 * follow the kernel, and names absent at init (an explicit include, a
 * default such as nf_conntrack_max before the module loads) are picked up
 * when they appear.
 */
static void test_rescrape(void **state)
{
	static const char *const inc[] = {"net.ipv4.tcp_sack", NULL};
	struct ns_opts *o = mkopts(inc, NULL);
	struct ns_buf out = NS_BUF_INIT;
	struct ns_err e = {{0}};
	struct ns_writer *w = ns_writer_new();
	struct ns_ctx *ctx;
	void *st = NULL;

	tmp_write("sys/net/core/somaxconn", "4096\n", 0644);
	tmp_write("sys/net/ipv4/tcp_rmem", "4096\t131072\t6291456\n", 0644);
	assert_non_null(w);
	assert_int_equal(ns_ctx_open(&ctx, "", tmproot, "/", NULL, &e), 0);
	assert_int_equal(C->init(ctx, o, &st, &e), 0);

	assert_int_equal(C->collect(ctx, st, w, &e), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_sysctl_net_core_somaxconn 4096");
	tu_assert_line(out.data, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"2\"} 6291456");
	tu_assert_no_line_prefix(out.data, "netstack_sysctl_net_ipv4_tcp_sack");
	tu_assert_no_line_prefix(out.data, "netstack_sysctl_net_netfilter");
	tu_assert_line(out.data, "netstack_sysctl_missing 1");
	tu_assert_line(out.data, "netstack_sysctl_read_errors 0");

	/* shorter contents in place; new files; a value that is text */
	tmp_write("sys/net/core/somaxconn", "16\n", 0644);
	tmp_write("sys/net/ipv4/tcp_rmem", "1 2\n", 0644);
	tmp_write("sys/net/ipv4/tcp_sack", "off\n", 0644);
	tmp_write("sys/net/netfilter/nf_conntrack_max", "65536\n", 0644);
	ns_writer_reset(w);
	ns_buf_reset(&out);
	assert_int_equal(C->collect(ctx, st, w, &e), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_sysctl_net_core_somaxconn 16");
	tu_assert_line(out.data, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"0\"} 1");
	tu_assert_line(out.data, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"1\"} 2");
	tu_assert_no_line_prefix(out.data, "netstack_sysctl_net_ipv4_tcp_rmem{index=\"2\"}");
	tu_assert_line(out.data,
		       "netstack_sysctl_info{name=\"net.ipv4.tcp_sack\",value=\"off\"} 1");
	tu_assert_line(out.data, "netstack_sysctl_net_netfilter_nf_conntrack_max 65536");
	tu_assert_line(out.data, "netstack_sysctl_missing 0");

	/* and back to a number */
	tmp_write("sys/net/ipv4/tcp_sack", "1\n", 0644);
	ns_writer_reset(w);
	ns_buf_reset(&out);
	assert_int_equal(C->collect(ctx, st, w, &e), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_sysctl_net_ipv4_tcp_sack 1");
	tu_assert_no_line_prefix(out.data, "netstack_sysctl_info");

	C->fini(st);
	ns_ctx_close(ctx);
	ns_writer_free(w);
	ns_opts_free(o);
	ns_buf_free(&out);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A glob matching hundreds of files: all exposed, with a bounded number of fds kept open. */
static void test_many(void **state)
{
	static const char *const inc[] = {"net.many.*", NULL};
	struct ns_opts *o = mkopts(inc, NULL);
	struct ns_buf out = NS_BUF_INIT;
	struct ns_err e = {{0}};
	struct ns_writer *w = ns_writer_new();
	struct ns_ctx *ctx;
	char rel[64], val[32], line[128];
	void *st = NULL;
	int fds;

	for (int i = 0; i < 300; i++) {
		snprintf(rel, sizeof(rel), "sys/net/many/p%03d", i);
		snprintf(val, sizeof(val), "%d\n", i * 7);
		tmp_write(rel, val, 0644);
	}
	assert_int_equal(ns_ctx_open(&ctx, "", tmproot, "/", NULL, &e), 0);
	fds = count_fds();
	assert_int_equal(C->init(ctx, o, &st, &e), 0);
	for (int round = 0; round < 2; round++) {
		ns_writer_reset(w);
		ns_buf_reset(&out);
		assert_int_equal(C->collect(ctx, st, w, &e), 0);
		assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
		assert_int_equal(count_prefix(out.data, "netstack_sysctl_net_many_p"), 300);
		for (int i = 0; i < 300; i += 37) {
			snprintf(line, sizeof(line), "netstack_sysctl_net_many_p%03d %d", i, i * 7);
			tu_assert_line(out.data, line);
		}
		tu_assert_line(out.data, "netstack_sysctl_net_many_p299 2093");
		tu_assert_line(out.data, "netstack_sysctl_read_errors 0");
	}
	/* 128 kept open, the rest read one-shot */
	assert_in_range(count_fds() - fds, 100, 128);
	C->fini(st);
	assert_int_equal(count_fds(), fds);
	ns_ctx_close(ctx);
	ns_writer_free(w);
	ns_opts_free(o);
	ns_buf_free(&out);
}

/* ---- live: the running kernel, values read independently with stdio ---- */

/* Contents of /proc/sys/<rel> without the trailing newline, or NULL. */
static char *slurp(const char *rel)
{
	static char buf[4096];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/sys/%s", rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return buf;
}

static void test_live(void **state)
{
	static const char *const inc[] = {"net.ipv4.route.flush", NULL};
	struct ns_buf out = NS_BUF_INIT;
	char line[512];
	unsigned long lo, hi;
	char *v;

	if (access("/proc/sys/net/core/somaxconn", R_OK) != 0)
		skip();
	assert_int_equal(run("/proc", inc, NULL, &out), 0);

	v = slurp("net/core/somaxconn");
	assert_non_null(v);
	snprintf(line, sizeof(line), "netstack_sysctl_net_core_somaxconn %s", v);
	tu_assert_line(out.data, line);

	v = slurp("net/ipv4/ip_local_port_range");
	assert_non_null(v);
	assert_int_equal(sscanf(v, "%lu %lu", &lo, &hi), 2);
	snprintf(line, sizeof(line),
		 "netstack_sysctl_net_ipv4_ip_local_port_range{index=\"0\"} %lu", lo);
	tu_assert_line(out.data, line);
	snprintf(line, sizeof(line),
		 "netstack_sysctl_net_ipv4_ip_local_port_range{index=\"1\"} %lu", hi);
	tu_assert_line(out.data, line);

	v = slurp("net/ipv4/tcp_congestion_control");
	assert_non_null(v);
	snprintf(line, sizeof(line),
		 "netstack_sysctl_info{name=\"net.ipv4.tcp_congestion_control\",value=\"%s\"} 1",
		 v);
	tu_assert_line(out.data, line);

	v = slurp("net/core/default_qdisc");
	if (v) {
		snprintf(line, sizeof(line),
			 "netstack_sysctl_info{name=\"net.core.default_qdisc\",value=\"%s\"} 1", v);
		tu_assert_line(out.data, line);
	}

	/* route.flush is write-only (mode 0200): EACCES even for root */
	if (access("/proc/sys/net/ipv4/route/flush", F_OK) == 0)
		tu_assert_line(out.data, "netstack_sysctl_read_errors 1");
	tu_assert_line(out.data, "netstack_sysctl_missing 0");
	ns_buf_free(&out);
}

/* The same values as sysctl(8) prints for the dotted names. */
static void test_live_vs_sysctl_tool(void **state)
{
	static const char *const names[] = {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
					    "net.core.netdev_max_backlog"};
	struct ns_buf out = NS_BUF_INIT;

	if (access("/usr/sbin/sysctl", X_OK) != 0 && access("/sbin/sysctl", X_OK) != 0)
		skip();
	assert_int_equal(run("/proc", NULL, NULL, &out), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char cmd[128], res[256], copy[256], metric[128], line[256], *tok, *s;
		FILE *p;
		int idx = 0, ntok = 0;

		snprintf(cmd, sizeof(cmd), "PATH=/usr/sbin:/sbin:$PATH sysctl -n %s 2>/dev/null",
			 names[i]);
		p = popen(cmd, "r");
		assert_non_null(p);
		if (!fgets(res, sizeof(res), p)) {
			pclose(p);
			continue; /* not in this kernel */
		}
		pclose(p);
		snprintf(metric, sizeof(metric), "netstack_sysctl_%s", names[i]);
		for (char *c = metric; *c; c++)
			if (*c == '.')
				*c = '_';
		strcpy(copy, res);
		for (s = strtok_r(copy, " \t\n", &tok); s; s = strtok_r(NULL, " \t\n", &tok))
			ntok++;
		for (s = strtok_r(res, " \t\n", &tok); s; s = strtok_r(NULL, " \t\n", &tok)) {
			if (ntok == 1)
				snprintf(line, sizeof(line), "%s %s", metric, s);
			else
				snprintf(line, sizeof(line), "%s{index=\"%d\"} %s", metric, idx, s);
			idx++;
			tu_assert_line(out.data, line);
		}
		assert_int_equal(idx, ntok);
	}
	ns_buf_free(&out);
}

/* Every readable net.ipv4.tcp_* file in the kernel shows up once the glob is expanded. */
static void test_live_glob(void **state)
{
	static const char *const inc[] = {"net.ipv4.tcp_*", NULL};
	struct ns_buf out = NS_BUF_INIT;
	struct dirent *de;
	DIR *d = opendir("/proc/sys/net/ipv4");
	int seen = 0;

	if (!d)
		skip();
	assert_int_equal(run("/proc", inc, NULL, &out), 0);
	while ((de = readdir(d)) != NULL) {
		char rel[300], metric[300], info[300];
		struct stat sb;

		if (strncmp(de->d_name, "tcp_", 4) != 0 ||
		    strcmp(de->d_name, "tcp_fastopen_key") == 0) /* withheld: a secret */
			continue;
		snprintf(rel, sizeof(rel), "/proc/sys/net/ipv4/%s", de->d_name);
		if (stat(rel, &sb) != 0 || !S_ISREG(sb.st_mode) || !(sb.st_mode & 0444) ||
		    access(rel, R_OK) != 0)
			continue;
		snprintf(metric, sizeof(metric), "netstack_sysctl_net_ipv4_%s", de->d_name);
		snprintf(info, sizeof(info), "netstack_sysctl_info{name=\"net.ipv4.%s\",",
			 de->d_name);
		if (!tu_has_prefix_line(out.data, metric) && !tu_has_prefix_line(out.data, info))
			fail_msg("net.ipv4.%s not exposed\n%s", de->d_name, out.data);
		seen++;
	}
	closedir(d);
	assert_true(seen > 10);
	tu_assert_no_line_prefix(out.data,
				 "netstack_sysctl_info{name=\"net.ipv4.tcp_fastopen_key\"");
	tu_assert_line(out.data, "netstack_sysctl_read_errors 0");
	ns_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_include),
	    cmocka_unit_test(test_exclude),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_invalid_names),
	    cmocka_unit_test_setup_teardown(test_write_only_not_globbed, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_rescrape, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_many, tmp_setup, tmp_teardown),
	    cmocka_unit_test_setup_teardown(test_name_collisions, tmp_setup, tmp_teardown),
	    cmocka_unit_test(test_live),
	    cmocka_unit_test(test_live_vs_sysctl_tool),
	    cmocka_unit_test(test_live_glob),
	};

	return cmocka_run_group_tests_name("sysctl", tests, NULL, NULL);
}
