// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conntrack.c - connection tracking: table fill, per-CPU statistics and a
 * rate-limited breakdown of the table.
 *
 * Every scrape (cheap, O(CPUs), never a table walk):
 *
 *   1. IPCTNL_MSG_CT_GET_STATS (a plain request, one answer) on the context's
 *      NETLINK_NETFILTER socket: CTA_STATS_GLOBAL_ENTRIES and
 *      CTA_STATS_GLOBAL_MAX_ENTRIES -> netstack_conntrack_entries and
 *      netstack_conntrack_entries_limit.
 *   2. IPCTNL_MSG_CT_GET_STATS_CPU and IPCTNL_MSG_EXP_GET_STATS_CPU dumps: one
 *      message per possible CPU (nfgenmsg.res_id = CPU), every CTA_STATS_* /
 *      CTA_STATS_EXP_* attribute the kernel sends -> one counter each, with a
 *      cpu label (or summed over CPUs when per-cpu is false). Attributes this
 *      file does not know are skipped; a 4-byte or 8-byte big-endian payload
 *      is accepted, anything else is skipped rather than guessed.
 *
 * nfnetlink refuses every message without CAP_NET_ADMIN (EPERM). Then, and
 * when ctnetlink is not available at all (EINVAL: no such nfnetlink
 * subsystem; EPROTONOSUPPORT: no nfnetlink), the same numbers come from
 * /proc: sys/net/netfilter/nf_conntrack_count and nf_conntrack_max, and
 * net/stat/nf_conntrack (CONFIG_NF_CONNTRACK_PROCFS, often off since 5.15),
 * whose columns are found by the names in its header line, never by
 * position. Columns whose counters the kernel no longer maintains (searched,
 * new, ignore, delete, delete_list) are printed as literal zeros by every
 * kernel whose header says "clashres" (>= 5.10), so they are exposed only
 * from the older layout. Rows are CPUs in cpu_possible order, mapped to CPU
 * ids with devices/system/cpu/possible below the sysfs root.
 * netstack_conntrack_source_info{source="netlink"|"procfs"} says which path
 * answered.
 *
 * Conntrack not loaded: there is no sys/net/netfilter/nf_conntrack_count
 * (it exists in every namespace once nf_conntrack is loaded). The collector
 * then exposes only netstack_conntrack_enabled 0 and succeeds: no error, no
 * fake zeros, and no ctnetlink request (which would make the kernel load
 * nf_conntrack_netlink and nf_conntrack with it).
 *
 * Breakdown (optional, netlink only): an IPCTNL_MSG_CT_GET dump of the whole
 * table, each message parsed with libnetfilter_conntrack (nfct_nlmsg_parse)
 * inside the ns_nl_run callback, counting entries by layer-3/layer-4
 * protocol, TCP state, original source address, and original destination
 * (address, layer-4 protocol, port). It runs at most once per
 * breakdown-interval seconds; between runs the cached result is exposed with
 * its timestamp, duration, entry count and truncation flag. It stops
 * parsing after breakdown-max-entries entries (truncated = 1); the netlink
 * layer still reads the rest of the dump (see docs/PERFORMANCE.md). One
 * nf_conntrack object is reused for every message (the attributes read are
 * unset before each parse); an entry carrying malloc'd attributes (security
 * context, helper info, labels) has its object replaced, so nothing leaks.
 *
 * Top-K sources and destinations use the space-saving table of src/topk.h
 * over top-tracked keys each: with m tracked keys and n entries, every key
 * with more than n/m entries is in the table, and the count exposed is
 * topk.h's lower bound (count minus what the key inherited from an evicted
 * one). When no key was ever evicted the counts are exact:
 * netstack_conntrack_top_exact{table} says which.
 *
 * Nothing in the per-scrape path allocates once warm: the per-CPU array
 * only grows, files keep their fds and buffers.
 */
#include "conntrack.h"

/* Per-CPU statistics: netlink attribute, /proc column, exposed name. */
enum {
	CT_ST_NONE = 0,	  /* an attribute still maintained */
	CT_ST_LEGACY = 1, /* "no longer used": literal 0 in /proc since 5.10 */
	CT_ST_EXP = 2,	  /* expectation table (IPCTNL_MSG_EXP_GET_STATS_CPU) */
};

