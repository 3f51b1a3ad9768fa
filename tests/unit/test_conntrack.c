// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_conntrack.c - the conntrack collector against fixtures.
 *
 * Netlink: replay directories under tests/fixtures/conntrack/ made by
 * gen_replay.py there (whose tables hold the values written out literally
 * below), and replay-kernel618, recorded from Linux 6.18 in a namespace with
 * six entries made by `conntrack -I` (conntrack -L/-S output stored next to
 * it). /proc: fixture trees with the 6.x, 4.19 and 3.x header layouts of
 * /proc/net/stat/nf_conntrack, a shuffled one, a broken one, one without the
 * file and one without conntrack at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "testutil.h"

extern const struct ns_collector ns_collector_conntrack;

#define C ns_collector_conntrack

static struct ns_buf out = NS_BUF_INIT;

static int run(const char *procfs, const char *sysfs, const char *replay, const char *const *kv)
{
	struct ns_opts *o = tu_opts_of(&C, kv);
	int rc = tu_collect(&C, procfs, sysfs, replay, o, NS_FMT_TEXT, &out);

	if (getenv("TU_VERBOSE"))
		fputs(out.data, stderr);
	ns_opts_free(o);
	return rc;
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* Count output lines starting with @prefix. */
static int count_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	int c = 0;

	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, n) == 0)
			c++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return c;
}

/* ---- netlink ---- */

static void test_netlink_basic(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_enabled 1");
	tu_assert_line(out.data, "netstack_conntrack_source_info{source=\"netlink\"} 1");
	/* From CTA_STATS_GLOBAL_*, not from the sysctl files (7 and 65536). */
	tu_assert_line(out.data, "netstack_conntrack_entries 1234");
	tu_assert_line(out.data, "netstack_conntrack_entries_limit 262144");
	tu_assert_line(out.data, "netstack_conntrack_expect_entries_limit 1024");
	tu_assert_line(out.data, "# TYPE netstack_conntrack_found_total counter");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"0\"} 11");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"3\"} 101");
	tu_assert_line(out.data, "netstack_conntrack_invalid_total{cpu=\"0\"} 12");
	tu_assert_line(out.data, "netstack_conntrack_insert_total{cpu=\"0\"} 13");
	tu_assert_line(out.data, "netstack_conntrack_insert_failed_total{cpu=\"0\"} 14");
	tu_assert_line(out.data, "netstack_conntrack_drop_total{cpu=\"0\"} 15");
	tu_assert_line(out.data, "netstack_conntrack_early_drop_total{cpu=\"0\"} 16");
	tu_assert_line(out.data, "netstack_conntrack_error_total{cpu=\"0\"} 17");
	tu_assert_line(out.data, "netstack_conntrack_search_restart_total{cpu=\"0\"} 18");
	tu_assert_line(out.data, "netstack_conntrack_clash_resolve_total{cpu=\"0\"} 19");
	tu_assert_line(out.data, "netstack_conntrack_chaintoolong_total{cpu=\"0\"} 20");
	tu_assert_line(out.data, "netstack_conntrack_chaintoolong_total{cpu=\"3\"} 4000000000");
	tu_assert_line(out.data, "netstack_conntrack_expect_new_total{cpu=\"0\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_expect_create_total{cpu=\"3\"} 20");
	tu_assert_line(out.data, "netstack_conntrack_expect_delete_total{cpu=\"3\"} 30");
	/* 5 gauges/info, 10 stats x 2 CPUs, 3 expectation stats x 2 CPUs; attribute 42 skipped */
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_") -
			     count_prefix(out.data, "netstack_conntrack_breakdown") -
			     count_prefix(out.data, "netstack_conntrack_table") -
			     count_prefix(out.data, "netstack_conntrack_top"),
			 5 + 20 + 6);
	/* The kernel no longer sends these: no series, not zeros. */
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_searched_total");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_new_total");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_delete_list_total");
}

static void test_netlink_sum(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic",
			     OPTS("per-cpu=false", "breakdown=false")),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_found_total 112");
	tu_assert_line(out.data, "netstack_conntrack_chaintoolong_total 4000000020");
	tu_assert_line(out.data, "netstack_conntrack_expect_delete_total 33");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_found_total{");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_breakdown");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_table_entries");
}

