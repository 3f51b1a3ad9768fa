/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http_request.h - the strict check of an HTTP/1.x request header, on the
 * raw bytes a client sent (before any server parses them) and on the
 * values a server parsed (request target, Content-Length).
 *
 * One set of rules for the plaintext request gate (http_gate.c), which
 * looks at the bytes before libmicrohttpd does, and for the checks in the
 * libmicrohttpd callbacks (http.c), which are all a TLS connection gets.
 */
#ifndef NS_HTTP_REQUEST_H
#define NS_HTTP_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

struct ns_http_limits {
	size_t max_header;   /* request line and header fields, the blank line included */
	size_t max_target;   /* request target bytes; longer: 414 */
	unsigned max_query;  /* query parameters; more: 400 */
	unsigned max_fields; /* header fields; more: 431 */
};

struct ns_http_request_info {
	size_t hdr_len; /* bytes up to and including the blank line */
	bool head;	/* HEAD: a refusal carries no body */
};

/*
 * Look at the first @len bytes of a connection. Returns 0 when they start
 * with a complete request header that passes every check; -EAGAIN when the
 * header is not complete yet, no complete line of it is wrong and it has
 * no NUL and no bare CR or LF (a partial last line is judged once it ends);
 * else the
 * HTTP status to refuse it with (400, 413, 414, 417, 431, 505) and *why, one
 * line of text. The checks: a request line of a token method, an
 * origin-form target (ns_http_target_check) and HTTP/1.0 or HTTP/1.1;
 * CRLF line ends (no bare CR or LF, no NUL); field names that are tokens
 * followed at once by ':'; no obsolete line folding and no control
 * characters in values; one Host on HTTP/1.1; Content-Length
 * (ns_http_content_length_ok) not repeated with another value and not
 * with Transfer-Encoding; no body on GET or HEAD; no Expect (417); the
 * sizes in @lim, where each pair of a Cookie value (split at ';' or ',')
 * counts as a field (libmicrohttpd keeps a record for each, in the
 * connection's memory).
 */
int ns_http_request_check(const char *buf, size_t len, const struct ns_http_limits *lim,
			  struct ns_http_request_info *info, const char **why);

/*
 * The rules on header fields' meaning, for a raw header (above) and for
 * fields a server parsed alike: fill get_or_head and http11 from the
 * request line, zero the rest, pass each field to ns_http_field() (its
 * value without surrounding whitespace; @v must stay valid until the end),
 * then call ns_http_fields_end(). Each returns 0 or the status to refuse
 * with: 400 for an invalid or conflicting Content-Length, 417 for Expect;
 * at the end 400 for Transfer-Encoding with Content-Length or a missing
 * (HTTP/1.1) or repeated Host, 413 for a body on GET or HEAD.
 */
struct ns_http_fields {
	bool get_or_head, http11;
	unsigned nhost, ncl;
	bool te;
	const char *cl; /* the first Content-Length value */
	size_t cl_len;
};

int ns_http_field(struct ns_http_fields *f, const char *name, size_t nlen, const char *v,
		  size_t vlen, const char **why);
int ns_http_fields_end(const struct ns_http_fields *f, const char **why);

/*
 * A request target (raw, still %-escaped): 0, or 414 when longer than
 * lim->max_target, 400 for a %00 or more than lim->max_query parameters.
 */
unsigned ns_http_target_check(const char *t, size_t len, const struct ns_http_limits *lim,
			      const char **why);

/* Query parameters in a raw target: the '?' and every '&' or ';' after it. */
unsigned ns_http_query_params(const char *t, size_t len);

/* A Content-Length value: 1 to 19 decimal digits, nothing else. */
bool ns_http_content_length_ok(const char *v, size_t len);

/* "0", "00", ...: a Content-Length that announces no body. */
bool ns_http_content_length_zero(const char *v, size_t len);

#endif
