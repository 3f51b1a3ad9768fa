// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qdisc_filters.c - tc filters per qdisc and class (RTM_GETTFILTER).
 *
 * The kernel dumps the filters of one block at a time: tcm_ifindex and
 * tcm_parent name it (a qdisc handle "1:", a class "1:10", or
 * ffff:fff2 / ffff:fff3 for the ingress / egress side of ingress and
 * clsact). A dump is sent only where filters can be attached: the qdisc
 * kinds whose class operations have a filter block (htb, hfsc, cbq, drr,
 * qfq, ets, prio, multiq, dsmark, atm, fq_codel, fq_pie, sfq, sfb, choke,
 * cake), the classes of htb, hfsc, cbq and atm (the kinds whose classes
 * have blocks of their own), ingress and clsact; never for noqueue,
 * pfifo_fast, mq and the like, so a host of plain veths sends none.
 *
 * A dump answers one message per filter protocol/priority (handle 0: the
 * head, not a filter) and one per filter. For u32, a hash table (node id
 * 0, "fh 800:") is not a filter either; a key node ("fh 800::800") is.
 * cls_u32 keeps one hash table list per qdisc (tc_u_common, shared by the
 * qdisc's own block, its classes' blocks and both sides of clsact) and its
 * walk lists every table of the dumped filter's priority: a u32 key node is
 * listed under every block of that qdisc that has a u32 filter of the same
 * priority (so does `tc filter show`). Each key node, by (ifindex, qdisc
 * major, priority/protocol, handle), is counted once a scrape, under the
 * first attach point that lists it (the qdisc before its classes, ingress
 * before egress).
 * Replies are matched to the request by ifindex and parent, so a replay
 * file holding every device's filters serves every dump.
 *
 * Per filter, up to filter-max (in dump order, the rest counted as
 * untracked): u32 TCA_U32_PCNT (struct tc_u32_pcnt: rcnt, the times the
 * key was looked at, and rhit, the times it matched; only with
 * CONFIG_CLS_U32_PERF), and for every action of the filter (TCA_*_ACT:
 * nests 1..32 in order, each with TCA_ACT_KIND and TCA_ACT_STATS) the
 * generic statistics: TCA_STATS_BASIC bytes/packets (TCA_STATS_PKT64 when
 * larger) and TCA_STATS_QUEUE drops and overlimits, which is where police
 * counts what exceeded its rate (overlimits) and dropped, and gact what it
 * dropped. Fields are exposed only when the payload holds them.
 *
 * Memory: the per-filter records are allocated by qf_new(); the attach
 * point table grows to the largest seen and is kept.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/gen_stats.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "qdisc_filters.h"

#define QF_DEV_LEN 16
#define QF_KIND_LEN 16
#define QF_LABEL_LEN 16
#define QF_ACTS_PER_FILTER 4 /* actions tracked per tracked filter, on average */

#ifndef TC_H_MIN_INGRESS
#define TC_H_MIN_INGRESS 0xFFF2U
#define TC_H_MIN_EGRESS 0xFFF3U
#endif

/* Filters of one kind attached at one point. */
struct qf_point {
	char dev[QF_DEV_LEN];
	char parent[QF_LABEL_LEN];
	char kind[QF_KIND_LEN];
	uint64_t filters;
};

struct qf_filter {
	size_t point; /* index in points */
	uint32_t pref;
	uint32_t handle;
	bool u32, have_pcnt;
	uint64_t rcnt, rhit;
};

enum { QF_A_BYTES = 1, QF_A_PACKETS = 2, QF_A_QUEUE = 4 };

struct qf_action {
	size_t filter; /* index in filters */
	unsigned order;
	char kind[QF_KIND_LEN];
	unsigned have;
	uint64_t bytes, packets, drops, overlimits;
};

/* A u32 key node: (ifindex, qdisc major), (tcm_info, handle). */
struct qf_key {
	uint64_t a, b;
};

struct qf_state {
	size_t filter_max, action_max;
	struct qf_point *points;
	size_t npoints, cap_points;
	struct qf_filter *filters;
	size_t nfilters;
	struct qf_action *actions;
	size_t nactions;
	uint64_t untracked_filters, untracked_actions;
	/* u32 key nodes listed by the ingress side of a clsact (see qf_qdisc()) */
	struct qf_key *keys; /* u32 key nodes counted this scrape, in order */
	size_t nkeys, cap_keys;
	uint32_t *kidx; /* hash index: position in keys + 1, 0 empty */
	size_t kmask;
	/* the dump in progress */
	int ifindex;
	uint32_t parent, alt_parent;
	const char *dev, *label;
	size_t mark_points, mark_filters, mark_actions, mark_keys;
	uint64_t mark_untracked_f, mark_untracked_a;
};

