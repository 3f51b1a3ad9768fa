// SPDX-License-Identifier: GPL-2.0-or-later
/* netns_collect.c - collectors run in every other network namespace (see the header). */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "config.h"
#include "ctx.h"
#include "log.h"
#include "netns_collect.h"
#include "netns_discovery.h"
#include "netns_profile.h"
#include "opts.h"
#include "procfs.h"

/* One other namespace. */
struct entry {
	uint64_t dev, ino;
	char label[NS_NETNS_NAME_MAX + 1];
	struct ns_ctx *ctx; /* NULL until it could be opened */
	struct ns_ratelimit rl;
	void **state; /* per collector */
	bool *inited;
	int tcp_owned;			/* owns its TCP established hash: 1, 0, -1 unknown */
	struct ns_sample_filter filter; /* the series budget of this scrape */
	uint64_t series_dropped;	/* by the budget in the last scrape */
};

struct ns_netns_set {
	pthread_mutex_t mu;
	struct ns_discovery *disc;
	int view; /* -1 if it could not be made */
	char *sysfs;
	const struct ns_collector **colls; /* copies of the engine's lists */
	const struct ns_collector **impl;  /* per collector: what runs in other namespaces */
	const struct ns_opts **opts;
	bool *wanted; /* per collector: run in other namespaces (--netns.collectors) */
	/* per collector: options in other namespaces, [1] for those owning their TCP hash */
	struct ns_opts *(*nsopts)[2];
	bool (**keep)(const char *family); /* per collector: curated family filter or NULL */
	bool full;			   /* --netns.profile=full */
	size_t max_series;		   /* per namespace and scrape; 0: no cap */
	struct ns_buf scratch;
	size_t ncoll;
	struct entry **ent;
	size_t nent, capent;
	struct ns_ctx **visit; /* scratch for ns_ctx_visit */
	/*
	 * Per netlink protocol, the receive and send buffers of every
	 * namespace's socket: namespaces are visited one after another, under mu.
	 */
	struct ns_nl_bufs nl_bufs[NS_CTX_MAX_NL];
	struct ns_ratelimit open_rl;
};

static bool in_list(const char *list, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, name, n) == 0)
			return true;
		p += n + (p[n] == ',');
	}
	return false;
}

/*
 * File descriptors one other namespace keeps (counted with --netns.max
 * namespaces in tests/integration/test_netns_collect.py): its nsfs fd, the
 * context's two root fds, one netlink socket per protocol used (route,
 * sock_diag, netfilter), and the files the collectors keep open: snmp 3,
 * sockstat 2, sysctl 7 (curated) or about 30 (full), conntrack 2 to 4, tcp
 * 1 (full). Rounded up.
 */
#define FDS_PER_NETNS_CURATED 24
#define FDS_PER_NETNS_FULL 48
#define FDS_BASE 256 /* the daemon's own: listen sockets, host collectors, logs */

/*
 * Raise the soft RLIMIT_NOFILE to what --netns.max namespaces need, within
 * the hard limit (raising that would take CAP_SYS_RESOURCE). A hard limit
 * too low is said once: namespaces beyond it fail to open, and are counted
 * in netstack_netns_enter_failures_total.
 */
static void fd_budget(const struct ns_config *cfg)
{
	/* the web front end's connections too (http.c raises to those alone) */
	rlim_t base = FDS_BASE + (rlim_t)cfg->max_connections * (cfg->nlisten ? cfg->nlisten : 1);
	rlim_t need = base + (rlim_t)cfg->netns_max *
				 (cfg->netns_full ? FDS_PER_NETNS_FULL : FDS_PER_NETNS_CURATED);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		rl.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			ns_log(NS_LOG_DEBUG, "netns", "RLIMIT_NOFILE raised to %llu",
			       (unsigned long long)rl.rlim_cur);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		ns_log(NS_LOG_WARN, "netns",
		       "RLIMIT_NOFILE %llu is below the %llu that --netns.max=%u namespaces need; "
		       "about %llu fit (raise LimitNOFILE= or lower --netns.max)",
		       (unsigned long long)rl.rlim_cur, (unsigned long long)need, cfg->netns_max,
		       rl.rlim_cur > base
			   ? (unsigned long long)(rl.rlim_cur - base) /
				 (cfg->netns_full ? FDS_PER_NETNS_FULL : FDS_PER_NETNS_CURATED)
			   : 0ULL);
}

