/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http.h - the HTTP front end (libmicrohttpd).
 *
 * Routes: GET/HEAD <telemetry path> (exposition, negotiated format, gzip,
 * collect[]/exclude[] selection), "/" (landing page), "/-/healthy".
 * Unknown path 404, other methods 405, more than max_requests concurrent
 * scrapes 503, bad selection 400 (one-line reason). One thread per
 * connection with a connection timeout and a per-connection memory limit,
 * so a slow or idle client never holds up another.
 */
#ifndef NS_HTTP_H
#define NS_HTTP_H

#include "config.h"
#include "err.h"
#include "scrape.h"

struct ns_http;

/*
 * Listen on every cfg->listen address ("host:port", ":port", "[v6]:port")
 * and serve @eng. Returns 0 once all sockets are listening, or -errno with
 * a message naming the address that failed.
 */
int ns_http_start(struct ns_http **out, const struct ns_config *cfg, struct ns_engine *eng,
		  struct ns_err *e);
void ns_http_stop(struct ns_http *h);

#endif
