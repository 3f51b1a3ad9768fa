// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * writer.c - the exposition writer: families, samples, escaping, numbers.
 *
 * Every family keeps its sample lines pre-formatted in its own buffer (the
 * sample lines are the same in text 0.0.4 and OpenMetrics 1.0.0; only the
 * HELP/TYPE/UNIT lines differ, and those are written at render time). A
 * per-family open-addressing index of formatted label sets detects repeated
 * series. Families are found through an open-addressing table of every name
 * a family reserves (its sample names and its OpenMetrics family name), so
 * families that would clash in either format are refused.
 *
 * Nothing is freed on reset: a warm writer does not allocate.
 */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "writer.h"

/*
 * One series of a family: 8 bytes, so the index of a large family stays in
 * cache. The label text it was added with is found at off1 - 1 in the
 * family's lines, and is always followed there by the ' ' before the value.
 */
struct series_ent {
	uint32_t hash; /* low 32 bits of the label text's hash */
	uint32_t off1; /* offset + 1 of the label text in lines; 0 = empty slot */
};

/* One reserved name; the family's own name when key == f->name. */
struct name_ent {
	uint64_t hash;
	const char *key; /* NULL = empty slot */
	struct ns_family *f;
};

#define MAX_RESERVED 5

struct ns_family {
	const struct ns_writer *owner;
	enum ns_mtype type;
	const char *name; /* as declared; sample name (histograms: prefix) */
	size_t name_len;
	const char *base; /* OpenMetrics family name */
	const char *help; /* NULL: no HELP line */
	const char *unit; /* NULL: no unit */
	const char *reserved[MAX_RESERVED];
	size_t nreserved;
	bool (*fkey)(const char *); /* the filter whose verdict is cached */
	bool fkeep;
	struct ns_buf lines; /* pre-formatted sample lines */
	size_t nseries;
	size_t nsamples; /* sample lines */
	struct series_ent *idx;
	size_t idx_cap; /* power of two */
	char strings[];
};

struct ns_writer {
	struct ns_family **fams; /* in order of declaration */
	size_t nfams, fams_cap;
	struct name_ent *names;
	size_t nnames, names_cap; /* power of two */
	const struct ns_label *cl;
	size_t ncl;
	struct ns_buf lbuf; /* scratch: the label set being added */
	unsigned dups;
	unsigned collisions; /* duplicates whose label values were lossy */
	size_t samples;
	struct ns_sample_filter *filter;
};

/*
 * Hash of a byte string, eight bytes at a time (a multiply-xorshift mix;
 * the series index hashes every sample's label text, so this is hot).
 */
static uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (n * 0xff51afd7ed558ccdULL);
	uint64_t w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
		h ^= h >> 31;
	}
	if (n) {
		w = 0;
		memcpy(&w, s, n);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
	}
	h ^= h >> 32;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 29;
	return h;
}

/* ---- names ---------------------------------------------------------- */

static int is_alpha_(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

int ns_valid_metric_name(const char *s)
{
	if (!s || !(is_alpha_(*s) || *s == ':'))
		return 0;
	for (s++; *s; s++)
		if (!(is_alpha_(*s) || is_digit(*s) || *s == ':'))
			return 0;
	return 1;
}

int ns_valid_label_name(const char *s)
{
	if (!s || !is_alpha_(*s))
		return 0;
	for (s++; *s; s++)
		if (!(is_alpha_(*s) || is_digit(*s)))
			return 0;
	return 1;
}

static int ends_with(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}

/* ---- escaping ------------------------------------------------------- */

/*
 * Length of the UTF-8 sequence at @s; *ok tells whether it is valid. For an
 * invalid one, the length is that of its maximal valid prefix (at least 1),
 * so one U+FFFD replaces each maximal subpart (as Unicode recommends and
 * Python's errors="replace" does).
 */
static size_t utf8_seq(const unsigned char *s, bool *ok)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
	} else if (c == 0xe0) {
		need = 2;
		lo = 0xa0;
	} else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef) {
		need = 2;
	} else if (c == 0xed) {
		need = 2;
		hi = 0x9f;
	} else if (c == 0xf0) {
		need = 3;
		lo = 0x90;
	} else if (c >= 0xf1 && c <= 0xf3) {
		need = 3;
	} else if (c == 0xf4) {
		need = 3;
		hi = 0x8f;
	} else {
		*ok = false;
		return 1;
	}
	for (size_t k = 1; k <= need; k++) {
		if (s[k] < lo || s[k] > hi) {
			*ok = false;
			return k;
		}
		lo = 0x80;
		hi = 0xbf;
	}
	*ok = true;
	return need + 1;
}

