/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * collector.h - the one interface every collector implements.
 *
 * A collector is a const struct ns_collector named ns_collector_<name>,
 * listed in the static table that meson generates (collectors_table.c).
 * It has no globals: whatever it keeps between scrapes lives in the state
 * that init() returns, one state per (collector, context).
 *
 * Options: a collector declares its own options in @options. Each can be
 * set on the command line as --collector.<name>.<option>=VALUE (list options
 * are repeatable) or in the config file under collectors.<name>.<option>.
 * The core validates types (and compiles regexes once to check them) before
 * anything starts; init() then reads the values with the ns_opt_*() getters.
 *
 * Errors: init() and collect() return 0 or -errno and may fill @e with a
 * one-line reason. init() returns -EINVAL for a bad option value and only
 * for that: the daemon then refuses to start (exit status 2), and a reload
 * keeps the old configuration. Any other init() failure is a runtime one. The engine logs it
 * (rate-limited) and exposes netstack_scrape_collector_success 0; it never fails the scrape. A
 * collector emits what it could read even when it returns an error.
 */
#ifndef NS_COLLECTOR_H
#define NS_COLLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "err.h"
#include "writer.h"

enum ns_opt_type {
	NS_OPT_STRING,
	NS_OPT_REGEX, /* POSIX extended regex, checked at config load */
	NS_OPT_UINT,  /* decimal, fits uint64 */
	NS_OPT_BOOL,  /* true/false */
	NS_OPT_LIST,  /* list of strings; repeatable flag, YAML sequence */
};

struct ns_option {
	const char *name; /* e.g. "device-exclude" */
	enum ns_opt_type type;
	const char *defval; /* default as text, NULL = unset */
	const char *help;
};

/* The values given for one collector's options (built by the core). */
struct ns_opts;

const char *ns_opt_str(const struct ns_opts *o, const char *name); /* NULL if unset */
uint64_t ns_opt_uint(const struct ns_opts *o, const char *name);
bool ns_opt_bool(const struct ns_opts *o, const char *name);
/* Items of a list option; *n set to the count (0 if unset). */
const char *const *ns_opt_list(const struct ns_opts *o, const char *name, size_t *n);

struct ns_collector {
	/*
	 * [a-z0-9_]+, also the metric prefix netstack_<name>_. One documented
	 * exception: ethtool emits netstack_netdev_speed_bytes (the link speed is
	 * an interface property that dashboards and alerts join with netdev's
	 * families, but only ethtool can read it); docs/metrics/ethtool.md says so.
	 */
	const char *name;
	const char *help; /* one line for --help and the landing page */
	bool default_enabled;
	const struct ns_option *options; /* terminated by {NULL}, or NULL */
	/*
	 * Capabilities collect() needs, as 1ULL << CAP_x bits (0: none). The
	 * privilege drop (--runtime.user) keeps exactly the union of the enabled
	 * collectors' caps; the systemd unit's AmbientCapabilities= must match.
	 */
	uint64_t caps;
	int (*init)(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e);
	int (*collect)(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e);
	void (*fini)(void *state);
};

/* The generated table, in the order meson lists them. */
extern const struct ns_collector *const ns_collectors[];
extern const size_t ns_ncollectors;

const struct ns_collector *ns_collector_find(const char *name);

#endif
