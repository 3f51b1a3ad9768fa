// SPDX-License-Identifier: GPL-2.0-or-later
/* netns_discovery.c - the network namespaces on the host, incrementally (see the header). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "netns_discovery.h"
#include "procfs.h"
#include "writer.h"

/* One sighting of a namespace: a /run/netns entry or a process. */
struct sighting {
	uint64_t dev, ino;
	pid_t pid;			  /* 0 for a /run/netns entry */
	char name[NS_NETNS_NAME_MAX + 1]; /* a usable /run/netns name, or "" */
	bool named;			  /* seen in /run/netns (usable name or not) */
};

/* An array that only grows. */
struct vec {
	void *v;
	size_t n, cap, size;
};

struct ns_discovery {
	char *procfs, *run_netns;
	int procfs_fd;
	unsigned sources;
	regex_t include, exclude;
	bool has_include, has_exclude;
	size_t max;
	int64_t interval_ns, last_run_ns;
	bool ran;
	struct vec seen;      /* struct sighting */
	struct vec cur, next; /* struct ns_netns, sorted by (dev, ino) */
	struct vec cand;      /* struct ns_netns: eligible others before the cap */
	struct vec appeared;  /* const struct ns_netns *, into cur */
	struct vec vanished;  /* struct ns_netns copies */
	struct ns_buf scratch, reference;
	struct ns_discovery_stats stats;
};

static void *vec_push(struct vec *a)
{
	if (ns_array_grow(&a->v, &a->cap, a->n + 1, a->size, 16))
		return NULL;
	return memset((char *)a->v + a->n++ * a->size, 0, a->size);
}

