// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qdisc.c - queueing disciplines and their classes from rtnetlink.
 *
 * Per scrape, on the context's NETLINK_ROUTE socket:
 *   1. one RTM_GETLINK dump with IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS,
 *      for ifindex -> name only (the kernel then leaves out the link
 *      statistics, the largest part of a link message);
 *   2. one RTM_GETQDISC dump for all devices (root, children, ingress and
 *      clsact, everything `tc qdisc show` lists);
 *   3. one RTM_GETTCLASS dump per device that has a classful qdisc (the
 *      kernel dumps classes one device at a time: tcm_ifindex is required).
 *
 * Messages are parsed as they stream into state arrays that only grow;
 * samples are emitted after the last dump, so a dump restarted after
 * NLM_F_DUMP_INTR (the reset callbacks drop the partial results) never
 * emits a series twice.
 *
 * Handles use tc's notation: a qdisc handle is "<major>:", a class id is
 * "<major>:<minor>" (hex), and a parent is "root" (TC_H_ROOT), "ingress"
 * (TC_H_INGRESS, which is also clsact's parent), "none" (TC_H_UNSPEC) or a
 * class id.
 *
 * Statistics: TCA_STATS2 (TCA_STATS_BASIC, TCA_STATS_PKT64 when the packet
 * count no longer fits 32 bits, TCA_STATS_QUEUE, TCA_STATS_APP), else the
 * legacy TCA_STATS / TCA_XSTATS. Every payload is copied with
 * ns_nl_attr_copy() and a field is exposed only if the payload contains it:
 * a truncated or older struct yields fewer series, never invented zeros.
 * Extended statistics are decoded for fq_codel, fq, codel, cake and htb
 * (qdisc and classes); other kinds get the generic series only.
 */
#include "qdisc.h"

/* cake: the attribute of each statistic (TCA_CAKE_STATS_*, TCA_CAKE_TIN_STATS_*). */
const struct qd_cake_def qd_cake_top[QD_CAKE_NTOP] = {
    [QD_CAKE_CAPACITY] = {"netstack_qdisc_cake_capacity_estimate_bytes_per_second",
			  "Estimated link capacity (TCA_CAKE_STATS_CAPACITY_ESTIMATE64).", NS_GAUGE,
			  NULL, TCA_CAKE_STATS_CAPACITY_ESTIMATE64, 0},
    [QD_CAKE_MEM_LIMIT] = {"netstack_qdisc_cake_memory_limit_bytes",
			   "Memory limit for queued packets (TCA_CAKE_STATS_MEMORY_LIMIT).",
			   NS_GAUGE, "bytes", TCA_CAKE_STATS_MEMORY_LIMIT, 0},
    [QD_CAKE_MEM_USED] = {"netstack_qdisc_cake_memory_used_bytes",
			  "Memory used by queued packets (TCA_CAKE_STATS_MEMORY_USED).", NS_GAUGE,
			  "bytes", TCA_CAKE_STATS_MEMORY_USED, 0},
};

const struct qd_cake_def qd_cake_tin[QD_CAKE_NTIN] = {
    [QD_TIN_SENT_PACKETS] = {"netstack_qdisc_cake_tin_sent_packets_total", "Packets sent per tin.",
			     NS_COUNTER, NULL, TCA_CAKE_TIN_STATS_SENT_PACKETS, 0},
    [QD_TIN_SENT_BYTES] = {"netstack_qdisc_cake_tin_sent_bytes_total", "Bytes sent per tin.",
			   NS_COUNTER, "bytes", TCA_CAKE_TIN_STATS_SENT_BYTES64, 0},
    [QD_TIN_DROPPED_PACKETS] = {"netstack_qdisc_cake_tin_dropped_packets_total",
				"Packets dropped per tin.", NS_COUNTER, NULL,
				TCA_CAKE_TIN_STATS_DROPPED_PACKETS, 0},
    [QD_TIN_DROPPED_BYTES] = {"netstack_qdisc_cake_tin_dropped_bytes_total",
			      "Bytes dropped per tin.", NS_COUNTER, "bytes",
			      TCA_CAKE_TIN_STATS_DROPPED_BYTES64, 0},
    [QD_TIN_ACKS_DROPPED] = {"netstack_qdisc_cake_tin_acks_dropped_packets_total",
			     "ACKs dropped by the ACK filter per tin.", NS_COUNTER, NULL,
			     TCA_CAKE_TIN_STATS_ACKS_DROPPED_PACKETS, 0},
    [QD_TIN_ECN_MARKED] = {"netstack_qdisc_cake_tin_ecn_marked_packets_total",
			   "Packets ECN-marked per tin.", NS_COUNTER, NULL,
			   TCA_CAKE_TIN_STATS_ECN_MARKED_PACKETS, 0},
    [QD_TIN_BACKLOG_PACKETS] = {"netstack_qdisc_cake_tin_backlog_packets",
				"Packets queued per tin.", NS_GAUGE, NULL,
				TCA_CAKE_TIN_STATS_BACKLOG_PACKETS, 0},
    [QD_TIN_BACKLOG_BYTES] = {"netstack_qdisc_cake_tin_backlog_bytes", "Bytes queued per tin.",
			      NS_GAUGE, "bytes", TCA_CAKE_TIN_STATS_BACKLOG_BYTES, 0},
    [QD_TIN_THRESHOLD_RATE] = {"netstack_qdisc_cake_tin_threshold_rate_bytes_per_second",
			       "Rate threshold of the tin.", NS_GAUGE, NULL,
			       TCA_CAKE_TIN_STATS_THRESHOLD_RATE64, 0},
    [QD_TIN_PEAK_DELAY] = {"netstack_qdisc_cake_tin_peak_delay_seconds",
			   "Peak queueing delay per tin.", NS_GAUGE, "seconds",
			   TCA_CAKE_TIN_STATS_PEAK_DELAY_US, 1e6},
    [QD_TIN_AVG_DELAY] = {"netstack_qdisc_cake_tin_average_delay_seconds",
			  "Average queueing delay per tin.", NS_GAUGE, "seconds",
			  TCA_CAKE_TIN_STATS_AVG_DELAY_US, 1e6},
    [QD_TIN_BASE_DELAY] = {"netstack_qdisc_cake_tin_base_delay_seconds",
			   "Base (minimum) queueing delay per tin.", NS_GAUGE, "seconds",
			   TCA_CAKE_TIN_STATS_BASE_DELAY_US, 1e6},
    [QD_TIN_SPARSE] = {"netstack_qdisc_cake_tin_sparse_flows", "Sparse flows per tin.", NS_GAUGE,
		       NULL, TCA_CAKE_TIN_STATS_SPARSE_FLOWS, 0},
    [QD_TIN_BULK] = {"netstack_qdisc_cake_tin_bulk_flows", "Bulk flows per tin.", NS_GAUGE, NULL,
		     TCA_CAKE_TIN_STATS_BULK_FLOWS, 0},
    [QD_TIN_UNRESPONSIVE] = {"netstack_qdisc_cake_tin_unresponsive_flows",
			     "Unresponsive flows per tin.", NS_GAUGE, NULL,
			     TCA_CAKE_TIN_STATS_UNRESPONSIVE_FLOWS, 0},
};

/* ---- helpers ---- */

static struct qd_link *qd_link_find(const struct qd_state *st, int ifindex, unsigned *idx)
{
	long i = ns_links_find(&st->links, ifindex);

	if (i < 0)
		return NULL;
	*idx = (unsigned)i;
	return qd_link(st, (size_t)i);
}

/* ---- qdisc / class messages ---- */

static const char *const qd_classful_kinds[] = {
    "htb", "hfsc", "cbq", "drr", "qfq", "ets", "prio", "multiq", "mq", "mqprio", "taprio", NULL,
};

static bool qd_is_classful(const char *kind)
{
	for (size_t i = 0; qd_classful_kinds[i]; i++)
		if (strcmp(kind, qd_classful_kinds[i]) == 0)
			return true;
	return false;
}

static enum qd_xkind qd_xkind_of(const char *kind)
{
	if (strcmp(kind, "fq_codel") == 0)
		return QX_FQ_CODEL;
	if (strcmp(kind, "fq") == 0)
		return QX_FQ;
	if (strcmp(kind, "codel") == 0)
		return QX_CODEL;
	if (strcmp(kind, "cake") == 0)
		return QX_CAKE;
	if (strcmp(kind, "htb") == 0)
		return QX_HTB;
	return QX_NONE;
}

static void qd_cake_parse(struct qd_cake *c, const struct nlattr *app)
{
	const struct nlattr *tb[TCA_CAKE_STATS_MAX + 1], *tins[QD_CAKE_TINS + 1],
	    *ts[TCA_CAKE_TIN_STATS_MAX + 1];

	memset(c, 0, sizeof(*c));
	ns_nl_parse_nested(app, tb, TCA_CAKE_STATS_MAX);
	for (unsigned i = 0; i < QD_CAKE_NTOP; i++) {
		const struct nlattr *a = tb[qd_cake_top[i].attr];
		size_t len = a ? mnl_attr_get_payload_len(a) : 0;

		if (len == 4)
			c->top[i] = mnl_attr_get_u32(a);
		else if (len >= 8)
			c->top[i] = mnl_attr_get_u64(a);
		else
			continue;
		c->top_have |= 1u << i;
	}
	if (!tb[TCA_CAKE_STATS_TIN_STATS])
		return;
	/* Tins are nested with types 1..tin_cnt. */
	ns_nl_parse_nested(tb[TCA_CAKE_STATS_TIN_STATS], tins, QD_CAKE_TINS);
	for (unsigned t = 0; t < QD_CAKE_TINS; t++) {
		if (!tins[t + 1])
			continue;
		ns_nl_parse_nested(tins[t + 1], ts, TCA_CAKE_TIN_STATS_MAX);
		for (unsigned i = 0; i < QD_CAKE_NTIN; i++) {
			const struct nlattr *a = ts[qd_cake_tin[i].attr];
			size_t len = a ? mnl_attr_get_payload_len(a) : 0;

			if (len == 4)
				c->tin[t][i] = mnl_attr_get_u32(a);
			else if (len >= 8)
				c->tin[t][i] = mnl_attr_get_u64(a);
			else
				continue;
			c->tin_have[t] |= 1u << i;
		}
		if (t + 1 > c->ntins)
			c->ntins = t + 1;
	}
}

static void qd_htb_options(struct qd_rec *r, const struct nlattr *opt, bool is_class)
{
	const struct nlattr *tb[TCA_HTB_MAX + 1];

	ns_nl_parse_nested(opt, tb, TCA_HTB_MAX);
	if (!is_class && tb[TCA_HTB_INIT]) {
		struct tc_htb_glob g;

		if (ns_nl_attr_copy(tb[TCA_HTB_INIT], &g, sizeof(g)) >=
		    offsetof(struct tc_htb_glob, direct_pkts) + sizeof(g.direct_pkts)) {
			r->htb_direct = g.direct_pkts;
			r->htb_have |= QH_HTB_DIRECT;
		}
	}
	if (is_class && tb[TCA_HTB_PARMS]) {
		struct tc_htb_opt o;
		size_t len = ns_nl_attr_copy(tb[TCA_HTB_PARMS], &o, sizeof(o));

		if (len >= offsetof(struct tc_htb_opt, rate) + sizeof(o.rate)) {
			r->htb_rate = o.rate.rate;
			r->htb_have |= QH_HTB_RATE;
		}
		if (len >= offsetof(struct tc_htb_opt, ceil) + sizeof(o.ceil)) {
			r->htb_ceil = o.ceil.rate;
			r->htb_have |= QH_HTB_CEIL;
		}
	}
	if (is_class && tb[TCA_HTB_RATE64] && mnl_attr_get_payload_len(tb[TCA_HTB_RATE64]) >= 8) {
		r->htb_rate = mnl_attr_get_u64(tb[TCA_HTB_RATE64]);
		r->htb_have |= QH_HTB_RATE;
	}
	if (is_class && tb[TCA_HTB_CEIL64] && mnl_attr_get_payload_len(tb[TCA_HTB_CEIL64]) >= 8) {
		r->htb_ceil = mnl_attr_get_u64(tb[TCA_HTB_CEIL64]);
		r->htb_have |= QH_HTB_CEIL;
	}
}

/* TCA_STATS2: basic (bytes, packets), PKT64, queue; returns the TCA_STATS_APP nest. */
static const struct nlattr *qd_basic_stats2(struct qd_rec *r, const struct nlattr *stats2)
{
	static const struct {
		int idx;
		size_t off;
	} qf[] = {
	    {QD_QLEN, offsetof(struct gnet_stats_queue, qlen)},
	    {QD_BACKLOG, offsetof(struct gnet_stats_queue, backlog)},
	    {QD_DROPS, offsetof(struct gnet_stats_queue, drops)},
	    {QD_REQUEUES, offsetof(struct gnet_stats_queue, requeues)},
	    {QD_OVERLIMITS, offsetof(struct gnet_stats_queue, overlimits)},
	};
	const struct nlattr *tb[TCA_STATS_MAX + 1];

	ns_nl_parse_nested(stats2, tb, TCA_STATS_MAX);
	if (tb[TCA_STATS_BASIC]) {
		struct gnet_stats_basic b;
		size_t len = ns_nl_attr_copy(tb[TCA_STATS_BASIC], &b, sizeof(b));

		if (len >= 8) {
			r->basic[QD_BYTES] = b.bytes;
			r->have |= 1u << QD_BYTES;
		}
		if (len >= 12) {
			r->basic[QD_PACKETS] = b.packets;
			r->have |= 1u << QD_PACKETS;
		}
	}
	if (ns_nl_get_u64(tb[TCA_STATS_PKT64], &r->basic[QD_PACKETS]))
		r->have |= 1u << QD_PACKETS;
	if (tb[TCA_STATS_QUEUE]) {
		struct gnet_stats_queue q;
		size_t len = ns_nl_attr_copy(tb[TCA_STATS_QUEUE], &q, sizeof(q));

		for (size_t i = 0; i < sizeof(qf) / sizeof(qf[0]); i++) {
			uint32_t v;

			if (qf[i].off + 4 > len)
				continue;
			memcpy(&v, (const char *)&q + qf[i].off, 4);
			r->basic[qf[i].idx] = v;
			r->have |= 1u << qf[i].idx;
		}
	}
	return tb[TCA_STATS_APP];
}

/* The old TCA_STATS (struct tc_stats), for kernels or qdiscs without TCA_STATS2. */
static void qd_basic_old(struct qd_rec *r, const struct nlattr *old)
{
	static const struct {
		int idx;
		size_t off;
		size_t size;
	} sf[] = {
	    {QD_BYTES, offsetof(struct tc_stats, bytes), 8},
	    {QD_PACKETS, offsetof(struct tc_stats, packets), 4},
	    {QD_DROPS, offsetof(struct tc_stats, drops), 4},
	    {QD_OVERLIMITS, offsetof(struct tc_stats, overlimits), 4},
	    {QD_QLEN, offsetof(struct tc_stats, qlen), 4},
	    {QD_BACKLOG, offsetof(struct tc_stats, backlog), 4},
	};
	struct tc_stats s;
	size_t len = ns_nl_attr_copy(old, &s, sizeof(s));

	for (size_t i = 0; i < sizeof(sf) / sizeof(sf[0]); i++) {
		if (sf[i].off + sf[i].size > len)
			continue;
		if (sf[i].size == 8) {
			memcpy(&r->basic[sf[i].idx], (const char *)&s + sf[i].off, 8);
		} else {
			uint32_t v;

			memcpy(&v, (const char *)&s + sf[i].off, 4);
			r->basic[sf[i].idx] = v;
		}
		r->have |= 1u << sf[i].idx;
	}
}

static void qd_basic_from(struct qd_rec *r, const struct nlattr *stats2, const struct nlattr *old,
			  const struct nlattr **app)
{
	r->have = 0;
	*app = NULL;
	if (stats2)
		*app = qd_basic_stats2(r, stats2);
	else if (old)
		qd_basic_old(r, old);
}

/* Parse one RTM_NEWQDISC / RTM_NEWTCLASS into @r; false to skip the message. */
static bool qd_parse_tc(struct qd_state *st, const struct nlmsghdr *nlh, struct qd_rec *r,
			bool is_class)
{
	const struct nlattr *tb[TCA_MAX + 1], *app;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	struct qd_link *l;
	unsigned li;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm))
		return false;
	l = qd_link_find(st, tcm->tcm_ifindex, &li);
	if (!l)
		return false; /* filtered out, or created after the link dump */
	ns_nl_parse(nlh, sizeof(*tcm), tb, TCA_MAX);
	if (!tb[TCA_KIND])
		return false;
	r->link = li;
	ns_nl_attr_strcpy(tb[TCA_KIND], r->kind, sizeof(r->kind));
	if (!r->kind[0])
		return false;
	r->handle = tcm->tcm_handle;
	r->parent = tcm->tcm_parent;
	r->xkind = qd_xkind_of(r->kind);
	r->xlen = 0;
	r->htb_have = 0;
	qd_basic_from(r, tb[TCA_STATS2], tb[TCA_STATS], &app);
	if (!app)
		app = tb[TCA_XSTATS];
	if (r->xkind == QX_CAKE) {
		/* qd_qdisc_cb() made room for one more */
		if (app && !is_class && st->ncake < st->capk) {
			r->x.cake = st->ncake++;
			qd_cake_parse(&st->cakes[r->x.cake], app);
			r->xlen = 1;
		}
	} else if (app && r->xkind != QX_NONE) {
		size_t len = ns_nl_attr_copy(app, r->x.raw, sizeof(r->x.raw));

		r->xlen = len > UINT16_MAX ? UINT16_MAX : (uint16_t)len;
	}
	if (r->xkind == QX_HTB && tb[TCA_OPTIONS])
		qd_htb_options(r, tb[TCA_OPTIONS], is_class);
	if (!is_class && qd_is_classful(r->kind))
		l->classful = true;
	return true;
}

