// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sockstat.c - socket counts and memory from /proc/net/sockstat{,6}.
 *
 * Every line is "PROTO: key value key value ...", e.g.
 *
 *	sockets: used 14
 *	TCP: inuse 1 orphan 0 tw 0 alloc 1 mem 260
 *	FRAG: inuse 0 memory 0
 *	TCP6: inuse 0
 *
 * Naming rule: each (PROTO, key) pair is a gauge
 *
 *	netstack_sockstat_<proto>_<key>
 *
 * with <proto> lowercased (non-alphanumerics -> '_') and <key> passed through
 * ns_snake_case(), so keys a future kernel adds appear without code change.
 * Two pairs are known to be in other units and are converted:
 *
 *   TCP mem, UDP mem (pages, proto_memory_allocated()): exposed both as
 *	netstack_sockstat_<proto>_mem (pages, as the kernel prints it) and
 *	netstack_sockstat_<proto>_mem_bytes (pages * page size).
 *   FRAG memory, FRAG6 memory (already bytes): exposed only as
 *	netstack_sockstat_<proto>_memory_bytes.
 *
 * The page size is sysconf(_SC_PAGESIZE) of the exporter, read once at
 * init: /proc is always rendered by the kernel the exporter runs on, in any
 * network namespace, so this is the kernel's page size. (Fixtures recorded on
 * a machine with another page size would need the size in the context.)
 *
 * Values are signed 64-bit (the kernel prints ints and longs; a value above
 * INT64_MAX is kept exact as unsigned). A key without
 * a value ends its line; a value that does not parse is skipped and makes
 * collect() return -EINVAL after emitting everything else. net/sockstat must
 * exist; net/sockstat6 is optional (absent when IPv6 is disabled).
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "collector.h"
#include "procfs.h"

#define SOCKSTAT_PART_LEN 64
#define SOCKSTAT_NAME_LEN 192

enum sockstat_unit {
	UNIT_NONE,
	UNIT_PAGES,
	UNIT_BYTES,
};

static const struct {
	const char *proto;
	const char *key;
	enum sockstat_unit unit;
} units[] = {
    {"TCP", "mem", UNIT_PAGES},
    {"UDP", "mem", UNIT_PAGES},
    {"FRAG", "memory", UNIT_BYTES},
    {"FRAG6", "memory", UNIT_BYTES},
};

struct sockstat_state {
	struct ns_file v4;
	struct ns_file v6;
	int64_t page_size;
	struct ns_fail fail; /* first error of this scrape */
};

static enum sockstat_unit unit_of(const char *proto, const char *key)
{
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(units[i].proto, proto) && !strcmp(units[i].key, key))
			return units[i].unit;
	return UNIT_NONE;
}

/* A parsed value: signed, or unsigned when above INT64_MAX. */
struct sockstat_val {
	int is_u;
	uint64_t u;
	int64_t i;
};

static void emit(struct sockstat_state *st, struct ns_writer *w, const char *file, const char *name,
		 const char *help, const char *unit, const struct sockstat_val *v)
{
	struct ns_family *f = ns_family(w, name, help, NS_GAUGE, unit);
	int rc;

	if (!f) {
		ns_fail_set(&st->fail, -EINVAL, "%s: cannot create metric %s", file, name);
		return;
	}
	if (v->is_u)
		rc = ns_sample_u64(w, f, NS_NOLABELS, v->u);
	else
		rc = ns_sample_i64(w, f, NS_NOLABELS, v->i);
	if (rc)
		ns_fail_set(&st->fail, rc, "%s: %s: %s", file, name, strerror(-rc));
}

/* @v times the page size, or -ERANGE. */
static int to_bytes(const struct sockstat_val *v, int64_t page_size, struct sockstat_val *out)
{
	out->is_u = v->is_u;
	if (v->is_u)
		return __builtin_mul_overflow(v->u, (uint64_t)page_size, &out->u) ? -ERANGE : 0;
	return __builtin_mul_overflow(v->i, page_size, &out->i) ? -ERANGE : 0;
}