static const char *const qf_block_kinds[] = {
    "htb", "hfsc",     "cbq",	 "drr", "qfq", "ets",	"prio", "multiq", "dsmark",
    "atm", "fq_codel", "fq_pie", "sfq", "sfb", "choke", "cake", NULL,
};
static const char *const qf_class_block_kinds[] = {"htb", "hfsc", "cbq", "atm", NULL};

static bool qf_in(const char *const *list, const char *kind)
{
	for (; *list; list++)
		if (strcmp(*list, kind) == 0)
			return true;
	return false;
}

struct qf_state *qf_new(size_t filter_max)
{
	struct qf_state *qf = calloc(1, sizeof(*qf));

	if (!qf)
		return NULL;
	qf->filter_max = filter_max;
	qf->action_max = filter_max * QF_ACTS_PER_FILTER;
	qf->filters = calloc(filter_max ? filter_max : 1, sizeof(*qf->filters));
	qf->actions = calloc(qf->action_max ? qf->action_max : 1, sizeof(*qf->actions));
	if (!qf->filters || !qf->actions) {
		qf_free(qf);
		return NULL;
	}
	return qf;
}

void qf_free(struct qf_state *qf)
{
	if (!qf)
		return;
	free(qf->points);
	free(qf->keys);
	free(qf->kidx);
	free(qf->filters);
	free(qf->actions);
	free(qf);
}

void qf_begin(struct qf_state *qf)
{
	if (qf->nkeys)
		memset(qf->kidx, 0, (qf->kmask + 1) * sizeof(*qf->kidx));
	qf->nkeys = 0;
	qf->npoints = qf->nfilters = qf->nactions = 0;
	qf->untracked_filters = qf->untracked_actions = 0;
}

/* ---- formatting ---- */

