// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * softnet.c - per-CPU packet processing statistics from /proc/net/softnet_stat.
 *
 * One line per online CPU, hexadecimal columns (net/core/net-procfs.c):
 *
 *	 0 processed         -> netstack_softnet_processed_total{cpu}
 *	 1 dropped           -> netstack_softnet_dropped_total{cpu}
 *	 2 time_squeeze      -> netstack_softnet_times_squeezed_total{cpu}
 *	 3-7 zero (was fastroute)
 *	 8 cpu_collision     -> netstack_softnet_cpu_collision_total{cpu} (0 since 2.6.x)
 *	 9 received_rps      -> netstack_softnet_received_rps_total{cpu}
 *	10 flow_limit_count  -> netstack_softnet_flow_limit_count_total{cpu}
 *	11 backlog length    -> netstack_softnet_backlog_packets{cpu} (gauge, 5.10+)
 *	12 CPU index         -> the cpu label (5.10+)
 *	13 input_qlen        -> netstack_softnet_input_queue_packets{cpu} (gauge, recent kernels)
 *	14 process_qlen      -> netstack_softnet_process_queue_packets{cpu} (gauge, recent kernels)
 *
 * Only the columns a line has are emitted; columns after 14 are ignored.
 * The counters are the kernel's 32-bit unsigned ints: they wrap at 2^32.
 *
 * The cpu label is the real CPU id. Offline CPUs have no line, so the line
 * number is not the CPU id once a CPU has been offlined. In order:
 *   1. column 12 (CPU index) when the line has it;
 *   2. otherwise the n-th line belongs to the n-th CPU listed in
 *      <sysfs>/devices/system/cpu/online (e.g. "0-3,5,7-8"). If that list
 *      does not have as many CPUs as the file has lines (a CPU went on- or
 *      offline between the two reads), no sample is emitted for those lines
 *      and collect() returns -EAGAIN: a wrong label would corrupt two series.
 *      A list that does not parse: no samples for those lines, -EINVAL;
 *   3. if the online list cannot be read, the line number (0-based).
 * net/softnet_stat must exist. A line with a malformed column is skipped and
 * makes collect() return -EINVAL after emitting the other lines.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "procfs.h"

#define SOFTNET_MAX_COLS 15
#define SOFTNET_COL_INDEX 12

static const struct {
	int col;
	const char *name;
	enum ns_mtype type;
	const char *help;
} metrics[] = {
    {0, "netstack_softnet_processed_total", NS_COUNTER,
     "Packets processed by the CPU's network receive softirq (softnet_stat column 1)."},
    {1, "netstack_softnet_dropped_total", NS_COUNTER,
     "Packets dropped because the CPU's input backlog was full (softnet_stat column 2)."},
    {2, "netstack_softnet_times_squeezed_total", NS_COUNTER,
     "Times net_rx_action stopped with work left, out of budget or time (softnet_stat column "
     "3)."},
    {8, "netstack_softnet_cpu_collision_total", NS_COUNTER,
     "Transmit lock collisions (softnet_stat column 9, always 0 on current kernels)."},
    {9, "netstack_softnet_received_rps_total", NS_COUNTER,
     "Times the CPU was woken by an RPS/RFS inter-processor interrupt (softnet_stat column "
     "10)."},
    {10, "netstack_softnet_flow_limit_count_total", NS_COUNTER,
     "Packets dropped by the RPS flow limit (softnet_stat column 11)."},
    {11, "netstack_softnet_backlog_packets", NS_GAUGE,
     "Packets queued in the CPU's input and process backlog (softnet_stat column 12)."},
    {13, "netstack_softnet_input_queue_packets", NS_GAUGE,
     "Packets queued in the CPU's input_pkt_queue (softnet_stat column 14)."},
    {14, "netstack_softnet_process_queue_packets", NS_GAUGE,
     "Packets queued in the CPU's process_queue (softnet_stat column 15)."},
};

#define SOFTNET_NMETRICS (sizeof(metrics) / sizeof(metrics[0]))

struct softnet_state {
	struct ns_file stat;
	struct ns_file online;
	unsigned *cpus; /* the first cpus_cap online CPU ids */
	size_t cpus_cap;
	struct ns_fail fail; /* first error of this scrape */
};

/* The first @want ids of the CPU list @s into st->cpus; the number listed or -errno. */
static long softnet_cpus(struct softnet_state *st, const char *s, size_t want)
{
	if (NS_ARRAY_GROW(st->cpus, st->cpus_cap, want, 1))
		return -ENOMEM;
	return ns_parse_cpulist(s, st->cpus, want);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);

		for (size_t i = 0; i < len; i++)
			if (!isspace((unsigned char)s[i])) {
				n++;
				break;
			}
		if (!nl)
			break;
		s = nl + 1;
	}
	return n;
}

