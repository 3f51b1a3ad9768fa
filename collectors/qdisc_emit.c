// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qdisc_emit.c - the qdisc collector's families: the generic counters,
 * the extended statistics of fq_codel, fq, codel, htb and cake described
 * field by field, from the records qdisc.c parsed.
 */
#include "qdisc.h"

struct qd_basic_def {
	const char *suffix; /* appended to netstack_qdisc_ / netstack_qdisc_class_ */
	const char *help;
	enum ns_mtype type;
	const char *unit;
};

static const struct qd_basic_def qd_basic[QD_NBASIC] = {
    [QD_BYTES] = {"bytes_total", "Bytes sent (gnet_stats_basic.bytes).", NS_COUNTER, "bytes"},
    [QD_PACKETS] = {"packets_total",
		    "Packets sent (gnet_stats_basic.packets, TCA_STATS_PKT64 when larger).",
		    NS_COUNTER, NULL},
    [QD_DROPS] = {"drops_total", "Packets dropped (gnet_stats_queue.drops).", NS_COUNTER, NULL},
    [QD_OVERLIMITS] = {"overlimits_total",
		       "Enqueue or dequeue events over a limit (gnet_stats_queue.overlimits).",
		       NS_COUNTER, NULL},
    [QD_REQUEUES] = {"requeues_total", "Packets requeued (gnet_stats_queue.requeues).", NS_COUNTER,
		     NULL},
    [QD_BACKLOG] = {"backlog_bytes", "Bytes queued (gnet_stats_queue.backlog).", NS_GAUGE, "bytes"},
    [QD_QLEN] = {"queue_length", "Packets queued (gnet_stats_queue.qlen).", NS_GAUGE, NULL},
};

/* ---- extended statistics: fixed structs described field by field ---- */

struct qd_xfield {
	const char *name;
	const char *help;
	enum ns_mtype type;
	const char *unit;
	unsigned short off;
	unsigned char size; /* 4 or 8 */
	unsigned char is_signed;
	double scale;	  /* 0: exact integer; else value / scale as a float */
	const char *band; /* extra label band="..." or NULL */
};

#define XF(n, h, t, u, o, s)                                                                       \
	{                                                                                          \
		n, h, t, u, o, s, 0, 0, NULL                                                       \
	}

/* struct tc_fq_codel_xstats with type TCA_FQ_CODEL_XSTATS_QDISC (u32 type, then the qd stats). */
static const struct qd_xfield qd_fq_codel[] = {
    XF("netstack_qdisc_fq_codel_max_packet_bytes", "Largest packet seen (maxpacket).", NS_GAUGE,
       "bytes", 4, 4),
    XF("netstack_qdisc_fq_codel_drop_overlimit_total",
       "Packets dropped because the qdisc was over its limit (drop_overlimit).", NS_COUNTER, NULL,
       8, 4),
    XF("netstack_qdisc_fq_codel_ecn_marks_total",
       "Packets ECN-marked instead of dropped (ecn_mark).", NS_COUNTER, NULL, 12, 4),
    XF("netstack_qdisc_fq_codel_new_flow_count_total",
       "Times a flow was (re)created as a new flow (new_flow_count).", NS_COUNTER, NULL, 16, 4),
    XF("netstack_qdisc_fq_codel_new_flows", "Flows in the new-flows list (new_flows_len).",
       NS_GAUGE, NULL, 20, 4),
    XF("netstack_qdisc_fq_codel_old_flows", "Flows in the old-flows list (old_flows_len).",
       NS_GAUGE, NULL, 24, 4),
    XF("netstack_qdisc_fq_codel_ce_marks_total", "Packets CE-marked above ce_threshold (ce_mark).",
       NS_COUNTER, NULL, 28, 4),
    XF("netstack_qdisc_fq_codel_memory_usage_bytes",
       "Memory used by queued packets (memory_usage).", NS_GAUGE, "bytes", 32, 4),
    XF("netstack_qdisc_fq_codel_drop_overmemory_total",
       "Packets dropped because memory_limit was reached (drop_overmemory).", NS_COUNTER, NULL, 36,
       4),
    {NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL},
};