static void qf_fmt_parent(char *b, size_t len, uint32_t h)
{
	if (TC_H_MAJ(h) == TC_H_MAJ(TC_H_CLSACT) && TC_H_MIN(h) == TC_H_MIN_INGRESS)
		snprintf(b, len, "ingress");
	else if (TC_H_MAJ(h) == TC_H_MAJ(TC_H_CLSACT) && TC_H_MIN(h) == TC_H_MIN_EGRESS)
		snprintf(b, len, "egress");
	else if (TC_H_MIN(h))
		snprintf(b, len, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	else
		snprintf(b, len, "%x:", TC_H_MAJ(h) >> 16);
}

/* As tc prints them: u32 "htid:hash:node" ("800::800"), others "0x1". */
static void qf_fmt_handle(char *b, size_t len, const struct qf_filter *f)
{
	uint32_t htid = f->handle >> 20, hash = (f->handle >> 12) & 0xff, node = f->handle & 0xfff;
	int n = 0;

	if (!f->u32) {
		snprintf(b, len, "0x%x", f->handle);
		return;
	}
	if (htid)
		n += snprintf(b + n, len - (size_t)n, "%x", htid);
	n += snprintf(b + n, len - (size_t)n, ":");
	if (hash)
		n += snprintf(b + n, len - (size_t)n, "%x", hash);
	if (node)
		snprintf(b + n, len - (size_t)n, ":%x", node);
}

/* ---- u32 key nodes already counted ---- */

static size_t qf_khash(uint64_t a, uint64_t b)
{
	uint64_t h = (a ^ (b * 0x9e3779b97f4a7c15ull)) * 0xff51afd7ed558ccdull;

	return (size_t)(h ^ (h >> 29));
}

/* Rebuild the hash index over keys[0..nkeys). */
static void qf_reindex(struct qf_state *qf)
{
	if (!qf->kidx)
		return;
	memset(qf->kidx, 0, (qf->kmask + 1) * sizeof(*qf->kidx));
	for (size_t k = 0; k < qf->nkeys; k++) {
		size_t i = qf_khash(qf->keys[k].a, qf->keys[k].b) & qf->kmask;

		while (qf->kidx[i])
			i = (i + 1) & qf->kmask;
		qf->kidx[i] = (uint32_t)(k + 1);
	}
}

/* 1 if (a, b) was counted this scrape, else 0 and it is now; -ENOMEM. */
static int qf_seen(struct qf_state *qf, uint64_t a, uint64_t b)
{
	size_t i;

	if (qf->kidx)
		for (i = qf_khash(a, b) & qf->kmask; qf->kidx[i]; i = (i + 1) & qf->kmask) {
			const struct qf_key *k = &qf->keys[qf->kidx[i] - 1];

			if (k->a == a && k->b == b)
				return 1;
		}
	if (qf->nkeys == qf->cap_keys) {
		size_t cap = qf->cap_keys ? qf->cap_keys * 2 : 64;
		struct qf_key *p = realloc(qf->keys, cap * sizeof(*p));
		uint32_t *x;

		if (!p)
			return -ENOMEM;
		qf->keys = p;
		x = realloc(qf->kidx, 2 * cap * sizeof(*x));
		if (!x)
			return -ENOMEM;
		qf->kidx = x;
		qf->kmask = 2 * cap - 1;
		qf->cap_keys = cap;
		qf_reindex(qf);
	}
	qf->keys[qf->nkeys].a = a;
	qf->keys[qf->nkeys].b = b;
	qf->nkeys++;
	for (i = qf_khash(a, b) & qf->kmask; qf->kidx[i]; i = (i + 1) & qf->kmask)
		;
	qf->kidx[i] = (uint32_t)qf->nkeys;
	return 0;
}

/* ---- parsing ---- */

/* The TCA_OPTIONS attribute that holds a filter kind's actions, 0 if unknown. */
static unsigned qf_act_attr(const char *kind)
{
	static const struct {
		const char *kind;
		unsigned attr;
	} t[] = {
	    {"u32", TCA_U32_ACT},      {"basic", TCA_BASIC_ACT},   {"fw", TCA_FW_ACT},
	    {"route", TCA_ROUTE4_ACT}, {"flow", TCA_FLOW_ACT},	   {"cgroup", TCA_CGROUP_ACT},
	    {"bpf", TCA_BPF_ACT},      {"flower", TCA_FLOWER_ACT}, {"matchall", TCA_MATCHALL_ACT},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].kind, kind) == 0)
			return t[i].attr;
	return 0;
}

static size_t qf_point(struct qf_state *qf, const char *kind)
{
	struct qf_point *p;

	for (size_t i = qf->mark_points; i < qf->npoints; i++)
		if (strcmp(qf->points[i].kind, kind) == 0)
			return i;
	if (qf->npoints == qf->cap_points) {
		size_t cap = qf->cap_points ? qf->cap_points * 2 : 16;

		p = realloc(qf->points, cap * sizeof(*p));
		if (!p)
			return SIZE_MAX;
		qf->points = p;
		qf->cap_points = cap;
	}
	p = &qf->points[qf->npoints];
	snprintf(p->dev, sizeof(p->dev), "%s", qf->dev);
	snprintf(p->parent, sizeof(p->parent), "%s", qf->label);
	snprintf(p->kind, sizeof(p->kind), "%s", kind);
	p->filters = 0;
	return qf->npoints++;
}

static void qf_action_stats(struct qf_action *a, const struct nlattr *stats)
{
	const struct nlattr *tb[TCA_STATS_MAX + 1];

	ns_nl_parse_nested(stats, tb, TCA_STATS_MAX);
	if (tb[TCA_STATS_BASIC]) {
		struct gnet_stats_basic b;
		size_t len = ns_nl_attr_copy(tb[TCA_STATS_BASIC], &b, sizeof(b));

		if (len >= offsetof(struct gnet_stats_basic, bytes) + sizeof(b.bytes)) {
			a->bytes = b.bytes;
			a->have |= QF_A_BYTES;
		}
		if (len >= offsetof(struct gnet_stats_basic, packets) + sizeof(b.packets)) {
			a->packets = b.packets;
			a->have |= QF_A_PACKETS;
		}
	}
	if (tb[TCA_STATS_PKT64] && mnl_attr_get_payload_len(tb[TCA_STATS_PKT64]) >= 8) {
		uint64_t p;

		memcpy(&p, mnl_attr_get_payload(tb[TCA_STATS_PKT64]), sizeof(p));
		a->packets = p;
		a->have |= QF_A_PACKETS;
	}
	if (tb[TCA_STATS_QUEUE]) {
		struct gnet_stats_queue q;
		size_t len = ns_nl_attr_copy(tb[TCA_STATS_QUEUE], &q, sizeof(q));

		if (len >= sizeof(q)) {
			a->drops = q.drops;
			a->overlimits = q.overlimits;
			a->have |= QF_A_QUEUE;
		}
	}
}