struct ct_stat {
	const char *name;
	const char *help;
	unsigned attr;	    /* CTA_STATS_* or CTA_STATS_EXP_* */
	const char *column; /* header name in /proc/net/stat/nf_conntrack */
	unsigned flags;
};

static const struct ct_stat ct_stats[] = {
    {"netstack_conntrack_found_total", "Lookups that found an existing entry (CTA_STATS_FOUND).",
     CTA_STATS_FOUND, "found", 0},
    {"netstack_conntrack_invalid_total", "Packets that could not be tracked (CTA_STATS_INVALID).",
     CTA_STATS_INVALID, "invalid", 0},
    {"netstack_conntrack_insert_total", "Entries inserted into the table (CTA_STATS_INSERT).",
     CTA_STATS_INSERT, "insert", 0},
    {"netstack_conntrack_insert_failed_total",
     "Entries that could not be inserted, e.g. a clash that was not resolved "
     "(CTA_STATS_INSERT_FAILED).",
     CTA_STATS_INSERT_FAILED, "insert_failed", 0},
    {"netstack_conntrack_drop_total",
     "Packets dropped because no entry could be allocated: table full and nothing could be "
     "evicted (CTA_STATS_DROP).",
     CTA_STATS_DROP, "drop", 0},
    {"netstack_conntrack_early_drop_total",
     "Unassured entries evicted to make room in a full table (CTA_STATS_EARLY_DROP).",
     CTA_STATS_EARLY_DROP, "early_drop", 0},
    {"netstack_conntrack_error_total",
     "ICMP errors that could not be matched to an entry (CTA_STATS_ERROR, icmp_error).",
     CTA_STATS_ERROR, "icmp_error", 0},
    {"netstack_conntrack_search_restart_total",
     "Table lookups restarted because of a concurrent resize (CTA_STATS_SEARCH_RESTART).",
     CTA_STATS_SEARCH_RESTART, "search_restart", 0},
    {"netstack_conntrack_clash_resolve_total",
     "Insertion clashes that were resolved (CTA_STATS_CLASH_RESOLVE).", CTA_STATS_CLASH_RESOLVE,
     "clashres", 0},
    {"netstack_conntrack_chaintoolong_total",
     "Insertions refused because a hash chain was too long (CTA_STATS_CHAIN_TOOLONG).",
     CTA_STATS_CHAIN_TOOLONG, "chainlength", 0},
    {"netstack_conntrack_searched_total", "Table lookups (CTA_STATS_SEARCHED; old kernels only).",
     CTA_STATS_SEARCHED, "searched", CT_ST_LEGACY},
    {"netstack_conntrack_new_total", "Entries created (CTA_STATS_NEW; old kernels only).",
     CTA_STATS_NEW, "new", CT_ST_LEGACY},
    {"netstack_conntrack_ignore_total",
     "Packets already tracked or not trackable (CTA_STATS_IGNORE; old kernels only).",
     CTA_STATS_IGNORE, "ignore", CT_ST_LEGACY},
    {"netstack_conntrack_delete_total", "Entries deleted (CTA_STATS_DELETE; old kernels only).",
     CTA_STATS_DELETE, "delete", CT_ST_LEGACY},
    {"netstack_conntrack_delete_list_total",
     "Entries removed from the hash (CTA_STATS_DELETE_LIST; old kernels only).",
     CTA_STATS_DELETE_LIST, "delete_list", CT_ST_LEGACY},
    {"netstack_conntrack_expect_new_total", "Expectations added (CTA_STATS_EXP_NEW, expect_new).",
     CTA_STATS_EXP_NEW, "expect_new", CT_ST_EXP},
    {"netstack_conntrack_expect_create_total",
     "Expectations created (CTA_STATS_EXP_CREATE, expect_create).", CTA_STATS_EXP_CREATE,
     "expect_create", CT_ST_EXP},
    {"netstack_conntrack_expect_delete_total",
     "Expectations deleted (CTA_STATS_EXP_DELETE, expect_delete).", CTA_STATS_EXP_DELETE,
     "expect_delete", CT_ST_EXP},
};
#define CT_NSTATS (sizeof(ct_stats) / sizeof(ct_stats[0]))
_Static_assert(CT_NSTATS <= 32, "stat presence is a 32-bit mask");

