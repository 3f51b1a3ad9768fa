// SPDX-License-Identifier: GPL-2.0-or-later
/* ethtool_emit.c - the ethtool collector's families, from the state ethtool.c filled. */
#include "ethtool.h"

static const char *const et_ring_names[ET_NRING] = {"rx", "rx_mini", "rx_jumbo", "tx"};
static const char *const et_ch_names[ET_NCH] = {"rx", "tx", "other", "combined"};
static const char *const et_dir_names[] = {"", "rx", "tx"};

/* ---- emission ---- */

static const char *const et_grp_prefix[ETHTOOL_STATS_RMON + 1] = {"eth_phy", "eth_mac", "eth_ctrl",
								  "rmon"};

static const char *const et_phy_names[] = {"SymbolErrorDuringCarrier"};
static const char *const et_mac_names[] = {
    "FramesTransmittedOK",
    "SingleCollisionFrames",
    "MultipleCollisionFrames",
    "FramesReceivedOK",
    "FrameCheckSequenceErrors",
    "AlignmentErrors",
    "OctetsTransmittedOK",
    "FramesWithDeferredXmissions",
    "LateCollisions",
    "FramesAbortedDueToXSColls",
    "FramesLostDueToIntMACXmitError",
    "CarrierSenseErrors",
    "OctetsReceivedOK",
    "FramesLostDueToIntMACRcvError",
    "MulticastFramesXmittedOK",
    "BroadcastFramesXmittedOK",
    "FramesWithExcessiveDeferral",
    "MulticastFramesReceivedOK",
    "BroadcastFramesReceivedOK",
    "InRangeLengthErrors",
    "OutOfRangeLengthField",
    "FrameTooLongErrors",
};
static const char *const et_ctrl_names[] = {
    "MACControlFramesTransmitted", "MACControlFramesReceived", "UnsupportedOpcodesReceived"};
static const char *const et_rmon_names[] = {"etherStatsUndersizePkts", "etherStatsOversizePkts",
					    "etherStatsFragments", "etherStatsJabbers"};

static const struct {
	const char *const *names;
	size_t n;
} et_grp_names[ETHTOOL_STATS_RMON + 1] = {
    {et_phy_names, sizeof(et_phy_names) / sizeof(et_phy_names[0])},
    {et_mac_names, sizeof(et_mac_names) / sizeof(et_mac_names[0])},
    {et_ctrl_names, sizeof(et_ctrl_names) / sizeof(et_ctrl_names[0])},
    {et_rmon_names, sizeof(et_rmon_names) / sizeof(et_rmon_names[0])},
};

static void et_emit_std(struct ns_emit *em, const struct et_dev *d)
{
	char name[ET_NAME_MAX + 48], snake[ET_NAME_MAX], lo[12], hi[12];
	const struct et_nlres *r = &d->nl;
	struct ns_family *f;

	for (int g = 0; g <= ETHTOOL_STATS_RMON; g++) {
		for (unsigned s = 0; s < ET_STD_MAX; s++) {
			if (!(r->std_have[g] & (1ULL << s)))
				continue;
			if (s < et_grp_names[g].n)
				ns_snake_case(et_grp_names[g].names[s], snake, sizeof(snake));
			else
				snprintf(snake, sizeof(snake), "stat_%u", s);
			snprintf(name, sizeof(name), "netstack_ethtool_%s_%s_total",
				 et_grp_prefix[g], snake);
			f = ns_emit_family(
			    em, name,
			    "IEEE 802.3 / RFC 2819 standard statistic (ethtool netlink "
			    "ETHTOOL_MSG_STATS_GET).",
			    NS_COUNTER, NULL);
			ns_emit_u64(em, f, NS_LABELS({"device", d->name}), r->std[g][s]);
		}
	}
	for (int dir = 0; dir < 2; dir++) {
		if (!r->nhist[dir])
			continue;
		f = ns_emit_family(
		    em, "netstack_ethtool_rmon_frames_by_length_total",
		    "RMON frame counts by frame length bucket [low, high] in bytes "
		    "(etherStatsPktsXtoYOctets); high is \"+Inf\" for the last bucket.",
		    NS_COUNTER, NULL);
		for (unsigned i = 0; i < r->nhist[dir]; i++) {
			const struct et_hist *h = &r->hist[dir][i];

			snprintf(lo, sizeof(lo), "%u", h->low);
			if (h->has_high)
				snprintf(hi, sizeof(hi), "%u", h->high);
			else
				snprintf(hi, sizeof(hi), "+Inf");
			ns_emit_u64(em, f,
				    NS_LABELS({"device", d->name}, {"direction", dir ? "tx" : "rx"},
					      {"low", lo}, {"high", hi}),
				    h->val);
		}
	}
}

