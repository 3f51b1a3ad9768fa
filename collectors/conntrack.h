/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conntrack.h - the conntrack collector's own types, shared by its files:
 * conntrack.c (counts, limits, per-CPU statistics, lifecycle) and
 * conntrack_breakdown.c (the table dump, its top-K and their emission).
 * Not part of the core.
 */
#ifndef NS_COLLECTOR_CONNTRACK_H
#define NS_COLLECTOR_CONNTRACK_H

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack.h>
#include <libnetfilter_conntrack/libnetfilter_conntrack_tcp.h>

#include <linux/capability.h>

#include "clock.h"
#include "collector.h"
#include "conntrack_expect.h"
#include "conntrack_zone.h"
#include "emit.h"
#include "nl.h"
#include "procfs.h"
#include "topk.h"

#ifndef NETLINK_NETFILTER
#define NETLINK_NETFILTER 12
#endif

#define CT_MSG(sub, msg) ((uint16_t)(((sub) << 8) | (msg)))
#define CT_TYPE_STATS CT_MSG(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS)
#define CT_TYPE_STATS_CPU CT_MSG(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET_STATS_CPU)
#define CT_TYPE_EXP_STATS_CPU CT_MSG(NFNL_SUBSYS_CTNETLINK_EXP, IPCTNL_MSG_EXP_GET_STATS_CPU)
#define CT_TYPE_GET CT_MSG(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_GET)
#define CT_TYPE_NEW CT_MSG(NFNL_SUBSYS_CTNETLINK, IPCTNL_MSG_CT_NEW)

#define CT_TOPK_MAX 100
#define CT_TRACKED_MAX (1u << 20)

#define REL_COUNT "sys/net/netfilter/nf_conntrack_count"
#define REL_MAX "sys/net/netfilter/nf_conntrack_max"
#define REL_EXP_MAX "sys/net/netfilter/nf_conntrack_expect_max"
#define REL_STAT "net/stat/nf_conntrack"
#define REL_POSSIBLE "devices/system/cpu/possible"

/* Sizes of conntrack_breakdown.c's tables (checked there). */
#define CT_NPROTO 9 /* ct_protos + "other" */
enum { CT_FAM_V4, CT_FAM_V6, CT_FAM_OTHER, CT_NFAM };
#define CT_NTCP 10 /* ct_tcp_states: enum tcp_conntrack */

struct ct_cpu;

/* A top-K key: 20 bytes, no padding, compared with memcmp. */
struct ct_key {
	uint8_t family; /* AF_INET / AF_INET6 */
	uint8_t proto;	/* destination table only */
	uint16_t port;	/* destination table only, host order */
	uint8_t addr[16];
};
_Static_assert(sizeof(struct ct_key) == 20, "ct_key has no padding");

/* One exposed top-K entry: the key and topk.h's lower bound. */
struct ct_top {
	struct ct_key key;
	uint64_t count;
};

/* One finished breakdown, exposed until the next one succeeds. */
struct ct_result {
	bool valid;
	uint64_t proto[CT_NFAM][CT_NPROTO];
	uint64_t tcp[CT_NTCP];
	uint64_t scanned;
	uint64_t unparsed;
	bool truncated;
	double duration;
	double timestamp;
	size_t nsrc, ndst;
	struct ct_top *src, *dst; /* top_k each */
	bool src_exact, dst_exact;
};

/* The breakdown being accumulated by the dump callback. */
struct ct_scan {
	uint64_t proto[CT_NFAM][CT_NPROTO];
	uint64_t tcp[CT_NTCP];
	uint64_t scanned;
	uint64_t unparsed;
	bool truncated;
	struct ns_topk src, dst; /* struct ct_key */
	uint32_t *top;		 /* [top_k] scratch for ns_topk_top() */
	struct nf_conntrack *ct;
	uint64_t max_entries; /* 0: no cap */
	int rc;		      /* -ENOMEM from the parser object */
	struct ctz *zones;    /* by zone and helper: conntrack_zone.c */
};

enum ct_source { CT_SRC_NONE, CT_SRC_NETLINK, CT_SRC_PROCFS };

struct ct_state {
	/* options */
	bool per_cpu;
	bool breakdown;
	uint64_t interval_ns;
	uint64_t max_entries;
	size_t top_k;
	size_t tracked;

	/* per scrape */
	enum ct_source source;
	bool have_entries, have_limit, have_exp_limit, have_exp_count;
	uint64_t entries, limit, exp_limit, exp_count;
	struct ct_cpu *cpus;
	size_t ncpus, cpus_cap;
	unsigned *possible; /* CPU ids from devices/system/cpu/possible */
	size_t npossible, possible_cap;

	struct ns_file f_count, f_max, f_exp_max, f_stat, f_possible;

	/* breakdown */
	struct ct_scan scan;
	struct ct_result res;
	bool ran;
	uint64_t last_run_ns; /* CLOCK_MONOTONIC start of the last attempt */
	uint64_t runs;
};

/* One gauge without labels. */
static inline void ct_gauge(struct ns_emit *em, const char *name, const char *help, uint64_t v)
{
	ns_emit_u64(em, ns_emit_family(em, name, help, NS_GAUGE, NULL), NS_NOLABELS, v);
}

/* conntrack_breakdown.c: run a table dump into st->res. */
int ct_breakdown(struct ns_ctx *ctx, struct ct_state *st, struct ns_err *e);
/* conntrack_breakdown.c: the families of the last breakdown. */
void ct_emit_breakdown(struct ns_emit *em, const struct ct_state *st);

#endif