/* Attribute number -> index in ct_stats, per message family (-1: unknown). */
static int ct_stat_index(unsigned attr, bool exp)
{
	for (size_t i = 0; i < CT_NSTATS; i++)
		if (ct_stats[i].attr == attr && !!(ct_stats[i].flags & CT_ST_EXP) == exp)
			return (int)i;
	return -1;
}

struct ct_cpu {
	unsigned cpu;
	uint32_t have; /* bit i: ct_stats[i] present */
	uint64_t v[CT_NSTATS];
};

/* ---- netlink: global and per-CPU statistics ---- */

static int ct_global_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_STATS_GLOBAL_MAX + 1];
	struct ct_state *st = data;

	if (nlh->nlmsg_type != CT_TYPE_STATS ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return MNL_CB_OK;
	ns_nl_parse(nlh, sizeof(struct nfgenmsg), tb, CTA_STATS_GLOBAL_MAX);
	if (ns_nl_get_be_uint(tb[CTA_STATS_GLOBAL_ENTRIES], &st->entries))
		st->have_entries = true;
	if (ns_nl_get_be_uint(tb[CTA_STATS_GLOBAL_MAX_ENTRIES], &st->limit))
		st->have_limit = true;
	return MNL_CB_OK;
}

/* The record for @cpu, created (zeroed) if new; NULL on ENOMEM. */
static struct ct_cpu *ct_cpu_get(struct ct_state *st, unsigned cpu)
{
	struct ct_cpu *c;

	for (size_t i = 0; i < st->ncpus; i++)
		if (st->cpus[i].cpu == cpu)
			return &st->cpus[i];
	if (NS_ARRAY_GROW(st->cpus, st->cpus_cap, st->ncpus + 1, 16))
		return NULL;
	c = &st->cpus[st->ncpus++];
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	return c;
}

struct ct_cpu_dump {
	struct ct_state *st;
	uint16_t type;
	bool exp;
};

static int ct_cpu_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTA_STATS_MAX + 1];
	struct ct_cpu_dump *d = data;
	const struct nfgenmsg *nfg;
	struct ct_cpu *c;
	unsigned max = d->exp ? CTA_STATS_EXP_MAX : CTA_STATS_MAX;

	/*
	 * The kernel answers IPCTNL_MSG_EXP_GET_STATS_CPU with the
	 * NFNL_SUBSYS_CTNETLINK subsystem in the type (ctnetlink_exp_stat_fill_info()),
	 * so accept either subsystem there.
	 */
	if (d->exp ? (nlh->nlmsg_type & 0xff) != IPCTNL_MSG_EXP_GET_STATS_CPU ||
			 (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK &&
			  NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK_EXP)
		   : nlh->nlmsg_type != d->type)
		return MNL_CB_OK;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*nfg))
		return MNL_CB_OK;
	nfg = mnl_nlmsg_get_payload(nlh);
	c = ct_cpu_get(d->st, ntohs(nfg->res_id));
	if (!c)
		return -ENOMEM;
	ns_nl_parse(nlh, sizeof(*nfg), tb, max);
	for (unsigned a = 1; a <= max; a++) {
		int i = ct_stat_index(a, d->exp);
		uint64_t v;

		if (i >= 0 && ns_nl_get_be_uint(tb[a], &v)) {
			c->v[i] = v;
			c->have |= 1u << i;
		}
	}
	return MNL_CB_OK;
}

/* DUMP_INTR: forget what this dump delivered so far. */
static void ct_cpu_reset(void *data)
{
	struct ct_cpu_dump *d = data;

	for (size_t i = 0; i < d->st->ncpus; i++)
		for (size_t s = 0; s < CT_NSTATS; s++)
			if (!!(ct_stats[s].flags & CT_ST_EXP) == d->exp)
				d->st->cpus[i].have &= ~(1u << s);
}

static int ct_nl_cpu(struct ns_nl *nl, struct ct_state *st, bool exp, struct ns_err *e)
{
	struct ct_cpu_dump d = {st, exp ? CT_TYPE_EXP_STATS_CPU : CT_TYPE_STATS_CPU, exp};

	ns_nl_nfgen_req(nl, d.type, NLM_F_DUMP, AF_UNSPEC);
	return ns_nl_run(nl, ct_cpu_cb, ct_cpu_reset, &d, e);
}

