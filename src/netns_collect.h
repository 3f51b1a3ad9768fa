/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns_collect.h - the scrape engine's side of other network namespaces:
 * discovery kept up to date, one context and one state per collector for
 * each namespace, and the collection of one collector in all of them.
 *
 * The engine calls, for an enabled multi-namespace configuration
 * (--netns.sources not empty):
 *   ns_netns_set_refresh() at the start of a scrape: rediscovery at most once
 *     per --netns.rediscover-interval; contexts of namespaces that appeared
 *     are opened, those of namespaces that vanished closed with their
 *     collector states (fds and sockets go with them);
 *   ns_netns_set_collect() after a collector collected the daemon's own
 *     namespace, into the same writer: the collector runs once per other
 *     namespace, inside it (ns_ctx_visit), its samples carrying
 *     netns="<label>" as the writer's constant labels; a failure there is
 *     counted and logged (rate-limited) per namespace and does not change
 *     the collector's success, which stays that of the daemon's namespace;
 *   ns_netns_set_emit() with the self-metrics (ns_discovery_emit()).
 * Thread-safe (one mutex, taken innermost); the engine also serialises
 * collection with its collect lock.
 */
#ifndef NS_NETNS_COLLECT_H
#define NS_NETNS_COLLECT_H

#include <stddef.h>
#include <stdint.h>

#include "collector.h"
#include "err.h"
#include "writer.h"

struct ns_config;
struct ns_netns_set;

/*
 * Build the set for @cfg and the engine's @n enabled collectors (@colls,
 * their @opts, in slot order). *@out is NULL when multi-namespace collection
 * is off. Fails only on a configuration error or no memory; a missing
 * privilege is logged once and shows as enter failures.
 */
int ns_netns_set_new(struct ns_netns_set **out, const struct ns_config *cfg,
		     const struct ns_collector *const *colls, const struct ns_opts *const *opts,
		     size_t n, struct ns_err *e);
void ns_netns_set_free(struct ns_netns_set *set);

void ns_netns_set_refresh(struct ns_netns_set *set, int64_t now_ns);
/* Returns the number of namespaces in which collector @i failed. */
unsigned ns_netns_set_collect(struct ns_netns_set *set, size_t i, struct ns_writer *w);
int ns_netns_set_emit(struct ns_netns_set *set, struct ns_writer *w);

#endif
