// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * netdev.c - per-interface counters and state from one RTM_GETLINK dump.
 *
 * Every scrape sends a single RTM_GETLINK dump on the context's
 * NETLINK_ROUTE socket and copies what it needs from each RTM_NEWLINK into
 * a per-state array of devices (reused, grown only when there are more
 * devices than ever before). Samples are emitted only after the dump ended,
 * so that a dump restarted after NLM_F_DUMP_INTR (reset drops the array)
 * never emits a device twice or mixes two snapshots.
 *
 * Counters come from IFLA_STATS64 (struct rtnl_link_stats64), or from
 * IFLA_STATS (32-bit struct rtnl_link_stats) when STATS64 is absent. The
 * payload is copied with ns_nl_attr_copy(), and a field is exposed only if
 * the kernel's payload is long enough to contain it: an older kernel
 * without rx_nohandler gets no netstack_netdev_receive_nohandler_total
 * series rather than a fake 0.
 *
 * Options: device-include / device-exclude are POSIX extended regexes
 * matched against the interface name with regexec(), i.e. unanchored like
 * node_exporter ("eth" matches "veth0"; write "^eth[0-9]+$" to anchor).
 * When both are set a device must match include and must not match exclude.
 *
 * Operational state is a state set: netstack_netdev_oper_state{state=...}
 * has one series per IF_OPER_* state, 1 for the current one and 0 for the
 * others, so state changes do not create or drop series.
 */
#include <errno.h>
#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if.h>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "collector.h"
#include "buf.h"
#include "emit.h"
#include "namefilter.h"
#include "nl.h"

#ifndef IFALIASZ
#define IFALIASZ 256
#endif
#define ND_MAX_ADDR 32 /* MAX_ADDR_LEN */
#define ND_KIND_LEN 32

/* One counter of struct rtnl_link_stats64 / rtnl_link_stats. */
struct nd_stat {
	const char *name;
	const char *help;
	const char *unit;
	int off64; /* offset in struct rtnl_link_stats64 */
	int off32; /* offset in struct rtnl_link_stats, -1 if it has no such field */
};

#define ND_STAT(n, f, u, h)                                                                        \
	{                                                                                          \
		"netstack_netdev_" n, h, u, offsetof(struct rtnl_link_stats64, f),                 \
		    offsetof(struct rtnl_link_stats, f)                                            \
	}
#define ND_STAT64(n, f, u, h)                                                                      \
	{                                                                                          \
		"netstack_netdev_" n, h, u, offsetof(struct rtnl_link_stats64, f), -1              \
	}