/* ---- procfs fallback ---- */

static int ct_read_u64(struct ns_file *f, int rootfd, const char *rel, uint64_t *v)
{
	char *s;
	size_t n;
	int rc = ns_file_read(f, rootfd, rel);

	if (rc)
		return rc;
	s = f->buf.data;
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		s[--n] = '\0';
	return ns_parse_u64(s, v);
}

/* The CPU list @s into st->possible. 0 or -EINVAL / -ENOMEM. */
static int ct_parse_cpulist(struct ct_state *st, const char *s)
{
	long n = ns_parse_cpulist(s, NULL, 0);

	st->npossible = 0;
	if (n < 0)
		return (int)n;
	if (NS_ARRAY_GROW(st->possible, st->possible_cap, (size_t)n, 64))
		return -ENOMEM;
	st->npossible = (size_t)ns_parse_cpulist(s, st->possible, (size_t)n);
	return 0;
}

/*
 * /proc/net/stat/nf_conntrack: a header line of column names, then one row
 * of hexadecimal values per possible CPU. Returns 0, -ENOENT (no file) or
 * -EBADMSG with @e filled.
 */
static int ct_proc_cpu(struct ns_ctx *ctx, struct ct_state *st, struct ns_err *e)
{
	int colidx[64];
	size_t ncols = 0, row = 0;
	bool clashres = false, by_possible;
	char *cur, *line, *tok;
	int rc;

	rc = ns_file_read(&st->f_stat, ctx->procfs_fd, REL_STAT);
	if (rc)
		return rc;
	cur = st->f_stat.buf.data;
	line = ns_next_line(&cur);
	if (!line)
		return ns_err_set(e, -EBADMSG, "%s: empty", REL_STAT);
	while ((tok = ns_next_token(&line))) {
		int idx = -1;

		if (ncols == sizeof(colidx) / sizeof(colidx[0]))
			return ns_err_set(e, -EBADMSG, "%s: more than %zu columns", REL_STAT,
					  ncols);
		if (strcmp(tok, "clashres") == 0)
			clashres = true;
		for (size_t i = 0; i < CT_NSTATS; i++)
			if (strcmp(tok, ct_stats[i].column) == 0)
				idx = (int)i;
		colidx[ncols++] = idx;
	}
	if (clashres)
		for (size_t c = 0; c < ncols; c++)
			if (colidx[c] >= 0 && (ct_stats[colidx[c]].flags & CT_ST_LEGACY))
				colidx[c] = -1;

	by_possible = ns_file_read(&st->f_possible, ctx->sysfs_fd, REL_POSSIBLE) == 0 &&
		      ct_parse_cpulist(st, st->f_possible.buf.data) == 0;
	while ((line = ns_next_line(&cur))) {
		uint64_t vals[64];
		size_t n = 0;
		struct ct_cpu *c;

		while ((tok = ns_next_token(&line))) {
			if (n == ncols || ns_parse_hex_u64(tok, &vals[n]))
				return ns_err_set(e, -EBADMSG,
						  "%s: row %zu does not match the header", REL_STAT,
						  row + 1);
			n++;
		}
		if (n == 0)
			continue;
		if (n != ncols)
			return ns_err_set(e, -EBADMSG, "%s: row %zu has %zu of %zu columns",
					  REL_STAT, row + 1, n, ncols);
		c = ct_cpu_get(st, by_possible && row < st->npossible ? st->possible[row]
								      : (unsigned)row);
		if (!c)
			return ns_err_set(e, -ENOMEM, "out of memory");
		for (size_t k = 0; k < ncols; k++)
			if (colidx[k] >= 0) {
				c->v[colidx[k]] = vals[k];
				c->have |= 1u << colidx[k];
			}
		row++;
	}
	/* Rows do not line up with the possible CPUs: label by row instead. */
	if (by_possible && row != st->npossible)
		for (size_t i = 0; i < st->ncpus; i++)
			st->cpus[i].cpu = (unsigned)i;
	return 0;
}

/* ---- emission ---- */