static int qd_qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct qd_state *st = data;

	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return MNL_CB_OK;
	if (NS_ARRAY_GROW(st->qd, st->capq, st->nqd + 1, 16) ||
	    NS_ARRAY_GROW(st->cakes, st->capk, st->ncake + 1, 16))
		return -ENOMEM;
	if (qd_parse_tc(st, nlh, &st->qd[st->nqd], false))
		st->nqd++;
	return MNL_CB_OK;
}

static void qd_qdisc_reset(void *data)
{
	struct qd_state *st = data;

	st->nqd = st->ncake = 0;
	for (size_t i = 0; i < st->links.n; i++)
		qd_link(st, i)->classful = false;
}

static int qd_class_cb(const struct nlmsghdr *nlh, void *data)
{
	struct qd_state *st = data;

	if (nlh->nlmsg_type != RTM_NEWTCLASS)
		return MNL_CB_OK;
	if (NS_ARRAY_GROW(st->cl, st->capc, st->ncl + 1, 16))
		return -ENOMEM;
	if (qd_parse_tc(st, nlh, &st->cl[st->ncl], true))
		st->ncl++;
	return MNL_CB_OK;
}

static void qd_class_reset(void *data)
{
	struct qd_state *st = data;

	st->ncl = st->cl_mark;
}

