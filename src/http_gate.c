// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http_gate.c - the plaintext request gate (http_gate.h).
 *
 * One thread, one epoll set: the listening sockets (level-triggered) and
 * the connections waiting for their header (edge-triggered: each arrival
 * of data wakes the thread once, and the data stays in the socket).
 * A connection costs a slot of a table made at start; the bytes are
 * looked at with MSG_PEEK into one buffer of --web.max-header-bytes, so
 * that the server reads the request as if nobody had. The copies a
 * connection may cause are bounded (GATE_PEEK_BUDGET), so a header sent a
 * byte at a time costs at most that much memcpy.
 *
 * Deadlines: every waiting connection has the same timeout, so the list of
 * waiting connections in accept order is also in deadline order, and so is
 * the list of refused connections lingering before close; the epoll
 * timeout is the nearest head.
 *
 * A refusal is written at once (it fits an empty send buffer), then the
 * write side is shut down and the connection lingers up to GATE_LINGER_MS
 * while its remaining input is read and dropped, so that the client reads
 * the answer instead of a reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "http_gate.h"
#include "log.h"

#define GATE_LINGER_MS 2000
#define GATE_PAUSE_MS 100 /* after accept() ran out of fds or memory */
#define GATE_ACCEPT_BATCH 64
#define GATE_EVENTS 64
#define GATE_PEEK_BUDGET(max) (16 * (max))
#define GATE_OUT 16384		     /* a refusal: status line, headers, one line */
#define GATE_DRAIN_MAX (1024 * 1024) /* dropped per event while lingering */

#define TAG_STOP UINT64_MAX
#define TAG_LISTEN (1ULL << 62)

struct gate_conn {
	struct gate_conn *prev, *next; /* waiting or closing list; or the free list */
	int fd;
	bool closing;
	size_t idx; /* listening socket */
	int64_t deadline;
	size_t peeked;
	socklen_t salen;
	struct sockaddr_storage sa;
};

struct gate_list {
	struct gate_conn *head, *tail;
};

struct ns_gate {
	int ep, stopfd;
	int *fds;
	size_t nfds;
	bool listening;
	int64_t resume_at;
	struct ns_gate_limits lim;
	struct ns_gate_ops ops;

	struct gate_conn *conns;
	size_t nconns;
	struct gate_conn *free;
	struct gate_list waiting, closing;

	char *buf; /* MSG_PEEK copies, and input dropped while lingering */
	size_t bufcap;
	char out[GATE_OUT];

	pthread_t thr;
	bool started;
	struct ns_ratelimit log_rl;