static void ct_emit_stats(struct ns_emit *em, const struct ct_state *st)
{
	for (size_t s = 0; s < CT_NSTATS; s++) {
		struct ns_family *f = NULL;
		uint64_t sum = 0;
		bool any = false;

		for (size_t i = 0; i < st->ncpus; i++) {
			const struct ct_cpu *c = &st->cpus[i];
			char cpu[16];

			if (!(c->have & (1u << s)))
				continue;
			if (!f)
				f = ns_emit_family(em, ct_stats[s].name, ct_stats[s].help,
						   NS_COUNTER, NULL);
			any = true;
			sum += c->v[s];
			if (st->per_cpu) {
				snprintf(cpu, sizeof(cpu), "%u", c->cpu);
				ns_emit_u64(em, f, NS_LABELS({"cpu", cpu}), c->v[s]);
			}
		}
		if (any && !st->per_cpu)
			ns_emit_u64(em, f, NS_NOLABELS, sum);
	}
}

/* The table-level families, each emitted only when its value was read. */
enum { CF_ENABLED, CF_SOURCE, CF_ENTRIES, CF_LIMIT, CF_EXP_LIMIT, CF_N };
static const struct ns_family_decl ct_fams[CF_N] = {
    [CF_ENABLED] = {"netstack_conntrack_enabled",
		    "1 if connection tracking is loaded in this network namespace, else 0.",
		    NS_GAUGE, NULL},
    [CF_SOURCE] = {"netstack_conntrack_source_info",
		   "Where the conntrack numbers were read: netlink (ctnetlink) or procfs "
		   "(fallback without CAP_NET_ADMIN or without ctnetlink).",
		   NS_INFO, NULL},
    [CF_ENTRIES] = {"netstack_conntrack_entries",
		    "Entries in the connection tracking table of this network namespace.", NS_GAUGE,
		    NULL},
    [CF_LIMIT] = {"netstack_conntrack_entries_limit",
		  "Maximum number of entries (nf_conntrack_max); new connections are dropped "
		  "when entries reach it and nothing can be evicted.",
		  NS_GAUGE, NULL},
    [CF_EXP_LIMIT] = {"netstack_conntrack_expect_entries_limit",
		      "Maximum number of expectations (nf_conntrack_expect_max).", NS_GAUGE, NULL},
};

/* One sample of ct_fams[@i], the family resolved here. */
static void ct_emit_one(struct ns_emit *em, size_t i, const struct ns_label *l, size_t n,
			uint64_t v)
{
	struct ns_family *f;

	ns_emit_families(em, &ct_fams[i], 1, &f);
	ns_emit_u64(em, f, l, n, v);
}

static int ct_emit_all(const struct ct_state *st, struct ns_writer *w, struct ns_err *e)
{
	struct ns_emit em = NS_EMIT_INIT(w);

	ct_emit_one(&em, CF_ENABLED, NS_NOLABELS, st->source != CT_SRC_NONE);
	if (st->source == CT_SRC_NONE)
		return ns_emit_done(&em, e);
	ct_emit_one(&em, CF_SOURCE,
		    NS_LABELS({"source", st->source == CT_SRC_NETLINK ? "netlink" : "procfs"}), 1);
	if (st->have_entries)
		ct_emit_one(&em, CF_ENTRIES, NS_NOLABELS, st->entries);
	if (st->have_limit)
		ct_emit_one(&em, CF_LIMIT, NS_NOLABELS, st->limit);
	if (st->have_exp_limit)
		ct_emit_one(&em, CF_EXP_LIMIT, NS_NOLABELS, st->exp_limit);
	if (st->have_exp_count)
		ct_exp_emit(&em, st->exp_count);
	ct_emit_stats(&em, st);
	ct_emit_breakdown(&em, st);
	return ns_emit_done(&em, e);
}

/* ---- collector ---- */

/* Errors after which the numbers are read from /proc instead. */
static bool ct_nl_fallback(int rc)
{
	switch (rc) {
	case -EPERM:
	case -EACCES:
	case -EINVAL: /* no such nfnetlink subsystem: ctnetlink not loaded */
	case -EOPNOTSUPP:
	case -EPROTONOSUPPORT: /* no nfnetlink at all */
	case -EAFNOSUPPORT:
	case -ENOENT: /* replay: no recording */
		return true;
	default:
		return false;
	}
}