/* ---- collector ---- */

static void qd_fini(void *state)
{
	struct qd_state *st = state;

	if (!st)
		return;
	ns_namefilter_fini(&st->filter);
	ns_links_free(&st->links);
	ns_labelset_free(&st->ls);
	free(st->qd);
	free(st->cl);
	free(st->cakes);
	qf_free(st->qf);
	free(st);
}

static int qd_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct qd_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	rc = ns_namefilter_init(&st->filter, opts, "device-include", "device-exclude", "qdisc", e);
	if (!rc && ns_opt_uint(opts, "filter-max") > QF_FILTER_MAX)
		rc = ns_err_set(e, -EINVAL, "filter-max is above %d", QF_FILTER_MAX);
	if (!rc && ns_opt_bool(opts, "filters") &&
	    !(st->qf = qf_new(ns_opt_uint(opts, "filter-max"))))
		rc = ns_err_set(e, -ENOMEM, "out of memory");
	if (rc) {
		qd_fini(st);
		return rc;
	}
	ns_links_init(&st->links, sizeof(struct qd_link), &st->filter, true);
	*state = st;
	return 0;
}

static int qd_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct qd_state *st = state;
	struct ns_nl *nl;
	struct ns_fail f = NS_FAIL_INIT(e);
	int rc;

	st->links.n = st->nqd = st->ncl = st->ncake = 0;
	if (st->qf)
		qf_begin(st->qf);
	rc = ns_ctx_nl(ctx, NETLINK_ROUTE, &nl, e);
	if (rc)
		return rc;

	rc = ns_links_dump(&st->links, nl, e);
	if (rc)
		return rc;

	ns_nl_tcdump_req(nl, RTM_GETQDISC, 0);
	rc = ns_nl_run(nl, qd_qdisc_cb, qd_qdisc_reset, st, e);

	for (size_t i = 0; !rc && i < st->links.n; i++) {
		if (!qd_link(st, i)->classful)
			continue;
		st->cl_mark = st->ncl;
		ns_nl_tcdump_req(nl, RTM_GETTCLASS, qd_link(st, i)->link.ifindex);
		rc = ns_nl_run(nl, qd_class_cb, qd_class_reset, st, e);
		/* A device deleted since the qdisc dump has no classes: not an error. */
		if (rc == -ENODEV) {
			ns_err_clear(e);
			rc = 0;
		}
	}
	/* tc filters of every qdisc and class that can have them */
	for (size_t i = 0; st->qf && !rc && i < st->nqd + st->ncl; i++) {
		const struct qd_rec *r = i < st->nqd ? &st->qd[i] : &st->cl[i - st->nqd];
		const struct ns_link *l = &qd_link(st, r->link)->link;

		/* a class message carries its qdisc's kind */
		rc = i < st->nqd ? qf_qdisc(st->qf, nl, l->ifindex, l->name, r->kind, r->handle, e)
				 : qf_class(st->qf, nl, l->ifindex, l->name, r->kind, r->handle, e);
	}
	ns_fail_note(&f, rc);
	ns_fail_note(&f, qd_emit_all(st, w, ns_fail_err(&f)));
	return ns_fail_rc(&f);
}

static const struct ns_option qd_options[] = {
    NS_DEVICE_FILTER_OPTIONS("devices"),
    {"filters", NS_OPT_BOOL, "true",
     "Dump the tc filters of every qdisc and class that can have them: filters per qdisc/class, "
     "u32 hit counters, action statistics."},
    {"filter-max", NS_OPT_UINT, "256",
     "Filters whose u32 and action counters are exposed one by one (the rest are counted as "
     "untracked)."},
    {NULL, 0, NULL, NULL},
};

const struct ns_collector ns_collector_qdisc = {
    .name = "qdisc",
    .help = "Queueing disciplines and classes with their statistics (rtnetlink RTM_GETQDISC, "
	    "RTM_GETTCLASS).",
    .default_enabled = true,
    .options = qd_options,
    .init = qd_init,
    .collect = qd_collect,
    .fini = qd_fini,
};
