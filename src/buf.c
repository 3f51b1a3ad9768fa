// SPDX-License-Identifier: GPL-2.0-or-later
/* buf.c - growable, reusable byte buffer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

int ns_buf_reserve(struct ns_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;
	char *p;

	if (need < b->len)
		return -ENOMEM;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int ns_array_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first)
{
	size_t c = *cap ? *cap : (first ? first : 1);
	void *old, *p;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -ENOMEM;
		c *= 2;
	}
	if (elem && c > SIZE_MAX / elem)
		return -ENOMEM;
	memcpy(&old, arrp, sizeof(old));
	p = realloc(old, c * elem);
	if (!p)
		return -ENOMEM;
	memcpy(arrp, &p, sizeof(p));
	*cap = c;
	return 0;
}

int ns_buf_append_slow(struct ns_buf *b, const void *p, size_t n)
{
	int rc = ns_buf_reserve(b, n);

	if (rc)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int ns_buf_putc_slow(struct ns_buf *b, char c)
{
	return ns_buf_append_slow(b, &c, 1);
}

int ns_buf_printf(struct ns_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	rc = ns_buf_reserve(b, (size_t)n);
	if (rc)
		return rc;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int ns_buf_put_u64(struct ns_buf *b, uint64_t v)
{
	char tmp[24];
	char *p = ns_u64_digits(tmp + sizeof(tmp), v);

	return ns_buf_append(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

int ns_buf_put_i64(struct ns_buf *b, int64_t v)
{
	int rc;

	if (v >= 0)
		return ns_buf_put_u64(b, (uint64_t)v);
	rc = ns_buf_putc(b, '-');
	if (rc)
		return rc;
	/* -(INT64_MIN) overflows; go through unsigned arithmetic */
	return ns_buf_put_u64(b, (uint64_t)0 - (uint64_t)v);
}

void ns_buf_free(struct ns_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