static void test_netlink_odd_attributes(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-odd", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_entries 77");
	/* No CTA_STATS_GLOBAL_MAX_ENTRIES (old kernel): the sysctl says 65536. */
	tu_assert_line(out.data, "netstack_conntrack_entries_limit 65536");
	/* An old kernel's "no longer used" attributes are exposed as it sends them. */
	tu_assert_line(out.data, "netstack_conntrack_searched_total{cpu=\"0\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"0\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_new_total{cpu=\"0\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_ignore_total{cpu=\"0\"} 5");
	tu_assert_line(out.data, "netstack_conntrack_delete_list_total{cpu=\"0\"} 7");
	/* A 64-bit payload is read as such. */
	tu_assert_line(out.data, "netstack_conntrack_insert_total{cpu=\"0\"} 1099511627776");
	/* A 2-byte payload is skipped, not guessed. */
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_drop_total");
	tu_assert_line(out.data, "netstack_conntrack_early_drop_total{cpu=\"0\"} 9");
	/* The attribute running past the end of the message is not read. */
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_error_total");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_expect_new_total");
}

static void test_netlink_dump_intr(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-intr", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"0\"} 5");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"1\"} 6");
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_found_total{"), 2);
}

static void test_kernel_recording(void **unused)
{
	/* conntrack -L / -S at recording time: see replay-kernel618/ *.txt */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-kernel618", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_entries 6");
	tu_assert_line(out.data, "netstack_conntrack_entries_limit 262144");
	tu_assert_line(out.data, "netstack_conntrack_insert_total{cpu=\"0\"} 6");
	tu_assert_line(out.data, "netstack_conntrack_insert_total{cpu=\"1\"} 0");
	tu_assert_line(out.data, "netstack_conntrack_clash_resolve_total{cpu=\"1\"} 0");
	tu_assert_line(out.data, "netstack_conntrack_expect_new_total{cpu=\"1\"} 0");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 6");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_unparsed_entries 0");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"tcp\"} 3");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"udp\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"icmp\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv6\",protocol=\"tcp\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"established\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"time_wait\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"syn_sent\"} 1");
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.1\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"tcp\",address=\"10.0.1.1\",port=\"80\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv6\","
				 "protocol=\"tcp\",address=\"fd00::2\",port=\"443\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_exact{table=\"source\"} 1");
}

/* ---- /proc fallback ---- */

static void test_eperm_falls_back_to_procfs(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-eperm", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_enabled 1");
	tu_assert_line(out.data, "netstack_conntrack_source_info{source=\"procfs\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_entries 7");
	tu_assert_line(out.data, "netstack_conntrack_entries_limit 65536");
	tu_assert_line(out.data, "netstack_conntrack_clash_resolve_total{cpu=\"0\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"0\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"1\"} 256");
	tu_assert_line(out.data, "netstack_conntrack_invalid_total{cpu=\"0\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_chaintoolong_total{cpu=\"0\"} 4");
	tu_assert_line(out.data, "netstack_conntrack_insert_total{cpu=\"0\"} 5");
	tu_assert_line(out.data, "netstack_conntrack_insert_failed_total{cpu=\"0\"} 6");
	tu_assert_line(out.data, "netstack_conntrack_drop_total{cpu=\"0\"} 7");
	tu_assert_line(out.data, "netstack_conntrack_drop_total{cpu=\"1\"} 4294967295");
	tu_assert_line(out.data, "netstack_conntrack_early_drop_total{cpu=\"0\"} 8");
	tu_assert_line(out.data, "netstack_conntrack_error_total{cpu=\"0\"} 9");
	tu_assert_line(out.data, "netstack_conntrack_expect_new_total{cpu=\"0\"} 10");
	tu_assert_line(out.data, "netstack_conntrack_expect_create_total{cpu=\"0\"} 11");
	tu_assert_line(out.data, "netstack_conntrack_expect_delete_total{cpu=\"1\"} 28");
	tu_assert_line(out.data, "netstack_conntrack_search_restart_total{cpu=\"1\"} 29");
	/* Literal zeros in this layout: not exposed. The entries column neither. */
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_new_total");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_ignore_total");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_delete_total");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_entries{");
	/* No table dump without netlink. */
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_breakdown");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_top_");
}

