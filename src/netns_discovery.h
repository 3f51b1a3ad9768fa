/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns_discovery.h - which network namespaces exist on the host, found
 * incrementally and cheaply enough to run every few seconds.
 *
 * Sources (each selectable):
 *   named      every entry of /run/netns (iproute2's "ip netns", and the
 *              "cni-..." pod namespaces of containerd/CRI-O);
 *   processes  /proc/<pid>/ns/net of every process (Docker, Podman and other
 *              containers that have no /run/netns entry). Only thread-group
 *              leaders are looked at; one member pid is kept per namespace.
 * A namespace is identified by the (st_dev, st_ino) of its nsfs file, so
 * one found by both sources, or by many processes, is listed once. The
 * daemon's own namespace (its procfs "self/ns/net") is always in the set,
 * first, and never listed twice.
 *
 * The netns label: the /run/netns name when the namespace has one (the
 * smallest name if it has several; /run/netns is read for names whichever
 * sources are selected), else "inode:<st_ino>" (the number lsns and
 * readlink /proc/PID/ns/net show). A /run/netns name is used only if it is
 * 1..NS_NETNS_NAME_MAX printable ASCII characters and not itself of the form
 * "inode:<digits>", so that two namespaces never get the same label. The
 * daemon's own namespace has the label "" (series without a netns label).
 *
 * Filters: the include/exclude regexes (POSIX extended, unanchored, like the
 * collectors' device filters) are matched against the label; the daemon's
 * own namespace is never filtered out. Then at most @max other namespaces
 * are kept: those already in the set first (a namespace does not lose its
 * place to a newcomer), then by label; the others are counted in
 * over_max.
 *
 * Each run computes the whole new set and its difference from the previous
 * run: the namespaces that appeared and those that vanished (a namespace
 * whose label changed, because it got or lost a /run/netns name, vanishes
 * under the old label and appears under the new one), so that the caller
 * opens and closes per-namespace contexts incrementally. A run costs one
 * readdir of /run/netns and, with the processes source, one readdir of
 * /proc and one stat per process; ns_discovery_maybe_run() runs it at most
 * once per interval.
 *
 * Attribution (netns_attribution.h) is read from the member process when a
 * namespace appears or its member changes.
 *
 * Not thread-safe: one owner calls it (the scrape engine, under its lock).
 */
#ifndef NS_NETNS_DISCOVERY_H
#define NS_NETNS_DISCOVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "netns_attribution.h"

#define NS_NETNS_SRC_NAMED 1u
#define NS_NETNS_SRC_PROCESSES 2u
#define NS_NETNS_NAME_MAX 64
#define NS_NETNS_DEFAULT_MAX 512
#define NS_NETNS_DEFAULT_INTERVAL_S 5
/* Collectors run in other namespaces by default: what costs O(that namespace). */
#define NS_NETNS_DEFAULT_COLLECTORS "netdev,snmp,sockstat,sysctl,tcp,conntrack"
#define NS_NETNS_DEFAULT_MAX_SERIES 2000

struct ns_netns_config {
	const char *procfs;    /* procfs root, e.g. "/proc" */
	const char *run_netns; /* e.g. "/run/netns" (need not exist) */
	unsigned sources;      /* NS_NETNS_SRC_* bits; 0: only the daemon's own */
	const char *include;   /* regex on the label, NULL or "" = all */
	const char *exclude;   /* regex on the label, NULL or "" = none */
	size_t max;	       /* other namespaces kept at most */
	unsigned interval_s;   /* ns_discovery_maybe_run(): at most once per interval */
};

struct ns_netns {
	uint64_t dev, ino;		   /* the nsfs file's st_dev, st_ino */
	char label[NS_NETNS_NAME_MAX + 1]; /* "" for the daemon's own namespace */
	char inode[24];			   /* st_ino in decimal */
	char name[NS_NETNS_NAME_MAX + 1];  /* its /run/netns name, or "" */
	bool self;			   /* the daemon's own namespace */
	pid_t pid;			   /* a member process, 0 if none was seen */
	struct ns_attribution attr;	   /* from pid, all "" if none */
	/* Counted by the engine, kept while the namespace stays listed. */
	uint64_t enter_failures;   /* opening or entering it failed */
	uint64_t collect_failures; /* a collector failed inside it */
};

struct ns_discovery_stats {
	uint64_t runs;		 /* discovery runs made */
	size_t over_max;	 /* namespaces left out by max in the last run */
	size_t filtered;	 /* namespaces left out by include/exclude in the last run */
	size_t unreadable;	 /* processes whose ns/net could not be read (EACCES...) last run */
	uint64_t appeared_total; /* namespaces that appeared, since the start */
	uint64_t vanished_total; /* namespaces that vanished, since the start */
	int last_error;		 /* 0, or -errno of the last run's failure to read a source */
	double last_duration_s;
};

struct ns_discovery;

/* Validate @cfg (regexes, paths copied) and build a discovery with an empty set. */
int ns_discovery_new(struct ns_discovery **out, const struct ns_netns_config *cfg,
		     struct ns_err *e);
void ns_discovery_free(struct ns_discovery *d);

/*
 * Run discovery now. Returns 0 (the new set and diff are in place), or
 * -errno with @e when the daemon's own namespace cannot be identified (the
 * previous set is kept). A source that cannot be read (no /run/netns, a
 * process that exited) is not an error.
 */
int ns_discovery_run(struct ns_discovery *d, struct ns_err *e);

/*
 * Run discovery if none ran yet or the interval has passed since the last
 * run (CLOCK_MONOTONIC @now_ns). Returns 1 if it ran, 0 if not, or the
 * error of ns_discovery_run().
 */
int ns_discovery_maybe_run(struct ns_discovery *d, int64_t now_ns, struct ns_err *e);

/* The current set, sorted by (dev, ino); the daemon's own namespace included. */
size_t ns_discovery_count(const struct ns_discovery *d);
const struct ns_netns *ns_discovery_get(const struct ns_discovery *d, size_t i);
/* Find by identity in the current set, or NULL. */
const struct ns_netns *ns_discovery_find(const struct ns_discovery *d, uint64_t dev, uint64_t ino);

/*
 * The difference made by the last run. Entries stay valid until the next
 * run; vanished ones are copies of what the previous run listed.
 */
size_t ns_discovery_appeared(const struct ns_discovery *d, const struct ns_netns *const **list);
size_t ns_discovery_vanished(const struct ns_discovery *d, const struct ns_netns **list);

const struct ns_discovery_stats *ns_discovery_stats(const struct ns_discovery *d);

/*
 * Open the namespace file of @ns (O_RDONLY, for setns()): its /run/netns
 * entry, else its member's procfs ns/net, checked to still be the same
 * (dev, ino). -ESTALE if it is no longer what discovery saw, -errno otherwise.
 */
int ns_discovery_open(const struct ns_discovery *d, const struct ns_netns *ns, struct ns_err *e);

/*
 * Count a failure against the listed namespace (dev, ino): @entering, the
 * namespace could not be opened or entered; else a collector failed in it.
 * Ignored if the namespace is not listed.
 */
void ns_discovery_count_failure(struct ns_discovery *d, uint64_t dev, uint64_t ino, bool entering);

/*
 * The namespace metrics, into @w (whose constant labels must be none):
 *   netstack_netns_info{netns, inode, pod_uid, container_id, comm} 1 per
 *     listed namespace (netns="" for the daemon's own);
 *   netstack_netns_enter_failures_total{netns}, _collect_failures_total{netns};
 *   netstack_netns_namespaces (listed), _over_max, _filtered (left out by
 *     the last run), _unreadable_processes (whose ns/net could not be read);
 *   netstack_netns_discovery_runs_total, _discovery_duration_seconds.
 * Returns 0 or the first writer error.
 */
struct ns_writer;
int ns_discovery_emit(const struct ns_discovery *d, struct ns_writer *w);

/* Parse a --netns.sources list ("named,processes", "" = none) into NS_NETNS_SRC_* bits. */
int ns_netns_parse_sources(const char *s, unsigned *out, struct ns_err *e);

#endif
