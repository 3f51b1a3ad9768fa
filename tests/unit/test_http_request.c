// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_http_request.c - the strict request-header check of
 * src/http_request.h on raw bytes: what passes, what is refused with which
 * status, and that a header arriving in pieces is waited for (every
 * prefix of a good request is "not yet", never a refusal).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"
#include "testutil.h"

static const struct ns_http_limits lim = {
    .max_header = 1024, .max_target = 256, .max_query = 8, .max_fields = 16};

static int check(const char *req, size_t *hdr_len)
{
	struct ns_http_request_info info;
	const char *why = NULL;
	int rc = ns_http_request_check(req, strlen(req), &lim, &info, &why);

	if (rc > 0)
		assert_non_null(why);
	if (hdr_len)
		*hdr_len = info.hdr_len;
	return rc;
}

static void test_good(void **unused)
{
	static const char *const good[] = {
	    "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n",
	    "HEAD / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
	    "GET /metrics?collect[]=snmp&exclude[]=tcp HTTP/1.0\r\n\r\n",
	    "GET /-/healthy HTTP/1.1\r\nhost:x\r\nX-Empty:\r\nX-Tab: a\tb\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n",
	    "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
	    "POST /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nX-Obs-Text: caf\xc3\xa9\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1; b=2; c=3; d=4; e=5; f=6; g=7\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		const char *end = strstr(good[i], "\r\n\r\n");
		size_t hl = 0;

		assert_int_equal(check(good[i], &hl), 0);
		assert_int_equal(hl, (size_t)(end - good[i]) + 4);
	}
}

static void test_refused(void **unused)
{
	static const struct {
		const char *req;
		int status;
	} bad[] = {
	    {"GARBAGE\r\n\r\n", 400},
	    {"\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	    {"GET /metrics\r\n\r\n", 400},
	    {"GET  /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	    {"GET /metrics HTTP/1.1 \r\nHost: x\r\n\r\n", 400},
	    {"GET metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	    {"GET http://x/metrics HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	    {"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	    {"GET /\x7f HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	    {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505},
	    {"GET / HTTP/0.9\r\nHost: x\r\n\r\n", 505},
	    {"GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400},
	    {"GET / http/1.1\r\nHost: x\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400},
	    {"GET / HTTP/1.1\nHost: x\n\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nX-A\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\n: b\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nX-A: b\x01\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551615\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: "
	     "chunked\r\n\r\n",
	     400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n", 413},
	    {"HEAD / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 413},
	    {"GET /%00 HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n", 417},
	    {"GET / HTTP/1.1\r\nHost: x\r\nCookie: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p\r\n\r\n", 431},
	    {"GET / HTTP/1.1\r\nHost: x\r\nCookie: a=1;b=2;c=3;d=4;e=5;f=6;g=7;h=8;i=9;j=10;"
	     "k=11;l=12;m=13;n=14;o=15;p=16\r\n\r\n",
	     431},
	    {"GET /?a&b&c&d&e&f&g&h&i HTTP/1.1\r\nHost: x\r\n\r\n", 400},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = check(bad[i].req, NULL);

		if (rc != bad[i].status)
			fail_msg("case %zu %s: got %d, want %d", i, bad[i].req, rc, bad[i].status);
	}
}

static void test_nul_and_sizes(void **unused)
{
	struct ns_http_request_info info;
	const char *why;
	char *buf = malloc(lim.max_header + 64);
	size_t n;

	assert_non_null(buf);
	/* a NUL byte is refused even though strlen() would stop there */
	memcpy(buf, "GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", 30);
	assert_int_equal(ns_http_request_check(buf, 30, &lim, &info, &why), 400);

	/* a target over max_target: 414; a request line over max_header: 414 */
	n = (size_t)snprintf(buf, lim.max_header, "GET /%0300d HTTP/1.1\r\nHost: x\r\n\r\n", 0);
	assert_int_equal(ns_http_request_check(buf, n, &lim, &info, &why), 414);
	memset(buf, 'a', lim.max_header);
	memcpy(buf, "GET /", 5);
	assert_int_equal(ns_http_request_check(buf, lim.max_header, &lim, &info, &why), 414);
	assert_int_equal(ns_http_request_check(buf, lim.max_header - 1, &lim, &info, &why),
			 -EAGAIN);

	/* fields over max_header in all: 431; more than max_fields: 431 */
	memset(buf, 'b', lim.max_header);
	memcpy(buf, "GET / HTTP/1.1\r\nX: ", 19);
	assert_int_equal(ns_http_request_check(buf, lim.max_header, &lim, &info, &why), 431);
	n = (size_t)snprintf(buf, lim.max_header, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 16; i++)
		n += (size_t)snprintf(buf + n, lim.max_header - n, "X: y\r\n");
	memcpy(buf + n, "\r\n", 2);
	assert_int_equal(ns_http_request_check(buf, n + 2, &lim, &info, &why), 431);

	/* HEAD is reported, so that a refusal carries no body; also before its line ends */
	strcpy(buf, "HEAD /%00 HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(ns_http_request_check(buf, strlen(buf), &lim, &info, &why), 400);
	assert_true(info.head);
	memset(buf, 'a', lim.max_header);
	memcpy(buf, "HEAD /", 6);
	assert_int_equal(ns_http_request_check(buf, lim.max_header, &lim, &info, &why), 414);
	assert_true(info.head);
	free(buf);
}

/* Every strict prefix of a good request is "not yet"; of a bad one, "not yet" or the same refusal.
 */
static void test_prefixes(void **unused)
{
	static const char *const reqs[] = {
	    "GET /metrics?collect[]=snmp HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\rX\r\n\r\n",
	};

	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		struct ns_http_request_info info;
		size_t len = strlen(reqs[i]);
		const char *why;
		int full = ns_http_request_check(reqs[i], len, &lim, &info, &why);

		for (size_t k = 0; k < len; k++) {
			int rc = ns_http_request_check(reqs[i], k, &lim, &info, &why);

			if (rc != -EAGAIN && rc != full)
				fail_msg("request %zu prefix %zu: %d, full %d", i, k, rc, full);
			if (full == 0)
				assert_int_equal(rc, -EAGAIN);
		}
	}
}

static void test_values(void **unused)
{
	struct ns_http_limits l = lim;
	const char *why = NULL;

	assert_true(ns_http_content_length_ok("0", 1));
	assert_true(ns_http_content_length_ok("1234567890123456789", 19));
	assert_false(ns_http_content_length_ok("12345678901234567890", 20));
	assert_false(ns_http_content_length_ok("", 0));
	assert_false(ns_http_content_length_ok("+1", 2));
	assert_true(ns_http_content_length_zero("000", 3));
	assert_false(ns_http_content_length_zero("010", 3));
	assert_int_equal(ns_http_query_params("/m?a&b;c", 8), 3);
	assert_int_equal(ns_http_query_params("/m", 2), 0);
	assert_int_equal(ns_http_target_check("/m?a&b", 6, &l, &why), 0);
	l.max_query = 1;
	assert_int_equal(ns_http_target_check("/m?a&b", 6, &l, &why), 400);
	assert_int_equal(ns_http_target_check("/m%00", 5, &l, &why), 400);
	l.max_target = 4;
	assert_int_equal(ns_http_target_check("/m?a&b", 6, &l, &why), 414);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_good),	  cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_nul_and_sizes), cmocka_unit_test(test_prefixes),
	    cmocka_unit_test(test_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
