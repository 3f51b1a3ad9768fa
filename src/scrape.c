// SPDX-License-Identifier: GPL-2.0-or-later
/* scrape.c - the scrape engine (see scrape.h for the sharing rule). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "build_config.h"
#include "collector.h"
#include "config.h"
#include "ctx.h"
#include "log.h"
#include "netns_collect.h"
#include "process.h"
#include "scrape.h"

/* One enabled collector in the host context. */
struct slot {
	const struct ns_collector *c;
	const struct ns_opts *opts;
	pthread_mutex_t mu; /* guards everything below */
	void *state;
	bool inited;
	struct ns_writer *w; /* last result */
	int64_t done_ns;     /* CLOCK_MONOTONIC when the last collection finished */
	double duration;
	uint64_t runs; /* collections actually made (shared results not counted) */
	bool success;
	unsigned collisions; /* ns_writer_collisions() of the last collection */
	struct ns_err err;
	struct ns_ratelimit rl;
};

struct ns_engine {
	struct ns_ctx *ctx;
	/*
	 * Collectors of one context share its netlink sockets and file roots:
	 * they collect one at a time. A scrape that waited here usually finds
	 * the result fresh and reuses it.
	 */
	pthread_mutex_t collect_mu;
	pthread_mutex_t self_mu; /* guards self_w, process, debug_rl */
	struct ns_writer *self_w;
	struct ns_process process;
	_Atomic int64_t last_duration_ns; /* of the last complete scrape */
	struct ns_ratelimit debug_rl;	  /* the per-scrape debug record */
	struct ns_netns_set *netns;	  /* other network namespaces; NULL when off */
	size_t n;
	struct slot slots[];
};

/*
 * The collector's one-line reason, NULL if there is none. Collectors do
 * not name themselves in it: only the engine names the collector in a log
 * line or a configuration error.
 */
static const char *slot_msg(const struct slot *s)
{
	return s->err.msg[0] ? s->err.msg : NULL;
}

/* Other network namespaces (netns_collect.h), for the enabled collectors in slot order. */
static int netns_setup(struct ns_engine *eng, const struct ns_config *cfg, struct ns_err *e)
{
	const struct ns_collector *colls[64];
	const struct ns_opts *opts[64];

	for (size_t i = 0; i < eng->n; i++) {
		colls[i] = eng->slots[i].c;
		opts[i] = eng->slots[i].opts;
	}
	return ns_netns_set_new(&eng->netns, cfg, colls, opts, eng->n, e);
}

int ns_engine_new(struct ns_engine **out, const struct ns_config *cfg, struct ns_err *e)
{
	struct ns_engine *eng;
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < ns_ncollectors; i++)
		n += cfg->coll[i].enabled;
	if (n > 64)
		return ns_err_set(e, -EINVAL, "more than 64 collectors enabled");
	eng = calloc(1, sizeof(*eng) + n * sizeof(eng->slots[0]));
	if (!eng)
		return ns_err_set(e, -ENOMEM, "out of memory");
	pthread_mutex_init(&eng->collect_mu, NULL);
	pthread_mutex_init(&eng->self_mu, NULL);
	rc = ns_ctx_open(&eng->ctx, "", cfg->procfs, cfg->sysfs, cfg->nl_replay_dir, e);
	if (rc) {
		free(eng);
		return rc;
	}
	eng->self_w = ns_writer_new();
	if (!eng->self_w) {
		ns_engine_free(eng);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	ns_process_init(&eng->process);
	for (size_t i = 0; i < ns_ncollectors; i++) {
		struct slot *s;

		if (!cfg->coll[i].enabled)
			continue;
		s = &eng->slots[eng->n++];
		s->c = ns_collectors[i];
		s->opts = cfg->coll[i].opts;
		pthread_mutex_init(&s->mu, NULL);
		s->w = ns_writer_new();
		if (!s->w) {
			ns_engine_free(eng);
			return ns_err_set(e, -ENOMEM, "out of memory");
		}
		ns_writer_set_const_labels(s->w, eng->ctx->labels, eng->ctx->nlabels);
		rc = s->c->init(eng->ctx, s->opts, &s->state, &s->err);
		if (rc == -EINVAL) {
			/* A bad option value: a configuration error, not a runtime one. */
			ns_err_set(e, rc, "collector %s: %s", s->c->name,
				   slot_msg(s) ? slot_msg(s) : "invalid configuration");
			ns_engine_free(eng);
			return rc;
		}
		if (rc == 0) {
			s->inited = true;
		} else {
			/* Not fatal: reported as success 0 and retried at each scrape. */
			ns_log_kv(NS_LOG_WARN, "scrape",
				  (struct ns_log_kv[]){
				      {"collector", s->c->name},
				      {"err", slot_msg(s) ? slot_msg(s) : strerror(-rc)}},
				  2, "collector init failed");
			ns_ratelimit_ok(&s->rl, 60, NULL);
		}
	}
	rc = netns_setup(eng, cfg, e);
	if (rc) {
		ns_engine_free(eng);
		return rc;
	}
	*out = eng;
	return 0;
}

