// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_udp.c - the udp collector on replayed sock_diag messages.
 *
 * The collector sends two SOCK_DIAG_BY_FAMILY dumps (AF_INET, AF_INET6); in
 * replay mode each reads its own subdirectory: "inet-udp/4-20.nl" and
 * "inet6-udp/4-20.nl" (see src/sockdiag.h). Messages are generated here;
 * tests/fixtures/sockdiag/recorded holds a dump recorded by
 * tests/fixtures/sockdiag/record.py with what ss printed for it (ss.txt).
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
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "testutil.h"

extern const struct ns_collector ns_collector_udp;

#define C ns_collector_udp
#define PROC "sockdiag/proc"

static char replay_dir[PATH_MAX];
static struct tu_nlgen gen;
static struct ns_buf out;

/* A UDP socket; drops/rcvbuf < 0 leave SK_MEMINFO out; memlen cuts it short. */
static void usock(int family, const char *src, uint16_t sport, const char *dst, uint16_t dport,
		  uint32_t rq, long rcvbuf, long drops, size_t memlen, int v6only, uint16_t nlflags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));
	uint32_t mem[SK_MEMINFO_VARS];

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_MULTI | nlflags;
	m->idiag_family = (uint8_t)family;
	m->idiag_state = dport ? 1 : 7; /* TCP_ESTABLISHED when connected, else TCP_CLOSE */
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	assert_int_equal(inet_pton(family, src, m->id.idiag_src), 1);
	assert_int_equal(inet_pton(family, dst, m->id.idiag_dst), 1);
	m->idiag_rqueue = rq;
	if (family == AF_INET6)
		mnl_attr_put_u8(nlh, INET_DIAG_SKV6ONLY, (uint8_t)v6only);
	if (drops >= 0) {
		memset(mem, 0, sizeof(mem));
		mem[SK_MEMINFO_RMEM_ALLOC] = rq;
		mem[SK_MEMINFO_RCVBUF] = (uint32_t)rcvbuf;
		mem[SK_MEMINFO_DROPS] = (uint32_t)drops;
		mnl_attr_put(nlh, INET_DIAG_SKMEMINFO, memlen, mem);
	}
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

static const char *const files[] = {"inet-udp/4-20.nl", "inet6-udp/4-20.nl", "inet-udp/4-20.2.nl",
				    "inet6-udp/4-20.2.nl"};

