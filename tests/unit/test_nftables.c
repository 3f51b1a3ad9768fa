// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_nftables.c - the nftables collector on recorded nfnetlink replies.
 *
 * tests/fixtures/nftables/replay-basic holds what kernel 6.18 answered to
 * the collector's requests for the ruleset in record.py (the same ruleset
 * as `nft -j list ruleset` in replay-basic/ruleset.json, from which the
 * literal values below were taken). The other replay-* directories are
 * derived from it by record.py: unknown attributes and message types,
 * a truncated message, short counter payloads and a broken comment TLV,
 * empty dumps, no nf_tables (EINVAL), no CAP_NET_ADMIN (EPERM) and an
 * interrupted rule dump.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

extern const struct ns_collector ns_collector_nftables;
#define C ns_collector_nftables

#define R "netstack_nftables_rule_packets_total{family=\"inet\",table=\"filter\",chain=\"input\","
#define RB "netstack_nftables_rule_bytes_total{family=\"inet\",table=\"filter\",chain=\"input\","
#define SET(m, s) "netstack_nftables_" m "{family=\"inet\",table=\"filter\",set=\"" s "\"}"
#define OBJ(m, s) "netstack_nftables_" m "{family=\"inet\",table=\"filter\",name=\"" s "\"}"

static struct ns_opts *opts(const char *name, const char *value, const char *name2,
			    const char *value2)
{
	struct ns_opts *o = ns_opts_new(C.name, C.options);
	struct ns_err e;

	assert_non_null(o);
	if (name)
		assert_int_equal(ns_opts_set(o, name, value, &e), 0);
	if (name2)
		assert_int_equal(ns_opts_set(o, name2, value2, &e), 0);
	return o;
}

static int run(const char *dir, const struct ns_opts *o, struct ns_buf *out)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "nftables/%s", dir);
	return tu_collect(&C, NULL, NULL, rel, o, NS_FMT_TEXT, out);
}

static size_t count_prefix(const char *text, const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += strncmp(p, prefix, len) == 0;
	return n;
}

static void assert_basic(const char *t)
{
	tu_assert_line(t, "netstack_nftables_enabled 1");
	tu_assert_line(t, "netstack_nftables_ruleset_generation 5");
	/* tables and chains */
	tu_assert_line(t, "netstack_nftables_table_chains{family=\"inet\",table=\"filter\"} 3");
	tu_assert_line(t, "netstack_nftables_table_chains{family=\"ip\",table=\"other\"} 1");
	tu_assert_line(
	    t, "netstack_nftables_chain_rules{family=\"inet\",table=\"filter\",chain=\"input\"} 8");
	tu_assert_line(
	    t, "netstack_nftables_chain_rules{family=\"inet\",table=\"filter\",chain=\"sub\"} 1");
	tu_assert_line(
	    t, "netstack_nftables_chain_rules{family=\"inet\",table=\"filter\",chain=\"pol\"} 0");
	tu_assert_line(t, "netstack_nftables_base_chain_info{family=\"inet\",table=\"filter\","
			  "chain=\"input\",type=\"filter\",hook=\"input\",priority=\"0\","
			  "policy=\"accept\"} 1");
	tu_assert_line(t, "netstack_nftables_base_chain_info{family=\"ip\",table=\"other\","
			  "chain=\"output\",type=\"filter\",hook=\"output\",priority=\"-150\","
			  "policy=\"drop\"} 1");
	/* the chain recorded with NFTA_CHAIN_COUNTERS (no packet reached it) */
	tu_assert_line(t, "netstack_nftables_chain_policy_packets_total{family=\"inet\","
			  "table=\"filter\",chain=\"pol\"} 0");
	tu_assert_no_line_prefix(t, "netstack_nftables_chain_policy_packets_total{family=\"inet\","
				    "table=\"filter\",chain=\"input\"}");
	/* rules: comment, else handle; shared comments get their handle */
	tu_assert_line(t, R "rule=\"ssh in\"} 10");
	tu_assert_line(t, RB "rule=\"ssh in\"} 1000");
	tu_assert_line(t, R "rule=\"handle:12\"} 3");
	tu_assert_line(t, R "rule=\"blocklist\"} 7");
	tu_assert_line(t, R "rule=\"web handle:16\"} 1");
	tu_assert_line(t, RB "rule=\"web handle:17\"} 120");
	tu_assert_line(t, "netstack_nftables_rule_packets_total{family=\"inet\",table=\"filter\","
			  "chain=\"sub\",rule=\"sub: caf\xc3\xa9 {x=1} a\\\\b\"} 4");
	tu_assert_line(t, "netstack_nftables_rule_bytes_total{family=\"ip\",table=\"other\","
			  "chain=\"output\",rule=\"other out\"} 600");
	/* the objref rule ("counter name cnamed") and rules without a counter: no series */
	assert_int_equal(count_prefix(t, "netstack_nftables_rule_packets_total{"), 7);
	tu_assert_line(t, "netstack_nftables_rule_series_overflow 0");
	/* sets: anonymous ones left out, interval ranges once */
	tu_assert_line(t, SET("set_elements", "blk") " 3");
	tu_assert_line(t, SET("set_max_elements", "blk") " 100");
	tu_assert_line(t, SET("set_elements", "dyn") " 0");
	tu_assert_line(t, SET("set_max_elements", "dyn") " 1000");
	tu_assert_line(t, SET("set_elements", "ranges") " 2");
	tu_assert_no_line_prefix(t, SET("set_max_elements", "ranges"));
	assert_int_equal(count_prefix(t, "netstack_nftables_set_elements{"), 3);
	tu_assert_no_line_prefix(t, "netstack_nftables_set_elements_truncated{");
	/* objects */
	tu_assert_line(t, OBJ("counter_packets_total", "cnamed") " 5");
	tu_assert_line(t, OBJ("counter_bytes_total", "cnamed") " 300");
	tu_assert_line(t, OBJ("quota_limit_bytes", "q1") " 1000");
	tu_assert_line(t, OBJ("quota_used_bytes", "q1") " 400");
	tu_assert_line(t, OBJ("quota_exceeded", "q1") " 0");
	tu_assert_line(t, OBJ("quota_used_bytes", "qfull") " 100");
	tu_assert_line(t, OBJ("quota_exceeded", "qfull") " 1");
	tu_assert_line(t, OBJ("limit_packets_per_second", "lim1") " 10");
	tu_assert_line(t, OBJ("limit_burst_packets", "lim1") " 5");
	tu_assert_line(t, OBJ("limit_bytes_per_second", "limb") " 2097152");
	tu_assert_line(t, OBJ("limit_burst_bytes", "limb") " 1000");
}

