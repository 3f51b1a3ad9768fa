// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * udp.c - UDP sockets, receive queues and drops per bound local port, from
 * two inet_diag dumps (AF_INET, AF_INET6) with INET_DIAG_SKMEMINFO.
 *
 * Sockets are aggregated per (family, local address, local port) as
 * `ss -uan` prints them, SO_REUSEPORT groups summed, in a fixed-capacity
 * table of max-ports entries allocated by init() and cleared per scrape.
 * Sockets beyond the cap share address="overflow", port="overflow" of their
 * family. Connected sockets (remote port set) whose local port lies in
 * net.ipv4.ip_local_port_range are clients (a resolver's queries, say) and
 * share address="ephemeral", port="ephemeral", so they cannot push the
 * services out of the table. (A bucket row names itself in every label it
 * sums over, as tcp's; "*" is only the dual-stack wildcard address.)
 *
 * Values: the number of sockets, idiag_rqueue (receive memory in use,
 * sk_rmem_alloc, the Recv-Q of ss), SK_MEMINFO_RCVBUF (SO_RCVBUF) and
 * SK_MEMINFO_DROPS (sk_drops: datagrams dropped for this socket, receive
 * buffer full or checksum/filter failures), summed per key. Host-wide UDP
 * counters are the snmp collector's.
 *
 * The per-socket drop counter lives as long as its socket, so the sum
 * resets (drops) when a socket closes; rate() handles that as any counter
 * reset.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/sock_diag.h>

#include "collector.h"
#include "emit.h"
#include "procfs.h"
#include "sockdiag.h"

#define UDP_MAX_PORTS 65535

enum { UDP_V_SOCKETS, UDP_V_RQUEUE, UDP_V_RCVBUF, UDP_V_DROPS };

enum { UDP_B_OVERFLOW, UDP_B_EPHEMERAL, UDP_NBUCKETS };

struct udp_state {
	struct ns_sd sd;
	struct ns_file range_file;
	size_t max_ports;
	uint32_t lo, hi;
	bool have_range;
	bool fi; /* family index of the running dump */
	struct ns_sd_eptab ports;
	uint64_t bucket[2][UDP_NBUCKETS][NS_SD_MAX_VALS];
	bool bucket_used[2][UDP_NBUCKETS];
	uint64_t bad;
};

static void udp_reset_family(void *data)
{
	struct udp_state *st = data;
	struct ns_sd_ep *keys = st->ports.keys;
	size_t n = st->ports.n;

	/* Drop the entries of the family being dumped, keep the other's. */
	memset(st->bucket[st->fi], 0, sizeof(st->bucket[st->fi]));
	memset(st->bucket_used[st->fi], 0, sizeof(st->bucket_used[st->fi]));
	ns_sd_eptab_clear(&st->ports);
	for (size_t i = 0; i < n; i++) {
		uint64_t vals[NS_SD_MAX_VALS], *v;
		struct ns_sd_ep k = keys[i];

		if ((k.family == AF_INET6) == st->fi)
			continue;
		memcpy(vals, st->ports.vals[i], sizeof(vals));
		v = ns_sd_eptab_get(&st->ports, &k);
		if (v)
			memcpy(v, vals, sizeof(vals));
	}
}

static int udp_sock_cb(const struct ns_sd_sock *s, void *data)
{
	const struct nlattr *tb[INET_DIAG_MAX + 1];
	struct udp_state *st = data;
	unsigned fi = s->family == AF_INET6;
	uint32_t mem[SK_MEMINFO_VARS];
	struct ns_sd_ep ep;
	uint64_t *v = NULL;

	ns_sd_attrs(s, tb);
	if (s->dport && st->have_range && s->sport >= st->lo && s->sport <= st->hi) {
		v = st->bucket[fi][UDP_B_EPHEMERAL];
		st->bucket_used[fi][UDP_B_EPHEMERAL] = true;
	} else {
		ns_sd_ep_of(s, false, ns_sd_v6only(tb), &ep);
		v = ns_sd_eptab_get(&st->ports, &ep);
		if (!v) {
			v = st->bucket[fi][UDP_B_OVERFLOW];
			st->bucket_used[fi][UDP_B_OVERFLOW] = true;
		}
	}
	v[UDP_V_SOCKETS]++;
	v[UDP_V_RQUEUE] += s->rqueue;
	if (tb[INET_DIAG_SKMEMINFO]) {
		size_t len = ns_nl_attr_copy(tb[INET_DIAG_SKMEMINFO], mem, sizeof(mem));

		if (len >= (SK_MEMINFO_RCVBUF + 1) * sizeof(uint32_t))
			v[UDP_V_RCVBUF] += mem[SK_MEMINFO_RCVBUF];
		if (len >= (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
			v[UDP_V_DROPS] += mem[SK_MEMINFO_DROPS];
	}
	return MNL_CB_OK;
}

struct udp_emit {
	struct ns_emit out;
	struct ns_family *f[NS_SD_MAX_VALS];
};

static void udp_put_all(struct udp_emit *em, const char *fam, const char *addr, const char *port,
			const uint64_t *v)
{
	for (unsigned i = 0; i < NS_SD_MAX_VALS; i++)
		ns_emit_u64(&em->out, em->f[i],
			    NS_LABELS({"family", fam}, {"address", addr}, {"port", port}), v[i]);
}

static const struct {
	const char *name;
	const char *help;
	enum ns_mtype type;
	const char *unit;
} udp_fams[NS_SD_MAX_VALS] = {
    [UDP_V_SOCKETS] = {"netstack_udp_sockets", "UDP sockets bound to the local address and port.",
		       NS_GAUGE, NULL},
    [UDP_V_RQUEUE] = {"netstack_udp_receive_queue_bytes",
		      "Receive memory in use (sk_rmem_alloc, ss Recv-Q) of the sockets.", NS_GAUGE,
		      "bytes"},
    [UDP_V_RCVBUF] = {"netstack_udp_receive_buffer_bytes",
		      "Receive buffer size (SO_RCVBUF, SK_MEMINFO_RCVBUF) of the sockets.",
		      NS_GAUGE, "bytes"},
    [UDP_V_DROPS] = {"netstack_udp_drops_total",
		     "Datagrams dropped by the sockets (sk_drops, SK_MEMINFO_DROPS): "
		     "receive buffer full, memory limits, checksum or filter failures.",
		     NS_COUNTER, NULL},
};

static int udp_emit_all(struct udp_state *st, struct ns_writer *w, struct ns_err *e)
{
	static const char *const fams[2] = {"ipv4", "ipv6"};
	static const char *const buckets[UDP_NBUCKETS] = {"overflow", "ephemeral"};
	struct udp_emit em = {.out = NS_EMIT_INIT(w)};
	char addr[NS_SD_ADDRSTRLEN], port[16];

	for (unsigned i = 0; i < NS_SD_MAX_VALS; i++)
		em.f[i] = ns_emit_family(&em.out, udp_fams[i].name, udp_fams[i].help,
					 udp_fams[i].type, udp_fams[i].unit);
	for (size_t i = 0; i < st->ports.n; i++) {
		const struct ns_sd_ep *ep = &st->ports.keys[i];

		ns_sd_format_addr(ep, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", ep->port);
		udp_put_all(&em, ns_sd_family_name(ep->family), addr, port, st->ports.vals[i]);
	}
	for (unsigned fi = 0; fi < 2; fi++)
		for (unsigned b = 0; b < UDP_NBUCKETS; b++)
			if (st->bucket_used[fi][b])
				udp_put_all(&em, fams[fi], buckets[b], buckets[b],
					    st->bucket[fi][b]);
	return ns_emit_done(&em.out, e);
}

static int udp_read_range(struct udp_state *st, struct ns_ctx *ctx, struct ns_err *e)
{
	int rc = ns_sd_read_port_range(&st->range_file, ctx, "udp", &st->lo, &st->hi, e);

	st->have_range = rc == 0;
	return rc;
}

static void udp_fini(void *state)
{
	struct udp_state *st = state;

	if (!st)
		return;
	ns_sd_fini(&st->sd);
	ns_file_close(&st->range_file);
	ns_sd_eptab_free(&st->ports);
	free(st);
}

static int udp_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct udp_state *st = calloc(1, sizeof(*st));

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	st->range_file = (struct ns_file)NS_FILE_INIT;
	st->max_ports = ns_opt_uint(opts, "max-ports");
	if (st->max_ports > UDP_MAX_PORTS) {
		udp_fini(st);
		return ns_err_set(e, -EINVAL, "max-ports is above %d", UDP_MAX_PORTS);
	}
	if (ns_sd_eptab_init(&st->ports, st->max_ports)) {
		udp_fini(st);
		return ns_err_set(e, -ENOMEM, "out of memory");
	}
	*state = st;
	return 0;
}

static int udp_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	static const uint8_t families[2] = {AF_INET, AF_INET6};
	struct udp_state *st = state;
	struct ns_err range_err = {{0}};
	struct ns_fail f = NS_FAIL_INIT(e);
	int rc_range;

	rc_range = udp_read_range(st, ctx, &range_err);
	ns_sd_eptab_clear(&st->ports);
	memset(st->bucket, 0, sizeof(st->bucket));
	memset(st->bucket_used, 0, sizeof(st->bucket_used));
	st->bad = 0;
	for (unsigned fi = 0; fi < 2 && !ns_fail_rc(&f); fi++) {
		struct ns_sd_req req = {
		    .family = families[fi],
		    .protocol = IPPROTO_UDP,
		    .ext = NS_SD_EXT(INET_DIAG_SKMEMINFO),
		    .states = NS_SD_ALL_STATES,
		};

		st->fi = fi;
		ns_fail_note(&f,
			     ns_sd_dump(&st->sd, ctx, &req, udp_sock_cb, udp_reset_family, st, e));
		st->bad += st->sd.bad;
	}
	if (st->bad)
		ns_fail_set(&f, -EBADMSG, "%" PRIu64 " malformed sock_diag messages skipped",
			    st->bad);
	ns_fail_note(&f, udp_emit_all(st, w, ns_fail_err(&f)));
	/* The port range is reported last: the sockets were counted without it. */
	ns_fail_set(&f, rc_range, "%s", range_err.msg);
	return ns_fail_rc(&f);
}

static const struct ns_option udp_options[] = {
    {"max-ports", NS_OPT_UINT, "64",
     "Local (address, port) pairs exposed one by one; the others share "
     "port=\"overflow\"."},
    {NULL, 0, NULL, NULL},
};

const struct ns_collector ns_collector_udp = {
    .name = "udp",
    .help = "UDP sockets, receive queues and drops per bound local port (sock_diag).",
    .default_enabled = true,
    .options = udp_options,
    .init = udp_init,
    .collect = udp_collect,
    .fini = udp_fini,
};