static void et_emit_modes(struct ns_emit *em, const struct et_state *st, const struct et_dev *d,
			  const uint64_t *bm, const char *fname, const char *help)
{
	struct ns_family *f = NULL;
	char fallback[24];

	for (uint32_t b = 0; b < ET_MODE_BITS; b++) {
		const char *mode;

		if (!et_bit_test(bm, b))
			continue;
		if (!f)
			f = ns_emit_family(em, fname, help, NS_INFO, NULL);
		mode = st->mode_names && st->mode_names[b][0] ? st->mode_names[b] : NULL;
		if (!mode) {
			snprintf(fallback, sizeof(fallback), "bit%u", b);
			mode = fallback;
		}
		ns_emit_u64(em, f, NS_LABELS({"device", d->name}, {"mode", mode}), 1);
	}
}

/* The fixed families, declared once, resolved in this order per scrape. */
enum {
	EF_INFO,
	EF_SPEED,
	EF_DUPLEX,
	EF_AUTONEG,
	EF_RING,
	EF_RING_MAX,
	EF_CH,
	EF_CH_MAX,
	EF_PAUSE_AN,
	EF_PAUSE_EN,
	EF_PAUSE_FRAMES,
	EF_FEC, /* three: corrected blocks, uncorrectable blocks, corrected bits */
	EF_N = EF_FEC + 3,
};

static const struct ns_family_decl et_fams[EF_N] = {
    [EF_INFO] = {"netstack_ethtool_info",
		 "Driver of a device (ETHTOOL_GDRVINFO); the value is always 1.", NS_INFO, NULL},
    /* collector.h's one naming exception: an interface property only ethtool reads */
    [EF_SPEED] = {"netstack_netdev_speed_bytes",
		  "Link speed in bytes per second (ethtool link settings); absent when "
		  "the driver does not know it.",
		  NS_GAUGE, "bytes"},
    [EF_DUPLEX] = {"netstack_ethtool_full_duplex",
		   "1 for a full-duplex link, 0 for half duplex (ETHTOOL_A_LINKMODES_DUPLEX).",
		   NS_GAUGE, NULL},
    [EF_AUTONEG] = {"netstack_ethtool_autonegotiation",
		    "1 if link autonegotiation is enabled (ETHTOOL_A_LINKMODES_AUTONEG).", NS_GAUGE,
		    NULL},
    [EF_RING] = {"netstack_ethtool_ring_entries",
		 "Current size of a descriptor ring (ETHTOOL_MSG_RINGS_GET).", NS_GAUGE, NULL},
    [EF_RING_MAX] = {"netstack_ethtool_ring_max_entries",
		     "Largest size the driver allows for a descriptor ring.", NS_GAUGE, NULL},
    [EF_CH] = {"netstack_ethtool_channels",
	       "Current number of channels by type (ETHTOOL_MSG_CHANNELS_GET).", NS_GAUGE, NULL},
    [EF_CH_MAX] = {"netstack_ethtool_channels_max",
		   "Largest number of channels the driver allows, by type.", NS_GAUGE, NULL},
    [EF_PAUSE_AN] = {"netstack_ethtool_pause_autonegotiation",
		     "1 if pause frame use is autonegotiated (ETHTOOL_A_PAUSE_AUTONEG).", NS_GAUGE,
		     NULL},
    [EF_PAUSE_EN] = {"netstack_ethtool_pause_enabled",
		     "1 if pause frames are used in this direction (ETHTOOL_A_PAUSE_RX/TX).",
		     NS_GAUGE, NULL},
    [EF_PAUSE_FRAMES] = {"netstack_ethtool_pause_frames_total",
			 "Pause frames sent (tx) or received (rx) (ETHTOOL_A_PAUSE_STATS).",
			 NS_COUNTER, NULL},
    [EF_FEC] = {"netstack_ethtool_fec_corrected_blocks_total",
		"FEC blocks with errors that were corrected (ETHTOOL_A_FEC_STAT_CORRECTED).",
		NS_COUNTER, NULL},
    [EF_FEC + 1] = {"netstack_ethtool_fec_uncorrectable_blocks_total",
		    "FEC blocks with errors that could not be corrected "
		    "(ETHTOOL_A_FEC_STAT_UNCORR).",
		    NS_COUNTER, NULL},
    [EF_FEC + 2] = {"netstack_ethtool_fec_corrected_bits_total",
		    "Bits corrected by FEC (ETHTOOL_A_FEC_STAT_CORR_BITS).", NS_COUNTER, NULL},
};

