// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_tcp.c - the tcp collector on replayed sock_diag messages.
 *
 * Generated replays: inet_diag_msg messages are built here with libmnl and
 * written to a temporary replay directory as "4-18.nl" (NETLINK_SOCK_DIAG,
 * TCPDIAG_GETSOCK, the legacy request the collector sends); every expected
 * value is written out literally.
 *
 * Recorded replay: tests/fixtures/sockdiag/recorded/4-18.nl was recorded by
 * tests/fixtures/sockdiag/record.py from a namespace it built; the expected
 * values below are the ones `ss` printed for it (recorded/ss.txt).
 *
 * The procfs root is tests/fixtures/sockdiag/proc (ip_local_port_range
 * "32768 60999").
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "testutil.h"

extern const struct ns_collector ns_collector_tcp;

#define C ns_collector_tcp
#define PROC "sockdiag/proc"
#define TCP_NEW_SYN_RECV 12

static char replay_dir[PATH_MAX];
static struct tu_nlgen gen;
static struct ns_buf out;

static void put_addr(int family, const char *s, __be32 *dst)
{
	assert_int_equal(inet_pton(family, s, dst), 1);
}

/* One socket: "src" and "dst" are numeric addresses of @family. */
static struct nlmsghdr *sock_msg(int family, int state, const char *src, uint16_t sport,
				 const char *dst, uint16_t dport, uint32_t rq, uint32_t wq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

	nlh->nlmsg_type = TCPDIAG_GETSOCK;
	nlh->nlmsg_flags = NLM_F_MULTI;
	m->idiag_family = (uint8_t)family;
	m->idiag_state = (uint8_t)state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	put_addr(family, src, m->id.idiag_src);
	put_addr(family, dst, m->id.idiag_dst);
	m->idiag_rqueue = rq;
	m->idiag_wqueue = wq;
	return nlh;
}

static void sock(int family, int state, const char *src, uint16_t sport, const char *dst,
		 uint16_t dport, uint32_t rq, uint32_t wq)
{
	tu_nlgen_end(&gen, sock_msg(family, state, src, sport, dst, dport, rq, wq));
}

/* An AF_INET6 listener with INET_DIAG_SKV6ONLY as the kernel sends it. */
static void listener6(const char *addr, uint16_t port, int v6only, uint32_t q, uint32_t max)
{
	struct nlmsghdr *nlh = sock_msg(AF_INET6, TCP_LISTEN, addr, port, "::", 0, q, max);

	mnl_attr_put_u8(nlh, INET_DIAG_SHUTDOWN, 0);
	mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, (uint8_t)v6only);
	tu_nlgen_end(&gen, nlh);
}

static void done_msg(uint16_t nlflags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | nlflags;
	*p = 0;
	tu_nlgen_end(&gen, nlh);
}

static int setup(void **state)
{
	snprintf(replay_dir, sizeof(replay_dir), "%s/ns_test_tcp.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(replay_dir));
	return 0;
}

static int cleanup_files(void **state)
{
	static const char *const files[] = {"4-18.nl", "4-18.2.nl"};
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", replay_dir, files[i]);
		unlink(path);
	}
	memset(gen.buf, 0, sizeof(gen.buf));
	gen.len = 0;
	return 0;
}

static int teardown(void **state)
{
	cleanup_files(state);
	rmdir(replay_dir);
	ns_buf_free(&out);
	return 0;
}

static struct ns_opts *opts_new(void)
{
	struct ns_opts *o = ns_opts_new(C.name, C.options);

	assert_non_null(o);
	return o;
}

static void opt(struct ns_opts *o, const char *name, const char *value)
{
	struct ns_err e = {{0}};

	assert_int_equal(ns_opts_set(o, name, value, &e), 0);
}

static int run(const struct ns_opts *o)
{
	return tu_collect(&C, PROC, NULL, replay_dir, o, NS_FMT_TEXT, &out);
}

