// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_netns_discovery.c - discovery on fixture /proc and /run/netns trees:
 * sources, dedup, labels, filters, the cap, the diff between runs, the
 * rediscovery interval.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "netns_discovery.h"
#include "testutil.h"
#include "writer.h"

#define UID1 "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
#define UID2 "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
#define C1 "4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a"
#define C2 "a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4"
#define C3 "deadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeefdeadbeef"
#define C4 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char proc_v2[4096], run_v2[4096], nsdir_v2[4096];

static struct ns_discovery *make(const char *proc, const char *run, unsigned sources,
				 const char *inc, const char *exc, size_t max)
{
	struct ns_netns_config cfg = {proc, run, sources, inc, exc, max, 5};
	struct ns_discovery *d = NULL;
	struct ns_err e = {{0}};

	if (ns_discovery_new(&d, &cfg, &e))
		fail_msg("ns_discovery_new: %s", e.msg);
	return d;
}

static void run(struct ns_discovery *d)
{
	struct ns_err e = {{0}};

	if (ns_discovery_run(d, &e))
		fail_msg("ns_discovery_run: %s", e.msg);
}

/* The label discovery gives a namespace known only by its inode: the fixture file's. */
static const char *inode_label(const char *nsdir, const char *ns)
{
	static char buf[8][64];
	static int k;
	char path[4200];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", nsdir, ns);
	assert_int_equal(stat(path, &st), 0);
	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "inode:%llu", (unsigned long long)st.st_ino);
	return buf[k];
}

static const struct ns_netns *by_label(const struct ns_discovery *d, const char *label)
{
	for (size_t i = 0; i < ns_discovery_count(d); i++)
		if (strcmp(ns_discovery_get(d, i)->label, label) == 0)
			return ns_discovery_get(d, i);
	return NULL;
}

static const struct ns_netns *must(const struct ns_discovery *d, const char *label)
{
	const struct ns_netns *ns = by_label(d, label);

	if (!ns) {
		for (size_t i = 0; i < ns_discovery_count(d); i++)
			print_message("have '%s'\n", ns_discovery_get(d, i)->label);
		fail_msg("no namespace labelled '%s'", label);
	}
	return ns;
}

static void check_attr(const struct ns_netns *ns, pid_t pid, const char *pod, const char *cid,
		       const char *comm)
{
	assert_int_equal(ns->pid, pid);
	assert_string_equal(ns->attr.pod_uid, pod);
	assert_string_equal(ns->attr.container_id, cid);
	assert_string_equal(ns->attr.comm, comm);
}

static int setup(void **st)
{
	snprintf(proc_v2, sizeof(proc_v2), "%s", tu_fixture("netns/v2/proc"));
	snprintf(run_v2, sizeof(run_v2), "%s", tu_fixture("netns/v2/run/netns"));
	snprintf(nsdir_v2, sizeof(nsdir_v2), "%s", tu_fixture("netns/v2/ns"));
	return 0;
}

static void test_both_sources(void **st)
{
	struct ns_discovery *d =
	    make(proc_v2, run_v2, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES, NULL, NULL, 512);
	const struct ns_netns *self, *const *app;
	const struct ns_netns *van;
	size_t nself = 0;

	run(d);
	/* host (self), pod-containerd, pod-crio, hostile, forged, long, blue, weird */
	assert_int_equal(ns_discovery_count(d), 8);
	for (size_t i = 0; i < ns_discovery_count(d); i++)
		nself += ns_discovery_get(d, i)->self;
	assert_int_equal(nself, 1); /* pid 50 and /run/netns/hostalias share it */
	self = must(d, "");
	assert_true(self->self);
	assert_string_equal(self->inode, inode_label(nsdir_v2, "host") + 6);
	/* two /run/netns names: the smallest; two processes: the smallest pid */
	check_attr(must(d, "a-pod-alias"), 100, UID1, C1, "pause");
	assert_string_equal(must(d, "a-pod-alias")->name, "a-pod-alias");
	check_attr(must(d, inode_label(nsdir_v2, "pod-crio")), 300, UID2, C3, "conmon-child");
	check_attr(must(d, inode_label(nsdir_v2, "hostile")), 400, "", C4,
		   "a\"b\\c?d\xff\xfe"
		   "efghij");
	check_attr(must(d, inode_label(nsdir_v2, "forged")), 500, "", "", "evil");
	assert_true(must(d, inode_label(nsdir_v2, "forged"))->attr.forged);
	check_attr(must(d, inode_label(nsdir_v2, "long")), 600, "", "", "0123456789abcde");
	check_attr(must(d, "blue"), 0, "", "", "");
	/* "inode:42" is not a usable name: it could collide with an inode label */
	check_attr(must(d, inode_label(nsdir_v2, "weird")), 0, "", "", "");
	assert_null(by_label(d, "inode:42"));
	/* the first run: everything appeared */
	assert_int_equal(ns_discovery_appeared(d, &app), 8);
	assert_int_equal(ns_discovery_vanished(d, &van), 0);
	/* the second: nothing changed */
	run(d);
	assert_int_equal(ns_discovery_appeared(d, &app), 0);
	assert_int_equal(ns_discovery_vanished(d, &van), 0);
	assert_int_equal(ns_discovery_stats(d)->runs, 2);
	assert_int_equal(ns_discovery_stats(d)->appeared_total, 8);
	ns_discovery_free(d);
}

