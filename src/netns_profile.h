/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns_profile.h - what the collectors cost and export in other network
 * namespaces (docs/METRICS.md, "Other network namespaces").
 *
 * The curated profile (the default) is a fixed set of series per namespace,
 * chosen from what the alerts and dashboards use, and options that keep
 * every collection O(that namespace):
 *   conntrack  per-cpu=false, breakdown=false: count, limit and statistics
 *              (three requests answered from per-namespace counters), never
 *              the table dump that walks the global conntrack hash;
 *   tcp        listen-only=true: a sock_diag dump of the listening hash only,
 *              unless the namespace owns its TCP established hash
 *              (net.ipv4.tcp_ehash_entries positive), where the full dump
 *              is O(that namespace); max-ports at most 16 (tables sized
 *              for a pod's few listeners);
 *   sysctl     defaults=false and only the parameters in
 *              ns_netns_curated_sysctls;
 *   snmp       replaced by ns_netns_snmp_curated (below);
 *   netdev, sockstat, udp: their options, and only the families in the
 *              curated list.
 * A collector without a curated family list (softnet, qdisc, ethtool,
 * nftables, when named in --netns.collectors) runs with its own options
 * and exports everything.
 *
 * The full profile (--netns.profile=full) runs every collector with its
 * own options (full dumps included) and no family filter.
 */
#ifndef NS_NETNS_PROFILE_H
#define NS_NETNS_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "collector.h"
#include "err.h"

/*
 * In the curated profile the snmp collector is replaced, in other
 * namespaces, by this one (netns_snmp.c): the same 34 families, read without
 * formatting the names of the ~400 others. ns_netns_snmp_fields() lists them.
 */
extern const struct ns_collector ns_netns_snmp_curated;
size_t ns_netns_snmp_fields(const char *const **names);

/* The family filter for collector @name in the curated profile, NULL if it has none. */
bool (*ns_netns_curated_filter(const char *collector))(const char *family);

/*
 * The options collector @c runs with in another namespace: a copy of
 * @host with the curated overrides (unless @full); @tcp_owned: the
 * namespace owns its TCP established hash. *@out is freed with
 * ns_opts_free().
 */
int ns_netns_profile_opts(const struct ns_collector *c, const struct ns_opts *host, bool full,
			  bool tcp_owned, struct ns_opts **out, struct ns_err *e);

#endif
