// SPDX-License-Identifier: GPL-2.0-or-later
/* ctx.c - the per-network-namespace context: roots and netlink sockets. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctx.h"
#include "procfs.h"

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
	ctx->procfs_fd = ctx->sysfs_fd = ctx->netns_fd = ctx->ioctl_fd = -1;
	ctx->name = strdup(name ? name : "");
	/* Absolute, so that error messages name the file wherever we started. */
	ctx->procfs_path = ns_path_abs(procfs);
	ctx->sysfs_path = ns_path_abs(sysfs);
	ctx->nl_replay_dir = nl_replay_dir ? strdup(nl_replay_dir) : NULL;
	if (!ctx->name || !ctx->procfs_path || !ctx->sysfs_path ||
	    (nl_replay_dir && !ctx->nl_replay_dir)) {
		rc = ns_err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	rc = open_root(ctx->procfs_path, "procfs", e);
	if (rc < 0)
		goto fail;
	ctx->procfs_fd = rc;
	rc = open_root(ctx->sysfs_path, "sysfs", e);
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
	if (ctx->netns_fd >= 0)
		close(ctx->netns_fd);
	if (ctx->ioctl_fd >= 0)
		close(ctx->ioctl_fd);
	ns_buf_free(&ctx->ioctl_rec);
	free(ctx->name);
	free(ctx->procfs_path);
	free(ctx->sysfs_path);
	free(ctx->nl_replay_dir);
	free(ctx);
}

static int nl_open_inside(struct ns_ctx *ctx, int protocol, struct ns_err *e);

int ns_ctx_nl(struct ns_ctx *ctx, int protocol, struct ns_nl **out, struct ns_err *e)
{
	int rc;

	if (protocol < 0 || protocol >= NS_CTX_MAX_NL)
		return ns_err_set(e, -EINVAL, "netlink protocol %d out of range", protocol);
	if (!ctx->nl[protocol]) {
		if (ctx->nl_replay_dir)
			rc = ns_nl_open_replay(&ctx->nl[protocol], protocol, ctx->nl_replay_dir, e);
		else if (ctx->netns_fd >= 0)
			rc = nl_open_inside(ctx, protocol, e);
		else
			rc = ns_nl_open(&ctx->nl[protocol], protocol, e);
		if (rc)
			return rc;
	}
	*out = ctx->nl[protocol];
	return 0;
}

/* ---- device ioctls ---- */

/* SIOCETHTOOL from "<dir>/ethtool-ioctl-<device>" (the format is in ctx.h). */
static int ethtool_replay(struct ns_ctx *ctx, const char *dev, void *arg)
{
	char path[4096], *cur, *line;
	uint32_t cmd = *(uint32_t *)arg, n = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/ethtool-ioctl-%s", ctx->nl_replay_dir, dev);
	rc = ns_read_file_at(AT_FDCWD, path, &ctx->ioctl_rec);
	if (rc == -ENOENT)
		return -ENODEV;
	if (rc)
		return rc;
	cur = ctx->ioctl_rec.data;
	rc = 0;
	while ((line = ns_next_line(&cur))) {
		char *key = line, *v = strchr(line, '\t');

		if (!v)
			continue;
		*v++ = '\0';
		if (strcmp(key, "errno") == 0)
			return -atoi(v);
		if (cmd == ETHTOOL_GDRVINFO) {
			struct ethtool_drvinfo *di = arg;

			if (strcmp(key, "driver") == 0)
				snprintf(di->driver, sizeof(di->driver), "%s", v);
			else if (strcmp(key, "version") == 0)
				snprintf(di->version, sizeof(di->version), "%s", v);
			else if (strcmp(key, "firmware_version") == 0)
				snprintf(di->fw_version, sizeof(di->fw_version), "%s", v);
			else if (strcmp(key, "bus_info") == 0)
				snprintf(di->bus_info, sizeof(di->bus_info), "%s", v);
			else if (strcmp(key, "stat") == 0)
				di->n_stats = ++n;
		} else if (strcmp(key, "stat") == 0) {
			char *val = strchr(v, '\t');

			if (!val)
				continue;
			*val++ = '\0';
			if (cmd == ETHTOOL_GSTRINGS) {
				struct ethtool_gstrings *gs = arg;

				if (n < gs->len)
					strncpy((char *)gs->data + (size_t)n * ETH_GSTRING_LEN, v,
						ETH_GSTRING_LEN);
			} else if (cmd == ETHTOOL_GSTATS) {
				struct ethtool_stats *sb = arg;
				uint64_t x = 0;

				ns_parse_u64(val, &x);
				if (n < sb->n_stats)
					sb->data[n] = x;
			}
			n++;
		}
	}
	if (cmd == ETHTOOL_GSTRINGS)
		((struct ethtool_gstrings *)arg)->len = n;
	else if (cmd == ETHTOOL_GSTATS)
		((struct ethtool_stats *)arg)->n_stats = n;
	return rc;
}