static unsigned count_prefix(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	unsigned c = 0;

	for (const char *p = text; p && *p;) {
		if (strncmp(p, prefix, n) == 0)
			c++;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return c;
}

static const char *const states[] = {"established", "syn_sent",	 "syn_recv", "fin_wait1",
				     "fin_wait2",   "time_wait", "close",    "close_wait",
				     "last_ack",    "listen",	 "closing"};

/* Every (family, state) series of netstack_tcp_connections has value 0 unless listed. */
static void assert_connections(const char *text, const char *const *nonzero, size_t n)
{
	char line[256];

	for (int f = 0; f < 2; f++) {
		for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
			const char *fam = f ? "ipv6" : "ipv4";
			bool listed = false;
			char prefix[128];

			snprintf(prefix, sizeof(prefix),
				 "netstack_tcp_connections{family=\"%s\",state=\"%s\"} ", fam,
				 states[s]);
			for (size_t i = 0; i < n; i++)
				if (strncmp(nonzero[i], prefix, strlen(prefix)) == 0)
					listed = true;
			if (listed)
				continue;
			snprintf(line, sizeof(line), "%s0", prefix);
			tu_assert_line(text, line);
		}
	}
	for (size_t i = 0; i < n; i++)
		tu_assert_line(text, nonzero[i]);
	assert_int_equal(count_prefix(text, "netstack_tcp_connections{"), 22);
}

/* A small host: listeners of every address kind, connections in several states. */
static void gen_host(void)
{
	/* IPv4 listener with 3 waiting in its accept queue, backlog 128. */
	sock(AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 3, 128);
	/* Two SO_REUSEPORT listeners on 127.0.0.1:8080: summed. */
	sock(AF_INET, TCP_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0, 1, 4);
	sock(AF_INET, TCP_LISTEN, "127.0.0.1", 8080, "0.0.0.0", 0, 2, 4);
	listener6("::", 80, 0, 0, 4096);	      /* dual stack: ss prints "*" */
	listener6("::", 443, 1, 5, 511);	      /* IPV6_V6ONLY: "::" */
	listener6("::1", 9100, 1, 0, 64);	      /* "::1" */
	listener6("::ffff:127.0.0.1", 9200, 0, 0, 8); /* "::ffff:127.0.0.1" */

	/* Server side of port 80 (v4 and v6), with queued bytes. */
	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.2", 40000, 100, 200);
	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.3", 40001, 0, 50);
	sock(AF_INET6, TCP_ESTABLISHED, "2001:db8::1", 80, "2001:db8::2", 40002, 7, 0);
	sock(AF_INET, TCP_TIME_WAIT, "10.0.0.1", 80, "10.0.0.4", 40003, 0, 0);
	/* A request socket (TCP_NEW_SYN_RECV) and a SYN_RECV one: both syn_recv. */
	sock(AF_INET, TCP_NEW_SYN_RECV, "10.0.0.1", 80, "10.0.0.5", 40004, 0, 0);
	sock(AF_INET, TCP_SYN_RECV, "10.0.0.1", 8080, "10.0.0.6", 40005, 0, 0);
	/* CLOSE_WAIT: one with unread data, one without. */
	sock(AF_INET, TCP_CLOSE_WAIT, "10.0.0.1", 443, "10.0.0.7", 40006, 1000, 0);
	sock(AF_INET, TCP_CLOSE_WAIT, "10.0.0.1", 443, "10.0.0.8", 40007, 0, 0);
	sock(AF_INET6, TCP_CLOSE_WAIT, "2001:db8::1", 443, "2001:db8::9", 40008, 33, 0);
	/* Client side: ephemeral ports toward a database and a cache. */
	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 33000, "10.0.1.1", 5432, 0, 0);
	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 33001, "10.0.1.1", 5432, 0, 0);
	sock(AF_INET, TCP_TIME_WAIT, "10.0.0.1", 33002, "10.0.1.1", 5432, 0, 0);
	sock(AF_INET, TCP_SYN_SENT, "10.0.0.1", 33003, "10.0.1.1", 5432, 0, 1);
	sock(AF_INET6, TCP_ESTABLISHED, "2001:db8::1", 50000, "2001:db8::6379", 6379, 0, 0);
	/* Below the ephemeral range: not counted as ephemeral. */
	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 1023, "10.0.1.2", 22, 0, 0);
	sock(AF_INET, TCP_FIN_WAIT1, "10.0.0.1", 33004, "10.0.1.3", 443, 0, 10);
	sock(AF_INET, TCP_FIN_WAIT2, "10.0.0.1", 33005, "10.0.1.3", 443, 0, 0);
	sock(AF_INET, TCP_LAST_ACK, "10.0.0.1", 443, "10.0.0.10", 40010, 0, 1);
	sock(AF_INET, TCP_CLOSING, "10.0.0.1", 443, "10.0.0.11", 40011, 0, 1);
	sock(AF_INET6, TCP_CLOSE, "::", 0, "::", 0, 0, 0);
	done_msg(0);
}

