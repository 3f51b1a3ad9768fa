/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qdisc_filters.h - tc filters of the qdiscs and classes the qdisc collector
 * found: how many are attached where, u32 hit counters where the kernel
 * reports them, and the statistics of the filters' actions.
 *
 * The qdisc collector calls qf_begin() once a scrape, then qf_qdisc() for
 * every qdisc and qf_class() for every class it dumped (each may send
 * RTM_GETTFILTER dumps), then qf_emit().
 */
#ifndef NS_QDISC_FILTERS_H
#define NS_QDISC_FILTERS_H

#include <stdint.h>

#include "emit.h"
#include "nl.h"

struct qf_state;

#define QF_FILTER_MAX 65536

/* NULL on ENOMEM; @filter_max: filters whose counters are exposed one by one. */
struct qf_state *qf_new(size_t filter_max);
void qf_free(struct qf_state *qf);
void qf_begin(struct qf_state *qf);
/*
 * The filters attached to the qdisc @handle (of @kind) of device @dev: one
 * dump for a qdisc kind that takes filters, two for clsact, none for the
 * others. 0 or -errno with @e filled (a device or qdisc gone meanwhile is 0).
 */
int qf_qdisc(struct qf_state *qf, struct ns_nl *nl, int ifindex, const char *dev, const char *kind,
	     uint32_t handle, struct ns_err *e);
/* The filters attached to class @classid of a qdisc of @kind. */
int qf_class(struct qf_state *qf, struct ns_nl *nl, int ifindex, const char *dev, const char *kind,
	     uint32_t classid, struct ns_err *e);
void qf_emit(const struct qf_state *qf, struct ns_emit *em);

#endif
