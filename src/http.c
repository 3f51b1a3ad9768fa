// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * http.c - the HTTP front end on libmicrohttpd.
 *
 * Every listen address gets a socket created here (so that the error names
 * the address) and its own MHD daemon: epoll with a small pool of worker
 * threads (HTTP_THREADS), so that hundreds of idle or slow sockets cost no
 * thread each. A worker only does I/O: a scrape is rendered by one of
 * HTTP_SCRAPE_THREADS threads (shared by the daemons) while its connection
 * is suspended, so connections that landed on the same worker do not wait
 * for each other's collectors. Scrapes that run at the same time share the
 * collectors' work (scrape.h), so more of them at once costs little: with 8
 * scrape threads (and the gate) the http-load benchmark served 1.19x the
 * scrapes/s of the build with 4 (docs/PERFORMANCE.md).
 *
 * Plaintext sockets are accepted by the request gate (http_gate.c), which
 * hands MHD only connections whose whole first request header has arrived
 * and passed the strict check (http_request.c), and answers the others
 * itself. Later requests on a kept-alive connection, and TLS connections
 * (MHD's own sockets), get the checks made in the callbacks. Hostile
 * clients are bounded by
 *  - a connection limit per socket (--web.max-connections) and per client
 *    address (--web.max-connections-per-ip), at accept (the gate, or MHD);
 *  - a deadline for a TLS handshake (--web.tls-handshake-timeout, from
 *    accept to the client's Finished message, which a GnuTLS hook reports)
 *    and one for the whole request header (--web.header-timeout, from
 *    accept or the end of the handshake; for a later request on a
 *    kept-alive connection, --web.connection-timeout from the previous
 *    response): the gate closes a plaintext connection waiting for its
 *    first request at its deadline; otherwise a reaper thread shut()s down
 *    the socket, and MHD closes it;
 *  - bcrypt checks (basic auth) run in their own low-priority threads, at
 *    most --web.max-auth-checks at once, the connection suspended
 *    meanwhile; a check over the limit is answered 429 at once, so a flood
 *    of wrong passwords holds no worker;
 *  - strict request checks before any work (all of http_request.c in the
 *    gate; over TLS and for later requests on a kept-alive connection, in
 *    the callbacks: a NUL (%00) in the target, too many query parameters
 *    or a too long target, conflicting Content-Length headers,
 *    Transfer-Encoding with Content-Length, a missing or repeated Host,
 *    Expect, and a body on GET/HEAD), refused with a one-line 4xx (or the
 *    gate's 505) of our own.
 * Per-connection state lives in a table allocated at start (one slot per
 * possible connection), so accepting allocates nothing of ours.
 *
 * Scrape bodies are rendered into buffers from a small pool and
 * handed to MHD without a copy; the free callback returns them to the pool,
 * so a warm daemon does not allocate body or gzip memory per scrape.
 *
 * Headers on every response: X-Content-Type-Options: nosniff,
 * X-Frame-Options: DENY, Content-Security-Policy: default-src 'none';
 * style-src 'unsafe-inline', Referrer-Policy: no-referrer and
 * Cache-Control: no-store, plus (or instead of the defaults, by name) the
 * web config file's http_server_config.headers. Error bodies are one line
 * of text that says nothing about the host.
 *
 * Sockets are opened (or taken from systemd) by ns_http_listen(), before
 * any thread exists, so that main() can drop privileges in between; the
 * MHD daemons start in ns_http_serve().
 *
 * Reload: what a configuration reload replaces (the config, the engine
 * built from it, the web config and the landing page) is one refcounted
 * generation. A request takes a reference to the current generation for
 * its whole life; ns_http_reload() swaps the pointer, and the old
 * generation is freed by whoever drops its last reference, so an in-flight
 * scrape finishes on the engine it started with.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "build_config.h"
#include "buf.h"
#include "collector.h"
#include "http.h"
#include "http_gate.h"
#include "http_request.h"
#include "log.h"
#include "scrape.h"
#include "sdnotify.h"
#include "webconfig.h"
#include "writer.h"

#define HTTP_BACKLOG 512
#define HTTP_THREADS 4	       /* MHD workers per listening socket */
#define HTTP_SCRAPE_THREADS 8  /* threads that render scrapes (shared; see above) */
#define HTTP_MAX_TARGET 8192   /* request target bytes; longer: 414 */
#define HTTP_MAX_QUERY 128     /* query parameters; more: 400 */
#define HTTP_MAX_FIELDS 128    /* request header fields and cookie pairs; more: 431 */
#define HTTP_MHD_RECORDS 24576 /* MHD memory for them, the parameters, the response header */
#define HTTP_REAP_MS 200       /* how often the reaper looks at deadlines */
#define HTTP_POOL_MAX 8	       /* idle bodies kept for reuse */
#define HTTP_MAX_PARAMS 64     /* collect[] or exclude[] values per request */
#define HTTP_ADDRSTR (INET6_ADDRSTRLEN + 16)
#define HTTP_REALM "Basic realm=\"netstack_exporter\", charset=\"UTF-8\""

#define CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define CT_OPENMETRICS "application/openmetrics-text; version=1.0.0; charset=utf-8"
#define CT_PLAIN "text/plain; charset=utf-8"
#define CT_HTML "text/html; charset=utf-8"

/* A response body: the exposition, its gzip form, and the deflate state. */
struct http_body {
	struct http_body *next;
	struct ns_http *h;
	struct ns_buf text;
	struct ns_buf gz;
	z_stream zs;
	bool zs_ready;
};

enum req_state {
	REQ_NEW,    /* headers not looked at yet */
	REQ_AUTH,   /* suspended, a bcrypt check queued or running */
	REQ_OK,	    /* checked and allowed */
	REQ_SCRAPE, /* suspended, its scrape queued or running */
};

/* One open connection; slots come from a table made at start. */
struct http_conn {
	struct http_conn *next; /* free list, or the auth queue */
	struct ns_http *h;
	struct MHD_Connection *c;
	int fd;
	bool active;
	bool waiting;	     /* for a request header (the reaper looks at these) */
	bool reaped;	     /* its socket was shut down by the reaper */
	bool handshaking;    /* TLS handshake not complete */
	int64_t deadline;    /* CLOCK_MONOTONIC ns, for the request header */
	int64_t hs_deadline; /* for the TLS handshake */
	/* the current request */
	unsigned target_status; /* ns_http_target_check() of the raw target */
	const char *target_why;
	enum req_state state;
	bool get_or_head;
	bool auth_ok;
	const char *authz; /* in MHD's connection memory, valid while suspended */
	struct http_gen *gen;
	/* a scrape, rendered by a scrape thread */
	ns_mask_t mask;
	enum ns_format fmt;
	bool gz;
	int scrape_rc;
	struct http_body *body;
};

/* Suspended connections waiting for a thread of their own (bcrypt, scrapes). */
struct jobq {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct http_conn *head, *tail;
	pthread_t *thr;
	unsigned nthr;
	bool stop;
	int nice;
	struct ns_http *h;
	void (*run)(struct ns_http *h, struct http_conn *hc);
};

/* What a reload replaces. */
struct http_gen {
	atomic_uint refs;
	struct ns_config cfg; /* the engine's collector options point into it */
	struct ns_engine *eng;
	struct ns_webconfig *web;
	struct ns_buf landing;
};

struct ns_http {
	char *telemetry_path;
	unsigned max_requests;
	unsigned conn_timeout_s;
	size_t conn_memory_limit;
	unsigned header_timeout_s;
	unsigned tls_handshake_timeout_s;
	unsigned max_connections;
	unsigned max_conns_per_ip;
	unsigned max_auth_checks;
	struct ns_http_limits req_limits;
	atomic_uint inflight;
	struct ns_gate *gate; /* plaintext: accepts and checks before MHD */

	/* connections, the reaper */
	pthread_mutex_t conn_lock;
	struct http_conn *conns;
	size_t nconns;
	struct http_conn *conn_free;
	unsigned open_conns;
	pthread_t reaper;
	bool reaper_started;
	pthread_cond_t reaper_cv;
	bool stopping;
	atomic_ullong reaped;	      /* connections closed at the header deadline */
	atomic_ullong hs_reaped;      /* TLS connections closed at the handshake deadline */
	atomic_ullong auth_throttled; /* 429: too many bcrypt checks at once */
	atomic_ullong refused;	      /* requests refused by the strict checks */
	atomic_ullong pass_refused;   /* checked by the gate, refused by MHD (its limits) */

	struct jobq authq;   /* bcrypt checks */
	struct jobq scrapeq; /* scrapes */
	atomic_uint auth_busy;

	pthread_mutex_t self_lock;
	struct ns_writer *self_w;
	int *fds; /* listening sockets, until handed to MHD */
	char **fd_names;
	size_t nfds;
	bool from_systemd;
	struct MHD_Daemon **daemons;
	size_t ndaemons;
	bool tls;
	char priorities[160];

	pthread_mutex_t gen_lock;
	struct http_gen *gen;

	pthread_mutex_t pool_lock;
	struct http_body *pool;
	unsigned npool;

	pthread_mutex_t log_lock;
	struct ns_ratelimit log_rl;
};

/* ---- generations ---- */

static void gen_free(struct http_gen *g)
{
	ns_engine_free(g->eng);
	ns_config_free(&g->cfg);
	ns_webconfig_free(g->web);
	ns_buf_free(&g->landing);
	free(g);
}

static struct http_gen *gen_get(struct ns_http *h)
{
	struct http_gen *g;

	pthread_mutex_lock(&h->gen_lock);
	g = h->gen;
	atomic_fetch_add(&g->refs, 1);
	pthread_mutex_unlock(&h->gen_lock);
	return g;
}

static void gen_put(struct http_gen *g)
{
	if (g && atomic_fetch_sub(&g->refs, 1) == 1)
		gen_free(g);
}

/* ---- body pool ---- */

static void body_destroy(struct http_body *b)
{
	if (b->zs_ready)
		deflateEnd(&b->zs);
	ns_buf_free(&b->text);
	ns_buf_free(&b->gz);
	free(b);
}

static struct http_body *body_get(struct ns_http *h)
{
	struct http_body *b;

	pthread_mutex_lock(&h->pool_lock);
	b = h->pool;
	if (b) {
		h->pool = b->next;
		h->npool--;
	}
	pthread_mutex_unlock(&h->pool_lock);
	if (!b) {
		b = calloc(1, sizeof(*b));
		if (!b)
			return NULL;
		b->h = h;
	}
	b->next = NULL;
	ns_buf_reset(&b->text);
	ns_buf_reset(&b->gz);
	return b;
}

static void body_put(struct http_body *b)
{
	struct ns_http *h = b->h;

	pthread_mutex_lock(&h->pool_lock);
	if (h->npool < HTTP_POOL_MAX) {
		b->next = h->pool;
		h->pool = b;
		h->npool++;
		b = NULL;
	}
	pthread_mutex_unlock(&h->pool_lock);
	if (b)
		body_destroy(b);
}

/* MHD calls this when the last response referencing the body is destroyed. */
static void body_release(void *cls)
{
	body_put(cls);
}

/* gzip b->text into b->gz in one pass, reusing the deflate state. */
static int body_gzip(struct http_body *b)
{
	uLong bound;
	int rc;

	if (b->text.len > UINT_MAX / 2)
		return -E2BIG;
	if (!b->zs_ready) {
		memset(&b->zs, 0, sizeof(b->zs));
		if (deflateInit2(&b->zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
			return -ENOMEM;
		b->zs_ready = true;
	} else if (deflateReset(&b->zs) != Z_OK) {
		return -EIO;
	}
	bound = deflateBound(&b->zs, (uLong)b->text.len);
	rc = ns_buf_reserve(&b->gz, bound);
	if (rc)
		return rc;
	b->zs.next_in = (Bytef *)b->text.data;
	b->zs.avail_in = (uInt)b->text.len;
	b->zs.next_out = (Bytef *)b->gz.data;
	b->zs.avail_out = (uInt)bound;
	if (deflate(&b->zs, Z_FINISH) != Z_STREAM_END)
		return -EIO;
	b->gz.len = bound - b->zs.avail_out;
	return 0;
}

/* ---- request helpers ---- */

static const struct {
	const char *name, *value;
} default_headers[] = {
    {"X-Content-Type-Options", "nosniff"},
    {"X-Frame-Options", "DENY"},
    {"Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"},
    {"Referrer-Policy", "no-referrer"},
    {MHD_HTTP_HEADER_CACHE_CONTROL, "no-store"},
};

/* The defaults, each replaced by the web config's header of the same name; then its others. */
static void common_headers(const struct ns_webconfig *web,
			   void (*put)(void *arg, const char *name, const char *value), void *arg)
{
	size_t nd = sizeof(default_headers) / sizeof(default_headers[0]);

	for (size_t i = 0; i < nd; i++) {
		const char *v = default_headers[i].value;

		for (size_t j = 0; web && j < web->nheaders; j++)
			if (strcasecmp(web->headers[j].name, default_headers[i].name) == 0)
				v = web->headers[j].value;
		put(arg, default_headers[i].name, v);
	}
	for (size_t j = 0; web && j < web->nheaders; j++) {
		bool dflt = false;

		for (size_t i = 0; i < nd; i++)
			dflt |= strcasecmp(web->headers[j].name, default_headers[i].name) == 0;
		if (!dflt)
			put(arg, web->headers[j].name, web->headers[j].value);
	}
}

static void put_response_header(void *arg, const char *name, const char *value)
{
	MHD_add_response_header(arg, name, value);
}

static void add_common_headers(struct MHD_Response *r, const struct ns_webconfig *web)
{
	common_headers(web, put_response_header, r);
}

/* The same headers as text, for the gate's own refusals ("Name: value\r\n" lines). */
struct header_text {
	char *out;
	size_t cap, len;
	bool full;
};

static void put_header_text(void *arg, const char *name, const char *value)
{
	struct header_text *t = arg;
	int n;

	if (t->full)
		return;
	n = snprintf(t->out + t->len, t->cap - t->len, "%s: %s\r\n", name, value);
	if (n < 0 || (size_t)n >= t->cap - t->len)
		t->full = true;
	else
		t->len += (size_t)n;
}

static size_t gate_headers(void *arg, char *out, size_t cap)
{
	struct header_text t = {.out = out, .cap = cap, .len = 0, .full = !cap};
	struct http_gen *g = gen_get(arg);

	common_headers(g->web, put_header_text, &t);
	gen_put(g);
	return t.full ? 0 : t.len;
}

static enum MHD_Result queue(struct MHD_Connection *c, const struct ns_webconfig *web,
			     unsigned status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	add_common_headers(r, web);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* A one-line text/plain reply; @msg is copied. */
static enum MHD_Result reply_text(struct MHD_Connection *c, const struct ns_webconfig *web,
				  unsigned status, const char *msg, const char *hname,
				  const char *hval)
{
	char line[320];
	struct MHD_Response *r;
	size_t n;

	/* One line, printable: the message may echo request input. */
	snprintf(line, sizeof(line), "%s", msg);
	for (n = 0; line[n]; n++)
		if ((unsigned char)line[n] < 0x20 || line[n] == 0x7f)
			line[n] = '?';
	line[n++] = '\n';
	r = MHD_create_response_from_buffer(n, line, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CT_PLAIN);
	if (hname)
		MHD_add_response_header(r, hname, hval);
	return queue(c, web, status, r);
}

static enum MHD_Result reply_405(struct MHD_Connection *c, const struct ns_webconfig *web)
{
	return reply_text(c, web, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
			  MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
}

struct sel_args {
	const char *collect[HTTP_MAX_PARAMS];
	const char *exclude[HTTP_MAX_PARAMS];
	size_t ncollect, nexclude;
	bool overflow;
};

static enum MHD_Result sel_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct sel_args *a = cls;
	const char *v = value ? value : "";

	(void)kind;
	if (!key)
		return MHD_YES;
	if (strcmp(key, "collect[]") == 0) {
		if (a->ncollect == HTTP_MAX_PARAMS)
			goto overflow;
		a->collect[a->ncollect++] = v;
	} else if (strcmp(key, "exclude[]") == 0) {
		if (a->nexclude == HTTP_MAX_PARAMS)
			goto overflow;
		a->exclude[a->nexclude++] = v;
	}
	return MHD_YES;
overflow:
	a->overflow = true;
	return MHD_NO;
}

/*
 * Does Accept-Encoding allow gzip? Tokens are comma-separated, each
 * "coding *(; param)"; "gzip;q=0" (or q=0.0...) refuses it.
 */
static bool accepts_gzip(const char *ae)
{
	const char *p = ae;

	while (p && *p) {
		const char *end = strchr(p, ',');
		const char *tok_end = end ? end : p + strlen(p);
		const char *s = p, *e;
		bool zero = false;

		while (s < tok_end && (*s == ' ' || *s == '\t'))
			s++;
		e = s;
		while (e < tok_end && *e != ';' && *e != ' ' && *e != '\t')
			e++;
		if (e - s == 4 && strncasecmp(s, "gzip", 4) == 0) {
			/* look for q=0[.000] among the parameters */
			const char *q = e;

			while (q < tok_end) {
				while (q < tok_end && (*q == ';' || *q == ' ' || *q == '\t'))
					q++;
				if (tok_end - q >= 2 && (q[0] == 'q' || q[0] == 'Q') &&
				    q[1] == '=') {
					const char *v = q + 2;

					if (v < tok_end && *v == '0') {
						v++;
						if (v < tok_end && *v == '.')
							v++;
						while (v < tok_end && *v == '0')
							v++;
						while (v < tok_end && (*v == ' ' || *v == '\t'))
							v++;
						zero = v == tok_end || *v == ';';
					}
				}
				while (q < tok_end && *q != ';')
					q++;
			}
			return !zero;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/*
 * The front end's own families, after the engine's (and before OpenMetrics'
 * "# EOF", which the engine has written last).
 */
static int render_web(struct ns_http *h, enum ns_format fmt, struct ns_buf *out)
{
	static const char eof[] = "# EOF\n";
	struct ns_writer *w = h->self_w;
	struct ns_family *f;
	bool om = fmt == NS_FMT_OPENMETRICS, last_ok;
	struct ns_gate_stats gs;
	uint64_t tls_fail;
	unsigned open;
	int rc = 0;

	if (!w)
		return 0;
	if (om && out->len >= sizeof(eof) - 1 &&
	    memcmp(out->data + out->len - (sizeof(eof) - 1), eof, sizeof(eof) - 1) == 0)
		out->len -= sizeof(eof) - 1;
	else
		om = false;
	pthread_mutex_lock(&h->conn_lock);
	open = h->open_conns;
	pthread_mutex_unlock(&h->conn_lock);
	ns_gate_stats(h->gate, &gs);
	open += gs.waiting;
	pthread_mutex_lock(&h->self_lock);
	ns_writer_reset(w);
	f = ns_family(w, "netstack_web_open_connections",
		      "HTTP connections open now (this scrape's included).", NS_GAUGE, NULL);
	rc |= ns_sample_u64(w, f, NS_NOLABELS, open);
	f = ns_family(w, "netstack_web_header_timeouts_total",
		      "Connections closed because their request header was not complete by the "
		      "deadline.",
		      NS_COUNTER, NULL);
	rc |= ns_sample_u64(w, f, NS_NOLABELS, atomic_load(&h->reaped) + gs.header_timeouts);
	if (h->gate) {
		f = ns_family(w, "netstack_web_connections_refused_total",
			      "Plaintext connections closed because --web.max-connections or "
			      "--web.max-connections-per-ip was reached (at accept, or when the "
			      "gate passed them on).",
			      NS_COUNTER, NULL);
		rc |=
		    ns_sample_u64(w, f, NS_NOLABELS, gs.over_limit + atomic_load(&h->pass_refused));
	}
	if (h->tls) {
		f = ns_family(w, "netstack_web_tls_handshake_timeouts_total",
			      "TLS connections closed because their handshake was not complete by "
			      "the deadline.",
			      NS_COUNTER, NULL);
		rc |= ns_sample_u64(w, f, NS_NOLABELS, atomic_load(&h->hs_reaped));
	}
	f = ns_family(w, "netstack_web_auth_throttled_total",
		      "Requests answered 429 because --web.max-auth-checks password checks were "
		      "running.",
		      NS_COUNTER, NULL);
	rc |= ns_sample_u64(w, f, NS_NOLABELS, atomic_load(&h->auth_throttled));
	f = ns_family(
	    w, "netstack_web_requests_refused_total",
	    "Requests refused by the strict request checks (400, 413, 414, 417, 431, 505).",
	    NS_COUNTER, NULL);
	rc |= ns_sample_u64(w, f, NS_NOLABELS, atomic_load(&h->refused) + gs.refused);
	if (h->tls) {
		ns_webconfig_tls_stats(&tls_fail, &last_ok);
		f = ns_family(w, "netstack_web_tls_reload_failures_total",
			      "Changed TLS certificate, key or client CA files that did not load "
			      "(unreadable by the runtime user, or invalid).",
			      NS_COUNTER, NULL);
		rc |= ns_sample_u64(w, f, NS_NOLABELS, tls_fail);
		f = ns_family(w, "netstack_web_tls_last_reload_success",
			      "1 if the TLS files served are the current ones (the last load "
			      "attempt worked), 0 if a changed file did not load.",
			      NS_GAUGE, NULL);
		rc |= ns_sample_u64(w, f, NS_NOLABELS, last_ok);
	}
	if (rc)
		ns_log(NS_LOG_ERROR, "http", "self-metrics: a sample was refused by the writer");
	rc = ns_writer_render(w, fmt, out);
	pthread_mutex_unlock(&h->self_lock);
	if (!rc && om)
		rc = ns_buf_puts(out, eof);
	return rc;
}

/* ---- job queues ---- */

/*
 * Queue a suspended connection; false when the threads are stopping (the
 * caller resumes it and answers).
 */
static bool jobq_push(struct jobq *q, struct http_conn *hc)
{
	hc->next = NULL;
	pthread_mutex_lock(&q->mu);
	if (q->stop) {
		pthread_mutex_unlock(&q->mu);
		return false;
	}
	if (q->tail)
		q->tail->next = hc;
	else
		q->head = hc;
	q->tail = hc;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	return true;
}

static void *jobq_thread(void *arg)
{
	struct jobq *q = arg;

	if (q->nice && setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), q->nice) < 0) {
		/* best effort */
	}
	pthread_mutex_lock(&q->mu);
	for (;;) {
		struct http_conn *hc;

		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		hc = q->head;
		if (!hc)
			break; /* stopping, and nothing left */
		q->head = hc->next;
		if (!q->head)
			q->tail = NULL;
		pthread_mutex_unlock(&q->mu);
		q->run(q->h, hc); /* resumes the connection */
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static void jobq_init(struct jobq *q, struct ns_http *h,
		      void (*run)(struct ns_http *h, struct http_conn *hc), int nice)
{
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	q->h = h;
	q->run = run;
	q->nice = nice;
}

static int jobq_start(struct jobq *q, unsigned n)
{
	q->thr = calloc(n, sizeof(*q->thr));
	if (!q->thr)
		return -ENOMEM;
	for (; q->nthr < n; q->nthr++)
		if (pthread_create(&q->thr[q->nthr], NULL, jobq_thread, q))
			return -EAGAIN;
	return 0;
}

/* Let the threads finish what is queued, then join them. */
static void jobq_stop(struct jobq *q)
{
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (unsigned i = 0; i < q->nthr; i++)
		pthread_join(q->thr[i], NULL);
	q->nthr = 0;
}

/* After the daemons stopped (a worker may still push, and be refused, until then). */
static void jobq_destroy(struct jobq *q)
{
	free(q->thr);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}

/* ---- scrapes ---- */

/*
 * In an MHD worker: what to scrape; then the connection is suspended and a
 * scrape thread renders it, so a worker never waits for the collectors.
 */
static enum MHD_Result serve_metrics(struct ns_http *h, struct http_conn *hc,
				     struct MHD_Connection *c)
{
	struct sel_args args = {.ncollect = 0};
	struct http_gen *g = hc->gen;
	const char *accept, *ae;
	struct ns_err e;
	unsigned prev;
	int rc;

	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, sel_iter, &args);
	if (args.overflow)
		return reply_text(c, g->web, MHD_HTTP_BAD_REQUEST,
				  "too many collect[]/exclude[] parameters", NULL, NULL);
	ns_err_clear(&e);
	rc = ns_engine_select(g->eng, args.collect, args.ncollect, args.exclude, args.nexclude,
			      &hc->mask, &e);
	if (rc < 0)
		return reply_text(c, g->web, MHD_HTTP_BAD_REQUEST,
				  e.msg[0] ? e.msg : "invalid collector selection", NULL, NULL);

	hc->fmt = NS_FMT_TEXT;
	accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	if (accept && strcasestr(accept, "application/openmetrics-text"))
		hc->fmt = NS_FMT_OPENMETRICS;
	ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	hc->gz = ae && accepts_gzip(ae);

	prev = atomic_fetch_add(&h->inflight, 1);
	if (h->max_requests && prev >= h->max_requests) {
		atomic_fetch_sub(&h->inflight, 1);
		return reply_text(c, g->web, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "too many concurrent scrapes", MHD_HTTP_HEADER_RETRY_AFTER, "1");
	}
	hc->state = REQ_SCRAPE;
	hc->body = NULL;
	hc->scrape_rc = -ECANCELED;
	MHD_suspend_connection(c);
	if (!jobq_push(&h->scrapeq, hc)) {
		atomic_fetch_sub(&h->inflight, 1);
		MHD_resume_connection(c); /* answered 500 on the next call */
	}
	return MHD_YES;
}

/* In a scrape thread. */
static void scrape_job(struct ns_http *h, struct http_conn *hc)
{
	struct http_body *b = body_get(h);
	unsigned failed = 0;
	int rc;

	rc = b ? ns_engine_scrape(hc->gen->eng, hc->mask, hc->fmt, &b->text, &failed) : -ENOMEM;
	if (rc == 0)
		rc = render_web(h, hc->fmt, &b->text);
	atomic_fetch_sub(&h->inflight, 1);
	if (rc == 0 && hc->gz) {
		int zrc = body_gzip(b);

		if (zrc) {
			ns_log_err(NS_LOG_WARN, "http", strerror(-zrc),
				   "gzip failed, sending identity");
			hc->gz = false;
		}
	}
	if (rc && b) {
		body_put(b);
		b = NULL;
	}
	hc->body = b;
	hc->scrape_rc = rc;
	MHD_resume_connection(hc->c);
}

/* Back in the MHD worker, after the scrape thread resumed the connection. */
static enum MHD_Result reply_metrics(struct http_conn *hc, struct MHD_Connection *c)
{
	struct http_body *b = hc->body;
	struct MHD_Response *r;
	const char *data;
	size_t len;

	hc->body = NULL;
	if (hc->scrape_rc || !b) {
		if (hc->scrape_rc != -ECANCELED)
			ns_log_err(NS_LOG_ERROR, "http", strerror(-hc->scrape_rc), "scrape failed");
		if (b)
			body_put(b);
		return reply_text(c, hc->gen->web, MHD_HTTP_INTERNAL_SERVER_ERROR, "scrape failed",
				  NULL, NULL);
	}
	data = hc->gz ? b->gz.data : (b->text.data ? b->text.data : "");
	len = hc->gz ? b->gz.len : b->text.len;
#if MHD_VERSION >= 0x00097302
	r = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)data, body_release,
								   b);
	if (!r) {
		body_put(b);
		return MHD_NO;
	}
#else
	r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	body_release(b);
	if (!r)
		return MHD_NO;
#endif
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				hc->fmt == NS_FMT_OPENMETRICS ? CT_OPENMETRICS : CT_TEXT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, "Accept, Accept-Encoding");
	if (hc->gz)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	return queue(c, hc->gen->web, MHD_HTTP_OK, r);
}

static enum MHD_Result route(struct ns_http *h, struct http_conn *hc, struct MHD_Connection *c,
			     const char *url, bool get_or_head)
{
	struct http_gen *g = hc->gen;
	struct MHD_Response *r;

	if (strcmp(url, h->telemetry_path) == 0) {
		if (!get_or_head)
			return reply_405(c, g->web);
		return serve_metrics(h, hc, c);
	}
	if (strcmp(url, "/") == 0) {
		if (!get_or_head)
			return reply_405(c, g->web);
		r = MHD_create_response_from_buffer(g->landing.len, g->landing.data,
						    MHD_RESPMEM_MUST_COPY);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, CT_HTML);
		return queue(c, g->web, MHD_HTTP_OK, r);
	}
	if (strcmp(url, "/-/healthy") == 0) {
		if (!get_or_head)
			return reply_405(c, g->web);
		return reply_text(c, g->web, MHD_HTTP_OK, "OK", NULL, NULL);
	}
	return reply_text(c, g->web, MHD_HTTP_NOT_FOUND, "not found", NULL, NULL);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Under conn_lock: wait for a request header until @s seconds from now. */
static void conn_arm(struct http_conn *hc, unsigned s)
{
	hc->waiting = true;
	hc->deadline = mono_ns() + (int64_t)s * 1000000000;
}

/* The fields MHD parsed, through the rules the gate applies (http_request.h). */
struct hdr_scan {
	struct ns_http_fields f;
	int status; /* the first field's refusal */
	const char *why;
};

static enum MHD_Result hdr_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	struct hdr_scan *hs = cls;
	const char *v = value ? value : "";

	(void)kind;
	if (!key)
		return MHD_YES;
	hs->status = ns_http_field(&hs->f, key, strlen(key), v, strlen(v), &hs->why);
	return hs->status ? MHD_NO : MHD_YES;
}

/* The strict checks: 0, or the status to refuse with and why. */
static unsigned check_request(const struct http_conn *hc, struct MHD_Connection *c,
			      const char *version, bool get_or_head, const char **why)
{
	struct hdr_scan hs = {
	    .f = {.get_or_head = get_or_head, .http11 = strcmp(version, MHD_HTTP_VERSION_1_1) == 0},
	};

	if (hc->target_status) {
		*why = hc->target_why;
		return hc->target_status;
	}
	MHD_get_connection_values(c, MHD_HEADER_KIND, hdr_iter, &hs);
	if (hs.status) {
		*why = hs.why;
		return (unsigned)hs.status;
	}
	return (unsigned)ns_http_fields_end(&hs.f, why);
}

/* Hand a bcrypt check to the auth threads; false when --web.max-auth-checks are running. */
static bool auth_submit(struct ns_http *h, struct http_conn *hc)
{
	unsigned prev = atomic_fetch_add(&h->auth_busy, 1);

	if (prev >= h->max_auth_checks) {
		atomic_fetch_sub(&h->auth_busy, 1);
		return false;
	}
	hc->state = REQ_AUTH;
	hc->auth_ok = false;
	MHD_suspend_connection(hc->c);
	if (!jobq_push(&h->authq, hc)) {
		atomic_fetch_sub(&h->auth_busy, 1);
		MHD_resume_connection(hc->c); /* answered 401 on the next call */
	}
	return true;
}

/* In an auth thread (nice 10: bcrypt is the one CPU-bound thing a client can start). */
static void auth_job(struct ns_http *h, struct http_conn *hc)
{
	hc->auth_ok = ns_webconfig_check_auth(hc->gen->web, hc->authz) == 0;
	atomic_fetch_sub(&h->auth_busy, 1);
	MHD_resume_connection(hc->c);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload_data,
			       size_t *upload_data_size, void **con_cls)
{
	struct ns_http *h = cls;
	struct http_conn *hc = *con_cls;
	struct http_gen *g;
	enum MHD_Result ret;
	const char *why;
	unsigned status;
	int rc;

	(void)upload_data;

	if (!hc) {
		/* No slot (cannot happen below the connection limit): answer, keep nothing. */
		g = gen_get(h);
		ret = reply_text(c, g->web, MHD_HTTP_SERVICE_UNAVAILABLE, "server busy",
				 MHD_HTTP_HEADER_RETRY_AFTER, "1");
		gen_put(g);
		return ret;
	}
	/*
	 * The first call comes once the headers are in. GET/HEAD are answered
	 * on a later call, once the whole request has been read: a reply
	 * queued earlier makes MHD close the connection instead of keeping it
	 * alive. Anything else is refused right away (401, 404 or 405)
	 * without reading its body.
	 */
	switch (hc->state) {
	case REQ_NEW:
		pthread_mutex_lock(&h->conn_lock);
		hc->waiting = false;
		hc->handshaking = false;
		pthread_mutex_unlock(&h->conn_lock);
		hc->get_or_head = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
				  strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
		/* Held until the request completes (an auth check may suspend it). */
		hc->gen = gen_get(h);
		status = check_request(hc, c, version, hc->get_or_head, &why);
		if (status) {
			atomic_fetch_add(&h->refused, 1);
			return reply_text(c, hc->gen->web, status, why, NULL, NULL);
		}
		if (hc->gen->web->nusers) {
			hc->authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								MHD_HTTP_HEADER_AUTHORIZATION);
			rc = ns_webconfig_auth_quick(hc->gen->web, hc->authz);
			if (rc == -EAGAIN) {
				if (auth_submit(h, hc))
					return MHD_YES;
				atomic_fetch_add(&h->auth_throttled, 1);
				return reply_text(c, hc->gen->web, MHD_HTTP_TOO_MANY_REQUESTS,
						  "too many password checks at once",
						  MHD_HTTP_HEADER_RETRY_AFTER, "1");
			}
			if (rc)
				return reply_text(c, hc->gen->web, MHD_HTTP_UNAUTHORIZED,
						  "unauthorized", MHD_HTTP_HEADER_WWW_AUTHENTICATE,
						  HTTP_REALM);
		}
		hc->state = REQ_OK;
		if (hc->get_or_head)
			return MHD_YES;
		break;
	case REQ_AUTH:
		/* Resumed: MHD calls again at the same (headers) stage. */
		if (!hc->auth_ok)
			return reply_text(c, hc->gen->web, MHD_HTTP_UNAUTHORIZED, "unauthorized",
					  MHD_HTTP_HEADER_WWW_AUTHENTICATE, HTTP_REALM);
		hc->state = REQ_OK;
		if (hc->get_or_head)
			return MHD_YES;
		break;
	case REQ_OK:
		if (*upload_data_size) {
			*upload_data_size = 0; /* not reached: check_request refuses bodies */
			return MHD_YES;
		}
		break;
	case REQ_SCRAPE:
		/* Resumed by the scrape thread. */
		return reply_metrics(hc, c);
	}
	return route(h, hc, c, url, hc->get_or_head);
}

/* MHD_OPTION_URI_LOG_CALLBACK: the raw request target, before MHD parses it. */
static void *uri_cb(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct ns_http *h = cls;
	const union MHD_ConnectionInfo *ci;
	struct http_conn *hc;
	size_t len = strlen(uri);

	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	hc = ci ? ci->socket_context : NULL;
	if (!hc)
		return NULL;
	hc->state = REQ_NEW;
	hc->auth_ok = false;
	hc->authz = NULL;
	hc->target_status = ns_http_target_check(uri, len, &h->req_limits, &hc->target_why);
	/*
	 * Far more parameters than that would fill the connection's memory
	 * while MHD parses them, before any callback could answer, and stall
	 * there: close it now instead (TLS, and later requests on a kept-alive
	 * connection: the gate answers a first plaintext request before MHD
	 * sees it; docs/SECURITY.md).
	 */
	if (hc->target_status && hc->fd >= 0 &&
	    ns_http_query_params(uri, len) > 4 * h->req_limits.max_query)
		shutdown(hc->fd, SHUT_RD);
	return hc;
}

/* MHD_OPTION_NOTIFY_COMPLETED: a request is over; wait for the next header. */
static void completed_cb(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ns_http *h = cls;
	struct http_conn *hc = *con_cls;

	(void)c;
	(void)toe;
	if (!hc)
		return;
	if (hc->body) {
		/* the client left while its scrape was rendered */
		body_put(hc->body);
		hc->body = NULL;
	}
	gen_put(hc->gen);
	hc->gen = NULL;
	hc->state = REQ_NEW;
	*con_cls = NULL;
	pthread_mutex_lock(&h->conn_lock);
	conn_arm(hc, h->conn_timeout_s);
	pthread_mutex_unlock(&h->conn_lock);
}

/* MHD_OPTION_NOTIFY_CONNECTION: take a slot at accept, give it back at close. */
static void conn_cb(void *cls, struct MHD_Connection *c, void **socket_context,
		    enum MHD_ConnectionNotificationCode toe)
{
	struct ns_http *h = cls;
	struct http_conn *hc;
	const union MHD_ConnectionInfo *ci;

	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		pthread_mutex_lock(&h->conn_lock);
		hc = h->conn_free;
		if (hc) {
			h->conn_free = hc->next;
			memset(hc, 0, sizeof(*hc));
			hc->h = h;
			hc->c = c;
			hc->fd = ci ? ci->connect_fd : -1;
			hc->active = true;
			conn_arm(hc,
				 h->header_timeout_s + (h->tls ? h->tls_handshake_timeout_s : 0));
			hc->handshaking = h->tls;
			hc->hs_deadline =
			    mono_ns() + (int64_t)h->tls_handshake_timeout_s * 1000000000;
			h->open_conns++;
		}
		pthread_mutex_unlock(&h->conn_lock);
		if (!hc && ci)
			shutdown(ci->connect_fd, SHUT_RDWR); /* over the table: not served */
		*socket_context = hc;
		return;
	}
	hc = *socket_context;
	if (!hc)
		return;
	/* Called before MHD closes the fd: the reaper never touches a reused one. */
	pthread_mutex_lock(&h->conn_lock);
	hc->active = false;
	hc->waiting = false;
	hc->next = h->conn_free;
	h->conn_free = hc;
	h->open_conns--;
	pthread_mutex_unlock(&h->conn_lock);
	*socket_context = NULL;
}

/*
 * Every connection is an fd: raise the soft RLIMIT_NOFILE towards the hard
 * limit so that --web.max-connections can be reached (as Go programs do at
 * start); say so when the hard limit is lower.
 */
static void raise_nofile(size_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		ns_log(NS_LOG_WARN, "http",
		       "open file limit %llu is below the %zu that --web.max-connections needs; "
		       "connections beyond it are refused",
		       (unsigned long long)rl.rlim_cur, want);
}

/* A TLS handshake completed (in an MHD worker): the header deadline starts now. */
static void handshake_done(int fd, void *arg)
{
	struct ns_http *h = arg;

	pthread_mutex_lock(&h->conn_lock);
	for (size_t i = 0; i < h->nconns; i++) {
		struct http_conn *hc = &h->conns[i];

		if (hc->active && hc->fd == fd && hc->handshaking) {
			hc->handshaking = false;
			conn_arm(hc, h->header_timeout_s);
			break;
		}
	}
	pthread_mutex_unlock(&h->conn_lock);
}

/* Shut down connections past their header deadline; free old TLS pairs. */
static void *reaper_thread(void *arg)
{
	struct ns_http *h = arg;
	struct timespec ts;

	pthread_mutex_lock(&h->conn_lock);
	while (!h->stopping) {
		int64_t now = mono_ns();

		for (size_t i = 0; i < h->nconns; i++) {
			struct http_conn *hc = &h->conns[i];

			if (!hc->active || hc->reaped || hc->fd < 0)
				continue;
			if (hc->handshaking && now > hc->hs_deadline) {
				hc->reaped = true;
				shutdown(hc->fd, SHUT_RDWR);
				atomic_fetch_add(&h->hs_reaped, 1);
			} else if (hc->waiting && now > hc->deadline) {
				hc->reaped = true;
				shutdown(hc->fd, SHUT_RDWR);
				atomic_fetch_add(&h->reaped, 1);
			}
		}
		pthread_mutex_unlock(&h->conn_lock);
		if (h->tls)
			ns_webconfig_tls_tick();
		pthread_mutex_lock(&h->conn_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += HTTP_REAP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		if (!h->stopping)
			pthread_cond_timedwait(&h->reaper_cv, &h->conn_lock, &ts);
	}
	pthread_mutex_unlock(&h->conn_lock);
	return NULL;
}

/* MHD's error log, through ours (rate-limited: MHD logs per connection). */
__attribute__((format(printf, 2, 0))) static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct ns_http *h = cls;
	char msg[512];
	unsigned suppressed = 0;
	size_t n;
	int ok;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	pthread_mutex_lock(&h->log_lock);
	ok = ns_ratelimit_ok(&h->log_rl, 1, &suppressed);
	pthread_mutex_unlock(&h->log_lock);
	if (!ok)
		return;
	if (suppressed)
		ns_log_err(NS_LOG_WARN, "http", msg,
			   "libmicrohttpd reported an error (%u similar messages suppressed)",
			   suppressed);
	else
		ns_log_err(NS_LOG_WARN, "http", msg, "libmicrohttpd reported an error");
}

/* ---- landing page ---- */

static int put_html(struct ns_buf *b, const char *s)
{
	int rc = 0;

	for (; *s && !rc; s++) {
		switch (*s) {
		case '&':
			rc = ns_buf_puts(b, "&amp;");
			break;
		case '<':
			rc = ns_buf_puts(b, "&lt;");
			break;
		case '>':
			rc = ns_buf_puts(b, "&gt;");
			break;
		case '"':
			rc = ns_buf_puts(b, "&quot;");
			break;
		case '\'':
			rc = ns_buf_puts(b, "&#39;");
			break;
		default:
			rc = ns_buf_putc(b, *s);
		}
	}
	return rc;
}

static int build_landing(struct ns_http *h, struct http_gen *g)
{
	struct ns_buf *b = &g->landing;
	size_t i, n = ns_engine_count(g->eng);
	int rc = 0;

	rc |= ns_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
			     "<meta charset=\"utf-8\">\n<title>netstack_exporter</title>\n"
			     "<style>body{font-family:sans-serif;margin:2em;max-width:50em}"
			     "td{padding:0 1em 0 0}</style>\n</head>\n<body>\n"
			     "<h1>netstack_exporter</h1>\n<p>Version " NS_VERSION
			     "</p>\n<p><a href=\"");
	rc |= put_html(b, h->telemetry_path);
	rc |= ns_buf_puts(b, "\">Metrics</a> &middot; <a href=\"/-/healthy\">Health</a></p>\n"
			     "<h2>Enabled collectors</h2>\n<table>\n");
	for (i = 0; i < n; i++) {
		const char *name = ns_engine_name(g->eng, i);
		const struct ns_collector *col = ns_collector_find(name);

		rc |= ns_buf_puts(b, "<tr><td>");
		rc |= put_html(b, name);
		rc |= ns_buf_puts(b, "</td><td>");
		if (col && col->help)
			rc |= put_html(b, col->help);
		rc |= ns_buf_puts(b, "</td></tr>\n");
	}
	rc |= ns_buf_puts(b, "</table>\n</body>\n</html>\n");
	return rc ? -ENOMEM : 0;
}

/* ---- listening ---- */

static void fmt_sockaddr(const struct sockaddr *sa, char *out, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(out, len, "[%s]:%u", host, port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(out, len, "%s:%u", host, port);
	}
}

/*
 * Create a listening socket. @v6only: -1 leaves the kernel default, else
 * sets IPV6_V6ONLY (AF_INET6 only). Returns the fd or -errno.
 */
static int listen_socket(const struct sockaddr *sa, socklen_t salen, int v6only)
{
	int one = 1, fd, rc;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	if (sa->sa_family == AF_INET6 && v6only >= 0 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0)
		goto fail;
	if (bind(fd, sa, salen) < 0)
		goto fail;
	if (listen(fd, HTTP_BACKLOG) < 0)
		goto fail;
	return fd;
fail:
	rc = -errno;
	close(fd);
	return rc;
}

/* Keep a listening socket (takes @fd) under the name @what, for ns_http_serve(). */
static int add_fd(struct ns_http *h, int fd, const char *what, struct ns_err *e)
{
	union {
		struct sockaddr sa;
		struct sockaddr_storage ss;
	} addr;
	socklen_t alen = sizeof(addr);
	char buf[HTTP_ADDRSTR], *name = NULL;
	char **nn;
	int *nf;

	nf = realloc(h->fds, (h->nfds + 1) * sizeof(*nf));
	if (nf)
		h->fds = nf;
	nn = nf ? realloc(h->fd_names, (h->nfds + 1) * sizeof(*nn)) : NULL;
	if (nn)
		h->fd_names = nn;
	if (getsockname(fd, &addr.sa, &alen) == 0 &&
	    (addr.sa.sa_family == AF_INET || addr.sa.sa_family == AF_INET6)) {
		fmt_sockaddr(&addr.sa, buf, sizeof(buf));
		name = strdup(buf);
	} else {
		name = strdup(what);
	}
	if (!nf || !nn || !name) {
		free(name);
		close(fd);
		return ns_err_set(e, -ENOMEM, "listen on %s: out of memory", what);
	}
	h->fds[h->nfds] = fd;
	h->fd_names[h->nfds] = name;
	h->nfds++;
	return 0;
}

/*
 * TLS: MHD accepts on the socket itself. Plaintext: the gate accepts and
 * hands over connections whose header it checked (MHD_add_connection), so
 * MHD has no listening socket. Either way MHD's memory per connection is
 * --web.max-header-bytes + HTTP_MHD_RECORDS (at least twice the former):
 * the header, a record for each field, cookie pair and query parameter (at
 * most HTTP_MAX_FIELDS + HTTP_MAX_QUERY in a first plaintext request, by
 * the gate's limits) and the response header. At the default, 32 KiB:
 * libmicrohttpd takes pools up to that from malloc, and mmap()s larger
 * ones, a cost per connection (docs/PERFORMANCE.md).
 */
static int start_daemon(struct ns_http *h, size_t i, struct ns_err *e)
{
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG | MHD_USE_ITC |
			 (h->tls ? MHD_USE_TLS : MHD_USE_NO_LISTEN_SOCKET);
	struct MHD_OptionItem tls_opts[] = {
	    {MHD_OPTION_LISTEN_SOCKET, h->fds[i], NULL},
	    {MHD_OPTION_HTTPS_CERT_CALLBACK, 0, ns_webconfig_cert_callback()},
	    {MHD_OPTION_HTTPS_PRIORITIES, 0, h->priorities},
	    {MHD_OPTION_END, 0, NULL},
	};
	size_t mem = h->conn_memory_limit + HTTP_MHD_RECORDS;
	struct MHD_Daemon *d;

	if (mem < 2 * h->conn_memory_limit)
		mem = 2 * h->conn_memory_limit;

	d = MHD_start_daemon(flags, 0, NULL, NULL, handler, h, MHD_OPTION_EXTERNAL_LOGGER,
			     mhd_logger, h, MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)HTTP_THREADS,
			     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)h->conn_timeout_s,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem, MHD_OPTION_CONNECTION_LIMIT,
			     (unsigned int)h->max_connections, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
			     (unsigned int)h->max_conns_per_ip, MHD_OPTION_NOTIFY_CONNECTION,
			     conn_cb, h, MHD_OPTION_NOTIFY_COMPLETED, completed_cb, h,
			     MHD_OPTION_URI_LOG_CALLBACK, uri_cb, h, MHD_OPTION_ARRAY,
			     h->tls ? tls_opts : tls_opts + 3, MHD_OPTION_END);
	if (!d)
		return ns_err_set(e, -EIO, "listen on %s: cannot start the %s server",
				  h->fd_names[i], h->tls ? "HTTPS" : "HTTP");
	if (h->tls)
		h->fds[i] = -1; /* MHD owns it now and closes it when stopped */
	h->daemons[h->ndaemons++] = d;
	ns_log(NS_LOG_INFO, "http", "listening on %s%s%s", h->fd_names[i], h->tls ? " (TLS)" : "",
	       h->from_systemd ? " (from systemd)" : "");
	return 0;
}