static const char *const host_connections[] = {
    "netstack_tcp_connections{family=\"ipv4\",state=\"listen\"} 3",
    "netstack_tcp_connections{family=\"ipv6\",state=\"listen\"} 4",
    "netstack_tcp_connections{family=\"ipv4\",state=\"established\"} 5",
    "netstack_tcp_connections{family=\"ipv6\",state=\"established\"} 2",
    "netstack_tcp_connections{family=\"ipv4\",state=\"time_wait\"} 2",
    "netstack_tcp_connections{family=\"ipv4\",state=\"syn_recv\"} 2",
    "netstack_tcp_connections{family=\"ipv4\",state=\"syn_sent\"} 1",
    "netstack_tcp_connections{family=\"ipv4\",state=\"close_wait\"} 2",
    "netstack_tcp_connections{family=\"ipv6\",state=\"close_wait\"} 1",
    "netstack_tcp_connections{family=\"ipv4\",state=\"fin_wait1\"} 1",
    "netstack_tcp_connections{family=\"ipv4\",state=\"fin_wait2\"} 1",
    "netstack_tcp_connections{family=\"ipv4\",state=\"last_ack\"} 1",
    "netstack_tcp_connections{family=\"ipv4\",state=\"closing\"} 1",
    "netstack_tcp_connections{family=\"ipv6\",state=\"close\"} 1",
};

