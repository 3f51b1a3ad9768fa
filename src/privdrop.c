// SPDX-License-Identifier: GPL-2.0-or-later
/* privdrop.c - switch user and keep only the needed capabilities (see privdrop.h). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "collector.h"
#include "config.h"
#include "netns_discovery.h"
#include "log.h"
#include "privdrop.h"

uint64_t ns_privdrop_needed_caps(const struct ns_config *cfg)
{
	uint64_t caps = 0;

	for (size_t i = 0; i < ns_ncollectors; i++)
		if (cfg->coll[i].enabled)
			caps |= ns_collectors[i]->caps;
	/* Other network namespaces: setns() and the procfs view; others' /proc/PID/ns. */
	if (cfg->netns_sources)
		caps |= 1ULL << CAP_SYS_ADMIN;
	if (cfg->netns_sources & NS_NETNS_SRC_PROCESSES)
		caps |= 1ULL << CAP_SYS_PTRACE;
	return caps;
}

void ns_privdrop_caps_text(uint64_t caps, char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (int c = 0; c < 64 && pos < len; c++) {
		char *name;

		if (!(caps & (1ULL << c)))
			continue;
		name = cap_to_name((cap_value_t)c);
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", pos ? "," : "",
					name ? name : "?");
		cap_free(name);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

static int set_caps(uint64_t caps, struct ns_err *e)
{
	cap_value_t list[64];
	int n = 0, rc = 0;
	cap_t c;

	for (int v = 0; v < 64; v++)
		if (caps & (1ULL << v))
			list[n++] = (cap_value_t)v;
	c = cap_init(); /* all clear */
	if (!c)
		return ns_err_set(e, -ENOMEM, "out of memory");
	if (n && (cap_set_flag(c, CAP_PERMITTED, n, list, CAP_SET) ||
		  cap_set_flag(c, CAP_EFFECTIVE, n, list, CAP_SET)))
		rc = ns_err_set(e, -EINVAL, "cannot build the capability set");
	if (!rc && cap_set_proc(c))
		rc = ns_err_set(e, -errno, "capset: %s", strerror(errno));
	cap_free(c);
	return rc;
}

int ns_privdrop(const char *user, uint64_t caps, struct ns_err *e)
{
	struct passwd pw, *res = NULL;
	char buf[4096], text[256];
	uid_t uid;
	gid_t gid;
	int rc;

	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (rc || !res)
		return ns_err_set(e, rc ? -rc : -ENOENT, "--runtime.user: no user '%s'%s%s", user,
				  rc ? ": " : "", rc ? strerror(rc) : "");
	uid = pw.pw_uid;
	gid = pw.pw_gid;
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return 0;
		return ns_err_set(
		    e, -EPERM, "--runtime.user %s: only root can switch user (running as uid %u)",
		    user, (unsigned)geteuid());
	}
	if (uid == 0)
		return ns_err_set(e, -EINVAL,
				  "--runtime.user %s: is root; pick an unprivileged user", user);

	/* While still root: the bounding set loses everything not kept. */
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (!(caps & (1ULL << c)) && cap_drop_bound(c) && errno != EINVAL)
			return ns_err_set(e, -errno,
					  "dropping capability %d from the bounding "
					  "set: %s",
					  (int)c, strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return ns_err_set(e, -errno, "PR_SET_KEEPCAPS: %s", strerror(errno));
	if (setgroups(1, &gid) < 0)
		return ns_err_set(e, -errno, "setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) < 0)
		return ns_err_set(e, -errno, "setresgid(%u): %s", (unsigned)gid, strerror(errno));
	if (setresuid(uid, uid, uid) < 0)
		return ns_err_set(e, -errno, "setresuid(%u): %s", (unsigned)uid, strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return ns_err_set(e, -errno, "PR_SET_KEEPCAPS: %s", strerror(errno));
	rc = set_caps(caps, e);
	if (rc)
		return rc;
	if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient())
		return ns_err_set(e, -errno, "clearing ambient capabilities: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return ns_err_set(e, -errno, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* Check that root cannot come back. */
	if (setuid(0) == 0 || geteuid() == 0)
		return ns_err_set(e, -EPERM, "privileges could be regained after the switch");
	ns_privdrop_caps_text(caps, text, sizeof(text));
	ns_log(NS_LOG_INFO, "privdrop", "running as user %s (uid %u, gid %u), capabilities: %s",
	       user, (unsigned)uid, (unsigned)gid, text);
	return 0;
}
