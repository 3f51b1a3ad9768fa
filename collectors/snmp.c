// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * snmp.c - every field of /proc/net/snmp, /proc/net/netstat and /proc/net/snmp6.
 *
 * snmp and netstat are sequences of header/value line pairs:
 *
 *	Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ...
 *	Tcp: 1 200 120000 -1 ...
 *
 * A pair is two consecutive lines with the same "Section:" prefix; names are
 * matched to values by position. If the value line has fewer or more columns
 * than the header, only the common prefix is used. A header line without a
 * value line, or a value line without a header, is skipped. The same section
 * may appear in several pairs (IcmpMsg does, 16 fields per pair).
 *
 * snmp6 has one "Name value" per line; the section is the name up to and
 * including its first run of digits (Ip6, Icmp6, Udp6, UdpLite6), the field
 * is the rest.
 *
 * Naming rule (one rule, so fields a future kernel adds appear unchanged):
 *
 *	netstack_snmp_<section>_<field>[_total]
 *
 * where <section> is the section lowercased (non-alphanumerics -> '_') and
 * <field> is ns_snake_case(field). Every field is a counter (suffix _total,
 * value unsigned 64-bit, exact) except the fixed list in gauges[] below,
 * which are gauges (value signed 64-bit: Tcp MaxConn is -1 on Linux).
 * The gauges in scaled[] (Tcp RtoMin, RtoMax: milliseconds) are converted to
 * their base unit, which ends the name: netstack_snmp_tcp_rto_min_seconds.
 * A snmp6 name without digits (none exist today) is snake-cased whole:
 * netstack_snmp_<snake(name)>[_total].
 *
 * If two fields map to the same name within one scrape, the first one in
 * file order (snmp, netstat, snmp6; top to bottom, left to right) keeps it
 * and each later one gets the smallest free suffix _2, _3, ... before
 * _total (e.g. netstack_snmp_tcpext_tcp_lost_retransmit_2_total).
 *
 * net/snmp must exist; net/netstat and net/snmp6 (absent when IPv6 is
 * disabled) are optional. Each file's presence is exposed as
 * netstack_snmp_file_missing{file="/proc/net/<file>"} (1 absent, 0 read; no
 * series if reading it failed otherwise, which is the collector's error). A value that does not
 *parse is skipped (its name stays reserved, so the numbering above does not shift) and makes
 *collect() return -EINVAL after emitting everything else.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collector.h"
#include "procfs.h"

#define SNMP_NAME_LEN 320
/* One series per file, so that fields vanishing with their file are explained. */
#define MISSING_NAME "netstack_snmp_file_missing"
#define SNMP_PART_LEN 128

/* The (section, field) pairs exposed as gauges; everything else is a counter. */
static const struct {
	const char *section;
	const char *field;
} gauges[] = {
    {"Ip", "Forwarding"}, {"Ip", "DefaultTTL"},	       {"Tcp", "RtoAlgorithm"},
    {"Tcp", "RtoMin"},	  {"Tcp", "RtoMax"},	       {"Tcp", "MaxConn"},
    {"Tcp", "CurrEstab"}, {"MPTcpExt", "MPCurrEstab"},
};

/*
 * Gauges the kernel prints in another unit than the base one: exposed
 * converted, with the unit at the end of the name (RFC 2012's tcpRtoMin and
 * tcpRtoMax are milliseconds; Linux prints TCP_RTO_MIN/MAX in ms).
 */
static const struct {
	const char *section;
	const char *field;
	const char *unit; /* base unit, appended to the name */
	double div;	  /* kernel value / div = value in @unit */
	const char *from; /* the kernel's unit, for HELP */
} scaled[] = {
    {"Tcp", "RtoMin", "seconds", 1000.0, "milliseconds"},
    {"Tcp", "RtoMax", "seconds", 1000.0, "milliseconds"},
};

/*
 * The base names (without _total) handed out in the current scrape: an
 * open-addressing hash set over a string arena. Both are reset, not freed,
 * between scrapes, so a warm collector does not allocate.
 */
struct name_set {
	struct ns_buf arena; /* names, each NUL-terminated */
	uint32_t *slots;     /* arena offset + 1; 0 = empty */
	size_t nslots;
	size_t used;
};

struct snmp_state {
	struct ns_file snmp;
	struct ns_file netstat;
	struct ns_file snmp6;
	struct name_set names;
	struct ns_fail fail; /* first error of this scrape */
	const char *root;    /* the context's procfs root (absolute), for messages */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s) {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static void names_reset(struct name_set *ns)
{
	ns_buf_reset(&ns->arena);
	if (ns->slots)
		memset(ns->slots, 0, ns->nslots * sizeof(*ns->slots));
	ns->used = 0;
}

static void names_free(struct name_set *ns)
{
	ns_buf_free(&ns->arena);
	free(ns->slots);
	ns->slots = NULL;
	ns->nslots = ns->used = 0;
}

static size_t names_find(const struct name_set *ns, const char *s)
{
	size_t mask = ns->nslots - 1;
	size_t i = (size_t)hash_str(s) & mask;

	while (ns->slots[i] && strcmp(ns->arena.data + ns->slots[i] - 1, s) != 0)
		i = (i + 1) & mask;
	return i;
}

static int names_grow(struct name_set *ns)
{
	size_t n = ns->nslots ? ns->nslots * 2 : 512;
	uint32_t *old = ns->slots;
	size_t oldn = ns->nslots;

	ns->slots = calloc(n, sizeof(*ns->slots));
	if (!ns->slots) {
		ns->slots = old;
		return -ENOMEM;
	}
	ns->nslots = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i])
			ns->slots[names_find(ns, ns->arena.data + old[i] - 1)] = old[i];
	free(old);
	return 0;
}