static void test_procfs_old_layout(void **unused)
{
	/* 4.19: searched/new/ignore/delete/delete_list were real struct fields. */
	assert_int_equal(
	    run("conntrack/proc-old", "conntrack/sys-possible", "conntrack/replay-eperm", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_entries 3");
	tu_assert_line(out.data, "netstack_conntrack_entries_limit 32768");
	/* Three rows, possible CPUs 0,2-3. */
	tu_assert_line(out.data, "netstack_conntrack_searched_total{cpu=\"0\"} 33");
	tu_assert_line(out.data, "netstack_conntrack_searched_total{cpu=\"2\"} 49");
	tu_assert_line(out.data, "netstack_conntrack_searched_total{cpu=\"3\"} 65");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"3\"} 66");
	tu_assert_line(out.data, "netstack_conntrack_new_total{cpu=\"0\"} 35");
	tu_assert_line(out.data, "netstack_conntrack_ignore_total{cpu=\"0\"} 37");
	tu_assert_line(out.data, "netstack_conntrack_delete_total{cpu=\"0\"} 38");
	tu_assert_line(out.data, "netstack_conntrack_delete_list_total{cpu=\"0\"} 39");
	tu_assert_line(out.data, "netstack_conntrack_insert_total{cpu=\"2\"} 56");
	tu_assert_line(out.data, "netstack_conntrack_search_restart_total{cpu=\"3\"} 80");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_found_total{cpu=\"1\"}");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_clash_resolve_total");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_chaintoolong_total");
}

