/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ifmap.h - find a device by ifindex in a collector's own array of device
 * records: an open-addressing index of positions, rebuilt after the array
 * changes and reused across scrapes (it only grows).
 *
 * The records can be any struct: the map is told the array, the record
 * size and where in the record the int ifindex is (offsetof).
 */
#ifndef NS_IFMAP_H
#define NS_IFMAP_H

#include <stddef.h>

struct ns_ifmap {
	int *slot;  /* position + 1 in the caller's array, 0 = empty */
	size_t cap; /* power of two, at least twice the records */
};

/* Index the @n records at @base. 0 or -ENOMEM (the old index stays). */
int ns_ifmap_build(struct ns_ifmap *m, const void *base, size_t n, size_t stride, size_t key_off);
/* Position of the record with @ifindex in the array last indexed, or -1. */
long ns_ifmap_find(const struct ns_ifmap *m, const void *base, size_t stride, size_t key_off,
		   int ifindex);
void ns_ifmap_free(struct ns_ifmap *m);

#endif
