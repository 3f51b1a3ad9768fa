/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * scrape.h - the scrape engine: runs the enabled collectors, times them,
 * isolates their failures and renders the exposition.
 *
 * Every enabled collector has one slot holding its state per context and a
 * writer with its last result, guarded by a mutex. A scrape visits the
 * selected slots in order; for each it takes the slot's mutex and, if
 * another scrape finished collecting that slot after this scrape began,
 * reuses that result instead of collecting again (so concurrent scrapes share
 * work where they overlap and never see each other's half-written data),
 * then renders the slot into the response under the same mutex.
 *
 * Self-metrics (netstack_scrape_collector_duration_seconds,
 * netstack_scrape_collector_success, netstack_exporter_build_info and the
 * process_* family) are rendered by the engine itself.
 */
#ifndef NS_SCRAPE_H
#define NS_SCRAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "writer.h"

struct ns_engine;
struct ns_config;

/* Bitmask over the engine's enabled collectors (at most 64). */
typedef uint64_t ns_mask_t;

/*
 * Build the engine for @cfg: open the host context, init every enabled
 * collector. Fails (-errno, @e) only on what makes the daemon unusable; a
 * collector whose init fails stays enabled, reports success 0, and retries
 * init on later scrapes.
 */
int ns_engine_new(struct ns_engine **out, const struct ns_config *cfg, struct ns_err *e);
void ns_engine_free(struct ns_engine *eng);

/* Enabled collectors, in table order. */
size_t ns_engine_count(const struct ns_engine *eng);
const char *ns_engine_name(const struct ns_engine *eng, size_t i);
ns_mask_t ns_engine_all(const struct ns_engine *eng);

/*
 * Mask for a request's collect[] / exclude[] parameters. Both empty: all.
 * -EINVAL with a one-line reason in @e for an unknown or disabled name, or
 * when both kinds are given.
 */
int ns_engine_select(const struct ns_engine *eng, const char *const *collect, size_t ncollect,
		     const char *const *exclude, size_t nexclude, ns_mask_t *mask,
		     struct ns_err *e);

/*
 * Collect the collectors in @mask and append the exposition in @fmt to
 * @out (including "# EOF" for OpenMetrics). Thread-safe. Returns 0, or
 * -ENOMEM. *@failed (if non-NULL) is the number of collectors that failed.
 */
int ns_engine_scrape(struct ns_engine *eng, ns_mask_t mask, enum ns_format fmt, struct ns_buf *out,
		     unsigned *failed);

/* How many times collector @i really collected (reused results not counted). */
uint64_t ns_engine_collections(struct ns_engine *eng, size_t i);

/* Duration of the last complete scrape in seconds (for systemd STATUS=). */
double ns_engine_last_duration(const struct ns_engine *eng);

#endif