	atomic_uint held;
	atomic_ullong header_timeouts, refused, over_limit, passed;
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void list_add(struct gate_list *l, struct gate_conn *c)
{
	c->next = NULL;
	c->prev = l->tail;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

static void list_del(struct gate_list *l, struct gate_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

static void slot_free(struct ns_gate *g, struct gate_conn *c)
{
	list_del(c->closing ? &g->closing : &g->waiting, c);
	c->fd = -1;
	c->next = g->free;
	g->free = c;
	atomic_fetch_sub(&g->held, 1);
}

static void conn_close(struct ns_gate *g, struct gate_conn *c)
{
	close(c->fd); /* also leaves the epoll set: nobody else has the fd */
	slot_free(g, c);
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->ss_family == AF_INET6)
		return memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			      &((const struct sockaddr_in6 *)b)->sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return false;
}

/* Waiting and lingering connections both hold a slot: both count. */
static bool over_addr_limit(struct ns_gate *g, const struct sockaddr_storage *sa)
{
	struct gate_list *lists[] = {&g->waiting, &g->closing};
	unsigned n = 0;

	if (!g->lim.max_per_addr)
		return false;
	for (size_t i = 0; i < 2; i++)
		for (struct gate_conn *c = lists[i]->head; c; c = c->next)
			if (same_addr(&c->sa, sa) && ++n >= g->lim.max_per_addr)
				return true;
	return false;
}

static void set_listening(struct ns_gate *g, bool on)
{
	for (size_t i = 0; i < g->nfds; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_LISTEN | i};

		epoll_ctl(g->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, g->fds[i], &ev);
	}
	g->listening = on;
}

static void conn_event(struct ns_gate *g, struct gate_conn *c, uint32_t events);

static void accept_some(struct ns_gate *g, size_t idx)
{
	for (int k = 0; k < GATE_ACCEPT_BATCH; k++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct epoll_event ev;
		struct gate_conn *c;
		unsigned suppressed = 0;
		int fd;

		fd =
		    accept4(g->fds[idx], (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				if (ns_ratelimit_ok(&g->log_rl, 10, &suppressed))
					ns_log_err(NS_LOG_WARN, "http", strerror(errno),
						   "accept failed; not accepting for %d ms "
						   "(%u similar messages suppressed)",
						   GATE_PAUSE_MS, suppressed);
				set_listening(g, false);
				g->resume_at = now_ns() + (int64_t)GATE_PAUSE_MS * 1000000;
			}
			return;
		}
		c = g->free;
		if (!c || over_addr_limit(g, &ss)) {
			close(fd);
			atomic_fetch_add(&g->over_limit, 1);
			continue;
		}
		g->free = c->next;
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->idx = idx;
		c->sa = ss;
		c->salen = sl;
		c->deadline = now_ns() + (int64_t)g->lim.header_timeout_s * 1000000000;
		list_add(&g->waiting, c);
		atomic_fetch_add(&g->held, 1);
		/*
		 * Registered first: data already there is reported at once (epoll
		 * looks when a fd is added), so nothing that arrives while the
		 * request is looked at below can be missed.
		 */
		ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
		ev.data.u64 = (uint64_t)(c - g->conns);
		if (epoll_ctl(g->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_close(g, c);
			continue;
		}
		/* The request often came with the handshake: look now, not at the next wakeup. */
		conn_event(g, c, 0);
	}
}

/*
 * Read and drop what a refused client still sends, until the socket is
 * empty (edge-triggered: no event would come for what is left); close at
 * its end, or at once if it keeps sending more than GATE_DRAIN_MAX.
 */
static void drain(struct ns_gate *g, struct gate_conn *c)
{
	size_t total = 0;

	for (;;) {
		ssize_t n = recv(c->fd, g->buf, g->bufcap, 0);

		if (n > 0) {
			total += (size_t)n;
			if (total <= GATE_DRAIN_MAX)
				continue;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		}
		conn_close(g, c);
		return;
	}
}

static void refuse(struct ns_gate *g, struct gate_conn *c, unsigned status, const char *why,
		   bool head)
{
	const char *reason = MHD_get_reason_phrase_for(status);
	size_t blen = strlen(why) + 1, n, hn;
	char date[64];
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	n = (size_t)snprintf(g->out, sizeof(g->out),
			     "HTTP/1.1 %u %s\r\nDate: %s\r\nConnection: close\r\n"
			     "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %zu\r\n",
			     status, reason && *reason ? reason : "Error", date, blen);
	hn = g->ops.headers(g->ops.arg, g->out + n, sizeof(g->out) - n - blen - 3);
	if (!hn) {
		/* cannot happen (header values are bounded): never answer without them */
		conn_close(g, c);
		return;
	}
	n += hn;
	memcpy(g->out + n, "\r\n", 2);
	n += 2;
	if (!head) {
		memcpy(g->out + n, why, blen - 1);
		g->out[n + blen - 1] = '\n';
		n += blen;
	}
	/* Under GATE_OUT into an empty send buffer: written whole, or given up. */
	if (send(c->fd, g->out, n, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)n) {
		conn_close(g, c);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	atomic_fetch_add(&g->refused, 1);
	list_del(&g->waiting, c);
	c->closing = true;
	c->deadline = now_ns() + (int64_t)GATE_LINGER_MS * 1000000;
	list_add(&g->closing, c);
	drain(g, c);
}

static void pass(struct ns_gate *g, struct gate_conn *c)
{
	struct sockaddr_storage sa = c->sa;
	socklen_t salen = c->salen;
	size_t idx = c->idx;
	int fd = c->fd;

	epoll_ctl(g->ep, EPOLL_CTL_DEL, fd, NULL);
	slot_free(g, c);
	atomic_fetch_add(&g->passed, 1);
	g->ops.pass(g->ops.arg, idx, fd, (const struct sockaddr *)&sa, salen);
}

static void conn_event(struct ns_gate *g, struct gate_conn *c, uint32_t events)
{
	struct ns_http_request_info info;
	const char *why = "bad request";
	ssize_t n;
	int rc;

	if (c->closing) {
		drain(g, c);
		return;
	}
	n = recv(c->fd, g->buf, g->bufcap, MSG_PEEK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* closed or reset before the header was complete: nothing to answer */
		conn_close(g, c);
		return;
	}
	c->peeked += (size_t)n;
	rc = ns_http_request_check(g->buf, (size_t)n, &g->lim.req, &info, &why);
	if (rc == 0) {
		pass(g, c);
	} else if (rc != -EAGAIN) {
		refuse(g, c, (unsigned)rc, why, info.head);
	} else if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		conn_close(g, c); /* the client stopped sending: the header cannot complete */
	} else if (c->peeked > GATE_PEEK_BUDGET(g->lim.req.max_header)) {
		refuse(g, c, 400, "request header sent in too many pieces", info.head);
	}
}

/* Close what is past its deadline; the epoll timeout (ms, -1: none) until the next one. */
static int expire(struct ns_gate *g)
{
	int64_t now = now_ns(), next = INT64_MAX;
	struct gate_conn *c;

	while ((c = g->waiting.head) && c->deadline <= now) {
		conn_close(g, c);
		atomic_fetch_add(&g->header_timeouts, 1);
	}
	while ((c = g->closing.head) && c->deadline <= now)
		conn_close(g, c);
	if (!g->listening && now >= g->resume_at)
		set_listening(g, true);
	if (g->waiting.head)
		next = g->waiting.head->deadline;
	if (g->closing.head && g->closing.head->deadline < next)
		next = g->closing.head->deadline;
	if (!g->listening && g->resume_at < next)
		next = g->resume_at;
	if (next == INT64_MAX)
		return -1;
	return (int)((next - now + 999999) / 1000000);
}

static void *gate_thread(void *arg)
{
	struct ns_gate *g = arg;
	struct epoll_event ev[GATE_EVENTS];

	for (;;) {
		int n = epoll_wait(g->ep, ev, GATE_EVENTS, expire(g));

		if (n < 0 && errno != EINTR) {
			ns_log_err(NS_LOG_ERROR, "http", strerror(errno), "epoll_wait failed");
			return NULL;
		}
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag == TAG_STOP)
				return NULL;
			if (tag & TAG_LISTEN)
				accept_some(g, (size_t)(tag & ~TAG_LISTEN));
			else if (g->conns[tag].fd >= 0)
				conn_event(g, &g->conns[tag], ev[i].events);
		}
	}
}

