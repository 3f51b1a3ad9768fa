// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp.c - TCP sockets by state, listener accept queues, per-port
 * attribution and ephemeral port pressure, from one inet_diag dump.
 *
 * Every scrape sends one legacy TCPDIAG_GETSOCK dump (family AF_UNSPEC: the
 * kernel walks its TCP hash tables once for IPv4 and IPv6; two
 * SOCK_DIAG_BY_FAMILY dumps walk them twice, see docs/PERFORMANCE.md) and
 * folds every socket into fixed-size aggregates as its message streams in.
 * Nothing is kept per socket; all tables are allocated by init() and
 * cleared per scrape (and again if the dump is restarted after
 * NLM_F_DUMP_INTR). No extension is requested unless the tcp-info option
 * asks for INET_DIAG_INFO.
 *
 * The kernel sends the listening hash table before the established one, so
 * listeners are known before the connections that belong to them: a
 * connection whose local port is a listening port is counted for that port
 * (server side). The first max-ports listening ports in dump order are
 * tracked one by one, the others share the port="overflow" bucket.
 *
 * listen-only (the default for other network namespaces, docs/METRICS.md):
 * the dump asks for idiag_states = 1 << TCP_LISTEN only, so the kernel walks
 * the listening hash alone, not the established hash that namespaces share
 * with the host unless they own one; only the listener series are exposed
 * (netstack_tcp_connections with state="listen" only).
 *
 * Listeners (idiag_rqueue = accept queue length, idiag_wqueue = backlog as
 * capped by somaxconn) are aggregated per (family, address, port): SO_REUSEPORT
 * groups are summed. Their queue values never enter the queue-bytes sums.
 *
 * Ephemeral ports: sockets (any state but listen, TIME_WAIT included) whose
 * local port is in net.ipv4.ip_local_port_range and is not a listening port
 * are counted per destination (family, remote address, remote port) in a
 * space-saving table (src/topk.h) of max(256, 16 * K) entries: exact while
 * there are no more distinct destinations than entries; beyond that, every
 * destination holding more than 1/entries of those sockets is still in the
 * table and the value exposed is topk.h's lower bound.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>

#include "collector.h"
#include "emit.h"
#include "procfs.h"
#include "sockdiag.h"
#include "tcp_info_hist.h"
#include "topk.h"

#define TCP_NSTATES 12 /* index = TCP_* state, 1..11 used */
#define TCP_PORT_NONE 0
#define TCP_PORT_OVERFLOW 0xffff
#define TCP_MAX_PORTS 65534
#define TCP_MAX_REMOTE 255
#define TCP_MAX_TOPK 1000
#define TCP_NRTT 15

static const char *const tcp_states[TCP_NSTATES] = {
    [TCP_ESTABLISHED] = "established",
    [TCP_SYN_SENT] = "syn_sent",
    [TCP_SYN_RECV] = "syn_recv",
    [TCP_FIN_WAIT1] = "fin_wait1",
    [TCP_FIN_WAIT2] = "fin_wait2",
    [TCP_TIME_WAIT] = "time_wait",
    [TCP_CLOSE] = "close",
    [TCP_CLOSE_WAIT] = "close_wait",
    [TCP_LAST_ACK] = "last_ack",
    [TCP_LISTEN] = "listen",
    [TCP_CLOSING] = "closing",
};

/* Smoothed RTT histogram bounds, in microseconds (tcpi_rtt) and seconds. */
static const uint32_t tcp_rtt_us[TCP_NRTT] = {100,    250,    500,     1000,	2500,
					      5000,   10000,  25000,   50000,	100000,
					      250000, 500000, 1000000, 2500000, 5000000};
static const double tcp_rtt_le[TCP_NRTT] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};

/* tcp_info summed over established sockets (tcp-info option). */
struct tcp_infosum {
	uint64_t rtt[TCP_NRTT + 1]; /* per bucket, last = above the largest bound */
	uint64_t count;
	uint64_t sum_us;
	uint64_t retrans;
	uint64_t lost;
};

