/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qdisc.h - the qdisc collector's own types, shared by its files:
 * qdisc.c (device list, qdisc and class dumps, parsing, lifecycle) and
 * qdisc_emit.c (the statistic tables and all emission). Not part of the core.
 */
#ifndef NS_COLLECTOR_QDISC_H
#define NS_COLLECTOR_QDISC_H

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
#include "qdisc_filters.h"

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

/* cake: TCA_STATS_APP is a nest of TCA_CAKE_STATS_*, tins nested below. */
enum {
	QD_CAKE_CAPACITY,
	QD_CAKE_MEM_LIMIT,
	QD_CAKE_MEM_USED,
	QD_CAKE_NTOP,
};
enum {
	QD_TIN_SENT_PACKETS,
	QD_TIN_SENT_BYTES,
	QD_TIN_DROPPED_PACKETS,
	QD_TIN_DROPPED_BYTES,
	QD_TIN_ACKS_DROPPED,
	QD_TIN_ECN_MARKED,
	QD_TIN_BACKLOG_PACKETS,
	QD_TIN_BACKLOG_BYTES,
	QD_TIN_THRESHOLD_RATE,
	QD_TIN_PEAK_DELAY,
	QD_TIN_AVG_DELAY,
	QD_TIN_BASE_DELAY,
	QD_TIN_SPARSE,
	QD_TIN_BULK,
	QD_TIN_UNRESPONSIVE,
	QD_CAKE_NTIN,
};

struct qd_cake_def {
	const char *name;
	const char *help;
	enum ns_mtype type;
	const char *unit;
	unsigned short attr;
	double scale; /* 0: exact integer; else value / scale */
};

struct qd_cake {
	uint32_t top_have;
	uint64_t top[QD_CAKE_NTOP];
	uint8_t ntins;
	uint32_t tin_have[QD_CAKE_TINS];
	uint64_t tin[QD_CAKE_TINS][QD_CAKE_NTIN];
};

/* qdisc.c: the cake statistics, attribute and family of each (parsed there, emitted in
 * qdisc_emit.c). */
extern const struct qd_cake_def qd_cake_top[QD_CAKE_NTOP];
extern const struct qd_cake_def qd_cake_tin[QD_CAKE_NTIN];

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
	size_t cl_mark;	       /* first class of the device being dumped */
	struct ns_labelset ls; /* the record being emitted: formatted once for all its families */
	struct qf_state *qf;   /* tc filters (qdisc_filters.c); NULL with filters=false */
};

static inline struct qd_link *qd_link(const struct qd_state *st, size_t i)
{
	return ns_links_at(&st->links, i);
}

/* qdisc_emit.c: every family of every qdisc and class. */
int qd_emit_all(struct qd_state *st, struct ns_writer *w, struct ns_err *e);

#endif
