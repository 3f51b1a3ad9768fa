/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * buf.h - a growable byte buffer that is reused across scrapes.
 *
 * Buffers only ever grow; ns_buf_reset() keeps the allocation so that a
 * warm daemon does not allocate per scrape.
 */
#ifndef NS_BUF_H
#define NS_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct ns_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define NS_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0                                                                         \
	}

/* Make room for at least @extra more bytes (plus a NUL). 0 or -ENOMEM. */
int ns_buf_reserve(struct ns_buf *b, size_t extra);
/* Slow paths of the inline appenders below (grow, then append). */
int ns_buf_append_slow(struct ns_buf *b, const void *p, size_t n);
int ns_buf_putc_slow(struct ns_buf *b, char c);

/* Append @n bytes (the buffer stays NUL-terminated). Inline: hot in the writer. */
static inline int ns_buf_append(struct ns_buf *b, const void *p, size_t n)
{
	if (b->len + n < b->cap) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
		b->data[b->len] = '\0';
		return 0;
	}
	return ns_buf_append_slow(b, p, n);
}

static inline int ns_buf_putc(struct ns_buf *b, char c)
{
	if (b->len + 1 < b->cap) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return 0;
	}
	return ns_buf_putc_slow(b, c);
}

static inline int ns_buf_puts(struct ns_buf *b, const char *s)
{
	return ns_buf_append(b, s, strlen(s));
}
int ns_buf_printf(struct ns_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * The decimal digits of @v written backwards so that they end just before
 * @end (give it 20 bytes); returns where they start.
 */
static inline char *ns_u64_digits(char *end, uint64_t v)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/*
 * The one array-growth helper: make room for at least @need elements of
 * @elem bytes in the array at *@arrp (a pointer to the caller's pointer)
 * whose capacity is *@cap, doubling from *@cap (or from @first when the
 * array is empty). Arrays only grow, so a warm daemon does not allocate.
 * 0 or -ENOMEM (the array and *@cap stay as they were).
 */
int ns_array_grow(void *arrp, size_t *cap, size_t need, size_t elem, size_t first);
static inline int ns_array_fits(size_t need, size_t cap)
{
	return need <= cap;
}
#define NS_ARRAY_GROW(arr, cap, need, first)                                                       \
	(ns_array_fits((need), (cap))                                                              \
	     ? 0                                                                                   \
	     : ns_array_grow(&(arr), &(cap), (need), sizeof(*(arr)), (first)))

/* Exact decimal representation of an unsigned / signed 64-bit integer. */
int ns_buf_put_u64(struct ns_buf *b, uint64_t v);
int ns_buf_put_i64(struct ns_buf *b, int64_t v);
static inline void ns_buf_reset(struct ns_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}
void ns_buf_free(struct ns_buf *b);

#endif