static int ioctl_socket(void *p)
{
	struct ns_ctx *ctx = p;

	ctx->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (ctx->ioctl_fd < 0)
		ctx->ioctl_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	return ctx->ioctl_fd < 0 ? -errno : 0;
}

static int call_inside(int nsfd, int (*fn)(void *arg), void *arg);

int ns_ctx_ioctl(struct ns_ctx *ctx, unsigned long req, struct ifreq *ifr)
{
	int rc;

	if (ctx->nl_replay_dir)
		return req == SIOCETHTOOL ? ethtool_replay(ctx, ifr->ifr_name, ifr->ifr_data)
					  : -EOPNOTSUPP;
	if (ctx->ioctl_fd < 0) {
		/* A socket of another namespace is opened inside it, whichever thread asks. */
		rc = ctx->netns_fd >= 0 ? call_inside(ctx->netns_fd, ioctl_socket, ctx)
					: ioctl_socket(ctx);
		if (rc)
			return rc;
	}
	return ioctl(ctx->ioctl_fd, req, ifr) < 0 ? -errno : 0;
}

/* ---- contexts of other network namespaces ---- */

int ns_netns_view_open(const char *procfs, struct ns_err *e)
{
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY};
	char root[PATH_MAX], net[PATH_MAX + 32], sys[PATH_MAX + 32];
	int fs, view = -1, rc;

	/* The links resolve from "/" of whoever follows them: they must be absolute. */
	if (!realpath(procfs, root))
		return ns_err_set(e, -errno, "procfs root %s: %s", procfs, strerror(errno));
	snprintf(net, sizeof(net), "%s/thread-self/net", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		return ns_err_set(e, -errno, "netns view: fsopen(tmpfs): %s", strerror(errno));
	if (fsconfig(fs, FSCONFIG_SET_STRING, "size", "64k", 0) < 0 ||
	    fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0) {
		rc = ns_err_set(e, -errno, "netns view: fsconfig(tmpfs): %s", strerror(errno));
		goto out;
	}
	view =
	    fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID);
	if (view < 0) {
		rc = ns_err_set(e, -errno, "netns view: fsmount: %s", strerror(errno));
		goto out;
	}
	if (symlinkat(net, view, "net") < 0 || symlinkat(sys, view, "sys") < 0 ||
	    mount_setattr(view, "", AT_EMPTY_PATH, &ro, sizeof(ro)) < 0) {
		rc = ns_err_set(e, -errno, "netns view: %s", strerror(errno));
		goto out;
	}
	rc = view;
	view = -1;
out:
	if (view >= 0)
		close(view);
	close(fs);
	return rc;
}

/* Run @fn(@arg) in a short-lived thread inside the namespace @nsfd. */
struct inside_call {
	int nsfd;
	int (*fn)(void *arg);
	void *arg;
	int rc;
};

static void *inside_thread(void *p)
{
	struct inside_call *c = p;

	c->rc = setns(c->nsfd, CLONE_NEWNET) < 0 ? -errno : c->fn(c->arg);
	return NULL;
}

static int call_inside(int nsfd, int (*fn)(void *arg), void *arg)
{
	struct inside_call c = {nsfd, fn, arg, 0};
	pthread_t t;
	int rc = pthread_create(&t, NULL, inside_thread, &c);

	if (rc)
		return -rc;
	pthread_join(t, NULL);
	return c.rc;
}

static int nothing(void *arg)
{
	return 0;
}

