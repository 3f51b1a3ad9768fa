// SPDX-License-Identifier: GPL-2.0-or-later
/* netns_attribution.c - pod UID, container ID and comm of a namespace's member. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netns_attribution.h"
#include "procfs.h"

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* 8-4-4-4-12 hex digits separated by @sep: copy lower-cased with '-' into @out. */
static bool take_uuid(const char *s, size_t len, char sep, char out[NS_POD_UID_LEN + 1])
{
	if (len != NS_POD_UID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != sep : !is_hex(s[i]))
			return false;
		out[i] = dash ? '-' : lower(s[i]);
	}
	out[len] = '\0';
	return true;
}

static bool take_hex64(const char *s, size_t len, char out[NS_CONTAINER_ID_LEN + 1])
{
	if (len != NS_CONTAINER_ID_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!is_hex(s[i]))
			return false;
		out[i] = lower(s[i]);
	}
	out[len] = '\0';
	return true;
}

static bool has_suffix(const char *s, size_t len, const char *suf, size_t *stem)
{
	size_t n = strlen(suf);

	if (len < n || memcmp(s + len - n, suf, n) != 0)
		return false;
	*stem = len - n;
	return true;
}

static bool memstr(const char *s, size_t len, const char *needle)
{
	return memmem(s, len, needle, strlen(needle)) != NULL;
}

/*
 * A pod cgroup: systemd "kubepods[-qos]-pod<uid with _>.slice" (any prefix
 * containing "kubepods": kind's "kubelet-kubepods-..." too), or cgroupfs
 * "pod<uid>" below a "kubepods..." component.
 */
static bool pod_component(const char *c, size_t len, bool under_kubepods,
			  char out[NS_POD_UID_LEN + 1])
{
	size_t stem;

	if (has_suffix(c, len, ".slice", &stem)) {
		const char *p = NULL;

		for (size_t i = 0; i + 4 <= stem; i++)
			if (memcmp(c + i, "-pod", 4) == 0)
				p = c + i;
		return p && memstr(c, (size_t)(p - c), "kubepods") &&
		       take_uuid(p + 4, stem - (size_t)(p + 4 - c), '_', out);
	}
	return under_kubepods && len > 3 && memcmp(c, "pod", 3) == 0 &&
	       take_uuid(c + 3, len - 3, '-', out);
}

/* A container cgroup: "<runtime>-<64 hex>.scope", "crio-<64 hex>", or bare 64 hex. */
static bool container_component(const char *c, size_t len, char out[NS_CONTAINER_ID_LEN + 1])
{
	static const char *const prefixes[] = {"cri-containerd-", "crio-", "docker-", "libpod-"};
	size_t stem = len;

	if (take_hex64(c, len, out))
		return true;
	has_suffix(c, len, ".scope", &stem);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (stem > n && memcmp(c, prefixes[i], n) == 0 && take_hex64(c + n, stem - n, out))
			return true;
	}
	return false;
}

/* Attribute one cgroup path (not NUL-terminated). Returns true if anything matched. */
static bool attribute_path(const char *path, size_t len, struct ns_attribution *a)
{
	const char *end = path + len, *c = path, *after_pod = path;
	char id[NS_CONTAINER_ID_LEN + 1];
	bool kubepods = false, found = false;

	/* Outermost pod component, above any container's cgroup. */
	while (c < end) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t n = slash ? (size_t)(slash - c) : (size_t)(end - c);

		if (n && container_component(c, n, id))
			break; /* below here, names are the container's own */
		if (n && pod_component(c, n, kubepods, a->pod_uid)) {
			after_pod = c + n;
			found = true;
			break;
		}
		if (n >= 8 && memcmp(c, "kubepods", 8) == 0)
			kubepods = true;
		c += n + 1;
	}
	/* Outermost container component, below the pod's cgroup if there is one. */
	for (c = after_pod; c < end;) {
		const char *slash = memchr(c, '/', (size_t)(end - c));
		size_t n = slash ? (size_t)(slash - c) : (size_t)(end - c);

		if (n && container_component(c, n, a->container_id)) {
			found = true;
			break;
		}
		c += n + 1;
	}
	return found;
}

/* Length of "ID:controllers:" at @line (up to @len), or 0 if the line has no such prefix. */
static size_t hierarchy_prefix(const char *line, size_t len)
{
	const char *c1 = memchr(line, ':', len), *c2;

	if (!c1 || c1 == line)
		return 0;
	for (const char *p = line; p < c1; p++)
		if (*p < '0' || *p > '9')
			return 0;
	c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line));
	return c2 ? (size_t)(c2 + 1 - line) : 0;
}

static size_t line_len(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl ? (size_t)(nl - s) : strlen(s);
}

/* Same hierarchy lines, in the same order, as @ref? */
static bool same_hierarchies(const char *text, const char *ref)
{
	while (*text || *ref) {
		size_t tl = line_len(text), rl = line_len(ref);
		size_t tp = hierarchy_prefix(text, tl), rp = hierarchy_prefix(ref, rl);

		if (!*text || !*ref || !tp || tp != rp || memcmp(text, ref, tp) != 0)
			return false;
		text += tl + (text[tl] == '\n');
		ref += rl + (ref[rl] == '\n');
	}
	return true;
}

void ns_cgroup_attribute(const char *text, const char *reference, struct ns_attribution *a)
{
	a->pod_uid[0] = a->container_id[0] = '\0';
	a->forged = reference && !same_hierarchies(text, reference);
	if (a->forged)
		return;
	/* The unified (v2) line first, then the v1 lines in file order. */
	for (int pass = 0; pass < 2; pass++) {
		for (const char *l = text; *l;) {
			size_t len = line_len(l), p = hierarchy_prefix(l, len);
			bool v2 = p == 3 && memcmp(l, "0::", 3) == 0;

			if (p && v2 == (pass == 0) && attribute_path(l + p, len - p, a))
				return;
			a->pod_uid[0] = a->container_id[0] = '\0';
			l += len + (l[len] == '\n');
		}
	}
}

void ns_comm_clean(const char *text, char out[NS_COMM_MAX + 1])
{
	size_t n = strlen(text);

	/* The kernel ends the file with one '\n'; anything before it is the name. */
	if (n && text[n - 1] == '\n')
		n--;
	if (n > NS_COMM_MAX)
		n = NS_COMM_MAX;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];

		out[i] = c < 0x20 || c == 0x7f ? '?' : (char)c;
	}
	out[n] = '\0';
}

int ns_attribution_read(int procfs_fd, pid_t pid, const char *reference, struct ns_buf *scratch,
			struct ns_attribution *a)
{
	char rel[64];
	int rc;

	memset(a, 0, sizeof(*a));
	snprintf(rel, sizeof(rel), "%d/cgroup", (int)pid);
	rc = ns_read_file_at(procfs_fd, rel, scratch);
	if (rc)
		return rc;
	ns_cgroup_attribute(scratch->data, reference, a);
	snprintf(rel, sizeof(rel), "%d/comm", (int)pid);
	rc = ns_read_file_at(procfs_fd, rel, scratch);
	if (rc) {
		memset(a, 0, sizeof(*a));
		return rc;
	}
	ns_comm_clean(scratch->data, a->comm);
	return 0;
}
