// SPDX-License-Identifier: GPL-2.0-or-later
/* log.c - logfmt/JSON records on stderr, journald priority prefixes. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"

static enum ns_log_level log_min = NS_LOG_INFO;
static enum ns_log_format log_fmt = NS_LOG_LOGFMT;
static int log_journal = -1; /* -1: not decided yet */

static const char *const level_names[] = {"debug", "info", "warn", "error"};
static const int level_prio[] = {7, 6, 4, 3}; /* syslog priorities */

/*
 * Is stderr the journal? systemd sets JOURNAL_STREAM=<dev>:<inode> of the
 * stream it connected; it must match stderr (a child whose stderr was
 * redirected inherits the variable but not the stream).
 */
static int stderr_is_journal(void)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char tail;

	if (!v || sscanf(v, "%llu:%llu%c", &dev, &ino, &tail) != 2)
		return 0;
	if (fstat(STDERR_FILENO, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void ns_log_setup(enum ns_log_level min, enum ns_log_format fmt)
{
	log_min = min;
	log_fmt = fmt;
	log_journal = stderr_is_journal();
}

int ns_log_parse_level(const char *s, enum ns_log_level *out)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum ns_log_level)i;
			return 0;
		}
	}
	return -EINVAL;
}

int ns_log_parse_format(const char *s, enum ns_log_format *out)
{
	if (strcmp(s, "logfmt") == 0)
		*out = NS_LOG_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*out = NS_LOG_JSON;
	else
		return -EINVAL;
	return 0;
}

/* Append @s quoted for logfmt or JSON; both escape \ " and control bytes. */
static size_t put_quoted(char *o, size_t n, size_t pos, const char *s)
{
	if (pos < n)
		o[pos] = '"';
	pos++;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		const char *p = esc;

		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c == '\n')
			snprintf(esc, sizeof(esc), "\\n");
		else if (c < 0x20)
			snprintf(esc, sizeof(esc), "\\u%04x", c);
		else
			esc[0] = (char)c, esc[1] = '\0';
		for (; *p; p++, pos++)
			if (pos < n)
				o[pos] = *p;
	}
	if (pos < n)
		o[pos] = '"';
	return pos + 1;
}

/* A logfmt value: bare when it can be (as go-kit's logfmt), else quoted. */
static size_t put_value(char *o, size_t n, size_t pos, const char *s)
{
	bool bare = *s != '\0';

	for (const char *c = s; bare && *c; c++)
		bare =
		    (unsigned char)*c > ' ' && *c != '"' && *c != '=' && *c != '\\' && *c != 0x7f;
	if (!bare)
		return put_quoted(o, n, pos, s);
	for (; *s; s++, pos++)
		if (pos < n)
			o[pos] = *s;
	return pos;
}

int ns_log_enabled(enum ns_log_level lvl)
{
	return lvl >= log_min;
}

__attribute__((format(printf, 5, 0))) static void vlog(enum ns_log_level lvl, const char *component,
						       const struct ns_log_kv *kv, size_t nkv,
						       const char *fmt, va_list ap)
{
	char msg[1024], line[2048], ts[96];
	struct timespec now;
	struct tm tm;
	size_t pos = 0, n = sizeof(line) - 2;

	if (lvl < log_min)
		return;
	if (log_journal < 0)
		log_journal = stderr_is_journal();
	vsnprintf(msg, sizeof(msg), fmt, ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 now.tv_nsec / 1000000);

	if (log_journal)
		pos += (size_t)snprintf(line, n, "<%d>", level_prio[lvl]);
	if (log_fmt == NS_LOG_JSON) {
		pos += (size_t)snprintf(line + pos, n - pos, "{\"ts\":\"%s\",\"level\":\"%s\"", ts,
					level_names[lvl]);
		if (component) {
			pos +=
			    (size_t)snprintf(line + pos, n > pos ? n - pos : 0, ",\"component\":");
			pos = put_quoted(line, n, pos, component);
		}
		pos += (size_t)snprintf(line + pos, n > pos ? n - pos : 0, ",\"msg\":");
		pos = put_quoted(line, n, pos, msg);
		for (size_t i = 0; i < nkv; i++) {
			if (!kv[i].value)
				continue;
			pos += (size_t)snprintf(line + pos, n > pos ? n - pos : 0,
						",\"%s\":", kv[i].key);
			pos = put_quoted(line, n, pos, kv[i].value);
		}
		if (pos < n)
			line[pos] = '}';
		pos++;
	} else {
		if (!log_journal)
			pos += (size_t)snprintf(line + pos, n - pos, "ts=%s ", ts);
		pos += (size_t)snprintf(line + pos, n - pos, "level=%s", level_names[lvl]);
		if (component)
			pos += (size_t)snprintf(line + pos, n > pos ? n - pos : 0, " component=%s",
						component);
		pos += (size_t)snprintf(line + pos, n > pos ? n - pos : 0, " msg=");
		pos = put_quoted(line, n, pos, msg);
		for (size_t i = 0; i < nkv; i++) {
			if (!kv[i].value)
				continue;
			pos +=
			    (size_t)snprintf(line + pos, n > pos ? n - pos : 0, " %s=", kv[i].key);
			pos = put_value(line, n, pos, kv[i].value);
		}
	}
	if (pos > n)
		pos = n;
	line[pos++] = '\n';
	if (write(STDERR_FILENO, line, pos) < 0) {
		/* nowhere left to report it */
	}
}

void ns_log(enum ns_log_level lvl, const char *component, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, component, NULL, 0, fmt, ap);
	va_end(ap);
}

void ns_log_kv(enum ns_log_level lvl, const char *component, const struct ns_log_kv *kv, size_t n,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, component, kv, n, fmt, ap);
	va_end(ap);
}

int ns_ratelimit_ok(struct ns_ratelimit *rl, unsigned interval_s, unsigned *suppressed)
{
	int64_t t = ns_mono_ns();

	if (rl->last_ns && t - rl->last_ns < (int64_t)interval_s * 1000000000) {
		rl->suppressed++;
		return 0;
	}
	rl->last_ns = t;
	if (suppressed)
		*suppressed = rl->suppressed;
	rl->suppressed = 0;
	return 1;
}

void ns_log_err(enum ns_log_level lvl, const char *component, const char *err, const char *fmt, ...)
{
	struct ns_log_kv kv = {"err", err};
	va_list ap;

	va_start(ap, fmt);
	vlog(lvl, component, &kv, 1, fmt, ap);
	va_end(ap);
}