/*
 * Escape backslash, newline and (if @quote) double quote; fix UTF-8. *@lossy
 * (if not NULL) is set when invalid UTF-8 was replaced.
 */
static int put_escaped(struct ns_buf *b, const char *str, bool quote, bool *lossy)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t run = 0, i = 0;
	int rc = 0;

	while (s[i]) {
		unsigned char c = s[i];
		const char *rep = NULL;
		size_t skip = 1;

		if (c < 0x80) {
			if (c == '\\')
				rep = "\\\\";
			else if (c == '\n')
				rep = "\\n";
			else if (c == '"' && quote)
				rep = "\\\"";
		} else {
			bool ok;

			skip = utf8_seq(s + i, &ok);
			if (!ok) {
				rep = "\xef\xbf\xbd";
				if (lossy)
					*lossy = true;
			}
		}
		if (!rep) {
			i += skip;
			continue;
		}
		if (i > run)
			rc = ns_buf_append(b, s + run, i - run);
		if (!rc)
			rc = ns_buf_puts(b, rep);
		if (rc)
			return rc;
		i += skip;
		run = i;
	}
	if (i > run)
		rc = ns_buf_append(b, s + run, i - run);
	return rc;
}

int ns_fmt_label_value(struct ns_buf *b, const char *s)
{
	return put_escaped(b, s, true, NULL);
}

int ns_fmt_help(struct ns_buf *b, const char *s, enum ns_format fmt)
{
	return put_escaped(b, s, fmt == NS_FMT_OPENMETRICS, NULL);
}

/* ---- numbers -------------------------------------------------------- */

static pthread_once_t c_once = PTHREAD_ONCE_INIT;
static locale_t c_loc;