/* 1 if @s was already handed out, 0 if it is now reserved, or -errno. */
static int names_add(struct name_set *ns, const char *s)
{
	size_t i, off;
	int rc;

	if ((ns->used + 1) * 2 > ns->nslots) {
		rc = names_grow(ns);
		if (rc)
			return rc;
	}
	i = names_find(ns, s);
	if (ns->slots[i])
		return 1;
	off = ns->arena.len;
	if (off >= UINT32_MAX)
		return -E2BIG;
	rc = ns_buf_append(&ns->arena, s, strlen(s) + 1);
	if (rc)
		return rc;
	ns->slots[i] = (uint32_t)off + 1;
	ns->used++;
	return 0;
}

static void lower_ident(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 1 < len; in++)
		out[o++] = isalnum((unsigned char)*in) ? (char)tolower((unsigned char)*in) : '_';
	out[o] = '\0';
}

static int is_gauge(const char *section, const char *field)
{
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++)
		if (!strcmp(gauges[i].section, section) && !strcmp(gauges[i].field, field))
			return 1;
	return 0;
}

/* Index + 1 in scaled[] of a (section, field), 0 if it is not converted. */
static int scaled_of(const char *section, const char *field)
{
	for (size_t i = 0; i < sizeof(scaled) / sizeof(scaled[0]); i++)
		if (!strcmp(scaled[i].section, section) && !strcmp(scaled[i].field, field))
			return (int)i + 1;
	return 0;
}

/*
 * Emit one field. @sect_lc/@field_sc are the name parts ("tcp", "retrans_segs";
 * @sect_lc may be empty), @what is "<Section>:<Field>" or the snmp6 name for HELP,
 * @sc the scaled_of() of the field (0: exposed as the kernel prints it).
 */
