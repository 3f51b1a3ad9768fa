// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http_request.c - the strict check of an HTTP/1.x request header
 * (RFC 9110/9112 syntax, refused where a lenient server would guess).
 */
#include <errno.h>
#include <string.h>

#include "http_request.h"

#define ST_BAD 400
#define ST_BODY 413
#define ST_TARGET 414
#define ST_FIELDS 431
#define ST_EXPECT 417
#define ST_VERSION 505
#define METHOD_MAX 32

/* RFC 9110 tchar */
static bool tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

static bool ieq(const char *a, size_t alen, const char *b)
{
	size_t n = strlen(b);

	if (alen != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char x = (unsigned char)a[i], y = (unsigned char)b[i];

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (x != y)
			return false;
	}
	return true;
}

bool ns_http_content_length_ok(const char *v, size_t len)
{
	if (!len || len > 19)
		return false;
	for (size_t i = 0; i < len; i++)
		if (v[i] < '0' || v[i] > '9')
			return false;
	return true;
}

bool ns_http_content_length_zero(const char *v, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (v[i] != '0')
			return false;
	return true;
}

unsigned ns_http_query_params(const char *t, size_t len)
{
	const char *q = memchr(t, '?', len);
	unsigned n = 0;

	for (; q && q < t + len; q++)
		n += *q == '&' || *q == ';' || *q == '?';
	return n;
}

unsigned ns_http_target_check(const char *t, size_t len, const struct ns_http_limits *lim,
			      const char **why)
{

	if (len > lim->max_target) {
		*why = "request target too long";
		return ST_TARGET;
	}
	for (size_t i = 0; i + 2 < len; i++)
		if (t[i] == '%' && t[i + 1] == '0' && t[i + 2] == '0') {
			*why = "NUL byte (%00) in the request target";
			return ST_BAD;
		}
	if (ns_http_query_params(t, len) > lim->max_query) {
		*why = "too many query parameters";
		return ST_BAD;
	}
	return 0;
}

struct req_state {
	struct ns_http_fields f;
	bool head;
	unsigned nfields; /* fields and Cookie pairs */
};

/* "METHOD SP origin-form SP HTTP/1.x" */
static int check_request_line(const char *l, size_t n, const struct ns_http_limits *lim,
			      struct req_state *st, const char **why)
{
	const char *sp1, *sp2, *v;
	size_t mlen, tlen, vlen;
	unsigned rc;

	*why = "malformed request line";
	sp1 = memchr(l, ' ', n);
	if (!sp1 || sp1 == l || (size_t)(sp1 - l) > METHOD_MAX)
		return ST_BAD;
	mlen = (size_t)(sp1 - l);
	for (size_t i = 0; i < mlen; i++)
		if (!tchar((unsigned char)l[i]))
			return ST_BAD;
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (!sp2)
		return ST_BAD;
	tlen = (size_t)(sp2 - sp1 - 1);
	if (!tlen || sp1[1] != '/')
		return ST_BAD;
	for (size_t i = 0; i < tlen; i++) {
		unsigned char c = (unsigned char)sp1[1 + i];

		if (c <= 0x20 || c >= 0x7f)
			return ST_BAD;
	}
	st->head = mlen == 4 && memcmp(l, "HEAD", 4) == 0;
	st->f.get_or_head = st->head || (mlen == 3 && memcmp(l, "GET", 3) == 0);
	v = sp2 + 1;
	vlen = n - (size_t)(v - l);
	if (vlen == 8 && memcmp(v, "HTTP/1.1", 8) == 0) {
		st->f.http11 = true;
	} else if (vlen == 8 && memcmp(v, "HTTP/1.0", 8) == 0) {
		st->f.http11 = false;
	} else if (vlen == 8 && memcmp(v, "HTTP/", 5) == 0 && v[5] >= '0' && v[5] <= '9' &&
		   v[6] == '.' && v[7] >= '0' && v[7] <= '9') {
		*why = "HTTP version not supported (1.0 and 1.1 are)";
		return ST_VERSION;
	} else {
		return ST_BAD;
	}
	rc = ns_http_target_check(sp1 + 1, tlen, lim, why);
	return (int)rc;
}

/* "name: value", one line without its CRLF */
static int check_field(const char *l, size_t n, const struct ns_http_limits *lim,
		       struct req_state *st, const char **why)
{
	const char *colon = memchr(l, ':', n), *v, *ve;
	size_t nlen;