/* The gate checked a plaintext connection's header: MHD serves it. */
static void gate_pass(void *arg, size_t idx, int fd, const struct sockaddr *sa, socklen_t salen)
{
	struct ns_http *h = arg;
	unsigned suppressed = 0;
	int ok, err;

	if (MHD_add_connection(h->daemons[idx], fd, sa, salen) == MHD_YES)
		return;
	/* MHD closed it (over its connection limits, or out of memory) */
	err = errno;
	atomic_fetch_add(&h->pass_refused, 1);
	pthread_mutex_lock(&h->log_lock);
	ok = ns_ratelimit_ok(&h->log_rl, 1, &suppressed);
	pthread_mutex_unlock(&h->log_lock);
	if (ok)
		ns_log_err(NS_LOG_WARN, "http", strerror(err),
			   "connection refused by the server after the gate "
			   "(%u similar messages suppressed)",
			   suppressed);
}

static int start_gate(struct ns_http *h, struct ns_err *e)
{
	struct ns_gate_limits lim = {
	    .req = h->req_limits,
	    /* an idle new connection is closed by the connection timeout, as MHD would */
	    .header_timeout_s = h->conn_timeout_s && h->conn_timeout_s < h->header_timeout_s
				    ? h->conn_timeout_s
				    : h->header_timeout_s,
	    .max_waiting = h->max_connections * (unsigned)h->nfds,
	    .max_per_addr = h->max_conns_per_ip,
	};
	struct ns_gate_ops ops = {.pass = gate_pass, .headers = gate_headers, .arg = h};
	int rc;

	rc = ns_gate_start(&h->gate, h->fds, h->nfds, &lim, &ops, e);
	for (size_t i = 0; i < h->nfds; i++)
		h->fds[i] = -1; /* the gate owns them, even on failure */
	return rc;
}

