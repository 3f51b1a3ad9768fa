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
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>

#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "collector.h"
#include "emit.h"
#include "buf.h"
#include "links.h"
#include "namefilter.h"
#include "nl.h"

#define QD_KIND_LEN 16 /* IFNAMSIZ, as the kernel's TCA_KIND policy */
#define QD_XSTATS_MAX 160
#define QD_CAKE_TINS 8

/* ---- the generic counters of struct gnet_stats_* / tc_stats ---- */

enum {
	QD_BYTES,
	QD_PACKETS,
	QD_DROPS,
	QD_OVERLIMITS,
	QD_REQUEUES,
	QD_BACKLOG,
	QD_QLEN,
	QD_NBASIC,
};

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

/* cake: TCA_STATS_APP is a nest of TCA_CAKE_STATS_*, tins nested below. */
enum {
	CK_CAPACITY,
	CK_MEM_LIMIT,
	CK_MEM_USED,
	CK_NTOP,
};
enum {
	CT_SENT_PACKETS,
	CT_SENT_BYTES,
	CT_DROPPED_PACKETS,
	CT_DROPPED_BYTES,
	CT_ACKS_DROPPED,
	CT_ECN_MARKED,
	CT_BACKLOG_PACKETS,
	CT_BACKLOG_BYTES,
	CT_THRESHOLD_RATE,
	CT_PEAK_DELAY,
	CT_AVG_DELAY,
	CT_BASE_DELAY,
	CT_SPARSE,
	CT_BULK,
	CT_UNRESPONSIVE,
	CT_NTIN,
};

struct qd_cake_def {
	const char *name;
	const char *help;
	enum ns_mtype type;
	const char *unit;
	unsigned short attr;
	double scale; /* 0: exact integer; else value / scale */
};

static const struct qd_cake_def qd_cake_top[CK_NTOP] = {
    [CK_CAPACITY] = {"netstack_qdisc_cake_capacity_estimate_bytes_per_second",
		     "Estimated link capacity (TCA_CAKE_STATS_CAPACITY_ESTIMATE64).", NS_GAUGE,
		     NULL, TCA_CAKE_STATS_CAPACITY_ESTIMATE64, 0},
    [CK_MEM_LIMIT] = {"netstack_qdisc_cake_memory_limit_bytes",
		      "Memory limit for queued packets (TCA_CAKE_STATS_MEMORY_LIMIT).", NS_GAUGE,
		      "bytes", TCA_CAKE_STATS_MEMORY_LIMIT, 0},
    [CK_MEM_USED] = {"netstack_qdisc_cake_memory_used_bytes",
		     "Memory used by queued packets (TCA_CAKE_STATS_MEMORY_USED).", NS_GAUGE,
		     "bytes", TCA_CAKE_STATS_MEMORY_USED, 0},
};