int ns_gate_start(struct ns_gate **out, const int *fds, size_t nfds,
		  const struct ns_gate_limits *lim, const struct ns_gate_ops *ops, struct ns_err *e)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = TAG_STOP};
	struct ns_gate *g = calloc(1, sizeof(*g));
	int rc;

	*out = g;
	if (!g) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	g->ep = g->stopfd = -1;
	g->lim = *lim;
	g->ops = *ops;
	g->fds = malloc(nfds * sizeof(*g->fds));
	if (!g->fds) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	memcpy(g->fds, fds, nfds * sizeof(*fds));
	g->nfds = nfds;
	g->nconns = lim->max_waiting ? lim->max_waiting : 1;
	g->conns = calloc(g->nconns, sizeof(*g->conns));
	g->bufcap = lim->req.max_header;
	g->buf = malloc(g->bufcap);
	if (!g->conns || !g->buf) {
		free(g->conns);
		g->conns = NULL; /* its zeroed slots would name fd 0 */
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	for (size_t i = g->nconns; i-- > 0;) {
		g->conns[i].fd = -1;
		g->conns[i].next = g->free;
		g->free = &g->conns[i];
	}
	for (size_t i = 0; i < nfds; i++) {
		int fl = fcntl(fds[i], F_GETFL);

		if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) < 0)
			return ns_err_set(e, -errno, "listening socket: %s", strerror(errno));
	}
	g->ep = epoll_create1(EPOLL_CLOEXEC);
	g->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->ep < 0 || g->stopfd < 0 || epoll_ctl(g->ep, EPOLL_CTL_ADD, g->stopfd, &ev) < 0)
		return ns_err_set(e, -errno, "request gate: %s", strerror(errno));
	set_listening(g, true);
	rc = pthread_create(&g->thr, NULL, gate_thread, g);
	if (rc)
		return ns_err_set(e, -rc, "cannot start the request gate thread");
	g->started = true;
	return 0;
}

void ns_gate_stats(struct ns_gate *g, struct ns_gate_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!g)
		return;
	st->waiting = atomic_load(&g->held);
	st->header_timeouts = atomic_load(&g->header_timeouts);
	st->refused = atomic_load(&g->refused);
	st->over_limit = atomic_load(&g->over_limit);
	st->passed = atomic_load(&g->passed);
}

void ns_gate_stop(struct ns_gate *g)
{
	uint64_t one = 1;

	if (!g)
		return;
	if (g->started) {
		if (write(g->stopfd, &one, sizeof(one)) < 0)
			ns_log_err(NS_LOG_WARN, "http", strerror(errno), "request gate: stop");
		pthread_join(g->thr, NULL);
	}
	for (size_t i = 0; g->conns && i < g->nconns; i++)
		if (g->conns[i].fd >= 0)
			close(g->conns[i].fd);
	for (size_t i = 0; g->fds && i < g->nfds; i++)
		close(g->fds[i]);
	if (g->ep >= 0)
		close(g->ep);
	if (g->stopfd >= 0)
		close(g->stopfd);
	free(g->conns);
	free(g->buf);
	free(g->fds);
	free(g);
}
