/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcp_info_hist.h - distributions and sums of tcp_info fields over
 * established sockets (the tcp collector's tcp-info option): RTO,
 * congestion window and delivery rate histograms; bytes retransmitted and
 * the busy / receive-window-limited / send-buffer-limited times, summed.
 *
 * One struct tcp_ihist per aggregate (host-wide, each tracked listening
 * port, the overflow port). Fixed size, no allocation; zero it to clear.
 */
#ifndef NS_TCP_INFO_HIST_H
#define NS_TCP_INFO_HIST_H

#include <stdint.h>

#include <libmnl/libmnl.h>

#include "emit.h"

#define TIH_NRTO 16
#define TIH_NCWND 15
#define TIH_NRATE 22

struct tcp_ihist {
	/* per bucket (not cumulative); the last one is above the largest bound */
	uint64_t rto[TIH_NRTO + 1], cwnd[TIH_NCWND + 1], rate[TIH_NRATE + 1];
	uint64_t n_rto, n_cwnd, n_rate;
	uint64_t rto_us, cwnd_sum, rate_sum; /* tcpi_rto, tcpi_snd_cwnd, tcpi_delivery_rate */
	uint64_t bytes_retrans;		     /* tcpi_bytes_retrans */
	uint64_t busy_us, rwnd_us, sndbuf_us;
};

/* Families of one emission (host-wide or per port), from tcp_ihist_families(). */
struct tcp_ihist_fams {
	struct ns_family *rto, *cwnd, *rate, *bytes_retrans, *busy, *rwnd, *sndbuf;
};

/* Add one established socket's INET_DIAG_INFO payload (any length) to @h and @port (or NULL). */
void tcp_ihist_add(struct tcp_ihist *h, struct tcp_ihist *port, const struct nlattr *info);
/* per_port: the netstack_tcp_local_port_established_* families, else the host ones. */
void tcp_ihist_families(struct ns_emit *em, struct tcp_ihist_fams *f, int per_port);
void tcp_ihist_put(struct ns_emit *em, const struct tcp_ihist_fams *f, const struct ns_label *l,
		   size_t n, const struct tcp_ihist *h);

#endif
