// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * collect_loop.c - run one collector's collect() over and over in this
 * process, against the live kernel of the current network namespace, and
 * print the median seconds per collection and the samples it added. For
 * profiling (perf record, valgrind --tool=callgrind) and for the warm-loop
 * figures in docs/PERFORMANCE.md; not a test.
 *
 * Usage: collect_loop COLLECTOR ITERATIONS [PAUSE_US [OPTION=VALUE ...]]
 * The collector runs with its default options but those given;
 * PAUSE_US sleeps between collections (to see it cold, as between real
 * scrapes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "collector.h"
#include "ctx.h"
#include "err.h"
#include "opts.h"
#include "writer.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const struct ns_collector *c;
	struct ns_err e = {{0}};
	struct ns_writer *w;
	struct ns_opts *opts;
	struct ns_ctx *ctx;
	void *state = NULL;
	double *t;
	long n, pause_us;

	if (argc < 3) {
		fprintf(stderr, "usage: %s COLLECTOR ITERATIONS [PAUSE_US [OPTION=VALUE ...]]\n",
			argv[0]);
		return 2;
	}
	c = ns_collector_find(argv[1]);
	n = strtol(argv[2], NULL, 10);
	pause_us = argc > 3 ? strtol(argv[3], NULL, 10) : 0;
	if (!c || n < 1 || pause_us < 0) {
		fprintf(stderr, "%s: unknown collector or bad count\n", argv[0]);
		return 2;
	}
	if (ns_ctx_open(&ctx, "", "/proc", "/sys", NULL, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	opts = ns_opts_new(c->name, c->options);
	for (int i = 4; opts && i < argc; i++) {
		char name[64];
		const char *eq = strchr(argv[i], '=');

		if (!eq || (size_t)(eq - argv[i]) >= sizeof(name)) {
			fprintf(stderr, "%s: bad option %s\n", argv[0], argv[i]);
			return 2;
		}
		snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i]), argv[i]);
		if (ns_opts_set(opts, name, eq + 1, &e)) {
			fprintf(stderr, "%s\n", e.msg);
			return 2;
		}
	}
	w = ns_writer_new();
	t = calloc((size_t)n, sizeof(*t));
	if (!opts || !w || !t || c->init(ctx, opts, &state, &e)) {
		fprintf(stderr, "%s: init: %s\n", c->name, e.msg[0] ? e.msg : "out of memory");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		double t0;

		if (pause_us)
			usleep((useconds_t)pause_us);
		ns_writer_reset(w);
		t0 = now();
		if (c->collect(ctx, state, w, &e)) {
			fprintf(stderr, "%s: %s\n", c->name, e.msg);
			return 1;
		}
		t[i] = now() - t0;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%.9f %zu\n", t[n / 2], ns_writer_samples(w));
	if (c->fini)
		c->fini(state);
	ns_writer_free(w);
	ns_opts_free(opts);
	ns_ctx_close(ctx);
	free(t);
	return 0;
}
