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

void ns_err_first(struct ns_err *e, int *first, int rc, const char *fmt, ...)
{
	va_list ap;

	if (*first)
		return;
	*first = rc;
	if (!e)
		return;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}
