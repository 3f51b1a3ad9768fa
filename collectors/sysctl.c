// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sysctl.c - kernel parameters from <procfs>/sys.
 *
 * The set of parameters is fixed at init(): a default list of the knobs that
 * network tuning guides watch, plus the "include" option (names or fnmatch
 * globs; globs are expanded once, at init, by walking <procfs>/sys), minus
 * the "exclude" option (names or globs). Names follow sysctl(8): either
 * dotted ("net.ipv4.tcp_rmem") or a path ("net/ipv4/tcp_rmem"); the first
 * separator decides which, and in the dotted form a '/' stands for a '.'
 * inside a path component (net.ipv4.conf.eth0/100.forwarding).
 *
 * Each scrape reads every parameter (one kept-open struct ns_file each) and
 * emits:
 *   netstack_sysctl_<name>             one integer value, no labels
 *   netstack_sysctl_<name>{index="i"}  several whitespace-separated integers
 *   netstack_sysctl_info{name,value} 1 anything else (text, mixed, empty)
 *   netstack_sysctl_read_errors        parameters present but unreadable
 *   netstack_sysctl_missing            explicitly included names that are absent
 *   netstack_sysctl_withheld           parameters withheld as secret (below)
 *   netstack_sysctl_name_collisions    parameters exported in _info only (below)
 * A parameter from the default set or from a glob that is absent is skipped
 * silently (nf_conntrack not loaded, an interface gone, another namespace).
 *
 * Secrets: sysctls that hold key material (sysctl_secrets[]) are never
 * read or exported, whatever the include names, globs and privileges: the
 * deny list is applied after glob expansion and after the exclude option,
 * and what it removed is only counted.
 *
 * Name collisions: a metric name keeps only [A-Za-z0-9_] of the sysctl's
 * name, so net.ipv4.conf.a-b.forwarding and net.ipv4.conf.a_b.forwarding
 * (two interfaces) would be one metric. Decided once, at init: the one
 * whose name needs no replacement other than '.' -> '_' keeps the metric
 * name, otherwise the first in byte order of the dotted names; each other
 * one is exported as netstack_sysctl_info{name,value} (its full name is the
 * label) and counted in netstack_sysctl_name_collisions.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "procfs.h"

#define SYSCTL_PREFIX "netstack_sysctl_"
#define SYSCTL_MAX_DEPTH 16
/*
 * Parameters beyond this many (in name order) are read with open/read/close
 * into one shared buffer instead of keeping an fd each: a broad glob
 * ("net.*" on a host with many interfaces) must not exhaust RLIMIT_NOFILE.
 */
#define SYSCTL_MAX_OPEN 128
/* Longest integer token we try to parse: 20 digits, a sign and some slack. */
#define SYSCTL_MAX_NUM 31

enum sysctl_origin {
	ORIGIN_DEFAULT,	 /* built-in list: silent when absent */
	ORIGIN_GLOB,	 /* matched an include glob at init: silent when absent */
	ORIGIN_EXPLICIT, /* an include name: counted in _missing when absent */
};

struct sysctl_param {
	char *name;   /* dotted, e.g. "net.ipv4.conf.eth0/100.forwarding" */
	char *rel;    /* below the procfs root, e.g. "sys/net/ipv4/conf/eth0.100/forwarding" */
	char *metric; /* "netstack_sysctl_net_ipv4_conf_eth0_100_forwarding" */
	char *help;
	enum sysctl_origin origin;
	bool renamed; /* its metric name is another's: exported in _info only */
	struct ns_file file;
};

struct sysctl_state {
	struct sysctl_param *p;
	size_t n, cap;
	uint64_t withheld;     /* parameters dropped by the secret deny list */
	uint64_t collisions;   /* parameters whose metric name another one has */
	struct ns_buf scratch; /* for parameters past SYSCTL_MAX_OPEN */
};