static void test_procfs_ancient_layout(void **unused)
{
	assert_int_equal(run("conntrack/proc-ancient", NULL, "conntrack/replay-eperm", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"0\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_error_total{cpu=\"0\"} 12");
	tu_assert_line(out.data, "netstack_conntrack_expect_delete_total{cpu=\"0\"} 15");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_search_restart_total");
}

static void test_procfs_by_header_not_position(void **unused)
{
	assert_int_equal(run("conntrack/proc-shuffled", NULL, "conntrack/replay-eperm", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_drop_total{cpu=\"0\"} 5");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"0\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_early_drop_total{cpu=\"0\"} 6");
	tu_assert_line(out.data, "netstack_conntrack_clash_resolve_total{cpu=\"0\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_insert_total{cpu=\"0\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_chaintoolong_total{cpu=\"0\"} 4");
	tu_assert_line(out.data, "netstack_conntrack_invalid_total{cpu=\"0\"} 7");
	tu_assert_line(out.data, "netstack_conntrack_insert_failed_total{cpu=\"0\"} 8");
	tu_assert_line(out.data, "netstack_conntrack_error_total{cpu=\"0\"} 9");
	tu_assert_line(out.data, "netstack_conntrack_search_restart_total{cpu=\"0\"} 10");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_future");
	/* One row but three possible CPUs: rows do not map, label by row number. */
	assert_int_equal(run("conntrack/proc-shuffled", "conntrack/sys-possible",
			     "conntrack/replay-eperm", NULL),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_drop_total{cpu=\"0\"} 5");
}

static void test_procfs_bad_row(void **unused)
{
	assert_int_equal(run("conntrack/proc-badrow", NULL, "conntrack/replay-eperm", NULL),
			 -EBADMSG);
	/* What could be read is still there; no half table of CPUs. */
	tu_assert_line(out.data, "netstack_conntrack_entries 9");
	tu_assert_line(out.data, "netstack_conntrack_entries_limit 100");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_found_total");
}

static void test_procfs_without_stat_file(void **unused)
{
	/* CONFIG_NF_CONNTRACK_PROCFS=n and no CAP_NET_ADMIN: count and limit only. */
	assert_int_equal(run("conntrack/proc-nostat", NULL, "conntrack/replay-eperm", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_source_info{source=\"procfs\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_entries 42");
	tu_assert_line(out.data, "netstack_conntrack_entries_limit 262144");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_found_total");
}

static void test_unexpected_netlink_error(void **unused)
{
	/* A truncated answer is not a refusal: /proc answers, the error is reported. */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-broken", NULL),
			 -EBADMSG);
	tu_assert_line(out.data, "netstack_conntrack_source_info{source=\"procfs\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_entries 7");
	tu_assert_line(out.data, "netstack_conntrack_found_total{cpu=\"1\"} 256");
}

static void test_not_loaded(void **unused)
{
	/* The replay would answer; it must not be asked, and nothing is faked. */
	assert_int_equal(run("conntrack/proc-absent", NULL, "conntrack/replay-basic", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_enabled 0");
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_"), 1);
}

/* ---- breakdown ---- */

static void test_breakdown_basic(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic", NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_breakdown_runs_total 1");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 12");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_truncated 0");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_unparsed_entries 0");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"tcp\"} 4");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"udp\"} 3");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"icmp\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"gre\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"other\"} 0");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv6\",protocol=\"tcp\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv6\",protocol=\"udp\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv6\",protocol=\"icmpv6\"} 1");
	/* icmp is IPv4-only, icmpv6 IPv6-only; no "other" family without entries */
	tu_assert_no_line_prefix(
	    out.data, "netstack_conntrack_table_entries{family=\"ipv6\",protocol=\"icmp\"}");
	tu_assert_no_line_prefix(
	    out.data, "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"icmpv6\"}");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_table_entries{family=\"other\"");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"established\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"time_wait\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"syn_sent\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"close\"} 0");
	/* top-k default 5: sources 10.0.0.2 (4), 10.0.0.1 (3), 2001:db8::1 (2), then two 1s */
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_source_entries{"), 5);
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.2\"} 4");
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.1\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_top_source_entries{family=\"ipv6\",address="
				 "\"2001:db8::1\"} 2");
	/* ties broken by the smaller key: 10.0.0.3 and 10.0.0.4 before 2001:db8::3 */
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.3\"} 1");
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.4\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"tcp\",address=\"192.0.2.80\",port=\"80\"} 4");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"udp\",address=\"192.0.2.53\",port=\"53\"} 3");
	/* then the 1s in key order: IPv4 (family 2) icmp (1), gre (47), IPv6 tcp (6) */
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_destination_entries{"), 5);
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"icmp\",address=\"192.0.2.1\",port=\"0\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"gre\",address=\"192.0.2.9\",port=\"0\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv6\","
				 "protocol=\"tcp\",address=\"2001:db8::2\",port=\"443\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_exact{table=\"source\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_exact{table=\"destination\"} 1");
	tu_assert_line(out.data, "# TYPE netstack_conntrack_breakdown_duration_seconds gauge");
	tu_assert_line(out.data, "# TYPE netstack_conntrack_breakdown_timestamp_seconds gauge");

	/* room for all: 6 sources, 7 destinations (same address and port, other protocol) */
	assert_int_equal(
	    run("conntrack/proc-new", NULL, "conntrack/replay-basic", OPTS("top-k=10")), 0);
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_source_entries{"), 6);
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_destination_entries{"), 7);
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv6\","
				 "protocol=\"udp\",address=\"2001:db8::2\",port=\"443\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_source_entries{family=\"ipv6\",address="
				 "\"2001:db8::3\"} 1");
}

static void test_breakdown_top_k(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic", OPTS("top-k=2")),
			 0);
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_source_entries{"), 2);
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_destination_entries{"), 2);
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.2\"} 4");
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.1\"} 3");
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic", OPTS("top-k=0")),
			 0);
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_top_source_entries{");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 12");
}

static void test_breakdown_cap(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic",
			     OPTS("breakdown-max-entries=5")),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 5");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_truncated 1");
	/* the first five entries: four TCP from 10.0.0.1/2, one UDP */
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"tcp\"} 4");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"udp\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv6\",protocol=\"tcp\"} 0");
	/* exactly the table size: complete, not truncated */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic",
			     OPTS("breakdown-max-entries=12")),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 12");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_truncated 0");
	/* one fewer: truncated */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-basic",
			     OPTS("breakdown-max-entries=11")),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 11");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_truncated 1");
	/* 0: no cap */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-heavy",
			     OPTS("breakdown-max-entries=0")),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 2000");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_truncated 0");
}

static void test_breakdown_odd_entries(void **unused)
{
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-dump-odd", NULL), 0);
	/* 4 entries; the non-entry message is not counted */
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 4");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_unparsed_entries 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"tcp\"} 3");
	/* the malformed one: family from its nfgenmsg, nothing else known */
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"other\"} 1");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_entries{family=\"ipv4\",protocol=\"udp\"} 0");
	/* TCP states survive the object being replaced after entries with labels */
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"established\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_table_tcp_entries{state=\"close\"} 1");
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.1.0.1\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"tcp\",address=\"10.2.0.1\",port=\"22\"} 3");
}