struct tcp_port {
	uint16_t port;
	uint32_t conn[TCP_NSTATES];
	struct tcp_infosum info;
};

struct tcp_state {
	struct ns_sd sd;
	struct ns_file range_file;
	/* options */
	size_t max_ports;
	size_t top_k;
	bool tcp_info;
	bool listen_only;
	size_t nremote;
	uint16_t remote_port[TCP_MAX_REMOTE];
	uint8_t *remote_idx; /* [65536]: index + 1 into remote_port */
	/* per scrape */
	uint32_t lo, hi;
	bool have_range;
	uint64_t conn[2][TCP_NSTATES];
	uint64_t rq[2][TCP_NSTATES];
	uint64_t wq[2][TCP_NSTATES];
	uint64_t cw_unread[2], cw_unread_bytes[2];
	uint16_t *port_slot; /* [65536]: TCP_PORT_NONE, TCP_PORT_OVERFLOW or slot + 1 */
	struct tcp_port *ports;
	size_t nports;
	struct tcp_port overflow;
	bool overflow_used;
	uint64_t listening_ports;
	struct ns_sd_eptab listeners; /* vals: [0] queue length, [1] queue max */
	uint64_t lovf[2][2];	      /* listeners in the overflow bucket, per family */
	bool lovf_used[2];
	uint32_t (*remote_conn)[TCP_NSTATES];
	struct ns_topk dests; /* ephemeral destinations (struct ns_sd_ep) */
	uint32_t *top;	      /* [top_k] scratch for ns_topk_top() */
	struct tcp_infosum info;
	struct tcp_ihist ihist;	      /* tcp_info_hist.c */
	struct tcp_ihist *port_ihist; /* [max_ports + 1], last = overflow; tcp-info only */
};

/* ---- streaming ---- */

static void tcp_reset(void *data)
{
	struct tcp_state *st = data;

	memset(st->conn, 0, sizeof(st->conn));
	memset(st->rq, 0, sizeof(st->rq));
	memset(st->wq, 0, sizeof(st->wq));
	memset(st->cw_unread, 0, sizeof(st->cw_unread));
	memset(st->cw_unread_bytes, 0, sizeof(st->cw_unread_bytes));
	if (st->listening_ports > st->nports || st->overflow_used)
		memset(st->port_slot, 0, 65536 * sizeof(*st->port_slot));
	else
		for (size_t i = 0; i < st->nports; i++)
			st->port_slot[st->ports[i].port] = TCP_PORT_NONE;
	st->listening_ports = 0;
	st->nports = 0;
	memset(&st->overflow, 0, sizeof(st->overflow));
	st->overflow_used = false;
	ns_sd_eptab_clear(&st->listeners);
	memset(st->lovf, 0, sizeof(st->lovf));
	memset(st->lovf_used, 0, sizeof(st->lovf_used));
	if (st->nremote)
		memset(st->remote_conn, 0, st->nremote * sizeof(*st->remote_conn));
	ns_topk_clear(&st->dests);
	memset(&st->info, 0, sizeof(st->info));
	memset(&st->ihist, 0, sizeof(st->ihist));
	if (st->port_ihist)
		memset(&st->port_ihist[st->max_ports], 0, sizeof(*st->port_ihist));
}

static struct tcp_port *tcp_port_of(struct tcp_state *st, uint16_t slot)
{
	if (slot == TCP_PORT_NONE)
		return NULL;
	if (slot == TCP_PORT_OVERFLOW)
		return &st->overflow;
	return &st->ports[slot - 1];
}