static int setup(void **state)
{
	char path[PATH_MAX + 64];

	snprintf(replay_dir, sizeof(replay_dir), "%s/ns_test_udp.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(replay_dir));
	snprintf(path, sizeof(path), "%s/inet-udp", replay_dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/inet6-udp", replay_dir);
	assert_int_equal(mkdir(path, 0700), 0);
	return 0;
}

static int cleanup_files(void **state)
{
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
	char path[PATH_MAX + 64];

	cleanup_files(state);
	snprintf(path, sizeof(path), "%s/inet-udp", replay_dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/inet6-udp", replay_dir);
	rmdir(path);
	rmdir(replay_dir);
	ns_buf_free(&out);
	return 0;
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

#define FULL (SK_MEMINFO_VARS * sizeof(uint32_t))

/* Assert the four series of one (family, address, port). */
static void assert_port(const char *text, const char *fam, const char *addr, const char *port,
			unsigned long sockets, unsigned long rq, unsigned long rcvbuf,
			unsigned long drops)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "netstack_udp_sockets{family=\"%s\",address=\"%s\",port=\"%s\"} %lu", fam, addr,
		 port, sockets);
	tu_assert_line(text, line);
	snprintf(line, sizeof(line),
		 "netstack_udp_receive_queue_bytes{family=\"%s\",address=\"%s\",port=\"%s\"} %lu",
		 fam, addr, port, rq);
	tu_assert_line(text, line);
	snprintf(line, sizeof(line),
		 "netstack_udp_receive_buffer_bytes{family=\"%s\",address=\"%s\",port=\"%s\"} %lu",
		 fam, addr, port, rcvbuf);
	tu_assert_line(text, line);
	snprintf(line, sizeof(line),
		 "netstack_udp_drops_total{family=\"%s\",address=\"%s\",port=\"%s\"} %lu", fam,
		 addr, port, drops);
	tu_assert_line(text, line);
}

static void test_ports(void **state)
{
	/* Two SO_REUSEPORT sockets on 0.0.0.0:53 (summed), a resolver socket. */
	usock(AF_INET, "0.0.0.0", 53, "0.0.0.0", 0, 768, 212992, 5, FULL, 0, 0);
	usock(AF_INET, "0.0.0.0", 53, "0.0.0.0", 0, 0, 212992, 2, FULL, 0, 0);
	usock(AF_INET, "127.0.0.53", 53, "0.0.0.0", 0, 0, 106496, 0, FULL, 0, 0);
	/* Connected clients on ephemeral ports: one bucket. */
	usock(AF_INET, "10.0.0.1", 40000, "10.0.0.53", 53, 100, 1000, 1, FULL, 0, 0);
	usock(AF_INET, "10.0.0.1", 40001, "10.0.0.53", 53, 200, 1000, 3, FULL, 0, 0);
	/* Connected, but on a port below the range: its own series. */
	usock(AF_INET, "10.0.0.1", 123, "10.0.0.99", 123, 0, 4096, 0, FULL, 0, 0);
	/* Unconnected on an ephemeral port (WireGuard, say): its own series. */
	usock(AF_INET, "0.0.0.0", 51820, "0.0.0.0", 0, 0, 4096, 9, FULL, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet-udp/4-20.nl");
	usock(AF_INET6, "::", 5353, "::", 0, 0, 212992, 0, FULL, 0, 0); /* "*" */
	usock(AF_INET6, "::", 5354, "::", 0, 0, 212992, 0, FULL, 1, 0); /* "::" */
	usock(AF_INET6, "fe80::1", 546, "::", 0, 0, 212992, 4294967295, FULL, 1, 0);
	usock(AF_INET6, "2001:db8::1", 45000, "2001:db8::53", 53, 0, 1, 7, FULL, 1, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet6-udp/4-20.nl");
	assert_int_equal(run(NULL), 0);
	assert_port(out.data, "ipv4", "0.0.0.0", "53", 2, 768, 425984, 7);
	assert_port(out.data, "ipv4", "127.0.0.53", "53", 1, 0, 106496, 0);
	assert_port(out.data, "ipv4", "ephemeral", "ephemeral", 2, 300, 2000, 4);
	assert_port(out.data, "ipv4", "10.0.0.1", "123", 1, 0, 4096, 0);
	assert_port(out.data, "ipv4", "0.0.0.0", "51820", 1, 0, 4096, 9);
	assert_port(out.data, "ipv6", "*", "5353", 1, 0, 212992, 0);
	assert_port(out.data, "ipv6", "::", "5354", 1, 0, 212992, 0);
	assert_port(out.data, "ipv6", "fe80::1", "546", 1, 0, 212992, 4294967295);
	assert_port(out.data, "ipv6", "ephemeral", "ephemeral", 1, 0, 1, 7);
	assert_int_equal(count_prefix(out.data, "netstack_udp_sockets{"), 9);
	tu_assert_no_line_prefix(out.data,
				 "netstack_udp_sockets{family=\"ipv4\",address=\"overflow\","
				 "port=\"overflow\"}");
}

/* More (address, port) pairs than max-ports: the overflow bucket per family. */
static void test_cap(void **state)
{
	struct ns_opts *o = ns_opts_new(C.name, C.options);
	struct ns_err e = {{0}};

	assert_int_equal(ns_opts_set(o, "max-ports", "3", &e), 0);
	for (int p = 0; p < 10; p++)
		usock(AF_INET, "0.0.0.0", (uint16_t)(7000 + p), "0.0.0.0", 0, 10, 100, 1, FULL, 0,
		      0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet-udp/4-20.nl");
	for (int p = 0; p < 2; p++)
		usock(AF_INET6, "::1", (uint16_t)(7000 + p), "::", 0, 1, 100, 2, FULL, 1, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet6-udp/4-20.nl");
	assert_int_equal(run(o), 0);
	ns_opts_free(o);
	assert_port(out.data, "ipv4", "0.0.0.0", "7000", 1, 10, 100, 1);
	assert_port(out.data, "ipv4", "0.0.0.0", "7002", 1, 10, 100, 1);
	assert_port(out.data, "ipv4", "overflow", "overflow", 7, 70, 700, 7);
	assert_port(out.data, "ipv6", "overflow", "overflow", 2, 2, 200, 4);
	assert_int_equal(count_prefix(out.data, "netstack_udp_sockets{"), 5);
	assert_int_equal(count_prefix(out.data, "netstack_udp_drops_total{"), 5);
}

/* SK_MEMINFO missing or too short for a field: that field is not added. */
static void test_short_meminfo(void **state)
{
	usock(AF_INET, "0.0.0.0", 9, "0.0.0.0", 0, 5, 100, 50, FULL, 0, 0);
	/* Up to RCVBUF only: no drops. */
	usock(AF_INET, "0.0.0.0", 9, "0.0.0.0", 0, 5, 100, 50,
	      (SK_MEMINFO_RCVBUF + 1) * sizeof(uint32_t), 0, 0);
	usock(AF_INET, "0.0.0.0", 9, "0.0.0.0", 0, 5, 100, -1, 0, 0, 0); /* no attribute */
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet-udp/4-20.nl");
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet6-udp/4-20.nl");
	assert_int_equal(run(NULL), 0);
	assert_port(out.data, "ipv4", "0.0.0.0", "9", 3, 15, 200, 50);
}

/* NLM_F_DUMP_INTR in the IPv6 dump: IPv4 results stay, IPv6 ones come from the restart. */
static void test_dump_intr(void **state)
{
	usock(AF_INET, "0.0.0.0", 53, "0.0.0.0", 0, 0, 100, 1, FULL, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet-udp/4-20.nl");
	usock(AF_INET6, "::", 53, "::", 0, 0, 100, 1, FULL, 1, 0);
	usock(AF_INET6, "::", 54, "::", 0, 0, 100, 1, FULL, 1, NLM_F_DUMP_INTR);
	done_msg(NLM_F_DUMP_INTR);
	tu_nlgen_write(&gen, replay_dir, "inet6-udp/4-20.nl");
	usock(AF_INET6, "::", 53, "::", 0, 0, 100, 2, FULL, 1, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet6-udp/4-20.2.nl");
	assert_int_equal(run(NULL), 0);
	assert_port(out.data, "ipv4", "0.0.0.0", "53", 1, 0, 100, 1);
	assert_port(out.data, "ipv6", "::", "53", 1, 0, 100, 2);
	assert_int_equal(count_prefix(out.data, "netstack_udp_sockets{"), 2);
}

/* Empty dumps: no series, success. A missing replay file: an error. */
static void test_empty_and_missing(void **state)
{
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet-udp/4-20.nl");
	tu_nlgen_write(&gen, replay_dir, "inet6-udp/4-20.nl"); /* zero bytes */
	assert_int_equal(run(NULL), 0);
	tu_assert_no_line_prefix(out.data, "netstack_udp_sockets{");

	cleanup_files(state);
	usock(AF_INET, "0.0.0.0", 53, "0.0.0.0", 0, 0, 100, 1, FULL, 0, 0);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet-udp/4-20.nl");
	assert_int_equal(run(NULL), -ENOENT);
	assert_port(out.data, "ipv4", "0.0.0.0", "53", 1, 0, 100, 1);
}

/* A truncated message and unknown attributes. */
static void test_malformed(void **state)
{
	struct nlmsghdr *nlh;
	uint8_t junk[6] = {0};

	usock(AF_INET, "0.0.0.0", 53, "0.0.0.0", 0, 0, 100, 1, FULL, 0, 0);
	/* An attribute of unknown type appended to a second socket. */
	nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	{
		struct inet_diag_msg *m = mnl_nlmsg_put_extra_header(nlh, sizeof(*m));

		nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
		m->idiag_family = AF_INET;
		m->idiag_state = 7;
		m->id.idiag_sport = htons(53);
		mnl_attr_put(nlh, 300, sizeof(junk), junk);
		mnl_attr_put(nlh, INET_DIAG_MAX + 1, sizeof(junk), junk);
	}
	tu_nlgen_end(&gen, nlh);
	done_msg(0);
	tu_nlgen_write(&gen, replay_dir, "inet-udp/4-20.nl");
	/* IPv6: one good socket, then a message cut short by the end of the file. */
	usock(AF_INET6, "::", 53, "::", 0, 0, 100, 1, FULL, 1, 0);
	usock(AF_INET6, "::", 54, "::", 0, 0, 100, 1, FULL, 1, 0);
	gen.len -= 16;
	tu_nlgen_write(&gen, replay_dir, "inet6-udp/4-20.nl");
	assert_int_equal(run(NULL), -EBADMSG);
	assert_port(out.data, "ipv4", "0.0.0.0", "53", 2, 0, 100, 1);
	assert_port(out.data, "ipv6", "::", "53", 1, 0, 100, 1);
}

/* Recorded by tests/fixtures/sockdiag/record.py; values as in recorded/ss.txt. */
static void test_recorded(void **state)
{
	struct ns_buf r = NS_BUF_INIT;

	assert_int_equal(tu_collect(&C, PROC, NULL, "sockdiag/recorded", NULL, NS_FMT_TEXT, &r), 0);
	assert_port(r.data, "ipv4", "0.0.0.0", "5353", 2, 0, 425984, 0);
	assert_port(r.data, "ipv4", "127.0.0.1", "6000", 1, 1280, 2304, 63);
	assert_port(r.data, "ipv4", "ephemeral", "ephemeral", 1, 0, 212992, 0);
	assert_port(r.data, "ipv6", "::", "5353", 1, 0, 212992, 0);
	assert_int_equal(count_prefix(r.data, "netstack_udp_sockets{"), 4);
	ns_buf_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_ports, cleanup_files),
	    cmocka_unit_test_teardown(test_cap, cleanup_files),
	    cmocka_unit_test_teardown(test_short_meminfo, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_intr, cleanup_files),
	    cmocka_unit_test_teardown(test_empty_and_missing, cleanup_files),
	    cmocka_unit_test_teardown(test_malformed, cleanup_files),
	    cmocka_unit_test(test_recorded),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