static const char *const sysctl_defaults[] = {
    "net.core.somaxconn",
    "net.core.rmem_max",
    "net.core.wmem_max",
    "net.core.rmem_default",
    "net.core.wmem_default",
    "net.core.netdev_max_backlog",
    "net.core.netdev_budget",
    "net.core.netdev_budget_usecs",
    "net.core.default_qdisc",
    "net.ipv4.tcp_max_syn_backlog",
    "net.ipv4.tcp_tw_reuse",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
    "net.ipv4.tcp_mem",
    "net.ipv4.udp_mem",
    "net.ipv4.tcp_fastopen",
    "net.ipv4.tcp_congestion_control",
    "net.ipv4.tcp_available_congestion_control",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.tcp_max_tw_buckets",
    "net.ipv4.tcp_max_orphans",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.ip_forward",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_buckets",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
};

/*
 * Key material the kernel exposes under /proc/sys/net (dotted fnmatch
 * patterns): the TCP Fast Open server keys, the NIC receive-side-scaling
 * hash key, the IPv6 stable-privacy address secret per interface, and the
 * multipath routing hash seed. Each lets whoever reads it forge cookies,
 * predict addresses or steer flows into one queue or path.
 */
static const char *const sysctl_secrets[] = {
    "net.ipv4.tcp_fastopen_key",
    "net.core.netdev_rss_key",
    "net.ipv6.conf.*.stable_secret",
    "net.ipv4.fib_multipath_hash_seed",
};

static const struct ns_option sysctl_options[] = {
    {"include", NS_OPT_LIST, NULL,
     "Extra sysctls to expose, by name (net.ipv4.tcp_sack or net/ipv4/tcp_sack) or glob "
     "(net.ipv4.tcp_*); globs are expanded once at startup"},
    {"exclude", NS_OPT_LIST, NULL,
     "Sysctls (names or globs) to remove from the default and included set"},
    {"defaults", NS_OPT_BOOL, "true",
     "Start from the built-in list; false: only the include names (the curated set of "
     "other network namespaces uses this)"},
    {NULL, 0, NULL, NULL},
};

/*
 * sysctl(8)'s rule: if the first separator in @s is '/', @s is already a
 * path; otherwise swap '.' and '/' throughout. The same swap turns a path
 * back into a dotted name (with @to_path false).
 */
static void sysctl_swap_sep(char *s, bool to_path)
{
	char *p = strpbrk(s, "./");

	if (!p || *p == (to_path ? '/' : '.'))
		return;
	for (; p; p = strpbrk(p + 1, "./"))
		*p = *p == '.' ? '/' : '.';
}