static int ct_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct ct_state *st = state;
	struct ns_err nlerr = {{0}};
	struct ns_nl *nl = NULL;
	uint64_t count = 0;
	struct ns_fail f = NS_FAIL_INIT(e);
	int rc, nlrc, countrc;

	st->source = CT_SRC_NONE;
	st->have_entries = st->have_limit = st->have_exp_limit = st->have_exp_count = false;
	st->ncpus = 0;

	/*
	 * The sysctl exists in every namespace once nf_conntrack is loaded.
	 * Without it, do not send a ctnetlink request: that would make the
	 * kernel load nf_conntrack_netlink, and nf_conntrack with it.
	 */
	countrc = ct_read_u64(&st->f_count, ctx->procfs_fd, REL_COUNT, &count);
	if (countrc == -ENOENT)
		return ct_emit_all(st, w, e);

	nlrc = ns_ctx_nl(ctx, NETLINK_NETFILTER, &nl, &nlerr);
	if (!nlrc) {
		ns_nl_nfgen_req(nl, CT_TYPE_STATS, 0, AF_UNSPEC);
		nlrc = ns_nl_run(nl, ct_global_cb, NULL, st, &nlerr);
	}
	if (!nlrc) {
		st->source = CT_SRC_NETLINK;
		if (!st->have_entries && !countrc) {
			st->entries = count;
			st->have_entries = true;
		}
		rc = ct_nl_cpu(nl, st, false, e);
		if (!rc)
			rc = ct_nl_cpu(nl, st, true, e);
		if (ns_fail_note(&f, rc))
			st->ncpus = 0; /* never half a snapshot */
		rc = ct_exp_count(nl, &st->exp_count, ns_fail_err(&f));
		st->have_exp_count = rc == 0;
		if (!ct_exp_absent(rc))
			ns_fail_note(&f, rc);
	} else {
		st->source = CT_SRC_PROCFS;
		st->have_entries = st->have_limit = false;
		if (!countrc) {
			st->entries = count;
			st->have_entries = true;
		} else {
			ns_fail_set(&f, countrc, "%s: %s", REL_COUNT, strerror(-countrc));
		}
		rc = ct_proc_cpu(ctx, st, ns_fail_err(&f));
		if (rc && rc != -ENOENT) {
			st->ncpus = 0;
			ns_fail_note(&f, rc);
		}
		/* An unexpected netlink failure is reported even though /proc answered. */
		if (!ct_nl_fallback(nlrc))
			ns_fail_set(&f, nlrc, "%s", nlerr.msg);
	}
	if (!st->have_limit) {
		rc = ct_read_u64(&st->f_max, ctx->procfs_fd, REL_MAX, &st->limit);
		st->have_limit = rc == 0;
	}
	st->have_exp_limit =
	    ct_read_u64(&st->f_exp_max, ctx->procfs_fd, REL_EXP_MAX, &st->exp_limit) == 0;

	if (st->breakdown && st->source == CT_SRC_NETLINK &&
	    (!st->ran || (uint64_t)ns_mono_ns() - st->last_run_ns >= st->interval_ns)) {
		ns_fail_note(&f, ct_breakdown(ctx, st, ns_fail_err(&f)));
	}
	ns_fail_note(&f, ct_emit_all(st, w, ns_fail_err(&f)));
	return ns_fail_rc(&f);
}

static void ct_fini(void *state)
{
	struct ct_state *st = state;

	if (!st)
		return;
	ns_file_close(&st->f_count);
	ns_file_close(&st->f_max);
	ns_file_close(&st->f_exp_max);
	ns_file_close(&st->f_stat);
	ns_file_close(&st->f_possible);
	ns_topk_free(&st->scan.src);
	free(st->scan.top);
	ns_topk_free(&st->scan.dst);
	ctz_free(st->scan.zones);
	if (st->scan.ct)
		nfct_destroy(st->scan.ct);
	free(st->res.src);
	free(st->res.dst);
	free(st->cpus);
	free(st->possible);
	free(st);
}