static void parse_line(struct sockstat_state *st, struct ns_writer *w, const char *file, char *line)
{
	char proto_lc[SOCKSTAT_PART_LEN], key_sc[SOCKSTAT_PART_LEN];
	char name[SOCKSTAT_NAME_LEN], help[SOCKSTAT_NAME_LEN];
	char *cur = line, *proto = ns_next_token(&cur), *key, *val;
	size_t n = proto ? strlen(proto) : 0, o = 0;

	if (n < 2 || proto[n - 1] != ':')
		return;
	proto[n - 1] = '\0';
	for (const char *p = proto; *p && o + 1 < sizeof(proto_lc); p++)
		proto_lc[o++] = isalnum((unsigned char)*p) ? (char)tolower((unsigned char)*p) : '_';
	proto_lc[o] = '\0';

	while ((key = ns_next_token(&cur)) && (val = ns_next_token(&cur))) {
		enum sockstat_unit unit = unit_of(proto, key);
		struct sockstat_val v = {0, 0, 0}, b;
		int rc = ns_parse_i64(val, &v.i);

		if (rc == -ERANGE && ns_parse_u64(val, &v.u) == 0) {
			v.is_u = 1;
			rc = 0;
		}
		if (rc) {
			ns_fail_set(&st->fail, -EINVAL, "%s: %s %s: bad value '%s'", file, proto,
				    key, val);
			continue;
		}
		ns_snake_case(key, key_sc, sizeof(key_sc));
		if (!key_sc[0])
			continue;
		if (unit == UNIT_BYTES) {
			snprintf(name, sizeof(name), "netstack_sockstat_%s_%s_bytes", proto_lc,
				 key_sc);
			snprintf(help, sizeof(help), "Value of %s: %s in /proc/%s, in bytes.",
				 proto, key, file);
			emit(st, w, file, name, help, "bytes", &v);
			continue;
		}
		snprintf(name, sizeof(name), "netstack_sockstat_%s_%s", proto_lc, key_sc);
		snprintf(help, sizeof(help), "Value of %s: %s in /proc/%s%s.", proto, key, file,
			 unit == UNIT_PAGES ? ", in pages" : "");
		emit(st, w, file, name, help, NULL, &v);
		if (unit == UNIT_PAGES) {
			if (to_bytes(&v, st->page_size, &b)) {
				ns_fail_set(&st->fail, -ERANGE, "%s: %s %s: %s pages overflow",
					    file, proto, key, val);
				continue;
			}
			snprintf(name, sizeof(name), "netstack_sockstat_%s_%s_bytes", proto_lc,
				 key_sc);
			snprintf(
			    help, sizeof(help),
			    "Value of %s: %s in /proc/%s (pages) times the page size, in bytes.",
			    proto, key, file);
			emit(st, w, file, name, help, "bytes", &b);
		}
	}
}

static int sockstat_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state,
			 struct ns_err *e)
{
	struct sockstat_state *st = calloc(1, sizeof(*st));
	long ps = sysconf(_SC_PAGESIZE);

	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	st->v4 = (struct ns_file)NS_FILE_INIT;
	st->v6 = (struct ns_file)NS_FILE_INIT;
	st->page_size = ps > 0 ? ps : 4096;
	*state = st;
	return 0;
}

static int sockstat_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct sockstat_state *st = state;
	struct ns_file *files[] = {&st->v4, &st->v6};
	const char *rels[] = {"net/sockstat", "net/sockstat6"};
	char *cur, *line;
	int rc;

	ns_fail_init(&st->fail, e);
	for (size_t i = 0; i < 2; i++) {
		rc = ns_file_read(files[i], ctx->procfs_fd, rels[i]);
		if (rc == -ENOENT && i == 1)
			continue;
		if (rc) {
			char path[PATH_MAX];

			ns_fail_set(&st->fail, rc, "%s: %s",
				    ns_ctx_procfs_file(ctx, rels[i], path, sizeof(path)),
				    strerror(-rc));
			continue;
		}
		cur = files[i]->buf.data;
		while ((line = ns_next_line(&cur)))
			parse_line(st, w, rels[i], line);
	}
	st->fail.e = NULL;
	return ns_fail_rc(&st->fail);
}

static void sockstat_fini(void *state)
{
	struct sockstat_state *st = state;

	if (!st)
		return;
	ns_file_close(&st->v4);
	ns_file_close(&st->v6);
	free(st);
}

const struct ns_collector ns_collector_sockstat = {
    .name = "sockstat",
    .help = "Socket counts and socket memory per protocol (/proc/net/sockstat, sockstat6)",
    .default_enabled = true,
    .options = NULL,
    .init = sockstat_init,
    .collect = sockstat_collect,
    .fini = sockstat_fini,
};