	if (n && (l[0] == ' ' || l[0] == '\t')) {
		*why = "obsolete line folding in the header";
		return ST_BAD;
	}
	if (++st->nfields > lim->max_fields) {
		*why = "too many header fields";
		return ST_FIELDS;
	}
	*why = "malformed header field";
	if (!colon || colon == l)
		return ST_BAD;
	nlen = (size_t)(colon - l);
	for (size_t i = 0; i < nlen; i++)
		if (!tchar((unsigned char)l[i]))
			return ST_BAD;
	for (v = colon + 1; v < l + n; v++) {
		unsigned char c = (unsigned char)*v;

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			*why = "control character in a header value";
			return ST_BAD;
		}
	}
	/* the value without leading and trailing whitespace */
	v = colon + 1;
	ve = l + n;
	while (v < ve && (*v == ' ' || *v == '\t'))
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	if (ieq(l, nlen, "cookie")) {
		/*
		 * A server keeps a record per cookie pair, as per field: count them
		 * alike (libmicrohttpd splits pairs at ',' as well as ';').
		 */
		for (const char *p = v; p < ve; p++)
			if ((*p == ';' || *p == ',') && ++st->nfields > lim->max_fields) {
				*why = "too many header fields";
				return ST_FIELDS;
			}
	}
	return ns_http_field(&st->f, l, nlen, v, (size_t)(ve - v), why);
}

int ns_http_field(struct ns_http_fields *f, const char *name, size_t nlen, const char *v,
		  size_t vlen, const char **why)
{
	if (ieq(name, nlen, "content-length")) {
		if (!ns_http_content_length_ok(v, vlen)) {
			*why = "invalid Content-Length";
			return ST_BAD;
		}
		if (f->ncl++ && (f->cl_len != vlen || memcmp(f->cl, v, vlen) != 0)) {
			*why = "conflicting Content-Length headers";
			return ST_BAD;
		}
		f->cl = v;
		f->cl_len = vlen;
	} else if (ieq(name, nlen, "transfer-encoding")) {
		f->te = true;
	} else if (ieq(name, nlen, "host")) {
		f->nhost++;
	} else if (ieq(name, nlen, "expect")) {
		*why = "Expect is not supported (requests here have no body)";
		return ST_EXPECT;
	}
	return 0;
}

int ns_http_fields_end(const struct ns_http_fields *f, const char **why)
{
	if (f->te && f->ncl) {
		*why = "Transfer-Encoding together with Content-Length";
		return ST_BAD;
	}
	if (f->nhost > 1) {
		*why = "more than one Host header";
		return ST_BAD;
	}
	if (f->http11 && !f->nhost) {
		*why = "no Host header (HTTP/1.1 needs one)";
		return ST_BAD;
	}
	if (f->get_or_head &&
	    (f->te || (f->ncl && !ns_http_content_length_zero(f->cl, f->cl_len)))) {
		*why = "GET and HEAD requests take no body";
		return ST_BODY;
	}
	return 0;
}

int ns_http_request_check(const char *buf, size_t len, const struct ns_http_limits *lim,
			  struct ns_http_request_info *info, const char **why)
{
	struct req_state st = {.head = false};
	size_t scan = len < lim->max_header ? len : lim->max_header;
	size_t ls = 0, nline = 0;
	int rc;

	info->hdr_len = 0;
	/* known before the request line is complete: a refused HEAD has no body */
	info->head = len >= 5 && memcmp(buf, "HEAD ", 5) == 0;
	for (size_t i = 0; i < scan; i++) {
		char c = buf[i];

		if (c == '\0') {
			*why = "NUL byte in the request header";
			return ST_BAD;
		}
		if (c == '\r') {
			if (i + 1 < scan && buf[i + 1] != '\n') {
				*why = "CR without LF in the request header";
				return ST_BAD;
			}
			continue;
		}
		if (c != '\n')
			continue;
		if (i == 0 || buf[i - 1] != '\r') {
			*why = "bare LF in the request header (lines end with CRLF)";
			return ST_BAD;
		}
		/* the line [ls, i - 1) */
		if (nline == 0)
			rc = check_request_line(buf + ls, i - 1 - ls, lim, &st, why);
		else if (i - 1 == ls)
			rc = ns_http_fields_end(&st.f, why);
		else
			rc = check_field(buf + ls, i - 1 - ls, lim, &st, why);
		if (rc)
			return rc;
		if (nline && i - 1 == ls) {
			info->hdr_len = i + 1;
			return 0;
		}
		nline++;
		ls = i + 1;
	}
	if (len < lim->max_header)
		return -EAGAIN;
	if (nline == 0) {
		*why = "request line too long";
		return ST_TARGET;
	}
	*why = "request header too large";
	return ST_FIELDS;
}
