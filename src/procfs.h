/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * procfs.h - read small kernel text files (/proc, /sys) without churn.
 *
 * A struct ns_file keeps its fd open and its buffer allocated between
 * scrapes; each ns_file_read() re-reads from offset 0 with pread() into the
 * grown buffer. Paths are relative to a root directory fd held by the
 * namespace context, which is how a collector is pointed at a fixture tree.
 */
#ifndef NS_PROCFS_H
#define NS_PROCFS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct ns_file {
	int fd;	   /* -1 while closed */
	char *rel; /* path relative to the root, owned */
	struct ns_buf buf;
};

#define NS_FILE_INIT                                                                               \
	{                                                                                          \
		-1, NULL, NS_BUF_INIT                                                              \
	}

/*
 * Read the whole file @rel below @rootfd into f->buf (NUL-terminated),
 * opening it on first use. Returns 0 or -errno (-ENOENT when the file does
 * not exist). The contents stay valid until the next read or close.
 */
int ns_file_read(struct ns_file *f, int rootfd, const char *rel);
void ns_file_close(struct ns_file *f);

/* One-shot read of @rel below @rootfd into @out (reset first). */
int ns_read_file_at(int rootfd, const char *rel, struct ns_buf *out);

/*
 * @path made absolute for messages (malloc'ed, NULL if out of memory): as
 * is if it starts with '/', else the current directory, '/', and @path
 * without leading "./" (no symlink resolution; the file need not exist).
 */
char *ns_path_abs(const char *path);

/*
 * Tokenising helpers for whitespace-separated kernel text.
 * ns_next_line() returns the next line (NUL-terminated in place, '\n'
 * replaced) and advances *cursor; NULL at the end.
 * ns_next_token() likewise splits a line on blanks; NULL at the end.
 */
char *ns_next_line(char **cursor);
char *ns_next_token(char **cursor);

/*
 * Parse a decimal unsigned 64-bit value (the whole string). Returns 0 or
 * -EINVAL / -ERANGE. ns_parse_i64 accepts a leading '-'.
 */
int ns_parse_u64(const char *s, uint64_t *v);
int ns_parse_i64(const char *s, int64_t *v);
/* Hexadecimal without 0x (as in /proc/net/softnet_stat). */
int ns_parse_hex_u64(const char *s, uint64_t *v);

/*
 * The one CPU-list parser (sysfs devices/system/cpu/{online,possible}:
 * "0-3,5,7-8", blanks before it, one trailing newline allowed, "" for no
 * CPU). Stores the first @max ids into @ids (NULL when @max is 0) and
 * returns how many CPUs the list names (may exceed @max), or -EINVAL for
 * anything else: a non-digit, a descending range, an id above
 * NS_CPU_ID_MAX, or a range wider than NS_CPU_RANGE_MAX ids.
 */
#define NS_CPU_ID_MAX 0xffffffffUL
#define NS_CPU_RANGE_MAX 65536UL
long ns_parse_cpulist(const char *s, unsigned *ids, size_t max);

/*
 * Convert a kernel identifier (e.g. "InCsumErrors", "TCPLostRetransmit",
 * "Ip6InReceives") to snake_case ("in_csum_errors", "tcp_lost_retransmit",
 * "ip6_in_receives"). Rule: an upper-case letter starts a new word when it
 * follows a lower-case letter or digit, or when it is followed by a
 * lower-case letter and preceded by an upper-case one that is not itself a
 * one-letter word (so "AckHMac" -> "ack_hmac", not "ack_h_mac", which
 * promtool reads as an abbreviated unit); non-alphanumerics
 * become '_'; runs of '_' collapse. Writes at most @len bytes incl. NUL.
 */
void ns_snake_case(const char *in, char *out, size_t len);

#endif
