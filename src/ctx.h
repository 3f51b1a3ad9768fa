/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ctx.h - the per-network-namespace context.
 *
 * Everything a collector reads from the kernel goes through a struct
 * ns_ctx: its /proc root and /sys root (directory fds), and its netlink
 * sockets (opened lazily, once, and kept). Pointing the roots at a fixture
 * tree, or the netlink layer at a replay directory, is how tests feed a
 * collector; opening the context inside another namespace is how the daemon
 * will collect from many.
 *
 * The context also carries constant labels (e.g. netns="...") that the
 * engine attaches to every sample collected through it. The daemon's own
 * namespace has none.
 */
#ifndef NS_CTX_H
#define NS_CTX_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "nl.h"
#include "writer.h"

struct ifreq;

#define NS_CTX_MAX_NL 32 /* netlink protocol numbers are < 32 */

struct ns_ctx {
	char *name;	     /* "" for the daemon's own namespace */
	char *procfs_path;   /* absolute, e.g. "/proc" */
	char *sysfs_path;    /* e.g. "/sys" */
	char *nl_replay_dir; /* NULL: live sockets */
	int procfs_fd;	     /* O_PATH|O_DIRECTORY fd of procfs_path */
	int sysfs_fd;
	struct ns_nl *nl[NS_CTX_MAX_NL];
	/*
	 * NULL, or per protocol the buffers the context's netlink sockets
	 * share with other contexts never used at the same time (nl.h); set
	 * before the first ns_ctx_nl(), owned by whoever set it.
	 */
	struct ns_nl_bufs *nl_bufs;
	int ioctl_fd;		       /* device ioctl socket, opened on first use; -1 */
	struct ns_buf ioctl_rec;       /* replay: the recorded file being answered from */
	const struct ns_label *labels; /* constant labels, may be NULL */
	size_t nlabels;
	/* Another network namespace (ns_ctx_open_netns); -1 / 0 for the daemon's own. */
	int netns_fd;		       /* kept: pins the namespace until the context closes */
	uint64_t netns_dev, netns_ino; /* the namespace's nsfs identity */
	struct ns_label netns_label;   /* netns="<name>", what labels points to */
};

/*
 * Open a context. @nl_replay_dir NULL means live netlink. Fails with
 * -ENOENT/-ENOTDIR and a message if a root does not exist.
 */
int ns_ctx_open(struct ns_ctx **out, const char *name, const char *procfs, const char *sysfs,
		const char *nl_replay_dir, struct ns_err *e);
void ns_ctx_close(struct ns_ctx *ctx);

/*
 * "<procfs root>/<rel>" in @buf, for messages: the absolute path of a file a
 * collector reads through procfs_fd ("/proc/net/snmp").
 */
const char *ns_ctx_procfs_file(const struct ns_ctx *ctx, const char *rel, char *buf, size_t len);

/* The context's netlink socket for @protocol (NETLINK_ROUTE, ...), opened on first use. */
int ns_ctx_nl(struct ns_ctx *ctx, int protocol, struct ns_nl **out, struct ns_err *e);

/*
 * A device ioctl (SIOCETHTOOL, ...) on the context's socket, opened on first
 * use in the context's namespace and kept. 0 or -errno.
 *
 * Replay (a context with a replay directory): SIOCETHTOOL is answered from
 * the text file "<dir>/ethtool-ioctl-<ifr_name>" (no file: -ENODEV), one
 * "key<TAB>value" a line: "driver", "version", "firmware_version",
 * "bus_info" (ETHTOOL_GDRVINFO), "errno<TAB>N" (every ioctl fails with
 * -N), "stat<TAB>NAME<TAB>VALUE" in driver order (n_stats of GDRVINFO,
 * GSTRINGS of ETH_SS_STATS, GSTATS). Other requests: -EOPNOTSUPP.
 */
int ns_ctx_ioctl(struct ns_ctx *ctx, unsigned long req, struct ifreq *ifr);

/*
 * Contexts of other network namespaces (docs/ARCHITECTURE.md, "Network
 * namespaces"). A thread that setns()es into a namespace reads that
 * namespace through /proc/thread-self/net and /proc/sys/net (but not
 * through /proc/net or /proc/self/net, which follow the thread-group
 * leader), and what it opens there (files, netlink sockets) keeps reading
 * that namespace afterwards. So a context of another namespace is used only
 * from a thread inside it (ns_ctx_visit()), and its procfs root is a view
 * in which "net" and "sys" resolve through the calling thread:
 *
 * ns_netns_view_open() makes that view once per daemon: a private read-only
 * tmpfs attached nowhere (fsopen/fsmount, so CAP_SYS_ADMIN, which entering
 * other namespaces needs anyway), holding two symlinks,
 * net -> PROCFS/thread-self/net and sys -> PROCFS/sys. Returns the view's
 * directory fd or -errno with @e.
 */
int ns_netns_view_open(const char *procfs, struct ns_err *e);

/*
 * Open a context for the network namespace @nsfd (an fd of an nsfs file,
 * duplicated and kept), labelled netns="@name": procfs root the view
 * @viewfd (duplicated), sysfs root @sysfs (the host's: collectors read only
 * CPU lists there). Fails, with @e, if the namespace cannot be entered (a
 * short-lived thread tries).
 */
int ns_ctx_open_netns(struct ns_ctx **out, const char *name, int nsfd, int viewfd,
		      const char *sysfs, struct ns_err *e);

/*
 * Call @fn(ctx[i], entered, @arg) for each context of another namespace,
 * inside that namespace: one short-lived thread setns()es into each in
 * turn and calls @fn there; @entered is 0, or -errno if entering failed
 * (the namespace is then not to be read; -EINVAL for a context of the
 * daemon's own namespace, which the caller collects itself). Returns when
 * all are done: 0, or -errno if the thread could not be started.
 */
typedef void (*ns_ctx_visit_fn)(struct ns_ctx *ctx, int entered, void *arg);
int ns_ctx_visit(struct ns_ctx *const *ctx, size_t n, ns_ctx_visit_fn fn, void *arg);

#endif