static const struct qd_cake_def qd_cake_tin[CT_NTIN] = {
    [CT_SENT_PACKETS] = {"netstack_qdisc_cake_tin_sent_packets_total", "Packets sent per tin.",
			 NS_COUNTER, NULL, TCA_CAKE_TIN_STATS_SENT_PACKETS, 0},
    [CT_SENT_BYTES] = {"netstack_qdisc_cake_tin_sent_bytes_total", "Bytes sent per tin.",
		       NS_COUNTER, "bytes", TCA_CAKE_TIN_STATS_SENT_BYTES64, 0},
    [CT_DROPPED_PACKETS] = {"netstack_qdisc_cake_tin_dropped_packets_total",
			    "Packets dropped per tin.", NS_COUNTER, NULL,
			    TCA_CAKE_TIN_STATS_DROPPED_PACKETS, 0},
    [CT_DROPPED_BYTES] = {"netstack_qdisc_cake_tin_dropped_bytes_total", "Bytes dropped per tin.",
			  NS_COUNTER, "bytes", TCA_CAKE_TIN_STATS_DROPPED_BYTES64, 0},
    [CT_ACKS_DROPPED] = {"netstack_qdisc_cake_tin_acks_dropped_packets_total",
			 "ACKs dropped by the ACK filter per tin.", NS_COUNTER, NULL,
			 TCA_CAKE_TIN_STATS_ACKS_DROPPED_PACKETS, 0},
    [CT_ECN_MARKED] = {"netstack_qdisc_cake_tin_ecn_marked_packets_total",
		       "Packets ECN-marked per tin.", NS_COUNTER, NULL,
		       TCA_CAKE_TIN_STATS_ECN_MARKED_PACKETS, 0},
    [CT_BACKLOG_PACKETS] = {"netstack_qdisc_cake_tin_backlog_packets", "Packets queued per tin.",
			    NS_GAUGE, NULL, TCA_CAKE_TIN_STATS_BACKLOG_PACKETS, 0},
    [CT_BACKLOG_BYTES] = {"netstack_qdisc_cake_tin_backlog_bytes", "Bytes queued per tin.",
			  NS_GAUGE, "bytes", TCA_CAKE_TIN_STATS_BACKLOG_BYTES, 0},
    [CT_THRESHOLD_RATE] = {"netstack_qdisc_cake_tin_threshold_rate_bytes_per_second",
			   "Rate threshold of the tin.", NS_GAUGE, NULL,
			   TCA_CAKE_TIN_STATS_THRESHOLD_RATE64, 0},
    [CT_PEAK_DELAY] = {"netstack_qdisc_cake_tin_peak_delay_seconds", "Peak queueing delay per tin.",
		       NS_GAUGE, "seconds", TCA_CAKE_TIN_STATS_PEAK_DELAY_US, 1e6},
    [CT_AVG_DELAY] = {"netstack_qdisc_cake_tin_average_delay_seconds",
		      "Average queueing delay per tin.", NS_GAUGE, "seconds",
		      TCA_CAKE_TIN_STATS_AVG_DELAY_US, 1e6},
    [CT_BASE_DELAY] = {"netstack_qdisc_cake_tin_base_delay_seconds",
		       "Base (minimum) queueing delay per tin.", NS_GAUGE, "seconds",
		       TCA_CAKE_TIN_STATS_BASE_DELAY_US, 1e6},
    [CT_SPARSE] = {"netstack_qdisc_cake_tin_sparse_flows", "Sparse flows per tin.", NS_GAUGE, NULL,
		   TCA_CAKE_TIN_STATS_SPARSE_FLOWS, 0},
    [CT_BULK] = {"netstack_qdisc_cake_tin_bulk_flows", "Bulk flows per tin.", NS_GAUGE, NULL,
		 TCA_CAKE_TIN_STATS_BULK_FLOWS, 0},
    [CT_UNRESPONSIVE] = {"netstack_qdisc_cake_tin_unresponsive_flows",
			 "Unresponsive flows per tin.", NS_GAUGE, NULL,
			 TCA_CAKE_TIN_STATS_UNRESPONSIVE_FLOWS, 0},
};

struct qd_cake {
	uint32_t top_have;
	uint64_t top[CK_NTOP];
	uint8_t ntins;
	uint32_t tin_have[QD_CAKE_TINS];
	uint64_t tin[QD_CAKE_TINS][CT_NTIN];
};

/* ---- state ---- */

enum qd_xkind {
	QX_NONE,
	QX_FQ_CODEL,
	QX_FQ,
	QX_CODEL,
	QX_CAKE,
	QX_HTB, /* qdisc: direct_pkts from TCA_OPTIONS; class: xstats + rate/ceil */
};

enum {
	QH_HTB_DIRECT = 1 << 0,
	QH_HTB_RATE = 1 << 1,
	QH_HTB_CEIL = 1 << 2,
};