/* struct tc_fq_qd_stats (fastpath_packets and the band arrays since Linux 6.7). */
static const struct qd_xfield qd_fq[] = {
    XF("netstack_qdisc_fq_gc_flows_total", "Flows garbage-collected (gc_flows).", NS_COUNTER, NULL,
       0, 8),
    XF("netstack_qdisc_fq_highprio_packets_total",
       "Packets sent through the high-priority (internal) queue (highprio_packets).", NS_COUNTER,
       NULL, 8, 8),
    XF("netstack_qdisc_fq_throttled_total", "Times a flow was throttled (throttled).", NS_COUNTER,
       NULL, 24, 8),
    XF("netstack_qdisc_fq_flows_plimit_total",
       "Packets dropped because a flow exceeded flow_limit (flows_plimit).", NS_COUNTER, NULL, 32,
       8),
    XF("netstack_qdisc_fq_pkts_too_long_total",
       "Packets longer than the quantum allows (pkts_too_long).", NS_COUNTER, NULL, 40, 8),
    XF("netstack_qdisc_fq_allocation_errors_total", "Flow allocation failures (allocation_errors).",
       NS_COUNTER, NULL, 48, 8),
    XF("netstack_qdisc_fq_flows", "Flows known to the qdisc (flows).", NS_GAUGE, NULL, 64, 4),
    XF("netstack_qdisc_fq_inactive_flows", "Flows without queued packets (inactive_flows).",
       NS_GAUGE, NULL, 68, 4),
    XF("netstack_qdisc_fq_throttled_flows", "Flows currently throttled (throttled_flows).",
       NS_GAUGE, NULL, 72, 4),
    {"netstack_qdisc_fq_unthrottle_latency_seconds",
     "Average latency of unthrottling a flow (unthrottle_latency_ns).", NS_GAUGE, "seconds", 76, 4,
     0, 1e9, NULL},
    XF("netstack_qdisc_fq_ce_marks_total", "Packets CE-marked above ce_threshold (ce_mark).",
       NS_COUNTER, NULL, 80, 8),
    XF("netstack_qdisc_fq_horizon_drops_total",
       "Packets dropped for a timestamp beyond the horizon (horizon_drops).", NS_COUNTER, NULL, 88,
       8),
    XF("netstack_qdisc_fq_horizon_caps_total",
       "Packets whose timestamp was capped to the horizon (horizon_caps).", NS_COUNTER, NULL, 96,
       8),
    XF("netstack_qdisc_fq_fastpath_packets_total",
       "Packets that bypassed the flow scheduler (fastpath_packets).", NS_COUNTER, NULL, 104, 8),
    {"netstack_qdisc_fq_band_drops_total", "Packets dropped per priority band (band_drops).",
     NS_COUNTER, NULL, 112, 8, 0, 0, "0"},
    {"netstack_qdisc_fq_band_drops_total", "Packets dropped per priority band (band_drops).",
     NS_COUNTER, NULL, 120, 8, 0, 0, "1"},
    {"netstack_qdisc_fq_band_drops_total", "Packets dropped per priority band (band_drops).",
     NS_COUNTER, NULL, 128, 8, 0, 0, "2"},
    {"netstack_qdisc_fq_band_packets", "Packets queued per priority band (band_pkt_count).",
     NS_GAUGE, NULL, 136, 4, 0, 0, "0"},
    {"netstack_qdisc_fq_band_packets", "Packets queued per priority band (band_pkt_count).",
     NS_GAUGE, NULL, 140, 4, 0, 0, "1"},
    {"netstack_qdisc_fq_band_packets", "Packets queued per priority band (band_pkt_count).",
     NS_GAUGE, NULL, 144, 4, 0, 0, "2"},
    {NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL},
};