static void c_loc_init(void)
{
	c_loc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

/* Significant digits in the mantissa of "%e" output, trailing zeros dropped. */
static int mantissa_digits(const char *e)
{
	int n = 0, last = 1;

	for (const char *p = e; *p && *p != 'e'; p++) {
		if (!is_digit(*p))
			continue;
		n++;
		if (*p != '0')
			last = n;
	}
	return last;
}

static bool round_trips(const char *s, double v)
{
	return strtod_l(s, NULL, c_loc) == v;
}

/* Integers below 2^53 are exact doubles: their digits are the shortest form. */
#define EXACT_INT_LIMIT 9007199254740992.0

static void fmt_exact_int(char out[64], double v)
{
	char tmp[24], *p = ns_u64_digits(tmp + sizeof(tmp), (uint64_t)fabs(v));
	size_t n;

	if (signbit(v))
		*--p = '-'; /* also "-0" for negative zero */
	n = (size_t)(tmp + sizeof(tmp) - p);
	memcpy(out, p, n);
	out[n] = '\0';
}

/*
 * @e is "%.{p-1}e" or longer "%e" output whose first @p significant digits
 * are the correctly rounded p-digit decimal of the value (what follows them
 * in the mantissa is zeros). Lay it out as "%.{p-1}e" would, or positionally
 * as "%.{p-1-x}f" would (p - 1 - x >= 0: the digits end at or after the
 * point, so the same correctly rounded decimal is printed).
 */
static void fmt_from_digits(char out[64], const char *e, int p, int x, bool positional)
{
	const char *m = e, *ex = strchr(e, 'e');
	char dig[20];
	int nd = 0, k = 0;

	if (*m == '-')
		out[k++] = *m++;
	for (; m < ex && nd < p; m++)
		if (*m != '.')
			dig[nd++] = *m;
	if (!positional) {
		out[k++] = dig[0];
		if (p > 1) {
			out[k++] = '.';
			memcpy(out + k, dig + 1, (size_t)p - 1);
			k += p - 1;
		}
		strcpy(out + k, ex);
		return;
	}
	if (x < 0) {
		out[k++] = '0';
		out[k++] = '.';
		for (int z = 0; z < -x - 1; z++)
			out[k++] = '0';
		memcpy(out + k, dig, (size_t)p);
		k += p;
	} else {
		memcpy(out + k, dig, (size_t)x + 1);
		k += x + 1;
		if (p > x + 1) {
			out[k++] = '.';
			memcpy(out + k, dig + x + 1, (size_t)(p - x - 1));
			k += p - x - 1;
		}
	}
	out[k] = '\0';
}

/*
 * Shortest round-trip: the fewest significant digits P for which the
 * correctly rounded decimal parses back to @v. Laid out like Python's repr()
 * (without a trailing ".0"): positional if the decimal exponent is in
 * [-4, 16), otherwise d[.ddd]e±XX. Integers below 2^53 take a fast path
 * without printf; others print "%e" once per candidate length and build the
 * result from its digits (tests/unit/test_writer.c compares the output with
 * Python's repr() on 200,000 values and edge cases).
 */
static int fmt_double(char out[64], double v)
{
	char e[40];
	locale_t old;
	int p, x;

	if (isnan(v)) {
		strcpy(out, "NaN");
		return 0;
	}
	if (isinf(v)) {
		strcpy(out, v > 0 ? "+Inf" : "-Inf");
		return 0;
	}
	if (fabs(v) < EXACT_INT_LIMIT && v == trunc(v)) {
		fmt_exact_int(out, v);
		return 0;
	}
	pthread_once(&c_once, c_loc_init);
	if (c_loc == (locale_t)0)
		return -ENOMEM;
	old = uselocale(c_loc);
	if (fabs(v) >= DBL_MIN) {
		/*
		 * Any decimal of <= 15 digits survives a trip through a normal
		 * double (DBL_DIG), so if %.15 round-trips, its digits without
		 * trailing zeros are the shortest; otherwise it is 16 or 17.
		 */
		snprintf(e, sizeof(e), "%.14e", v);
		if (round_trips(e, v)) {
			p = mantissa_digits(e);
		} else {
			snprintf(e, sizeof(e), "%.15e", v);
			p = 16;
			if (!round_trips(e, v)) {
				snprintf(e, sizeof(e), "%.16e", v);
				p = 17;
			}
		}
	} else {
		/* subnormal: fewer digits are significant, search */
		for (p = 1; p < 17; p++) {
			snprintf(e, sizeof(e), "%.*e", p - 1, v);
			if (round_trips(e, v))
				break;
		}
		if (p == 17)
			snprintf(e, sizeof(e), "%.16e", v);
	}
	x = atoi(strchr(e, 'e') + 1);
	if (x >= -4 && x < 16 && p - 1 - x < 0)
		snprintf(out, 64, "%.0f", v); /* >= 2^53: the exact integer */
	else
		fmt_from_digits(out, e, p, x, x >= -4 && x < 16);
	uselocale(old);
	return 0;
}

int ns_fmt_double(struct ns_buf *b, double v)
{
	char tmp[64];
	int rc = fmt_double(tmp, v);

	return rc ? rc : ns_buf_puts(b, tmp);
}

/* ---- writer --------------------------------------------------------- */

struct ns_writer *ns_writer_new(void)
{
	return calloc(1, sizeof(struct ns_writer));
}

static void family_free(struct ns_family *f)
{
	ns_buf_free(&f->lines);
	free(f->idx);
	free(f);
}

void ns_writer_free(struct ns_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nfams; i++)
		family_free(w->fams[i]);
	free(w->fams);
	free(w->names);
	ns_buf_free(&w->lbuf);
	free(w);
}

void ns_writer_reset(struct ns_writer *w)
{
	for (size_t i = 0; i < w->nfams; i++) {
		struct ns_family *f = w->fams[i];

		ns_buf_reset(&f->lines);
		if (f->nseries)
			memset(f->idx, 0, f->idx_cap * sizeof(*f->idx));
		f->nseries = 0;
		f->nsamples = 0;
	}
	w->dups = 0;
	w->collisions = 0;
	w->samples = 0;
}

void ns_writer_set_const_labels(struct ns_writer *w, const struct ns_label *l, size_t n)
{
	w->cl = n ? l : NULL;
	w->ncl = n;
}

void ns_writer_set_filter(struct ns_writer *w, struct ns_sample_filter *f)
{
	w->filter = f;
}

bool ns_writer_drops(const struct ns_writer *w, const char *name)
{
	return w && w->filter && w->filter->keep && !w->filter->keep(name);
}

/* True if a sample of @f is to be dropped by the writer's filter. */
static bool filtered(struct ns_writer *w, struct ns_family *f)
{
	struct ns_sample_filter *flt = w->filter;

	if (!flt)
		return false;
	if (flt->keep && f->fkey != flt->keep) {
		f->fkey = flt->keep;
		f->fkeep = flt->keep(f->name);
	}
	if (flt->keep && !f->fkeep)
		return true;
	if (!flt->left) {
		flt->refused++;
		return true;
	}
	return false;
}