void ns_engine_free(struct ns_engine *eng)
{
	if (!eng)
		return;
	for (size_t i = 0; i < eng->n; i++) {
		struct slot *s = &eng->slots[i];

		if (s->inited && s->c->fini)
			s->c->fini(s->state);
		ns_writer_free(s->w);
		pthread_mutex_destroy(&s->mu);
	}
	ns_netns_set_free(eng->netns);
	ns_process_fini(&eng->process);
	ns_writer_free(eng->self_w);
	ns_ctx_close(eng->ctx);
	pthread_mutex_destroy(&eng->collect_mu);
	pthread_mutex_destroy(&eng->self_mu);
	free(eng);
}

size_t ns_engine_count(const struct ns_engine *eng)
{
	return eng->n;
}

const char *ns_engine_name(const struct ns_engine *eng, size_t i)
{
	return i < eng->n ? eng->slots[i].c->name : NULL;
}

ns_mask_t ns_engine_all(const struct ns_engine *eng)
{
	return eng->n >= 64 ? ~(ns_mask_t)0 : (((ns_mask_t)1 << eng->n) - 1);
}

static long slot_index(const struct ns_engine *eng, const char *name)
{
	for (size_t i = 0; i < eng->n; i++)
		if (strcmp(eng->slots[i].c->name, name) == 0)
			return (long)i;
	return -1;
}

int ns_engine_select(const struct ns_engine *eng, const char *const *collect, size_t ncollect,
		     const char *const *exclude, size_t nexclude, ns_mask_t *mask, struct ns_err *e)
{
	const char *const *names = ncollect ? collect : exclude;
	size_t n = ncollect ? ncollect : nexclude;
	ns_mask_t m = 0;

	if (ncollect && nexclude)
		return ns_err_set(e, -EINVAL, "collect[] and exclude[] cannot be combined");
	for (size_t i = 0; i < n; i++) {
		long idx = slot_index(eng, names[i]);

		if (idx < 0)
			return ns_err_set(e, -EINVAL, "%s collector '%.64s'",
					  ns_collector_find(names[i]) ? "disabled" : "unknown",
					  names[i]);
		m |= (ns_mask_t)1 << idx;
	}
	*mask = ncollect ? m : (ns_engine_all(eng) & ~m);
	return 0;
}