static void test_sources(void **st)
{
	struct ns_discovery *d = make(proc_v2, run_v2, NS_NETNS_SRC_NAMED, NULL, NULL, 512);

	run(d);
	/* self, a-pod-alias, blue, weird; no /proc walk: no member pids */
	assert_int_equal(ns_discovery_count(d), 4);
	check_attr(must(d, "a-pod-alias"), 0, "", "", "");
	must(d, "blue");
	must(d, inode_label(nsdir_v2, "weird"));
	ns_discovery_free(d);

	d = make(proc_v2, run_v2, NS_NETNS_SRC_PROCESSES, NULL, NULL, 512);
	run(d);
	/* self, a-pod-alias (named after /run/netns all the same), crio, hostile, forged, long */
	assert_int_equal(ns_discovery_count(d), 6);
	check_attr(must(d, "a-pod-alias"), 100, UID1, C1, "pause");
	assert_null(by_label(d, "blue"));
	ns_discovery_free(d);

	d = make(proc_v2, run_v2, 0, NULL, NULL, 512);
	run(d);
	assert_int_equal(ns_discovery_count(d), 1);
	assert_true(ns_discovery_get(d, 0)->self);
	ns_discovery_free(d);

	/* no /run/netns at all is not an error */
	d = make(proc_v2, "/nonexistent/netns", NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES, NULL,
		 NULL, 512);
	run(d);
	assert_int_equal(ns_discovery_count(d), 6);
	must(d, inode_label(nsdir_v2, "pod-containerd"));
	ns_discovery_free(d);
}

static void test_filters_and_cap(void **st)
{
	unsigned both = NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES;
	struct ns_discovery *d = make(proc_v2, run_v2, both, "^inode:", NULL, 512);
	struct ns_netns_config bad = {proc_v2, run_v2, both, "(", NULL, 512, 5};
	struct ns_discovery *dd = NULL;
	struct ns_err e = {{0}};

	run(d);
	assert_int_equal(ns_discovery_count(d), 6); /* self + 5 inode-labelled */
	assert_int_equal(ns_discovery_stats(d)->filtered, 2);
	must(d, ""); /* the daemon's own is never filtered out */
	ns_discovery_free(d);

	d = make(proc_v2, run_v2, both, NULL, "blue|alias", 512);
	run(d);
	assert_int_equal(ns_discovery_count(d), 6);
	assert_null(by_label(d, "blue"));
	ns_discovery_free(d);

	/* the cap: by label, the rest counted */
	d = make(proc_v2, run_v2, both, NULL, NULL, 2);
	run(d);
	assert_int_equal(ns_discovery_count(d), 3);
	must(d, "a-pod-alias");
	must(d, "blue");
	assert_int_equal(ns_discovery_stats(d)->over_max, 5);
	ns_discovery_free(d);

	assert_int_equal(ns_discovery_new(&dd, &bad, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "netns include '('"));
}

/* ---- a tree built by the test, changed between runs ---- */

struct tree {
	char root[64];
};

static void tpath(const struct tree *t, char *buf, size_t n, const char *rel)
{
	snprintf(buf, n, "%s/%s", t->root, rel);
}

