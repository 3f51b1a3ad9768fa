// SPDX-License-Identifier: GPL-2.0-or-later
/* test_netns_attribution.c - pod UID, container ID and comm from cgroup paths and fixtures. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "netns_attribution.h"
#include "testutil.h"
#include "writer.h"

#define UID1 "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0"
#define UID1_ "0f1e2d3c_4b5a_4968_8776_a5b4c3d2e1f0"
#define C1 "4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a4f3c2b1a"
#define C2 "a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4a1b2c3d4"

static void expect(const char *text, const char *ref, const char *pod, const char *cid)
{
	struct ns_attribution a;

	memset(&a, 'x', sizeof(a));
	ns_cgroup_attribute(text, ref, &a);
	if (strcmp(a.pod_uid, pod) || strcmp(a.container_id, cid))
		fail_msg("%s\n  got pod '%s' container '%s'\n  want pod '%s' container '%s'", text,
			 a.pod_uid, a.container_id, pod, cid);
}

static void test_shapes(void **st)
{
	/* systemd driver: containerd, CRI-O, Docker (dockershim) */
	expect("0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID1_
	       ".slice/cri-containerd-" C1 ".scope\n",
	       NULL, UID1, C1);
	expect("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID1_
	       ".slice/crio-" C1 ".scope\n",
	       NULL, UID1, C1);
	/* guaranteed QoS has no QoS level */
	expect("0::/kubepods.slice/kubepods-pod" UID1_ ".slice/docker-" C1 ".scope\n", NULL, UID1,
	       C1);
	/* cgroupfs driver: Kubernetes, Docker; CRI-O with cgroupfs */
	expect("0::/kubepods/besteffort/pod" UID1 "/" C1 "\n", NULL, UID1, C1);
	expect("0::/kubepods/pod" UID1 "/crio-" C1 "\n", NULL, UID1, C1);
	expect("0::/docker/" C1 "\n", NULL, "", C1);
	/* systemd Docker and Podman without Kubernetes */
	expect("0::/system.slice/docker-" C1 ".scope\n", NULL, "", C1);
	expect("0::/machine.slice/libpod-" C1 ".scope/container\n", NULL, "", C1);
	/* kind: the node's kubelet slices, seen from inside the node's cgroup namespace */
	expect("0::/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/"
	       "kubelet-kubepods-besteffort-pod" UID1_ ".slice/cri-containerd-" C1 ".scope\n",
	       NULL, UID1, C1);
	/* a path shown relative to another cgroup namespace */
	expect("0::/../../kubepods-besteffort-pod" UID1_ ".slice/cri-containerd-" C1 ".scope\n",
	       NULL, UID1, C1);
	/* upper case is normalised */
	expect("0::/kubepods/podAAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE/" C1 "\n", NULL,
	       "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", C1);
	/* a pod without a container level yet (the sandbox's own cgroup) */
	expect("0::/kubepods.slice/kubepods-pod" UID1_ ".slice\n", NULL, UID1, "");
	/* not containers: conmon, a host service, the root */
	expect("0::/machine.slice/libpod-conmon-" C1 ".scope\n", NULL, "", "");
	expect("0::/kubepods.slice/kubepods-pod" UID1_ ".slice/crio-conmon-" C1 ".scope\n", NULL,
	       UID1, "");
	expect("0::/system.slice/containerd.service\n", NULL, "", "");
	expect("0::/\n", NULL, "", "");
	expect("", NULL, "", "");
}

static void test_v1_lines(void **st)
{
	const char *ref = "12:pids:/\n1:name=systemd:/init.scope\n0::/init.scope\n";

	/* the unified line says nothing: the v1 lines do */
	expect("12:pids:/kubepods/besteffort/pod" UID1 "/" C1 "\n1:name=systemd:/kubepods/"
	       "besteffort/pod" UID1 "/" C1 "\n0::/\n",
	       ref, UID1, C1);
	/* the unified line wins when it carries the path */
	expect("12:pids:/docker/" C2 "\n1:name=systemd:/docker/" C2 "\n0::/system.slice/docker-" C1
	       ".scope\n",
	       ref, "", C1);
	/* one hierarchy line missing, one added, or reordered: not trusted */
	expect("1:name=systemd:/docker/" C1 "\n0::/\n", ref, "", "");
	expect("12:pids:/\n1:name=systemd:/\n0::/\n0::/docker/" C1 "\n", ref, "", "");
	expect("1:name=systemd:/\n12:pids:/docker/" C1 "\n0::/\n", ref, "", "");
}

