// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcp_info_hist.c - RTO, congestion window and delivery rate histograms,
 * and sums of per-socket counters, over established sockets' tcp_info.
 *
 * A field enters an aggregate only if the socket's INET_DIAG_INFO payload
 * contains it (struct tcp_info grows with the kernel: tcpi_delivery_rate
 * 4.9, the busy/limited times 4.10, tcpi_bytes_retrans 4.19), so each
 * histogram has its own count; on a kernel without a field its histogram
 * counts nothing rather than zeros.
 *
 * Bucket bounds are compared as integers in the kernel's units
 * (microseconds, segments, bytes per second); the exposed bounds and sums
 * are in base units (seconds, segments, bytes per second).
 *
 * The four sums (bytes retransmitted, busy, rwnd-limited and
 * sndbuf-limited time) add up per-socket counters of the sockets
 * established now: a socket that closes takes its share with it, so the
 * sums are gauges, not counters (rate() over them would see false resets).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <linux/tcp.h>

#include "nl.h"
#include "tcp_info_hist.h"

#define TIH_HAS(len, field)                                                                        \
	((len) >= offsetof(struct tcp_info, field) + sizeof(((struct tcp_info *)0)->field))

/* RTO: the kernel's minimum is 200 ms (tcp_rto_min; lower per route with rto_min). */
static const uint64_t tih_rto_us[TIH_NRTO] = {
    50000,  100000,  200000,  205000,  210000,	220000,	  250000,   300000,
    500000, 1000000, 2000000, 4000000, 8000000, 16000000, 32000000, 120000000,
};
static const double tih_rto_le[TIH_NRTO] = {
    0.05, 0.1, 0.2, 0.205, 0.21, 0.22, 0.25, 0.3, 0.5, 1, 2, 4, 8, 16, 32, 120,
};
static const uint64_t tih_cwnd[TIH_NCWND] = {1,	  2,   4,   8,	  10,	16,   32,  64,
					     128, 256, 512, 1024, 2048, 4096, 8192};
static const double tih_cwnd_le[TIH_NCWND] = {1,   2,	4,   8,	   10,	 16,   32,  64,
					      128, 256, 512, 1024, 2048, 4096, 8192};
/* Bytes per second: 1 kB/s to 10 GB/s in 1, 2.5, 5 steps. */
static const uint64_t tih_rate[TIH_NRATE] = {
    1000ull,	   2500ull,	  5000ull,	 10000ull,	 25000ull,     50000ull,
    100000ull,	   250000ull,	  500000ull,	 1000000ull,	 2500000ull,   5000000ull,
    10000000ull,   25000000ull,	  50000000ull,	 100000000ull,	 250000000ull, 500000000ull,
    1000000000ull, 2500000000ull, 5000000000ull, 10000000000ull,
};
static const double tih_rate_le[TIH_NRATE] = {
    1e3, 2.5e3, 5e3,   1e4, 2.5e4, 5e4,	  1e5, 2.5e5, 5e5,   1e6, 2.5e6,
    5e6, 1e7,	2.5e7, 5e7, 1e8,   2.5e8, 5e8, 1e9,   2.5e9, 5e9, 1e10,
};

