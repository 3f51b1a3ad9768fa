/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * privdrop.h - least privilege when started as root outside systemd.
 *
 * --runtime.user NAME: once the listening sockets are open (and before any
 * thread exists, since credentials and capabilities are per thread), switch
 * to NAME's uid and primary group, drop supplementary groups, keep in the
 * permitted and effective sets only the capabilities the enabled
 * collectors need, drop every other capability from the bounding set,
 * clear the ambient set and set no_new_privs. Under systemd none of this
 * runs: the unit's DynamicUser= and AmbientCapabilities= do the same job.
 */
#ifndef NS_PRIVDROP_H
#define NS_PRIVDROP_H

#include <stdint.h>

#include "err.h"

struct ns_config;

/* Bit (1 << CAP_x) for each capability the enabled collectors need. */
uint64_t ns_privdrop_needed_caps(const struct ns_config *cfg);

/*
 * Drop to @user keeping @caps. Not root: fine if @user is already who we
 * are, else -EPERM. Returns 0 or -errno with one line in @e; logs what it
 * kept on success.
 */
int ns_privdrop(const char *user, uint64_t caps, struct ns_err *e);

/* "cap_net_admin" style list of @caps, "none" if empty. */
void ns_privdrop_caps_text(uint64_t caps, char *buf, size_t len);

#endif
