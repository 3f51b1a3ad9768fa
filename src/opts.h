/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * opts.h - building and validating a collector's option values (core side).
 * Collectors only read them, through the getters in collector.h.
 */
#ifndef NS_OPTS_H
#define NS_OPTS_H

#include "collector.h"
#include "err.h"

/* Empty values for the options declared in @decl (may be NULL); defaults apply. */
struct ns_opts *ns_opts_new(const char *collector, const struct ns_option *decl);
void ns_opts_free(struct ns_opts *o);
/* A copy of @o with every value set so far; NULL if out of memory. */
struct ns_opts *ns_opts_copy(const struct ns_opts *o);
/*
 * Set @name to @value (list options append). -ENOENT for an option the
 * collector does not declare, -EINVAL for a value of the wrong type (bad
 * number, bad boolean, regex that does not compile), with a message.
 */
int ns_opts_set(struct ns_opts *o, const char *name, const char *value, struct ns_err *e);
/* Forget the list items given so far for @name (config file overridden by flags). */
void ns_opts_clear(struct ns_opts *o, const char *name);

#endif
