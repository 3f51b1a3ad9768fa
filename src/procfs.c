// SPDX-License-Identifier: GPL-2.0-or-later
/* procfs.c - reusable readers and tokenisers for /proc and /sys text. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "procfs.h"

static int read_all(int fd, struct ns_buf *b)
{
	ssize_t n;
	int rc;

	ns_buf_reset(b);
	for (;;) {
		/*
		 * A new buffer starts at 1 KiB (sysctls and many /proc files fit:
		 * the daemon keeps one per file and network namespace) and doubles
		 * when full; warm, it holds the whole file in one pread().
		 */
		if (b->cap < b->len + 256)
			rc = ns_buf_reserve(b, b->cap ? b->cap : 512);
		else
			rc = ns_buf_reserve(b, b->cap - b->len - 1);
		if (rc)
			return rc;
		n = pread(fd, b->data + b->len, b->cap - b->len - 1, (off_t)b->len);
		if (n < 0 && errno == ESPIPE) /* a pipe standing in for a file (tests) */
			n = read(fd, b->data + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
	}
	b->data[b->len] = '\0';
	return 0;
}

int ns_file_read(struct ns_file *f, int rootfd, const char *rel)
{
	int rc;

	if (f->fd >= 0 && f->rel && strcmp(f->rel, rel) != 0)
		ns_file_close(f);
	if (f->fd < 0) {
		f->fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return -errno;
		if (!f->rel || strcmp(f->rel, rel) != 0) {
			free(f->rel);
			f->rel = strdup(rel);
			if (!f->rel) {
				ns_file_close(f);
				return -ENOMEM;
			}
		}
	}
	rc = read_all(f->fd, &f->buf);
	if (rc && rc != -ENOMEM) {
		/* The file may have been replaced (sysfs device gone and back): retry once. */
		close(f->fd);
		f->fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC);
		if (f->fd < 0)
			return -errno;
		rc = read_all(f->fd, &f->buf);
	}
	return rc;
}

void ns_file_close(struct ns_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->rel);
	f->rel = NULL;
	ns_buf_free(&f->buf);
}

int ns_read_file_at(int rootfd, const char *rel, struct ns_buf *out)
{
	int fd = openat(rootfd, rel, O_RDONLY | O_CLOEXEC);
	int rc;

	if (fd < 0)
		return -errno;
	rc = read_all(fd, out);
	close(fd);
	return rc;
}

char *ns_next_line(char **cursor)
{
	char *s = *cursor, *nl;

	if (!s || !*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*cursor = nl + 1;
	} else {
		*cursor = s + strlen(s);
	}
	return s;
}

char *ns_next_token(char **cursor)
{
	char *s = *cursor, *t;

	if (!s)
		return NULL;
	while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
		s++;
	if (!*s) {
		*cursor = s;
		return NULL;
	}
	t = s;
	while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
		s++;
	if (*s)
		*s++ = '\0';
	*cursor = s;
	return t;
}

static int parse_unsigned(const char *s, int base, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-' || *s == '+' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, base);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0' || end == s)
		return -EINVAL;
	*v = (uint64_t)x;
	return 0;
}

int ns_parse_u64(const char *s, uint64_t *v)
{
	return parse_unsigned(s, 10, v);
}

int ns_parse_hex_u64(const char *s, uint64_t *v)
{
	if (s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		return -EINVAL;
	return parse_unsigned(s, 16, v);
}

int ns_parse_i64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	if (!s || !*s || isspace((unsigned char)*s) || *s == '+')
		return -EINVAL;
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end != '\0' || end == s)
		return -EINVAL;
	*v = (int64_t)x;
	return 0;
}

void ns_snake_case(const char *in, char *out, size_t len)
{
	size_t o = 0;

	if (!len)
		return;
	for (size_t i = 0; in[i] && o + 1 < len; i++) {
		unsigned char c = (unsigned char)in[i];
		unsigned char prev = i ? (unsigned char)in[i - 1] : 0;
		unsigned char next = (unsigned char)in[i + 1];

		if (!isalnum(c)) {
			if (o && out[o - 1] != '_')
				out[o++] = '_';
			continue;
		}
		/* A one-letter word joins the capitalised word after it: HMac -> hmac. */
		unsigned char prev2 = i > 1 ? (unsigned char)in[i - 2] : 0;
		int one_letter = isupper(prev) && (!prev2 || !isupper(prev2));

		if (isupper(c) && o && out[o - 1] != '_' &&
		    (islower(prev) || isdigit(prev) ||
		     (isupper(prev) && islower(next) && !one_letter))) {
			out[o++] = '_';
			if (o + 1 >= len)
				break;
		}
		out[o++] = (char)tolower(c);
	}
	while (o && out[o - 1] == '_')
		o--;
	out[o] = '\0';
}

char *ns_path_abs(const char *path)
{
	char cwd[PATH_MAX];
	char *out;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	while (path[0] == '.' && path[1] == '/')
		for (path += 2; *path == '/'; path++)
			;
	if (!*path || (path[0] == '.' && !path[1]))
		return strdup(cwd);
	if (asprintf(&out, "%s%s%s", cwd, strcmp(cwd, "/") ? "/" : "", path) < 0)
		return NULL;
	return out;
}

static int cpulist_uint(const char **p, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	*v = strtoul(*p, &end, 10);
	if (errno || *v > NS_CPU_ID_MAX)
		return -EINVAL;
	*p = end;
	return 0;
}

long ns_parse_cpulist(const char *s, unsigned *ids, size_t max)
{
	size_t total = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	if (*s == '\n' || !*s)
		return 0;
	for (;;) {
		unsigned long lo, hi;

		if (cpulist_uint(&s, &lo))
			return -EINVAL;
		hi = lo;
		if (*s == '-') {
			s++;
			if (cpulist_uint(&s, &hi) || hi < lo || hi - lo >= NS_CPU_RANGE_MAX)
				return -EINVAL;
		}
		for (unsigned long c = lo; c <= hi; c++) {
			if (total < max)
				ids[total] = (unsigned)c;
			total++;
		}
		if (*s != ',')
			break;
		s++;
	}
	if (*s == '\n')
		s++;
	return *s ? -EINVAL : (long)total;
}