int ns_netns_set_new(struct ns_netns_set **out, const struct ns_config *cfg,
		     const struct ns_collector *const *colls, const struct ns_opts *const *opts,
		     size_t n, struct ns_err *e)
{
	struct ns_netns_config dc = {cfg->procfs,	   "/run/netns",       cfg->netns_sources,
				     cfg->netns_include,   cfg->netns_exclude, cfg->netns_max,
				     cfg->netns_interval_s};
	struct ns_netns_set *set;
	struct ns_err ve = {{0}};
	int rc;

	*out = NULL;
	if (!cfg->netns_sources)
		return 0;
	set = calloc(1, sizeof(*set));
	if (!set)
		return ns_err_set(e, -ENOMEM, "out of memory");
	pthread_mutex_init(&set->mu, NULL);
	set->ncoll = n;
	set->view = -1;
	set->sysfs = strdup(cfg->sysfs);
	set->colls = calloc(n + 1, sizeof(*set->colls));
	set->opts = calloc(n + 1, sizeof(*set->opts));
	set->wanted = calloc(n + 1, sizeof(*set->wanted));
	set->nsopts = calloc(n + 1, sizeof(*set->nsopts));
	set->keep = calloc(n + 1, sizeof(*set->keep));
	set->impl = calloc(n + 1, sizeof(*set->impl));
	if (!set->sysfs || !set->colls || !set->opts || !set->wanted || !set->nsopts ||
	    !set->keep || !set->impl) {
		ns_netns_set_free(set);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	memcpy(set->colls, colls, n * sizeof(*colls));
	memcpy(set->opts, opts, n * sizeof(*opts));
	set->full = cfg->netns_full;
	set->max_series = cfg->netns_max_series;
	for (size_t i = 0; i < n; i++) {
		set->wanted[i] = in_list(cfg->netns_collectors ? cfg->netns_collectors
							       : NS_NETNS_DEFAULT_COLLECTORS,
					 colls[i]->name);
		if (!set->wanted[i])
			continue;
		set->keep[i] = set->full ? NULL : ns_netns_curated_filter(colls[i]->name);
		set->impl[i] = !set->full && strcmp(colls[i]->name, "snmp") == 0
				   ? &ns_netns_snmp_curated
				   : colls[i];
		for (int owned = 0; owned < 2; owned++) {
			rc = ns_netns_profile_opts(colls[i], opts[i], set->full, owned,
						   &set->nsopts[i][owned], e);
			if (rc) {
				ns_netns_set_free(set);
				return rc;
			}
		}
	}
	rc = ns_discovery_new(&set->disc, &dc, e);
	if (rc) {
		ns_netns_set_free(set);
		return rc;
	}
	fd_budget(cfg);
	set->view = ns_netns_view_open(cfg->procfs, &ve);
	if (set->view < 0)
		ns_log_kv(NS_LOG_WARN, "netns", (struct ns_log_kv[]){{"err", ve.msg}}, 1,
			  "other network namespaces are not collected (needs CAP_SYS_ADMIN)");
	*out = set;
	return 0;
}

static void entry_free(struct ns_netns_set *set, struct entry *en)
{
	for (size_t i = 0; i < set->ncoll; i++)
		if (en->inited[i] && set->impl[i]->fini)
			set->impl[i]->fini(en->state[i]);
	ns_ctx_close(en->ctx);
	free(en->state);
	free(en->inited);
	free(en);
}

void ns_netns_set_free(struct ns_netns_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->nent; i++)
		entry_free(set, set->ent[i]);
	free(set->ent);
	free(set->visit);
	for (size_t i = 0; i < NS_CTX_MAX_NL; i++)
		ns_nl_bufs_free(&set->nl_bufs[i]);
	ns_discovery_free(set->disc);
	if (set->view >= 0)
		close(set->view);
	free(set->sysfs);
	for (size_t i = 0; set->nsopts && i < set->ncoll; i++) {
		ns_opts_free(set->nsopts[i][0]);
		ns_opts_free(set->nsopts[i][1]);
	}
	free(set->nsopts);
	free(set->keep);
	free(set->impl);
	ns_buf_free(&set->scratch);
	free(set->colls);
	free(set->opts);
	free(set->wanted);
	pthread_mutex_destroy(&set->mu);
	free(set);
}