static void test_basic(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(run("replay-basic", NULL, &out), 0);
	assert_basic(out.data);
	free(out.data);
}

/* Unknown attributes, nest members and message types change nothing; so does a restart. */
static void test_unknown_and_intr(void **state)
{
	struct ns_buf basic = NS_BUF_INIT, out = NS_BUF_INIT;

	assert_int_equal(run("replay-basic", NULL, &basic), 0);
	assert_int_equal(run("replay-unknown", NULL, &out), 0);
	assert_string_equal(out.data, basic.data);
	assert_int_equal(run("replay-intr", NULL, &out), 0);
	assert_string_equal(out.data, basic.data);
	free(basic.data);
	free(out.data);
}

static void test_badattr(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	assert_int_equal(run("replay-badattr", NULL, &out), 0);
	t = out.data;
	/* a 4-byte packet count: no counter read, no series invented */
	tu_assert_no_line_prefix(t, R "rule=\"ssh in\"}");
	assert_int_equal(count_prefix(t, "netstack_nftables_rule_packets_total{"), 6);
	/* a comment TLV running past the userdata: the handle labels the rule */
	tu_assert_line(t, R "rule=\"handle:13\"} 7");
	tu_assert_no_line_prefix(t, R "rule=\"blocklist\"}");
	/* the chain still counts every rule */
	tu_assert_line(
	    t, "netstack_nftables_chain_rules{family=\"inet\",table=\"filter\",chain=\"input\"} 8");
	free(out.data);
}

static void test_truncated(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(run("replay-truncated", NULL, &out), -EBADMSG);
	/* what was read before the broken message is still exposed */
	tu_assert_line(out.data, "netstack_nftables_enabled 1");
	tu_assert_line(out.data,
		       "netstack_nftables_table_chains{family=\"inet\",table=\"filter\"} 3");
	free(out.data);
}

