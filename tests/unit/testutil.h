/* SPDX-License-Identifier: GPL-2.0-or-later */
/* testutil.h - run one collector against fixtures and look at the output. */
#ifndef NS_TESTUTIL_H
#define NS_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "buf.h"
#include "collector.h"
#include "opts.h"
#include "writer.h"

/* $NS_FIXTURES/<rel>, in a static buffer (one at a time). */
const char *tu_fixture(const char *rel);

/*
 * Run @c once (init, collect, fini) with procfs/sysfs roots @procfs/@sysfs
 * (absolute, or relative to $NS_FIXTURES; NULL = "/nonexistent"), netlink
 * replayed from @replay (same rule; NULL = live sockets), options @opts
 * (NULL = defaults). Renders into @out (reset first) in @fmt. Returns
 * collect()'s return code (or init's, if init failed).
 */
int tu_collect(const struct ns_collector *c, const char *procfs, const char *sysfs,
	       const char *replay, const struct ns_opts *opts, enum ns_format fmt,
	       struct ns_buf *out);

/*
 * Options of collector @c set from @kv, "name=value" strings ending in NULL
 * (@kv NULL: the defaults); a bad one fails the test. ns_opts_free() it.
 */
struct ns_opts *tu_opts_of(const struct ns_collector *c, const char *const *kv);

/* Does @text contain the line @line exactly? */
int tu_has_line(const char *text, const char *line);
/* Fail the test (printing @text) unless it has @line. */
#define tu_assert_line(text, line)                                                                 \
	do {                                                                                       \
		if (!tu_has_line((text), (line)))                                                  \
			fail_msg("missing line: %s\n--- output ---\n%s", (line), (text));          \
	} while (0)
#define tu_assert_no_line_prefix(text, prefix)                                                     \
	do {                                                                                       \
		if (tu_has_prefix_line((text), (prefix)))                                          \
			fail_msg("unexpected line starting %s\n--- output ---\n%s", (prefix),      \
				 (text));                                                          \
	} while (0)
int tu_has_prefix_line(const char *text, const char *prefix);

/*
 * Netlink replay files built in a test: messages are laid out one after the
 * other in buf (mnl_nlmsg_put_header(g->buf + g->len), attributes, then
 * tu_nlgen_end()), and tu_nlgen_write() stores them as <dir>/<file> for a
 * context's --debug.netlink-replay directory, then empties the buffer.
 */
struct tu_nlgen {
	char buf[512 * 1024] __attribute__((aligned(8)));
	size_t len;
};
struct nlmsghdr;
void tu_nlgen_end(struct tu_nlgen *g, struct nlmsghdr *nlh);
void tu_nlgen_write(struct tu_nlgen *g, const char *dir, const char *file);

/*
 * A fresh directory /tmp/<@prefix>-XXXXXX, its path written to @dir (@size
 * bytes); for a test group's setup. Returns 0 or -1.
 */
int tu_tmpdir_make(char *dir, size_t size, const char *prefix);
/* Remove @dir and everything below it (a tu_tmpdir_make() one). Returns 0 or -1. */
int tu_tmpdir_remove(const char *dir);

/* Compare @text with the file $NS_FIXTURES/<rel>; on mismatch print a diff-friendly dump. */
void tu_assert_golden(const char *text, const char *rel);

#endif