/* struct tc_codel_xstats. */
static const struct qd_xfield qd_codel[] = {
    XF("netstack_qdisc_codel_max_packet_bytes", "Largest packet seen (maxpacket).", NS_GAUGE,
       "bytes", 0, 4),
    XF("netstack_qdisc_codel_count", "Drops (or marks) in the current dropping state (count).",
       NS_GAUGE, NULL, 4, 4),
    {"netstack_qdisc_codel_delay_seconds", "Sojourn time of the last dequeued packet (ldelay).",
     NS_GAUGE, "seconds", 12, 4, 0, 1e6, NULL},
    XF("netstack_qdisc_codel_drop_overlimit_total",
       "Packets dropped because the qdisc was over its limit (drop_overlimit).", NS_COUNTER, NULL,
       20, 4),
    XF("netstack_qdisc_codel_ecn_marks_total", "Packets ECN-marked instead of dropped (ecn_mark).",
       NS_COUNTER, NULL, 24, 4),
    XF("netstack_qdisc_codel_dropping", "1 while CoDel is in its dropping state (dropping).",
       NS_GAUGE, NULL, 28, 4),
    XF("netstack_qdisc_codel_ce_marks_total", "Packets CE-marked above ce_threshold (ce_mark).",
       NS_COUNTER, NULL, 32, 4),
    {NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL},
};

/* struct tc_htb_xstats (classes). Tokens are in 64 ns scheduler ticks. */
static const struct qd_xfield qd_htb_class[] = {
    XF("netstack_qdisc_htb_class_lends_total", "Packets sent within the class's own rate (lends).",
       NS_COUNTER, NULL, 0, 4),
    XF("netstack_qdisc_htb_class_borrows_total",
       "Packets sent by borrowing from an ancestor (borrows).", NS_COUNTER, NULL, 4, 4),
    XF("netstack_qdisc_htb_class_giants_total",
       "Packets larger than the MTU the class was set up for (giants).", NS_COUNTER, NULL, 8, 4),
    {"netstack_qdisc_htb_class_tokens_seconds",
     "Rate tokens left, as transmission time at the class rate (tokens, 64 ns ticks).", NS_GAUGE,
     "seconds", 12, 4, 1, 15625000.0, NULL},
    {"netstack_qdisc_htb_class_ctokens_seconds",
     "Ceil tokens left, as transmission time at the class ceil (ctokens, 64 ns ticks).", NS_GAUGE,
     "seconds", 16, 4, 1, 15625000.0, NULL},
    {NULL, NULL, 0, NULL, 0, 0, 0, 0, NULL},
};

/* ---- emission ---- */

/* Lower-case hex of @v without leading zeros at @b; returns the end. */
static char *qd_hex(char *b, unsigned v)
{
	char tmp[8];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		*b++ = tmp[--n];
	return b;
}

#define QD_HANDLE_LEN 16 /* "ingress", or "ffff:ffff" */

static void qd_fmt_handle(char b[QD_HANDLE_LEN], uint32_t h)
{
	char *p = qd_hex(b, TC_H_MAJ(h) >> 16);

	*p++ = ':';
	*p = '\0';
}

static void qd_fmt_classid(char b[QD_HANDLE_LEN], uint32_t h)
{
	char *p;

	if (h == TC_H_ROOT) {
		strcpy(b, "root");
	} else if (h == TC_H_INGRESS) {
		strcpy(b, "ingress");
	} else if (h == TC_H_UNSPEC) {
		strcpy(b, "none");
	} else {
		p = qd_hex(b, TC_H_MAJ(h) >> 16);
		*p++ = ':';
		if (TC_H_MIN(h))
			p = qd_hex(p, TC_H_MIN(h));
		*p = '\0';
	}
}

#define QD_FAM_CACHE 64

struct qd_emit {
	struct ns_emit out;
	/* basic families of qdiscs [0] and classes [1], looked up once a scrape */
	struct ns_family *basic[2][QD_NBASIC];
	bool basic_done[2];
	/* other families by the address of their name: looked up about once a scrape */
	struct {
		const char *name;
		struct ns_family *f;
	} cache[QD_FAM_CACHE];
};

