// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netns_probe.c - the namespace layer on the real kernel, for
 * test_netns_discovery.py (needs root: CAP_SYS_ADMIN for setns and fsopen).
 *
 *   netns_probe facts NSFILE DEV
 *       What a thread that setns()es into NSFILE sees through each procfs
 *       path, and what its fds, O_PATH directories and netlink socket keep
 *       reading after it exits or while it lives; DEV is an interface that
 *       exists only in that namespace. One "key=value" line per fact.
 *   netns_probe read PROCFS SYSFS NSFILE...
 *       Open a context per namespace (ns_ctx_open_netns, labelled with the
 *       file's basename), and inside it (ns_ctx_visit) read net/dev and two
 *       sysctls through the context's procfs root, list links over its
 *       netlink socket, and run the netdev and sysctl collectors; then read
 *       the kept files again from the main thread. Prints "LABEL key value".
 *   netns_probe discover PROCFS RUNNETNS SOURCES [RUNS]
 *       One discovery run (no cap): "label inode pid comm pod_uid container_id";
 *       with RUNS, that many more runs, each "run SECONDS" (for benchmarks).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/rtnetlink.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "ctx.h"
#include "netns_discovery.h"
#include "opts.h"
#include "procfs.h"

static const char *mark;
static int nsfd;

/* "ns" if the text shows the namespace's own device, "host" if not, or the error. */
static const char *which(int dirfd, const char *rel)
{
	static char out[64];
	struct ns_buf b = NS_BUF_INIT;
	int rc = ns_read_file_at(dirfd, rel, &b);

	if (rc)
		snprintf(out, sizeof(out), "error:%s", strerror(-rc));
	else
		snprintf(out, sizeof(out), "%s", strstr(b.data, mark) ? "ns" : "host");
	ns_buf_free(&b);
	return out;
}

static const char *value(int dirfd, const char *rel)
{
	static char out[64];
	struct ns_buf b = NS_BUF_INIT;
	int rc = ns_read_file_at(dirfd, rel, &b);

	if (rc)
		snprintf(out, sizeof(out), "error:%s", strerror(-rc));
	else
		snprintf(out, sizeof(out), "%.*s", (int)strcspn(b.data, "\n"), b.data);
	ns_buf_free(&b);
	return out;
}

static const char *fd_value(int fd)
{
	static char buf[64];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		snprintf(buf, sizeof(buf), "error:%s", strerror(errno));
	else
		buf[strcspn(buf, "\n") < (size_t)n ? strcspn(buf, "\n") : (size_t)n] = '\0';
	return buf;
}

static int fd_text_has_mark(int fd)
{
	char buf[65536];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n < 0)
		return -1;
	buf[n] = '\0';
	return strstr(buf, mark) != NULL;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh,
			  sizeof(struct ifinfomsg)) if (mnl_attr_get_type(a) == IFLA_IFNAME &&
							strcmp(mnl_attr_get_str(a), mark) == 0) *
	    (int *)data = 1;
	return MNL_CB_OK;
}

static int nl_sees_mark(struct ns_nl *nl)
{
	struct nlmsghdr *h = ns_nl_request(nl, RTM_GETLINK, NLM_F_DUMP);
	struct ns_err e = {{0}};
	int found = 0;

	mnl_nlmsg_put_extra_header(h, sizeof(struct ifinfomsg));
	if (ns_nl_run(nl, link_cb, NULL, &found, &e))
		return -1;
	return found;
}

