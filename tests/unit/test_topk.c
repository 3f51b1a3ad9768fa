// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_topk.c - the space-saving table of src/topk.h: exact while nothing
 * is evicted, the documented lower bound, deterministic ranking, and the
 * adversarial stream that defeats a naive "replace the minimum" top-K.
 */
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "topk.h"

static uint32_t key(uint32_t v)
{
	return v;
}

/* Add key @v @times times. */
static void add_n(struct ns_topk *t, uint32_t v, unsigned times)
{
	for (unsigned i = 0; i < times; i++)
		ns_topk_add(t, &v);
}

/* The value of key @v, or UINT64_MAX if it is not tracked. */
static uint64_t value_of(const struct ns_topk *t, uint32_t v)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (memcmp(ns_topk_key(t, i), &v, sizeof(v)) == 0)
			return ns_topk_value(t, i);
	return UINT64_MAX;
}

static void test_exact_and_ranked(void **unused)
{
	struct ns_topk t;
	uint32_t out[8];
	size_t n;

	assert_int_equal(ns_topk_init(&t, 8, sizeof(uint32_t)), 0);
	add_n(&t, key(7), 3);
	add_n(&t, key(5), 1);
	add_n(&t, key(9), 3);
	add_n(&t, key(2), 1);
	assert_true(ns_topk_exact(&t));
	n = ns_topk_top(&t, out, 3);
	assert_int_equal(n, 3);
	/* 3 and 3 (smaller key first: bytewise, 7 < 9 in little and big endian), then 1s */
	assert_int_equal(*(const uint32_t *)ns_topk_key(&t, out[0]), 7);
	assert_int_equal(*(const uint32_t *)ns_topk_key(&t, out[1]), 9);
	assert_int_equal(ns_topk_value(&t, out[0]), 3);
	assert_int_equal(ns_topk_value(&t, out[2]), 1);
	assert_int_equal(ns_topk_top(&t, out, 0), 0);
	assert_int_equal(ns_topk_top(&t, out, 8), 4);
	ns_topk_clear(&t);
	assert_int_equal(t.n, 0);
	assert_int_equal(ns_topk_top(&t, out, 8), 0);
	add_n(&t, key(7), 1);
	assert_int_equal(value_of(&t, 7), 1);
	ns_topk_free(&t);
}

/* A A A B C D A A with two tracked keys (the worked example of topk.h). */
static void test_lower_bound(void **unused)
{
	static const uint32_t stream[] = {1, 1, 1, 2, 3, 4, 1, 1};
	struct ns_topk t;
	uint32_t out[2];

	assert_int_equal(ns_topk_init(&t, 2, sizeof(uint32_t)), 0);
	for (size_t i = 0; i < sizeof(stream) / sizeof(stream[0]); i++)
		ns_topk_add(&t, &stream[i]);
	assert_false(ns_topk_exact(&t));
	assert_int_equal(t.evictions, 2);
	assert_int_equal(ns_topk_top(&t, out, 2), 2);
	/* A: never evicted, exact 5; D: count 3 inherited 2, lower bound 1 */
	assert_int_equal(*(const uint32_t *)ns_topk_key(&t, out[0]), 1);
	assert_int_equal(ns_topk_value(&t, out[0]), 5);
	assert_int_equal(*(const uint32_t *)ns_topk_key(&t, out[1]), 4);
	assert_int_equal(ns_topk_value(&t, out[1]), 1);
	ns_topk_free(&t);
}

/* The naive top-K: m counters, an unseen key replaces the first minimum with 1. */
struct naive {
	uint32_t k[4];
	uint64_t c[4];
	size_t n;
};

static void naive_add(struct naive *nv, uint32_t v)
{
	size_t m = 0;

	for (size_t i = 0; i < nv->n; i++)
		if (nv->k[i] == v) {
			nv->c[i]++;
			return;
		}
	if (nv->n < 4) {
		nv->k[nv->n] = v;
		nv->c[nv->n++] = 1;
		return;
	}
	for (size_t i = 1; i < 4; i++)
		if (nv->c[i] < nv->c[m])
			m = i;
	nv->k[m] = v;
	nv->c[m] = 1;
}