static void test_host(void **state)
{
	struct ns_opts *o = opts_new();

	opt(o, "remote-ports", "5432");
	opt(o, "remote-ports", "6379");
	opt(o, "remote-ports", "443");
	gen_host();
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(o), 0);
	ns_opts_free(o);
	assert_connections(out.data, host_connections,
			   sizeof(host_connections) / sizeof(host_connections[0]));

	/* Queue bytes per state, listeners' queue values kept out. */
	tu_assert_line(
	    out.data,
	    "netstack_tcp_receive_queue_bytes{family=\"ipv4\",state=\"established\"} 100");
	tu_assert_line(out.data,
		       "netstack_tcp_send_queue_bytes{family=\"ipv4\",state=\"established\"} 250");
	tu_assert_line(out.data,
		       "netstack_tcp_receive_queue_bytes{family=\"ipv6\",state=\"established\"} 7");
	tu_assert_line(
	    out.data,
	    "netstack_tcp_receive_queue_bytes{family=\"ipv4\",state=\"close_wait\"} 1000");
	tu_assert_line(out.data,
		       "netstack_tcp_send_queue_bytes{family=\"ipv4\",state=\"syn_sent\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_send_queue_bytes{family=\"ipv4\",state=\"fin_wait1\"} 10");
	tu_assert_no_line_prefix(
	    out.data, "netstack_tcp_receive_queue_bytes{family=\"ipv4\",state=\"listen\"}");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_receive_queue_bytes{"), 20);
	tu_assert_line(out.data, "netstack_tcp_close_wait_unread_sockets{family=\"ipv4\"} 1");
	tu_assert_line(out.data, "netstack_tcp_close_wait_unread_sockets{family=\"ipv6\"} 1");
	tu_assert_line(out.data, "netstack_tcp_close_wait_unread_bytes{family=\"ipv4\"} 999");
	tu_assert_line(out.data, "netstack_tcp_close_wait_unread_bytes{family=\"ipv6\"} 32");

	/* Listeners, addresses as ss -n prints them, reuseport group summed. */
	tu_assert_line(out.data, "netstack_tcp_listener_queue_length{family=\"ipv4\","
				 "address=\"0.0.0.0\",port=\"80\"} 3");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv4\","
				 "address=\"0.0.0.0\",port=\"80\"} 128");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_length{family=\"ipv4\","
				 "address=\"127.0.0.1\",port=\"8080\"} 3");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv4\","
				 "address=\"127.0.0.1\",port=\"8080\"} 8");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv6\","
				 "address=\"*\",port=\"80\"} 4096");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_length{family=\"ipv6\","
				 "address=\"::\",port=\"443\"} 5");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv6\","
				 "address=\"::1\",port=\"9100\"} 64");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv6\","
				 "address=\"::ffff:127.0.0.1\",port=\"9200\"} 8");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_listener_queue_length{"), 6);
	tu_assert_line(out.data, "netstack_tcp_listening_ports 5");

	/* Server side per listening port: established always, others when non-zero. */
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"80\",state=\"established\"} 3");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"80\",state=\"time_wait\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"80\",state=\"syn_recv\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"8080\",state=\"syn_recv\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"443\",state=\"close_wait\"} 3");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"443\",state=\"last_ack\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"443\",state=\"closing\"} 1");
	tu_assert_line(
	    out.data, "netstack_tcp_local_port_connections{port=\"9100\",state=\"established\"} 0");
	tu_assert_no_line_prefix(
	    out.data, "netstack_tcp_local_port_connections{port=\"80\",state=\"fin_wait1\"}");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_local_port_connections{port=\"overflow\"");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_local_port_connections{"), 11);

	/* Client side per configured remote port. */
	tu_assert_line(
	    out.data,
	    "netstack_tcp_remote_port_connections{port=\"5432\",state=\"established\"} 2");
	tu_assert_line(out.data,
		       "netstack_tcp_remote_port_connections{port=\"5432\",state=\"time_wait\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_remote_port_connections{port=\"5432\",state=\"syn_sent\"} 1");
	tu_assert_line(
	    out.data,
	    "netstack_tcp_remote_port_connections{port=\"6379\",state=\"established\"} 1");
	tu_assert_line(
	    out.data, "netstack_tcp_remote_port_connections{port=\"443\",state=\"established\"} 0");
	tu_assert_line(out.data,
		       "netstack_tcp_remote_port_connections{port=\"443\",state=\"fin_wait1\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_remote_port_connections{port=\"443\",state=\"fin_wait2\"} 1");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_remote_port_connections{"), 7);

	/* Ephemeral: local ports 32768..60999 that are not listening ports. */
	tu_assert_line(out.data, "netstack_tcp_ephemeral_port_range_size 28232");
	tu_assert_line(out.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv4\","
				 "destination=\"10.0.1.1\",port=\"5432\"} 4");
	tu_assert_line(out.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv4\","
				 "destination=\"10.0.1.3\",port=\"443\"} 2");
	tu_assert_line(out.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv6\","
				 "destination=\"2001:db8::6379\",port=\"6379\"} 1");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_ephemeral_ports_in_use{"), 3);
	/* No tcp_info metrics unless asked for. */
	tu_assert_no_line_prefix(out.data, "netstack_tcp_established_rtt_seconds");
}

/* Only NLMSG_DONE; then a file with nothing at all. */
static void test_empty_dump(void **state)
{
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(NULL), 0);
	assert_connections(out.data, NULL, 0);
	tu_assert_line(out.data, "netstack_tcp_listening_ports 0");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_listener_queue_length");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_local_port_connections");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_ephemeral_ports_in_use");
	tu_assert_line(out.data, "netstack_tcp_close_wait_unread_sockets{family=\"ipv6\"} 0");

	tu_nlgen_write(&gen, replay_dir, "4-18.nl"); /* zero bytes */
	assert_int_equal(run(NULL), 0);
	assert_connections(out.data, NULL, 0);
}

/* A message cut short: the netlink layer refuses it, what came before is emitted. */
static void test_truncated(void **state)
{
	struct nlmsghdr *nlh;

	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.2", 1, 0, 0);
	nlh = sock_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.3", 2, 0, 0);
	gen.len += nlh->nlmsg_len - 20; /* the file ends 20 bytes into the message */
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(NULL), -EBADMSG);
	tu_assert_line(out.data,
		       "netstack_tcp_connections{family=\"ipv4\",state=\"established\"} 1");
}