static void test_space_saving(void **unused)
{
	/*
	 * Sources A A A B C D A A with two tracked keys: B enters with 1, C
	 * evicts B (count 1+1, error 1), D evicts C (2+1, error 2), A ends at 5.
	 * A, the only key above n/m = 4, is reported with its exact count; D is
	 * reported with its lower bound count - error = 3 - 2, here its true 1.
	 */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-ss",
			     OPTS("top-k=2", "top-tracked=2")),
			 0);
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.10\"} 5");
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.13\"} 1");
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_source_entries{"), 2);
	tu_assert_line(out.data, "netstack_conntrack_top_exact{table=\"source\"} 0");
	/* one destination only: exact */
	tu_assert_line(out.data, "netstack_conntrack_top_exact{table=\"destination\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"udp\",address=\"10.9.0.1\",port=\"53\"} 8");
	/* with enough room the counts are exact */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-ss",
			     OPTS("top-k=4", "top-tracked=4")),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_top_exact{table=\"source\"} 1");
	tu_assert_line(
	    out.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.13\"} 1");
}

static void test_space_saving_heavy_hitter(void **unused)
{
	const char *p, *line = "netstack_conntrack_top_source_entries{family=\"ipv4\","
			       "address=\"10.9.9.9\"} ";
	unsigned long v;

	/* 2000 entries, 1601 distinct sources, 10.9.9.9 has 400; 64 tracked keys */
	assert_int_equal(run("conntrack/proc-new", NULL, "conntrack/replay-heavy",
			     OPTS("top-k=1", "top-tracked=64")),
			 0);
	tu_assert_line(out.data, "netstack_conntrack_top_exact{table=\"source\"} 0");
	p = strstr(out.data, line);
	if (!p)
		fail_msg("heavy hitter missing\n%s", out.data);
	v = strtoul(p + strlen(line), NULL, 10);
	/* guarantee: 400 - n/m = 400 - 2000/64 <= reported (a lower bound) <= 400 */
	assert_true(v <= 400 && v >= 400 - 2000 / 64);
	assert_int_equal(count_prefix(out.data, "netstack_conntrack_top_source_entries{"), 1);
	/* all 2000 to one destination */
	tu_assert_line(out.data, "netstack_conntrack_top_destination_entries{family=\"ipv4\","
				 "protocol=\"tcp\",address=\"10.8.0.1\",port=\"443\"} 2000");
	tu_assert_line(out.data,
		       "netstack_conntrack_table_tcp_entries{state=\"established\"} 2000");
}

/* Two collections with one state: the interval and the cache. */
static void collect_twice(const char *const *kv, unsigned sleep_ms, struct ns_buf *first,
			  struct ns_buf *second)
{
	struct ns_opts *o = tu_opts_of(&C, kv);
	struct ns_err e = {{0}};
	struct ns_ctx *ctx;
	struct ns_writer *w = ns_writer_new();
	void *state = NULL;
	char proc[4096], replay[4096];

	snprintf(proc, sizeof(proc), "%s", tu_fixture("conntrack/proc-new"));
	snprintf(replay, sizeof(replay), "%s", tu_fixture("conntrack/replay-basic"));
	assert_int_equal(ns_ctx_open(&ctx, "", proc, "/", replay, &e), 0);
	assert_int_equal(C.init(ctx, o, &state, &e), 0);
	assert_int_equal(C.collect(ctx, state, w, &e), 0);
	ns_buf_reset(first);
	ns_writer_render(w, NS_FMT_TEXT, first);
	ns_writer_reset(w);
	usleep(sleep_ms * 1000);
	assert_int_equal(C.collect(ctx, state, w, &e), 0);
	ns_buf_reset(second);
	ns_writer_render(w, NS_FMT_TEXT, second);
	C.fini(state);
	ns_writer_free(w);
	ns_ctx_close(ctx);
	ns_opts_free(o);
}

