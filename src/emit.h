/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emit.h - the collector side of the writer: a collector adds many samples
 * and wants one outcome. struct ns_emit remembers the first failure (a
 * family the writer refused, or a sample it could not add) while emission
 * carries on, and ns_emit_done() turns it into the collector's error.
 *
 * A duplicate series (-EEXIST) is not recorded here: the writer counts it
 * and the scrape engine reports it as the collector's failure.
 */
#ifndef NS_EMIT_H
#define NS_EMIT_H

#include "err.h"
#include "writer.h"

struct ns_emit {
	struct ns_writer *w;
	int rc;		 /* first failure, 0 if none */
	const char *bad; /* the family name the writer refused, if that was it */
};

#define NS_EMIT_INIT(writer)                                                                       \
	{                                                                                          \
		.w = (writer)                                                                      \
	}

/* ns_family(); a refusal is recorded and NULL returned (samples to NULL are skipped). */
struct ns_family *ns_emit_family(struct ns_emit *em, const char *name, const char *help,
				 enum ns_mtype type, const char *unit);
/* A family declared in a table (name, help, type, unit), as ns_emit_family() takes them. */
struct ns_family_decl {
	const char *name;
	const char *help;
	enum ns_mtype type;
	const char *unit;
};
/* Resolve the @n families of table @d into @out, in table order (NULL where refused). */
void ns_emit_families(struct ns_emit *em, const struct ns_family_decl *d, size_t n,
		      struct ns_family **out);
/* Record @rc if it is the first failure (0 and -EEXIST are not failures). */
void ns_emit_check(struct ns_emit *em, int rc);
void ns_emit_u64(struct ns_emit *em, struct ns_family *f, const struct ns_label *l, size_t n,
		 uint64_t v);
void ns_emit_f64(struct ns_emit *em, struct ns_family *f, const struct ns_label *l, size_t n,
		 double v);
/* The same with a label set built by ns_labelset_set(). */
void ns_emit_u64_ls(struct ns_emit *em, struct ns_family *f, const struct ns_labelset *ls,
		    uint64_t v);
void ns_emit_f64_ls(struct ns_emit *em, struct ns_family *f, const struct ns_labelset *ls,
		    double v);
/* 0, or the first failure with a one-line message in @e (the engine names the collector). */
int ns_emit_done(const struct ns_emit *em, struct ns_err *e);

#endif