/* A well-framed message whose payload is shorter than inet_diag_msg: skipped, reported. */
static void test_short_payload(void **state)
{
	struct nlmsghdr *nlh;

	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.2", 1, 0, 0);
	nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	nlh->nlmsg_type = TCPDIAG_GETSOCK;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memset(mnl_nlmsg_put_extra_header(nlh, 40), 0x01, 40);
	tu_nlgen_end(&gen, nlh);
	sock(AF_INET6, TCP_ESTABLISHED, "::1", 80, "::1", 2, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(NULL), -EBADMSG);
	tu_assert_line(out.data,
		       "netstack_tcp_connections{family=\"ipv4\",state=\"established\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_connections{family=\"ipv6\",state=\"established\"} 1");
}

/*
 * Unknown attributes (a type above INET_DIAG_MAX, a future one inside the
 * range), an unknown family and an unknown state change nothing.
 */
static void test_unknown(void **state)
{
	struct nlmsghdr *nlh;
	uint8_t junk[13] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};

	nlh = sock_msg(AF_INET6, TCP_LISTEN, "::", 22, "::", 0, 1, 10);
	mnl_attr_put(nlh, 250, sizeof(junk), junk);
	mnl_attr_put(nlh, INET_DIAG_MAX, 3, junk);
	mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, 0);
	tu_nlgen_end(&gen, nlh);
	nlh = sock_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 22, "10.0.0.2", 5, 0, 0);
	mnl_attr_put(nlh, 0x7fff, 4, junk);
	tu_nlgen_end(&gen, nlh);
	nlh = sock_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 22, "10.0.0.2", 6, 0, 0);
	((struct inet_diag_msg *)mnl_nlmsg_get_payload(nlh))->idiag_family = AF_UNIX;
	tu_nlgen_end(&gen, nlh);
	sock(AF_INET, 13, "10.0.0.1", 22, "10.0.0.2", 7, 0, 0); /* a state after 12 */
	sock(AF_INET, 0, "10.0.0.1", 22, "10.0.0.2", 8, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(NULL), 0);
	tu_assert_line(out.data, "netstack_tcp_connections{family=\"ipv6\",state=\"listen\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_connections{family=\"ipv4\",state=\"established\"} 1");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_length{family=\"ipv6\","
				 "address=\"*\",port=\"22\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"22\",state=\"established\"} 1");
}

/* NLM_F_DUMP_INTR: the partial results are dropped, the restart's counted once. */
static void test_dump_intr(void **state)
{
	struct nlmsghdr *nlh;

	sock(AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 9, 9);
	nlh = sock_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.2", 40000, 0, 0);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	tu_nlgen_end(&gen, nlh);
	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 40000, "10.0.0.2", 5432, 0, 0);
	done_msg(NLM_F_DUMP_INTR);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	sock(AF_INET, TCP_LISTEN, "0.0.0.0", 81, "0.0.0.0", 0, 1, 2);
	sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 81, "10.0.0.2", 40000, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.2.nl");
	assert_int_equal(run(NULL), 0);
	tu_assert_line(out.data, "netstack_tcp_connections{family=\"ipv4\",state=\"listen\"} 1");
	tu_assert_line(out.data,
		       "netstack_tcp_connections{family=\"ipv4\",state=\"established\"} 1");
	tu_assert_line(out.data, "netstack_tcp_listening_ports 1");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_length{family=\"ipv4\","
				 "address=\"0.0.0.0\",port=\"81\"} 1");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_listener_queue_length{family=\"ipv4\","
					   "address=\"0.0.0.0\",port=\"80\"}");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_connections{port=\"81\",state=\"established\"} 1");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_local_port_connections{port=\"80\"");
	tu_assert_no_line_prefix(out.data, "netstack_tcp_ephemeral_ports_in_use");

	/* A dump that stays interrupted fails the scrape. */
	cleanup_files(state);
	nlh = sock_msg(AF_INET, TCP_ESTABLISHED, "10.0.0.1", 80, "10.0.0.2", 40000, 0, 0);
	nlh->nlmsg_flags |= NLM_F_DUMP_INTR;
	tu_nlgen_end(&gen, nlh);
	done_msg(NLM_F_DUMP_INTR);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(NULL), -EINTR);
}