static void qf_actions(struct qf_state *qf, size_t fi, const struct nlattr *acts)
{
	const struct nlattr *tb[TCA_ACT_MAX_PRIO + 1];

	ns_nl_parse_nested(acts, tb, TCA_ACT_MAX_PRIO);
	for (unsigned o = 1; o <= TCA_ACT_MAX_PRIO; o++) {
		const struct nlattr *at[TCA_ACT_STATS + 1];
		struct qf_action *a;

		if (!tb[o])
			continue;
		ns_nl_parse_nested(tb[o], at, TCA_ACT_STATS);
		if (!at[TCA_ACT_KIND])
			continue;
		if (qf->nactions == qf->action_max) {
			qf->untracked_actions++;
			continue;
		}
		a = &qf->actions[qf->nactions];
		memset(a, 0, sizeof(*a));
		a->filter = fi;
		a->order = o;
		ns_nl_attr_strcpy(at[TCA_ACT_KIND], a->kind, sizeof(a->kind));
		if (!a->kind[0])
			continue;
		if (at[TCA_ACT_STATS])
			qf_action_stats(a, at[TCA_ACT_STATS]);
		qf->nactions++;
	}
}

static int qf_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[TCA_MAX + 1];
	struct qf_state *qf = data;
	const struct tcmsg *tcm;
	char kind[QF_KIND_LEN];
	struct qf_filter *f;
	size_t pi;
	bool u32;

	if (nlh->nlmsg_type != RTM_NEWTFILTER || mnl_nlmsg_get_payload_len(nlh) < sizeof(*tcm))
		return MNL_CB_OK;
	tcm = mnl_nlmsg_get_payload(nlh);
	if (tcm->tcm_ifindex != qf->ifindex || !tcm->tcm_handle ||
	    (tcm->tcm_parent != qf->parent && tcm->tcm_parent != qf->alt_parent))
		return MNL_CB_OK;
	ns_nl_parse(nlh, sizeof(*tcm), tb, TCA_MAX);
	if (!tb[TCA_KIND])
		return MNL_CB_OK;
	ns_nl_attr_strcpy(tb[TCA_KIND], kind, sizeof(kind));
	if (!kind[0])
		return MNL_CB_OK;
	u32 = strcmp(kind, "u32") == 0;
	if (u32 && !(tcm->tcm_handle & 0xfff))
		return MNL_CB_OK; /* a u32 hash table, not a filter */
	if (u32) {
		int seen = qf_seen(qf,
				   (uint64_t)(uint32_t)tcm->tcm_ifindex << 32 |
				       TC_H_MAJ(tcm->tcm_parent) >> 16,
				   (uint64_t)tcm->tcm_info << 32 | tcm->tcm_handle);

		if (seen < 0)
			return seen;
		if (seen)
			return MNL_CB_OK; /* listed by another block of the same qdisc */
	}

	pi = qf_point(qf, kind);
	if (pi == SIZE_MAX)
		return -ENOMEM;
	qf->points[pi].filters++;
	if (qf->nfilters == qf->filter_max) {
		qf->untracked_filters++;
		return MNL_CB_OK;
	}
	f = &qf->filters[qf->nfilters];
	memset(f, 0, sizeof(*f));
	f->point = pi;
	f->pref = TC_H_MAJ(tcm->tcm_info) >> 16;
	f->handle = tcm->tcm_handle;
	f->u32 = u32;
	if (tb[TCA_OPTIONS]) {
		unsigned aa = qf_act_attr(kind);
		const struct nlattr *ot[64];
		unsigned omax = aa > TCA_U32_MAX ? aa : TCA_U32_MAX;

		_Static_assert(TCA_U32_MAX < 64, "ot[] holds every u32 option");
		if (omax >= 64)
			omax = 63;

		ns_nl_parse_nested(tb[TCA_OPTIONS], ot, omax);
		if (u32 && ot[TCA_U32_PCNT]) {
			struct tc_u32_pcnt pc;

			if (ns_nl_attr_copy(ot[TCA_U32_PCNT], &pc, sizeof(pc)) >= sizeof(pc)) {
				f->rcnt = pc.rcnt;
				f->rhit = pc.rhit;
				f->have_pcnt = true;
			}
		}
		if (aa && ot[aa])
			qf_actions(qf, qf->nfilters, ot[aa]);
	}
	qf->nfilters++;
	return MNL_CB_OK;
}

