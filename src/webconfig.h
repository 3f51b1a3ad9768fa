/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * webconfig.h - --web.config.file in the Prometheus exporter toolkit's
 * format: TLS (GnuTLS, through libmicrohttpd), basic authentication with
 * bcrypt hashes (libcrypt) and extra response headers.
 *
 *   tls_server_config:
 *     cert_file, key_file            PEM; relative paths are relative to
 *                                    the web config file's directory
 *     client_auth_type               NoClientCert (default),
 *                                    RequestClientCert, RequireAnyClientCert,
 *                                    VerifyClientCertIfGiven,
 *                                    RequireAndVerifyClientCert
 *     client_ca_file                 PEM bundle for the Verify* types
 *     min_version, max_version       TLS10 .. TLS13 (default TLS12 .. TLS13)
 *     prefer_server_cipher_suites    true (default) / false
 *   http_server_config:
 *     headers                        Strict-Transport-Security,
 *                                    X-Content-Type-Options, X-Frame-Options,
 *                                    X-XSS-Protection, Content-Security-Policy
 *     http2                          accepted; HTTP/2 is never offered
 *   basic_auth_users:                user: bcrypt hash ($2a$, $2b$, $2y$)
 *
 * Any other key is an error (keys of the toolkit that are not implemented,
 * such as cipher_suites, are refused by name rather than ignored).
 *
 * TLS material is process-wide. ns_webconfig_load() reads the certificate,
 * key and client CA into memory (at start as root, before the privilege
 * drop); ns_webconfig_activate() makes them the ones served without opening
 * a file. They are re-read whenever one of the files changes (checked at
 * every handshake); a change that does not load (say, a key that does not
 * match the new certificate yet, or a file the runtime user cannot read) is
 * logged once, counted (ns_webconfig_tls_stats), and the material loaded
 * before keeps serving. File paths in messages are absolute.
 */
#ifndef NS_WEBCONFIG_H
#define NS_WEBCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum ns_client_auth {
	NS_CLIENT_AUTH_NONE,
	NS_CLIENT_AUTH_REQUEST,
	NS_CLIENT_AUTH_REQUIRE_ANY,
	NS_CLIENT_AUTH_VERIFY_IF_GIVEN,
	NS_CLIENT_AUTH_REQUIRE_VERIFY,
};

struct ns_web_pair {
	char *name;
	char *value;
};

struct ns_webconfig_auth; /* the basic-auth cache */
struct ns_webconfig_tls;  /* TLS material read at load time */

struct ns_webconfig {
	bool tls;
	char *cert_file; /* absolute or relative to the process's cwd */
	char *key_file;
	char *client_ca_file; /* NULL unless set */
	enum ns_client_auth client_auth;
	char priorities[160];	   /* GnuTLS priority string from the versions */
	struct ns_web_pair *users; /* name, bcrypt hash */
	size_t nusers;
	struct ns_web_pair *headers; /* canonical header name, value */
	size_t nheaders;
	struct ns_webconfig_auth *auth;
	struct ns_webconfig_tls *preload;
};

/*
 * Load and validate @path (NULL: no TLS, no authentication, no extra
 * headers). With TLS, the certificate, key and client CA files are read
 * and checked here too, so that a bad file is an error at start (and at
 * reload) rather than at the first handshake. -EINVAL with one line in @e.
 */
int ns_webconfig_load(struct ns_webconfig **out, const char *path, struct ns_err *e);
void ns_webconfig_free(struct ns_webconfig *wc);

/*
 * Check an Authorization header value (NULL if absent) against
 * basic_auth_users. 0 when allowed (always, when no users are configured),
 * -EACCES when not. Unknown users cost one bcrypt of the highest cost configured;
 * the hash comparison is constant-time. Successful checks are cached (a
 * salted SHA-256 of user, password and hash) so a scraper that sends the
 * same credentials does not pay bcrypt at every scrape. Thread-safe.
 */
int ns_webconfig_check_auth(struct ns_webconfig *wc, const char *authorization);

/*
 * The cheap part of ns_webconfig_check_auth(): 0 when allowed without a
 * bcrypt check (no users, or a cached success), -EACCES when refused
 * without one (no or malformed credentials), -EAGAIN when only a bcrypt
 * check can tell.
 */
int ns_webconfig_auth_quick(struct ns_webconfig *wc, const char *authorization);

/*
 * Make @wc's TLS settings and the material read by ns_webconfig_load() the
 * ones used by new handshakes (taken from @wc; no file is opened). Logs one
 * warning per file this process cannot read any more (after the privilege
 * drop): a rotated one will not be picked up. @grace_s: how long a replaced
 * certificate is kept alive for handshakes that were using it (the TLS
 * handshake deadline is a bound).
 */
int ns_webconfig_activate(struct ns_webconfig *wc, unsigned grace_s, struct ns_err *e);

/* Free replaced certificates whose grace period is over (call every second or so). */
void ns_webconfig_tls_tick(void);

/* Rotated TLS files that did not load so far; whether the last load attempt worked. */
void ns_webconfig_tls_stats(uint64_t *failures, bool *last_ok);

/*
 * The certificate callback for libmicrohttpd (MHD_OPTION_HTTPS_CERT_CALLBACK):
 * a gnutls_certificate_retrieve_function2. Declared with void pointers so
 * that this header does not need GnuTLS; http.c casts it.
 */
void *ns_webconfig_cert_callback(void);

/*
 * Call @fn(fd, @arg) from the handshake's thread when a TLS client's
 * handshake completes (its Finished message arrived); @fd is the
 * connection's socket. Set once, before the servers start.
 */
void ns_webconfig_on_handshake(void (*fn)(int fd, void *arg), void *arg);

/* Free process-wide TLS state (at exit, after the servers stopped). */
void ns_webconfig_shutdown(void);

#endif