/* More listening ports than max-ports: one overflow bucket, not more series. */
static void test_port_cap(void **state)
{
	struct ns_opts *o = opts_new();
	char src[32];

	opt(o, "max-ports", "3");
	for (int p = 1; p <= 10; p++) {
		sock(AF_INET, TCP_LISTEN, "0.0.0.0", (uint16_t)(1000 + p), "0.0.0.0", 0, 1, 16);
		listener6("::1", (uint16_t)(1000 + p), 1, 0, 16);
	}
	/* p connections on port 1000 + p. */
	for (int p = 1; p <= 10; p++) {
		for (int i = 0; i < p; i++) {
			snprintf(src, sizeof(src), "10.1.%d.%d", p, i + 1);
			sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", (uint16_t)(1000 + p), src, 40000,
			     0, 0);
		}
	}
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(o), 0);
	ns_opts_free(o);
	tu_assert_line(out.data, "netstack_tcp_listening_ports 10");
	tu_assert_line(
	    out.data, "netstack_tcp_local_port_connections{port=\"1001\",state=\"established\"} 1");
	tu_assert_line(
	    out.data, "netstack_tcp_local_port_connections{port=\"1002\",state=\"established\"} 2");
	tu_assert_line(
	    out.data, "netstack_tcp_local_port_connections{port=\"1003\",state=\"established\"} 3");
	/* 4 + 5 + ... + 10 */
	tu_assert_line(out.data, "netstack_tcp_local_port_connections{port=\"overflow\","
				 "state=\"established\"} 49");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_local_port_connections{"), 4);
	/* Listeners of the 3 tracked ports one by one (v4 and v6), the rest per family. */
	assert_int_equal(count_prefix(out.data, "netstack_tcp_listener_queue_length{"), 8);
	tu_assert_line(out.data, "netstack_tcp_listener_queue_length{family=\"ipv4\","
				 "address=\"overflow\",port=\"overflow\"} 7");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv4\","
				 "address=\"overflow\",port=\"overflow\"} 112");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv6\","
				 "address=\"overflow\",port=\"overflow\"} 112");
	tu_assert_line(out.data, "netstack_tcp_listener_queue_max{family=\"ipv6\","
				 "address=\"::1\",port=\"1002\"} 16");
}

/*
 * Ephemeral ports: top-k ordering, ties broken by address, and a table that
 * overflows (more destinations than its 256 entries) still finds the heavy one.
 */
