// SPDX-License-Identifier: GPL-2.0-or-later
/* ifmap.c - ifindex -> record position, open addressing. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ifmap.h"

static size_t slot_of(int ifindex, size_t cap)
{
	return ((uint32_t)ifindex * 2654435761u) & (cap - 1);
}

static int key_at(const void *base, size_t i, size_t stride, size_t key_off)
{
	int k;

	memcpy(&k, (const char *)base + i * stride + key_off, sizeof(k));
	return k;
}

int ns_ifmap_build(struct ns_ifmap *m, const void *base, size_t n, size_t stride, size_t key_off)
{
	size_t cap = m->cap ? m->cap : 64;

	while (cap < n * 2 + 2)
		cap *= 2;
	if (cap != m->cap) {
		int *s = realloc(m->slot, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		m->slot = s;
		m->cap = cap;
	}
	memset(m->slot, 0, m->cap * sizeof(*m->slot));
	for (size_t i = 0; i < n; i++) {
		size_t s = slot_of(key_at(base, i, stride, key_off), m->cap);

		while (m->slot[s])
			s = (s + 1) & (m->cap - 1);
		m->slot[s] = (int)i + 1;
	}
	return 0;
}

long ns_ifmap_find(const struct ns_ifmap *m, const void *base, size_t stride, size_t key_off,
		   int ifindex)
{
	if (!m->cap)
		return -1;
	for (size_t s = slot_of(ifindex, m->cap); m->slot[s]; s = (s + 1) & (m->cap - 1))
		if (key_at(base, (size_t)m->slot[s] - 1, stride, key_off) == ifindex)
			return m->slot[s] - 1;
	return -1;
}

void ns_ifmap_free(struct ns_ifmap *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = 0;
}