/* ns_emit_family() for a name in static storage, remembered by its address. */
static struct ns_family *qd_family(struct qd_emit *em, const char *name, const char *help,
				   enum ns_mtype type, const char *unit)
{
	size_t slot = (size_t)(((uintptr_t)name * 0x9e3779b97f4a7c15ULL) >> 58) % QD_FAM_CACHE;

	if (em->cache[slot].name != name) {
		em->cache[slot].name = name;
		em->cache[slot].f = ns_emit_family(&em->out, name, help, type, unit);
	}
	return em->cache[slot].f;
}

/*
 * Extended fields of a fixed struct, only those inside the received payload.
 * @ls is @l formatted; fields with a band label use @l plus the band.
 */
static void qd_put_xfields(struct qd_emit *em, const struct qd_xfield *xf, const struct qd_rec *r,
			   size_t base, const struct ns_label *l, size_t n,
			   const struct ns_labelset *ls)
{
	size_t have = r->xlen < sizeof(r->x.raw) ? r->xlen : sizeof(r->x.raw);
	struct ns_label lb[5];

	memcpy(lb, l, n * sizeof(*l));
	for (; xf->name; xf++) {
		struct ns_family *f;
		size_t off = base + xf->off;
		size_t nl = n;
		uint64_t u = 0;
		int64_t s;

		if (off + xf->size > have)
			continue;
		f = qd_family(em, xf->name, xf->help, xf->type, xf->unit);
		if (!f)
			continue;
		if (xf->band)
			lb[nl++] = (struct ns_label){"band", xf->band};
		if (xf->size == 8) {
			memcpy(&u, r->x.raw + off, 8);
		} else {
			uint32_t v32;

			memcpy(&v32, r->x.raw + off, 4);
			u = v32;
			if (xf->is_signed)
				u = (uint64_t)(int64_t)(int32_t)v32;
		}
		s = (int64_t)u;
		if (xf->scale != 0) {
			double v = (xf->is_signed ? (double)s : (double)u) / xf->scale;

			if (xf->band)
				ns_emit_f64(&em->out, f, lb, nl, v);
			else
				ns_emit_f64_ls(&em->out, f, ls, v);
		} else if (xf->band) {
			ns_emit_u64(&em->out, f, lb, nl, u);
		} else {
			ns_emit_u64_ls(&em->out, f, ls, u);
		}
	}
}

static void qd_put_cake(struct qd_emit *em, const struct qd_cake *c, const struct ns_label *l,
			size_t n, const struct ns_labelset *ls)
{
	static const char *const tins[QD_CAKE_TINS] = {"0", "1", "2", "3", "4", "5", "6", "7"};
	struct ns_label lb[5];

	for (unsigned i = 0; i < QD_CAKE_NTOP; i++) {
		struct ns_family *f;

		if (!(c->top_have & (1u << i)))
			continue;
		f = qd_family(em, qd_cake_top[i].name, qd_cake_top[i].help, qd_cake_top[i].type,
			      qd_cake_top[i].unit);
		ns_emit_u64_ls(&em->out, f, ls, c->top[i]);
	}
	memcpy(lb, l, n * sizeof(*l));
	for (unsigned t = 0; t < c->ntins && t < QD_CAKE_TINS; t++) {
		lb[n] = (struct ns_label){"tin", tins[t]};
		for (unsigned i = 0; i < QD_CAKE_NTIN; i++) {
			const struct qd_cake_def *d = &qd_cake_tin[i];
			struct ns_family *f;

			if (!(c->tin_have[t] & (1u << i)))
				continue;
			f = qd_family(em, d->name, d->help, d->type, d->unit);
			if (!f)
				continue;
			if (d->scale != 0)
				ns_emit_check(&em->out,
					      ns_sample_f64(em->out.w, f, lb, n + 1,
							    (double)c->tin[t][i] / d->scale));
			else
				ns_emit_check(&em->out,
					      ns_sample_u64(em->out.w, f, lb, n + 1, c->tin[t][i]));
		}
	}
}