static void test_empty_absent_eperm(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(run("replay-empty", NULL, &out), 0);
	tu_assert_line(out.data, "netstack_nftables_enabled 1");
	tu_assert_line(out.data, "netstack_nftables_ruleset_generation 5");
	tu_assert_line(out.data, "netstack_nftables_rule_series_overflow 0");
	tu_assert_no_line_prefix(out.data, "netstack_nftables_table_chains{");
	tu_assert_no_line_prefix(out.data, "netstack_nftables_rule_packets_total{");

	/* no nf_tables in the kernel: a clear 0, and success */
	assert_int_equal(run("replay-absent", NULL, &out), 0);
	tu_assert_line(out.data, "netstack_nftables_enabled 0");
	tu_assert_no_line_prefix(out.data, "netstack_nftables_ruleset_generation");

	/* no CAP_NET_ADMIN: a failure */
	assert_int_equal(run("replay-eperm", NULL, &out), -EPERM);
	free(out.data);
}

static void test_caps(void **state)
{
	struct ns_opts *o = opts("rule-series-max", "2", "chain-series-max", "0");
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	assert_int_equal(run("replay-basic", o, &out), 0);
	t = out.data;
	/* the first two in ruleset order, the five others counted */
	assert_int_equal(count_prefix(t, "netstack_nftables_rule_packets_total{"), 2);
	assert_int_equal(count_prefix(t, "netstack_nftables_rule_bytes_total{"), 2);
	tu_assert_line(t, R "rule=\"ssh in\"} 10");
	tu_assert_line(t, R "rule=\"handle:12\"} 3");
	tu_assert_line(t, "netstack_nftables_rule_series_overflow 5");
	/* base chains stay, the one regular chain goes */
	assert_int_equal(count_prefix(t, "netstack_nftables_chain_rules{"), 3);
	tu_assert_no_line_prefix(
	    t, "netstack_nftables_chain_rules{family=\"inet\",table=\"filter\",chain=\"sub\"}");
	tu_assert_line(t, "netstack_nftables_chain_series_overflow 1");
	ns_opts_free(o);
	free(out.data);
}

static void test_set_elements_max(void **state)
{
	struct ns_opts *o = opts("set-elements-max", "2", NULL, NULL);
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(run("replay-basic", o, &out), 0);
	tu_assert_line(out.data, SET("set_elements", "blk") " 2");
	tu_assert_line(out.data, SET("set_elements_truncated", "blk") " 1");
	tu_assert_line(out.data, SET("set_elements", "ranges") " 2");
	assert_int_equal(count_prefix(out.data, "netstack_nftables_set_elements_truncated{"), 1);
	ns_opts_free(o);

	/* 0: no element dumps, the declared sizes stay */
	o = opts("set-elements-max", "0", NULL, NULL);
	assert_int_equal(run("replay-basic", o, &out), 0);
	tu_assert_no_line_prefix(out.data, "netstack_nftables_set_elements{");
	tu_assert_line(out.data, SET("set_max_elements", "blk") " 100");
	ns_opts_free(o);
	free(out.data);
}

static void test_table_filter(void **state)
{
	struct ns_opts *o = opts("table-exclude", "^other$", NULL, NULL);
	struct ns_buf out = NS_BUF_INIT;

	/* per-table rule dumps (every one reads the same replay file) */
	assert_int_equal(run("replay-basic", o, &out), 0);
	tu_assert_no_line_prefix(out.data, "netstack_nftables_table_chains{family=\"ip\"");
	tu_assert_no_line_prefix(out.data, "netstack_nftables_rule_packets_total{family=\"ip\"");
	tu_assert_line(out.data, R "rule=\"ssh in\"} 10");
	assert_int_equal(count_prefix(out.data, "netstack_nftables_rule_packets_total{"), 6);
	tu_assert_line(
	    out.data,
	    "netstack_nftables_chain_rules{family=\"inet\",table=\"filter\",chain=\"input\"} 8");
	ns_opts_free(o);

	o = opts("table-include", "^other$", NULL, NULL);
	assert_int_equal(run("replay-basic", o, &out), 0);
	assert_int_equal(count_prefix(out.data, "netstack_nftables_rule_packets_total{"), 1);
	tu_assert_no_line_prefix(out.data, "netstack_nftables_set_elements{");
	tu_assert_no_line_prefix(out.data, "netstack_nftables_counter_packets_total{");
	ns_opts_free(o);
	free(out.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_basic),
	    cmocka_unit_test(test_unknown_and_intr),
	    cmocka_unit_test(test_badattr),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_empty_absent_eperm),
	    cmocka_unit_test(test_caps),
	    cmocka_unit_test(test_set_elements_max),
	    cmocka_unit_test(test_table_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