static const struct nd_stat nd_stats[] = {
    ND_STAT("receive_packets_total", rx_packets, NULL, "Packets received (rx_packets)."),
    ND_STAT("transmit_packets_total", tx_packets, NULL, "Packets transmitted (tx_packets)."),
    ND_STAT("receive_bytes_total", rx_bytes, "bytes", "Bytes received (rx_bytes)."),
    ND_STAT("transmit_bytes_total", tx_bytes, "bytes", "Bytes transmitted (tx_bytes)."),
    ND_STAT("receive_errors_total", rx_errors, NULL, "Bad packets received (rx_errors)."),
    ND_STAT("transmit_errors_total", tx_errors, NULL, "Packet transmit problems (tx_errors)."),
    ND_STAT("receive_dropped_total", rx_dropped, NULL,
	    "Packets received but dropped by the kernel (rx_dropped)."),
    ND_STAT("transmit_dropped_total", tx_dropped, NULL,
	    "Packets dropped on their way to transmission (tx_dropped)."),
    ND_STAT("receive_multicast_total", multicast, NULL, "Multicast packets received (multicast)."),
    ND_STAT("collisions_total", collisions, NULL, "Collisions during transmission (collisions)."),
    ND_STAT("receive_length_errors_total", rx_length_errors, NULL,
	    "Packets dropped for an invalid length (rx_length_errors)."),
    ND_STAT("receive_over_errors_total", rx_over_errors, NULL,
	    "Receiver ring buffer overflow events (rx_over_errors)."),
    ND_STAT("receive_crc_errors_total", rx_crc_errors, NULL,
	    "Packets received with a CRC error (rx_crc_errors)."),
    ND_STAT("receive_frame_errors_total", rx_frame_errors, NULL,
	    "Packets received with a frame alignment error (rx_frame_errors)."),
    ND_STAT("receive_fifo_errors_total", rx_fifo_errors, NULL,
	    "Receiver FIFO overflow events (rx_fifo_errors)."),
    ND_STAT("receive_missed_errors_total", rx_missed_errors, NULL,
	    "Packets missed by the host (rx_missed_errors)."),
    ND_STAT("transmit_aborted_errors_total", tx_aborted_errors, NULL,
	    "Transmissions aborted (tx_aborted_errors)."),
    ND_STAT("transmit_carrier_errors_total", tx_carrier_errors, NULL,
	    "Transmissions failed for loss of carrier (tx_carrier_errors)."),
    ND_STAT("transmit_fifo_errors_total", tx_fifo_errors, NULL,
	    "Transmit FIFO errors (tx_fifo_errors)."),
    ND_STAT("transmit_heartbeat_errors_total", tx_heartbeat_errors, NULL,
	    "Transmit heartbeat (SQE test) errors (tx_heartbeat_errors)."),
    ND_STAT("transmit_window_errors_total", tx_window_errors, NULL,
	    "Late collisions / transmit window errors (tx_window_errors)."),
    ND_STAT("receive_compressed_total", rx_compressed, NULL,
	    "Compressed packets received (rx_compressed)."),
    ND_STAT("transmit_compressed_total", tx_compressed, NULL,
	    "Compressed packets transmitted (tx_compressed)."),
    ND_STAT("receive_nohandler_total", rx_nohandler, NULL,
	    "Packets dropped because no protocol handler wanted them (rx_nohandler)."),
    ND_STAT64("receive_otherhost_dropped_total", rx_otherhost_dropped, NULL,
	      "Packets dropped for a destination MAC address of another host "
	      "(rx_otherhost_dropped)."),
};
#define ND_NSTATS (sizeof(nd_stats) / sizeof(nd_stats[0]))

_Static_assert(ND_NSTATS <= 32, "stat validity is a 32-bit mask");

static const char *const nd_operstates[] = {
    [IF_OPER_UNKNOWN] = "unknown", [IF_OPER_NOTPRESENT] = "notpresent",
    [IF_OPER_DOWN] = "down",	   [IF_OPER_LOWERLAYERDOWN] = "lowerlayerdown",
    [IF_OPER_TESTING] = "testing", [IF_OPER_DORMANT] = "dormant",
    [IF_OPER_UP] = "up",
};
#define ND_NOPER (sizeof(nd_operstates) / sizeof(nd_operstates[0]))

enum {
	ND_HAVE_MTU = 1 << 0,
	ND_HAVE_TXQLEN = 1 << 1,
	ND_HAVE_CARRIER = 1 << 2,
	ND_HAVE_CARRIER_CHANGES = 1 << 3,
	ND_HAVE_CARRIER_UP = 1 << 4,
	ND_HAVE_CARRIER_DOWN = 1 << 5,
	ND_HAVE_OPERSTATE = 1 << 6,
};

struct nd_dev {
	char name[IFNAMSIZ];
	char ifindex[12];
	char kind[ND_KIND_LEN];
	char alias[IFALIASZ];
	char address[ND_MAX_ADDR * 3];
	char broadcast[ND_MAX_ADDR * 3];
	unsigned have;
	uint32_t flags;
	uint16_t type;
	uint8_t operstate;
	uint8_t carrier;
	uint32_t mtu;
	uint32_t txqlen;
	uint32_t carrier_changes;
	uint32_t carrier_up;
	uint32_t carrier_down;
	uint32_t stats_valid; /* bit i: nd_stats[i] present */
	uint64_t stats[ND_NSTATS];
};

