// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * topk.c - space-saving top-K table; the bound and its guarantee are in
 * topk.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "topk.h"

void ns_topk_free(struct ns_topk *t)
{
	free(t->keys);
	free(t->hv);
	free(t->count);
	free(t->err);
	free(t->hpos);
	free(t->heap);
	free(t->index);
	memset(t, 0, sizeof(*t));
}

int ns_topk_init(struct ns_topk *t, size_t cap, size_t ksize)
{
	size_t hsize = 16;

	memset(t, 0, sizeof(*t));
	if (cap < 1)
		cap = 1;
	while (hsize < cap * 2)
		hsize <<= 1;
	t->cap = cap;
	t->ksize = ksize;
	t->hmask = hsize - 1;
	t->keys = calloc(cap, ksize);
	t->hv = calloc(cap, sizeof(*t->hv));
	t->count = calloc(cap, sizeof(*t->count));
	t->err = calloc(cap, sizeof(*t->err));
	t->hpos = calloc(cap, sizeof(*t->hpos));
	t->heap = calloc(cap, sizeof(*t->heap));
	t->index = calloc(hsize, sizeof(*t->index));
	if (!t->keys || !t->hv || !t->count || !t->err || !t->hpos || !t->heap || !t->index) {
		ns_topk_free(t);
		return -ENOMEM;
	}
	return 0;
}

void ns_topk_clear(struct ns_topk *t)
{
	if (t->n)
		memset(t->index, 0, (t->hmask + 1) * sizeof(*t->index));
	t->n = 0;
	t->evictions = 0;
}

static void topk_swap(struct ns_topk *t, size_t a, size_t b)
{
	uint32_t x = t->heap[a];

	t->heap[a] = t->heap[b];
	t->heap[b] = x;
	t->hpos[t->heap[a]] = (uint32_t)a;
	t->hpos[t->heap[b]] = (uint32_t)b;
}

static void topk_down(struct ns_topk *t, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < t->n && t->count[t->heap[l]] < t->count[t->heap[m]])
			m = l;
		if (r < t->n && t->count[t->heap[r]] < t->count[t->heap[m]])
			m = r;
		if (m == i)
			return;
		topk_swap(t, i, m);
		i = m;
	}
}

static void topk_up(struct ns_topk *t, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (t->count[t->heap[p]] <= t->count[t->heap[i]])
			return;
		topk_swap(t, i, p);
		i = p;
	}
}

/* Remove index position @i with backward-shift deletion (linear probing). */
static void topk_index_del(struct ns_topk *t, size_t i)
{
	size_t j = i;

	for (;;) {
		size_t k;

		t->index[i] = 0;
		for (;;) {
			j = (j + 1) & t->hmask;
			if (!t->index[j])
				return;
			k = t->hv[t->index[j] - 1] & t->hmask;
			/* stays if its home k lies cyclically in (i, j] */
			if (i <= j ? (i < k && k <= j) : (i < k || k <= j))
				continue;
			break;
		}
		t->index[i] = t->index[j];
		i = j;
	}
}

static size_t topk_free_pos(const struct ns_topk *t, uint32_t h)
{
	size_t i = h & t->hmask;

	while (t->index[i])
		i = (i + 1) & t->hmask;
	return i;
}

void ns_topk_bump(struct ns_topk *t, uint32_t i)
{
	t->count[i]++;
	topk_down(t, t->hpos[i]);
}

/* @key is not in the table; @pos is the free index position its probe ended at. */
void ns_topk_insert(struct ns_topk *t, const void *key, uint32_t h, size_t pos)
{
	uint32_t slot;

	if (t->n < t->cap) {
		slot = (uint32_t)t->n++;
		t->count[slot] = 1;
		t->err[slot] = 0;
		t->heap[slot] = slot;
		t->hpos[slot] = slot;
		topk_up(t, slot);
	} else {
		size_t i;

		/* Full: the key with the smallest count makes room. */
		slot = t->heap[0];
		for (i = t->hv[slot] & t->hmask; t->index[i] != slot + 1; i = (i + 1) & t->hmask)
			;
		topk_index_del(t, i);
		t->err[slot] = t->count[slot];
		t->count[slot]++;
		topk_down(t, 0);
		t->evictions++;
		pos = topk_free_pos(t, h); /* the deletion may have moved the probe's end */
	}
	memcpy(t->keys + (size_t)slot * t->ksize, key, t->ksize);
	t->hv[slot] = h;
	t->index[pos] = slot + 1;
}

void ns_topk_add(struct ns_topk *t, const void *key)
{
	uint32_t h = ns_topk_hash(key, t->ksize);
	size_t i = h & t->hmask;

	for (; t->index[i]; i = (i + 1) & t->hmask) {
		uint32_t slot = t->index[i] - 1;

		if (t->hv[slot] == h && memcmp(ns_topk_key(t, slot), key, t->ksize) == 0) {
			ns_topk_bump(t, slot);
			return;
		}
	}
	ns_topk_insert(t, key, h, i);
}

/* Does key a rank before key b? */
static bool topk_before(const struct ns_topk *t, uint32_t a, uint32_t b)
{
	uint64_t va = ns_topk_value(t, a), vb = ns_topk_value(t, b);

	if (va != vb)
		return va > vb;
	return memcmp(ns_topk_key(t, a), ns_topk_key(t, b), t->ksize) < 0;
}

size_t ns_topk_top(const struct ns_topk *t, uint32_t *out, size_t k)
{
	size_t n = 0;

	if (k == 0)
		return 0;
	for (uint32_t i = 0; i < t->n; i++) {
		size_t j;

		if (n == k && !topk_before(t, i, out[n - 1]))
			continue;
		j = n < k ? n++ : n - 1;
		while (j > 0 && topk_before(t, i, out[j - 1])) {
			out[j] = out[j - 1];
			j--;
		}
		out[j] = i;
	}
	return n;
}
