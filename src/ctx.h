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

#include "err.h"
#include "nl.h"
#include "writer.h"

#define NS_CTX_MAX_NL 32 /* netlink protocol numbers are < 32 */

struct ns_ctx {
	char *name;	     /* "" for the daemon's own namespace */
	char *procfs_path;   /* e.g. "/proc" */
	char *sysfs_path;    /* e.g. "/sys" */
	char *nl_replay_dir; /* NULL: live sockets */
	int procfs_fd;	     /* O_PATH|O_DIRECTORY fd of procfs_path */
	int sysfs_fd;
	struct ns_nl *nl[NS_CTX_MAX_NL];
	const struct ns_label *labels; /* constant labels, may be NULL */
	size_t nlabels;
};

/*
 * Open a context. @nl_replay_dir NULL means live netlink. Fails with
 * -ENOENT/-ENOTDIR and a message if a root does not exist.
 */
int ns_ctx_open(struct ns_ctx **out, const char *name, const char *procfs, const char *sysfs,
		const char *nl_replay_dir, struct ns_err *e);
void ns_ctx_close(struct ns_ctx *ctx);

/* The context's netlink socket for @protocol (NETLINK_ROUTE, ...), opened on first use. */
int ns_ctx_nl(struct ns_ctx *ctx, int protocol, struct ns_nl **out, struct ns_err *e);

#endif