struct nd_state {
	struct ns_namefilter filter;
	struct nd_dev *devs;
	size_t ndevs;
	size_t cap;
};

static void nd_copy_addr(const struct nlattr *a, char *dst)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	size_t n = mnl_attr_get_payload_len(a);
	static const char hex[] = "0123456789abcdef";
	char *o = dst;

	if (n > ND_MAX_ADDR)
		n = ND_MAX_ADDR;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*o++ = ':';
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 0xf];
	}
	*o = '\0';
}

static void nd_stats_from(struct nd_dev *d, const struct nlattr *s64, const struct nlattr *s32)
{
	d->stats_valid = 0;
	if (s64) {
		struct rtnl_link_stats64 st;
		size_t len = ns_nl_attr_copy(s64, &st, sizeof(st));

		for (size_t i = 0; i < ND_NSTATS; i++) {
			if ((size_t)nd_stats[i].off64 + sizeof(uint64_t) > len)
				continue;
			memcpy(&d->stats[i], (const char *)&st + nd_stats[i].off64,
			       sizeof(uint64_t));
			d->stats_valid |= 1u << i;
		}
	} else if (s32) {
		struct rtnl_link_stats st;
		size_t len = ns_nl_attr_copy(s32, &st, sizeof(st));

		for (size_t i = 0; i < ND_NSTATS; i++) {
			uint32_t v;

			if (nd_stats[i].off32 < 0 ||
			    (size_t)nd_stats[i].off32 + sizeof(uint32_t) > len)
				continue;
			memcpy(&v, (const char *)&st + nd_stats[i].off32, sizeof(v));
			d->stats[i] = v;
			d->stats_valid |= 1u << i;
		}
	}
}

static bool nd_wanted(const struct nd_state *st, const char *name)
{
	return ns_namefilter_wanted(&st->filter, name);
}

static int nd_link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct nd_state *st = data;
	const struct ifinfomsg *ifm;
	struct nd_dev *d;
	char name[IFNAMSIZ];

	if (nlh->nlmsg_type != RTM_NEWLINK || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifm))
		return MNL_CB_OK;
	ifm = mnl_nlmsg_get_payload(nlh);
	ns_nl_parse(nlh, sizeof(*ifm), tb, IFLA_MAX);
	if (!tb[IFLA_IFNAME])
		return MNL_CB_OK;
	ns_nl_attr_strcpy(tb[IFLA_IFNAME], name, sizeof(name));
	if (!name[0] || !nd_wanted(st, name))
		return MNL_CB_OK;

	if (NS_ARRAY_GROW(st->devs, st->cap, st->ndevs + 1, 4))
		return -ENOMEM;
	d = &st->devs[st->ndevs++];
	memcpy(d->name, name, sizeof(name));
	snprintf(d->ifindex, sizeof(d->ifindex), "%d", ifm->ifi_index);
	d->flags = ifm->ifi_flags;
	d->type = ifm->ifi_type;
	d->have = 0;
	d->kind[0] = d->alias[0] = d->address[0] = d->broadcast[0] = '\0';

	if (ns_nl_get_u32(tb[IFLA_MTU], &d->mtu))
		d->have |= ND_HAVE_MTU;
	if (ns_nl_get_u32(tb[IFLA_TXQLEN], &d->txqlen))
		d->have |= ND_HAVE_TXQLEN;
	if (ns_nl_get_u8(tb[IFLA_CARRIER], &d->carrier))
		d->have |= ND_HAVE_CARRIER;
	if (ns_nl_get_u32(tb[IFLA_CARRIER_CHANGES], &d->carrier_changes))
		d->have |= ND_HAVE_CARRIER_CHANGES;
	if (ns_nl_get_u32(tb[IFLA_CARRIER_UP_COUNT], &d->carrier_up))
		d->have |= ND_HAVE_CARRIER_UP;
	if (ns_nl_get_u32(tb[IFLA_CARRIER_DOWN_COUNT], &d->carrier_down))
		d->have |= ND_HAVE_CARRIER_DOWN;
	if (ns_nl_get_u8(tb[IFLA_OPERSTATE], &d->operstate) && d->operstate < ND_NOPER)
		d->have |= ND_HAVE_OPERSTATE;
	if (tb[IFLA_IFALIAS])
		ns_nl_attr_strcpy(tb[IFLA_IFALIAS], d->alias, sizeof(d->alias));
	if (tb[IFLA_ADDRESS])
		nd_copy_addr(tb[IFLA_ADDRESS], d->address);
	if (tb[IFLA_BROADCAST])
		nd_copy_addr(tb[IFLA_BROADCAST], d->broadcast);
	if (tb[IFLA_LINKINFO]) {
		ns_nl_parse_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
		if (li[IFLA_INFO_KIND])
			ns_nl_attr_strcpy(li[IFLA_INFO_KIND], d->kind, sizeof(d->kind));
	}
	nd_stats_from(d, tb[IFLA_STATS64], tb[IFLA_STATS]);
	return MNL_CB_OK;
}