unsigned ns_writer_duplicates(const struct ns_writer *w)
{
	return w->dups;
}

unsigned ns_writer_collisions(const struct ns_writer *w)
{
	return w->collisions;
}

size_t ns_writer_samples(const struct ns_writer *w)
{
	return w->samples;
}

static struct name_ent *name_find(const struct ns_writer *w, const char *key, uint64_t h)
{
	size_t mask = w->names_cap - 1;

	if (!w->names_cap)
		return NULL;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct name_ent *e = &w->names[i];

		if (!e->key)
			return NULL;
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	}
}

static void name_put(struct name_ent *tab, size_t cap, const struct name_ent *ne)
{
	size_t mask = cap - 1, i = ne->hash & mask;

	while (tab[i].key)
		i = (i + 1) & mask;
	tab[i] = *ne;
}

static int names_reserve(struct ns_writer *w, size_t extra)
{
	size_t cap = w->names_cap ? w->names_cap : 64;
	struct name_ent *tab;

	while ((w->nnames + extra) * 2 > cap)
		cap *= 2;
	if (cap == w->names_cap)
		return 0;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < w->names_cap; i++)
		if (w->names[i].key)
			name_put(tab, cap, &w->names[i]);
	free(w->names);
	w->names = tab;
	w->names_cap = cap;
	return 0;
}