/*
 * Work out how lines without the CPU index column are labelled: 1 = by the
 * online list (st->cpus), 0 = by line number, -1 = not at all.
 */
static int map_by_online(struct ns_ctx *ctx, struct softnet_state *st, size_t nlines)
{
	const char *rel = "devices/system/cpu/online";
	long n;
	int rc;

	rc = ns_file_read(&st->online, ctx->sysfs_fd, rel);
	if (rc)
		return 0;
	n = softnet_cpus(st, st->online.buf.data, nlines);
	if (n == -ENOMEM) {
		ns_fail_set(&st->fail, -ENOMEM, "%s: out of memory", rel);
		return -1;
	}
	if (n < 0) {
		ns_fail_set(&st->fail, -EINVAL, "%s: malformed CPU list", rel);
		return -1;
	}
	if ((size_t)n != nlines) {
		ns_fail_set(&st->fail, -EAGAIN,
			    "net/softnet_stat has %zu lines but %s lists %ld CPUs", nlines, rel, n);
		return -1;
	}
	return 1;
}

static int softnet_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state,
			struct ns_err *e)
{
	struct softnet_state *st = calloc(1, sizeof(*st));

	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	st->stat = (struct ns_file)NS_FILE_INIT;
	st->online = (struct ns_file)NS_FILE_INIT;
	*state = st;
	return 0;
}

static int softnet_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct softnet_state *st = state;
	struct ns_family *fam[SOFTNET_NMETRICS] = {NULL};
	char *cur, *line, cpu[16];
	size_t nlines, lineno = 0;
	int mapping = -2; /* not decided yet */
	int rc;

	ns_fail_init(&st->fail, e);
	rc = ns_file_read(&st->stat, ctx->procfs_fd, "net/softnet_stat");
	if (rc) {
		char path[PATH_MAX];

		st->fail.e = NULL;
		return ns_err_set(e, rc, "%s: %s",
				  ns_ctx_procfs_file(ctx, "net/softnet_stat", path, sizeof(path)),
				  strerror(-rc));
	}
	nlines = count_lines(st->stat.buf.data);
	cur = st->stat.buf.data;
	while ((line = ns_next_line(&cur))) {
		uint64_t col[SOFTNET_MAX_COLS];
		char *lcur = line, *tok;
		size_t ncols = 0;
		int bad = 0;

		while ((tok = ns_next_token(&lcur)) && ncols < SOFTNET_MAX_COLS)
			if (ns_parse_hex_u64(tok, &col[ncols++]))
				bad = 1;
		if (!ncols)
			continue;
		lineno++;
		if (bad) {
			ns_fail_set(&st->fail, -EINVAL,
				    "net/softnet_stat: line %zu: malformed column", lineno);
			continue;
		}
		if (ncols > SOFTNET_COL_INDEX) {
			snprintf(cpu, sizeof(cpu), "%llu",
				 (unsigned long long)col[SOFTNET_COL_INDEX]);
		} else {
			if (mapping == -2)
				mapping = map_by_online(ctx, st, nlines);
			if (mapping < 0)
				continue;
			snprintf(cpu, sizeof(cpu), "%u",
				 mapping ? st->cpus[lineno - 1] : (unsigned)(lineno - 1));
		}
		for (size_t m = 0; m < SOFTNET_NMETRICS; m++) {
			if ((size_t)metrics[m].col >= ncols)
				continue;
			if (!fam[m])
				fam[m] = ns_family(w, metrics[m].name, metrics[m].help,
						   metrics[m].type, NULL);
			if (!fam[m]) {
				ns_fail_set(&st->fail, -EINVAL, "cannot create metric %s",
					    metrics[m].name);
				continue;
			}
			rc = ns_sample_u64(w, fam[m], NS_LABELS({"cpu", cpu}), col[metrics[m].col]);
			if (rc)
				ns_fail_set(&st->fail, rc, "%s{cpu=\"%s\"}: %s", metrics[m].name,
					    cpu, strerror(-rc));
		}
	}
	st->fail.e = NULL;
	return ns_fail_rc(&st->fail);
}

static void softnet_fini(void *state)
{
	struct softnet_state *st = state;

	if (!st)
		return;
	ns_file_close(&st->stat);
	ns_file_close(&st->online);
	free(st->cpus);
	free(st);
}

const struct ns_collector ns_collector_softnet = {
    .name = "softnet",
    .help = "Per-CPU network receive softirq statistics (/proc/net/softnet_stat)",
    .default_enabled = true,
    .options = NULL,
    .init = softnet_init,
    .collect = softnet_collect,
    .fini = softnet_fini,
};