/* Collect one slot; caller holds s->mu. */
static void collect_slot(struct ns_engine *eng, struct slot *s)
{
	int64_t t0, t1;
	unsigned suppressed = 0;
	int rc;

	pthread_mutex_lock(&eng->collect_mu);
	t0 = ns_mono_ns();
	ns_writer_reset(s->w);
	ns_err_clear(&s->err);
	if (!s->inited) {
		rc = s->c->init(eng->ctx, s->opts, &s->state, &s->err);
		if (rc == 0)
			s->inited = true;
		else
			goto done;
	}
	rc = s->c->collect(eng->ctx, s->state, s->w, &s->err);
	if (rc == 0 && ns_writer_duplicates(s->w)) {
		rc = -EEXIST;
		ns_err_set(&s->err, rc, "%u duplicate series dropped (collector bug)",
			   ns_writer_duplicates(s->w));
	}
done:
	ns_netns_set_collect(eng->netns, (size_t)(s - eng->slots), s->w);
	/* Not a failure: the kernel's names collide once made valid UTF-8. */
	s->collisions = ns_writer_collisions(s->w);
	t1 = ns_mono_ns();
	pthread_mutex_unlock(&eng->collect_mu);
	s->runs++;
	s->done_ns = t1;
	s->duration = (double)(t1 - t0) / 1e9;
	s->success = rc == 0;
	if (rc && ns_ratelimit_ok(&s->rl, 60, &suppressed)) {
		char nsup[16];

		snprintf(nsup, sizeof(nsup), "%u", suppressed);
		ns_log_kv(NS_LOG_ERROR, "scrape",
			  (struct ns_log_kv[]){
			      {"collector", s->c->name},
			      {"err", slot_msg(s) ? slot_msg(s) : strerror(rc < 0 ? -rc : rc)},
			      {"suppressed", suppressed ? nsup : NULL}},
			  3, "collector failed");
	}
}

/*
 * --log.level=debug: one record per scrape, at most one per
 * NS_SCRAPE_DEBUG_INTERVAL seconds (suppressed= counts the scrapes not
 * logged since the last one): the scrape's duration, the failed count and
 * each selected collector's last duration as <collector>_seconds=. Caller
 * holds eng->self_mu.
 */
#define NS_SCRAPE_DEBUG_INTERVAL 5
static void log_scrape(struct ns_engine *eng, ns_mask_t mask, const double *dur, double total,
		       unsigned nfailed)
{
	struct ns_log_kv kv[64 + 3];
	char keys[64][48], vals[64][32], tot[32], nf[16], nsup[16];
	unsigned suppressed = 0;
	size_t n = 0;

	if (!ns_log_enabled(NS_LOG_DEBUG) ||
	    !ns_ratelimit_ok(&eng->debug_rl, NS_SCRAPE_DEBUG_INTERVAL, &suppressed))
		return;
	snprintf(tot, sizeof(tot), "%.6f", total);
	snprintf(nf, sizeof(nf), "%u", nfailed);
	snprintf(nsup, sizeof(nsup), "%u", suppressed);
	kv[n++] = (struct ns_log_kv){"duration_seconds", tot};
	kv[n++] = (struct ns_log_kv){"failed", nf};
	for (size_t i = 0; i < eng->n && i < 64; i++) {
		if (!(mask & ((ns_mask_t)1 << i)))
			continue;
		snprintf(keys[i], sizeof(keys[i]), "%s_seconds", eng->slots[i].c->name);
		snprintf(vals[i], sizeof(vals[i]), "%.6f", dur[i]);
		kv[n++] = (struct ns_log_kv){keys[i], vals[i]};
	}
	kv[n++] = (struct ns_log_kv){"suppressed", suppressed ? nsup : NULL};
	ns_log_kv(NS_LOG_DEBUG, "scrape", kv, n, "scrape done");
}

