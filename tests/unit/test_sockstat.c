// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_sockstat.c - the sockstat collector against fixture trees
 * (tests/fixtures/proc/{debian12,sockstat-*}) and the live /proc.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"
#include "testutil.h"

extern const struct ns_collector ns_collector_sockstat;

#define C (&ns_collector_sockstat)

static long page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

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

/* The value of sample @series in @text; fails the test if absent. */
static long long value_of(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *p = text; p && *p;) {
		if (strncmp(p, series, n) == 0 && p[n] == ' ')
			return strtoll(p + n + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	fail_msg("no sample %s in output:\n%s", series, text);
	return 0;
}

/* Assert the line "@name <@v>". */
static void assert_sample(const char *text, const char *name, long long v)
{
	char line[256];
	int n = snprintf(line, sizeof(line), "%s %lld", name, v);

	assert_true(n > 0 && (size_t)n < sizeof(line));
	tu_assert_line(text, line);
}

static void test_debian12(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;
	long ps = page_size();

	assert_int_equal(tu_collect(C, "proc/debian12", NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	/* Values from tests/fixtures/proc/debian12/net/sockstat{,6}. */
	tu_assert_line(out.data, "netstack_sockstat_sockets_used 15");
	tu_assert_line(out.data, "netstack_sockstat_tcp_inuse 1");
	tu_assert_line(out.data, "netstack_sockstat_tcp_orphan 0");
	tu_assert_line(out.data, "netstack_sockstat_tcp_tw 573");
	tu_assert_line(out.data, "netstack_sockstat_tcp_alloc 1");
	tu_assert_line(out.data, "netstack_sockstat_tcp_mem 254");
	assert_sample(out.data, "netstack_sockstat_tcp_mem_bytes", 254LL * ps);
	tu_assert_line(out.data, "netstack_sockstat_udp_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_udp_mem 0");
	tu_assert_line(out.data, "netstack_sockstat_udp_mem_bytes 0");
	tu_assert_line(out.data, "netstack_sockstat_udplite_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_raw_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_frag_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_frag_memory_bytes 0");
	tu_assert_line(out.data, "netstack_sockstat_tcp6_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_udp6_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_udplite6_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_raw6_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_frag6_inuse 0");
	tu_assert_line(out.data, "netstack_sockstat_frag6_memory_bytes 0");
	/* FRAG memory is bytes already: no page-based twin. */
	tu_assert_no_line_prefix(out.data, "netstack_sockstat_frag_memory ");
	tu_assert_line(out.data, "# TYPE netstack_sockstat_tcp_mem_bytes gauge");
	tu_assert_line(out.data, "# HELP netstack_sockstat_tcp_mem Value of TCP: mem in "
				 "/proc/net/sockstat, in pages.");
	tu_assert_line(out.data, "# HELP netstack_sockstat_tcp_mem_bytes Value of TCP: mem in "
				 "/proc/net/sockstat (pages) times the page size, in bytes.");
	tu_assert_line(out.data, "# HELP netstack_sockstat_tcp6_inuse Value of TCP6: inuse in "
				 "/proc/net/sockstat6.");
	tu_assert_line(out.data, "# HELP netstack_sockstat_frag6_memory_bytes Value of FRAG6: "
				 "memory in /proc/net/sockstat6, in bytes.");
	/* 14 from sockstat (incl. 2 *_mem_bytes), 6 from sockstat6. */
	assert_int_equal(count_samples(out.data, "netstack_sockstat_"), 20);
	if (ps == 4096)
		tu_assert_golden(out.data, "golden/sockstat-debian12.prom");
	else
		print_message("page size %ld: golden (4096) not compared\n", ps);
	ns_buf_free(&out);
}

static void test_unknown_keys(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;
	long ps = page_size();

	assert_int_equal(tu_collect(C, "proc/sockstat-odd", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 0);
	tu_assert_line(out.data, "netstack_sockstat_sockets_used 123");
	tu_assert_line(out.data, "netstack_sockstat_tcp_tw 2");
	/* A key the code has never seen, by the rule. */
	tu_assert_line(out.data, "netstack_sockstat_tcp_new_key 9");
	tu_assert_line(out.data, "netstack_sockstat_mptcp_inuse 3");
	/* Page-based memory, in pages and bytes. */
	tu_assert_line(out.data, "netstack_sockstat_tcp_mem 3");
	assert_sample(out.data, "netstack_sockstat_tcp_mem_bytes", 3LL * ps);
	tu_assert_line(out.data, "netstack_sockstat_udp_mem 2");
	assert_sample(out.data, "netstack_sockstat_udp_mem_bytes", 2LL * ps);
	tu_assert_line(out.data, "netstack_sockstat_frag_memory_bytes 8192");
	/* A key without a value is dropped, the rest of the line kept. */
	tu_assert_line(out.data, "netstack_sockstat_raw_inuse 4");
	tu_assert_no_line_prefix(out.data, "netstack_sockstat_raw_dangling");
	/* No sockstat6: nothing from it, no error. */
	tu_assert_no_line_prefix(out.data, "netstack_sockstat_tcp6");
	assert_int_equal(count_samples(out.data, "netstack_sockstat_"), 16);

	/* The bytes unit is declared (visible in OpenMetrics). */
	assert_int_equal(
	    tu_collect(C, "proc/sockstat-odd", NULL, NULL, NULL, NS_FMT_OPENMETRICS, &out), 0);
	tu_assert_line(out.data, "# UNIT netstack_sockstat_tcp_mem_bytes bytes");
	tu_assert_line(out.data, "# UNIT netstack_sockstat_frag_memory_bytes bytes");
	ns_buf_free(&out);
}

static void test_bad_values(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/sockstat-bad", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 -EINVAL);
	tu_assert_no_line_prefix(out.data, "netstack_sockstat_tcp_inuse");
	tu_assert_line(out.data, "netstack_sockstat_tcp_orphan 1");
	/* Above INT64_MAX: exact, unsigned. */
	tu_assert_line(out.data, "netstack_sockstat_udp_inuse 9223372036854775808");
	tu_assert_line(out.data, "netstack_sockstat_udp_mem 9223372036854775807");
	/* Pages * page size overflows: no bytes sample rather than a wrong one. */
	tu_assert_no_line_prefix(out.data, "netstack_sockstat_udp_mem_bytes");
	tu_assert_line(out.data, "netstack_sockstat_frag_inuse -1");
	tu_assert_line(out.data, "netstack_sockstat_frag_memory_bytes 18446744073709551615");
	tu_assert_line(out.data, "netstack_sockstat_tcp6_inuse 2");
	tu_assert_line(out.data, "netstack_sockstat_udp6_inuse 1");
	assert_int_equal(count_samples(out.data, "netstack_sockstat_"), 7);

	assert_int_equal(tu_collect(C, "sys/debian12", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 -ENOENT);
	assert_int_equal(out.len, 0);
	ns_buf_free(&out);
}

/* Parse "PROTO: k v k v" lines of @text into @n (proto, key, value) triples. */
struct triple {
	char name[128];
	long long v;
};

static size_t parse_file(const char *path, struct triple *t, size_t max)
{
	struct ns_buf b = NS_BUF_INIT;
	char *cur, *line;
	size_t n = 0;

	if (ns_read_file_at(AT_FDCWD, path, &b))
		return 0;
	cur = b.data;
	while ((line = ns_next_line(&cur))) {
		char *lc = line, *proto = ns_next_token(&lc), *k, *v;

		if (!proto)
			continue;
		proto[strlen(proto) - 1] = '\0';
		for (char *p = proto; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		while ((k = ns_next_token(&lc)) && (v = ns_next_token(&lc)) && n < max) {
			/* FRAG* memory is in bytes; everything else keeps its key. */
			snprintf(
			    t[n].name, sizeof(t[n].name), "netstack_sockstat_%s_%s%s", proto, k,
			    strncmp(proto, "frag", 4) == 0 && !strcmp(k, "memory") ? "_bytes" : "");
			t[n].v = strtoll(v, NULL, 10);
			n++;
		}
	}
	ns_buf_free(&b);
	return n;
}

static void test_live(void **unused)
{
	struct triple before[64], after[64];
	struct ns_buf out = NS_BUF_INIT;
	size_t nb, na, checked = 0;
	long long mem;

	nb = parse_file("/proc/net/sockstat", before, 64);
	nb += parse_file("/proc/net/sockstat6", before + nb, 64 - nb);
	assert_int_equal(tu_collect(C, "/proc", "/sys", NULL, NULL, NS_FMT_TEXT, &out), 0);
	na = parse_file("/proc/net/sockstat", after, 64);
	na += parse_file("/proc/net/sockstat6", after + na, 64 - na);
	assert_true(nb > 5);
	assert_int_equal(na, nb);
	/* Every field that did not move during the scrape has the kernel's value. */
	for (size_t i = 0; i < nb; i++) {
		assert_string_equal(before[i].name, after[i].name);
		if (before[i].v == after[i].v) {
			assert_sample(out.data, before[i].name, before[i].v);
			checked++;
		} else {
			value_of(out.data, before[i].name);
		}
	}
	print_message("%zu of %zu live sockstat fields were stable and matched\n", checked, nb);
	assert_true(checked > 0);
	/* mem_bytes is mem * page size within one read. */
	mem = value_of(out.data, "netstack_sockstat_tcp_mem");
	assert_true(value_of(out.data, "netstack_sockstat_tcp_mem_bytes") == mem * page_size());
	/* One sample per field, plus the TCP and UDP *_mem_bytes. */
	assert_int_equal(count_samples(out.data, "netstack_sockstat_"), (int)nb + 2);
	ns_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debian12),
	    cmocka_unit_test(test_unknown_keys),
	    cmocka_unit_test(test_bad_values),
	    cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