/* The value of the first line starting with @prefix. */
static const char *value_of(const char *text, const char *prefix, char *buf, size_t len)
{
	const char *p = strstr(text, prefix);
	size_t n;

	if (!p)
		fail_msg("no %s in\n%s", prefix, text);
	p += strlen(prefix);
	n = strcspn(p, "\n");
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

static void test_breakdown_interval(void **unused)
{
	struct ns_buf a = NS_BUF_INIT, b = NS_BUF_INIT;
	char t1[64], t2[64];

	/* default 60 s: the second scrape reuses the cached result */
	collect_twice(NULL, 10, &a, &b);
	tu_assert_line(a.data, "netstack_conntrack_breakdown_runs_total 1");
	tu_assert_line(b.data, "netstack_conntrack_breakdown_runs_total 1");
	tu_assert_line(b.data, "netstack_conntrack_breakdown_scanned_entries 12");
	tu_assert_line(
	    b.data,
	    "netstack_conntrack_top_source_entries{family=\"ipv4\",address=\"10.0.0.2\"} 4");
	assert_string_equal(
	    value_of(a.data, "\nnetstack_conntrack_breakdown_timestamp_seconds ", t1, sizeof(t1)),
	    value_of(b.data, "\nnetstack_conntrack_breakdown_timestamp_seconds ", t2, sizeof(t2)));
	/* while the cheap numbers are read again every time */
	tu_assert_line(b.data, "netstack_conntrack_entries 1234");

	/* 0: every scrape */
	collect_twice(OPTS("breakdown-interval=0"), 10, &a, &b);
	tu_assert_line(a.data, "netstack_conntrack_breakdown_runs_total 1");
	tu_assert_line(b.data, "netstack_conntrack_breakdown_runs_total 2");
	assert_string_not_equal(
	    value_of(a.data, "\nnetstack_conntrack_breakdown_timestamp_seconds ", t1, sizeof(t1)),
	    value_of(b.data, "\nnetstack_conntrack_breakdown_timestamp_seconds ", t2, sizeof(t2)));

	/* 1 s: not after 0.3 s, again after 1.1 s */
	collect_twice(OPTS("breakdown-interval=1"), 300, &a, &b);
	tu_assert_line(b.data, "netstack_conntrack_breakdown_runs_total 1");
	collect_twice(OPTS("breakdown-interval=1"), 1100, &a, &b);
	tu_assert_line(b.data, "netstack_conntrack_breakdown_runs_total 2");
	ns_buf_free(&a);
	ns_buf_free(&b);
}

static void test_bad_options(void **unused)
{
	struct ns_opts *o;
	struct ns_err e = {{0}};
	struct ns_ctx *ctx;
	void *state = NULL;

	assert_int_equal(ns_ctx_open(&ctx, "", "/", "/", NULL, &e), 0);
	o = tu_opts_of(&C, OPTS("top-k=101"));
	assert_int_equal(C.init(ctx, o, &state, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "top-k"));
	ns_opts_free(o);
	o = tu_opts_of(&C, OPTS("top-k=10", "top-tracked=5"));
	assert_int_equal(C.init(ctx, o, &state, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "top-tracked"));
	ns_opts_free(o);
	ns_ctx_close(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_netlink_basic),
	    cmocka_unit_test(test_netlink_sum),
	    cmocka_unit_test(test_netlink_odd_attributes),
	    cmocka_unit_test(test_netlink_dump_intr),
	    cmocka_unit_test(test_kernel_recording),
	    cmocka_unit_test(test_eperm_falls_back_to_procfs),
	    cmocka_unit_test(test_procfs_old_layout),
	    cmocka_unit_test(test_procfs_ancient_layout),
	    cmocka_unit_test(test_procfs_by_header_not_position),
	    cmocka_unit_test(test_procfs_bad_row),
	    cmocka_unit_test(test_procfs_without_stat_file),
	    cmocka_unit_test(test_unexpected_netlink_error),
	    cmocka_unit_test(test_not_loaded),
	    cmocka_unit_test(test_breakdown_basic),
	    cmocka_unit_test(test_breakdown_top_k),
	    cmocka_unit_test(test_breakdown_cap),
	    cmocka_unit_test(test_breakdown_odd_entries),
	    cmocka_unit_test(test_space_saving),
	    cmocka_unit_test(test_space_saving_heavy_hitter),
	    cmocka_unit_test(test_breakdown_interval),
	    cmocka_unit_test(test_bad_options),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	ns_buf_free(&out);
	return rc;
}
