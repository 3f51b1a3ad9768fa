/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sdnotify.h - the systemd side of the daemon, over libsystemd: the
 * notification protocol (READY, RELOADING, STOPPING, STATUS, WATCHDOG) and
 * socket activation. Every call is a no-op outside systemd (NOTIFY_SOCKET
 * unset), so the daemon behaves the same in a terminal.
 */
#ifndef NS_SDNOTIFY_H
#define NS_SDNOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* "READY=1" with a STATUS= line, sent once the sockets are open and the collectors initialised. */
void ns_sd_ready(const char *status);
/* "RELOADING=1" (with MONOTONIC_USEC=, as systemd 253's Type=notify-reload wants). */
void ns_sd_reloading(void);
/* "READY=1" again after a reload, with the new STATUS=. */
void ns_sd_reloaded(const char *status);
void ns_sd_stopping(void);
void ns_sd_status(const char *status);
void ns_sd_watchdog(void);
/* The watchdog interval systemd asked for (WatchdogSec=) in microseconds, 0 if none. */
uint64_t ns_sd_watchdog_usec(void);

/*
 * Listening sockets passed by systemd (LISTEN_FDS/LISTEN_PID, for this
 * process only; the variables are unset so that children do not see
 * them). *fds is malloc'ed, *n may be 0. Each must be a listening stream
 * socket: -EINVAL with a message naming the descriptor otherwise.
 */
int ns_sd_listen_fds(int **fds, size_t *n, struct ns_err *e);

#endif