static void emit(struct snmp_state *st, struct ns_writer *w, const char *file, const char *sect_lc,
		 const char *field_sc, const char *what, int gauge, int sc, const char *val)
{
	char base[SNMP_NAME_LEN], uniq[SNMP_NAME_LEN + 16], name[SNMP_NAME_LEN + 32];
	char help[SNMP_NAME_LEN + 64];
	struct ns_family *f;
	uint64_t u;
	int64_t i;
	int rc;

	if (!*field_sc)
		return;
	snprintf(base, sizeof(base), "netstack_snmp_%s%s%s", sect_lc, *sect_lc ? "_" : "",
		 field_sc);
	/* The unit stays last: netstack_snmp_tcp_rto_min[_2]_seconds. */
	snprintf(uniq, sizeof(uniq), "%s%s%s", base, sc ? "_" : "", sc ? scaled[sc - 1].unit : "");
	rc = names_add(&st->names, uniq);
	for (unsigned n = 2; rc == 1; n++) {
		snprintf(uniq, sizeof(uniq), "%s_%u%s%s", base, n, sc ? "_" : "",
			 sc ? scaled[sc - 1].unit : "");
		rc = names_add(&st->names, uniq);
	}
	if (rc < 0) {
		ns_fail_set(&st->fail, rc, "%s/%s: %s: %s", st->root, file, what, strerror(-rc));
		return;
	}
	snprintf(name, sizeof(name), "%s%s", uniq, gauge ? "" : "_total");
	if (ns_writer_drops(w, name))
		return; /* not in another namespace's curated set */
	if (sc)
		snprintf(help, sizeof(help), "Kernel gauge %s from /proc/%s, in %s (%s there).",
			 what, file, scaled[sc - 1].unit, scaled[sc - 1].from);
	else
		snprintf(help, sizeof(help), "Kernel %s %s from /proc/%s.",
			 gauge ? "gauge" : "counter", what, file);
	f = ns_family(w, name, help, gauge ? NS_GAUGE : NS_COUNTER,
		      sc ? scaled[sc - 1].unit : NULL);
	if (!f) {
		ns_fail_set(&st->fail, -EINVAL, "%s/%s: %s: cannot create metric %s", st->root,
			    file, what, name);
		return;
	}
	if (sc && ns_parse_i64(val, &i) == 0) {
		rc = ns_sample_f64(w, f, NS_NOLABELS, (double)i / scaled[sc - 1].div);
	} else if (gauge && ns_parse_i64(val, &i) == 0) {
		rc = ns_sample_i64(w, f, NS_NOLABELS, i);
	} else if (ns_parse_u64(val, &u) == 0) {
		rc = ns_sample_u64(w, f, NS_NOLABELS, u);
	} else {
		ns_fail_set(&st->fail, -EINVAL, "%s/%s: %s: bad value '%s'", st->root, file, what,
			    val);
		return;
	}
	if (rc)
		ns_fail_set(&st->fail, rc, "%s/%s: %s: %s", st->root, file, what, strerror(-rc));
}

/* "Tcp:" -> "Tcp" in place; NULL if @tok is not a section prefix. */
static char *section_of(char *tok)
{
	size_t n = tok ? strlen(tok) : 0;

	if (n < 2 || tok[n - 1] != ':')
		return NULL;
	tok[n - 1] = '\0';
	return tok;
}

/* Does the line look like a value line (first column numeric)? */
static int is_value_line(const char *rest)
{
	while (*rest == ' ' || *rest == '\t')
		rest++;
	return *rest == '-' || isdigit((unsigned char)*rest);
}

static void parse_pairs(struct snmp_state *st, struct ns_writer *w, char *text, const char *file)
{
	char sect_lc[SNMP_PART_LEN], field_sc[SNMP_PART_LEN], what[2 * SNMP_PART_LEN];
	char *cur = text, *hline = NULL, *vline;
	char *hsect = NULL, *vsect, *field, *val;

	while ((vline = ns_next_line(&cur))) {
		char *vcur = vline;

		vsect = section_of(ns_next_token(&vcur));
		if (!vsect) {
			hline = NULL;
			continue;
		}
		if (!hline || strcmp(hsect, vsect) != 0 || !is_value_line(vcur)) {
			/* A new header (the previous one, if any, had no value line). */
			hline = is_value_line(vcur) ? NULL : vcur;
			hsect = vsect;
			continue;
		}
		lower_ident(hsect, sect_lc, sizeof(sect_lc));
		while ((field = ns_next_token(&hline)) && (val = ns_next_token(&vcur))) {
			ns_snake_case(field, field_sc, sizeof(field_sc));
			snprintf(what, sizeof(what), "%s:%s", hsect, field);
			emit(st, w, file, sect_lc, field_sc, what, is_gauge(hsect, field),
			     scaled_of(hsect, field), val);
		}
		hline = NULL;
	}
}

