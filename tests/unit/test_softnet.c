// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_softnet.c - the softnet collector against fixture trees
 * (tests/fixtures/proc/{debian12,softnet-*}, tests/fixtures/sys/...) and the
 * live /proc and /sys.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "procfs.h"
#include "testutil.h"

extern const struct ns_collector ns_collector_softnet;

#define C (&ns_collector_softnet)

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

static void test_debian12(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(
	    tu_collect(C, "proc/debian12", "sys/debian12", NULL, NULL, NS_FMT_TEXT, &out), 0);
	/* tests/fixtures/proc/debian12/net/softnet_stat: 15 columns, index in column 13. */
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"0\"} 3825");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"1\"} 5588");
	tu_assert_line(out.data, "netstack_softnet_dropped_total{cpu=\"0\"} 0");
	tu_assert_line(out.data, "netstack_softnet_times_squeezed_total{cpu=\"1\"} 0");
	tu_assert_line(out.data, "netstack_softnet_cpu_collision_total{cpu=\"0\"} 0");
	tu_assert_line(out.data, "netstack_softnet_received_rps_total{cpu=\"0\"} 0");
	tu_assert_line(out.data, "netstack_softnet_flow_limit_count_total{cpu=\"1\"} 0");
	tu_assert_line(out.data, "netstack_softnet_backlog_packets{cpu=\"1\"} 0");
	tu_assert_line(out.data, "netstack_softnet_input_queue_packets{cpu=\"0\"} 0");
	tu_assert_line(out.data, "netstack_softnet_process_queue_packets{cpu=\"1\"} 0");
	tu_assert_line(out.data, "# TYPE netstack_softnet_processed_total counter");
	tu_assert_line(out.data, "# TYPE netstack_softnet_backlog_packets gauge");
	assert_int_equal(count_samples(out.data, "netstack_softnet_"), 18);
	tu_assert_golden(out.data, "golden/softnet-debian12.prom");
	ns_buf_free(&out);
}

/* The index column wins over the online list (which here disagrees). */
static void test_index_column(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(tu_collect(C, "proc/softnet-index", "sys/softnet-mismatch", NULL, NULL,
				    NS_FMT_TEXT, &out),
			 0);
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"0\"} 10");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"2\"} 4294967295");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"11\"} 256");
	tu_assert_line(out.data, "netstack_softnet_dropped_total{cpu=\"2\"} 16");
	tu_assert_line(out.data, "netstack_softnet_times_squeezed_total{cpu=\"2\"} 32");
	tu_assert_line(out.data, "netstack_softnet_received_rps_total{cpu=\"2\"} 48");
	tu_assert_line(out.data, "netstack_softnet_flow_limit_count_total{cpu=\"2\"} 64");
	tu_assert_line(out.data, "netstack_softnet_backlog_packets{cpu=\"2\"} 80");
	tu_assert_line(out.data, "netstack_softnet_backlog_packets{cpu=\"0\"} 5");
	tu_assert_no_line_prefix(out.data, "netstack_softnet_processed_total{cpu=\"1\"}");
	/* 13 columns: no per-queue lengths. */
	tu_assert_no_line_prefix(out.data, "netstack_softnet_input_queue_packets");
	assert_int_equal(count_samples(out.data, "netstack_softnet_"), 3 * 7);
	ns_buf_free(&out);
}

/* No index column, CPUs 2, 4 and 5 offline: labels from the online list. */
static void test_offline_cpus(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(
	    tu_collect(C, "proc/softnet-old", "sys/softnet-offline", NULL, NULL, NS_FMT_TEXT, &out),
	    0);
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"0\"} 1");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"1\"} 17");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"3\"} 33");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"6\"} 49");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"7\"} 4294967295");
	tu_assert_line(out.data, "netstack_softnet_dropped_total{cpu=\"7\"} 65535");
	tu_assert_line(out.data, "netstack_softnet_dropped_total{cpu=\"1\"} 1");
	tu_assert_line(out.data, "netstack_softnet_times_squeezed_total{cpu=\"0\"} 2");
	tu_assert_line(out.data, "netstack_softnet_received_rps_total{cpu=\"0\"} 3");
	tu_assert_line(out.data, "netstack_softnet_flow_limit_count_total{cpu=\"6\"} 7");
	tu_assert_no_line_prefix(out.data, "netstack_softnet_processed_total{cpu=\"2\"}");
	/* 11 columns: no backlog length. */
	tu_assert_no_line_prefix(out.data, "netstack_softnet_backlog_packets");
	assert_int_equal(count_samples(out.data, "netstack_softnet_"), 5 * 6);
	ns_buf_free(&out);
}