static bool same_unit(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static char *stash(char **p, const char *s, size_t n)
{
	char *r = *p;

	memcpy(r, s, n);
	r[n] = '\0';
	*p += n + 1;
	return r;
}

struct ns_family *ns_family(struct ns_writer *w, const char *name, const char *help,
			    enum ns_mtype type, const char *unit)
{
	static const char *const suffixes[][MAX_RESERVED] = {
	    [NS_GAUGE] = {""},
	    [NS_UNTYPED] = {""},
	    [NS_COUNTER] = {"", "_total", "_created"},
	    [NS_INFO] = {"", "_info"},
	    [NS_HISTOGRAM] = {"", "_bucket", "_sum", "_count", "_created"},
	};
	size_t len, blen, ulen, hlen, size, nres = 0;
	struct name_ent *e;
	struct ns_family *f;
	char *p;

	if (!w || !name || (unsigned)type > NS_UNTYPED)
		return NULL;
	if (unit && !*unit)
		unit = NULL;
	e = name_find(w, name, hash_bytes(name, strlen(name)));
	if (e) {
		f = e->f;
		/* a name reserved by another family, or a redeclaration */
		if (e->key != f->name || f->type != type || !same_unit(f->unit, unit))
			return NULL;
		return f;
	}

	if (!ns_valid_metric_name(name))
		return NULL;
	len = blen = strlen(name);
	if (type == NS_COUNTER) {
		if (!ends_with(name, len, "_total"))
			return NULL;
		blen -= strlen("_total");
	} else if (type == NS_INFO) {
		if (!ends_with(name, len, "_info") || unit)
			return NULL;
		blen -= strlen("_info");
	}
	if (blen == 0)
		return NULL;
	if (unit) {
		ulen = strlen(unit);
		for (const char *u = unit; *u; u++)
			if (!(is_alpha_(*u) || is_digit(*u) || *u == ':'))
				return NULL;
		if (blen < ulen + 1 || name[blen - ulen - 1] != '_' ||
		    memcmp(name + blen - ulen, unit, ulen) != 0)
			return NULL;
	}

	/* every name this family reserves must be free */
	for (size_t i = 0; i < MAX_RESERVED && suffixes[type][i]; i++) {
		char tmp[512];
		int n = snprintf(tmp, sizeof(tmp), "%.*s%s", (int)blen, name, suffixes[type][i]);

		if (n < 0 || (size_t)n >= sizeof(tmp))
			return NULL;
		if (name_find(w, tmp, hash_bytes(tmp, (size_t)n)))
			return NULL;
		nres++;
	}

	hlen = help ? strlen(help) : 0;
	size = sizeof(*f) + len + 1 + (help ? hlen + 1 : 0) + (unit ? strlen(unit) + 1 : 0);
	for (size_t i = 0; i < nres; i++)
		size += blen + strlen(suffixes[type][i]) + 1;
	if (names_reserve(w, nres))
		return NULL;
	if (NS_ARRAY_GROW(w->fams, w->fams_cap, w->nfams + 1, 32))
		return NULL;
	f = calloc(1, size);
	if (!f)
		return NULL;
	f->owner = w;
	f->type = type;
	p = f->strings;
	f->name = stash(&p, name, len);
	f->name_len = len;
	f->help = help ? stash(&p, help, hlen) : NULL;
	f->unit = unit ? stash(&p, unit, strlen(unit)) : NULL;
	for (size_t i = 0; i < nres; i++) {
		const char *suf = suffixes[type][i];
		char *r = p;

		memcpy(p, name, blen);
		p += blen;
		stash(&p, suf, strlen(suf));
		f->reserved[i] = r;
		if (strcmp(r, name) == 0)
			f->reserved[i] = f->name; /* the primary entry */
	}
	f->nreserved = nres;
	f->base = f->reserved[0];
	for (size_t i = 0; i < nres; i++) {
		struct name_ent ne = {hash_bytes(f->reserved[i], strlen(f->reserved[i])),
				      f->reserved[i], f};

		name_put(w->names, w->names_cap, &ne);
		w->nnames++;
	}
	w->fams[w->nfams++] = f;
	return f;
}

/* ---- samples -------------------------------------------------------- */

static int put_label(struct ns_buf *b, const struct ns_label *l, bool first, bool *lossy)
{
	int rc = first ? 0 : ns_buf_putc(b, ',');

	if (!rc)
		rc = ns_buf_puts(b, l->name);
	if (!rc)
		rc = ns_buf_append(b, "=\"", 2);
	if (!rc)
		rc = put_escaped(b, l->value, true, lossy);
	if (!rc)
		rc = ns_buf_putc(b, '"');
	return rc;
}

static const struct ns_label *label_at(const struct ns_writer *w, const struct ns_label *l,
				       size_t i)
{
	return i < w->ncl ? &w->cl[i] : &l[i - w->ncl];
}

/*
 * Validate and format "{const..., labels...}" (or nothing) into @out.
 * *@has_le tells whether a label is named "le" (refused for histograms),
 * *@lossy whether a value had invalid UTF-8 replaced.
 */
static int fmt_labels(const struct ns_writer *w, struct ns_buf *out, const struct ns_label *l,
		      size_t n, bool *has_le, bool *lossy)
{
	size_t total = w->ncl + n;
	int rc = 0;

	ns_buf_reset(out);
	*has_le = false;
	*lossy = false;
	if (!total)
		return 0;
	if (n && !l)
		return -EINVAL;
	for (size_t i = 0; i < total; i++) {
		const struct ns_label *li = label_at(w, l, i);

		if (!ns_valid_label_name(li->name) || !li->value ||
		    (li->name[0] == '_' && li->name[1] == '_'))
			return -EINVAL;
		if (li->name[0] == 'l' && li->name[1] == 'e' && !li->name[2])
			*has_le = true;
		for (size_t j = 0; j < i; j++)
			if (strcmp(label_at(w, l, j)->name, li->name) == 0)
				return -EINVAL;
	}
	rc = ns_buf_putc(out, '{');
	for (size_t i = 0; i < total && !rc; i++)
		rc = put_label(out, label_at(w, l, i), i == 0, lossy);
	if (!rc)
		rc = ns_buf_putc(out, '}');
	return rc;
}

static int idx_reserve(struct ns_family *f)
{
	size_t cap = f->idx_cap ? f->idx_cap : 8;
	struct series_ent *tab;

	while ((f->nseries + 1) * 2 > cap)
		cap *= 2;
	if (cap == f->idx_cap)
		return 0;
	tab = calloc(cap, sizeof(*tab));
	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < f->idx_cap; i++) {
		size_t j;

		if (!f->idx[i].off1)
			continue;
		for (j = f->idx[i].hash & (cap - 1); tab[j].off1; j = (j + 1) & (cap - 1))
			;
		tab[j] = f->idx[i];
	}
	free(f->idx);
	f->idx = tab;
	f->idx_cap = cap;
	return 0;
}

/* A formatted label set: the text and its hash (len == 0: no labels). */
struct label_text {
	const char *data;
	size_t len;
	uint64_t hash;
	bool has_le;
	bool lossy; /* a value had invalid UTF-8 replaced */
};

/*
 * Find the slot of the label set in the family's series index. -EEXIST
 * (counted) if the family already has this series: as a collision if the
 * label text is lossy (two values that differ only in invalid UTF-8), else
 * as a duplicate.
 */