/* ":PORT": dual-stack [::], or 0.0.0.0 when IPv6 is unavailable. */
static int listen_any(struct ns_http *h, const char *entry, unsigned port, struct ns_err *e)
{
	struct sockaddr_in6 s6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in s4 = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd;

	s6.sin6_addr = in6addr_any;
	fd = listen_socket((struct sockaddr *)&s6, sizeof(s6), 0);
	if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL || fd == -EPROTONOSUPPORT) {
		s4.sin_addr.s_addr = htonl(INADDR_ANY);
		fd = listen_socket((struct sockaddr *)&s4, sizeof(s4), -1);
	}
	if (fd < 0)
		return ns_err_set(e, fd, "listen on %s: %s", entry, strerror(-fd));
	return add_fd(h, fd, entry, e);
}

/* "host:PORT" or "[v6]:PORT": every address the host resolves to. */
static int listen_host(struct ns_http *h, const char *entry, const char *host, bool literal6,
		       const char *port, struct ns_err *e)
{
	struct addrinfo hints = {
	    .ai_family = literal6 ? AF_INET6 : AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_protocol = IPPROTO_TCP,
	    .ai_flags = AI_NUMERICSERV | (literal6 ? AI_NUMERICHOST : 0),
	};
	struct addrinfo *res, *ai, *prev;
	char buf[HTTP_ADDRSTR], what[HTTP_ADDRSTR + 300];
	unsigned bound = 0;
	int rc, fd, first_err = 0;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		if (rc == EAI_SYSTEM)
			return ns_err_set(e, -errno, "listen on %s: %s", entry, strerror(errno));
		return ns_err_set(e, -EADDRNOTAVAIL, "listen on %s: %s", entry, gai_strerror(rc));
	}
	for (ai = res; ai; ai = ai->ai_next) {
		bool dup = false;

		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		for (prev = res; prev != ai; prev = prev->ai_next)
			if (prev->ai_addrlen == ai->ai_addrlen &&
			    memcmp(prev->ai_addr, ai->ai_addr, ai->ai_addrlen) == 0)
				dup = true;
		if (dup)
			continue;
		fmt_sockaddr(ai->ai_addr, buf, sizeof(buf));
		if (strcmp(buf, entry) == 0)
			snprintf(what, sizeof(what), "%s", entry);
		else
			snprintf(what, sizeof(what), "%s (%s)", entry, buf);
		fd = listen_socket(ai->ai_addr, ai->ai_addrlen, 1);
		if (fd == -EAFNOSUPPORT && ai->ai_family == AF_INET6 && !literal6) {
			/* a name resolved to IPv6 on a host without IPv6 */
			ns_log_err(NS_LOG_WARN, "http", strerror(-fd), "listen on %s: skipped",
				   what);
			if (!first_err)
				first_err =
				    ns_err_set(e, fd, "listen on %s: %s", what, strerror(-fd));
			continue;
		}
		if (fd < 0) {
			rc = ns_err_set(e, fd, "listen on %s: %s", what, strerror(-fd));
			goto out;
		}
		rc = add_fd(h, fd, what, e);
		if (rc)
			goto out;
		bound++;
	}
	rc = 0;
	if (!bound)
		rc = first_err
			 ? first_err
			 : ns_err_set(e, -EADDRNOTAVAIL, "listen on %s: no usable address", entry);
