/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * conntrack_zone.h - the conntrack breakdown by zone (CTA_ZONE) and by
 * helper (CTA_HELP), fed entry by entry from the breakdown's table dump.
 *
 * The conntrack collector calls ctz_reset() when a dump starts (and when it
 * restarts after NLM_F_DUMP_INTR), ctz_add() for every entry it parsed,
 * ctz_commit() when the dump finished, and ctz_emit() with the last
 * committed result. Everything is allocated by ctz_new(); nothing after.
 */
#ifndef NS_CONNTRACK_ZONE_H
#define NS_CONNTRACK_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "emit.h"

struct nf_conntrack;
struct ctz;

/* Largest zone-max accepted. */
#define CTZ_ZONE_MAX 1024

/* NULL on ENOMEM. */
struct ctz *ctz_new(size_t zone_max, size_t top_k, size_t tracked);
void ctz_free(struct ctz *z);
void ctz_reset(struct ctz *z);
/*
 * One entry parsed into @ct (layer-3 family @l3); reads the zone, helper
 * name and original addresses and port, then unsets the zone and helper
 * name so the next parse into the same object starts clean.
 */
void ctz_add(struct ctz *z, struct nf_conntrack *ct, uint8_t l3);
void ctz_commit(struct ctz *z);
void ctz_emit(struct ns_emit *em, const struct ctz *z);

#endif
