// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_snmp.c - the snmp collector against fixture trees
 * (tests/fixtures/proc/{debian12,snmp-*}) and the live /proc.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"
#include "procfs.h"
#include "testutil.h"

extern const struct ns_collector ns_collector_snmp;

#define C (&ns_collector_snmp)

/* Number of sample lines (not comments) of @text starting with @prefix. */
static int count_samples(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	int count = 0;

	for (const char *p = text; p && *p;) {
		if (*p != '#' && strncmp(p, prefix, n) == 0)
			count++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return count;
}

/* The value of the sample line "@series <value>" of @text, as text. */
static const char *value_of(const char *text, const char *series, char *out, size_t len)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ') {
			const char *v = p + n + 1, *e = strchr(v, '\n');
			size_t vl = e ? (size_t)(e - v) : strlen(v);

			if (vl >= len)
				vl = len - 1;
			memcpy(out, v, vl);
			out[vl] = '\0';
			return out;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	fail_msg("no sample %s in output:\n%s", series, text);
	return NULL;
}

static void test_debian12(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/debian12", NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	/* The contract names, values from tests/fixtures/proc/debian12/net/{snmp,netstat}. */
	tu_assert_line(out.data, "netstack_snmp_tcp_retrans_segs_total 0");
	tu_assert_line(out.data, "netstack_snmp_tcp_out_segs_total 8901");
	tu_assert_line(out.data, "netstack_snmp_tcp_curr_estab 0");
	tu_assert_line(out.data, "netstack_snmp_tcpext_listen_overflows_total 0");
	tu_assert_line(out.data, "netstack_snmp_tcpext_listen_drops_total 0");
	tu_assert_line(out.data, "netstack_snmp_udp_rcvbuf_errors_total 0");
	/* Types and HELP. */
	tu_assert_line(out.data, "# TYPE netstack_snmp_tcp_curr_estab gauge");
	tu_assert_line(out.data, "# TYPE netstack_snmp_tcp_retrans_segs_total counter");
	tu_assert_line(out.data, "# HELP netstack_snmp_tcp_retrans_segs_total Kernel counter "
				 "Tcp:RetransSegs from /proc/net/snmp.");
	tu_assert_line(out.data, "# HELP netstack_snmp_tcp_max_conn Kernel gauge Tcp:MaxConn from "
				 "/proc/net/snmp.");
	tu_assert_line(out.data, "# HELP netstack_snmp_ip6_in_receives_total Kernel counter "
				 "Ip6InReceives from /proc/net/snmp6.");
	/* Non-zero values from each file, gauges, signed. */
	tu_assert_line(out.data, "netstack_snmp_ip_forwarding 2");
	tu_assert_line(out.data, "netstack_snmp_ip_default_ttl 64");
	tu_assert_line(out.data, "netstack_snmp_ip_in_receives_total 9330");
	tu_assert_line(out.data, "netstack_snmp_ip_out_transmits_total 8846");
	tu_assert_line(out.data, "netstack_snmp_icmp_in_dest_unreachs_total 1");
	tu_assert_line(out.data, "netstack_snmp_icmpmsg_in_type3_total 1");
	tu_assert_line(out.data, "netstack_snmp_tcp_rto_algorithm 1");
	/* RtoMin/RtoMax: milliseconds in the file, seconds exposed. */
	tu_assert_line(out.data, "netstack_snmp_tcp_rto_min_seconds 0.2");
	tu_assert_line(out.data, "netstack_snmp_tcp_rto_max_seconds 120");
	tu_assert_line(out.data, "# HELP netstack_snmp_tcp_rto_min_seconds Kernel gauge Tcp:RtoMin "
				 "from /proc/net/snmp, in seconds (milliseconds there).");
	tu_assert_line(out.data, "# TYPE netstack_snmp_tcp_rto_max_seconds gauge");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_tcp_rto_min ");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_tcp_rto_max ");
	tu_assert_line(out.data, "netstack_snmp_tcp_max_conn -1");
	tu_assert_line(out.data, "netstack_snmp_tcp_in_segs_total 9383");
	tu_assert_line(out.data, "netstack_snmp_tcp_out_rsts_total 16");
	tu_assert_line(out.data, "netstack_snmp_udp_out_datagrams_total 27");
	tu_assert_line(out.data, "netstack_snmp_tcpext_tw_total 593");
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcp_pure_acks_total 2240");
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcp_rcv_coalesce_total 1147");
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcp_orig_data_sent_total 3766");
	tu_assert_line(out.data, "netstack_snmp_ipext_in_octets_total 79383680");
	tu_assert_line(out.data, "netstack_snmp_mptcpext_mp_capable_synrx_total 0");
	tu_assert_line(out.data, "# TYPE netstack_snmp_mptcpext_mp_curr_estab gauge");
	tu_assert_line(out.data, "netstack_snmp_ip6_out_requests_total 90");
	tu_assert_line(out.data, "netstack_snmp_icmp6_out_type135_total 4");
	tu_assert_line(out.data, "netstack_snmp_udp6_in_datagrams_total 0");
	/* The snake_case rule on awkward kernel names. */
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcp_timeout_rehash_total 2");
	tu_assert_line(out.data, "netstack_snmp_tcpext_delayed_ac_ks_total 5");
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcphp_hits_total 588");
	tu_assert_line(out.data, "netstack_snmp_icmp6_out_ml_dv2_reports_total 4");
	tu_assert_line(out.data, "netstack_snmp_ip_reasm_oks_total 0");
	tu_assert_line(out.data, "netstack_snmp_mptcpext_mp_join_syn_ack_hmac_failure_total 0");
	tu_assert_line(out.data, "netstack_snmp_udplite6_mem_errors_total 0");
	/* One sample per field: 312 in snmp+netstat, 90 in snmp6 (counted with awk), 3 files. */
	assert_int_equal(count_samples(out.data, "netstack_snmp_"), 402 + 3);
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp\"} 0");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/netstat\"} 0");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp6\"} 0");
	assert_int_equal(count_samples(out.data, "netstack_snmp_ip6_"), 33);
	tu_assert_golden(out.data, "golden/snmp-debian12.prom");
	ns_buf_free(&out);
}