static void test_ephemeral(void **state)
{
	struct ns_opts *o = opts_new();
	char dst[32];
	uint16_t port = 33000;

	opt(o, "ephemeral-top-k", "2");
	/* 300 destinations with one socket each, then a heavy one with 40. */
	for (int i = 0; i < 300; i++) {
		snprintf(dst, sizeof(dst), "10.2.%d.%d", i / 200, i % 200 + 1);
		sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", port++, dst, 443, 0, 0);
	}
	for (int i = 0; i < 40; i++)
		sock(AF_INET, i % 2 ? TCP_TIME_WAIT : TCP_ESTABLISHED, "10.0.0.1", port++,
		     "192.0.2.1", 5432, 0, 0);
	for (int i = 0; i < 20; i++)
		sock(AF_INET6, TCP_ESTABLISHED, "2001:db8::1", port++, "2001:db8::53", 53, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(o), 0);
	ns_opts_free(o);
	tu_assert_line(out.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv4\","
				 "destination=\"192.0.2.1\",port=\"5432\"} 40");
	/* Arrived after the table was full, never evicted: still exact. */
	tu_assert_line(out.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv6\","
				 "destination=\"2001:db8::53\",port=\"53\"} 20");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_ephemeral_ports_in_use{"), 2);

	/* Exact while the table has room: 3 destinations, top 2, tie broken by address. */
	cleanup_files(state);
	o = opts_new();
	opt(o, "ephemeral-top-k", "2");
	port = 40000;
	for (int i = 0; i < 5; i++)
		sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", port++, "10.9.0.2", 80, 0, 0);
	for (int i = 0; i < 5; i++)
		sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", port++, "10.9.0.1", 80, 0, 0);
	for (int i = 0; i < 4; i++)
		sock(AF_INET, TCP_ESTABLISHED, "10.0.0.1", port++, "10.9.0.3", 80, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(o), 0);
	ns_opts_free(o);
	tu_assert_line(out.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv4\","
				 "destination=\"10.9.0.1\",port=\"80\"} 5");
	tu_assert_line(out.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv4\","
				 "destination=\"10.9.0.2\",port=\"80\"} 5");
	assert_int_equal(count_prefix(out.data, "netstack_tcp_ephemeral_ports_in_use{"), 2);
}

static void info_sock(int state, uint16_t sport, uint32_t rtt_us, uint32_t retrans, uint32_t lost,
		      size_t len)
{
	struct nlmsghdr *nlh = sock_msg(AF_INET, state, "10.0.0.1", sport, "10.0.0.2", 1, 0, 0);
	struct tcp_info ti;

	memset(&ti, 0, sizeof(ti));
	ti.tcpi_rtt = rtt_us;
	ti.tcpi_total_retrans = retrans;
	ti.tcpi_lost = lost;
	mnl_attr_put(nlh, INET_DIAG_INFO, len, &ti);
	tu_nlgen_end(&gen, nlh);
}

static void test_tcp_info(void **state)
{
	struct ns_opts *o = opts_new();

	opt(o, "tcp-info", "true");
	sock(AF_INET, TCP_LISTEN, "0.0.0.0", 80, "0.0.0.0", 0, 0, 10);
	info_sock(TCP_ESTABLISHED, 80, 50, 1, 0, sizeof(struct tcp_info));	   /* <= 100us */
	info_sock(TCP_ESTABLISHED, 80, 100, 2, 1, sizeof(struct tcp_info));	   /* <= 100us */
	info_sock(TCP_ESTABLISHED, 33000, 30000, 4, 2, sizeof(struct tcp_info));   /* <= 50ms */
	info_sock(TCP_ESTABLISHED, 33001, 9000000, 0, 0, sizeof(struct tcp_info)); /* +Inf */
	/* Not established: ignored. An attribute too short for the counters: ignored. */
	info_sock(TCP_CLOSE_WAIT, 80, 10, 100, 100, sizeof(struct tcp_info));
	info_sock(TCP_ESTABLISHED, 80, 10, 100, 100, 40);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(run(o), 0);
	ns_opts_free(o);
	tu_assert_line(out.data, "netstack_tcp_established_rtt_seconds_bucket{le=\"0.0001\"} 2");
	tu_assert_line(out.data, "netstack_tcp_established_rtt_seconds_bucket{le=\"0.025\"} 2");
	tu_assert_line(out.data, "netstack_tcp_established_rtt_seconds_bucket{le=\"0.05\"} 3");
	tu_assert_line(out.data, "netstack_tcp_established_rtt_seconds_bucket{le=\"5\"} 3");
	tu_assert_line(out.data, "netstack_tcp_established_rtt_seconds_bucket{le=\"+Inf\"} 4");
	tu_assert_line(out.data, "netstack_tcp_established_rtt_seconds_count 4");
	tu_assert_line(out.data, "netstack_tcp_established_rtt_seconds_sum 9.03015");
	tu_assert_line(out.data, "netstack_tcp_established_retransmitted_segments 7");
	tu_assert_line(out.data, "netstack_tcp_established_lost_segments 3");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_established_rtt_seconds_bucket{port=\"80\","
		       "le=\"0.0001\"} 2");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_established_rtt_seconds_count{port=\"80\"} 2");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_established_retransmitted_segments{port=\"80\"} 3");
	tu_assert_line(out.data,
		       "netstack_tcp_local_port_established_lost_segments{port=\"80\"} 1");
}

/* No ip_local_port_range: everything but the ephemeral metrics, and an error. */
static void test_no_port_range(void **state)
{
	gen_host();
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	assert_int_equal(tu_collect(&C, "sockdiag", NULL, replay_dir, NULL, NS_FMT_TEXT, &out),
			 -ENOENT);
	assert_connections(out.data, host_connections,
			   sizeof(host_connections) / sizeof(host_connections[0]));
	tu_assert_no_line_prefix(out.data, "netstack_tcp_ephemeral");
}

static void test_bad_options(void **state)
{
	struct ns_opts *o = opts_new();

	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "4-18.nl");
	opt(o, "remote-ports", "70000");
	assert_int_equal(run(o), -EINVAL);
	ns_opts_free(o);
	o = opts_new();
	opt(o, "ephemeral-top-k", "100000");
	assert_int_equal(run(o), -EINVAL);
	ns_opts_free(o);
}

