/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * writer.h - the exposition writer. The only module that formats metrics.
 *
 * A struct ns_writer is a batch of metric families. A collector looks up (or
 * creates) a family by name, then adds samples to it; samples are grouped
 * per family whatever order they arrive in. Rendering writes every family
 * that has samples, with HELP/TYPE (and UNIT in OpenMetrics) once each, in
 * Prometheus text format 0.0.4 or OpenMetrics 1.0.0.
 *
 * Names given to ns_family() are the names of the samples as exposed:
 *   counters end in "_total"  (OpenMetrics TYPE line drops the suffix)
 *   info metrics end in "_info" (value is always 1; text format calls it gauge)
 *   histograms are given without suffix; samples get _bucket/_sum/_count.
 * A unit, if given, must be the last component of the name before _total.
 *
 * Label values and HELP are escaped by the writer. Floats are printed in
 * the C locale with the shortest representation that round-trips; integers
 * are printed exactly. A second sample with the same label set in one family
 * is dropped and counted (ns_writer_duplicates(), ns_writer_collisions()),
 * never rendered twice.
 *
 * Memory: families, their sample buffers and the duplicate index are kept
 * across ns_writer_reset(), so a warm writer does not allocate.
 *
 * A writer is not thread-safe; the scrape engine gives each collector its
 * own writer and serialises access to it.
 */
#ifndef NS_WRITER_H
#define NS_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum ns_mtype {
	NS_GAUGE,
	NS_COUNTER,
	NS_INFO,
	NS_HISTOGRAM,
	NS_UNTYPED,
};

enum ns_format {
	NS_FMT_TEXT,	    /* text/plain; version=0.0.4 */
	NS_FMT_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
};

struct ns_label {
	const char *name;
	const char *value;
};

/* NS_LABELS({"device", dev}, {"state", "up"}) expands to "array, count". */
#define NS_LABELS(...)                                                                             \
	((const struct ns_label[]){__VA_ARGS__}),                                                  \
	    (sizeof((const struct ns_label[]){__VA_ARGS__}) / sizeof(struct ns_label))
#define NS_NOLABELS NULL, 0

struct ns_writer;
struct ns_family;

struct ns_writer *ns_writer_new(void);
void ns_writer_free(struct ns_writer *w);
/* Drop all samples (keeps families and memory for reuse). */
void ns_writer_reset(struct ns_writer *w);

/*
 * Constant labels added (first, in order) to every sample that follows,
 * e.g. the network namespace of the context being collected. The array must
 * stay valid until the next call. n == 0 clears them.
 */
void ns_writer_set_const_labels(struct ns_writer *w, const struct ns_label *l, size_t n);

/*
 * A sample filter (docs/METRICS.md, "Series budget"): while set, samples of a
 * family for which @keep returns false are dropped silently (the sample
 * functions return 0), and once @left new series have been added every
 * further one is dropped and counted in *@refused. The verdict of @keep is
 * cached per family (keyed by the function), so it is called once per
 * family, not once per sample. The multi-namespace engine sets one around
 * each other namespace's collection. NULL clears it.
 */
struct ns_sample_filter {
	bool (*keep)(const char *family); /* NULL: every family */
	size_t left;			  /* series still accepted */
	uint64_t refused;		  /* series dropped because left was 0 */
};
void ns_writer_set_filter(struct ns_writer *w, struct ns_sample_filter *f);
/*
 * True if the writer's filter drops every sample of family @name: a
 * collector that builds many families by name (snmp) asks before it
 * formats help text and declares one.
 */
bool ns_writer_drops(const struct ns_writer *w, const char *name);

/*
 * Find or create a family. @unit may be NULL. Returns NULL if the name is not
 * a valid metric name, does not carry the suffix its type requires, or was
 * already declared with a different type (the writer logs nothing; callers
 * treat NULL as -EINVAL).
 */
struct ns_family *ns_family(struct ns_writer *w, const char *name, const char *help,
			    enum ns_mtype type, const char *unit);

/* Add one sample. 0, -EEXIST (duplicate series, dropped), -EINVAL, -ENOMEM. */
int ns_sample_u64(struct ns_writer *w, struct ns_family *f, const struct ns_label *l, size_t n,
		  uint64_t v);
int ns_sample_i64(struct ns_writer *w, struct ns_family *f, const struct ns_label *l, size_t n,
		  int64_t v);
int ns_sample_f64(struct ns_writer *w, struct ns_family *f, const struct ns_label *l, size_t n,
		  double v);

/*
 * A label set formatted once for samples in several families (one qdisc's
 * seven counters, say): validation, escaping and hashing are done once
 * instead of once per sample. Build it with ns_labelset_set() in the same
 * collection that uses it: it holds the writer's constant labels of that
 * moment, and a sample with a set built for another writer or other constant
 * labels is refused (-EINVAL). An invalid set makes every sample with it
 * fail with the same error. Zero-initialise before first use; the caller
 * keeps it across scrapes (its buffer is reused) and frees it at the end.
 */
struct ns_labelset {
	struct ns_buf text; /* "{...}", or empty */
	uint64_t hash;
	int err;
	bool has_le;
	bool lossy;
	const struct ns_writer *w;
	const struct ns_label *cl;
	size_t ncl;
};

int ns_labelset_set(struct ns_labelset *ls, struct ns_writer *w, const struct ns_label *l,
		    size_t n);
void ns_labelset_free(struct ns_labelset *ls);
int ns_sample_u64_ls(struct ns_writer *w, struct ns_family *f, const struct ns_labelset *ls,
		     uint64_t v);
int ns_sample_f64_ls(struct ns_writer *w, struct ns_family *f, const struct ns_labelset *ls,
		     double v);

/*
 * A whole histogram series: @nb cumulative bucket counts for upper bounds
 * @le (ascending, without +Inf), then @count (the +Inf bucket) and @sum.
 */
int ns_sample_histogram(struct ns_writer *w, struct ns_family *f, const struct ns_label *l,
			size_t n, const double *le, const uint64_t *buckets, size_t nb,
			uint64_t count, double sum);

/*
 * Samples dropped since the last reset because their series was already
 * there (the first one added is kept). A collision is such a sample whose
 * label values had invalid UTF-8 replaced by U+FFFD: names that differ only
 * in invalid bytes ("x\xff", "x\xfe") become the same series; that is the
 * kernel's data, not a collector bug. Every other one is a duplicate.
 */
unsigned ns_writer_duplicates(const struct ns_writer *w);
unsigned ns_writer_collisions(const struct ns_writer *w);
/* Number of samples held. */
size_t ns_writer_samples(const struct ns_writer *w);

/*
 * Append every family with samples to @out in @fmt. Does not write the
 * OpenMetrics "# EOF" line: the caller does, once, after all writers.
 */
int ns_writer_render(const struct ns_writer *w, enum ns_format fmt, struct ns_buf *out);

/* Formatting primitives, exported for tests and for the few other users. */
int ns_fmt_double(struct ns_buf *b, double v);
int ns_fmt_label_value(struct ns_buf *b, const char *s);
int ns_fmt_help(struct ns_buf *b, const char *s, enum ns_format fmt);
/* A valid metric or label name ([a-zA-Z_:][a-zA-Z0-9_:]*; labels without ':'). */
int ns_valid_metric_name(const char *s);
int ns_valid_label_name(const char *s);

#endif