int ns_ctx_open_netns(struct ns_ctx **out, const char *name, int nsfd, int viewfd,
		      const char *sysfs, struct ns_err *e)
{
	struct ns_ctx *ctx = calloc(1, sizeof(*ctx));
	struct stat st;
	int rc;

	if (!ctx)
		return ns_err_set(e, -ENOMEM, "out of memory");
	ctx->procfs_fd = ctx->sysfs_fd = ctx->ioctl_fd = -1;
	ctx->netns_fd = fcntl(nsfd, F_DUPFD_CLOEXEC, 3);
	ctx->name = strdup(name);
	ctx->procfs_path = strdup("(netns view)");
	ctx->sysfs_path = strdup(sysfs);
	if (ctx->netns_fd < 0 || !ctx->name || !ctx->procfs_path || !ctx->sysfs_path) {
		rc = ns_err_set(e, ctx->netns_fd < 0 ? -errno : -ENOMEM, "netns %s: %s", name,
				strerror(ctx->netns_fd < 0 ? errno : ENOMEM));
		goto fail;
	}
	if (fstat(ctx->netns_fd, &st) < 0) {
		rc = ns_err_set(e, -errno, "netns %s: %s", name, strerror(errno));
		goto fail;
	}
	ctx->netns_dev = st.st_dev;
	ctx->netns_ino = st.st_ino;
	ctx->netns_label = (struct ns_label){"netns", ctx->name};
	ctx->labels = &ctx->netns_label;
	ctx->nlabels = 1;
	ctx->procfs_fd = fcntl(viewfd, F_DUPFD_CLOEXEC, 3);
	if (ctx->procfs_fd < 0) {
		rc = ns_err_set(e, -errno, "netns %s: view: %s", name, strerror(errno));
		goto fail;
	}
	rc = open_root(sysfs, "sysfs", e);
	if (rc < 0)
		goto fail;
	ctx->sysfs_fd = rc;
	rc = call_inside(ctx->netns_fd, nothing, NULL);
	if (rc) {
		ns_err_set(e, rc, "netns %s: cannot enter: %s", name, strerror(-rc));
		goto fail;
	}
	*out = ctx;
	return 0;
fail:
	ns_ctx_close(ctx);
	return rc;
}

struct nl_open_args {
	struct ns_ctx *ctx;
	int protocol;
	struct ns_err *e;
};

static int nl_open_here(void *p)
{
	struct nl_open_args *a = p;

	struct ns_nl_bufs *rb = a->ctx->nl_bufs ? &a->ctx->nl_bufs[a->protocol] : NULL;

	return ns_nl_open_shared(&a->ctx->nl[a->protocol], a->protocol, rb, a->e);
}

/* A socket of another namespace is opened inside it, whichever thread asks. */
static int nl_open_inside(struct ns_ctx *ctx, int protocol, struct ns_err *e)
{
	struct nl_open_args a = {ctx, protocol, e};
	int rc = call_inside(ctx->netns_fd, nl_open_here, &a);

	if (rc && !ctx->nl[protocol] && e && !e->msg[0])
		ns_err_set(e, rc, "netns %s: netlink socket: %s", ctx->name, strerror(-rc));
	return rc;
}

struct visit {
	struct ns_ctx *const *ctx;
	size_t n;
	ns_ctx_visit_fn fn;
	void *arg;
};

static void *visit_thread(void *p)
{
	struct visit *v = p;

	for (size_t i = 0; i < v->n; i++) {
		struct ns_ctx *ctx = v->ctx[i];
		int rc = ctx->netns_fd < 0			  ? -EINVAL
			 : setns(ctx->netns_fd, CLONE_NEWNET) < 0 ? -errno
								  : 0;

		v->fn(ctx, rc, v->arg);
	}
	return NULL;
}

int ns_ctx_visit(struct ns_ctx *const *ctx, size_t n, ns_ctx_visit_fn fn, void *arg)
{
	struct visit v = {ctx, n, fn, arg};
	pthread_t t;
	int rc;

	if (!n)
		return 0;
	rc = pthread_create(&t, NULL, visit_thread, &v);
	if (rc)
		return -rc;
	pthread_join(t, NULL);
	return 0;
}

const char *ns_ctx_procfs_file(const struct ns_ctx *ctx, const char *rel, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", ctx->procfs_path, rel);
	return buf;
}
