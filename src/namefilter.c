// SPDX-License-Identifier: GPL-2.0-or-later
/* namefilter.c - include/exclude regex pairs shared by collectors. */
#include <errno.h>
#include <string.h>

#include "namefilter.h"

static int compile(regex_t *re, bool *has, const struct ns_opts *opts, const char *opt,
		   const char *who, struct ns_err *e)
{
	const char *s = opts && opt ? ns_opt_str(opts, opt) : NULL;
	char msg[128];
	int r;

	*has = false;
	if (!s || !*s)
		return 0;
	r = regcomp(re, s, REG_EXTENDED | REG_NOSUB);
	if (r) {
		regerror(r, re, msg, sizeof(msg));
		return ns_err_set(e, -EINVAL, "%s: %s '%s': %s", who, opt, s, msg);
	}
	*has = true;
	return 0;
}

int ns_namefilter_init(struct ns_namefilter *f, const struct ns_opts *opts, const char *include_opt,
		       const char *exclude_opt, const char *who, struct ns_err *e)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = compile(&f->include, &f->has_include, opts, include_opt, who, e);
	if (!rc)
		rc = compile(&f->exclude, &f->has_exclude, opts, exclude_opt, who, e);
	if (rc)
		ns_namefilter_fini(f);
	return rc;
}

bool ns_namefilter_wanted(const struct ns_namefilter *f, const char *name)
{
	if (f->has_include && regexec(&f->include, name, 0, NULL, 0) != 0)
		return false;
	if (f->has_exclude && regexec(&f->exclude, name, 0, NULL, 0) == 0)
		return false;
	return true;
}

void ns_namefilter_fini(struct ns_namefilter *f)
{
	if (f->has_include)
		regfree(&f->include);
	if (f->has_exclude)
		regfree(&f->exclude);
	f->has_include = f->has_exclude = false;
}