static int series_begin(struct ns_writer *w, struct ns_family *f, const struct label_text *lt,
			size_t *slot)
{
	size_t mask, i;
	int rc;

	if (!w || !f || f->owner != w)
		return -EINVAL;
	if (f->type == NS_HISTOGRAM && lt->has_le)
		return -EINVAL;
	rc = idx_reserve(f);
	if (rc)
		return rc;
	mask = f->idx_cap - 1;
	for (i = lt->hash & mask; f->idx[i].off1; i = (i + 1) & mask) {
		const struct series_ent *e = &f->idx[i];
		size_t off = e->off1 - 1;

		if (e->hash == (uint32_t)lt->hash && off + lt->len < f->lines.len &&
		    f->lines.data[off + lt->len] == ' ' &&
		    (!lt->len || memcmp(f->lines.data + off, lt->data, lt->len) == 0)) {
			if (lt->lossy)
				w->collisions++;
			else
				w->dups++;
			return -EEXIST;
		}
	}
	*slot = i;
	return 0;
}

/* Validate and format @l into the writer's scratch buffer. */
static int scratch_labels(struct ns_writer *w, const struct ns_label *l, size_t n,
			  struct label_text *lt)
{
	int rc = fmt_labels(w, &w->lbuf, l, n, &lt->has_le, &lt->lossy);

	if (rc)
		return rc;
	lt->data = w->lbuf.data;
	lt->len = w->lbuf.len;
	lt->hash = hash_bytes(lt->data, lt->len);
	return 0;
}

/* Record the series (label text at @off in f->lines), or undo on error. */
static int series_end(struct ns_writer *w, struct ns_family *f, int rc, size_t start, size_t off,
		      uint64_t h, size_t slot, size_t nlines)
{
	if (rc) {
		f->lines.len = start;
		if (f->lines.data)
			f->lines.data[start] = '\0';
		return rc;
	}
	if (off >= UINT32_MAX) {
		/* a family of 4 GiB: refuse rather than index it wrongly */
		f->lines.len = start;
		f->lines.data[start] = '\0';
		return -E2BIG;
	}
	f->idx[slot].hash = (uint32_t)h;
	f->idx[slot].off1 = (uint32_t)off + 1;
	f->nseries++;
	f->nsamples += nlines;
	w->samples += nlines;
	if (w->filter)
		w->filter->left--;
	return 0;
}

static int put_labels(struct ns_buf *b, const struct label_text *lt)
{
	return lt->len ? ns_buf_append(b, lt->data, lt->len) : 0;
}

enum vkind {
	VK_U64,
	VK_I64,
	VK_F64,
};

/*
 * "name{labels} <integer>\n" in one piece: one capacity check instead of
 * one per part (this is the path of nearly every sample). @off gets the
 * offset of the label text.
 */
static int put_int_line(struct ns_buf *b, const struct ns_family *f, const struct label_text *lt,
			bool neg, uint64_t u, size_t *off)
{
	char num[24], *p = ns_u64_digits(num + sizeof(num), u), *d;
	size_t nn, need;

	if (neg)
		*--p = '-';
	nn = (size_t)(num + sizeof(num) - p);
	need = f->name_len + lt->len + nn + 2;
	if (b->len + need >= b->cap && ns_buf_reserve(b, need))
		return -ENOMEM;
	d = b->data + b->len;
	memcpy(d, f->name, f->name_len);
	d += f->name_len;
	*off = (size_t)(d - b->data);
	if (lt->len)
		memcpy(d, lt->data, lt->len);
	d += lt->len;
	*d++ = ' ';
	memcpy(d, p, nn);
	d += nn;
	*d++ = '\n';
	*d = '\0';
	b->len = (size_t)(d - b->data);
	return 0;
}

static int sample(struct ns_writer *w, struct ns_family *f, const struct label_text *lt,
		  enum vkind k, uint64_t u, int64_t i, double d)
{
	struct ns_buf *b;
	size_t start, off = 0, slot = 0;
	int rc;

	if (f && f->type == NS_HISTOGRAM)
		return -EINVAL;
	rc = series_begin(w, f, lt, &slot);
	if (rc)
		return rc;
	b = &f->lines;
	start = b->len;
	if (f->type == NS_INFO || k != VK_F64) {
		if (f->type == NS_INFO)
			rc = put_int_line(b, f, lt, false, 1, &off);
		else if (k == VK_U64)
			rc = put_int_line(b, f, lt, false, u, &off);
		else
			rc = put_int_line(b, f, lt, i < 0,
					  i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i, &off);
		return series_end(w, f, rc, start, off, lt->hash, slot, 1);
	}
	rc = ns_buf_append(b, f->name, f->name_len);
	off = b->len;
	if (!rc)
		rc = put_labels(b, lt);
	if (!rc)
		rc = ns_buf_putc(b, ' ');
	if (!rc)
		rc = ns_fmt_double(b, d);
	if (!rc)
		rc = ns_buf_putc(b, '\n');
	return series_end(w, f, rc, start, off, lt->hash, slot, 1);
}