/*
 * Three warm keys seen twice, then a heavy hitter H interleaved with a
 * fresh key each time: H is half the stream, yet the naive table evicts it
 * at every fresh key and ends with H at 1 (or without it). Space-saving
 * keeps H on top with a lower bound within n/m of its true count.
 */
static void test_adversarial(void **unused)
{
	const uint32_t heavy = 0xabcdef, rounds = 1000, m = 4;
	struct naive nv = {{0}, {0}, 0};
	struct ns_topk t;
	uint64_t naive_h = 0, n = 0, v;
	uint32_t out[1];

	assert_int_equal(ns_topk_init(&t, m, sizeof(uint32_t)), 0);
	for (uint32_t w = 1; w <= 3; w++)
		for (int r = 0; r < 2; r++) {
			ns_topk_add(&t, &w);
			naive_add(&nv, w);
			n++;
		}
	for (uint32_t i = 0; i < rounds; i++) {
		uint32_t fresh = 1000000 + i;

		ns_topk_add(&t, &heavy);
		naive_add(&nv, heavy);
		ns_topk_add(&t, &fresh);
		naive_add(&nv, fresh);
		n += 2;
	}
	for (size_t i = 0; i < nv.n; i++)
		if (nv.k[i] == heavy)
			naive_h = nv.c[i];
	assert_true(naive_h <= 1); /* the naive table lost it */

	assert_int_equal(ns_topk_top(&t, out, 1), 1);
	assert_int_equal(*(const uint32_t *)ns_topk_key(&t, out[0]), heavy);
	v = ns_topk_value(&t, out[0]);
	assert_true(v <= rounds);
	assert_true(v + n / m >= rounds);
	assert_false(ns_topk_exact(&t));
	ns_topk_free(&t);
}

/* Many keys through a small table, by both entry points: the index stays consistent. */
static void test_churn(void **unused)
{
	struct ns_topk t;
	uint64_t sum = 0;

	assert_int_equal(ns_topk_init(&t, 16, sizeof(uint32_t)), 0);
	for (uint32_t i = 0; i < 20000; i++) {
		uint32_t v = (i * 2654435761u) % 997;

		if (i & 1)
			ns_topk_add(&t, &v);
		else
			NS_TOPK_ADD(&t, &v); /* the inline path: the same table */
	}
	assert_int_equal(t.n, 16);
	for (uint32_t i = 0; i < t.n; i++) {
		uint32_t v;

		memcpy(&v, ns_topk_key(&t, i), sizeof(v));
		assert_int_not_equal(value_of(&t, v), UINT64_MAX);
		sum += t.count[i];
	}
	/* space-saving: the counts always sum to the stream length */
	assert_int_equal(sum, 20000);
	ns_topk_free(&t);
}

/* ns_topk_tracked(): every tracked key exactly once, full table or not. */
static void test_tracked(void **unused)
{
	struct ns_topk t;
	unsigned seen[8] = {0};

	assert_int_equal(ns_topk_init(&t, 4, sizeof(uint32_t)), 0);
	assert_int_equal(ns_topk_tracked(&t), 0);
	add_n(&t, key(1), 5);
	add_n(&t, key(2), 1);
	add_n(&t, key(3), 2);
	assert_int_equal(ns_topk_tracked(&t), 3);
	add_n(&t, key(4), 3);
	add_n(&t, key(5), 1); /* full: takes 2's place, count 2, error 1 */
	assert_int_equal(ns_topk_tracked(&t), 4);
	for (uint32_t i = 0; i < ns_topk_tracked(&t); i++) {
		uint32_t v;

		memcpy(&v, ns_topk_key(&t, i), sizeof(v));
		assert_true(v < 8);
		seen[v]++;
	}
	assert_int_equal(seen[1] + seen[3] + seen[4] + seen[5], 4);
	assert_int_equal(seen[1] * seen[3] * seen[4] * seen[5], 1);
	assert_int_equal(seen[2], 0);
	assert_int_equal(value_of(&t, 5), 1);
	ns_topk_clear(&t);
	assert_int_equal(ns_topk_tracked(&t), 0);
	ns_topk_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exact_and_ranked), cmocka_unit_test(test_lower_bound),
	    cmocka_unit_test(test_adversarial),	     cmocka_unit_test(test_churn),
	    cmocka_unit_test(test_tracked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