static bool is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* @path (no "sys/" prefix): no empty, "." or ".." components. */
static bool path_ok(const char *path)
{
	const char *c = path;

	if (!*path || strlen(path) >= PATH_MAX - 16)
		return false;
	for (;;) {
		size_t len = strcspn(c, "/");

		if (len == 0 || (len == 1 && c[0] == '.') ||
		    (len == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (!c[len])
			return true;
		c += len + 1;
	}
}

/* Convert a user-given name or glob to path form (no "sys/"), validated. */
static int user_to_path(const char *in, char **out, struct ns_err *e)
{
	char *s = strdup(in);

	if (!s)
		return -ENOMEM;
	sysctl_swap_sep(s, true);
	if (!path_ok(s)) {
		free(s);
		return ns_err_set(e, -EINVAL, "invalid sysctl name \"%s\"", in);
	}
	*out = s;
	return 0;
}

static void param_free(struct sysctl_param *p)
{
	free(p->name);
	free(p->rel);
	free(p->metric);
	free(p->help);
	ns_file_close(&p->file);
}

/* Add the parameter at @path (below sys/, path form); duplicates are merged later. */
static int add_param(struct sysctl_state *st, const char *path, enum sysctl_origin origin)
{
	struct sysctl_param *p;
	size_t len = strlen(path);

	if (NS_ARRAY_GROW(st->p, st->cap, st->n + 1, 8))
		return -ENOMEM;
	p = &st->p[st->n];
	*p = (struct sysctl_param){.origin = origin, .file = NS_FILE_INIT};
	p->name = strdup(path);
	p->metric = malloc(sizeof(SYSCTL_PREFIX) + len);
	if (!p->name || !p->metric || asprintf(&p->rel, "sys/%s", path) < 0) {
		p->rel = NULL;
		param_free(p);
		return -ENOMEM;
	}
	sysctl_swap_sep(p->name, false);
	memcpy(p->metric, SYSCTL_PREFIX, sizeof(SYSCTL_PREFIX) - 1);
	for (size_t k = 0; k <= len; k++) {
		char c = p->name[k];

		if (c && !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '_'))
			c = '_';
		p->metric[sizeof(SYSCTL_PREFIX) - 1 + k] = c;
	}
	if (asprintf(&p->help, "Kernel parameter %s (/proc/sys/%s).", p->name, path) < 0) {
		p->help = NULL;
		param_free(p);
		return -ENOMEM;
	}
	st->n++;
	return 0;
}

/*
 * Walk the directory @fd (whose path below sys/ is @path, of length
 * @len, in a PATH_MAX buffer) and add every regular file whose dotted name
 * matches @glob (dotted). Files we cannot read are skipped: write-only
 * triggers (net.ipv4.route.flush, vm.drop_caches: no read bit at all, and
 * procfs refuses them even to root) and, when not running as root, files
 * readable by root only (net.ipv4.tcp_fastopen_key).
 */
static int walk(struct sysctl_state *st, int fd, char *path, size_t len, const char *glob,
		int depth)
{
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (depth > SYSCTL_MAX_DEPTH) {
		close(fd);
		return 0;
	}
	d = fdopendir(fd);
	if (!d) {
		rc = -errno;
		close(fd);
		return rc;
	}
	while (!rc && (de = readdir(d)) != NULL) {
		size_t nlen = strlen(de->d_name);
		unsigned char type = de->d_type;
		struct stat sb;
		char *name;

		if (de->d_name[0] == '.' &&
		    (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (len + nlen + 2 >= PATH_MAX)
			continue;
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* vanished */
		if (type == DT_UNKNOWN)
			type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_LNK;
		path[len] = len ? '/' : '\0';
		memcpy(path + len + !!len, de->d_name, nlen + 1);
		if (type == DT_DIR) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);

			if (sub >= 0)
				rc = walk(st, sub, path, len + !!len + nlen, glob, depth + 1);
		} else if (type == DT_REG && (sb.st_mode & (S_IRUSR | S_IRGRP | S_IROTH)) &&
			   faccessat(dirfd(d), de->d_name, R_OK, AT_EACCESS) == 0) {
			name = strdup(path);
			if (!name) {
				rc = -ENOMEM;
				break;
			}
			sysctl_swap_sep(name, false);
			if (fnmatch(glob, name, 0) == 0)
				rc = add_param(st, path, ORIGIN_GLOB);
			free(name);
		}
		path[len] = '\0';
	}
	closedir(d);
	return rc;
}

/* Expand @gpath (a glob in path form) below <procfs>/sys. */
static int expand_glob(struct sysctl_state *st, const struct ns_ctx *ctx, const char *gpath,
		       struct ns_err *e)
{
	char path[PATH_MAX], dotted[PATH_MAX];
	size_t len = 0, plen;
	int fd, rc;

	/* Start the walk at the longest run of leading components without glob characters. */
	for (const char *c = gpath;;) {
		size_t clen = strcspn(c, "/");

		if (!c[clen] || memchr(c, '*', clen) || memchr(c, '?', clen) ||
		    memchr(c, '[', clen))
			break;
		len = (size_t)(c + clen - gpath);
		c += clen + 1;
	}
	plen = strlen(gpath);
	memcpy(dotted, gpath, plen + 1);
	sysctl_swap_sep(dotted, false);
	memcpy(path, "sys/", 4);
	memcpy(path + 4, gpath, len);
	path[4 + len] = '\0';
	fd = openat(ctx->procfs_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = errno;
		if (rc == ENOENT || rc == ENOTDIR)
			return 0; /* nothing to match */
		return ns_err_set(e, -rc, "cannot open %s/%s: %s", ctx->procfs_path, path,
				  strerror(rc));
	}
	memcpy(path, gpath, len);
	path[len] = '\0';
	rc = walk(st, fd, path, len, dotted, 0);
	if (rc)
		return ns_err_set(e, rc, "expanding \"%s\": %s", dotted, strerror(-rc));
	return 0;
}

static bool is_secret(const char *name)
{
	for (size_t i = 0; i < sizeof(sysctl_secrets) / sizeof(sysctl_secrets[0]); i++)
		if (fnmatch(sysctl_secrets[i], name, 0) == 0)
			return true;
	return false;
}

/* Remove the parameters that hold key material; count them in st->withheld. */
static void drop_secrets(struct sysctl_state *st)
{
	size_t keep = 0;

	for (size_t i = 0; i < st->n; i++) {
		if (is_secret(st->p[i].name)) {
			st->withheld++;
			param_free(&st->p[i]);
		} else {
			st->p[keep++] = st->p[i];
		}
	}
	st->n = keep;
}

static int cmp_param(const void *a, const void *b)
{
	return strcmp(((const struct sysctl_param *)a)->name,
		      ((const struct sysctl_param *)b)->name);
}

/* 0 if @name maps to a metric with '.' -> '_' only, else 1: the lower keeps the metric name. */
static int name_rank(const char *name)
{
	for (const char *c = name; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.'))
			return 1;
	return 0;
}

static int cmp_metric(const void *a, const void *b)
{
	const struct sysctl_param *pa = *(const struct sysctl_param *const *)a;
	const struct sysctl_param *pb = *(const struct sysctl_param *const *)b;
	int c = strcmp(pa->metric, pb->metric);

	if (!c)
		c = name_rank(pa->name) - name_rank(pb->name);
	return c ? c : strcmp(pa->name, pb->name);
}

/* Mark the parameters whose metric name an earlier one (cmp_metric order) has. */
static int mark_collisions(struct sysctl_state *st)
{
	struct sysctl_param **by = malloc(st->n * sizeof(*by));

	if (!by)
		return -ENOMEM;
	for (size_t i = 0; i < st->n; i++)
		by[i] = &st->p[i];
	qsort(by, st->n, sizeof(*by), cmp_metric);
	for (size_t i = 1; i < st->n; i++) {
		if (strcmp(by[i]->metric, by[i - 1]->metric) == 0) {
			by[i]->renamed = true;
			st->collisions++;
		}
	}
	free(by);
	return 0;
}

static void sysctl_fini(void *state)
{
	struct sysctl_state *st = state;

	if (!st)
		return;
	for (size_t i = 0; i < st->n; i++)
		param_free(&st->p[i]);
	free(st->p);
	ns_buf_free(&st->scratch);
	free(st);
}

/* Drop the parameters matching one of the @nexc exclude patterns. */
static int sysctl_exclude(struct sysctl_state *st, const char *const *exc, size_t nexc,
			  struct ns_err *e)
{
	char **exc_dotted = calloc(nexc, sizeof(*exc_dotted));
	int rc = exc_dotted ? 0 : -ENOMEM;

	for (size_t i = 0; !rc && i < nexc; i++) {
		rc = user_to_path(exc[i], &exc_dotted[i], e);
		if (!rc)
			sysctl_swap_sep(exc_dotted[i], false);
	}
	if (!rc && nexc) {
		size_t keep = 0;

		for (size_t i = 0; i < st->n; i++) {
			bool drop = false;

			for (size_t k = 0; !drop && k < nexc; k++)
				drop = fnmatch(exc_dotted[k], st->p[i].name, 0) == 0;
			if (drop)
				param_free(&st->p[i]);
			else
				st->p[keep++] = st->p[i];
		}
		st->n = keep;
	}
	for (size_t i = 0; exc_dotted && i < nexc; i++)
		free(exc_dotted[i]);
	free(exc_dotted);
	return rc;
}

/* Sort by name, merge duplicates (an explicit name counts as missing). */
static void sysctl_dedup(struct sysctl_state *st)
{
	if (st->n) {
		size_t keep = 1;

		qsort(st->p, st->n, sizeof(*st->p), cmp_param);
		for (size_t i = 1; i < st->n; i++) {
			struct sysctl_param *prev = &st->p[keep - 1];

			if (strcmp(prev->name, st->p[i].name) == 0) {
				if (st->p[i].origin == ORIGIN_EXPLICIT)
					prev->origin = ORIGIN_EXPLICIT;
				param_free(&st->p[i]);
			} else {
				st->p[keep++] = st->p[i];
			}
		}
		st->n = keep;
	}
}

static int sysctl_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state,
		       struct ns_err *e)
{
	const char *const *inc = NULL, *const *exc = NULL;
	size_t ninc = 0, nexc = 0, ndef = sizeof(sysctl_defaults) / sizeof(sysctl_defaults[0]);
	struct sysctl_state *st;
	char *path;
	int rc = 0;

	if (opts) {
		inc = ns_opt_list(opts, "include", &ninc);
		exc = ns_opt_list(opts, "exclude", &nexc);
		if (!ns_opt_bool(opts, "defaults"))
			ndef = 0;
	}
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	for (size_t i = 0; !rc && i < ndef; i++) {
		rc = user_to_path(sysctl_defaults[i], &path, e);
		if (!rc) {
			rc = add_param(st, path, ORIGIN_DEFAULT);
			free(path);
		}
	}
	for (size_t i = 0; !rc && i < ninc; i++) {
		rc = user_to_path(inc[i], &path, e);
		if (rc)
			break;
		if (is_glob(path))
			rc = expand_glob(st, ctx, path, e);
		else
			rc = add_param(st, path, ORIGIN_EXPLICIT);
		free(path);
	}
	if (!rc && nexc)
		rc = sysctl_exclude(st, exc, nexc, e);
	if (!rc)
		drop_secrets(st);
	if (rc) {
		if (rc == -ENOMEM)
			ns_err_set(e, rc, "out of memory");
		sysctl_fini(st);
		return rc;
	}
	sysctl_dedup(st);
	rc = st->n ? mark_collisions(st) : 0;
	if (rc) {
		ns_err_set(e, rc, "out of memory");
		sysctl_fini(st);
		return rc;
	}
	*state = st;
	return 0;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Count the whitespace-separated tokens of @s if every one is a decimal
 * integer that fits in int64 (negative) or uint64; 0 otherwise (not
 * numeric, or empty). Does not modify @s.
 */
static size_t count_numbers(const char *s)
{
	char tok[SYSCTL_MAX_NUM + 1];
	size_t n = 0;

	for (;;) {
		const char *t;
		size_t len;
		uint64_t u;
		int64_t v;
		int rc;

		while (is_space(*s))
			s++;
		if (!*s)
			return n;
		t = s;
		while (*s && !is_space(*s))
			s++;
		len = (size_t)(s - t);
		if (len > SYSCTL_MAX_NUM)
			return 0;
		memcpy(tok, t, len);
		tok[len] = '\0';
		rc = tok[0] == '-' ? ns_parse_i64(tok, &v) : ns_parse_u64(tok, &u);
		if (rc)
			return 0;
		n++;
	}
}

static int emit_numbers(struct ns_writer *w, struct sysctl_param *p, char *s, size_t count)
{
	struct ns_family *f = ns_family(w, p->metric, p->help, NS_GAUGE, NULL);
	char idx[24];
	size_t i = 0;
	char *tok;
	int rc = 0;

	if (!f)
		return -EINVAL;
	while ((tok = ns_next_token(&s)) != NULL) {
		struct ns_label l = {"index", idx};
		const struct ns_label *lp = count > 1 ? &l : NULL;
		size_t nl = count > 1 ? 1 : 0;
		int64_t v = 0;
		uint64_t u = 0;
		int r;

		snprintf(idx, sizeof(idx), "%zu", i++);
		if (tok[0] == '-') {
			/* count_numbers() checked that it parses */
			ns_parse_i64(tok, &v);
			r = ns_sample_i64(w, f, lp, nl, v);
		} else {
			ns_parse_u64(tok, &u);
			r = ns_sample_u64(w, f, lp, nl, u);
		}
		if (r && r != -EEXIST && !rc)
			rc = r;
	}
	return rc;
}

static int emit_info(struct ns_writer *w, const struct sysctl_param *p, char *s)
{
	struct ns_family *f = ns_family(w, SYSCTL_PREFIX "info",
					"Kernel parameters whose value is not a list of integers; "
					"the value label holds the parameter's content.",
					NS_INFO, NULL);
	size_t len;
	int rc;

	if (!f)
		return -EINVAL;
	while (is_space(*s))
		s++;
	len = strlen(s);
	while (len && is_space(s[len - 1]))
		s[--len] = '\0';
	rc = ns_sample_u64(w, f, NS_LABELS({"name", p->name}, {"value", s}), 1);
	return rc == -EEXIST ? 0 : rc;
}

static int emit_count(struct ns_writer *w, const char *name, const char *help, uint64_t v)
{
	struct ns_family *f = ns_family(w, name, help, NS_GAUGE, NULL);

	if (!f)
		return -EINVAL;
	return ns_sample_u64(w, f, NS_NOLABELS, v);
}

static int sysctl_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct sysctl_state *st = state;
	uint64_t read_errors = 0, missing = 0;
	const char *first_err = "counters";
	bool msg_set = false;
	int rc = 0, r;

	for (size_t i = 0; i < st->n; i++) {
		struct sysctl_param *p = &st->p[i];
		struct ns_buf *buf;
		size_t count;

		if (i < SYSCTL_MAX_OPEN) {
			r = ns_file_read(&p->file, ctx->procfs_fd, p->rel);
			buf = &p->file.buf;
		} else {
			r = ns_read_file_at(ctx->procfs_fd, p->rel, &st->scratch);
			buf = &st->scratch;
		}
		if (r == -ENOENT || r == -ENOTDIR) {
			if (p->origin == ORIGIN_EXPLICIT)
				missing++;
			continue;
		}
		if (r == -ENOMEM) {
			if (!rc) {
				rc = ns_err_set(e, r, "reading %s: out of memory", p->name);
				msg_set = true;
			}
			continue;
		}
		if (r) {
			read_errors++;
			continue;
		}
		count = p->renamed ? 0 : count_numbers(buf->data);
		r = count ? emit_numbers(w, p, buf->data, count) : emit_info(w, p, buf->data);
		if (r && !rc) {
			rc = r;
			first_err = p->name;
		}
	}
	r = emit_count(w, SYSCTL_PREFIX "read_errors",
		       "Number of sysctls that exist but could not be read in this scrape.",
		       read_errors);
	if (r && !rc)
		rc = r;
	r = emit_count(w, SYSCTL_PREFIX "missing",
		       "Number of explicitly included sysctls (not globs) that do not exist.",
		       missing);
	if (r && !rc)
		rc = r;
	r = emit_count(w, SYSCTL_PREFIX "withheld",
		       "Number of matched sysctls not exported because they hold key material "
		       "(TCP Fast Open keys, the RSS hash key, IPv6 stable secrets, the multipath "
		       "hash seed).",
		       st->withheld);
	if (r && !rc)
		rc = r;
	r = emit_count(w, SYSCTL_PREFIX "name_collisions",
		       "Number of sysctls whose metric name another sysctl already has "
		       "(net.ipv4.conf.a-b.* and net.ipv4.conf.a_b.*): exported in "
		       "netstack_sysctl_info only.",
		       st->collisions);
	if (r && !rc)
		rc = r;
	if (rc && !msg_set)
		ns_err_set(e, rc, "emitting %s: %s", first_err, strerror(-rc));
	return rc;
}

const struct ns_collector ns_collector_sysctl = {
    .name = "sysctl",
    .help = "Kernel parameters (sysctls) relevant to network tuning",
    .default_enabled = true,
    .options = sysctl_options,
    .init = sysctl_init,
    .collect = sysctl_collect,
    .fini = sysctl_fini,
};