out:
	freeaddrinfo(res);
	return rc;
}

static int parse_port(const char *s, unsigned *port)
{
	unsigned long v;
	char *end;

	if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
		return -EINVAL;
	v = strtoul(s, &end, 10);
	if (*end || v > 65535)
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

static int listen_entry(struct ns_http *h, const char *entry, struct ns_err *e)
{
	char host[256];
	const char *colon, *port_s;
	unsigned port;
	bool literal6 = false;
	size_t hl;

	if (entry[0] == '[') {
		const char *rb = strchr(entry, ']');

		if (!rb || rb[1] != ':')
			goto bad;
		hl = (size_t)(rb - entry - 1);
		if (hl == 0 || hl >= sizeof(host))
			goto bad;
		memcpy(host, entry + 1, hl);
		host[hl] = '\0';
		port_s = rb + 2;
		literal6 = true;
	} else {
		colon = strrchr(entry, ':');
		if (!colon || memchr(entry, ':', (size_t)(colon - entry)))
			goto bad; /* none, or an IPv6 address without brackets */
		hl = (size_t)(colon - entry);
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, entry, hl);
		host[hl] = '\0';
		port_s = colon + 1;
	}
	if (parse_port(port_s, &port))
		goto bad;
	if (!host[0])
		return listen_any(h, entry, port, e);
	return listen_host(h, entry, host, literal6, port_s, e);
bad:
	return ns_err_set(e, -EINVAL,
			  "listen on %s: invalid address (want host:port, :port or [v6]:port)",
			  entry);
}