static int sample_labels(struct ns_writer *w, struct ns_family *f, const struct ns_label *l,
			 size_t n, enum vkind k, uint64_t u, int64_t i, double d)
{
	struct label_text lt;
	int rc;

	if (!w || !f || f->owner != w)
		return -EINVAL;
	if (filtered(w, f))
		return 0;
	rc = scratch_labels(w, l, n, &lt);
	return rc ? rc : sample(w, f, &lt, k, u, i, d);
}

int ns_sample_u64(struct ns_writer *w, struct ns_family *f, const struct ns_label *l, size_t n,
		  uint64_t v)
{
	return sample_labels(w, f, l, n, VK_U64, v, 0, 0);
}

int ns_sample_i64(struct ns_writer *w, struct ns_family *f, const struct ns_label *l, size_t n,
		  int64_t v)
{
	return sample_labels(w, f, l, n, VK_I64, 0, v, 0);
}

int ns_sample_f64(struct ns_writer *w, struct ns_family *f, const struct ns_label *l, size_t n,
		  double v)
{
	return sample_labels(w, f, l, n, VK_F64, 0, 0, v);
}

/* ---- label sets ----------------------------------------------------- */

int ns_labelset_set(struct ns_labelset *ls, struct ns_writer *w, const struct ns_label *l, size_t n)
{
	int rc;

	ls->w = NULL;
	if (!w)
		return ls->err = -EINVAL;
	rc = fmt_labels(w, &ls->text, l, n, &ls->has_le, &ls->lossy);
	ls->err = rc;
	if (rc)
		return rc;
	ls->hash = hash_bytes(ls->text.data, ls->text.len);
	ls->w = w;
	ls->cl = w->cl;
	ls->ncl = w->ncl;
	return 0;
}

void ns_labelset_free(struct ns_labelset *ls)
{
	ns_buf_free(&ls->text);
	memset(ls, 0, sizeof(*ls));
}

/* A sample with the text of a label set, if it is still valid for @w. */
static int sample_ls(struct ns_writer *w, struct ns_family *f, const struct ns_labelset *ls,
		     enum vkind k, uint64_t u, double d)
{
	struct label_text lt;

	if (!w || !ls)
		return -EINVAL;
	if (ls->err)
		return ls->err;
	/* built for another writer, or before its constant labels changed */
	if (ls->w != w || ls->cl != w->cl || ls->ncl != w->ncl)
		return -EINVAL;
	if (f && f->owner == w && filtered(w, f))
		return 0;
	lt.data = ls->text.data;
	lt.len = ls->text.len;
	lt.hash = ls->hash;
	lt.has_le = ls->has_le;
	lt.lossy = ls->lossy;
	return sample(w, f, &lt, k, u, 0, d);
}

int ns_sample_u64_ls(struct ns_writer *w, struct ns_family *f, const struct ns_labelset *ls,
		     uint64_t v)
{
	return sample_ls(w, f, ls, VK_U64, v, 0);
}

int ns_sample_f64_ls(struct ns_writer *w, struct ns_family *f, const struct ns_labelset *ls,
		     double v)
{
	return sample_ls(w, f, ls, VK_F64, 0, v);
}

/* ---- histograms ----------------------------------------------------- */

/* name_bucket{labels...,le="<le>"} <v> */
static int put_bucket(struct ns_buf *b, const struct ns_family *f, const struct label_text *lt,
		      double le, uint64_t v)
{
	int rc = ns_buf_append(b, f->name, f->name_len);

	if (!rc)
		rc = ns_buf_puts(b, "_bucket");
	if (!rc && lt->len)
		rc = ns_buf_append(b, lt->data, lt->len - 1);
	if (!rc)
		rc = ns_buf_puts(b, lt->len ? ",le=\"" : "{le=\"");
	if (!rc)
		rc = ns_fmt_double(b, le);
	if (!rc)
		rc = ns_buf_append(b, "\"} ", 3);
	if (!rc)
		rc = ns_buf_put_u64(b, v);
	if (!rc)
		rc = ns_buf_putc(b, '\n');
	return rc;
}

