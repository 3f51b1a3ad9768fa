/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * topk.h - the space-saving heavy-hitter table (Metwally, Agrawal,
 * El Abbadi 2005) used by every top-K a collector exposes.
 *
 * A table tracks at most cap fixed-size keys (compared bytewise, so a key
 * type must have no padding). A key not in a full table takes the place of
 * the key with the smallest count: it inherits that count + 1 and remembers
 * the inherited part as its error. With cap tracked keys and n additions,
 * every key added more than n / cap times is in the table.
 *
 * The one bound exposed: ns_topk_value() is count - error, a LOWER bound of
 * the key's true count, exact for a key that was never itself evicted after
 * it entered the table. While nothing was ever evicted (ns_topk_exact())
 * every value is exact. ns_topk_top() ranks by that value, larger first,
 * ties by the bytewise smaller key, so the output is deterministic.
 *
 * All memory is allocated by ns_topk_init(); adding and ranking allocate
 * nothing. Lookup is an open-addressing hash index, the minimum a binary
 * heap: O(log cap) per addition.
 */
#ifndef NS_TOPK_H
#define NS_TOPK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ns_topk {
	size_t cap, n, ksize;
	size_t hmask;	     /* hash index size - 1 */
	unsigned char *keys; /* cap * ksize */
	uint32_t *hv;	     /* hash of key i */
	uint64_t *count;     /* count of key i (true count + err) */
	uint64_t *err;	     /* count inherited when key i took an evicted place */
	uint32_t *hpos;	     /* position of key i in heap */
	uint32_t *heap;	     /* min-heap of keys by count */
	uint32_t *index;     /* hash -> key + 1, 0 empty */
	uint64_t evictions;
};

/* A table of @cap (>= 1) keys of @ksize bytes. 0 or -ENOMEM. */
int ns_topk_init(struct ns_topk *t, size_t cap, size_t ksize);
void ns_topk_free(struct ns_topk *t);
/* Forget every key (O(index size) when not empty). */
void ns_topk_clear(struct ns_topk *t);
/* Count one occurrence of the @ksize bytes at @key. */
void ns_topk_add(struct ns_topk *t, const void *key);

/* Out-of-line halves of ns_topk_add_k() (internal). */
void ns_topk_bump(struct ns_topk *t, uint32_t i);
void ns_topk_insert(struct ns_topk *t, const void *key, uint32_t h, size_t pos);

static inline uint32_t ns_topk_hash(const unsigned char *p, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h ^ (h >> 15);
}

/*
 * ns_topk_add() for the hot path, with the key size a compile-time constant
 * (@ksize must equal t->ksize): the hash and the comparison are then
 * unrolled by the compiler. NS_TOPK_ADD(t, keyptr) passes sizeof(*keyptr).
 */
static inline void ns_topk_add_k(struct ns_topk *t, const void *key, size_t ksize)
{
	uint32_t h = ns_topk_hash(key, ksize);
	size_t i = h & t->hmask;

	for (; t->index[i]; i = (i + 1) & t->hmask) {
		uint32_t slot = t->index[i] - 1;

		if (t->hv[slot] == h && memcmp(t->keys + (size_t)slot * ksize, key, ksize) == 0) {
			ns_topk_bump(t, slot);
			return;
		}
	}
	ns_topk_insert(t, key, h, i);
}
#define NS_TOPK_ADD(t, keyp) ns_topk_add_k((t), (keyp), sizeof(*(keyp)))
/* True while no key was ever evicted: every value is exact. */
static inline bool ns_topk_exact(const struct ns_topk *t)
{
	return t->evictions == 0;
}
/*
 * How many keys the table tracks now. Key indices run from 0 to this - 1,
 * in no particular order: a caller that ranks a subset (say the keys of one
 * zone) iterates them with ns_topk_key() and ns_topk_value().
 */
static inline size_t ns_topk_tracked(const struct ns_topk *t)
{
	return t->n;
}
static inline const void *ns_topk_key(const struct ns_topk *t, uint32_t i)
{
	return t->keys + (size_t)i * t->ksize;
}
/* The exposed bound of key @i: count - error (a lower bound). */
static inline uint64_t ns_topk_value(const struct ns_topk *t, uint32_t i)
{
	return t->count[i] - t->err[i];
}
/*
 * The (at most) @k best keys into @out (key indices), best first: larger
 * ns_topk_value(), then the bytewise smaller key. Returns how many.
 */
size_t ns_topk_top(const struct ns_topk *t, uint32_t *out, size_t k);

#endif