/* ---- public ---- */

int ns_http_listen(struct ns_http **out, const struct ns_config *cfg, struct ns_err *e)
{
	struct ns_http *h;
	int *sfds = NULL;
	size_t nsfds = 0, i;
	int rc;

	*out = NULL;
	rc = ns_sd_listen_fds(&sfds, &nsfds, e);
	if (rc)
		return rc;
	if (cfg->systemd_socket && !nsfds)
		return ns_err_set(e, -EINVAL,
				  "--web.systemd-socket: systemd passed no socket to this process "
				  "(LISTEN_FDS/LISTEN_PID not set for it)");
	if (!nsfds && !cfg->nlisten)
		return ns_err_set(e, -EINVAL, "no listen address");
	h = calloc(1, sizeof(*h));
	if (!h) {
		free(sfds);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	h->max_requests = cfg->max_requests;
	h->conn_timeout_s = cfg->conn_timeout_s;
	h->conn_memory_limit = cfg->conn_memory_limit;
	h->header_timeout_s = cfg->header_timeout_s ? cfg->header_timeout_s : 5;
	h->tls_handshake_timeout_s =
	    cfg->tls_handshake_timeout_s ? cfg->tls_handshake_timeout_s : 5;
	h->max_connections = cfg->max_connections ? cfg->max_connections : 1024;
	h->max_conns_per_ip = cfg->max_conns_per_ip;
	h->max_auth_checks = cfg->max_auth_checks ? cfg->max_auth_checks : 2;
	h->req_limits = (struct ns_http_limits){
	    .max_header = h->conn_memory_limit,
	    .max_target = HTTP_MAX_TARGET,
	    .max_query = HTTP_MAX_QUERY,
	    .max_fields = HTTP_MAX_FIELDS,
	};
	atomic_init(&h->inflight, 0);
	pthread_mutex_init(&h->conn_lock, NULL);
	pthread_cond_init(&h->reaper_cv, NULL);
	jobq_init(&h->authq, h, auth_job, 10);
	jobq_init(&h->scrapeq, h, scrape_job, 0);
	pthread_mutex_init(&h->self_lock, NULL);
	pthread_mutex_init(&h->pool_lock, NULL);
	pthread_mutex_init(&h->log_lock, NULL);
	pthread_mutex_init(&h->gen_lock, NULL);
	h->telemetry_path = strdup(cfg->telemetry_path ? cfg->telemetry_path : "/metrics");
	if (!h->telemetry_path) {
		free(sfds);
		rc = ns_err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	if (nsfds) {
		h->from_systemd = true;
		for (i = 0; i < nsfds; i++) {
			char what[64];

			snprintf(what, sizeof(what), "systemd socket fd %d", sfds[i]);
			rc = add_fd(h, sfds[i], what, e);
			if (rc) {
				while (++i < nsfds)
					close(sfds[i]);
				free(sfds);
				goto fail;
			}
		}
		free(sfds);
		if (!cfg->systemd_socket)
			ns_log(NS_LOG_INFO, "http",
			       "using %zu socket(s) passed by systemd; --web.listen-address is "
			       "ignored",
			       nsfds);
	} else {
		for (i = 0; i < cfg->nlisten; i++) {
			rc = listen_entry(h, cfg->listen[i], e);
			if (rc)
				goto fail;
		}
	}
	*out = h;
	return 0;
fail:
	ns_http_stop(h);
	return rc;
}

static int gen_new(struct ns_http *h, struct ns_config *cfg, struct ns_engine *eng,
		   struct ns_webconfig *web, struct http_gen **out, struct ns_err *e)
{
	struct http_gen *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return ns_err_set(e, -ENOMEM, "out of memory");
	atomic_init(&g->refs, 1);
	g->eng = eng;
	g->web = web;
	if (build_landing(h, g)) {
		ns_buf_free(&g->landing);
		free(g);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	/* Moved, not copied: the caller's struct is left empty. */
	g->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	*out = g;
	return 0;
}

int ns_http_serve(struct ns_http *h, struct ns_config *cfg, struct ns_engine *eng,
		  struct ns_webconfig *web, struct ns_err *e)
{
	struct http_gen *g;
	int rc;

	rc = gen_new(h, cfg, eng, web, &g, e);
	if (rc) {
		ns_engine_free(eng);
		ns_webconfig_free(web);
		ns_config_free(cfg);
		return rc;
	}
	h->gen = g;
	h->tls = web->tls;
	if (h->tls) {
		snprintf(h->priorities, sizeof(h->priorities), "%s", web->priorities);
		rc = ns_webconfig_activate(web, h->tls_handshake_timeout_s + 5, e);
		if (rc)
			return rc;
	}
	h->self_w = ns_writer_new();
	h->nconns = (size_t)h->max_connections * h->nfds;
	/* the gate's table holds as many again, before MHD has them */
	raise_nofile((h->tls ? 1 : 2) * h->nconns + 256);
	h->conns = calloc(h->nconns, sizeof(*h->conns));
	h->daemons = calloc(h->nfds, sizeof(*h->daemons));
	if (!h->self_w || !h->conns || !h->daemons)
		return ns_err_set(e, -ENOMEM, "out of memory");
	for (size_t i = h->nconns; i-- > 0;) {
		h->conns[i].next = h->conn_free;
		h->conn_free = &h->conns[i];
	}
	if (h->tls)
		ns_webconfig_on_handshake(handshake_done, h);
	if (pthread_create(&h->reaper, NULL, reaper_thread, h))
		return ns_err_set(e, -EAGAIN, "cannot start the connection reaper thread");
	h->reaper_started = true;
	if (jobq_start(&h->authq, h->max_auth_checks) ||
	    jobq_start(&h->scrapeq, HTTP_SCRAPE_THREADS))
		return ns_err_set(e, -EAGAIN, "cannot start the scrape and password check threads");
	for (size_t i = 0; i < h->nfds; i++) {
		rc = start_daemon(h, i, e);
		if (rc)
			return rc;
	}
	return h->tls ? 0 : start_gate(h, e);
}

int ns_http_reload(struct ns_http *h, struct ns_config *cfg, struct ns_engine *eng,
		   struct ns_webconfig *web, struct ns_err *e)
{
	struct http_gen *g, *old;
	int rc;

	if (web->tls != h->tls)
		return ns_err_set(e, -EINVAL, "turning TLS %s needs a restart",
				  web->tls ? "on" : "off");
	if (web->tls && strcmp(web->priorities, h->priorities) != 0)
		return ns_err_set(e, -EINVAL,
				  "changing tls_server_config min_version, max_version or "
				  "prefer_server_cipher_suites needs a restart");
	rc = gen_new(h, cfg, eng, web, &g, e);
	if (rc)
		return rc;
	if (web->tls) {
		rc = ns_webconfig_activate(web, h->tls_handshake_timeout_s + 5, e);
		if (rc) {
			/* hand the parts back to the caller */
			*cfg = g->cfg;
			ns_buf_free(&g->landing);
			free(g);
			return rc;
		}
	}
	pthread_mutex_lock(&h->gen_lock);
	old = h->gen;
	h->gen = g;
	pthread_mutex_unlock(&h->gen_lock);
	gen_put(old);
	return 0;
}

size_t ns_http_collectors(struct ns_http *h)
{
	struct http_gen *g = gen_get(h);
	size_t n = ns_engine_count(g->eng);

	gen_put(g);
	return n;
}

double ns_http_last_duration(struct ns_http *h)
{
	struct http_gen *g = gen_get(h);
	double d = ns_engine_last_duration(g->eng);

	gen_put(g);
	return d;
}

size_t ns_http_sockets(const struct ns_http *h)
{
	return h->nfds;
}

void ns_http_stop(struct ns_http *h)
{
	struct http_body *b;
	size_t i;

	if (!h)
		return;
	/*
	 * Queued password checks and scrapes are answered (refused) and their
	 * connections resumed; then the reaper stops, then the daemons.
	 */
	jobq_stop(&h->authq);
	jobq_stop(&h->scrapeq);
	/* After the scrape threads (they read its counters), before the daemons it feeds. */
	ns_gate_stop(h->gate);
	h->gate = NULL;
	pthread_mutex_lock(&h->conn_lock);
	h->stopping = true;
	pthread_cond_broadcast(&h->reaper_cv);
	pthread_mutex_unlock(&h->conn_lock);
	if (h->reaper_started)
		pthread_join(h->reaper, NULL);
	/* Stopping a daemon joins its worker threads and drops their responses. */
	for (i = 0; i < h->ndaemons; i++)
		MHD_stop_daemon(h->daemons[i]);
	free(h->daemons);
	jobq_destroy(&h->authq);
	jobq_destroy(&h->scrapeq);
	free(h->conns);
	ns_writer_free(h->self_w);
	for (i = 0; i < h->nfds; i++) {
		if (h->fds[i] >= 0)
			close(h->fds[i]);
		free(h->fd_names[i]);
	}
	free(h->fds);
	free(h->fd_names);
	while ((b = h->pool)) {
		h->pool = b->next;
		body_destroy(b);
	}
	gen_put(h->gen);
	free(h->telemetry_path);
	pthread_mutex_destroy(&h->pool_lock);
	pthread_mutex_destroy(&h->log_lock);
	pthread_mutex_destroy(&h->gen_lock);
	pthread_mutex_destroy(&h->conn_lock);
	pthread_cond_destroy(&h->reaper_cv);
	pthread_mutex_destroy(&h->self_lock);
	free(h);
}