static void test_hostile(void **st)
{
	char big[9000];
	struct ns_attribution a;
	size_t n;

	/* a pod name created below a container's own cgroup is the container's doing */
	expect("0::/system.slice/docker-" C1 ".scope/kubepods-pod" UID1_ ".slice\n", NULL, "", C1);
	expect("0::/kubepods/pod" UID1 "/" C1 "/docker/" C2 "\n", NULL, UID1, C1);
	/* near misses: one digit short, not hex, wrong separators, pod outside kubepods */
	expect("0::/kubepods-pod0f1e2d3c_4b5a_4968_8776_a5b4c3d2e1f.slice\n", NULL, "", "");
	expect("0::/docker-" C1 "0.scope\n", NULL, "", "");
	expect("0::/docker-g" C1 ".scope\n", NULL, "", "");
	expect("0::/kubepods/pod" UID1_ "\n", NULL, "", "");
	expect("0::/kubepods-pod" UID1 ".slice\n", NULL, "", "");
	expect("0::/pods/pod" UID1 "\n", NULL, "", "");
	expect("0::/system.slice/x-pod" UID1_ ".slice\n", NULL, "", "");
	expect("0::/kubepods/pod\"" UID1 "\"/" C1 "\n", NULL, "", C1);
	/* a cgroup name with a newline forging a second line, against the reference */
	expect("0::/user.slice/x\n0::/kubepods/pod" UID1 "/" C1 "\n", "0::/init.scope\n", "", "");
	/* without a hierarchy prefix at all */
	expect("/kubepods/pod" UID1 "/" C1 "\n", NULL, "", "");
	/* a very long path */
	n = (size_t)snprintf(big, sizeof(big), "0::/kubepods/pod" UID1 "/");
	memset(big + n, 'y', sizeof(big) - n - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = '\0';
	expect(big, NULL, UID1, "");
	ns_cgroup_attribute(big, "0::/\n", &a);
	assert_false(a.forged);
}

static void test_comm(void **st)
{
	char out[NS_COMM_MAX + 1];

	ns_comm_clean("nginx\n", out);
	assert_string_equal(out, "nginx");
	ns_comm_clean("0123456789abcdefghij\n", out);
	assert_string_equal(out, "0123456789abcde");
	ns_comm_clean("a\"b\\c\nd\te\x7f\n", out);
	assert_string_equal(out, "a\"b\\c?d?e?");
	ns_comm_clean("", out);
	assert_string_equal(out, "");
	ns_comm_clean("\n", out);
	assert_string_equal(out, "");
}

/* The hostile comm of the fixture goes through the writer: escaped, valid UTF-8. */
static void test_fixture_comm_exposed(void **st)
{
	struct ns_attribution a;
	struct ns_buf scratch = NS_BUF_INIT, out = NS_BUF_INIT;
	struct ns_writer *w = ns_writer_new();
	struct ns_family *f;
	int fd = open(tu_fixture("netns/v2/proc"), O_PATH | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_int_equal(ns_attribution_read(fd, 400, NULL, &scratch, &a), 0);
	assert_string_equal(a.comm, "a\"b\\c?d\xff\xfe"
				    "efghij");
	assert_string_equal(a.pod_uid, "");
	assert_string_equal(a.container_id,
			    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	f = ns_family(w, "x_info", "h", NS_INFO, NULL);
	assert_int_equal(ns_sample_u64(w, f, NS_LABELS({"comm", a.comm}), 1), 0);
	assert_int_equal(ns_writer_render(w, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "x_info{comm=\"a\\\"b\\\\c?d\xef\xbf\xbd\xef\xbf\xbd"
				 "efghij\"} 1");
	assert_int_equal(ns_attribution_read(fd, 99999, NULL, &scratch, &a), -ENOENT);
	assert_string_equal(a.comm, "");
	close(fd);
	ns_writer_free(w);
	ns_buf_free(&scratch);
	ns_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shapes),
	    cmocka_unit_test(test_v1_lines),
	    cmocka_unit_test(test_hostile),
	    cmocka_unit_test(test_comm),
	    cmocka_unit_test(test_fixture_comm_exposed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