struct qd_rec {
	unsigned link; /* index in st->links */
	char kind[QD_KIND_LEN];
	uint32_t handle; /* qdisc handle or class id */
	uint32_t parent;
	uint32_t have; /* bit i: basic[i] */
	uint64_t basic[QD_NBASIC];
	enum qd_xkind xkind;
	uint16_t xlen; /* bytes of xstats received (may exceed the copy) */
	unsigned htb_have;
	uint64_t htb_direct;
	uint64_t htb_rate;
	uint64_t htb_ceil;
	long next; /* the next qdisc of the same device in st->qd, -1 at the end */
	union {
		unsigned char raw[QD_XSTATS_MAX];
		size_t cake; /* QX_CAKE: index in st->cakes (cake stats are large and rare) */
	} x;
};

struct qd_link {
	struct ns_link link; /* first: a record of st->links */
	bool classful;
	long first_qd; /* its first qdisc in st->qd, -1 if none (set before emission) */
};

struct qd_state {
	struct ns_namefilter filter;
	struct ns_links links; /* of struct qd_link */
	struct qd_rec *qd;
	size_t nqd, capq;
	struct qd_rec *cl;
	size_t ncl, capc;
	struct qd_cake *cakes; /* decoded cake statistics, for qdiscs of kind cake */
	size_t ncake, capk;
	size_t cl_mark; /* first class of the device being dumped */
	int cl_ifindex;
	struct ns_labelset ls; /* the record being emitted: formatted once for all its families */
};

/* ---- helpers ---- */