static struct entry *find_entry(struct ns_netns_set *set, uint64_t dev, uint64_t ino, size_t *idx)
{
	for (size_t i = 0; i < set->nent; i++)
		if (set->ent[i]->dev == dev && set->ent[i]->ino == ino) {
			if (idx)
				*idx = i;
			return set->ent[i];
		}
	return NULL;
}

static void open_entry(struct ns_netns_set *set, struct entry *en, const struct ns_netns *ns)
{
	struct ns_err e = {{0}};
	unsigned suppressed = 0;
	int fd = -1, rc;

	if (set->view < 0) {
		/* Said once, at start; counted here. */
		ns_discovery_count_failure(set->disc, ns->dev, ns->ino, true);
		return;
	}
	rc = fd = ns_discovery_open(set->disc, ns, &e);
	if (fd >= 0) {
		rc = ns_ctx_open_netns(&en->ctx, ns->label, fd, set->view, set->sysfs, &e);
		close(fd);
	}
	if (!rc) {
		en->ctx->nl_bufs = set->nl_bufs;
		return;
	}
	ns_discovery_count_failure(set->disc, ns->dev, ns->ino, true);
	if (ns_ratelimit_ok(&set->open_rl, 60, &suppressed)) {
		char nsup[16];

		snprintf(nsup, sizeof(nsup), "%u", suppressed);
		ns_log_kv(
		    NS_LOG_WARN, "netns",
		    (struct ns_log_kv[]){{"err", e.msg}, {"suppressed", suppressed ? nsup : NULL}},
		    2, "cannot open a network namespace");
	}
}