static void nd_reset(void *data)
{
	struct nd_state *st = data;

	st->ndevs = 0;
}

static int nd_emit_all(const struct nd_state *st, struct ns_writer *w, struct ns_err *e)
{
	struct ns_family *fstat[ND_NSTATS], *fup, *foper, *fcarrier, *fcc, *fcup, *fcdown, *fmtu,
	    *ftxq, *ftype, *finfo;
	struct ns_emit em = NS_EMIT_INIT(w);

	for (size_t i = 0; i < ND_NSTATS; i++)
		fstat[i] = ns_emit_family(&em, nd_stats[i].name, nd_stats[i].help, NS_COUNTER,
					  nd_stats[i].unit);
	fup = ns_emit_family(&em, "netstack_netdev_up",
			     "1 if the interface is administratively up (IFF_UP), else 0.",
			     NS_GAUGE, NULL);
	foper =
	    ns_emit_family(&em, "netstack_netdev_oper_state",
			   "Operational state (RFC 2863, IFLA_OPERSTATE): 1 for the current state, "
			   "0 for the others.",
			   NS_GAUGE, NULL);
	fcarrier = ns_emit_family(&em, "netstack_netdev_carrier",
				  "1 if the interface has carrier (IFLA_CARRIER), else 0.",
				  NS_GAUGE, NULL);
	fcc = ns_emit_family(&em, "netstack_netdev_carrier_changes_total",
			     "Carrier up and down transitions (IFLA_CARRIER_CHANGES).", NS_COUNTER,
			     NULL);
	fcup =
	    ns_emit_family(&em, "netstack_netdev_carrier_up_changes_total",
			   "Carrier transitions to up (IFLA_CARRIER_UP_COUNT).", NS_COUNTER, NULL);
	fcdown = ns_emit_family(&em, "netstack_netdev_carrier_down_changes_total",
				"Carrier transitions to down (IFLA_CARRIER_DOWN_COUNT).",
				NS_COUNTER, NULL);
	fmtu = ns_emit_family(&em, "netstack_netdev_mtu_bytes", "Interface MTU (IFLA_MTU).",
			      NS_GAUGE, "bytes");
	ftxq = ns_emit_family(&em, "netstack_netdev_transmit_queue_length",
			      "Transmit queue length in packets (IFLA_TXQLEN).", NS_GAUGE, NULL);
	ftype = ns_emit_family(&em, "netstack_netdev_protocol_type",
			       "Link layer type, an ARPHRD_* number (ifinfomsg.ifi_type).",
			       NS_GAUGE, NULL);
	finfo =
	    ns_emit_family(&em, "netstack_netdev_info",
			   "Interface attributes as labels; the value is always 1.", NS_INFO, NULL);

	for (size_t i = 0; i < st->ndevs; i++) {
		const struct nd_dev *d = &st->devs[i];
		const char *oper =
		    d->have & ND_HAVE_OPERSTATE ? nd_operstates[d->operstate] : "unknown";

		for (size_t s = 0; s < ND_NSTATS; s++)
			if (d->stats_valid & (1u << s))
				ns_emit_u64(&em, fstat[s], NS_LABELS({"device", d->name}),
					    d->stats[s]);
		ns_emit_u64(&em, fup, NS_LABELS({"device", d->name}), !!(d->flags & IFF_UP));
		if (d->have & ND_HAVE_OPERSTATE)
			for (size_t k = 0; k < ND_NOPER; k++)
				ns_emit_u64(
				    &em, foper,
				    NS_LABELS({"device", d->name}, {"state", nd_operstates[k]}),
				    k == d->operstate);
		if (d->have & ND_HAVE_CARRIER)
			ns_emit_u64(&em, fcarrier, NS_LABELS({"device", d->name}), !!d->carrier);
		if (d->have & ND_HAVE_CARRIER_CHANGES)
			ns_emit_u64(&em, fcc, NS_LABELS({"device", d->name}), d->carrier_changes);
		if (d->have & ND_HAVE_CARRIER_UP)
			ns_emit_u64(&em, fcup, NS_LABELS({"device", d->name}), d->carrier_up);
		if (d->have & ND_HAVE_CARRIER_DOWN)
			ns_emit_u64(&em, fcdown, NS_LABELS({"device", d->name}), d->carrier_down);
		if (d->have & ND_HAVE_MTU)
			ns_emit_u64(&em, fmtu, NS_LABELS({"device", d->name}), d->mtu);
		if (d->have & ND_HAVE_TXQLEN)
			ns_emit_u64(&em, ftxq, NS_LABELS({"device", d->name}), d->txqlen);
		ns_emit_u64(&em, ftype, NS_LABELS({"device", d->name}), d->type);
		ns_emit_u64(&em, finfo,
			    NS_LABELS({"device", d->name}, {"ifindex", d->ifindex},
				      {"address", d->address}, {"broadcast", d->broadcast},
				      {"operstate", oper}, {"ifalias", d->alias},
				      {"kind", d->kind}),
			    1);
	}
	return ns_emit_done(&em, e);
}

