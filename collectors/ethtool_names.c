// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ethtool_names.c - driver statistic names (ethtool -S) to metric names
 * and labels, built once per device and driver; the patterns and the
 * collision rule are described at the top of ethtool.c.
 */
#include "ethtool.h"

static bool et_stat_wanted(const struct et_state *st, const char *name)
{
	return ns_namefilter_wanted(&st->stats, name);
}

/* ---- per-queue name recognition ---- */

static int et_dir_prefix(const char *s, size_t *len)
{
	if (strncmp(s, "rx", 2) == 0) {
		*len = 2;
		return ET_DIR_RX;
	}
	if (strncmp(s, "tx", 2) == 0) {
		*len = 2;
		return ET_DIR_TX;
	}
	return ET_DIR_NONE;
}

/* Up to 5 decimal digits at *s; advances *s. */
static bool et_number(const char **s, char *out, size_t size)
{
	size_t n = 0;

	while ((*s)[n] >= '0' && (*s)[n] <= '9' && n < 5)
		n++;
	if (n == 0 || ((*s)[n] >= '0' && (*s)[n] <= '9') || n >= size)
		return false;
	memcpy(out, *s, n);
	out[n] = '\0';
	*s += n;
	return true;
}

/*
 * Split a per-queue statistic name. On success *stat points into @name at
 * the statistic part, queue and direction are set.
 */
static bool et_split_queue(const char *name, const char **stat, char *queue, size_t qsize, int *dir)
{
	const char *p = name;
	size_t dl;
	int d;

	*dir = ET_DIR_NONE;
	if (strncmp(p, "queue_", 6) == 0) { /* queue_N_d_S */
		p += 6;
		if (!et_number(&p, queue, qsize) || *p++ != '_')
			return false;
		d = et_dir_prefix(p, &dl);
		if (d == ET_DIR_NONE || p[dl] != '_')
			return false;
		*dir = d;
		p += dl + 1;
	} else if (p[0] == '[') { /* [N]: S */
		p++;
		if (!et_number(&p, queue, qsize) || strncmp(p, "]: ", 3) != 0)
			return false;
		p += 3;
		d = et_dir_prefix(p, &dl);
		if (d != ET_DIR_NONE && p[dl] == '_') {
			*dir = d;
			p += dl + 1;
		}
	} else if (strncmp(p, "ch", 2) == 0 && p[2] >= '0' && p[2] <= '9') { /* chN_S */
		p += 2;
		if (!et_number(&p, queue, qsize) || *p++ != '_')
			return false;
	} else {
		d = et_dir_prefix(p, &dl);
		if (d == ET_DIR_NONE)
			return false;
		p += dl;
		if (strncmp(p, "_queue_", 7) == 0) { /* d_queue_N_S */
			p += 7;
			if (!et_number(&p, queue, qsize) || *p++ != '_')
				return false;
		} else if (*p == '-') { /* d-N.S */
			p++;
			if (!et_number(&p, queue, qsize) || *p++ != '.')
				return false;
		} else if (*p == 'q' && p[1] >= '0' && p[1] <= '9') { /* dqN_S */
			p++;
			if (!et_number(&p, queue, qsize) || *p++ != '_')
				return false;
		} else if (*p >= '0' && *p <= '9') { /* dN_S */
			if (!et_number(&p, queue, qsize) || *p++ != '_')
				return false;
		} else {
			return false;
		}
		*dir = d;
		/* "rx-0.rx_packets": the direction again */
		if (et_dir_prefix(p, &dl) == d && p[dl] == '_' && p[dl + 1])
			p += dl + 1;
	}
	if (!*p)
		return false;
	*stat = p;
	return true;
}

/* ---- building the name map (only when the strings change) ---- */

struct et_keyset {
	uint64_t *h;
	size_t cap;
};