/* The dump recorded by tests/fixtures/sockdiag/record.py (see recorded/ss.txt). */
static void test_recorded(void **state)
{
	static const char *const want[] = {
	    "netstack_tcp_connections{family=\"ipv4\",state=\"listen\"} 1",
	    "netstack_tcp_connections{family=\"ipv6\",state=\"listen\"} 2",
	    "netstack_tcp_connections{family=\"ipv4\",state=\"established\"} 14",
	    "netstack_tcp_connections{family=\"ipv6\",state=\"established\"} 2",
	    "netstack_tcp_connections{family=\"ipv4\",state=\"time_wait\"} 1",
	    "netstack_tcp_connections{family=\"ipv4\",state=\"close_wait\"} 1",
	    "netstack_tcp_connections{family=\"ipv4\",state=\"fin_wait2\"} 1",
	};
	struct ns_buf r = NS_BUF_INIT;
	int rc;

	rc = tu_collect(&C, PROC, NULL, "sockdiag/recorded", NULL, NS_FMT_TEXT, &r);
	assert_int_equal(rc, 0);
	assert_connections(r.data, want, sizeof(want) / sizeof(want[0]));
	tu_assert_line(r.data, "netstack_tcp_listener_queue_length{family=\"ipv4\","
			       "address=\"127.0.0.1\",port=\"8080\"} 5");
	tu_assert_line(r.data, "netstack_tcp_listener_queue_max{family=\"ipv4\","
			       "address=\"127.0.0.1\",port=\"8080\"} 4");
	tu_assert_line(r.data, "netstack_tcp_listener_queue_max{family=\"ipv6\","
			       "address=\"*\",port=\"9090\"} 16");
	tu_assert_line(r.data, "netstack_tcp_listener_queue_max{family=\"ipv6\","
			       "address=\"::\",port=\"9091\"} 8");
	tu_assert_line(r.data, "netstack_tcp_receive_queue_bytes{family=\"ipv4\","
			       "state=\"close_wait\"} 6");
	tu_assert_line(r.data, "netstack_tcp_close_wait_unread_bytes{family=\"ipv4\"} 5");
	tu_assert_line(r.data, "netstack_tcp_close_wait_unread_sockets{family=\"ipv4\"} 1");
	tu_assert_line(r.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv4\","
			       "destination=\"127.0.0.1\",port=\"8080\"} 9");
	tu_assert_line(r.data, "netstack_tcp_ephemeral_ports_in_use{family=\"ipv6\","
			       "destination=\"::1\",port=\"9090\"} 1");
	tu_assert_line(
	    r.data, "netstack_tcp_local_port_connections{port=\"8080\",state=\"established\"} 7");
	tu_assert_line(r.data,
		       "netstack_tcp_local_port_connections{port=\"8080\",state=\"close_wait\"} 1");
	tu_assert_line(
	    r.data, "netstack_tcp_local_port_connections{port=\"9090\",state=\"established\"} 1");
	ns_buf_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_host, cleanup_files),
	    cmocka_unit_test_teardown(test_empty_dump, cleanup_files),
	    cmocka_unit_test_teardown(test_truncated, cleanup_files),
	    cmocka_unit_test_teardown(test_short_payload, cleanup_files),
	    cmocka_unit_test_teardown(test_unknown, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_intr, cleanup_files),
	    cmocka_unit_test_teardown(test_port_cap, cleanup_files),
	    cmocka_unit_test_teardown(test_ephemeral, cleanup_files),
	    cmocka_unit_test_teardown(test_tcp_info, cleanup_files),
	    cmocka_unit_test_teardown(test_no_port_range, cleanup_files),
	    cmocka_unit_test_teardown(test_bad_options, cleanup_files),
	    cmocka_unit_test(test_recorded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