static void test_odd_columns(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/snmp-odd", NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	/* 2^64-1 exactly. */
	tu_assert_line(out.data, "netstack_snmp_ip_in_receives_total 18446744073709551615");
	tu_assert_line(out.data, "netstack_snmp_ipext_in_octets_total 18446744073709551615");
	tu_assert_line(out.data, "netstack_snmp_ip_in_hdr_errors_total 7");
	/* IcmpMsg spread over two pairs. */
	tu_assert_line(out.data, "netstack_snmp_icmpmsg_in_type0_total 5");
	tu_assert_line(out.data, "netstack_snmp_icmpmsg_in_type8_total 7");
	tu_assert_line(out.data, "netstack_snmp_icmpmsg_out_type0_total 8");
	tu_assert_line(out.data, "netstack_snmp_icmpmsg_out_type3_total 9");
	/* Value line shorter than its header: the common prefix only. */
	tu_assert_line(out.data, "netstack_snmp_tcp_max_conn -1");
	tu_assert_line(out.data, "netstack_snmp_tcp_active_opens_total 42");
	tu_assert_line(out.data, "netstack_snmp_tcp_curr_estab 3");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_tcp_out_segs");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_tcp_retrans_segs");
	/* Value line longer than its header: extra values ignored. */
	tu_assert_line(out.data, "netstack_snmp_udp_rcvbuf_errors_total 12");
	assert_int_equal(count_samples(out.data, "netstack_snmp_udp_"), 3);
	/* Header without values, values without header. */
	tu_assert_no_line_prefix(out.data, "netstack_snmp_udplite_");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_orphan_");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_lonely_");
	/* A field the code has never seen appears by the rule. */
	tu_assert_line(out.data,
		       "# HELP netstack_snmp_tcpext_tcp_future_field_total Kernel counter "
		       "TcpExt:TCPFutureField from /proc/net/netstat.");
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcp_future_field_total 6");
	tu_assert_line(out.data, "netstack_snmp_tcpext_listen_overflows_total 2");
	tu_assert_line(out.data, "netstack_snmp_tcpext_listen_drops_total 3");
	/* TCPLostRetransmit and TcpLostRetransmit collide: the later one gets _2. */
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcp_lost_retransmit_total 4");
	tu_assert_line(out.data, "netstack_snmp_tcpext_tcp_lost_retransmit_2_total 5");
	tu_assert_line(out.data, "# HELP netstack_snmp_tcpext_tcp_lost_retransmit_2_total Kernel "
				 "counter TcpExt:TcpLostRetransmit from /proc/net/netstat.");
	/* MPTcpExt MPCurrEstab is a gauge. */
	tu_assert_line(out.data, "# TYPE netstack_snmp_mptcpext_mp_curr_estab gauge");
	tu_assert_line(out.data, "netstack_snmp_mptcpext_mp_curr_estab 2");
	/* No snmp6 file: nothing from it, no error, and the file is named as missing. */
	tu_assert_no_line_prefix(out.data, "netstack_snmp_ip6_");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp6\"} 1");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/netstat\"} 0");
	assert_int_equal(count_samples(out.data, "netstack_snmp_"), 27 + 3);
	ns_buf_free(&out);
}