static void qd_emit_basic(struct qd_emit *em, bool cls, const struct qd_rec *r,
			  const struct ns_labelset *ls)
{
	struct ns_family **fam = em->basic[cls];

	if (!em->basic_done[cls]) {
		const char *prefix = cls ? "netstack_qdisc_class_" : "netstack_qdisc_";
		char name[96];

		for (int i = 0; i < QD_NBASIC; i++) {
			snprintf(name, sizeof(name), "%s%s", prefix, qd_basic[i].suffix);
			fam[i] = ns_emit_family(&em->out, name, qd_basic[i].help, qd_basic[i].type,
						qd_basic[i].unit);
		}
		em->basic_done[cls] = true;
	}
	for (int i = 0; i < QD_NBASIC; i++)
		if (r->have & (1u << i))
			ns_emit_u64_ls(&em->out, fam[i], ls, r->basic[i]);
}

static bool qd_is_mq(const char *kind)
{
	return strcmp(kind, "mq") == 0 || strcmp(kind, "mqprio") == 0;
}

/* A child of the mq root @root (not another root, not ingress/clsact)? */
static bool qd_mq_child(const struct qd_rec *c, const struct qd_rec *root)
{
	return c != root && TC_H_MAJ(c->parent) == TC_H_MAJ(root->handle) &&
	       c->parent != TC_H_ROOT && c->parent != TC_H_INGRESS;
}

static void qd_emit_root_info(struct qd_emit *em, const struct qd_state *st, size_t i,
			      struct ns_family *f)
{
	const struct qd_rec *r = &st->qd[i];
	const char *dev = qd_link(st, r->link)->link.name;
	bool any = false;

	if (qd_is_mq(r->kind)) {
		/* Each distinct kind among the per-queue children, on the device's chain. */
		for (long j = qd_link(st, r->link)->first_qd; j >= 0; j = st->qd[j].next) {
			const struct qd_rec *c = &st->qd[j];
			bool seen = false;

			if (!qd_mq_child(c, r))
				continue;
			for (long k = qd_link(st, r->link)->first_qd; k != j && !seen;
			     k = st->qd[k].next)
				seen = qd_mq_child(&st->qd[k], r) &&
				       strcmp(st->qd[k].kind, c->kind) == 0;
			if (seen)
				continue;
			any = true;
			ns_emit_u64(&em->out, f, NS_LABELS({"device", dev}, {"kind", c->kind}), 1);
		}
	}
	if (!any)
		ns_emit_u64(&em->out, f, NS_LABELS({"device", dev}, {"kind", r->kind}), 1);
}

/* Chain each device's qdiscs in dump order (first_qd, next). */
static void qd_chain_by_device(struct qd_state *st)
{
	for (size_t i = 0; i < st->links.n; i++)
		qd_link(st, i)->first_qd = -1;
	for (size_t i = st->nqd; i-- > 0;) {
		st->qd[i].next = qd_link(st, st->qd[i].link)->first_qd;
		qd_link(st, st->qd[i].link)->first_qd = (long)i;
	}
}

