// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_tcp_info_hist.c - the tcp collector's RTO, congestion window and
 * delivery rate histograms and tcp_info sums (tcp-info=true), on replayed
 * sock_diag messages built here: exact buckets and sums host-wide and per
 * listening port (overflow port included), INET_DIAG_INFO payloads of older
 * kernels (fields missing: not counted, never zeros), of a newer kernel
 * (longer than this struct tcp_info), unknown attributes, an empty dump and
 * a message cut short.
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>

#define TCP_ESTABLISHED 1 /* enum in netinet/tcp.h, which clashes with linux/tcp.h */
#define TCP_LISTEN 10

#include "testutil.h"

extern const struct ns_collector ns_collector_tcp;
#define C ns_collector_tcp

static char dir[PATH_MAX];
static struct tu_nlgen gen;
static struct ns_buf out;

struct ti {
	uint32_t rto_us, cwnd;
	uint64_t rate, busy, rwnd, sndbuf, bretrans;
};

static struct nlmsghdr *sock_msg(int state, uint16_t sport)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

	nlh->nlmsg_type = TCPDIAG_GETSOCK;
	nlh->nlmsg_flags = NLM_F_MULTI;
	m->idiag_family = AF_INET;
	m->idiag_state = (uint8_t)state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(sport == 80 || sport == 81 ? 40000 : 80);
	inet_pton(AF_INET, "10.0.0.1", m->id.idiag_src);
	inet_pton(AF_INET, "10.0.0.2", m->id.idiag_dst);
	return nlh;
}

/* @len: INET_DIAG_INFO payload bytes (more than the struct: zero padded). */
static void info_sock(uint16_t sport, const struct ti *v, size_t len, int unknown)
{
	struct nlmsghdr *nlh = sock_msg(TCP_ESTABLISHED, sport);
	unsigned char buf[sizeof(struct tcp_info) + 64] = {0};
	struct tcp_info *t = (struct tcp_info *)buf;

	t->tcpi_state = TCP_ESTABLISHED;
	t->tcpi_rto = v->rto_us;
	t->tcpi_snd_cwnd = v->cwnd;
	t->tcpi_delivery_rate = v->rate;
	t->tcpi_busy_time = v->busy;
	t->tcpi_rwnd_limited = v->rwnd;
	t->tcpi_sndbuf_limited = v->sndbuf;
	t->tcpi_bytes_retrans = v->bretrans;
	if (unknown)
		mnl_attr_put_u32(nlh, 200, 7);
	mnl_attr_put(nlh, INET_DIAG_INFO, len, buf);
	if (unknown)
		mnl_attr_put_u32(nlh, 201, 7);
	tu_nlgen_end(&gen, nlh);
}

static void listener(uint16_t port)
{
	struct nlmsghdr *nlh = sock_msg(TCP_LISTEN, port);

	tu_nlgen_end(&gen, nlh);
}

static void done_msg(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	*p = 0;
	tu_nlgen_end(&gen, nlh);
}

static int run(const char *max_ports)
{
	struct ns_opts *o = ns_opts_new(C.name, C.options);
	struct ns_err e = {{0}};
	int rc;

	assert_int_equal(ns_opts_set(o, "tcp-info", "true", &e), 0);
	if (max_ports)
		assert_int_equal(ns_opts_set(o, "max-ports", max_ports, &e), 0);
	tu_nlgen_write(&gen, dir, "4-18.nl");
	rc = tu_collect(&C, "sockdiag/proc", NULL, dir, o, NS_FMT_TEXT, &out);
	if (getenv("TU_VERBOSE"))
		fputs(out.data, stderr);
	ns_opts_free(o);
	return rc;
}

static const struct ti a = {204000, 10, 125000, 3000, 1000, 0, 0};
static const struct ti b = {210000, 40, 1250000000, 2500000, 0, 500000, 1448};
static const struct ti c = {1000000, 9000, 20000000000ull, 0, 0, 0, 100};

static void test_values(void **unused)
{
	listener(80);
	listener(81);
	info_sock(80, &a, sizeof(struct tcp_info), 0);
	info_sock(80, &b, sizeof(struct tcp_info), 0);
	info_sock(81, &c, sizeof(struct tcp_info), 0);
	info_sock(40001, &a, sizeof(struct tcp_info), 0); /* client side: host-wide only */
	done_msg();
	assert_int_equal(run(NULL), 0);
#define L(s) tu_assert_line(out.data, s)
	L("netstack_tcp_established_rto_seconds_bucket{le=\"0.2\"} 0");
	L("netstack_tcp_established_rto_seconds_bucket{le=\"0.205\"} 2");
	L("netstack_tcp_established_rto_seconds_bucket{le=\"0.21\"} 3");
	L("netstack_tcp_established_rto_seconds_bucket{le=\"0.5\"} 3");
	L("netstack_tcp_established_rto_seconds_bucket{le=\"1\"} 4");
	L("netstack_tcp_established_rto_seconds_count 4");
	L("netstack_tcp_established_rto_seconds_sum 1.618");
	L("netstack_tcp_established_congestion_window_segments_bucket{le=\"10\"} 2");
	L("netstack_tcp_established_congestion_window_segments_bucket{le=\"32\"} 2");
	L("netstack_tcp_established_congestion_window_segments_bucket{le=\"64\"} 3");
	L("netstack_tcp_established_congestion_window_segments_bucket{le=\"8192\"} 3");
	L("netstack_tcp_established_congestion_window_segments_bucket{le=\"+Inf\"} 4");
	L("netstack_tcp_established_congestion_window_segments_sum 9060");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_bucket{le=\"100000\"} 0");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_bucket{le=\"250000\"} 2");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_bucket{le=\"1000000000\"} 2");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_bucket{le=\"2500000000\"} 3");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_bucket{le=\"10000000000\"} 3");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_bucket{le=\"+Inf\"} 4");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_sum 21250250000");
	L("netstack_tcp_established_retransmitted_bytes 1548");
	L("netstack_tcp_established_busy_seconds 2.506");
	L("netstack_tcp_established_rwnd_limited_seconds 0.002");
	L("netstack_tcp_established_sndbuf_limited_seconds 0.5");
	/* per port */
	L("netstack_tcp_local_port_established_rto_seconds_count{port=\"80\"} 2");
	L("netstack_tcp_local_port_established_rto_seconds_sum{port=\"80\"} 0.414");
	L("netstack_tcp_local_port_established_congestion_window_segments_sum{port=\"80\"} 50");
	L("netstack_tcp_local_port_established_congestion_window_segments_bucket{port=\"81\","
	  "le=\"8192\"} 0");
	L("netstack_tcp_local_port_established_congestion_window_segments_count{port=\"81\"} 1");
	L("netstack_tcp_local_port_established_delivery_rate_bytes_per_second_sum{port=\"81\"} "
	  "20000000000");
	L("netstack_tcp_local_port_established_retransmitted_bytes{port=\"80\"} 1448");
	L("netstack_tcp_local_port_established_busy_seconds{port=\"80\"} 2.503");
	L("netstack_tcp_local_port_established_sndbuf_limited_seconds{port=\"81\"} 0");
}