struct kept {
	int dev, sysctl, ts_dir, sys_dir, sys_ipv4;
	struct ns_nl *nl;
	int proc_root;
	int hold;   /* keep the thread alive until main says so */
	int opened; /* the thread has opened everything (under mu: no data race) */
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void *facts_thread(void *p)
{
	struct kept *k = p;
	struct ns_err e = {{0}};
	struct ns_nl *nl = NULL;

	if (setns(nsfd, CLONE_NEWNET) < 0) {
		printf("setns=error:%s\n", strerror(errno));
		pthread_mutex_lock(&k->mu);
		k->opened = 1; /* nothing to wait for */
		pthread_cond_broadcast(&k->cv);
		pthread_mutex_unlock(&k->mu);
		return NULL;
	}
	printf("thread.proc_self_net=%s\n", which(AT_FDCWD, "/proc/self/net/dev"));
	printf("thread.proc_net=%s\n", which(AT_FDCWD, "/proc/net/dev"));
	printf("thread.proc_thread_self_net=%s\n", which(AT_FDCWD, "/proc/thread-self/net/dev"));
	printf("thread.sysctl=%s\n", value(AT_FDCWD, "/proc/sys/net/ipv4/tcp_fin_timeout"));
	printf("thread.host_proc_root_sys=%s\n",
	       value(k->proc_root, "sys/net/ipv4/tcp_fin_timeout"));
	k->dev = open("/proc/thread-self/net/dev", O_RDONLY | O_CLOEXEC);
	k->sysctl = open("/proc/sys/net/ipv4/tcp_fin_timeout", O_RDONLY | O_CLOEXEC);
	k->ts_dir = open("/proc/thread-self/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	k->sys_dir = open("/proc/sys", O_PATH | O_DIRECTORY | O_CLOEXEC);
	k->sys_ipv4 = open("/proc/sys/net/ipv4", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ns_nl_open(&nl, NETLINK_ROUTE, &e))
		printf("nl=error:%s\n", e.msg);
	pthread_mutex_lock(&k->mu);
	k->nl = nl;
	k->opened = 1;
	pthread_cond_broadcast(&k->cv);
	while (k->hold)
		pthread_cond_wait(&k->cv, &k->mu);
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

static void facts_from_main(struct kept *k, const char *when)
{
	printf("%s.kept_dev_fd=%s\n", when, fd_text_has_mark(k->dev) == 1 ? "ns" : "host");
	printf("%s.kept_sysctl_fd=%s\n", when, fd_value(k->sysctl));
	printf("%s.thread_self_dir=%s\n", when, which(k->ts_dir, "net/dev"));
	printf("%s.sys_dir_opened_inside=%s\n", when,
	       value(k->sys_dir, "net/ipv4/tcp_fin_timeout"));
	printf("%s.sys_net_ipv4_opened_inside=%s\n", when, value(k->sys_ipv4, "tcp_fin_timeout"));
	printf("%s.netlink=%s\n", when, nl_sees_mark(k->nl) == 1 ? "ns" : "host");
}

static void kept_close(struct kept *k)
{
	close(k->dev);
	close(k->sysctl);
	close(k->ts_dir);
	close(k->sys_dir);
	close(k->sys_ipv4);
	ns_nl_close(k->nl);
	k->nl = NULL;
}

static int facts(const char *nsfile)
{
	struct kept k = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
	pthread_t t;

	nsfd = open(nsfile, O_RDONLY | O_CLOEXEC);
	k.proc_root = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (nsfd < 0 || k.proc_root < 0)
		return perror(nsfile), 1;
	printf("main.sysctl=%s\n", value(AT_FDCWD, "/proc/sys/net/ipv4/tcp_fin_timeout"));
	/* a short-lived thread: everything read after it exited */
	pthread_create(&t, NULL, facts_thread, &k);
	pthread_join(t, NULL);
	facts_from_main(&k, "exited");
	kept_close(&k);
	/* a thread that stays inside while main reads */
	k.hold = 1;
	k.opened = 0;
	pthread_create(&t, NULL, facts_thread, &k);
	pthread_mutex_lock(&k.mu);
	while (!k.opened)
		pthread_cond_wait(&k.cv, &k.mu);
	pthread_mutex_unlock(&k.mu);
	facts_from_main(&k, "alive");
	pthread_mutex_lock(&k.mu);
	k.hold = 0;
	pthread_cond_broadcast(&k.cv);
	pthread_mutex_unlock(&k.mu);
	pthread_join(t, NULL);
	kept_close(&k);
	return 0;
}

/* ---- read ---- */

struct probe_ns {
	struct ns_ctx *ctx;
	struct ns_file dev, fin, somax;
	const struct ns_collector *coll[2];
	struct ns_opts *opts[2];
	void *state[2];
	struct ns_writer *w;
	struct ns_buf out;
};

struct probe {
	struct probe_ns *ns;
	size_t n;
};

static void print_dev(const char *label, const char *when, const char *text)
{
	char *copy = strdup(text), *cur = copy, *line;
	int n = 0;

	while ((line = ns_next_line(&cur))) {
		char *p = line, *name, *tok;

		if (n++ < 2)
			continue;
		name = ns_next_token(&p);
		if (!name || !*name)
			continue;
		name[strlen(name) - 1] = '\0'; /* "lo:" */
		printf("%s %s %s", label, when, name);
		for (int i = 0; i < 16 && (tok = ns_next_token(&p)); i++)
			printf(" %s", tok);
		printf("\n");
	}
	free(copy);
}

static int link_name_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(struct ifinfomsg)) if (mnl_attr_get_type(a) == IFLA_IFNAME)
	    printf("%s link %s\n", (const char *)data, mnl_attr_get_str(a));
	return MNL_CB_OK;
}

static void read_files(struct probe_ns *p, const char *when)
{
	int rc = ns_file_read(&p->dev, p->ctx->procfs_fd, "net/dev");

	if (rc)
		printf("%s %s error %s\n", p->ctx->name, when, strerror(-rc));
	else
		print_dev(p->ctx->name, when, p->dev.buf.data);
	rc = ns_file_read(&p->fin, p->ctx->procfs_fd, "sys/net/ipv4/tcp_fin_timeout");
	printf("%s %s-sysctl tcp_fin_timeout %.*s\n", p->ctx->name, when,
	       rc ? 5 : (int)strcspn(p->fin.buf.data, "\n"), rc ? "error" : p->fin.buf.data);
	rc = ns_file_read(&p->somax, p->ctx->procfs_fd, "sys/net/core/somaxconn");
	printf("%s %s-sysctl somaxconn %.*s\n", p->ctx->name, when,
	       rc ? 5 : (int)strcspn(p->somax.buf.data, "\n"), rc ? "error" : p->somax.buf.data);
}

static void read_inside(struct ns_ctx *ctx, int entered, void *arg)
{
	struct probe *pr = arg;
	struct probe_ns *p = NULL;
	struct ns_nl *nl;
	struct ns_err e = {{0}};
	int rc;

	for (size_t i = 0; i < pr->n; i++)
		if (pr->ns[i].ctx == ctx)
			p = &pr->ns[i];
	printf("%s entered %d\n", ctx->name, entered);
	if (entered || !p)
		return;
	read_files(p, "inside");
	rc = ns_ctx_nl(ctx, NETLINK_ROUTE, &nl, &e);
	if (!rc) {
		struct nlmsghdr *h = ns_nl_request(nl, RTM_GETLINK, NLM_F_DUMP);

		mnl_nlmsg_put_extra_header(h, sizeof(struct ifinfomsg));
		rc = ns_nl_run(nl, link_name_cb, NULL, ctx->name, &e);
	}
	if (rc)
		printf("%s link-error %s\n", ctx->name, e.msg);
	/* two real collectors, through the context, their writer carrying netns="..." */
	ns_writer_reset(p->w);
	ns_writer_set_const_labels(p->w, ctx->labels, ctx->nlabels);
	for (int c = 0; c < 2; c++) {
		if (!p->coll[c])
			continue;
		if (!p->state[c] && p->coll[c]->init(ctx, p->opts[c], &p->state[c], &e))
			printf("%s init-error %s\n", ctx->name, e.msg);
		else if (p->coll[c]->collect(ctx, p->state[c], p->w, &e))
			printf("%s collect-error %s %s\n", ctx->name, p->coll[c]->name, e.msg);
	}
	ns_buf_reset(&p->out);
	ns_writer_render(p->w, NS_FMT_TEXT, &p->out);
	for (char *cur = p->out.data, *line; cur && (line = ns_next_line(&cur));)
		if (line[0] != '#')
			printf("%s metric %s\n", ctx->name, line);
}

static int read_cmd(const char *procfs, const char *sysfs, int n, char **files)
{
	struct probe pr = {calloc((size_t)n, sizeof(struct probe_ns)), (size_t)n};
	struct ns_ctx **ctxs = calloc((size_t)n, sizeof(*ctxs));
	const char *names[2] = {"netdev", "sysctl"};
	struct ns_err e = {{0}};
	int view = ns_netns_view_open(procfs, &e);

	if (view < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct probe_ns *p = &pr.ns[i];
		const char *base = strrchr(files[i], '/');
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		char label[64];

		/* /run/netns/NAME -> NAME; /proc/PID/ns/net -> pid-PID */
		if (strstr(files[i], "/ns/net"))
			snprintf(label, sizeof(label), "pid-%d",
				 atoi(files[i] + strlen(procfs) + 1));
		else
			snprintf(label, sizeof(label), "%s", base ? base + 1 : files[i]);
		if (fd < 0 || ns_ctx_open_netns(&p->ctx, label, fd, view, sysfs, &e)) {
			fprintf(stderr, "%s: %s\n", files[i], fd < 0 ? strerror(errno) : e.msg);
			return 1;
		}
		close(fd);
		ctxs[i] = p->ctx;
		p->dev = p->fin = p->somax = (struct ns_file)NS_FILE_INIT;
		p->w = ns_writer_new();
		for (int c = 0; c < 2; c++) {
			p->coll[c] = ns_collector_find(names[c]);
			if (p->coll[c])
				p->opts[c] = ns_opts_new(names[c], p->coll[c]->options);
		}
	}
	close(view);
	/* twice: the second visit reuses what the first opened */
	for (int round = 0; round < 2; round++)
		if (ns_ctx_visit(ctxs, (size_t)n, read_inside, &pr))
			return 1;
	/* the kept fds, read again from this (the host's) thread */
	for (int i = 0; i < n; i++)
		read_files(&pr.ns[i], "outside");
	for (int i = 0; i < n; i++) {
		struct probe_ns *p = &pr.ns[i];

		for (int c = 0; c < 2; c++) {
			if (p->state[c] && p->coll[c]->fini)
				p->coll[c]->fini(p->state[c]);
			ns_opts_free(p->opts[c]);
		}
		ns_file_close(&p->dev);
		ns_file_close(&p->fin);
		ns_file_close(&p->somax);
		ns_writer_free(p->w);
		ns_buf_free(&p->out);
		ns_ctx_close(p->ctx);
	}
	free(ctxs);
	free(pr.ns);
	return 0;
}

/* ---- discover ---- */

static int discover_cmd(const char *procfs, const char *run_netns, const char *sources, int runs)
{
	struct ns_netns_config cfg = {procfs, run_netns, 0, NULL, NULL, 100000, 5};
	struct ns_discovery *d;
	struct ns_err e = {{0}};

	if (ns_netns_parse_sources(sources, &cfg.sources, &e) || ns_discovery_new(&d, &cfg, &e) ||
	    ns_discovery_run(d, &e)) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	for (size_t i = 0; i < ns_discovery_count(d); i++) {
		const struct ns_netns *ns = ns_discovery_get(d, i);

		printf("ns label=%s inode=%s pid=%d self=%d comm=%s pod=%s container=%s\n",
		       ns->self ? "(self)" : ns->label, ns->inode, (int)ns->pid, ns->self,
		       ns->attr.comm[0] ? ns->attr.comm : "-",
		       ns->attr.pod_uid[0] ? ns->attr.pod_uid : "-",
		       ns->attr.container_id[0] ? ns->attr.container_id : "-");
	}
	for (int i = 0; i < runs; i++) {
		if (ns_discovery_run(d, &e)) {
			fprintf(stderr, "%s\n", e.msg);
			return 1;
		}
		printf("run %.6f\n", ns_discovery_stats(d)->last_duration_s);
	}
	printf("stats runs=%llu unreadable=%zu duration=%.6f\n",
	       (unsigned long long)ns_discovery_stats(d)->runs, ns_discovery_stats(d)->unreadable,
	       ns_discovery_stats(d)->last_duration_s);
	ns_discovery_free(d);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && strcmp(argv[1], "facts") == 0) {
		mark = argv[3];
		return facts(argv[2]);
	}
	if (argc >= 5 && strcmp(argv[1], "read") == 0)
		return read_cmd(argv[2], argv[3], argc - 4, argv + 4);
	if ((argc == 5 || argc == 6) && strcmp(argv[1], "discover") == 0)
		return discover_cmd(argv[2], argv[3], argv[4], argc == 6 ? atoi(argv[5]) : 0);
	fprintf(stderr, "usage: see the top of netns_probe.c\n");
	return 2;
}