/* The extended statistics of one qdisc, by kind. */
static void qd_emit_qdisc_x(struct qd_emit *em, struct qd_state *st, const struct qd_rec *r,
			    const struct ns_label *l, const struct ns_labelset *ls)
{
	uint32_t type;

	switch (r->xkind) {
	case QX_FQ_CODEL:
		if (r->xlen < 4)
			break;
		memcpy(&type, r->x.raw, 4);
		if (type == 0 /* TCA_FQ_CODEL_XSTATS_QDISC */)
			qd_put_xfields(em, qd_fq_codel, r, 0, l, 4, ls);
		break;
	case QX_FQ:
		qd_put_xfields(em, qd_fq, r, 0, l, 4, ls);
		break;
	case QX_CODEL:
		qd_put_xfields(em, qd_codel, r, 0, l, 4, ls);
		break;
	case QX_CAKE:
		if (r->xlen)
			qd_put_cake(em, &st->cakes[r->x.cake], l, 4, ls);
		break;
	case QX_HTB:
		if (r->htb_have & QH_HTB_DIRECT)
			ns_emit_u64_ls(&em->out,
				       qd_family(em, "netstack_qdisc_htb_direct_packets_total",
						 "Packets sent directly, bypassing the classes "
						 "(direct_packets_stat).",
						 NS_COUNTER, NULL),
				       ls, r->htb_direct);
		break;
	case QX_NONE:
		break;
	}
}

static void qd_emit_class(struct qd_emit *em, struct qd_state *st, const struct qd_rec *r)
{
	char classid[QD_HANDLE_LEN], parent[QD_HANDLE_LEN];
	const struct ns_label l[4] = {{"device", qd_link(st, r->link)->link.name},
				      {"kind", r->kind},
				      {"classid", classid},
				      {"parent", parent}};
	struct ns_labelset *ls = &st->ls;

	qd_fmt_classid(classid, r->handle);
	qd_fmt_classid(parent, r->parent);
	ns_emit_check(&em->out, ns_labelset_set(ls, em->out.w, l, 4));
	qd_emit_basic(em, true, r, ls);
	if (r->xkind != QX_HTB)
		return;
	qd_put_xfields(em, qd_htb_class, r, 0, l, 4, ls);
	if (r->htb_have & QH_HTB_RATE)
		ns_emit_u64_ls(&em->out,
			       qd_family(em, "netstack_qdisc_htb_class_rate_bytes_per_second",
					 "Guaranteed rate of the class (rate, TCA_HTB_RATE64 when "
					 "larger than 32 bits).",
					 NS_GAUGE, NULL),
			       ls, r->htb_rate);
	if (r->htb_have & QH_HTB_CEIL)
		ns_emit_u64_ls(&em->out,
			       qd_family(em, "netstack_qdisc_htb_class_ceil_bytes_per_second",
					 "Maximum rate of the class, borrowing included (ceil, "
					 "TCA_HTB_CEIL64 when larger than 32 bits).",
					 NS_GAUGE, NULL),
			       ls, r->htb_ceil);
}

int qd_emit_all(struct qd_state *st, struct ns_writer *w, struct ns_err *e)
{
	struct qd_emit em = {.out = NS_EMIT_INIT(w)};
	struct ns_labelset *ls = &st->ls;
	struct ns_family *froot;

	qd_chain_by_device(st);

	froot =
	    ns_emit_family(&em.out, "netstack_qdisc_root_info",
			   "Kind of the root qdisc of a device (of each mq child for a multiqueue "
			   "root); the value is always 1.",
			   NS_INFO, NULL);
	for (size_t i = 0; i < st->nqd; i++) {
		const struct qd_rec *r = &st->qd[i];
		char handle[QD_HANDLE_LEN], parent[QD_HANDLE_LEN];
		const struct ns_label l[4] = {{"device", qd_link(st, r->link)->link.name},
					      {"kind", r->kind},
					      {"handle", handle},
					      {"parent", parent}};

		qd_fmt_handle(handle, r->handle);
		qd_fmt_classid(parent, r->parent);
		ns_emit_check(&em.out, ns_labelset_set(ls, w, l, 4));
		qd_emit_basic(&em, false, r, ls);
		qd_emit_qdisc_x(&em, st, r, l, ls);
		if (r->parent == TC_H_ROOT && froot)
			qd_emit_root_info(&em, st, i, froot);
	}
	for (size_t i = 0; i < st->ncl; i++)
		qd_emit_class(&em, st, &st->cl[i]);
	if (st->qf)
		qf_emit(st->qf, &em.out);
	return ns_emit_done(&em.out, e);
}
