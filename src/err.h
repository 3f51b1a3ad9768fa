/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * err.h - an error message that travels with a negative errno.
 *
 * Functions return -errno; where a caller at the edge (the scrape engine,
 * main) needs to say more than strerror(), the callee fills a struct ns_err.
 */
#ifndef NS_ERR_H
#define NS_ERR_H

struct ns_err {
	char msg[256];
};

/* Format a message into @e (if non-NULL) and return @rc (a negative errno). */
int ns_err_set(struct ns_err *e, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Keep the first failure of a pass that goes on after errors: if *@first
 * is 0, set it to @rc and format the message into @e (if non-NULL); later
 * failures are dropped.
 */
void ns_err_first(struct ns_err *e, int *first, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline void ns_err_clear(struct ns_err *e)
{
	if (e)
		e->msg[0] = '\0';
}

#endif