int ns_sample_histogram(struct ns_writer *w, struct ns_family *f, const struct ns_label *l,
			size_t n, const double *le, const uint64_t *buckets, size_t nb,
			uint64_t count, double sum)
{
	struct label_text lt;
	struct ns_buf *b;
	size_t start, off = 0, slot = 0;
	int rc;

	if (!w || !f || f->owner != w || f->type != NS_HISTOGRAM || (nb && (!le || !buckets)))
		return -EINVAL;
	for (size_t i = 0; i < nb; i++) {
		if (isnan(le[i]) || (isinf(le[i]) && le[i] > 0))
			return -EINVAL;
		if (i && (le[i] <= le[i - 1] || buckets[i] < buckets[i - 1]))
			return -EINVAL;
	}
	if (nb && buckets[nb - 1] > count)
		return -EINVAL;
	if (filtered(w, f))
		return 0;
	rc = scratch_labels(w, l, n, &lt);
	if (!rc)
		rc = series_begin(w, f, &lt, &slot);
	if (rc)
		return rc;
	b = &f->lines;
	start = b->len;
	for (size_t i = 0; i < nb && !rc; i++)
		rc = put_bucket(b, f, &lt, le[i], buckets[i]);
	if (!rc)
		rc = put_bucket(b, f, &lt, INFINITY, count);
	if (!rc)
		rc = ns_buf_append(b, f->name, f->name_len);
	if (!rc)
		rc = ns_buf_puts(b, "_sum");
	off = b->len;
	if (!rc)
		rc = put_labels(b, &lt);
	if (!rc)
		rc = ns_buf_putc(b, ' ');
	if (!rc)
		rc = ns_fmt_double(b, sum);
	if (!rc)
		rc = ns_buf_putc(b, '\n');
	if (!rc)
		rc = ns_buf_append(b, f->name, f->name_len);
	if (!rc)
		rc = ns_buf_puts(b, "_count");
	if (!rc)
		rc = put_labels(b, &lt);
	if (!rc)
		rc = ns_buf_putc(b, ' ');
	if (!rc)
		rc = ns_buf_put_u64(b, count);
	if (!rc)
		rc = ns_buf_putc(b, '\n');
	return series_end(w, f, rc, start, off, lt.hash, slot, nb + 3);
}

/* ---- rendering ------------------------------------------------------ */

static const char *type_name(enum ns_mtype t, enum ns_format fmt)
{
	bool om = fmt == NS_FMT_OPENMETRICS;

	switch (t) {
	case NS_COUNTER:
		return "counter";
	case NS_INFO:
		return om ? "info" : "gauge";
	case NS_HISTOGRAM:
		return "histogram";
	case NS_UNTYPED:
		return om ? "unknown" : "untyped";
	case NS_GAUGE:
	default:
		return "gauge";
	}
}

/* "<what><name> " and, with @value, "<value>\n" */
static int put_meta(struct ns_buf *out, const char *what, const char *name, const char *value)
{
	int rc = ns_buf_puts(out, what);

	if (!rc)
		rc = ns_buf_puts(out, name);
	if (!rc)
		rc = ns_buf_putc(out, ' ');
	if (!rc && value) {
		rc = ns_buf_puts(out, value);
		if (!rc)
			rc = ns_buf_putc(out, '\n');
	}
	return rc;
}

static int render_family(const struct ns_family *f, enum ns_format fmt, struct ns_buf *out)
{
	const char *hn = fmt == NS_FMT_OPENMETRICS ? f->base : f->name;
	int rc = 0;

	/* Concatenated, not printf'd: this runs for every family of every scrape. */
	if (f->help && *f->help) {
		rc = put_meta(out, "# HELP ", hn, NULL);
		if (!rc)
			rc = ns_fmt_help(out, f->help, fmt);
		if (!rc)
			rc = ns_buf_putc(out, '\n');
	}
	if (!rc)
		rc = put_meta(out, "# TYPE ", hn, type_name(f->type, fmt));
	if (!rc && f->unit && fmt == NS_FMT_OPENMETRICS)
		rc = put_meta(out, "# UNIT ", hn, f->unit);
	if (!rc)
		rc = ns_buf_append(out, f->lines.data, f->lines.len);
	return rc;
}

int ns_writer_render(const struct ns_writer *w, enum ns_format fmt, struct ns_buf *out)
{
	for (size_t i = 0; i < w->nfams; i++) {
		const struct ns_family *f = w->fams[i];
		int rc;

		if (!f->nsamples)
			continue;
		rc = render_family(f, fmt, out);
		if (rc)
			return rc;
	}
	return 0;
}