static void tcp_listener(struct tcp_state *st, const struct ns_sd_sock *s, unsigned fi)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	uint16_t *slot = &st->port_slot[s->sport];
	struct ns_sd_ep ep;
	uint64_t *v = NULL;

	if (*slot == TCP_PORT_NONE) {
		st->listening_ports++;
		if (st->nports < st->max_ports) {
			struct tcp_port *p = &st->ports[st->nports++];

			memset(p, 0, sizeof(*p));
			p->port = s->sport;
			*slot = (uint16_t)st->nports;
			if (st->port_ihist)
				memset(&st->port_ihist[st->nports - 1], 0, sizeof(*st->port_ihist));
		} else {
			*slot = TCP_PORT_OVERFLOW;
			st->overflow_used = true;
		}
	}
	if (*slot != TCP_PORT_OVERFLOW) {
		ns_sd_attrs(s, tb);
		ns_sd_ep_of(s, false, ns_sd_v6only(tb), &ep);
		v = ns_sd_eptab_get(&st->listeners, &ep);
	}
	if (!v) {
		v = st->lovf[fi];
		st->lovf_used[fi] = true;
	}
	v[0] += s->rqueue;
	v[1] += s->wqueue;
}

static void tcp_info_add(struct tcp_infosum *sum, uint32_t rtt_us, uint32_t retrans, uint32_t lost)
{
	unsigned b = 0;

	while (b < TCP_NRTT && rtt_us > tcp_rtt_us[b])
		b++;
	sum->rtt[b]++;
	sum->count++;
	sum->sum_us += rtt_us;
	sum->retrans += retrans;
	sum->lost += lost;
}

static void tcp_info_sock(struct tcp_state *st, const struct ns_sd_sock *s, struct tcp_port *p)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	struct tcp_ihist *ph = NULL;
	struct tcp_info ti;
	size_t len;

	ns_sd_attrs(s, tb);
	if (!tb[INET_DIAG_INFO])
		return;
	len = ns_nl_attr_copy(tb[INET_DIAG_INFO], &ti, sizeof(ti));
	if (len < offsetof(struct tcp_info, tcpi_total_retrans) + sizeof(ti.tcpi_total_retrans))
		return;
	tcp_info_add(&st->info, ti.tcpi_rtt, ti.tcpi_total_retrans, ti.tcpi_lost);
	if (p)
		tcp_info_add(&p->info, ti.tcpi_rtt, ti.tcpi_total_retrans, ti.tcpi_lost);
	if (p && st->port_ihist)
		ph = &st->port_ihist[p == &st->overflow ? st->max_ports : (size_t)(p - st->ports)];
	tcp_ihist_add(&st->ihist, ph, tb[INET_DIAG_INFO]);
}

static int tcp_sock_cb(const struct ns_sd_sock *s, void *data)
{
	struct tcp_state *st = data;
	unsigned fi = s->family == AF_INET6;
	unsigned state = s->state == TCP_NEW_SYN_RECV ? TCP_SYN_RECV : s->state;
	struct tcp_port *p;
	uint16_t slot;
	uint8_t r;

	if (state < 1 || state >= TCP_NSTATES)
		return MNL_CB_OK;
	st->conn[fi][state]++;
	if (state == TCP_LISTEN) {
		tcp_listener(st, s, fi);
		return MNL_CB_OK;
	}
	st->rq[fi][state] += s->rqueue;
	st->wq[fi][state] += s->wqueue;
	if (state == TCP_CLOSE_WAIT && s->rqueue) {
		/* The peer's FIN is in rqueue (one sequence number) until read. */
		st->cw_unread[fi]++;
		st->cw_unread_bytes[fi] += s->rqueue - 1;
	}
	slot = st->port_slot[s->sport];
	p = tcp_port_of(st, slot);
	if (p)
		p->conn[state]++;
	r = st->remote_idx[s->dport];
	if (r)
		st->remote_conn[r - 1][state]++;
	if (st->have_range && slot == TCP_PORT_NONE && s->sport >= st->lo && s->sport <= st->hi) {
		struct ns_sd_ep ep;

		ns_sd_ep_of(s, true, 1, &ep);
		NS_TOPK_ADD(&st->dests, &ep);
	}
	if (st->tcp_info && state == TCP_ESTABLISHED)
		tcp_info_sock(st, s, p);
	return MNL_CB_OK;
}

/* ---- emitting ---- */