static void parse_snmp6(struct snmp_state *st, struct ns_writer *w, char *text, const char *file)
{
	char sect_lc[SNMP_PART_LEN], field_sc[SNMP_PART_LEN];
	char *cur = text, *line;

	while ((line = ns_next_line(&cur))) {
		char *lcur = line, *name = ns_next_token(&lcur), *val = ns_next_token(&lcur);
		size_t n = 0;

		if (!name || !val)
			continue;
		while (name[n] && !isdigit((unsigned char)name[n]))
			n++;
		while (isdigit((unsigned char)name[n]))
			n++;
		if (n && name[n] && n < sizeof(sect_lc)) {
			char sect[SNMP_PART_LEN];

			memcpy(sect, name, n);
			sect[n] = '\0';
			lower_ident(sect, sect_lc, sizeof(sect_lc));
			ns_snake_case(name + n, field_sc, sizeof(field_sc));
		} else {
			sect_lc[0] = '\0';
			ns_snake_case(name, field_sc, sizeof(field_sc));
		}
		emit(st, w, file, sect_lc, field_sc, name, 0, 0, val);
	}
}

static int snmp_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct snmp_state *st = calloc(1, sizeof(*st));

	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	st->snmp = (struct ns_file)NS_FILE_INIT;
	st->netstat = (struct ns_file)NS_FILE_INIT;
	st->snmp6 = (struct ns_file)NS_FILE_INIT;
	*state = st;
	return 0;
}

static int snmp_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	static const struct {
		const char *rel;
		const char *label; /* the file label of MISSING_NAME */
		int optional;
		int pairs;
	} files[] = {
	    {"net/snmp", "/proc/net/snmp", 0, 1},
	    {"net/netstat", "/proc/net/netstat", 1, 1},
	    {"net/snmp6", "/proc/net/snmp6", 1, 0},
	};
	struct snmp_state *st = state;
	struct ns_file *nf[] = {&st->snmp, &st->netstat, &st->snmp6};
	int missing[sizeof(files) / sizeof(files[0])];
	struct ns_family *fm;
	int rc;

	ns_fail_init(&st->fail, e);
	st->root = ctx->procfs_path;
	names_reset(&st->names);
	/* Reserved first: a kernel field "File:Missing" would get _2. */
	rc = names_add(&st->names, MISSING_NAME);
	if (rc < 0)
		ns_fail_set(&st->fail, rc, "%s", strerror(-rc));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		rc = ns_file_read(nf[i], ctx->procfs_fd, files[i].rel);
		missing[i] = rc == -ENOENT ? 1 : rc ? -1 : 0;
		if (rc == -ENOENT && files[i].optional)
			continue;
		if (rc) {
			ns_fail_set(&st->fail, rc, "%s/%s: %s", st->root, files[i].rel,
				    strerror(-rc));
			continue;
		}
		if (files[i].pairs)
			parse_pairs(st, w, nf[i]->buf.data, files[i].rel);
		else
			parse_snmp6(st, w, nf[i]->buf.data, files[i].rel);
	}
	fm = ns_family(w, MISSING_NAME,
		       "1 if the file does not exist in this procfs (none of its fields is then "
		       "exposed), 0 if it was read.",
		       NS_GAUGE, NULL);
	for (size_t i = 0; fm && i < sizeof(files) / sizeof(files[0]); i++) {
		if (missing[i] < 0) /* another error: reported as the collector's failure */
			continue;
		rc =
		    ns_sample_u64(w, fm, NS_LABELS({"file", files[i].label}), (uint64_t)missing[i]);
		if (rc)
			ns_fail_set(&st->fail, rc, "%s: %s", MISSING_NAME, strerror(-rc));
	}
	if (!fm)
		ns_fail_set(&st->fail, -EINVAL, "cannot create metric %s", MISSING_NAME);
	st->fail.e = NULL;
	return ns_fail_rc(&st->fail);
}

static void snmp_fini(void *state)
{
	struct snmp_state *st = state;

	if (!st)
		return;
	ns_file_close(&st->snmp);
	ns_file_close(&st->netstat);
	ns_file_close(&st->snmp6);
	names_free(&st->names);
	free(st);
}

const struct ns_collector ns_collector_snmp = {
    .name = "snmp",
    .help = "IP, ICMP, TCP, UDP and extended MIB counters (/proc/net/snmp, netstat, snmp6)",
    .default_enabled = true,
    .options = NULL,
    .init = snmp_init,
    .collect = snmp_collect,
    .fini = snmp_fini,
};