static void nd_fini(void *state)
{
	struct nd_state *st = state;

	if (!st)
		return;
	ns_namefilter_fini(&st->filter);
	free(st->devs);
	free(st);
}

static int nd_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct nd_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	rc = ns_namefilter_init(&st->filter, opts, "device-include", "device-exclude", "netdev", e);
	if (rc) {
		nd_fini(st);
		return rc;
	}
	*state = st;
	return 0;
}

static int nd_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct nd_state *st = state;
	struct ns_nl *nl;
	struct ns_fail f = NS_FAIL_INIT(e);
	int rc;

	rc = ns_ctx_nl(ctx, NETLINK_ROUTE, &nl, e);
	if (rc)
		return rc;
	ns_nl_linkdump_req(nl, 0); /* with the link statistics */
	st->ndevs = 0;
	ns_fail_note(&f, ns_nl_run(nl, nd_link_cb, nd_reset, st, e));
	/* Emit what was read even if the dump failed part way. */
	ns_fail_note(&f, nd_emit_all(st, w, ns_fail_err(&f)));
	return ns_fail_rc(&f);
}

static const struct ns_option nd_options[] = {
    NS_DEVICE_FILTER_OPTIONS("interfaces"),
    {NULL, 0, NULL, NULL},
};

const struct ns_collector ns_collector_netdev = {
    .name = "netdev",
    .help = "Per-interface counters, state and attributes (rtnetlink RTM_GETLINK).",
    .default_enabled = true,
    .options = nd_options,
    .init = nd_init,
    .collect = nd_collect,
    .fini = nd_fini,
};