static int render_self(struct ns_engine *eng, ns_mask_t mask, const double *dur, const bool *ok,
		       const unsigned *coll, enum ns_format fmt, struct ns_buf *out)
{
	struct ns_writer *w = eng->self_w;
	struct ns_family *fd, *fs, *fc, *fb;
	int rc = 0;

	pthread_mutex_lock(&eng->self_mu);
	ns_writer_reset(w);
	fd = ns_family(w, "netstack_scrape_collector_duration_seconds",
		       "Time a collector took in its last collection.", NS_GAUGE, "seconds");
	fs = ns_family(w, "netstack_scrape_collector_success",
		       "1 if the collector's last collection succeeded, 0 if it failed.", NS_GAUGE,
		       NULL);
	fc = ns_family(w, "netstack_scrape_collector_label_collisions",
		       "Series the collector's last collection dropped because their label values "
		       "became equal once invalid UTF-8 was replaced by U+FFFD (the first one "
		       "emitted is kept).",
		       NS_GAUGE, NULL);
	for (size_t i = 0; i < eng->n; i++) {
		if (!(mask & ((ns_mask_t)1 << i)))
			continue;
		rc |= ns_sample_f64(w, fd, NS_LABELS({"collector", eng->slots[i].c->name}), dur[i]);
		rc |= ns_sample_u64(w, fs, NS_LABELS({"collector", eng->slots[i].c->name}), ok[i]);
		rc |=
		    ns_sample_u64(w, fc, NS_LABELS({"collector", eng->slots[i].c->name}), coll[i]);
	}
	fb = ns_family(w, "netstack_exporter_build_info",
		       "Version, revision and compiler of this netstack_exporter, value 1.",
		       NS_INFO, NULL);
	rc |= ns_sample_u64(w, fb,
			    NS_LABELS({"version", NS_VERSION}, {"revision", NS_REVISION},
				      {"compiler", NS_COMPILER}),
			    1);
	rc |= ns_netns_set_emit(eng->netns, w);
	ns_process_collect(&eng->process, w);
	/* A refused self-sample is a bug worth a log line, not an empty scrape. */
	if (rc)
		ns_log(NS_LOG_ERROR, "scrape", "self-metrics: a sample was refused by the writer");
	rc = ns_writer_render(w, fmt, out);
	pthread_mutex_unlock(&eng->self_mu);
	return rc;
}

int ns_engine_scrape(struct ns_engine *eng, ns_mask_t mask, enum ns_format fmt, struct ns_buf *out,
		     unsigned *failed)
{
	double dur[64];
	bool ok[64];
	unsigned coll[64];
	int64_t start = ns_mono_ns();
	unsigned nfailed = 0;
	int rc = 0;

	ns_netns_set_refresh(eng->netns, start);
	for (size_t i = 0; i < eng->n; i++) {
		struct slot *s = &eng->slots[i];

		if (!(mask & ((ns_mask_t)1 << i)))
			continue;
		pthread_mutex_lock(&s->mu);
		if (s->done_ns < start)
			collect_slot(eng, s);
		dur[i] = s->duration;
		ok[i] = s->success;
		coll[i] = s->collisions;
		nfailed += !s->success;
		if (!rc)
			rc = ns_writer_render(s->w, fmt, out);
		pthread_mutex_unlock(&s->mu);
	}
	if (!rc)
		rc = render_self(eng, mask, dur, ok, coll, fmt, out);
	if (!rc && fmt == NS_FMT_OPENMETRICS)
		rc = ns_buf_puts(out, "# EOF\n");
	int64_t took = ns_mono_ns() - start;

	atomic_store_explicit(&eng->last_duration_ns, took, memory_order_relaxed);
	pthread_mutex_lock(&eng->self_mu);
	log_scrape(eng, mask, dur, (double)took / 1e9, nfailed);
	pthread_mutex_unlock(&eng->self_mu);
	if (failed)
		*failed = nfailed;
	return rc;
}

uint64_t ns_engine_collections(struct ns_engine *eng, size_t i)
{
	uint64_t n;

	if (i >= eng->n)
		return 0;
	pthread_mutex_lock(&eng->slots[i].mu);
	n = eng->slots[i].runs;
	pthread_mutex_unlock(&eng->slots[i].mu);
	return n;
}

double ns_engine_last_duration(const struct ns_engine *eng)
{
	/* Written by whichever thread scraped last, read by the status thread. */
	return (double)atomic_load_explicit(&eng->last_duration_ns, memory_order_relaxed) / 1e9;
}