static void et_emit_info(struct ns_emit *em, struct ns_family *f, const struct et_dev *d)
{
	char drv[33], ver[33], fw[ETHTOOL_FWVERS_LEN + 1], bus[ETHTOOL_BUSINFO_LEN + 1];

	snprintf(drv, sizeof(drv), "%.32s", d->info.driver);
	snprintf(ver, sizeof(ver), "%.32s", d->info.version);
	snprintf(fw, sizeof(fw), "%.*s", ETHTOOL_FWVERS_LEN, d->info.fw_version);
	snprintf(bus, sizeof(bus), "%.*s", ETHTOOL_BUSINFO_LEN, d->info.bus_info);
	ns_emit_u64(em, f,
		    NS_LABELS({"device", d->name}, {"driver", drv}, {"version", ver},
			      {"firmware_version", fw}, {"bus_info", bus}),
		    1);
}

/*
 * Driver statistics. Label sets: one for the device, one rebuilt only when
 * the queue or direction changes (drivers list a queue's statistics together).
 */
static void et_emit_driver_stats(struct ns_emit *em, struct et_state *st, const struct et_dev *d)
{
	const struct et_stat *prevq = NULL;

	ns_emit_check(em, ns_labelset_set(&st->dev_ls, em->w, NS_LABELS({"device", d->name})));
	for (uint32_t s = 0; s < d->nstr; s++) {
		const struct et_stat *m = &d->map[s];
		const char *fname = d->names.data + m->name_off;
		struct ns_family *f;

		if (!m->wanted)
			continue;
		if (!m->queue[0]) {
			f = ns_emit_family(
			    em, fname,
			    "Driver statistic (ethtool -S, ETHTOOL_GSTATS); untyped: the "
			    "driver does not say whether it is a counter.",
			    NS_UNTYPED, NULL);
			ns_emit_u64_ls(em, f, &st->dev_ls, d->sbuf->data[s]);
			continue;
		}
		f = ns_emit_family(
		    em, fname,
		    "Per-queue driver statistic (ethtool -S, ETHTOOL_GSTATS); untyped: "
		    "the driver does not say whether it is a counter.",
		    NS_UNTYPED, NULL);
		if (!prevq || prevq->dir != m->dir || strcmp(prevq->queue, m->queue) != 0) {
			ns_emit_check(
			    em, ns_labelset_set(&st->queue_ls, em->w,
						NS_LABELS({"device", d->name}, {"queue", m->queue},
							  {"direction", et_dir_names[m->dir]})));
			prevq = m;
		}
		ns_emit_u64_ls(em, f, &st->queue_ls, d->sbuf->data[s]);
	}
}

/* Speed, duplex, autonegotiation and link modes (ETHTOOL_MSG_LINKMODES_GET). */
static void et_emit_link(struct ns_emit *em, struct ns_family *const *f, const struct et_state *st,
			 const struct et_dev *d)
{
	const struct et_nlres *r = &d->nl;

	if ((r->have & EH_SPEED) && r->speed != 0 && r->speed != (uint32_t)SPEED_UNKNOWN)
		ns_emit_u64(em, f[EF_SPEED], NS_LABELS({"device", d->name}),
			    (uint64_t)r->speed * 125000u);
	if ((r->have & EH_DUPLEX) && (r->duplex == DUPLEX_FULL || r->duplex == DUPLEX_HALF))
		ns_emit_u64(em, f[EF_DUPLEX], NS_LABELS({"device", d->name}),
			    r->duplex == DUPLEX_FULL);
	if (r->have & EH_AUTONEG)
		ns_emit_u64(em, f[EF_AUTONEG], NS_LABELS({"device", d->name}), r->autoneg != 0);
	if (r->have & EH_MODES) {
		et_emit_modes(em, st, d, r->sup, "netstack_ethtool_supported_link_mode_info",
			      "A link mode the device supports; the value is always 1.");
		et_emit_modes(em, st, d, r->adv, "netstack_ethtool_advertised_link_mode_info",
			      "A link mode the device advertises; the value is always 1.");
	}
	if (r->have & EH_PEER)
		et_emit_modes(em, st, d, r->peer, "netstack_ethtool_peer_advertised_link_mode_info",
			      "A link mode the link partner advertises; the value is always 1.");
}