static void vec_free(struct vec *a)
{
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

#define VEC(type)                                                                                  \
	{                                                                                          \
		NULL, 0, 0, sizeof(type)                                                           \
	}
#define AT(vec, type, i) (&((type *)(vec).v)[i])

int ns_netns_parse_sources(const char *s, unsigned *out, struct ns_err *e)
{
	unsigned bits = 0;

	while (s && *s) {
		size_t n = strcspn(s, ",");

		if (n == 5 && strncmp(s, "named", 5) == 0)
			bits |= NS_NETNS_SRC_NAMED;
		else if (n == 9 && strncmp(s, "processes", 9) == 0)
			bits |= NS_NETNS_SRC_PROCESSES;
		else if (n)
			return ns_err_set(e, -EINVAL,
					  "netns.sources: '%.*s' is not named or processes",
					  (int)(n > 64 ? 64 : n), s);
		s += n + (s[n] == ',');
	}
	*out = bits;
	return 0;
}

static int compile(regex_t *re, bool *has, const char *s, const char *what, struct ns_err *e)
{
	char msg[128];
	int r;

	*has = false;
	if (!s || !*s)
		return 0;
	r = regcomp(re, s, REG_EXTENDED | REG_NOSUB);
	if (r) {
		regerror(r, re, msg, sizeof(msg));
		return ns_err_set(e, -EINVAL, "netns %s '%.100s': %s", what, s, msg);
	}
	*has = true;
	return 0;
}

int ns_discovery_new(struct ns_discovery **out, const struct ns_netns_config *cfg, struct ns_err *e)
{
	struct ns_discovery *d = calloc(1, sizeof(*d));
	int rc;

	if (!d)
		return ns_err_set(e, -ENOMEM, "out of memory");
	d->procfs_fd = -1;
	d->seen = (struct vec)VEC(struct sighting);
	d->cur = d->next = d->cand = d->vanished = (struct vec)VEC(struct ns_netns);
	d->appeared = (struct vec)VEC(const struct ns_netns *);
	d->sources = cfg->sources;
	d->max = cfg->max;
	d->interval_ns = (int64_t)cfg->interval_s * 1000000000;
	d->procfs = strdup(cfg->procfs ? cfg->procfs : "/proc");
	d->run_netns = strdup(cfg->run_netns ? cfg->run_netns : "/run/netns");
	if (!d->procfs || !d->run_netns) {
		rc = ns_err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = compile(&d->include, &d->has_include, cfg->include, "include", e);
	if (!rc)
		rc = compile(&d->exclude, &d->has_exclude, cfg->exclude, "exclude", e);
	if (rc)
		goto fail;
	d->procfs_fd = open(d->procfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (d->procfs_fd < 0) {
		rc = ns_err_set(e, -errno, "netns discovery: procfs root %s: %s", d->procfs,
				strerror(errno));
		goto fail;
	}
	*out = d;
	return 0;
fail:
	ns_discovery_free(d);
	return rc;
}

void ns_discovery_free(struct ns_discovery *d)
{
	if (!d)
		return;
	if (d->procfs_fd >= 0)
		close(d->procfs_fd);
	if (d->has_include)
		regfree(&d->include);
	if (d->has_exclude)
		regfree(&d->exclude);
	vec_free(&d->seen);
	vec_free(&d->cur);
	vec_free(&d->next);
	vec_free(&d->cand);
	vec_free(&d->appeared);
	vec_free(&d->vanished);
	ns_buf_free(&d->scratch);
	ns_buf_free(&d->reference);
	free(d->procfs);
	free(d->run_netns);
	free(d);
}

/* A /run/netns name usable as a label: printable ASCII, bounded, not an inode label. */
static bool usable_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > NS_NETNS_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	if (strncmp(s, "inode:", 6) == 0 && s[6] && strspn(s + 6, "0123456789") == n - 6)
		return false;
	return true;
}

static int scan_named(struct ns_discovery *d)
{
	DIR *dir = opendir(d->run_netns);
	struct dirent *de;
	int rc = 0;

	if (!dir) /* no /run/netns: no named namespaces */
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	while ((de = readdir(dir))) {
		struct sighting *s;
		struct stat st;

		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (fstatat(dirfd(dir), de->d_name, &st, 0) < 0)
			continue; /* deleted meanwhile, or a stale entry ("ip netns" leaves none) */
		s = vec_push(&d->seen);
		if (!s) {
			rc = -ENOMEM;
			break;
		}
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->named = true;
		if (usable_name(de->d_name)) /* bounded by NS_NETNS_NAME_MAX */
			memcpy(s->name, de->d_name, strlen(de->d_name) + 1);
	}
	closedir(dir);
	return rc;
}

static int scan_processes(struct ns_discovery *d)
{
	int fd = openat(d->procfs_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int rc = 0;

	if (!dir) {
		rc = -errno;
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while ((de = readdir(dir))) {
		char rel[64];
		struct sighting *s;
		struct stat st;
		char *end;
		long pid;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		pid = strtol(de->d_name, &end, 10);
		if (*end || pid <= 0 || pid > 0x7fffffff)
			continue;
		snprintf(rel, sizeof(rel), "%ld/ns/net", pid);
		if (fstatat(d->procfs_fd, rel, &st, 0) < 0) {
			/* gone meanwhile, a kernel thread, or not ours to look at */
			if (errno == EACCES || errno == EPERM)
				d->stats.unreadable++;
			continue;
		}
		s = vec_push(&d->seen);
		if (!s) {
			rc = -ENOMEM;
			break;
		}
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		s->pid = (pid_t)pid;
	}
	closedir(dir);
	return rc;
}

static int cmp_id(uint64_t ad, uint64_t ai, uint64_t bd, uint64_t bi)
{
	if (ad != bd)
		return ad < bd ? -1 : 1;
	return ai < bi ? -1 : ai > bi;
}

/* Sightings by identity; named ones first; then by name; then by pid. */
static int cmp_sighting(const void *pa, const void *pb)
{
	const struct sighting *a = pa, *b = pb;
	int c = cmp_id(a->dev, a->ino, b->dev, b->ino);

	if (c)
		return c;
	if (a->named != b->named)
		return a->named ? -1 : 1;
	if (a->named) {
		/* A usable name before none, then the smallest. */
		if (!a->name[0] != !b->name[0])
			return a->name[0] ? -1 : 1;
		return strcmp(a->name, b->name);
	}
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

static int cmp_netns(const void *pa, const void *pb)
{
	const struct ns_netns *a = pa, *b = pb;

	return cmp_id(a->dev, a->ino, b->dev, b->ino);
}

static const struct ns_netns *find_in(const struct vec *v, uint64_t dev, uint64_t ino)
{
	size_t lo = 0, hi = v->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct ns_netns *m = AT(*v, struct ns_netns, mid);
		int c = cmp_id(dev, ino, m->dev, m->ino);

		if (!c)
			return m;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* For the cap: namespaces already listed first, then by label. */
static int cmp_for_cap(const void *pa, const void *pb, void *arg)
{
	const struct ns_netns *a = pa, *b = pb;
	const struct ns_discovery *d = arg;
	bool ka = find_in(&d->cur, a->dev, a->ino) != NULL;
	bool kb = find_in(&d->cur, b->dev, b->ino) != NULL;

	if (ka != kb)
		return ka ? -1 : 1;
	return strcmp(a->label, b->label);
}

static bool wanted(const struct ns_discovery *d, const char *label)
{
	if (d->has_include && regexec(&d->include, label, 0, NULL, 0) != 0)
		return false;
	if (d->has_exclude && regexec(&d->exclude, label, 0, NULL, 0) == 0)
		return false;
	return true;
}

/* Fold the sorted sightings into candidate namespaces (d->cand), self into *self. */
static int fold(struct ns_discovery *d, const struct stat *self_st, struct ns_netns *self)
{
	struct sighting *s = d->seen.v;
	size_t n = d->seen.n;

	for (size_t i = 0; i < n;) {
		size_t j = i;
		const struct ns_netns *old = find_in(&d->cur, s[i].dev, s[i].ino);
		bool named = false, keep_old = false;
		pid_t pid = 0;
		struct ns_netns *c;

		for (; j < n && s[j].dev == s[i].dev && s[j].ino == s[i].ino; j++) {
			named |= s[j].named;
			if (s[j].pid && !pid)
				pid = s[j].pid;
			if (s[j].pid && old && old->pid == s[j].pid)
				keep_old = true;
		}
		if (keep_old)
			pid = old->pid; /* the same member as before: stable attribution */
		if (s[i].dev == (uint64_t)self_st->st_dev &&
		    s[i].ino == (uint64_t)self_st->st_ino) {
			i = j;
			continue;
		}
		if (!((named && (d->sources & NS_NETNS_SRC_NAMED)) ||
		      (pid && (d->sources & NS_NETNS_SRC_PROCESSES)))) {
			i = j;
			continue;
		}
		c = vec_push(&d->cand);
		if (!c)
			return -ENOMEM;
		c->dev = s[i].dev;
		c->ino = s[i].ino;
		c->pid = pid;
		snprintf(c->inode, sizeof(c->inode), "%llu", (unsigned long long)c->ino);
		snprintf(c->name, sizeof(c->name), "%s", s[i].name);
		if (c->name[0])
			snprintf(c->label, sizeof(c->label), "%s", c->name);
		else
			snprintf(c->label, sizeof(c->label), "inode:%s", c->inode);
		if (!wanted(d, c->label)) {
			d->stats.filtered++;
			d->cand.n--;
		}
		i = j;
	}
	memset(self, 0, sizeof(*self));
	self->dev = self_st->st_dev;
	self->ino = self_st->st_ino;
	self->self = true;
	snprintf(self->inode, sizeof(self->inode), "%llu", (unsigned long long)self->ino);
	return 0;
}

static void attribute(struct ns_discovery *d, struct ns_netns *ns)
{
	memset(&ns->attr, 0, sizeof(ns->attr));
	if (ns->pid)
		ns_attribution_read(d->procfs_fd, ns->pid,
				    d->reference.len ? d->reference.data : NULL, &d->scratch,
				    &ns->attr);
}

/* Compare the new set (d->next) with d->cur: appeared, vanished; carry attribution over. */
static int diff(struct ns_discovery *d)
{
	size_t i = 0, j = 0;

	d->appeared.n = d->vanished.n = 0;
	while (i < d->cur.n || j < d->next.n) {
		struct ns_netns *o = i < d->cur.n ? AT(d->cur, struct ns_netns, i) : NULL;
		struct ns_netns *nw = j < d->next.n ? AT(d->next, struct ns_netns, j) : NULL;
		int c = !o ? 1 : !nw ? -1 : cmp_id(o->dev, o->ino, nw->dev, nw->ino);
		bool same = c == 0 && strcmp(o->label, nw->label) == 0;

		if (c <= 0 && !same) {
			struct ns_netns *v = vec_push(&d->vanished);

			if (!v)
				return -ENOMEM;
			*v = *o;
		}
		if (c >= 0) {
			if (same && o->pid == nw->pid)
				nw->attr = o->attr;
			else if (!nw->self)
				attribute(d, nw);
			if (same) {
				nw->enter_failures = o->enter_failures;
				nw->collect_failures = o->collect_failures;
			}
			if (!same) {
				const struct ns_netns **a = vec_push(&d->appeared);

				if (!a)
					return -ENOMEM;
				*a = nw; /* fixed up after the swap below: same index in cur */
			}
		}
		i += c <= 0;
		j += c >= 0;
	}
	return 0;
}

int ns_discovery_run(struct ns_discovery *d, struct ns_err *e)
{
	int64_t t0 = ns_mono_ns();
	struct ns_netns self, *slot;
	struct stat self_st;
	struct vec tmp;
	size_t keep;
	int rc;

	if (fstatat(d->procfs_fd, "self/ns/net", &self_st, 0) < 0)
		return ns_err_set(e, -errno, "netns discovery: %s/self/ns/net: %s", d->procfs,
				  strerror(errno));
	d->seen.n = d->cand.n = d->next.n = 0;
	d->stats.filtered = d->stats.unreadable = d->stats.over_max = 0;
	d->stats.last_error = 0;
	rc = scan_named(d);
	if (rc == -ENOMEM)
		return ns_err_set(e, rc, "out of memory");
	d->stats.last_error = rc;
	if (d->sources & NS_NETNS_SRC_PROCESSES) {
		if (ns_read_file_at(d->procfs_fd, "self/cgroup", &d->reference))
			ns_buf_reset(&d->reference);
		rc = scan_processes(d);
		if (rc == -ENOMEM)
			return ns_err_set(e, rc, "out of memory");
		if (rc)
			d->stats.last_error = rc;
	}
	qsort(d->seen.v, d->seen.n, sizeof(struct sighting), cmp_sighting);
	rc = fold(d, &self_st, &self);
	if (rc)
		return ns_err_set(e, rc, "out of memory");
	/* The cap: keep those already listed, then by label. */
	keep = d->cand.n;
	if (keep > d->max) {
		qsort_r(d->cand.v, d->cand.n, sizeof(struct ns_netns), cmp_for_cap, d);
		d->stats.over_max = keep - d->max;
		keep = d->max;
	}
	slot = vec_push(&d->next);
	if (!slot)
		return ns_err_set(e, -ENOMEM, "out of memory");
	*slot = self;
	for (size_t k = 0; k < keep; k++) {
		slot = vec_push(&d->next);
		if (!slot)
			return ns_err_set(e, -ENOMEM, "out of memory");
		*slot = *AT(d->cand, struct ns_netns, k);
	}
	qsort(d->next.v, d->next.n, sizeof(struct ns_netns), cmp_netns);
	rc = diff(d);
	if (rc)
		return ns_err_set(e, rc, "out of memory");
	/* next becomes cur; appeared pointers were into next's array, which is now cur's. */
	tmp = d->cur;
	d->cur = d->next;
	d->next = tmp;
	d->stats.runs++;
	d->stats.appeared_total += d->appeared.n;
	d->stats.vanished_total += d->vanished.n;
	d->stats.last_duration_s = (double)(ns_mono_ns() - t0) / 1e9;
	return 0;
}

int ns_discovery_maybe_run(struct ns_discovery *d, int64_t now_ns, struct ns_err *e)
{
	int rc;

	if (d->ran && now_ns - d->last_run_ns < d->interval_ns)
		return 0;
	/* A failed run waits for the interval too. */
	d->ran = true;
	d->last_run_ns = now_ns;
	rc = ns_discovery_run(d, e);
	return rc ? rc : 1;
}

size_t ns_discovery_count(const struct ns_discovery *d)
{
	return d->cur.n;
}

const struct ns_netns *ns_discovery_get(const struct ns_discovery *d, size_t i)
{
	return i < d->cur.n ? AT(d->cur, struct ns_netns, i) : NULL;
}

const struct ns_netns *ns_discovery_find(const struct ns_discovery *d, uint64_t dev, uint64_t ino)
{
	return find_in(&d->cur, dev, ino);
}

size_t ns_discovery_appeared(const struct ns_discovery *d, const struct ns_netns *const **list)
{
	*list = d->appeared.v;
	return d->appeared.n;
}

size_t ns_discovery_vanished(const struct ns_discovery *d, const struct ns_netns **list)
{
	*list = d->vanished.v;
	return d->vanished.n;
}

const struct ns_discovery_stats *ns_discovery_stats(const struct ns_discovery *d)
{
	return &d->stats;
}

int ns_discovery_open(const struct ns_discovery *d, const struct ns_netns *ns, struct ns_err *e)
{
	char path[4096];
	struct stat st;
	int fd;

	if (ns->self)
		snprintf(path, sizeof(path), "%s/self/ns/net", d->procfs);
	else if (ns->name[0])
		snprintf(path, sizeof(path), "%s/%s", d->run_netns, ns->name);
	else if (ns->pid)
		snprintf(path, sizeof(path), "%s/%d/ns/net", d->procfs, (int)ns->pid);
	else
		return ns_err_set(e, -ENOENT, "netns %s: no way to open it", ns->label);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ns_err_set(e, -errno, "netns %s: %s: %s", ns->label, path, strerror(errno));
	if (fstat(fd, &st) < 0 || (uint64_t)st.st_dev != ns->dev ||
	    (uint64_t)st.st_ino != ns->ino) {
		close(fd);
		return ns_err_set(e, -ESTALE, "netns %s: %s is no longer the same namespace",
				  ns->label, path);
	}
	return fd;
}

void ns_discovery_count_failure(struct ns_discovery *d, uint64_t dev, uint64_t ino, bool entering)
{
	struct ns_netns *ns = (struct ns_netns *)find_in(&d->cur, dev, ino);

	if (ns && entering)
		ns->enter_failures++;
	else if (ns)
		ns->collect_failures++;
}

int ns_discovery_emit(const struct ns_discovery *d, struct ns_writer *w)
{
	struct ns_family *fi, *fe, *fc, *f;
	int rc = 0;

	fi =
	    ns_family(w, "netstack_netns_info",
		      "A network namespace collected: its netns label (\"\" for the daemon's own), "
		      "nsfs inode, and the Kubernetes pod UID, container ID and comm of one member "
		      "process (\"\" when unknown). Value 1.",
		      NS_INFO, NULL);
	fe = ns_family(w, "netstack_netns_enter_failures_total",
		       "Times a namespace could not be opened (once per rediscovery) or entered "
		       "(once per collector that tried).",
		       NS_COUNTER, NULL);
	fc = ns_family(w, "netstack_netns_collect_failures_total",
		       "Collections that failed inside a namespace (all collectors).", NS_COUNTER,
		       NULL);
	if (!fi || !fe || !fc)
		return -EINVAL;
	for (size_t i = 0; i < d->cur.n; i++) {
		const struct ns_netns *ns = AT(d->cur, struct ns_netns, i);

		rc = rc ? rc
			: ns_sample_u64(w, fi,
					NS_LABELS({"netns", ns->label}, {"inode", ns->inode},
						  {"pod_uid", ns->attr.pod_uid},
						  {"container_id", ns->attr.container_id},
						  {"comm", ns->attr.comm}),
					1);
		rc = rc ? rc
			: ns_sample_u64(w, fe, NS_LABELS({"netns", ns->label}), ns->enter_failures);
		rc = rc ? rc
			: ns_sample_u64(w, fc, NS_LABELS({"netns", ns->label}),
					ns->collect_failures);
	}
	f = ns_family(w, "netstack_netns_namespaces",
		      "Network namespaces listed by discovery (after the filters and the cap), the "
		      "daemon's own included.",
		      NS_GAUGE, NULL);
	rc = rc ? rc : f ? ns_sample_u64(w, f, NS_NOLABELS, d->cur.n) : -EINVAL;
	f = ns_family(w, "netstack_netns_over_max",
		      "Namespaces found but not collected in the last discovery: over --netns.max.",
		      NS_GAUGE, NULL);
	rc = rc ? rc : f ? ns_sample_u64(w, f, NS_NOLABELS, d->stats.over_max) : -EINVAL;
	f = ns_family(
	    w, "netstack_netns_filtered",
	    "Namespaces left out by --netns.include/--netns.exclude in the last discovery.",
	    NS_GAUGE, NULL);
	rc = rc ? rc : f ? ns_sample_u64(w, f, NS_NOLABELS, d->stats.filtered) : -EINVAL;
	f = ns_family(w, "netstack_netns_unreadable_processes",
		      "Processes whose network namespace could not be read in the last discovery "
		      "(EACCES: CAP_SYS_PTRACE missing).",
		      NS_GAUGE, NULL);
	rc = rc ? rc : f ? ns_sample_u64(w, f, NS_NOLABELS, d->stats.unreadable) : -EINVAL;
	f = ns_family(w, "netstack_netns_discovery_runs_total", "Namespace discovery runs.",
		      NS_COUNTER, NULL);
	rc = rc ? rc : f ? ns_sample_u64(w, f, NS_NOLABELS, d->stats.runs) : -EINVAL;
	f = ns_family(w, "netstack_netns_discovery_duration_seconds",
		      "Time the last namespace discovery run took.", NS_GAUGE, "seconds");
	rc = rc ? rc : f ? ns_sample_f64(w, f, NS_NOLABELS, d->stats.last_duration_s) : -EINVAL;
	return rc;
}