static void tmkdir(const struct tree *t, const char *rel)
{
	char p[256];

	tpath(t, p, sizeof(p), rel);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void twrite(const struct tree *t, const char *rel, const char *text)
{
	char p[256];
	FILE *f;

	tpath(t, p, sizeof(p), rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A namespace file ns/NAME. */
static void tns(const struct tree *t, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "ns/%s", name);
	twrite(t, rel, "");
}

/* A process PID in namespace NS. */
static void tproc(const struct tree *t, int pid, const char *ns, const char *comm)
{
	char rel[128], p[256];

	snprintf(rel, sizeof(rel), "proc/%d", pid);
	tmkdir(t, rel);
	snprintf(rel, sizeof(rel), "proc/%d/ns", pid);
	tmkdir(t, rel);
	snprintf(rel, sizeof(rel), "proc/%d/comm", pid);
	twrite(t, rel, comm);
	snprintf(rel, sizeof(rel), "proc/%d/cgroup", pid);
	twrite(t, rel, "0::/\n");
	snprintf(rel, sizeof(rel), "proc/%d/ns/net", pid);
	tpath(t, p, sizeof(p), rel);
	snprintf(rel, sizeof(rel), "%s/ns/%s", t->root, ns);
	assert_int_equal(symlink(rel, p), 0);
}

static void trm_proc(const struct tree *t, int pid)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -r '%s/proc/%d'", t->root, pid);
	assert_int_equal(system(cmd), 0);
}

static void tname(const struct tree *t, const char *name, const char *ns)
{
	char p[256], target[256];

	snprintf(target, sizeof(target), "%s/ns/%s", t->root, ns);
	snprintf(p, sizeof(p), "%s/run/netns/%s", t->root, name);
	assert_int_equal(symlink(target, p), 0);
}

static void tunname(const struct tree *t, const char *name)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/run/netns/%s", t->root, name);
	assert_int_equal(unlink(p), 0);
}

static struct ns_discovery *tmake(const struct tree *t, size_t max)
{
	char proc[128], runp[128];

	tpath(t, proc, sizeof(proc), "proc");
	tpath(t, runp, sizeof(runp), "run/netns");
	return make(proc, runp, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES, NULL, NULL, max);
}

static void tree_new(struct tree *t)
{
	char p[256];

	snprintf(t->root, sizeof(t->root), "/tmp/ns_disc_XXXXXX");
	assert_non_null(mkdtemp(t->root));
	tmkdir(t, "ns");
	tmkdir(t, "proc");
	tmkdir(t, "run");
	tmkdir(t, "run/netns");
	tns(t, "host");
	tproc(t, 1, "host", "init\n");
	tpath(t, p, sizeof(p), "proc/self");
	assert_int_equal(symlink("1", p), 0);
}

static void tree_free(struct tree *t)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
	assert_int_equal(system(cmd), 0);
}

static size_t appeared(const struct ns_discovery *d, const char **labels)
{
	const struct ns_netns *const *a;
	size_t n = ns_discovery_appeared(d, &a);

	for (size_t i = 0; i < n; i++)
		labels[i] = a[i]->label;
	return n;
}

static size_t vanished(const struct ns_discovery *d, const char **labels)
{
	const struct ns_netns *v;
	size_t n = ns_discovery_vanished(d, &v);

	for (size_t i = 0; i < n; i++)
		labels[i] = v[i].label;
	return n;
}

static const char *tnsdir(const struct tree *t)
{
	static char p[128];

	tpath(t, p, sizeof(p), "ns");
	return p;
}

