// SPDX-License-Identifier: GPL-2.0-or-later
/* ctx.c - the per-network-namespace context: roots and netlink sockets. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctx.h"

static int open_root(const char *path, const char *what, struct ns_err *e)
{
	int fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return ns_err_set(e, -errno, "%s root %s: %s", what, path, strerror(errno));
	return fd;
}

int ns_ctx_open(struct ns_ctx **out, const char *name, const char *procfs, const char *sysfs,
		const char *nl_replay_dir, struct ns_err *e)
{
	struct ns_ctx *ctx = calloc(1, sizeof(*ctx));
	int rc;

	if (!ctx)
		return ns_err_set(e, -ENOMEM, "out of memory");
	ctx->procfs_fd = ctx->sysfs_fd = -1;
	ctx->name = strdup(name ? name : "");
	ctx->procfs_path = strdup(procfs);
	ctx->sysfs_path = strdup(sysfs);
	ctx->nl_replay_dir = nl_replay_dir ? strdup(nl_replay_dir) : NULL;
	if (!ctx->name || !ctx->procfs_path || !ctx->sysfs_path ||
	    (nl_replay_dir && !ctx->nl_replay_dir)) {
		rc = ns_err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = open_root(procfs, "procfs", e);
	if (rc < 0)
		goto fail;
	ctx->procfs_fd = rc;
	rc = open_root(sysfs, "sysfs", e);
	if (rc < 0)
		goto fail;
	ctx->sysfs_fd = rc;
	*out = ctx;
	return 0;
fail:
	ns_ctx_close(ctx);
	return rc;
}

void ns_ctx_close(struct ns_ctx *ctx)
{
	if (!ctx)
		return;
	for (int i = 0; i < NS_CTX_MAX_NL; i++)
		if (ctx->nl[i])
			ns_nl_close(ctx->nl[i]);
	if (ctx->procfs_fd >= 0)
		close(ctx->procfs_fd);
	if (ctx->sysfs_fd >= 0)
		close(ctx->sysfs_fd);
	free(ctx->name);
	free(ctx->procfs_path);
	free(ctx->sysfs_path);
	free(ctx->nl_replay_dir);
	free(ctx);
}

int ns_ctx_nl(struct ns_ctx *ctx, int protocol, struct ns_nl **out, struct ns_err *e)
{
	int rc;

	if (protocol < 0 || protocol >= NS_CTX_MAX_NL)
		return ns_err_set(e, -EINVAL, "netlink protocol %d out of range", protocol);
	if (!ctx->nl[protocol]) {
		if (ctx->nl_replay_dir)
			rc = ns_nl_open_replay(&ctx->nl[protocol], protocol, ctx->nl_replay_dir, e);
		else
			rc = ns_nl_open(&ctx->nl[protocol], protocol, e);
		if (rc)
			return rc;
	}
	*out = ctx->nl[protocol];
	return 0;
}
