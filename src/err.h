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
 * struct ns_fail - keep the first failure of a pass that goes on after
 * errors (the one accumulator for collectors). Each step is given
 * ns_fail_err() as its message slot: the caller's message until a failure
 * is kept, NULL after it, so the first message is the one that stays. Its
 * return goes to ns_fail_note(), or ns_fail_set() formats the message
 * here; ns_fail_rc() is the outcome. 0 is never a failure.
 *
 *	struct ns_fail f = NS_FAIL_INIT(e);
 *
 *	ns_fail_note(&f, read_a(ctx, ns_fail_err(&f)));
 *	ns_fail_note(&f, emit_all(st, w, ns_fail_err(&f)));
 *	return ns_fail_rc(&f);
 */
struct ns_fail {
	struct ns_err *e; /* the caller's message (may be NULL) */
	int rc;		  /* first failure, 0 if none */
};

#define NS_FAIL_INIT(err)                                                                          \
	{                                                                                          \
		.e = (err)                                                                         \
	}

/* Start a new pass reporting into @e. */
static inline void ns_fail_init(struct ns_fail *f, struct ns_err *e)
{
	f->e = e;
	f->rc = 0;
}

/* Where the next step writes its message: @f's message while no failure is kept. */
static inline struct ns_err *ns_fail_err(const struct ns_fail *f)
{
	return f->rc ? NULL : f->e;
}

/* Keep @rc if it is the first failure (the step wrote its message); returns @rc. */
static inline int ns_fail_note(struct ns_fail *f, int rc)
{
	if (rc && !f->rc)
		f->rc = rc;
	return rc;
}

/* Keep @rc with a message formatted here if it is the first failure; returns @rc. */
int ns_fail_set(struct ns_fail *f, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int ns_fail_rc(const struct ns_fail *f)
{
	return f->rc;
}

static inline void ns_err_clear(struct ns_err *e)
{
	if (e)
		e->msg[0] = '\0';
}

#endif