/* Room for one more entry (and its slot in the visit list). */
static int grow(struct ns_netns_set *set)
{
	size_t cap = set->capent ? set->capent * 2 : 16;
	struct entry **p;
	struct ns_ctx **v;

	if (set->nent < set->capent)
		return 0;
	p = realloc(set->ent, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	set->ent = p;
	v = realloc(set->visit, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	set->visit = v;
	set->capent = cap;
	return 0;
}

static int add_entry(struct ns_netns_set *set, const struct ns_netns *ns)
{
	struct entry *en;

	if (grow(set))
		return -ENOMEM;
	en = calloc(1, sizeof(*en));
	if (!en)
		return -ENOMEM;
	en->state = calloc(set->ncoll + 1, sizeof(*en->state));
	en->inited = calloc(set->ncoll + 1, sizeof(*en->inited));
	if (!en->state || !en->inited) {
		free(en->state);
		free(en->inited);
		free(en);
		return -ENOMEM;
	}
	en->dev = ns->dev;
	en->ino = ns->ino;
	en->tcp_owned = -1;
	memcpy(en->label, ns->label, sizeof(en->label));
	set->ent[set->nent++] = en;
	open_entry(set, en, ns);
	return 0;
}

void ns_netns_set_refresh(struct ns_netns_set *set, int64_t now_ns)
{
	const struct ns_netns *const *app, *van;
	struct ns_err e = {{0}};
	size_t na, nv, idx;
	int rc;

	if (!set)
		return;
	pthread_mutex_lock(&set->mu);
	rc = ns_discovery_maybe_run(set->disc, now_ns, &e);
	if (rc < 0)
		ns_log_kv(NS_LOG_ERROR, "netns", (struct ns_log_kv[]){{"err", e.msg}}, 1,
			  "network namespace discovery failed");
	if (rc <= 0)
		goto out;
	nv = ns_discovery_vanished(set->disc, &van);
	for (size_t i = 0; i < nv; i++) {
		struct entry *en = find_entry(set, van[i].dev, van[i].ino, &idx);

		/* A label change vanishes and appears under the same identity. */
		if (!en || strcmp(en->label, van[i].label) != 0)
			continue;
		entry_free(set, en);
		set->ent[idx] = set->ent[--set->nent];
	}
	na = ns_discovery_appeared(set->disc, &app);
	for (size_t i = 0; i < na; i++)
		if (!app[i]->self && add_entry(set, app[i]))
			ns_log(NS_LOG_ERROR, "netns", "out of memory");
	/* Those that could not be opened are tried again, once per rediscovery. */
	for (size_t i = 0; i < set->nent; i++) {
		struct entry *en = set->ent[i];
		const struct ns_netns *ns =
		    en->ctx ? NULL : ns_discovery_find(set->disc, en->dev, en->ino);
		bool just_added = false;

		for (size_t k = 0; k < na && ns; k++)
			just_added |= app[k] == ns;
		if (ns && !just_added)
			open_entry(set, en, ns);
	}
out:
	/* A new scrape: every namespace's series budget starts again. */
	for (size_t i = 0; i < set->nent; i++) {
		struct entry *en = set->ent[i];

		en->series_dropped = en->filter.refused;
		en->filter.refused = 0;
		en->filter.left = set->max_series ? set->max_series : SIZE_MAX;
	}
	pthread_mutex_unlock(&set->mu);
}

struct visit_arg {
	struct ns_netns_set *set;
	size_t i;
	struct ns_writer *w;
	unsigned failed;
};

static struct entry *entry_of(struct ns_netns_set *set, const struct ns_ctx *ctx)
{
	for (size_t k = 0; k < set->nent; k++)
		if (set->ent[k]->ctx == ctx)
			return set->ent[k];
	return NULL;
}

/*
 * Inside the namespace: 1 if it owns its TCP established hash
 * (net.ipv4.tcp_ehash_entries positive; negative: it shares the host's,
 * which every full sock_diag dump walks), 0 if not, -2 if the kernel does
 * not say (before 6.1: always shared).
 */
static int read_tcp_owned(struct ns_netns_set *set, struct ns_ctx *ctx)
{
	int64_t v;

	if (ns_read_file_at(ctx->procfs_fd, "sys/net/ipv4/tcp_ehash_entries", &set->scratch) ||
	    ns_parse_i64(strtok(set->scratch.data, " \n"), &v))
		return -2;
	return v > 0;
}

static void collect_inside(struct ns_ctx *ctx, int entered, void *p)
{
	struct visit_arg *a = p;
	struct ns_netns_set *set = a->set;
	struct entry *en = entry_of(set, ctx);
	const struct ns_collector *c = set->impl[a->i];
	struct ns_err e = {{0}};
	unsigned suppressed = 0;
	int rc = entered;

	if (!en)
		return;
	if (!rc && en->tcp_owned < 0)
		en->tcp_owned = read_tcp_owned(set, ctx);
	if (!rc && !en->inited[a->i]) {
		rc = c->init(ctx, set->nsopts[a->i][en->tcp_owned > 0], &en->state[a->i], &e);
		en->inited[a->i] = rc == 0;
	}
	if (!rc) {
		ns_writer_set_const_labels(a->w, ctx->labels, ctx->nlabels);
		en->filter.keep = set->keep[a->i];
		ns_writer_set_filter(a->w, &en->filter);
		rc = c->collect(ctx, en->state[a->i], a->w, &e);
		ns_writer_set_filter(a->w, NULL);
	}
	if (!rc)
		return;
	a->failed++;
	ns_discovery_count_failure(set->disc, en->dev, en->ino, entered != 0);
	if (ns_ratelimit_ok(&en->rl, 60, &suppressed)) {
		char nsup[16];

		snprintf(nsup, sizeof(nsup), "%u", suppressed);
		ns_log_kv(NS_LOG_WARN, "netns",
			  (struct ns_log_kv[]){{"netns", en->label},
					       {"collector", c->name},
					       {"err", entered	  ? "cannot enter the namespace"
						       : e.msg[0] ? e.msg
								  : strerror(-rc)},
					       {"suppressed", suppressed ? nsup : NULL}},
			  4, "collector failed");
	}
}

unsigned ns_netns_set_collect(struct ns_netns_set *set, size_t i, struct ns_writer *w)
{
	struct visit_arg a = {set, i, w, 0};
	size_t n = 0;

	if (!set || i >= set->ncoll || !set->wanted[i])
		return 0;
	pthread_mutex_lock(&set->mu);
	for (size_t k = 0; k < set->nent; k++)
		if (set->ent[k]->ctx)
			set->visit[n++] = set->ent[k]->ctx;
	if (ns_ctx_visit(set->visit, n, collect_inside, &a))
		ns_log(NS_LOG_ERROR, "netns", "cannot start the namespace thread");
	ns_writer_set_const_labels(w, NULL, 0);
	pthread_mutex_unlock(&set->mu);
	return a.failed;
}

/* Per namespace: TCP hash ownership, series over the budget. */
static int emit_entries(struct ns_netns_set *set, struct ns_writer *w)
{
	struct ns_family *fo, *fd;
	int rc = 0;

	fo = ns_family(w, "netstack_netns_tcp_hash_owned",
		       "1 if the namespace owns its TCP established hash (created while "
		       "net.ipv4.tcp_child_ehash_entries was set), 0 if it shares the host's, "
		       "which a full TCP dump from it walks; then only listeners are dumped "
		       "unless --netns.profile=full. Absent until read, or if the kernel does "
		       "not say (before 6.1).",
		       NS_GAUGE, NULL);
	fd = ns_family(w, "netstack_netns_series_dropped",
		       "Series of the namespace dropped in the last scrape: over "
		       "--netns.max-series. Present only for namespaces that reached it.",
		       NS_GAUGE, NULL);
	if (!fo || !fd)
		return -EINVAL;
	for (size_t i = 0; i < set->nent && !rc; i++) {
		const struct entry *en = set->ent[i];
		uint64_t dropped;

		if (!en->ctx)
			continue;
		if (en->tcp_owned >= 0)
			rc = ns_sample_u64(w, fo, NS_LABELS({"netns", en->label}), en->tcp_owned);
		dropped = en->filter.refused > en->series_dropped ? en->filter.refused
								  : en->series_dropped;
		if (!rc && dropped)
			rc = ns_sample_u64(w, fd, NS_LABELS({"netns", en->label}), dropped);
	}
	return rc == -EEXIST ? 0 : rc;
}

int ns_netns_set_emit(struct ns_netns_set *set, struct ns_writer *w)
{
	struct ns_family *f;
	int rc;

	if (!set)
		return 0;
	f = ns_family(w, "netstack_netns_entering_possible",
		      "1 if the daemon can enter other network namespaces, 0 if not (no "
		      "CAP_SYS_ADMIN: logged once at start); then only its own is collected.",
		      NS_GAUGE, NULL);
	if (!f)
		return -EINVAL;
	pthread_mutex_lock(&set->mu);
	rc = ns_sample_u64(w, f, NS_NOLABELS, set->view >= 0);
	if (!rc)
		rc = ns_discovery_emit(set->disc, w);
	if (!rc)
		rc = emit_entries(set, w);
	pthread_mutex_unlock(&set->mu);
	return rc;
}
