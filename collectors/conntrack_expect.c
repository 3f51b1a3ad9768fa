// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conntrack_expect.c - count the expectation table.
 *
 * The kernel has no global expectation count in ctnetlink's statistics
 * (CTA_STATS_GLOBAL_* is entries and max only) nor in /proc/sys; it is the
 * length of the IPCTNL_MSG_EXP_GET dump, one IPCTNL_MSG_EXP_NEW message per
 * expectation, of all families (nfgen_family AF_UNSPEC). The table is
 * bounded by nf_conntrack_expect_max (a few thousand at most), so the dump
 * is done every scrape; messages are counted, not parsed.
 */
#include <errno.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "conntrack_expect.h"

#define CTE_TYPE(msg) ((uint16_t)((NFNL_SUBSYS_CTNETLINK_EXP << 8) | (msg)))

static int ct_exp_cb(const struct nlmsghdr *nlh, void *data)
{
	uint64_t *n = data;

	if (nlh->nlmsg_type == CTE_TYPE(IPCTNL_MSG_EXP_NEW) &&
	    mnl_nlmsg_get_payload_len(nlh) >= sizeof(struct nfgenmsg))
		(*n)++;
	return MNL_CB_OK;
}

static void ct_exp_reset(void *data)
{
	*(uint64_t *)data = 0;
}

int ct_exp_count(struct ns_nl *nl, uint64_t *count, struct ns_err *e)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, CTE_TYPE(IPCTNL_MSG_EXP_GET), NLM_F_DUMP);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	*count = 0;
	return ns_nl_run(nl, ct_exp_cb, ct_exp_reset, count, e);
}

bool ct_exp_absent(int rc)
{
	return rc == -ENOENT || rc == -EINVAL || rc == -EOPNOTSUPP || rc == -EPERM || rc == -EACCES;
}

void ct_exp_emit(struct ns_emit *em, uint64_t count)
{
	ns_emit_u64(em,
		    ns_emit_family(em, "netstack_conntrack_expect_entries",
				   "Expectations in the conntrack expectation table (length of the "
				   "ctnetlink expectation dump); compare with "
				   "netstack_conntrack_expect_entries_limit.",
				   NS_GAUGE, NULL),
		    NS_NOLABELS, count);
}