static void test_diff(void **st)
{
	struct tree t;
	struct ns_discovery *d;
	const char *l[8];
	char la[64], lb[64];

	tree_new(&t);
	tns(&t, "a");
	tproc(&t, 10, "a", "alpha\n");
	d = tmake(&t, 512);
	run(d);
	snprintf(la, sizeof(la), "%s", inode_label(tnsdir(&t), "a"));
	assert_int_equal(appeared(d, l), 2);
	assert_int_equal(vanished(d, l), 0);
	check_attr(must(d, la), 10, "", "", "alpha");

	/* a new namespace; a second member of a: its member stays pid 10 */
	tns(&t, "b");
	tproc(&t, 20, "b", "beta\n");
	tproc(&t, 11, "a", "alpha2\n");
	run(d);
	snprintf(lb, sizeof(lb), "%s", inode_label(tnsdir(&t), "b"));
	assert_int_equal(appeared(d, l), 1);
	assert_string_equal(l[0], lb);
	assert_int_equal(vanished(d, l), 0);
	check_attr(must(d, la), 10, "", "", "alpha");

	/* the member exits: another member, attribution read again, no diff */
	trm_proc(&t, 10);
	run(d);
	assert_int_equal(appeared(d, l), 0);
	assert_int_equal(vanished(d, l), 0);
	check_attr(must(d, la), 11, "", "", "alpha2");

	/* a gets a /run/netns name: it vanishes under the old label, appears under the new */
	tname(&t, "cni-x", "a");
	run(d);
	assert_int_equal(vanished(d, l), 1);
	assert_string_equal(l[0], la);
	assert_int_equal(appeared(d, l), 1);
	assert_string_equal(l[0], "cni-x");
	check_attr(must(d, "cni-x"), 11, "", "", "alpha2");

	/* b's last process exits; the name of a goes, its process stays */
	trm_proc(&t, 20);
	tunname(&t, "cni-x");
	run(d);
	assert_int_equal(vanished(d, l), 2);
	assert_int_equal(appeared(d, l), 1);
	assert_string_equal(l[0], la);
	assert_null(by_label(d, lb));
	assert_int_equal(ns_discovery_count(d), 2);
	assert_int_equal(ns_discovery_stats(d)->vanished_total, 3);
	ns_discovery_free(d);

	/* the cap keeps what it listed before a newcomer that sorts first */
	tns(&t, "z");
	tname(&t, "zzz", "z");
	d = tmake(&t, 2);
	run(d);
	must(d, "zzz");
	must(d, la);
	tns(&t, "c");
	tname(&t, "aaa", "c");
	run(d);
	must(d, "zzz");
	must(d, la);
	assert_null(by_label(d, "aaa"));
	assert_int_equal(ns_discovery_stats(d)->over_max, 1);
	assert_int_equal(appeared(d, l), 0);
	tunname(&t, "zzz");
	run(d);
	must(d, "aaa");
	assert_int_equal(appeared(d, l), 1);
	assert_int_equal(vanished(d, l), 1);
	assert_int_equal(ns_discovery_stats(d)->over_max, 0);
	ns_discovery_free(d);
	tree_free(&t);
}

