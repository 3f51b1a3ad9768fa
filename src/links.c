// SPDX-License-Identifier: GPL-2.0-or-later
/* links.c - the namespace's device list without link statistics. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/rtnetlink.h>

#include "buf.h"
#include "links.h"

void ns_links_init(struct ns_links *l, size_t stride, const struct ns_namefilter *filter,
		   bool indexed)
{
	memset(l, 0, sizeof(*l));
	l->stride = stride;
	l->filter = filter;
	l->indexed = indexed;
}

void ns_links_free(struct ns_links *l)
{
	free(l->recs);
	ns_ifmap_free(&l->byindex);
	l->recs = NULL;
	l->n = l->cap = 0;
}

static int links_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ns_links *l = data;
	const struct ifinfomsg *ifm;
	const struct nlattr *name;
	struct ns_link *k;

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	ifm = mnl_nlmsg_get_payload(nlh);
	name = ns_nl_find(nlh, sizeof(*ifm), IFLA_IFNAME);
	if (!name)
		return MNL_CB_OK;
	if (ns_array_grow(&l->recs, &l->cap, l->n + 1, l->stride, 16))
		return -ENOMEM;
	k = ns_links_at(l, l->n);
	ns_nl_attr_strcpy(name, k->name, sizeof(k->name));
	if (!k->name[0] || (l->filter && !ns_namefilter_wanted(l->filter, k->name)))
		return MNL_CB_OK;
	k->ifindex = ifm->ifi_index;
	if (l->stride > sizeof(*k))
		memset((unsigned char *)k + sizeof(*k), 0, l->stride - sizeof(*k));
	l->n++;
	return MNL_CB_OK;
}

static void links_reset(void *data)
{
	((struct ns_links *)data)->n = 0;
}

int ns_links_dump(struct ns_links *l, struct ns_nl *nl, struct ns_err *e)
{
	int rc;

	l->n = 0;
	ns_nl_linkdump_req(nl, RTEXT_FILTER_SKIP_STATS);
	rc = ns_nl_run(nl, links_cb, links_reset, l, e);
	if (rc || !l->indexed)
		return rc;
	rc = ns_ifmap_build(&l->byindex, l->recs, l->n, l->stride,
			    offsetof(struct ns_link, ifindex));
	if (rc)
		return ns_err_set(e, rc, "device index: out of memory");
	return 0;
}

long ns_links_find(const struct ns_links *l, int ifindex)
{
	return ns_ifmap_find(&l->byindex, l->recs, l->stride, offsetof(struct ns_link, ifindex),
			     ifindex);
}