static void test_bad_values(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/snmp-bad", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 -EINVAL);
	/* Everything that parses is still emitted. */
	tu_assert_line(out.data, "netstack_snmp_icmp_in_msgs_total 5");
	tu_assert_line(out.data, "netstack_snmp_icmp_out_msgs_total 7");
	tu_assert_line(out.data, "netstack_snmp_tcp_max_conn -1");
	/* "x", 2^64, a negative counter and a gauge below INT64_MIN are dropped. */
	tu_assert_no_line_prefix(out.data, "netstack_snmp_icmp_in_errors");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_udp_in_datagrams");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_udp_no_ports");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_tcp_curr_estab");
	assert_int_equal(count_samples(out.data, "netstack_snmp_"), 3 + 3);
	ns_buf_free(&out);
}

static void test_empty_and_missing(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/snmp-empty", NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	/* Empty files: no field, but all three were read. */
	assert_int_equal(count_samples(out.data, "netstack_snmp_"), 3);
	assert_int_equal(count_samples(out.data, "netstack_snmp_file_missing{"), 3);
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp\"} 0");
	/* A procfs root without net/snmp at all is an error; each file is named as missing. */
	assert_int_equal(tu_collect(C, "sys/debian12", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 -ENOENT);
	assert_int_equal(count_samples(out.data, "netstack_snmp_"), 3);
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp\"} 1");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/netstat\"} 1");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp6\"} 1");
	ns_buf_free(&out);
}

static void test_snmp6_names(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/snmp-v6", NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_snmp_tcp_curr_estab 0");
	tu_assert_line(out.data, "netstack_snmp_ip6_in_receives_total 123");
	tu_assert_line(out.data, "netstack_snmp_icmp6_in_type133_total 4");
	tu_assert_line(out.data, "netstack_snmp_udplite6_in_datagrams_total 5");
	tu_assert_line(out.data, "netstack_snmp_udp6_rcvbuf_errors_total 18446744073709551615");
	/* No digits: no section, the whole name snake-cased. */
	tu_assert_line(out.data, "netstack_snmp_foo_bar_total 3");
	/* A name without a value is skipped. */
	tu_assert_no_line_prefix(out.data, "netstack_snmp_ip6_lonely");
	assert_int_equal(count_samples(out.data, "netstack_snmp_"), 6 + 3);
	ns_buf_free(&out);
}

/*
 * proc/snmp-v6 has no net/netstat: every TcpExt/IpExt/MPTcpExt field is
 * absent, the collector still succeeds, and the missing file is named.
 */
static void test_netstat_missing(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/snmp-v6", NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	assert_int_equal(faccessat(AT_FDCWD, tu_fixture("proc/snmp-v6/net/netstat"), F_OK, 0), -1);
	tu_assert_no_line_prefix(out.data, "netstack_snmp_tcpext_");
	tu_assert_no_line_prefix(out.data, "netstack_snmp_ipext_");
	tu_assert_line(out.data, "# TYPE netstack_snmp_file_missing gauge");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/netstat\"} 1");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp\"} 0");
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/snmp6\"} 0");
	assert_int_equal(count_samples(out.data, "netstack_snmp_file_missing{"), 3);
	ns_buf_free(&out);
}

