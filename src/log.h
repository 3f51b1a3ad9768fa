/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * log.h - structured logging to stderr: logfmt or JSON, and syslog <N>
 * priority prefixes when stderr is the journal (JOURNAL_STREAM names
 * stderr's device and inode, as systemd sets it); then logfmt records leave
 * out ts= (the journal stamps every line).
 * Thread-safe: each record is written with one write(2).
 */
#ifndef NS_LOG_H
#define NS_LOG_H

#include <stddef.h>
#include <stdint.h>

enum ns_log_level {
	NS_LOG_DEBUG,
	NS_LOG_INFO,
	NS_LOG_WARN,
	NS_LOG_ERROR,
};

enum ns_log_format {
	NS_LOG_LOGFMT,
	NS_LOG_JSON,
};

void ns_log_setup(enum ns_log_level min, enum ns_log_format fmt);
int ns_log_parse_level(const char *s, enum ns_log_level *out);
int ns_log_parse_format(const char *s, enum ns_log_format *out);

/* ts=... level=... component=... msg="..." */
void ns_log(enum ns_log_level lvl, const char *component, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The same with more keys after msg, in order: ... msg="collector failed"
 * collector=snmp err="/proc/net/snmp: No such file or directory". Values
 * are quoted and escaped like msg (JSON: string members); a NULL value
 * leaves its key out. The error of a failure goes in "err", never in msg.
 */
struct ns_log_kv {
	const char *key; /* [a-z0-9_]+ */
	const char *value;
};
void ns_log_kv(enum ns_log_level lvl, const char *component, const struct ns_log_kv *kv, size_t n,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Would a record at @lvl be written? (to skip building one that would not) */
int ns_log_enabled(enum ns_log_level lvl);

/*
 * The same with only the error in its own key: ... msg="..." err="..."
 * (@err may be NULL: no key).
 */
void ns_log_err(enum ns_log_level lvl, const char *component, const char *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Rate limiting for repeated failures: returns 1 if a message with this
 * limiter may be logged now (at most one per @interval_s seconds), and
 * counts the suppressed ones in *suppressed.
 */
struct ns_ratelimit {
	int64_t last_ns;
	unsigned suppressed;
};
int ns_ratelimit_ok(struct ns_ratelimit *rl, unsigned interval_s, unsigned *suppressed);

#endif