static uint64_t et_fnv(const char *a, const char *b, uint8_t dir)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *a; a++)
		h = (h ^ (uint8_t)*a) * 1099511628211ULL;
	h = (h ^ 1) * 1099511628211ULL;
	for (; *b; b++)
		h = (h ^ (uint8_t)*b) * 1099511628211ULL;
	h = (h ^ (2 + dir)) * 1099511628211ULL;
	return h ? h : 1;
}

/* Is (name, queue, dir) taken by an earlier statistic? Exact check over the map. */
static bool et_taken(const struct et_dev *d, uint32_t upto, const struct et_keyset *ks,
		     const char *name, const char *queue, uint8_t dir)
{
	uint64_t h = et_fnv(name, queue, dir);
	size_t s = h & (ks->cap - 1);

	for (; ks->h[s]; s = (s + 1) & (ks->cap - 1)) {
		if (ks->h[s] != h)
			continue;
		for (uint32_t i = 0; i < upto; i++) {
			const struct et_stat *o = &d->map[i];

			if (o->dir == dir && strcmp(o->queue, queue) == 0 &&
			    strcmp(d->names.data + o->name_off, name) == 0)
				return true;
		}
		return false;
	}
	return false;
}

static void et_key_add(struct et_keyset *ks, const char *name, const char *queue, uint8_t dir)
{
	uint64_t h = et_fnv(name, queue, dir);
	size_t s = h & (ks->cap - 1);

	while (ks->h[s] && ks->h[s] != h)
		s = (s + 1) & (ks->cap - 1);
	ks->h[s] = h;
}

int et_build_map(struct et_state *st, struct et_dev *d, const char *strings, uint32_t n)
{
	struct et_keyset ks = {NULL, 64};
	struct et_stat *map;
	char raw[ETH_GSTRING_LEN + 1], snake[ET_NAME_MAX], cand[ET_NAME_MAX + 96];
	int rc = 0;

	while (ks.cap < (size_t)n * 2 + 2)
		ks.cap *= 2;
	ks.h = calloc(ks.cap, sizeof(*ks.h));
	map = realloc(d->map, (n ? n : 1) * sizeof(*map));
	if (!ks.h || !map) {
		free(ks.h);
		if (map)
			d->map = map;
		d->nstr = 0;
		return -ENOMEM;
	}
	d->map = map;
	ns_buf_reset(&d->names);
	for (uint32_t i = 0; i < n; i++) {
		struct et_stat *s = &map[i];
		const char *stat;
		int dir;

		memcpy(raw, strings + (size_t)i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		raw[ETH_GSTRING_LEN] = '\0';
		s->wanted = et_stat_wanted(st, raw);
		s->queue[0] = '\0';
		if (et_split_queue(raw, &stat, s->queue, sizeof(s->queue), &dir)) {
			s->dir = (uint8_t)dir;
			ns_snake_case(stat, snake, sizeof(snake));
			snprintf(cand, sizeof(cand), "netstack_ethtool_queue_%s",
				 snake[0] ? snake : "unnamed");
		} else {
			s->dir = ET_DIR_NONE;
			s->queue[0] = '\0';
			ns_snake_case(raw, snake, sizeof(snake));
			snprintf(cand, sizeof(cand), "netstack_ethtool_driver_%s",
				 snake[0] ? snake : "unnamed");
		}
		/* Collision: append _<index> until free (bounded: each round grows the name). */
		for (int guard = 0; et_taken(d, i, &ks, cand, s->queue, s->dir) && guard < 8;
		     guard++) {
			size_t l = strlen(cand);

			snprintf(cand + l, sizeof(cand) - l, "_%u", i);
		}
		s->name_off = (uint32_t)d->names.len;
		if (ns_buf_append(&d->names, cand, strlen(cand) + 1)) {
			rc = -ENOMEM;
			break;
		}
		et_key_add(&ks, cand, s->queue, s->dir);
	}
	free(ks.h);
	d->nstr = rc ? 0 : n;
	return rc;
}