static void test_interval_and_open(void **st)
{
	struct ns_discovery *d =
	    make(proc_v2, run_v2, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES, NULL, NULL, 512);
	const int64_t s = 1000000000;
	struct ns_err e = {{0}};
	struct stat a, b;
	int fd;

	assert_int_equal(ns_discovery_maybe_run(d, 100 * s, &e), 1);
	assert_int_equal(ns_discovery_maybe_run(d, 100 * s + 1, &e), 0);
	assert_int_equal(ns_discovery_maybe_run(d, 105 * s - 1, &e), 0);
	assert_int_equal(ns_discovery_maybe_run(d, 105 * s, &e), 1);
	assert_int_equal(ns_discovery_stats(d)->runs, 2);

	/* open by /run/netns name, by member pid; a named one without usable name has no way */
	fd = ns_discovery_open(d, must(d, "blue"), &e);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(stat(tu_fixture("netns/v2/ns/blue"), &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	close(fd);
	fd = ns_discovery_open(d, must(d, inode_label(nsdir_v2, "pod-crio")), &e);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(ns_discovery_open(d, must(d, inode_label(nsdir_v2, "weird")), &e),
			 -ENOENT);
	ns_discovery_free(d);
}

static void test_stale_open(void **st)
{
	struct tree t;
	struct ns_discovery *d;
	struct ns_netns copy;
	struct ns_err e = {{0}};

	tree_new(&t);
	tns(&t, "a");
	tns(&t, "b");
	tproc(&t, 10, "a", "x\n");
	d = tmake(&t, 512);
	run(d);
	copy = *must(d, inode_label(tnsdir(&t), "a"));
	/* pid 10 exits and the number is reused by a process in another namespace */
	trm_proc(&t, 10);
	tproc(&t, 10, "b", "y\n");
	assert_int_equal(ns_discovery_open(d, &copy, &e), -ESTALE);
	assert_non_null(strstr(e.msg, "no longer the same namespace"));
	ns_discovery_free(d);
	tree_free(&t);
}

static void test_emit(void **st)
{
	struct ns_discovery *d =
	    make(proc_v2, run_v2, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES, NULL, "blue", 512);
	struct ns_writer *w = ns_writer_new();
	struct ns_buf out = NS_BUF_INIT;
	const struct ns_netns *ns;
	char line[512];

	run(d);
	ns = must(d, "a-pod-alias");
	ns_discovery_count_failure(d, ns->dev, ns->ino, true);
	ns_discovery_count_failure(d, ns->dev, ns->ino, false);
	ns_discovery_count_failure(d, ns->dev, ns->ino, false);
	run(d); /* the counts stay with the namespace */
	assert_int_equal(ns_discovery_emit(d, w), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	snprintf(line, sizeof(line),
		 "netstack_netns_info{netns=\"a-pod-alias\",inode=\"%s\",pod_uid=\"" UID1
		 "\",container_id=\"" C1 "\",comm=\"pause\"} 1",
		 ns->inode);
	tu_assert_line(out.data, line);
	snprintf(line, sizeof(line),
		 "netstack_netns_info{netns=\"\",inode=\"%s\",pod_uid=\"\",container_id=\"\","
		 "comm=\"\"} 1",
		 inode_label(nsdir_v2, "host") + 6);
	tu_assert_line(out.data, line);
	ns = must(d, inode_label(nsdir_v2, "hostile"));
	snprintf(line, sizeof(line),
		 "netstack_netns_info{netns=\"%s\",inode=\"%s\",pod_uid=\"\",container_id=\"" C4
		 "\",comm=\"a\\\"b\\\\c?d\xef\xbf\xbd\xef\xbf\xbd"
		 "efghij\"} 1",
		 ns->label, ns->inode);
	tu_assert_line(out.data, line);
	tu_assert_line(out.data, "netstack_netns_enter_failures_total{netns=\"a-pod-alias\"} 1");
	tu_assert_line(out.data, "netstack_netns_collect_failures_total{netns=\"a-pod-alias\"} 2");
	tu_assert_line(out.data, "netstack_netns_collect_failures_total{netns=\"\"} 0");
	tu_assert_line(out.data, "netstack_netns_namespaces 7");
	tu_assert_line(out.data, "netstack_netns_over_max 0");
	tu_assert_line(out.data, "netstack_netns_filtered 1");
	tu_assert_line(out.data, "netstack_netns_discovery_runs_total 2");
	assert_int_equal(ns_writer_duplicates(w), 0);
	ns_discovery_free(d);

	d = make(proc_v2, run_v2, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES, NULL, NULL, 1);
	run(d);
	ns_writer_reset(w);
	ns_buf_reset(&out);
	assert_int_equal(ns_discovery_emit(d, w), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_netns_namespaces 2");
	tu_assert_line(out.data, "netstack_netns_over_max 6");
	ns_writer_free(w);
	ns_buf_free(&out);
	ns_discovery_free(d);
}

static void test_parse_sources(void **st)
{
	struct ns_err e = {{0}};
	unsigned s = 99;

	assert_int_equal(ns_netns_parse_sources("", &s, &e), 0);
	assert_int_equal(s, 0);
	assert_int_equal(ns_netns_parse_sources("named,processes", &s, &e), 0);
	assert_int_equal(s, NS_NETNS_SRC_NAMED | NS_NETNS_SRC_PROCESSES);
	assert_int_equal(ns_netns_parse_sources("processes", &s, &e), 0);
	assert_int_equal(s, NS_NETNS_SRC_PROCESSES);
	assert_int_equal(ns_netns_parse_sources("named,pods", &s, &e), -EINVAL);
	assert_string_equal(e.msg, "netns.sources: 'pods' is not named or processes");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_both_sources),
	    cmocka_unit_test(test_sources),
	    cmocka_unit_test(test_filters_and_cap),
	    cmocka_unit_test(test_diff),
	    cmocka_unit_test(test_interval_and_open),
	    cmocka_unit_test(test_stale_open),
	    cmocka_unit_test(test_emit),
	    cmocka_unit_test(test_parse_sources),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