static void tcp_put_hist(struct ns_emit *em, struct ns_family *f, const struct ns_label *l,
			 size_t n, const struct tcp_infosum *s)
{
	uint64_t cum[TCP_NRTT], c = 0;

	if (!f)
		return;
	for (unsigned i = 0; i < TCP_NRTT; i++) {
		c += s->rtt[i];
		cum[i] = c;
	}
	ns_emit_check(em, ns_sample_histogram(em->w, f, l, n, tcp_rtt_le, cum, TCP_NRTT, s->count,
					      (double)s->sum_us / 1e6));
}

static const char *const tcp_fams[2] = {"ipv4", "ipv6"};

static void tcp_emit_ports(struct tcp_state *st, struct ns_emit *em)
{
	struct ns_family *f, *fh = NULL, *fr = NULL, *fl = NULL;
	struct tcp_ihist_fams ihf;
	char port[16];

	f = ns_emit_family(em, "netstack_tcp_local_port_connections",
			   "TCP sockets per local listening port (server side) and state; "
			   "port=\"overflow\" sums the listening ports beyond max-ports. "
			   "established is always present, other states when non-zero.",
			   NS_GAUGE, NULL);
	if (st->tcp_info) {
		fh = ns_emit_family(em, "netstack_tcp_local_port_established_rtt_seconds",
				    "Smoothed RTT (tcpi_rtt) of established sockets per local "
				    "listening port.",
				    NS_HISTOGRAM, "seconds");
		fr =
		    ns_emit_family(em, "netstack_tcp_local_port_established_retransmitted_segments",
				   "Retransmitted segments (tcpi_total_retrans) summed over the "
				   "established sockets of a local listening port.",
				   NS_GAUGE, NULL);
		fl = ns_emit_family(em, "netstack_tcp_local_port_established_lost_segments",
				    "Segments currently presumed lost (tcpi_lost) summed over the "
				    "established sockets of a local listening port.",
				    NS_GAUGE, NULL);
		tcp_ihist_families(em, &ihf, 1);
	}
	for (size_t i = 0; i <= st->nports; i++) {
		const struct tcp_port *p = i < st->nports ? &st->ports[i] : &st->overflow;

		if (i == st->nports && !st->overflow_used)
			break;
		if (i < st->nports)
			snprintf(port, sizeof(port), "%u", p->port);
		else
			snprintf(port, sizeof(port), "overflow");
		for (unsigned s = 1; s < TCP_NSTATES; s++) {
			if (s == TCP_LISTEN || (s != TCP_ESTABLISHED && !p->conn[s]))
				continue;
			ns_emit_u64(em, f, NS_LABELS({"port", port}, {"state", tcp_states[s]}),
				    p->conn[s]);
		}
		if (st->tcp_info) {
			tcp_put_hist(em, fh, NS_LABELS({"port", port}), &p->info);
			ns_emit_u64(em, fr, NS_LABELS({"port", port}), p->info.retrans);
			ns_emit_u64(em, fl, NS_LABELS({"port", port}), p->info.lost);
			tcp_ihist_put(em, &ihf, NS_LABELS({"port", port}),
				      &st->port_ihist[i < st->nports ? i : st->max_ports]);
		}
	}
}