/* A current/maximum pair per ring or channel type present. */
static inline __attribute__((always_inline)) void
et_emit_sizes(struct ns_emit *em, struct ns_family *fcur, struct ns_family *fmax, const char *label,
	      const char *const *names, int n, unsigned have, unsigned maxhave, const uint32_t *cur,
	      const uint32_t *max, const struct et_dev *d)
{
	for (int k = 0; k < n; k++) {
		if (have & (1u << k))
			ns_emit_u64(em, fcur, NS_LABELS({"device", d->name}, {label, names[k]}),
				    cur[k]);
		if (maxhave & (1u << k))
			ns_emit_u64(em, fmax, NS_LABELS({"device", d->name}, {label, names[k]}),
				    max[k]);
	}
}

/* Pause settings and frames, FEC statistics. */
static void et_emit_pause_fec(struct ns_emit *em, struct ns_family *const *f,
			      const struct et_dev *d)
{
	const struct et_nlres *r = &d->nl;

	if (r->have & EH_PAUSE_AN)
		ns_emit_u64(em, f[EF_PAUSE_AN], NS_LABELS({"device", d->name}), r->pause_an != 0);
	if (r->have & EH_PAUSE_RX)
		ns_emit_u64(em, f[EF_PAUSE_EN], NS_LABELS({"device", d->name}, {"direction", "rx"}),
			    r->pause_rx != 0);
	if (r->have & EH_PAUSE_TX)
		ns_emit_u64(em, f[EF_PAUSE_EN], NS_LABELS({"device", d->name}, {"direction", "tx"}),
			    r->pause_tx != 0);
	if (r->have & EH_PAUSE_TXF)
		ns_emit_u64(em, f[EF_PAUSE_FRAMES],
			    NS_LABELS({"device", d->name}, {"direction", "tx"}),
			    r->pause_frames[0]);
	if (r->have & EH_PAUSE_RXF)
		ns_emit_u64(em, f[EF_PAUSE_FRAMES],
			    NS_LABELS({"device", d->name}, {"direction", "rx"}),
			    r->pause_frames[1]);
	for (int k = 0; k < 3; k++)
		if (r->have & (EH_FEC_CORR << k))
			ns_emit_u64(em, f[EF_FEC + k], NS_LABELS({"device", d->name}), r->fec[k]);
}

int et_emit_all(struct et_state *st, struct ns_writer *w, struct ns_err *e)
{
	struct ns_emit em = NS_EMIT_INIT(w);
	struct ns_family *f[EF_N];

	ns_emit_families(&em, et_fams, EF_N, f);
	for (size_t i = 0; i < st->ndevs; i++) {
		const struct et_dev *d = &st->devs[i];
		const struct et_nlres *r = &d->nl;

		if (d->gone)
			continue;
		if (d->have_info)
			et_emit_info(&em, f[EF_INFO], d);
		if (d->have_stats)
			et_emit_driver_stats(&em, st, d);
		et_emit_link(&em, f, st, d);
		et_emit_sizes(&em, f[EF_RING], f[EF_RING_MAX], "ring", et_ring_names, ET_NRING,
			      r->ring_have, r->ringmax_have, r->ring, r->ringmax, d);
		et_emit_sizes(&em, f[EF_CH], f[EF_CH_MAX], "type", et_ch_names, ET_NCH, r->ch_have,
			      r->chmax_have, r->ch, r->chmax, d);
		et_emit_pause_fec(&em, f, d);
		et_emit_std(&em, d);
	}
	return ns_emit_done(&em, e);
}