static unsigned tih_bucket(const uint64_t *le, unsigned n, uint64_t v)
{
	unsigned lo = 0, hi = n;

	/* first bound >= v; n if above all */
	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (le[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void tih_add(struct tcp_ihist *h, const struct tcp_info *ti, size_t len)
{
	if (TIH_HAS(len, tcpi_rto)) {
		h->rto[tih_bucket(tih_rto_us, TIH_NRTO, ti->tcpi_rto)]++;
		h->n_rto++;
		h->rto_us += ti->tcpi_rto;
	}
	if (TIH_HAS(len, tcpi_snd_cwnd)) {
		h->cwnd[tih_bucket(tih_cwnd, TIH_NCWND, ti->tcpi_snd_cwnd)]++;
		h->n_cwnd++;
		h->cwnd_sum += ti->tcpi_snd_cwnd;
	}
	if (TIH_HAS(len, tcpi_delivery_rate)) {
		h->rate[tih_bucket(tih_rate, TIH_NRATE, ti->tcpi_delivery_rate)]++;
		h->n_rate++;
		h->rate_sum += ti->tcpi_delivery_rate;
	}
	if (TIH_HAS(len, tcpi_sndbuf_limited)) {
		h->busy_us += ti->tcpi_busy_time;
		h->rwnd_us += ti->tcpi_rwnd_limited;
		h->sndbuf_us += ti->tcpi_sndbuf_limited;
	}
	if (TIH_HAS(len, tcpi_bytes_retrans))
		h->bytes_retrans += ti->tcpi_bytes_retrans;
}

void tcp_ihist_add(struct tcp_ihist *h, struct tcp_ihist *port, const struct nlattr *info)
{
	struct tcp_info ti;
	size_t len;

	if (!info)
		return;
	len = ns_nl_attr_copy(info, &ti, sizeof(ti));
	tih_add(h, &ti, len);
	if (port)
		tih_add(port, &ti, len);
}

void tcp_ihist_families(struct ns_emit *em, struct tcp_ihist_fams *f, int per_port)
{
	const char *pre =
	    per_port ? "netstack_tcp_local_port_established_" : "netstack_tcp_established_";
	const char *whose = per_port ? " of the established sockets of a local listening port."
				     : " of established sockets.";
	const char *sumof =
	    per_port ? ", summed over the established sockets of a local listening port "
		       "(a gauge: a closing socket takes its share with it)."
		     : ", summed over the established sockets (a gauge: a closing socket "
		       "takes its share with it).";
	char name[96], help[256];

#define TIH_FAM(dst, suffix, what, tail, type, unit)                                               \
	do {                                                                                       \
		snprintf(name, sizeof(name), "%s%s", pre, suffix);                                 \
		snprintf(help, sizeof(help), "%s%s", what, tail);                                  \
		(dst) = ns_emit_family(em, name, help, type, unit);                                \
	} while (0)
	TIH_FAM(f->rto, "rto_seconds", "Retransmission timeout (tcpi_rto)", whose, NS_HISTOGRAM,
		"seconds");
	TIH_FAM(f->cwnd, "congestion_window_segments", "Congestion window (tcpi_snd_cwnd)", whose,
		NS_HISTOGRAM, NULL);
	TIH_FAM(f->rate, "delivery_rate_bytes_per_second",
		"Most recent delivery rate estimate (tcpi_delivery_rate)", whose, NS_HISTOGRAM,
		NULL);
	TIH_FAM(f->bytes_retrans, "retransmitted_bytes", "Bytes retransmitted (tcpi_bytes_retrans)",
		sumof, NS_GAUGE, "bytes");
	TIH_FAM(f->busy, "busy_seconds", "Time busy sending data (tcpi_busy_time)", sumof, NS_GAUGE,
		"seconds");
	TIH_FAM(f->rwnd, "rwnd_limited_seconds",
		"Time limited by the peer's receive window (tcpi_rwnd_limited)", sumof, NS_GAUGE,
		"seconds");
	TIH_FAM(f->sndbuf, "sndbuf_limited_seconds",
		"Time limited by the send buffer (tcpi_sndbuf_limited)", sumof, NS_GAUGE,
		"seconds");
#undef TIH_FAM
}

static void tih_put_hist(struct ns_emit *em, struct ns_family *f, const struct ns_label *l,
			 size_t n, const double *le, const uint64_t *per, unsigned nb,
			 uint64_t count, double sum)
{
	uint64_t cum[TIH_NRATE], c = 0;

	if (!f)
		return;
	for (unsigned i = 0; i < nb; i++) {
		c += per[i];
		cum[i] = c;
	}
	ns_emit_check(em, ns_sample_histogram(em->w, f, l, n, le, cum, nb, count, sum));
}

void tcp_ihist_put(struct ns_emit *em, const struct tcp_ihist_fams *f, const struct ns_label *l,
		   size_t n, const struct tcp_ihist *h)
{
	_Static_assert(TIH_NRATE >= TIH_NRTO && TIH_NRATE >= TIH_NCWND, "cum[] fits every hist");

	tih_put_hist(em, f->rto, l, n, tih_rto_le, h->rto, TIH_NRTO, h->n_rto,
		     (double)h->rto_us / 1e6);
	tih_put_hist(em, f->cwnd, l, n, tih_cwnd_le, h->cwnd, TIH_NCWND, h->n_cwnd,
		     (double)h->cwnd_sum);
	tih_put_hist(em, f->rate, l, n, tih_rate_le, h->rate, TIH_NRATE, h->n_rate,
		     (double)h->rate_sum);
	ns_emit_u64(em, f->bytes_retrans, l, n, h->bytes_retrans);
	ns_emit_f64(em, f->busy, l, n, (double)h->busy_us / 1e6);
	ns_emit_f64(em, f->rwnd, l, n, (double)h->rwnd_us / 1e6);
	ns_emit_f64(em, f->sndbuf, l, n, (double)h->sndbuf_us / 1e6);
}