static void tcp_emit_listeners(struct tcp_state *st, struct ns_emit *em)
{
	struct ns_family *fq, *fm;
	char addr[NS_SD_ADDRSTRLEN], port[16];

	fq = ns_emit_family(em, "netstack_tcp_listener_queue_length",
			    "Connections waiting in a listener's accept queue (sk_ack_backlog), "
			    "summed over the sockets sharing the address and port.",
			    NS_GAUGE, NULL);
	fm = ns_emit_family(em, "netstack_tcp_listener_queue_max",
			    "Accept queue capacity of a listener (listen() backlog capped by "
			    "net.core.somaxconn; the queue holds one more), summed over the "
			    "sockets sharing the address and port.",
			    NS_GAUGE, NULL);
	for (size_t i = 0; i < st->listeners.n; i++) {
		const struct ns_sd_ep *ep = &st->listeners.keys[i];
		const uint64_t *v = st->listeners.vals[i];
		const char *fam = ns_sd_family_name(ep->family);

		ns_sd_format_addr(ep, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", ep->port);
		ns_emit_u64(em, fq, NS_LABELS({"family", fam}, {"address", addr}, {"port", port}),
			    v[0]);
		ns_emit_u64(em, fm, NS_LABELS({"family", fam}, {"address", addr}, {"port", port}),
			    v[1]);
	}
	for (unsigned fi = 0; fi < 2; fi++) {
		if (!st->lovf_used[fi])
			continue;
		ns_emit_u64(em, fq,
			    NS_LABELS({"family", tcp_fams[fi]}, {"address", "overflow"},
				      {"port", "overflow"}),
			    st->lovf[fi][0]);
		ns_emit_u64(em, fm,
			    NS_LABELS({"family", tcp_fams[fi]}, {"address", "overflow"},
				      {"port", "overflow"}),
			    st->lovf[fi][1]);
	}
}

static void tcp_emit_ephemeral(struct tcp_state *st, struct ns_emit *em)
{
	const struct ns_topk *t = &st->dests;
	struct ns_family *f, *fr;
	size_t n;
	char addr[NS_SD_ADDRSTRLEN], port[16];

	fr = ns_emit_family(em, "netstack_tcp_ephemeral_port_range_size",
			    "Ports in net.ipv4.ip_local_port_range (also used by IPv6).", NS_GAUGE,
			    NULL);
	ns_emit_u64(em, fr, NS_NOLABELS, st->hi >= st->lo ? st->hi - st->lo + 1 : 0);
	f = ns_emit_family(
	    em, "netstack_tcp_ephemeral_ports_in_use",
	    "Sockets with a local port in ip_local_port_range toward one destination "
	    "(remote address and port), for the ephemeral-top-k busiest destinations.",
	    NS_GAUGE, NULL);
	n = ns_topk_top(t, st->top, st->top_k);
	for (size_t i = 0; i < n; i++) {
		const struct ns_sd_ep *ep = ns_topk_key(t, st->top[i]);

		ns_sd_format_addr(ep, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", ep->port);
		ns_emit_u64(em, f,
			    NS_LABELS({"family", ns_sd_family_name(ep->family)},
				      {"destination", addr}, {"port", port}),
			    ns_topk_value(t, st->top[i]));
	}
}

static void tcp_emit_listening_ports(struct tcp_state *st, struct ns_emit *em)
{
	struct ns_family *flp;

	flp = ns_emit_family(em, "netstack_tcp_listening_ports",
			     "Distinct local ports with a TCP listener (tracked or not).", NS_GAUGE,
			     NULL);
	ns_emit_u64(em, flp, NS_NOLABELS, st->listening_ports);
}

/* listen-only: what a dump of the listening hash alone says. */
static int tcp_emit_listen_only(struct tcp_state *st, struct ns_emit *em, struct ns_family *fc,
				struct ns_err *e)
{
	for (unsigned fi = 0; fi < 2; fi++)
		ns_emit_u64(em, fc,
			    NS_LABELS({"family", tcp_fams[fi]}, {"state", tcp_states[TCP_LISTEN]}),
			    st->conn[fi][TCP_LISTEN]);
	tcp_emit_listening_ports(st, em);
	tcp_emit_listeners(st, em);
	return ns_emit_done(em, e);
}

/* Connections per configured remote port (client side) and state. */
static void tcp_emit_remote(struct tcp_state *st, struct ns_emit *em)
{
	struct ns_family *frp;
	char port[16];

	frp = ns_emit_family(em, "netstack_tcp_remote_port_connections",
			     "TCP sockets per configured remote port (client side) and state; "
			     "established is always present, other states when non-zero.",
			     NS_GAUGE, NULL);
	for (size_t i = 0; i < st->nremote; i++) {
		snprintf(port, sizeof(port), "%u", st->remote_port[i]);
		for (unsigned s = 1; s < TCP_NSTATES; s++) {
			if (s == TCP_LISTEN || (s != TCP_ESTABLISHED && !st->remote_conn[i][s]))
				continue;
			ns_emit_u64(em, frp, NS_LABELS({"port", port}, {"state", tcp_states[s]}),
				    st->remote_conn[i][s]);
		}
	}
}

/* tcp_info summed over the established sockets (tcp-info option). */
static void tcp_emit_info(struct tcp_state *st, struct ns_emit *em)
{
	struct ns_family *fh, *fr, *fl;
	struct tcp_ihist_fams ihf;

	fh = ns_emit_family(em, "netstack_tcp_established_rtt_seconds",
			    "Smoothed RTT (tcpi_rtt) of established sockets.", NS_HISTOGRAM,
			    "seconds");
	fr = ns_emit_family(em, "netstack_tcp_established_retransmitted_segments",
			    "Retransmitted segments (tcpi_total_retrans) summed over the "
			    "established sockets.",
			    NS_GAUGE, NULL);
	fl = ns_emit_family(em, "netstack_tcp_established_lost_segments",
			    "Segments currently presumed lost (tcpi_lost) summed over the "
			    "established sockets.",
			    NS_GAUGE, NULL);
	tcp_put_hist(em, fh, NS_NOLABELS, &st->info);
	ns_emit_u64(em, fr, NS_NOLABELS, st->info.retrans);
	ns_emit_u64(em, fl, NS_NOLABELS, st->info.lost);
	tcp_ihist_families(em, &ihf, 0);
	tcp_ihist_put(em, &ihf, NS_NOLABELS, &st->ihist);
}

/* The families of every scrape, in emission order (only the first with listen-only). */
enum { TF_CONN, TF_RQ, TF_WQ, TF_CW, TF_CWB, TF_N };
static const struct ns_family_decl tcp_main_fams[TF_N] = {
    [TF_CONN] = {"netstack_tcp_connections",
		 "TCP sockets by address family and state (new_syn_recv requests counted as "
		 "syn_recv).",
		 NS_GAUGE, NULL},
    [TF_RQ] = {"netstack_tcp_receive_queue_bytes",
	       "Received and not yet read (ss Recv-Q: a received FIN not yet read counts one), "
	       "summed per family and state (listeners excluded).",
	       NS_GAUGE, "bytes"},
    [TF_WQ] = {"netstack_tcp_send_queue_bytes",
	       "Bytes sent and not yet acknowledged (or not yet sent), summed per family and "
	       "state (listeners excluded).",
	       NS_GAUGE, "bytes"},
    [TF_CW] = {"netstack_tcp_close_wait_unread_sockets",
	       "CLOSE_WAIT sockets whose application has not read up to the peer's FIN "
	       "(Recv-Q > 0): the peer closed, the application stopped reading.",
	       NS_GAUGE, NULL},
    [TF_CWB] = {"netstack_tcp_close_wait_unread_bytes",
		"Data bytes never read in those CLOSE_WAIT sockets (Recv-Q minus the FIN).",
		NS_GAUGE, "bytes"},
};

static int tcp_emit_all(struct tcp_state *st, struct ns_writer *w, struct ns_err *e)
{
	struct ns_family *f[TF_N];
	struct ns_emit em = NS_EMIT_INIT(w);

	ns_emit_families(&em, tcp_main_fams, 1, f);
	if (st->listen_only)
		return tcp_emit_listen_only(st, &em, f[TF_CONN], e);
	ns_emit_families(&em, tcp_main_fams + 1, TF_N - 1, f + 1);
	for (unsigned fi = 0; fi < 2; fi++) {
		for (unsigned s = 1; s < TCP_NSTATES; s++) {
			const struct ns_label l[] = {{"family", tcp_fams[fi]},
						     {"state", tcp_states[s]}};

			ns_emit_u64(&em, f[TF_CONN], l, 2, st->conn[fi][s]);
			if (s == TCP_LISTEN)
				continue;
			ns_emit_u64(&em, f[TF_RQ], l, 2, st->rq[fi][s]);
			ns_emit_u64(&em, f[TF_WQ], l, 2, st->wq[fi][s]);
		}
		ns_emit_u64(&em, f[TF_CW], NS_LABELS({"family", tcp_fams[fi]}), st->cw_unread[fi]);
		ns_emit_u64(&em, f[TF_CWB], NS_LABELS({"family", tcp_fams[fi]}),
			    st->cw_unread_bytes[fi]);
	}
	tcp_emit_listening_ports(st, &em);
	tcp_emit_listeners(st, &em);
	tcp_emit_ports(st, &em);
	if (st->nremote)
		tcp_emit_remote(st, &em);
	if (st->have_range)
		tcp_emit_ephemeral(st, &em);
	if (st->tcp_info)
		tcp_emit_info(st, &em);
	return ns_emit_done(&em, e);
}

/* ---- lifecycle ---- */

/*
 * The port-indexed tables (128 KiB and 64 KiB) are mapped, not malloc'd:
 * only the pages of ports in use become resident, whatever glibc's mmap
 * threshold has grown to (below it calloc would zero, and so touch, all of
 * them), and the daemon keeps one per network namespace it collects.
 */
static void *tcp_zmap(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void tcp_unmap(void *p, size_t len)
{
	if (p)
		munmap(p, len);
}

static int tcp_read_range(struct tcp_state *st, struct ns_ctx *ctx, struct ns_err *e)
{
	int rc = ns_sd_read_port_range(&st->range_file, ctx, "tcp", &st->lo, &st->hi, e);

	st->have_range = rc == 0;
	return rc;
}

static void tcp_fini(void *state)
{
	struct tcp_state *st = state;

	if (!st)
		return;
	ns_sd_fini(&st->sd);
	ns_file_close(&st->range_file);
	tcp_unmap(st->remote_idx, 65536 * sizeof(*st->remote_idx));
	tcp_unmap(st->port_slot, 65536 * sizeof(*st->port_slot));
	free(st->ports);
	free(st->remote_conn);
	free(st->port_ihist);
	ns_sd_eptab_free(&st->listeners);
	ns_topk_free(&st->dests);
	free(st->top);
	free(st);
}

static int tcp_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct tcp_state *st = calloc(1, sizeof(*st));
	const char *const *items;
	size_t n, dcap;
	int rc = -ENOMEM;

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	st->range_file = (struct ns_file)NS_FILE_INIT;
	st->max_ports = ns_opt_uint(opts, "max-ports");
	st->top_k = ns_opt_uint(opts, "ephemeral-top-k");
	st->tcp_info = ns_opt_bool(opts, "tcp-info");
	st->listen_only = ns_opt_bool(opts, "listen-only");
	if (st->max_ports > TCP_MAX_PORTS) {
		rc = ns_err_set(e, -EINVAL, "max-ports %zu is above %d", st->max_ports,
				TCP_MAX_PORTS);
		goto fail;
	}
	if (st->top_k > TCP_MAX_TOPK) {
		rc = ns_err_set(e, -EINVAL, "ephemeral-top-k %zu is above %d", st->top_k,
				TCP_MAX_TOPK);
		goto fail;
	}
	st->port_slot = tcp_zmap(65536 * sizeof(*st->port_slot));
	st->ports = calloc(st->max_ports ? st->max_ports : 1, sizeof(*st->ports));
	if (!st->port_slot || !st->ports)
		goto nomem;
	if (ns_sd_eptab_init(&st->listeners, 4 * (st->max_ports ? st->max_ports : 1)))
		goto nomem;
	if (st->listen_only) {
		/* Only listeners: no per-connection tables (one per namespace adds up). */
		st->tcp_info = false;
		*state = st;
		return 0;
	}
	st->remote_idx = tcp_zmap(65536 * sizeof(*st->remote_idx));
	st->remote_conn = calloc(TCP_MAX_REMOTE, sizeof(*st->remote_conn));
	if (!st->remote_idx || !st->remote_conn)
		goto nomem;
	if (st->tcp_info && !(st->port_ihist = calloc(st->max_ports + 1, sizeof(*st->port_ihist))))
		goto nomem;
	items = ns_opt_list(opts, "remote-ports", &n);
	for (size_t i = 0; i < n; i++) {
		uint64_t p;

		if (ns_parse_u64(items[i], &p) || p < 1 || p > 65535) {
			rc = ns_err_set(e, -EINVAL, "remote-ports: '%s' is not a port", items[i]);
			goto fail;
		}
		if (st->remote_idx[p])
			continue;
		if (st->nremote == TCP_MAX_REMOTE) {
			rc = ns_err_set(e, -EINVAL, "remote-ports: more than %d ports",
					TCP_MAX_REMOTE);
			goto fail;
		}
		st->remote_port[st->nremote++] = (uint16_t)p;
		st->remote_idx[p] = (uint8_t)st->nremote;
	}
	dcap = 16 * st->top_k > 256 ? 16 * st->top_k : 256;
	st->top = calloc(st->top_k ? st->top_k : 1, sizeof(*st->top));
	if (!st->top || ns_topk_init(&st->dests, dcap, sizeof(struct ns_sd_ep)))
		goto nomem;
	*state = st;
	return 0;
nomem:
	rc = ns_err_set(e, -ENOMEM, "out of memory");
fail:
	tcp_fini(st);
	return rc;
}

static int tcp_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct tcp_state *st = state;
	struct ns_sd_req req = {
	    .family = AF_UNSPEC,
	    .protocol = IPPROTO_TCP,
	    .ext = st->tcp_info ? NS_SD_EXT(INET_DIAG_INFO) : 0,
	    .states = st->listen_only ? 1u << TCP_LISTEN : NS_SD_ALL_STATES,
	};
	struct ns_err range_err = {{0}};
	struct ns_fail f = NS_FAIL_INIT(e);
	int rc_range;

	rc_range = st->listen_only ? 0 : tcp_read_range(st, ctx, &range_err);
	tcp_reset(st);
	if (!ns_fail_note(&f, ns_sd_dump(&st->sd, ctx, &req, tcp_sock_cb, tcp_reset, st, e)) &&
	    st->sd.bad)
		ns_fail_set(&f, -EBADMSG, "%" PRIu64 " malformed sock_diag messages skipped",
			    st->sd.bad);
	/* Emit what was read even if the dump failed part way. */
	ns_fail_note(&f, tcp_emit_all(st, w, ns_fail_err(&f)));
	/* The port range is reported last: the sockets were counted without it. */
	ns_fail_set(&f, rc_range, "%s", range_err.msg);
	return ns_fail_rc(&f);
}

static const struct ns_option tcp_options[] = {
    {"max-ports", NS_OPT_UINT, "64",
     "Listening ports whose connections are counted one by one; the others share "
     "port=\"overflow\"."},
    {"remote-ports", NS_OPT_LIST, NULL,
     "Remote ports (e.g. 5432, 6379, 443) whose connections are counted per state."},
    {"ephemeral-top-k", NS_OPT_UINT, "5",
     "Destinations exposed by netstack_tcp_ephemeral_ports_in_use (busiest first)."},
    {"tcp-info", NS_OPT_BOOL, "false",
     "Ask the kernel for tcp_info of every socket: RTT, RTO, congestion window and delivery "
     "rate histograms, retransmitted and lost segments, bytes retransmitted and busy, "
     "rwnd-limited and sndbuf-limited time of established sockets, host-wide and per "
     "listening port (costs about 200 bytes and a socket lock per socket)."},
    {"listen-only", NS_OPT_BOOL, "false",
     "Dump listening sockets only (idiag_states = 1 << TCP_LISTEN): listeners and their "
     "accept queues, no per-state counts; costs O(listeners), not O(all TCP sockets of "
     "the host). The default in other network namespaces that share the host's TCP hash."},
    {NULL, 0, NULL, NULL},
};

const struct ns_collector ns_collector_tcp = {
    .name = "tcp",
    .help = "TCP sockets by state, listener accept queues, per-port connections and "
	    "ephemeral port use (sock_diag).",
    .default_enabled = true,
    .options = tcp_options,
    .init = tcp_init,
    .collect = tcp_collect,
    .fini = tcp_fini,
};
