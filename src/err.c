// SPDX-License-Identifier: GPL-2.0-or-later
/* err.c - error messages that travel with a negative errno. */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int ns_err_set(struct ns_err *e, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return rc;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int ns_fail_set(struct ns_fail *f, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!rc || f->rc)
		return rc;
	f->rc = rc;
	if (!f->e)
		return rc;
	va_start(ap, fmt);
	vsnprintf(f->e->msg, sizeof(f->e->msg), fmt, ap);
	va_end(ap);
	return rc;
}
