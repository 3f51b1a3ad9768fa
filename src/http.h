/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http.h - the HTTP front end (libmicrohttpd).
 *
 * Routes: GET/HEAD <telemetry path> (exposition, negotiated format, gzip,
 * collect[]/exclude[] selection), "/" (landing page), "/-/healthy".
 * Unknown path 404, other methods 405, more than max_requests concurrent
 * scrapes 503, bad selection 400 (one-line reason), missing or wrong
 * basic-auth credentials 401 with WWW-Authenticate (when the web config
 * has basic_auth_users), 429 when --web.max-auth-checks password checks
 * are running, and the strict request checks' 400/413/414. epoll with a
 * small pool of worker threads; scrapes and bcrypt checks run in threads of
 * their own while the connection is suspended; connection limits (total,
 * per client address), a TLS handshake deadline and a request header
 * deadline bound slow and idle clients (docs/SECURITY.md, "Hostile
 * clients"). HTTPS when the web config has tls_server_config.
 */
#ifndef NS_HTTP_H
#define NS_HTTP_H

#include <stddef.h>

#include "config.h"
#include "err.h"
#include "scrape.h"
#include "webconfig.h"

struct ns_http;

/*
 * Open the listening sockets: the ones systemd passed (socket activation:
 * --web.systemd-socket, or whenever LISTEN_FDS is set for this process),
 * else every cfg->listen address ("host:port", ":port", "[v6]:port").
 * Starts no thread, so the caller may drop privileges afterwards. Returns
 * 0, or -errno with a message naming the address that failed.
 */
int ns_http_listen(struct ns_http **out, const struct ns_config *cfg, struct ns_err *e);

/*
 * Start serving @eng on the sockets. Takes ownership of @eng, @web and the
 * contents of @cfg (left zeroed), even on failure (ns_http_stop frees them).
 */
int ns_http_serve(struct ns_http *h, struct ns_config *cfg, struct ns_engine *eng,
		  struct ns_webconfig *web, struct ns_err *e);

/*
 * Configuration reload: serve @eng, built from @cfg, with @web from now on.
 * Requests already running finish on the old engine, which is freed after
 * the last of them. On success takes ownership as ns_http_serve() does; on
 * failure (-EINVAL: TLS turned on or off, or its versions changed, which
 * need a restart) nothing is taken and the old configuration keeps
 * serving. Sockets are never re-bound: the listen flags cannot change
 * across a reload anyway (the command line is the same).
 */
int ns_http_reload(struct ns_http *h, struct ns_config *cfg, struct ns_engine *eng,
		   struct ns_webconfig *web, struct ns_err *e);

/* For systemd's STATUS=: collectors served, last scrape duration, sockets. */
size_t ns_http_collectors(struct ns_http *h);
double ns_http_last_duration(struct ns_http *h);
size_t ns_http_sockets(const struct ns_http *h);

void ns_http_stop(struct ns_http *h);

#endif
