/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * links.h - the device list of a namespace, for collectors that need names
 * and ifindexes but not the link statistics (qdisc, ethtool).
 *
 * ns_links_dump() sends ns_nl_linkdump_req() with RTEXT_FILTER_SKIP_STATS
 * (the kernel then leaves out every per-link statistic: a fraction of the
 * dump's size) and keeps, in dump order, the devices with a non-empty name
 * that @filter wants, plus an ifindex index over them. Everything is reused
 * across scrapes (arrays only grow).
 *
 * The records are the caller's: a struct whose FIRST member is a struct
 * ns_link, @stride bytes each; the bytes after the ns_link are zeroed for
 * every device dumped, so collectors keep per-device fields next to it.
 */
#ifndef NS_LINKS_H
#define NS_LINKS_H

#include <stdbool.h>
#include <stddef.h>
#include <net/if.h>

#include "err.h"
#include "ifmap.h"
#include "namefilter.h"
#include "nl.h"

struct ns_link {
	int ifindex;
	char name[IFNAMSIZ];
};

struct ns_links {
	unsigned char *recs; /* n records of stride bytes */
	size_t stride, n, cap;
	const struct ns_namefilter *filter; /* NULL: every device */
	bool indexed;
	struct ns_ifmap byindex;
};

/*
 * Records of @stride (>= sizeof(struct ns_link)) bytes; @filter may be NULL;
 * @indexed: keep the ifindex index ns_links_find() needs (built per dump).
 */
void ns_links_init(struct ns_links *l, size_t stride, const struct ns_namefilter *filter,
		   bool indexed);
void ns_links_free(struct ns_links *l);

/* Dump the devices of @nl's namespace (NETLINK_ROUTE). 0 or -errno with @e set. */
int ns_links_dump(struct ns_links *l, struct ns_nl *nl, struct ns_err *e);

/* Record @i (0 <= i < n) as the caller's type. */
static inline void *ns_links_at(const struct ns_links *l, size_t i)
{
	return l->recs + i * l->stride;
}

/* Position of the device @ifindex in the last dump, or -1 (an indexed list only). */
long ns_links_find(const struct ns_links *l, int ifindex);

#endif
