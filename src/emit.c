// SPDX-License-Identifier: GPL-2.0-or-later
/* emit.c - first-failure bookkeeping for collectors adding samples. */
#include <errno.h>
#include <string.h>

#include "emit.h"

struct ns_family *ns_emit_family(struct ns_emit *em, const char *name, const char *help,
				 enum ns_mtype type, const char *unit)
{
	struct ns_family *f = ns_family(em->w, name, help, type, unit);

	if (!f && !em->rc) {
		em->rc = -EINVAL;
		em->bad = name;
	}
	return f;
}

void ns_emit_families(struct ns_emit *em, const struct ns_family_decl *d, size_t n,
		      struct ns_family **out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = ns_emit_family(em, d[i].name, d[i].help, d[i].type, d[i].unit);
}

void ns_emit_check(struct ns_emit *em, int rc)
{
	if (rc && rc != -EEXIST && !em->rc)
		em->rc = rc;
}

void ns_emit_u64(struct ns_emit *em, struct ns_family *f, const struct ns_label *l, size_t n,
		 uint64_t v)
{
	if (f)
		ns_emit_check(em, ns_sample_u64(em->w, f, l, n, v));
}

void ns_emit_f64(struct ns_emit *em, struct ns_family *f, const struct ns_label *l, size_t n,
		 double v)
{
	if (f)
		ns_emit_check(em, ns_sample_f64(em->w, f, l, n, v));
}

void ns_emit_u64_ls(struct ns_emit *em, struct ns_family *f, const struct ns_labelset *ls,
		    uint64_t v)
{
	if (f)
		ns_emit_check(em, ns_sample_u64_ls(em->w, f, ls, v));
}

void ns_emit_f64_ls(struct ns_emit *em, struct ns_family *f, const struct ns_labelset *ls, double v)
{
	if (f)
		ns_emit_check(em, ns_sample_f64_ls(em->w, f, ls, v));
}

int ns_emit_done(const struct ns_emit *em, struct ns_err *e)
{
	if (em->rc && em->bad)
		return ns_err_set(e, em->rc, "metric family %s rejected by the writer", em->bad);
	if (em->rc)
		return ns_err_set(e, em->rc, "adding a sample: %s", strerror(-em->rc));
	return 0;
}
