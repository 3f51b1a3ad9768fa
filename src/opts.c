// SPDX-License-Identifier: GPL-2.0-or-later
/* opts.c - a collector's option values: typed, validated once at load. */
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"
#include "procfs.h"

struct ns_optval {
	char *str;    /* scalar value, NULL = unset */
	char **items; /* list items */
	size_t nitems;
};

struct ns_opts {
	const char *collector;
	const struct ns_option *decl;
	size_t n;
	struct ns_optval v[];
};

static size_t decl_count(const struct ns_option *decl)
{
	size_t n = 0;

	while (decl && decl[n].name)
		n++;
	return n;
}

static long find(const struct ns_opts *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->decl[i].name, name) == 0)
			return (long)i;
	return -1;
}

static int check_value(const struct ns_opts *o, const struct ns_option *d, const char *value,
		       struct ns_err *e)
{
	uint64_t u;
	regex_t re;
	int rc;

	switch (d->type) {
	case NS_OPT_UINT:
		if (ns_parse_u64(value, &u))
			return ns_err_set(e, -EINVAL,
					  "collector %s option %s: '%s' is not a number",
					  o->collector, d->name, value);
		break;
	case NS_OPT_BOOL:
		if (strcmp(value, "true") && strcmp(value, "false"))
			return ns_err_set(e, -EINVAL,
					  "collector %s option %s: '%s' is not true or false",
					  o->collector, d->name, value);
		break;
	case NS_OPT_REGEX:
		rc = regcomp(&re, value, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char why[128];

			regerror(rc, &re, why, sizeof(why));
			return ns_err_set(e, -EINVAL, "collector %s option %s: bad regex '%s': %s",
					  o->collector, d->name, value, why);
		}
		regfree(&re);
		break;
	case NS_OPT_STRING:
	case NS_OPT_LIST:
		break;
	}
	return 0;
}

struct ns_opts *ns_opts_new(const char *collector, const struct ns_option *decl)
{
	size_t n = decl_count(decl);
	struct ns_opts *o = calloc(1, sizeof(*o) + n * sizeof(o->v[0]));

	if (!o)
		return NULL;
	o->collector = collector;
	o->decl = decl;
	o->n = n;
	return o;
}

void ns_opts_clear(struct ns_opts *o, const char *name)
{
	long i = find(o, name);

	if (i < 0)
		return;
	for (size_t k = 0; k < o->v[i].nitems; k++)
		free(o->v[i].items[k]);
	free(o->v[i].items);
	o->v[i].items = NULL;
	o->v[i].nitems = 0;
	free(o->v[i].str);
	o->v[i].str = NULL;
}

void ns_opts_free(struct ns_opts *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->n; i++)
		ns_opts_clear(o, o->decl[i].name);
	free(o);
}

struct ns_opts *ns_opts_copy(const struct ns_opts *o)
{
	struct ns_opts *c = ns_opts_new(o->collector, o->decl);
	struct ns_err e;

	for (size_t i = 0; c && i < o->n; i++) {
		const char *name = o->decl[i].name;
		int rc = 0;

		if (o->v[i].str)
			rc = ns_opts_set(c, name, o->v[i].str, &e);
		for (size_t k = 0; !rc && k < o->v[i].nitems; k++)
			rc = ns_opts_set(c, name, o->v[i].items[k], &e);
		if (rc) {
			ns_opts_free(c);
			return NULL;
		}
	}
	return c;
}

int ns_opts_set(struct ns_opts *o, const char *name, const char *value, struct ns_err *e)
{
	long i = find(o, name);
	const struct ns_option *d;
	int rc;

	if (i < 0)
		return ns_err_set(e, -ENOENT, "collector %s has no option '%s'", o->collector,
				  name);
	d = &o->decl[i];
	rc = check_value(o, d, value, e);
	if (rc)
		return rc;
	if (d->type == NS_OPT_LIST) {
		char **items = realloc(o->v[i].items, (o->v[i].nitems + 1) * sizeof(char *));
		char *dup = strdup(value);

		if (items)
			o->v[i].items = items;
		if (!items || !dup) {
			free(dup);
			return ns_err_set(e, -ENOMEM, "out of memory");
		}
		items[o->v[i].nitems++] = dup;
		return 0;
	}
	free(o->v[i].str);
	o->v[i].str = strdup(value);
	if (!o->v[i].str)
		return ns_err_set(e, -ENOMEM, "out of memory");
	return 0;
}

const char *ns_opt_str(const struct ns_opts *o, const char *name)
{
	long i = o ? find(o, name) : -1;

	if (i < 0)
		return NULL;
	return o->v[i].str ? o->v[i].str : o->decl[i].defval;
}

uint64_t ns_opt_uint(const struct ns_opts *o, const char *name)
{
	const char *s = ns_opt_str(o, name);
	uint64_t v = 0;

	if (s)
		ns_parse_u64(s, &v);
	return v;
}

bool ns_opt_bool(const struct ns_opts *o, const char *name)
{
	const char *s = ns_opt_str(o, name);

	return s && strcmp(s, "true") == 0;
}

const char *const *ns_opt_list(const struct ns_opts *o, const char *name, size_t *n)
{
	long i = o ? find(o, name) : -1;

	*n = 0;
	if (i < 0)
		return NULL;
	*n = o->v[i].nitems;
	return (const char *const *)o->v[i].items;
}