/* DUMP_INTR: drop what this dump added. */
static void qf_reset(void *data)
{
	struct qf_state *qf = data;

	qf->npoints = qf->mark_points;
	if (qf->nkeys != qf->mark_keys) {
		qf->nkeys = qf->mark_keys;
		qf_reindex(qf);
	}
	qf->nfilters = qf->mark_filters;
	qf->nactions = qf->mark_actions;
	qf->untracked_filters = qf->mark_untracked_f;
	qf->untracked_actions = qf->mark_untracked_a;
}

static int qf_dump(struct qf_state *qf, struct ns_nl *nl, int ifindex, const char *dev,
		   uint32_t parent, uint32_t alt_parent, struct ns_err *e)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, RTM_GETTFILTER, NLM_F_DUMP);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	char label[QF_LABEL_LEN];
	int rc;

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = parent;
	qf_fmt_parent(label, sizeof(label), parent);
	qf->ifindex = ifindex;
	qf->parent = parent;
	qf->alt_parent = alt_parent;
	qf->dev = dev;
	qf->label = label;
	qf->mark_points = qf->npoints;
	qf->mark_filters = qf->nfilters;
	qf->mark_actions = qf->nactions;
	qf->mark_keys = qf->nkeys;
	qf->mark_untracked_f = qf->untracked_filters;
	qf->mark_untracked_a = qf->untracked_actions;
	rc = ns_nl_run(nl, qf_cb, qf_reset, qf, e);
	qf->dev = qf->label = NULL;
	/*
	 * Gone since the qdisc dump (ENODEV, EINVAL), no filter support
	 * (EOPNOTSUPP), or no replay recording (ENOENT): no filters.
	 */
	if (rc == -ENODEV || rc == -EINVAL || rc == -EOPNOTSUPP || rc == -ENOENT) {
		qf_reset(qf);
		ns_err_clear(e);
		rc = 0;
	}
	return rc;
}

int qf_qdisc(struct qf_state *qf, struct ns_nl *nl, int ifindex, const char *dev, const char *kind,
	     uint32_t handle, struct ns_err *e)
{
	uint32_t in = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS);
	uint32_t out = TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS);
	int rc;

	/* The ingress qdisc answers with its own handle (ffff:) as the parent. */
	if (strcmp(kind, "ingress") == 0)
		return qf_dump(qf, nl, ifindex, dev, in, TC_H_MAJ(TC_H_INGRESS), e);
	if (strcmp(kind, "clsact") == 0) {
		rc = qf_dump(qf, nl, ifindex, dev, in, in, e);
		if (!rc)
			rc = qf_dump(qf, nl, ifindex, dev, out, out, e);
		return rc;
	}
	if (!qf_in(qf_block_kinds, kind) || !TC_H_MAJ(handle))
		return 0;
	return qf_dump(qf, nl, ifindex, dev, TC_H_MAJ(handle), TC_H_MAJ(handle), e);
}

int qf_class(struct qf_state *qf, struct ns_nl *nl, int ifindex, const char *dev, const char *kind,
	     uint32_t classid, struct ns_err *e)
{
	if (!qf_in(qf_class_block_kinds, kind) || !TC_H_MIN(classid))
		return 0;
	return qf_dump(qf, nl, ifindex, dev, classid, classid, e);
}

/* ---- emission ---- */