static void test_overflow_port(void **unused)
{
	listener(80);
	listener(81);
	info_sock(80, &a, sizeof(struct tcp_info), 0);
	info_sock(81, &b, sizeof(struct tcp_info), 0);
	info_sock(81, &c, sizeof(struct tcp_info), 0);
	done_msg();
	assert_int_equal(run("1"), 0);
	L("netstack_tcp_local_port_established_rto_seconds_count{port=\"80\"} 1");
	L("netstack_tcp_local_port_established_rto_seconds_count{port=\"overflow\"} 2");
	L("netstack_tcp_local_port_established_retransmitted_bytes{port=\"overflow\"} 1548");
	assert_null(strstr(out.data, "port=\"81\""));
	/* max-ports=0: everything in overflow. */
	listener(80);
	info_sock(80, &a, sizeof(struct tcp_info), 0);
	done_msg();
	assert_int_equal(run("0"), 0);
	L("netstack_tcp_local_port_established_rto_seconds_count{port=\"overflow\"} 1");
}

/* Older kernels send a shorter struct tcp_info: absent fields count nowhere. */
static void test_old_kernel_payloads(void **unused)
{
	info_sock(40001, &b, offsetof(struct tcp_info, tcpi_delivery_rate), 0); /* < 4.9 */
	info_sock(40002, &b, offsetof(struct tcp_info, tcpi_busy_time), 0);	/* 4.9 */
	info_sock(40003, &b, offsetof(struct tcp_info, tcpi_delivered), 0);	/* 4.10 */
	info_sock(40004, &b, sizeof(struct tcp_info) + 48, 1); /* newer: longer, unknown attrs */
	done_msg();
	assert_int_equal(run(NULL), 0);
	L("netstack_tcp_established_rto_seconds_count 4");
	L("netstack_tcp_established_congestion_window_segments_count 4");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_count 3");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_sum 3750000000");
	L("netstack_tcp_established_busy_seconds 5");
	L("netstack_tcp_established_sndbuf_limited_seconds 1");
	/* tcpi_bytes_retrans (4.19) only in the full and the longer payloads */
	L("netstack_tcp_established_retransmitted_bytes 1448");
	/* rtt histogram (tcp.c) and these agree on what was counted */
	L("netstack_tcp_established_rtt_seconds_count 4");
}

static void test_empty_dump(void **unused)
{
	done_msg();
	assert_int_equal(run(NULL), 0);
	L("netstack_tcp_established_rto_seconds_count 0");
	L("netstack_tcp_established_rto_seconds_bucket{le=\"+Inf\"} 0");
	L("netstack_tcp_established_congestion_window_segments_sum 0");
	L("netstack_tcp_established_delivery_rate_bytes_per_second_count 0");
	L("netstack_tcp_established_retransmitted_bytes 0");
	L("netstack_tcp_established_busy_seconds 0");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_local_port_established_rto");
}

/* A message whose INET_DIAG_INFO runs past the end of the dump. */
static void test_truncated(void **unused)
{
	struct nlmsghdr *nlh;

	info_sock(40001, &a, sizeof(struct tcp_info), 0);
	info_sock(40002, &b, sizeof(struct tcp_info), 0);
	nlh = (struct nlmsghdr *)(gen.buf + NLMSG_ALIGN(((struct nlmsghdr *)gen.buf)->nlmsg_len));
	nlh->nlmsg_len -= 100;
	gen.len -= 100;
	(void)run(NULL); /* whatever the verdict: no crash, and the first socket counted once */
	assert_true(tu_has_line(out.data, "netstack_tcp_established_rto_seconds_count 1") ||
		    tu_has_line(out.data, "netstack_tcp_established_rto_seconds_count 2"));
}

static int setup(void **unused)
{
	return tu_tmpdir_make(dir, sizeof(dir), "ns-test-tih");
}

static int teardown(void **unused)
{
	ns_buf_free(&out);
	return tu_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values),
	    cmocka_unit_test(test_overflow_port),
	    cmocka_unit_test(test_old_kernel_payloads),
	    cmocka_unit_test(test_empty_dump),
	    cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
