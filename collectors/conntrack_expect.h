/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conntrack_expect.h - the number of conntrack expectations, from one
 * ctnetlink expectation dump (IPCTNL_MSG_EXP_GET).
 */
#ifndef NS_CONNTRACK_EXPECT_H
#define NS_CONNTRACK_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "emit.h"
#include "nl.h"

/*
 * Dump the expectation table on @nl (NETLINK_NETFILTER) and count its
 * entries into *@count. 0, or -errno with @e filled.
 */
int ct_exp_count(struct ns_nl *nl, uint64_t *count, struct ns_err *e);

/* Errors after which the count is simply absent (no ctnetlink_exp, no recording). */
bool ct_exp_absent(int rc);

void ct_exp_emit(struct ns_emit *em, uint64_t count);

#endif