/* Two scrapes with one state: identical output, names not shifted to _2. */
static void test_warm_rescrape(void **unused)
{
	struct ns_buf first = NS_BUF_INIT, second = NS_BUF_INIT;
	struct ns_err e = {{0}};
	struct ns_writer *w = ns_writer_new();
	struct ns_ctx *ctx;
	void *state = NULL;

	assert_non_null(w);
	assert_int_equal(ns_ctx_open(&ctx, "", tu_fixture("proc/snmp-odd"), "/", NULL, &e), 0);
	assert_int_equal(C->init(ctx, NULL, &state, &e), 0);
	assert_int_equal(C->collect(ctx, state, w, &e), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &first), 0);
	ns_writer_reset(w);
	assert_int_equal(C->collect(ctx, state, w, &e), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &second), 0);
	assert_int_equal(ns_writer_duplicates(w), 0);
	assert_string_equal(first.data, second.data);
	tu_assert_no_line_prefix(second.data, "netstack_snmp_tcpext_tcp_lost_retransmit_3");
	C->fini(state);
	ns_ctx_close(ctx);
	ns_writer_free(w);
	ns_buf_free(&first);
	ns_buf_free(&second);
}

/* Count the fields of the live files the way the kernel lays them out. */
static int count_live_fields(void)
{
	static const char *const pairs[] = {"/proc/net/snmp", "/proc/net/netstat"};
	struct ns_buf b = NS_BUF_INIT;
	int n = 0;

	for (size_t i = 0; i < 2; i++) {
		char *cur, *line;
		int header = 1;

		if (ns_read_file_at(AT_FDCWD, pairs[i], &b))
			continue;
		cur = b.data;
		while ((line = ns_next_line(&cur))) {
			char *t = line;

			if (header) {
				ns_next_token(&t);
				while (ns_next_token(&t))
					n++;
			}
			header = !header;
		}
	}
	if (ns_read_file_at(AT_FDCWD, "/proc/net/snmp6", &b) == 0) {
		char *cur = b.data, *line;

		while ((line = ns_next_line(&cur)))
			if (*line)
				n++;
	}
	ns_buf_free(&b);
	return n;
}

static void test_live(void **unused)
{
	struct ns_buf out = NS_BUF_INIT, ttl = NS_BUF_INIT;
	char got[64];

	assert_int_equal(tu_collect(C, "/proc", "/sys", NULL, NULL, NS_FMT_TEXT, &out), 0);
	/* Ip DefaultTTL is the sysctl of this namespace. */
	assert_int_equal(ns_read_file_at(AT_FDCWD, "/proc/sys/net/ipv4/ip_default_ttl", &ttl), 0);
	ttl.data[strcspn(ttl.data, "\n")] = '\0';
	assert_string_equal(value_of(out.data, "netstack_snmp_ip_default_ttl", got, sizeof(got)),
			    ttl.data);
	/* Constants of the Linux TCP stack. */
	assert_string_equal(value_of(out.data, "netstack_snmp_tcp_max_conn", got, sizeof(got)),
			    "-1");
	assert_string_equal(value_of(out.data, "netstack_snmp_tcp_rto_algorithm", got, sizeof(got)),
			    "1");
	/* Every field of the live files, once, and the three file series. */
	assert_int_equal(count_samples(out.data, "netstack_snmp_"), count_live_fields() + 3);
	tu_assert_line(out.data, "netstack_snmp_file_missing{file=\"/proc/net/netstat\"} 0");
	value_of(out.data, "netstack_snmp_tcp_retrans_segs_total", got, sizeof(got));
	value_of(out.data, "netstack_snmp_tcpext_listen_drops_total", got, sizeof(got));
	ns_buf_free(&out);
	ns_buf_free(&ttl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debian12),	  cmocka_unit_test(test_odd_columns),
	    cmocka_unit_test(test_bad_values),	  cmocka_unit_test(test_empty_and_missing),
	    cmocka_unit_test(test_snmp6_names),	  cmocka_unit_test(test_netstat_missing),
	    cmocka_unit_test(test_warm_rescrape), cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