static void test_fallbacks(void **unused)
{
	struct ns_buf out = NS_BUF_INIT;

	/* No index column, no sysfs: the line number. */
	assert_int_equal(tu_collect(C, "proc/softnet-old", NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"2\"} 33");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"4\"} 4294967295");
	assert_int_equal(count_samples(out.data, "netstack_softnet_"), 5 * 6);

	/* 5 lines but 3 online CPUs: ambiguous, nothing rather than wrong labels. */
	assert_int_equal(tu_collect(C, "proc/softnet-old", "sys/softnet-mismatch", NULL, NULL,
				    NS_FMT_TEXT, &out),
			 -EAGAIN);
	assert_int_equal(out.len, 0);

	/* Unparsable online list. */
	assert_int_equal(tu_collect(C, "proc/softnet-old", "sys/softnet-malformed", NULL, NULL,
				    NS_FMT_TEXT, &out),
			 -EINVAL);
	assert_int_equal(out.len, 0);

	/* A malformed line is skipped, the others kept. */
	assert_int_equal(tu_collect(C, "proc/softnet-bad", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 -EINVAL);
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"0\"} 1");
	tu_assert_line(out.data, "netstack_softnet_processed_total{cpu=\"2\"} 33");
	tu_assert_no_line_prefix(out.data, "netstack_softnet_processed_total{cpu=\"1\"}");

	/* Empty file: nothing, no error. Missing file: an error. */
	assert_int_equal(tu_collect(C, "proc/softnet-empty", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 0);
	assert_int_equal(out.len, 0);
	assert_int_equal(tu_collect(C, "sys/debian12", NULL, NULL, NULL, NS_FMT_TEXT, &out),
			 -ENOENT);
	ns_buf_free(&out);
}

/* Parse a sysfs CPU list into @cpus; returns the count. */
static int parse_online(const char *s, int *cpus, int max)
{
	int n = 0;

	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;

		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		for (long c = lo; c <= hi && n < max; c++)
			cpus[n++] = (int)c;
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

/* processed (column 1) of each line of the live softnet_stat. */
static int live_processed(unsigned long long *v, int max)
{
	struct ns_buf b = NS_BUF_INIT;
	char *cur, *line;
	int n = 0;

	assert_int_equal(ns_read_file_at(AT_FDCWD, "/proc/net/softnet_stat", &b), 0);
	cur = b.data;
	while ((line = ns_next_line(&cur)) && n < max)
		if (*line)
			v[n++] = strtoull(line, NULL, 16);
	ns_buf_free(&b);
	return n;
}

static void test_live(void **unused)
{
	struct ns_buf out = NS_BUF_INIT, online = NS_BUF_INIT;
	unsigned long long before[4096], after[4096];
	static int cpus[4096];
	int ncpus, nb, na;

	assert_int_equal(ns_read_file_at(AT_FDCWD, "/sys/devices/system/cpu/online", &online), 0);
	ncpus = parse_online(online.data, cpus, 4096);
	nb = live_processed(before, 4096);
	assert_int_equal(tu_collect(C, "/proc", "/sys", NULL, NULL, NS_FMT_TEXT, &out), 0);
	na = live_processed(after, 4096);
	/* One line, so one series, per online CPU, labelled with its id. */
	assert_int_equal(nb, ncpus);
	assert_int_equal(na, ncpus);
	assert_int_equal(count_samples(out.data, "netstack_softnet_processed_total{"), ncpus);
	for (int i = 0; i < ncpus; i++) {
		char prefix[64];
		const char *p;
		unsigned long long v;

		snprintf(prefix, sizeof(prefix), "netstack_softnet_processed_total{cpu=\"%d\"} ",
			 cpus[i]);
		p = strstr(out.data, prefix);
		if (!p)
			fail_msg("no %s in\n%s", prefix, out.data);
		v = strtoull(p + strlen(prefix), NULL, 10);
		/* A counter read between two reads of the file lies between them. */
		assert_true(before[i] <= v && v <= after[i]);
	}
	ns_buf_free(&out);
	ns_buf_free(&online);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_debian12),	 cmocka_unit_test(test_index_column),
	    cmocka_unit_test(test_offline_cpus), cmocka_unit_test(test_fallbacks),
	    cmocka_unit_test(test_live),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
