// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz_http_request.c - libFuzzer target: ns_http_request_check() (the
 * plaintext request gate's check) on arbitrary bytes, as they may arrive
 * in any number of pieces.
 *
 * Besides crashes and sanitizer reports, it aborts when a documented
 * property breaks: the result is 0, -EAGAIN or one of the statuses the
 * gate answers; a pass names a header that ends with the blank line
 * within the bytes and the limit; "not yet" only below the limit; and a
 * prefix of the input never gets a different verdict than the whole,
 * other than "not yet" (what the gate decides on the first pieces stands).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http_request.h"

/* small, so that the size limits are reached by the inputs libFuzzer makes */
static const struct ns_http_limits lim = {
    .max_header = 256, .max_target = 64, .max_query = 4, .max_fields = 6};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verdict(const char *buf, size_t len, struct ns_http_request_info *info)
{
	const char *why = NULL;
	int rc = ns_http_request_check(buf, len, &lim, info, &why);

	switch (rc) {
	case 0:
		if (info->hdr_len < 4 || info->hdr_len > len || info->hdr_len > lim.max_header ||
		    memcmp(buf + info->hdr_len - 4, "\r\n\r\n", 4) != 0)
			abort();
		break;
	case -EAGAIN:
		if (len >= lim.max_header)
			abort();
		break;
	case 400:
	case 413:
	case 414:
	case 417:
	case 431:
	case 505:
		if (!why || !*why || strchr(why, '\n') || strchr(why, '\r'))
			abort();
		break;
	default:
		abort();
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ns_http_request_info info, pinfo;
	/* a copy of exactly @size bytes, so that ASan sees any read past them */
	char *buf = malloc(size ? size : 1);
	size_t step;
	int full;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	full = verdict(buf, size, &info);
	step = size > 512 ? size / 64 : 1;
	for (size_t k = 0; k < size; k += step) {
		int rc = verdict(buf, k, &pinfo);

		if (rc != -EAGAIN && (rc != full || (rc == 0 && pinfo.hdr_len != info.hdr_len)))
			abort();
	}
	free(buf);
	return 0;
}