static struct qd_link *qd_link(const struct qd_state *st, size_t i)
{
	return ns_links_at(&st->links, i);
}

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
	for (unsigned i = 0; i < CK_NTOP; i++) {
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
		for (unsigned i = 0; i < CT_NTIN; i++) {
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

static void qd_basic_from(struct qd_rec *r, const struct nlattr *stats2, const struct nlattr *old,
			  const struct nlattr **app)
{
	r->have = 0;
	*app = NULL;
	if (stats2) {
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
		if (tb[TCA_STATS_PKT64] && mnl_attr_get_payload_len(tb[TCA_STATS_PKT64]) >= 8) {
			r->basic[QD_PACKETS] = mnl_attr_get_u64(tb[TCA_STATS_PKT64]);
			r->have |= 1u << QD_PACKETS;
		}
		if (tb[TCA_STATS_QUEUE]) {
			struct gnet_stats_queue q;
			size_t len = ns_nl_attr_copy(tb[TCA_STATS_QUEUE], &q, sizeof(q));
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

			for (size_t i = 0; i < sizeof(qf) / sizeof(qf[0]); i++) {
				uint32_t v;

				if (qf[i].off + 4 > len)
					continue;
				memcpy(&v, (const char *)&q + qf[i].off, 4);
				r->basic[qf[i].idx] = v;
				r->have |= 1u << qf[i].idx;
			}
		}
		*app = tb[TCA_STATS_APP];
	} else if (old) {
		struct tc_stats s;
		size_t len = ns_nl_attr_copy(old, &s, sizeof(s));
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
	if (is_class && tcm->tcm_ifindex != st->cl_ifindex)
		return false;
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

	for (unsigned i = 0; i < CK_NTOP; i++) {
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
		for (unsigned i = 0; i < CT_NTIN; i++) {
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

static int qd_emit_all(struct qd_state *st, struct ns_writer *w, struct ns_err *e)
{
	struct qd_emit em = {.out = NS_EMIT_INIT(w, "qdisc")};
	struct ns_labelset *ls = &st->ls;
	struct ns_family *froot, *fdirect, *frate, *fceil;

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
		switch (r->xkind) {
		case QX_FQ_CODEL: {
			uint32_t type;

			if (r->xlen < 4)
				break;
			memcpy(&type, r->x.raw, 4);
			if (type == 0 /* TCA_FQ_CODEL_XSTATS_QDISC */)
				qd_put_xfields(&em, qd_fq_codel, r, 0, l, 4, ls);
			break;
		}
		case QX_FQ:
			qd_put_xfields(&em, qd_fq, r, 0, l, 4, ls);
			break;
		case QX_CODEL:
			qd_put_xfields(&em, qd_codel, r, 0, l, 4, ls);
			break;
		case QX_CAKE:
			if (r->xlen)
				qd_put_cake(&em, &st->cakes[r->x.cake], l, 4, ls);
			break;
		case QX_HTB:
			if (r->htb_have & QH_HTB_DIRECT) {
				fdirect = qd_family(&em, "netstack_qdisc_htb_direct_packets_total",
						    "Packets sent directly, bypassing the classes "
						    "(direct_packets_stat).",
						    NS_COUNTER, NULL);
				ns_emit_u64_ls(&em.out, fdirect, ls, r->htb_direct);
			}
			break;
		case QX_NONE:
			break;
		}
		if (r->parent == TC_H_ROOT && froot)
			qd_emit_root_info(&em, st, i, froot);
	}
	for (size_t i = 0; i < st->ncl; i++) {
		const struct qd_rec *r = &st->cl[i];
		char classid[QD_HANDLE_LEN], parent[QD_HANDLE_LEN];
		const struct ns_label l[4] = {{"device", qd_link(st, r->link)->link.name},
					      {"kind", r->kind},
					      {"classid", classid},
					      {"parent", parent}};

		qd_fmt_classid(classid, r->handle);
		qd_fmt_classid(parent, r->parent);
		ns_emit_check(&em.out, ns_labelset_set(ls, w, l, 4));
		qd_emit_basic(&em, true, r, ls);
		if (r->xkind != QX_HTB)
			continue;
		qd_put_xfields(&em, qd_htb_class, r, 0, l, 4, ls);
		if (r->htb_have & QH_HTB_RATE) {
			frate = qd_family(&em, "netstack_qdisc_htb_class_rate_bytes_per_second",
					  "Guaranteed rate of the class (rate, TCA_HTB_RATE64 when "
					  "larger than 32 bits).",
					  NS_GAUGE, NULL);
			ns_emit_u64_ls(&em.out, frate, ls, r->htb_rate);
		}
		if (r->htb_have & QH_HTB_CEIL) {
			fceil = qd_family(&em, "netstack_qdisc_htb_class_ceil_bytes_per_second",
					  "Maximum rate of the class, borrowing included (ceil, "
					  "TCA_HTB_CEIL64 when larger than 32 bits).",
					  NS_GAUGE, NULL);
			ns_emit_u64_ls(&em.out, fceil, ls, r->htb_ceil);
		}
	}
	return ns_emit_done(&em.out, e);
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
	free(st);
}

static int qd_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct qd_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "qdisc: out of memory");
	rc = ns_namefilter_init(&st->filter, opts, "device-include", "device-exclude", "qdisc", e);
	if (rc) {
		qd_fini(st);
		return rc;
	}
	ns_links_init(&st->links, sizeof(struct qd_link), &st->filter);
	*state = st;
	return 0;
}

static int qd_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct qd_state *st = state;
	struct ns_nl *nl;
	int rc, rc2;

	st->links.n = st->nqd = st->ncl = st->ncake = 0;
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
		st->cl_ifindex = qd_link(st, i)->link.ifindex;
		ns_nl_tcdump_req(nl, RTM_GETTCLASS, st->cl_ifindex);
		rc = ns_nl_run(nl, qd_class_cb, qd_class_reset, st, e);
		/* A device deleted since the qdisc dump has no classes: not an error. */
		if (rc == -ENODEV) {
			ns_err_clear(e);
			rc = 0;
		}
	}
	rc2 = qd_emit_all(st, w, rc ? NULL : e);
	return rc ? rc : rc2;
}

static const struct ns_option qd_options[] = {
    NS_DEVICE_FILTER_OPTIONS("devices"),
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
