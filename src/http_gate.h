/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * http_gate.h - the plaintext request gate: accepts connections on the
 * listening sockets, waits (in one epoll thread, no thread or buffer per
 * connection) until the whole request header has arrived, checks it with
 * ns_http_request_check() on a MSG_PEEK copy, and hands the connection,
 * its bytes still unread, to the HTTP server; or answers the refusal
 * itself (one line of text, the server's headers) and closes. A header
 * not complete by the deadline closes the connection; so do connections
 * over the per-address and total limits, at accept. The gate sees the
 * first request of a connection; the server reads the later ones of a
 * kept-alive connection itself.
 */
#ifndef NS_HTTP_GATE_H
#define NS_HTTP_GATE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "err.h"
#include "http_request.h"

struct ns_gate;

struct ns_gate_ops {
	/* Hand a checked connection to the server of listening socket @idx; takes @fd. */
	void (*pass)(void *arg, size_t idx, int fd, const struct sockaddr *sa, socklen_t salen);
	/*
	 * Write the header lines every response carries ("Name: value\r\n"
	 * each) into @out; returns their length (0 when they do not fit).
	 */
	size_t (*headers)(void *arg, char *out, size_t cap);
	void *arg;
};

struct ns_gate_limits {
	struct ns_http_limits req;
	unsigned header_timeout_s; /* from accept to the blank line */
	unsigned max_waiting;	   /* connections held (waiting, or lingering after a refusal) */
	unsigned max_per_addr;	   /* of them from one client address; 0: no limit */
};

struct ns_gate_stats {
	unsigned waiting;	  /* connections held now (header awaited, or closing) */
	uint64_t header_timeouts; /* closed at the header deadline */
	uint64_t refused;	  /* answered 4xx/5xx by the gate */
	uint64_t over_limit;	  /* closed at accept: a connection limit */
	uint64_t passed;	  /* handed to the server */
};

/*
 * Start the gate's thread on @fds (@nfds listening sockets, which it takes
 * and closes at ns_gate_stop(), even on failure).
 */
int ns_gate_start(struct ns_gate **out, const int *fds, size_t nfds,
		  const struct ns_gate_limits *lim, const struct ns_gate_ops *ops,
		  struct ns_err *e);

void ns_gate_stats(struct ns_gate *g, struct ns_gate_stats *st);

/* Stop the thread, close every connection it holds and the listening sockets. */
void ns_gate_stop(struct ns_gate *g);

#endif