static int ct_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct ct_state *st = calloc(1, sizeof(*st));
	uint64_t k = 5, tracked = 1024, interval = 60, zone_max = 16;
	int rc = 0;

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	st->f_count = (struct ns_file)NS_FILE_INIT;
	st->f_max = (struct ns_file)NS_FILE_INIT;
	st->f_exp_max = (struct ns_file)NS_FILE_INIT;
	st->f_stat = (struct ns_file)NS_FILE_INIT;
	st->f_possible = (struct ns_file)NS_FILE_INIT;
	st->per_cpu = true;
	st->breakdown = true;
	st->max_entries = 1000000;
	if (opts) {
		st->per_cpu = ns_opt_bool(opts, "per-cpu");
		st->breakdown = ns_opt_bool(opts, "breakdown");
		interval = ns_opt_uint(opts, "breakdown-interval");
		st->max_entries = ns_opt_uint(opts, "breakdown-max-entries");
		k = ns_opt_uint(opts, "top-k");
		tracked = ns_opt_uint(opts, "top-tracked");
		zone_max = ns_opt_uint(opts, "zone-max");
	}
	if (interval > UINT64_MAX / 1000000000ull)
		interval = UINT64_MAX / 1000000000ull;
	st->interval_ns = interval * 1000000000ull;
	if (k > CT_TOPK_MAX)
		rc = ns_err_set(e, -EINVAL, "top-k %llu is more than %d", (unsigned long long)k,
				CT_TOPK_MAX);
	else if (tracked < k || tracked < 1 || tracked > CT_TRACKED_MAX)
		rc = ns_err_set(e, -EINVAL, "top-tracked %llu must be between max(1, top-k) and %u",
				(unsigned long long)tracked, CT_TRACKED_MAX);
	else if (zone_max > CTZ_ZONE_MAX)
		rc = ns_err_set(e, -EINVAL, "zone-max %llu is more than %d",
				(unsigned long long)zone_max, CTZ_ZONE_MAX);
	if (rc) {
		ct_fini(st);
		return rc;
	}
	st->top_k = (size_t)k;
	st->tracked = (size_t)tracked;
	if (st->breakdown) {
		st->res.src = calloc(st->top_k ? st->top_k : 1, sizeof(*st->res.src));
		st->res.dst = calloc(st->top_k ? st->top_k : 1, sizeof(*st->res.dst));
		st->scan.top = calloc(st->top_k ? st->top_k : 1, sizeof(*st->scan.top));
		if (!st->res.src || !st->res.dst || !st->scan.top ||
		    ns_topk_init(&st->scan.src, st->tracked, sizeof(struct ct_key)) ||
		    ns_topk_init(&st->scan.dst, st->tracked, sizeof(struct ct_key)) ||
		    !(st->scan.zones = ctz_new(zone_max, st->top_k, st->tracked))) {
			ct_fini(st);
			return ns_err_set(e, -ENOMEM, "out of memory");
		}
	}
	*state = st;
	return 0;
}

static const struct ns_option ct_options[] = {
    {"per-cpu", NS_OPT_BOOL, "true",
     "Expose the per-CPU statistics with a cpu label (false: one series, summed over CPUs)."},
    {"breakdown", NS_OPT_BOOL, "true",
     "Dump the whole table (ctnetlink only) at most once per breakdown-interval to count "
     "entries by protocol, TCP state, top sources and top destinations."},
    {"breakdown-interval", NS_OPT_UINT, "60",
     "Minimum seconds between two breakdown table dumps; results are cached in between (0: "
     "every scrape)."},
    {"breakdown-max-entries", NS_OPT_UINT, "1000000",
     "Stop counting a breakdown after this many entries and flag it truncated (0: no cap)."},
    {"top-k", NS_OPT_UINT, "5", "Top sources and top destinations exposed (at most 100)."},
    {"top-tracked", NS_OPT_UINT, "1024",
     "Distinct keys tracked per top-k table (space-saving); counts are exact while a "
     "dump sees no more distinct keys than this."},
    {"zone-max", NS_OPT_UINT, "16",
     "Conntrack zones exposed one by one by the breakdown, the largest first (at most 1024); "
     "the others are summed as zone=\"other\"."},
    {NULL, 0, NULL, NULL},
};

const struct ns_collector ns_collector_conntrack = {
    .name = "conntrack",
    .help = "Connection tracking: table fill, per-CPU statistics and a breakdown of the "
	    "table (ctnetlink, /proc fallback).",
    .default_enabled = true,
    /* ctnetlink statistics and table dumps need CAP_NET_ADMIN */
    .caps = 1ULL << CAP_NET_ADMIN,
    .options = ct_options,
    .init = ct_init,
    .collect = ct_collect,
    .fini = ct_fini,
};
