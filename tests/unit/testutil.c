// SPDX-License-Identifier: GPL-2.0-or-later
/* testutil.c - helpers for collector unit tests. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "ctx.h"
#include "testutil.h"

const char *tu_fixture(const char *rel)
{
	static char path[4096];
	const char *root = getenv("NS_FIXTURES");

	if (!root)
		fail_msg("NS_FIXTURES is not set");
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return path;
}

static char *resolve(const char *p, const char *dflt)
{
	if (!p)
		return strdup(dflt);
	if (p[0] == '/')
		return strdup(p);
	return strdup(tu_fixture(p));
}

int tu_collect(const struct ns_collector *c, const char *procfs, const char *sysfs,
	       const char *replay, const struct ns_opts *opts, enum ns_format fmt,
	       struct ns_buf *out)
{
	char *p = resolve(procfs, "/nonexistent"), *s = resolve(sysfs, "/nonexistent");
	char *r = replay ? resolve(replay, "") : NULL;
	struct ns_opts *own = NULL;
	struct ns_writer *w;
	struct ns_ctx *ctx;
	struct ns_err e = {{0}};
	void *state = NULL;
	int rc;

	/* A missing root is allowed in tests: point it at "/" then. */
	rc = ns_ctx_open(&ctx, "", p, s, r, &e);
	if (rc) {
		rc = ns_ctx_open(&ctx, "", access(p, F_OK) == 0 ? p : "/",
				 access(s, F_OK) == 0 ? s : "/", r, &e);
		assert_int_equal(rc, 0);
	}
	if (!opts) {
		own = ns_opts_new(c->name, c->options);
		opts = own;
	}
	w = ns_writer_new();
	assert_non_null(w);
	ns_buf_reset(out);
	rc = c->init(ctx, opts, &state, &e);
	if (rc == 0) {
		rc = c->collect(ctx, state, w, &e);
		if (c->fini)
			c->fini(state);
	}
	if (rc)
		print_message("collector %s: rc=%d: %s\n", c->name, rc, e.msg);
	ns_writer_render(w, fmt, out);
	ns_writer_free(w);
	ns_opts_free(own);
	ns_ctx_close(ctx);
	free(p);
	free(s);
	free(r);
	return rc;
}

int tu_has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (len == n && memcmp(p, line, n) == 0)
			return 1;
		p = nl ? nl + 1 : NULL;
	}
	return 0;
}

int tu_has_prefix_line(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, prefix, n) == 0)
			return 1;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

void tu_assert_golden(const char *text, const char *rel)
{
	const char *path = tu_fixture(rel);
	FILE *f = fopen(path, "r");
	char *want;
	long n;

	if (!f) {
		if (getenv("NS_UPDATE_GOLDEN")) {
			f = fopen(path, "w");
			assert_non_null(f);
			fputs(text, f);
			fclose(f);
			print_message("wrote golden %s\n", path);
			return;
		}
		fail_msg("golden file %s missing (NS_UPDATE_GOLDEN=1 writes it)", path);
	}
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	want = malloc((size_t)n + 1);
	assert_non_null(want);
	assert_int_equal(fread(want, 1, (size_t)n, f), (size_t)n);
	want[n] = '\0';
	fclose(f);
	if (strcmp(want, text) != 0) {
		print_message("--- golden %s ---\n%s--- got ---\n%s", path, want, text);
		free(want);
		fail_msg("output differs from golden %s", path);
	}
	free(want);
}

void tu_nlgen_end(struct tu_nlgen *g, struct nlmsghdr *nlh)
{
	g->len += NLMSG_ALIGN(nlh->nlmsg_len);
	assert_true(g->len < sizeof(g->buf) - 4096);
}

void tu_nlgen_write(struct tu_nlgen *g, const char *dir, const char *file)
{
	char path[4096 + 256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(g->buf, 1, g->len, f), g->len);
	assert_int_equal(fclose(f), 0);
	memset(g->buf, 0, g->len);
	g->len = 0;
}

int tu_tmpdir_make(char *dir, size_t size, const char *prefix)
{
	if ((size_t)snprintf(dir, size, "/tmp/%s-XXXXXX", prefix) >= size)
		return -1;
	return mkdtemp(dir) ? 0 : -1;
}

static int tu_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int tu_tmpdir_remove(const char *dir)
{
	return nftw(dir, tu_remove_one, 16, FTW_DEPTH | FTW_PHYS) == 0 ? 0 : -1;
}

struct ns_opts *tu_opts_of(const struct ns_collector *c, const char *const *kv)
{
	struct ns_opts *o = ns_opts_new(c->name, c->options);
	struct ns_err e = {{0}};

	assert_non_null(o);
	for (; kv && *kv; kv++) {
		char name[64];
		const char *eq = strchr(*kv, '=');

		assert_non_null(eq);
		snprintf(name, sizeof(name), "%.*s", (int)(eq - *kv), *kv);
		if (ns_opts_set(o, name, eq + 1, &e))
			fail_msg("option %s: %s", *kv, e.msg);
	}
	return o;
}
