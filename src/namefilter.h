/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * namefilter.h - include/exclude filtering of names (devices, statistics)
 * by a pair of collector options holding POSIX extended regexes.
 *
 * The regexes are matched unanchored, like node_exporter's device filters
 * ("eth" matches "veth0"; write "^eth" or "^eth0$" to anchor). A name is
 * wanted if it matches the include regex (when one is set) and does not
 * match the exclude regex (when one is set).
 */
#ifndef NS_NAMEFILTER_H
#define NS_NAMEFILTER_H

#include <regex.h>
#include <stdbool.h>

#include "collector.h"
#include "err.h"

struct ns_namefilter {
	regex_t include;
	regex_t exclude;
	bool has_include;
	bool has_exclude;
};

/*
 * Compile the regexes in options @include_opt and @exclude_opt of @opts
 * (either may be unset). @who prefixes error messages ("netdev").
 */
int ns_namefilter_init(struct ns_namefilter *f, const struct ns_opts *opts, const char *include_opt,
		       const char *exclude_opt, const char *who, struct ns_err *e);
bool ns_namefilter_wanted(const struct ns_namefilter *f, const char *name);
void ns_namefilter_fini(struct ns_namefilter *f);

/*
 * The "device-include" / "device-exclude" entries of a collector's option
 * table, in the same words everywhere; @what names the devices ("devices",
 * "interfaces").
 */
// clang-format off
#define NS_DEVICE_FILTER_OPTIONS(what)                                                             \
	{"device-include", NS_OPT_REGEX, NULL,                                                     \
	 "Only " what " whose name matches this POSIX extended regex (unanchored)."},              \
	{"device-exclude", NS_OPT_REGEX, NULL,                                                     \
	 "Skip " what " whose name matches this POSIX extended regex (unanchored)."}
// clang-format on

#endif