/* u32 key-node counters of the tracked filters that report them. */
static void qf_emit_u32(const struct qf_state *qf, struct ns_emit *em)
{
	struct ns_family *fl = NULL, *fh = NULL;
	char handle[32], pref[12];

	for (size_t i = 0; i < qf->nfilters; i++) {
		const struct qf_filter *f = &qf->filters[i];
		const struct qf_point *p = &qf->points[f->point];

		if (!f->have_pcnt)
			continue;
		if (!fl) {
			fl = ns_emit_family(em, "netstack_qdisc_filter_u32_lookups_total",
					    "Times a u32 key node was looked at (tc_u32_pcnt.rcnt, "
					    "tc's \"rule hit\"; CONFIG_CLS_U32_PERF only).",
					    NS_COUNTER, NULL);
			fh = ns_emit_family(em, "netstack_qdisc_filter_u32_hits_total",
					    "Times a u32 key node matched (tc_u32_pcnt.rhit, tc's "
					    "\"success\"; CONFIG_CLS_U32_PERF only).",
					    NS_COUNTER, NULL);
		}
		qf_fmt_handle(handle, sizeof(handle), f);
		snprintf(pref, sizeof(pref), "%u", f->pref);
		ns_emit_u64(em, fl,
			    NS_LABELS({"device", p->dev}, {"parent", p->parent}, {"pref", pref},
				      {"handle", handle}),
			    f->rcnt);
		ns_emit_u64(em, fh,
			    NS_LABELS({"device", p->dev}, {"parent", p->parent}, {"pref", pref},
				      {"handle", handle}),
			    f->rhit);
	}
}

/* Statistics of the tracked filters' actions. */
static void qf_emit_actions(const struct qf_state *qf, struct ns_emit *em)
{
	struct ns_family *fb = NULL, *fp = NULL, *fd = NULL, *fo = NULL;
	char handle[32], pref[12], order[12];

	for (size_t i = 0; i < qf->nactions; i++) {
		const struct qf_action *a = &qf->actions[i];
		const struct qf_filter *f = &qf->filters[a->filter];
		const struct qf_point *p = &qf->points[f->point];
		struct ns_label l[7] = {
		    {"device", p->dev}, {"parent", p->parent}, {"kind", p->kind}, {"pref", pref},
		    {"handle", handle}, {"action", a->kind},   {"order", order},
		};

		if (!fb) {
			fb = ns_emit_family(em, "netstack_qdisc_filter_action_bytes_total",
					    "Bytes seen by a filter's action (TCA_STATS_BASIC).",
					    NS_COUNTER, "bytes");
			fp = ns_emit_family(em, "netstack_qdisc_filter_action_packets_total",
					    "Packets seen by a filter's action (TCA_STATS_BASIC, "
					    "TCA_STATS_PKT64).",
					    NS_COUNTER, NULL);
			fd = ns_emit_family(
			    em, "netstack_qdisc_filter_action_drops_total",
			    "Packets a filter's action dropped (TCA_STATS_QUEUE drops: "
			    "police over its rate with drop, gact drop).",
			    NS_COUNTER, NULL);
			fo = ns_emit_family(em, "netstack_qdisc_filter_action_overlimits_total",
					    "Packets over a filter's action limit (TCA_STATS_QUEUE "
					    "overlimits: police's exceeded packets).",
					    NS_COUNTER, NULL);
		}
		qf_fmt_handle(handle, sizeof(handle), f);
		snprintf(pref, sizeof(pref), "%u", f->pref);
		snprintf(order, sizeof(order), "%u", a->order);
		if (a->have & QF_A_BYTES)
			ns_emit_u64(em, fb, l, 7, a->bytes);
		if (a->have & QF_A_PACKETS)
			ns_emit_u64(em, fp, l, 7, a->packets);
		if (a->have & QF_A_QUEUE) {
			ns_emit_u64(em, fd, l, 7, a->drops);
			ns_emit_u64(em, fo, l, 7, a->overlimits);
		}
	}
}

void qf_emit(const struct qf_state *qf, struct ns_emit *em)
{
	struct ns_family *fn;

	if (!qf->npoints)
		return;
	fn = ns_emit_family(em, "netstack_qdisc_filters",
			    "tc filters attached to a qdisc or class (parent; ingress and egress "
			    "for ingress/clsact), by filter kind (RTM_GETTFILTER).",
			    NS_GAUGE, NULL);
	for (size_t i = 0; i < qf->npoints; i++) {
		const struct qf_point *p = &qf->points[i];

		ns_emit_u64(em, fn,
			    NS_LABELS({"device", p->dev}, {"parent", p->parent}, {"kind", p->kind}),
			    p->filters);
	}
	ns_emit_u64(em,
		    ns_emit_family(em, "netstack_qdisc_filters_untracked",
				   "Filters beyond filter-max, and actions beyond 4 per tracked "
				   "filter, whose counters are not exposed one by one.",
				   NS_GAUGE, NULL),
		    NS_NOLABELS, qf->untracked_filters + qf->untracked_actions);
	qf_emit_u32(qf, em);
	qf_emit_actions(qf, em);
}
