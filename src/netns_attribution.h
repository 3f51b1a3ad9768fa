/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * netns_attribution.h - who a network namespace belongs to, from one member
 * process: the Kubernetes pod UID and the container ID that its cgroup path
 * carries, and its comm.
 *
 * Everything here comes from files a container controls (its cgroup names,
 * its comm), so every value is checked against a strict shape or bounded:
 *   - pod UID: the UUID shape (8-4-4-4-12 hex digits), lower-cased, else "";
 *   - container ID: exactly 64 hex digits, lower-cased, else "";
 *   - comm: at most 15 bytes (the kernel's own limit), control characters
 *     replaced by '?'; quotes, backslashes and invalid UTF-8 are left to the
 *     writer's escaping.
 *
 * Cgroup path shapes recognised (cgroup v2 "0::/..." and v1 lines):
 *   systemd driver  .../kubepods-besteffort-pod<uid, '-' as '_'>.slice/
 *                       cri-containerd-<64 hex>.scope  (containerd)
 *                       crio-<64 hex>.scope            (CRI-O)
 *                       docker-<64 hex>.scope          (Docker, dockershim)
 *   cgroupfs driver .../kubepods/besteffort/pod<uid>/<64 hex>
 *                   /docker/<64 hex>
 *   Podman          .../libpod-<64 hex>.scope
 * The outermost match wins, and a pod UID counts only above the container's
 * cgroup: a container can create cgroups only below its own, so an inner
 * "pod..." or "docker-..." is not trusted. With nested runtimes (kind
 * nodes, Docker in Docker) seen from the host, the outermost container is
 * reported and no pod UID.
 * A file whose lines do not name the same hierarchies, in the same order,
 * as the daemon's own /proc/self/cgroup (a cgroup name with a newline in it
 * forging a line) gives no pod UID and no container ID.
 */
#ifndef NS_NETNS_ATTRIBUTION_H
#define NS_NETNS_ATTRIBUTION_H

#include <stdbool.h>
#include <sys/types.h>

#include "buf.h"

#define NS_POD_UID_LEN 36
#define NS_CONTAINER_ID_LEN 64
#define NS_COMM_MAX 15 /* TASK_COMM_LEN - 1 */

struct ns_attribution {
	char pod_uid[NS_POD_UID_LEN + 1];	    /* "" if unknown */
	char container_id[NS_CONTAINER_ID_LEN + 1]; /* "" if unknown */
	char comm[NS_COMM_MAX + 1];		    /* "" if unknown */
	bool forged; /* the cgroup file had lines the reference does not */
};

/*
 * Fill @a's pod UID and container ID from the text of a /proc/PID/cgroup
 * file. @reference, the text of the daemon's own /proc/self/cgroup, gives
 * the hierarchy lines to expect (NULL: no check). Never fails: what cannot
 * be trusted stays "".
 */
void ns_cgroup_attribute(const char *text, const char *reference, struct ns_attribution *a);

/* Copy a comm (the text of /proc/PID/comm) into @out, bounded and cleaned. */
void ns_comm_clean(const char *text, char out[NS_COMM_MAX + 1]);

/*
 * Read PID's cgroup and comm files below the procfs root @procfs_fd and
 * attribute them (@reference as above; @scratch is a reusable buffer).
 * Returns 0, or -errno when the process is gone or unreadable (@a is then
 * all empty).
 */
int ns_attribution_read(int procfs_fd, pid_t pid, const char *reference, struct ns_buf *scratch,
			struct ns_attribution *a);

#endif
