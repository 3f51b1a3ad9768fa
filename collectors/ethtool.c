// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ethtool.c - driver statistics (SIOCETHTOOL) and standard link data
 * (ethtool generic netlink) for every device of the namespace.
 *
 * Per scrape:
 *   1. one RTM_GETLINK dump (IFLA_EXT_MASK = RTEXT_FILTER_SKIP_STATS) for
 *      the device list, filtered by device-include / device-exclude;
 *   2. per device, on a datagram socket kept in the state: ETHTOOL_GDRVINFO
 *      (driver, versions, bus, number of statistics) and ETHTOOL_GSTATS
 *      into a buffer that is reused; ETHTOOL_GSTRINGS only when the device
 *      is new, or its driver or statistics count changed. The names are
 *      turned into metric names once, then (see below). A device that is
 *      gone by the time of the ioctl (ENODEV) is skipped; a driver without
 *      statistics (EOPNOTSUPP) is normal;
 *   3. one dump per ethtool netlink message for all devices:
 *      LINKMODES (speed, duplex, autonegotiation, supported / advertised /
 *      peer link modes, any bit number), RINGS, CHANNELS, PAUSE and FEC
 *      (with ETHTOOL_FLAG_STATS) and, unless standard-stats=false, STATS
 *      (groups eth-phy, eth-mac, eth-ctrl, rmon). The kernel leaves
 *      devices whose driver does not implement a request out of a dump.
 *      The family id is resolved once per state (CTRL_CMD_GETFAMILY); a
 *      kernel without ethtool netlink simply yields no such series.
 *
 * The ioctls go through the context's socket (ns_ctx_ioctl()), so they
 * read the context's network namespace.
 *
 * Driver statistic names. Per-queue statistics are recognised from these
 * patterns (N = queue number, S = statistic, d = rx or tx):
 *     d_queue_N_S   (virtio_net, veth, ixgbe, ice)   queue_N_d_S  (ena)
 *     d-N.S         (i40e)                            dN_S         (mlx4, mlx5)
 *     dqN_S         (hns3)                            [N]: S       (bnxt)
 *     chN_S         (mlx5 channels)
 * A leading "d_" in S that repeats the direction is dropped (i40e
 * "rx-0.rx_packets" is "packets"). They become
 *     netstack_ethtool_queue_<snake(S)>{device,queue="N",direction="d"}
 * (direction "" for [N]: / chN_ names without rx_/tx_). Every other
 * statistic becomes netstack_ethtool_driver_<snake(name)>{device}. All are
 * untyped: the driver does not say which are counters.
 * Collisions: statistics are named in the driver's order; when a name and
 * label set is already taken by an earlier statistic of the same device, the
 * later one is exposed as <name>_<i> (i = its 0-based index in ethtool -S),
 * repeated until free. Nothing is dropped.
 * stat-include / stat-exclude match the driver's own name (as ethtool -S
 * prints it), unanchored.
 *
 * Test seam: with a replay directory, the context answers the ioctls
 * from recorded data (the format is in src/ctx.h).
 */
#include "ethtool.h"

/* ---- small helpers ---- */

static struct et_dev *et_find(const struct et_state *st, int ifindex)
{
	long i = ns_ifmap_find(&st->byindex, st->devs, sizeof(*st->devs),
			       offsetof(struct et_dev, ifindex), ifindex);

	return i < 0 ? NULL : &st->devs[i];
}

static int et_rehash(struct et_state *st)
{
	return ns_ifmap_build(&st->byindex, st->devs, st->ndevs, sizeof(*st->devs),
			      offsetof(struct et_dev, ifindex));
}

static void et_dev_free(struct et_dev *d)
{
	free(d->map);
	ns_buf_free(&d->names);
	free(d->sbuf);
}

/* ---- ioctls, through the context (which replays them in tests) ---- */

static int et_ioctl(struct ns_ctx *ctx, struct et_dev *d, void *arg)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	/* only the name's bytes: the rest stays zeroed, nothing undefined */
	memcpy(ifr.ifr_name, d->name, strnlen(d->name, sizeof(ifr.ifr_name) - 1));
	ifr.ifr_data = arg;
	return ns_ctx_ioctl(ctx, SIOCETHTOOL, &ifr);
}

/* Device gone or no such ioctl: not an error of the collector. */
static bool et_benign(int rc)
{
	return rc == -ENODEV || rc == -EOPNOTSUPP || rc == -ENOTSUP || rc == -ENXIO ||
	       rc == -EINVAL || rc == -EPERM || rc == -EACCES;
}

static int et_driver_stats(struct ns_ctx *ctx, struct et_state *st, struct et_dev *d)
{
	uint32_t n;
	int rc;

	d->have_info = d->have_stats = d->gone = false;
	memset(&d->info, 0, sizeof(d->info));
	d->info.cmd = ETHTOOL_GDRVINFO;
	rc = et_ioctl(ctx, d, &d->info);
	if (rc == -ENODEV) {
		d->gone = true;
		return 0;
	}
	if (rc)
		return et_benign(rc) ? 0 : rc;
	d->have_info = true;
	n = d->info.n_stats;
	if (n == 0)
		return 0;
	if (n > (1u << 20))
		return -E2BIG;
	/* GSTATS writes as many values as the driver has now: keep slack. */
	if (d->scap < (size_t)n + 64) {
		size_t cap = (size_t)n * 2 + 64;
		struct ethtool_stats *p = realloc(d->sbuf, sizeof(*p) + cap * sizeof(uint64_t));

		if (!p)
			return -ENOMEM;
		d->sbuf = p;
		d->scap = cap;
	}
	if (d->nstr != n || strncmp(d->cdriver, d->info.driver, sizeof(d->cdriver)) != 0) {
		struct ethtool_gstrings *gs;

		gs = calloc(1, sizeof(*gs) + ((size_t)n + 64) * ETH_GSTRING_LEN);
		if (!gs)
			return -ENOMEM;
		gs->cmd = ETHTOOL_GSTRINGS;
		gs->string_set = ETH_SS_STATS;
		gs->len = n;
		rc = et_ioctl(ctx, d, gs);
		if (rc == 0 && gs->len != n)
			rc = -EAGAIN; /* changed under us: try again next scrape */
		if (rc == 0)
			rc = et_build_map(st, d, (const char *)gs->data, n);
		free(gs);
		if (rc) {
			d->nstr = 0;
			if (rc == -ENODEV)
				d->gone = true;
			return et_benign(rc) || rc == -EAGAIN || rc == -ENODEV ? 0 : rc;
		}
		memcpy(d->cdriver, d->info.driver, sizeof(d->cdriver));
	}
	/*
	 * Zero the values too: the kernel overwrites all n of them (checked
	 * below), but valgrind does not model GSTATS and would see them as
	 * undefined.
	 */
	memset(d->sbuf, 0, sizeof(*d->sbuf) + (size_t)n * sizeof(uint64_t));
	d->sbuf->cmd = ETHTOOL_GSTATS;
	d->sbuf->n_stats = n;
	rc = et_ioctl(ctx, d, d->sbuf);
	if (rc == -ENODEV) {
		d->gone = true;
		return 0;
	}
	if (rc)
		return et_benign(rc) ? 0 : rc;
	if (d->sbuf->n_stats != d->nstr) {
		d->nstr = 0; /* names are stale: fetch them again next scrape */
		return 0;
	}
	d->have_stats = true;
	return 0;
}

/* ---- link dump ---- */

/* Make st->devs the devices just seen (in dump order), keeping caches by ifindex. */
static int et_reconcile(struct et_state *st)
{
	size_t keep = 0;

	st->gen++;
	for (size_t i = 0; i < st->seen.n; i++) {
		const struct ns_link *k = ns_links_at(&st->seen, i);
		struct et_dev *d = et_find(st, k->ifindex);

		if (!d) {
			if (NS_ARRAY_GROW(st->devs, st->capd, st->ndevs + 1, 32))
				return -ENOMEM;
			d = &st->devs[st->ndevs++];
			memset(d, 0, sizeof(*d));
			d->ifindex = k->ifindex;
		}
		memcpy(d->name, k->name, IFNAMSIZ);
		d->gen = st->gen;
	}
	for (size_t i = 0; i < st->ndevs; i++) {
		if (st->devs[i].gen != st->gen) {
			et_dev_free(&st->devs[i]);
			continue;
		}
		if (keep != i)
			st->devs[keep] = st->devs[i];
		keep++;
	}
	st->ndevs = keep;
	return et_rehash(st);
}

/* ---- ethtool generic netlink ---- */

static int et_family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_FAMILY_NAME + 1];
	struct et_state *st = data;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return MNL_CB_OK;
	ns_nl_parse(nlh, GENL_HDRLEN, tb, CTRL_ATTR_FAMILY_NAME);
	if (!tb[CTRL_ATTR_FAMILY_ID] || mnl_attr_get_payload_len(tb[CTRL_ATTR_FAMILY_ID]) < 2)
		return MNL_CB_OK;
	if (tb[CTRL_ATTR_FAMILY_NAME] &&
	    strncmp(mnl_attr_get_payload(tb[CTRL_ATTR_FAMILY_NAME]), ETHTOOL_GENL_NAME,
		    mnl_attr_get_payload_len(tb[CTRL_ATTR_FAMILY_NAME])) != 0)
		return MNL_CB_OK;
	st->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return MNL_CB_OK;
}

static int et_resolve_family(struct et_state *st, struct ns_nl *nl, struct ns_err *e)
{
	struct nlmsghdr *nlh = ns_nl_genl_req(nl, GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, 1);
	int rc;

	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME);
	st->family = 0;
	rc = ns_nl_run(nl, et_family_cb, NULL, st, e);
	if (rc == -ENOENT || (!rc && st->family == 0)) {
		/* No ethtool netlink in this kernel: only the ioctl data. */
		ns_err_clear(e);
		st->family = -1;
		return 0;
	}
	return rc;
}

/* The device a reply is about, from its header nest. */
static struct et_dev *et_reply_dev(struct et_state *st, const struct nlattr *hdr)
{
	const struct nlattr *tb[ETHTOOL_A_HEADER_MAX + 1];

	if (!hdr)
		return NULL;
	ns_nl_parse_nested(hdr, tb, ETHTOOL_A_HEADER_MAX);
	if (!tb[ETHTOOL_A_HEADER_DEV_INDEX] ||
	    mnl_attr_get_payload_len(tb[ETHTOOL_A_HEADER_DEV_INDEX]) < 4)
		return NULL;
	return et_find(st, (int)mnl_attr_get_u32(tb[ETHTOOL_A_HEADER_DEV_INDEX]));
}

static void et_bit_set(uint64_t *bm, uint32_t bit)
{
	bm[bit / 64] |= 1ULL << (bit % 64);
}

/*
 * A bitset, verbose (bit nests with names) or compact (value/mask words).
 * With a mask, @val gets the value bits and @mask the mask bits; without
 * (NOMASK), the listed bits go to @val and @mask is left alone.
 */
static void et_bitset(struct et_state *st, const struct nlattr *nest, uint64_t *val, uint64_t *mask)
{
	const struct nlattr *tb[ETHTOOL_A_BITSET_MAX + 1], *a;
	bool nomask;

	ns_nl_parse_nested(nest, tb, ETHTOOL_A_BITSET_MAX);
	nomask = tb[ETHTOOL_A_BITSET_NOMASK] != NULL;
	if (tb[ETHTOOL_A_BITSET_BITS]) {
		mnl_attr_for_each_nested(a, tb[ETHTOOL_A_BITSET_BITS])
		{
			const struct nlattr *bt[ETHTOOL_A_BITSET_BIT_MAX + 1];
			uint32_t idx;

			if (mnl_attr_get_type(a) != ETHTOOL_A_BITSET_BITS_BIT)
				continue;
			ns_nl_parse_nested(a, bt, ETHTOOL_A_BITSET_BIT_MAX);
			if (!ns_nl_get_u32(bt[ETHTOOL_A_BITSET_BIT_INDEX], &idx) ||
			    idx >= ET_MODE_BITS)
				continue;
			if (bt[ETHTOOL_A_BITSET_BIT_NAME] && st->mode_names)
				ns_nl_attr_strcpy(bt[ETHTOOL_A_BITSET_BIT_NAME],
						  st->mode_names[idx], ETH_GSTRING_LEN);
			if (nomask) {
				et_bit_set(val, idx);
			} else {
				et_bit_set(mask, idx);
				if (bt[ETHTOOL_A_BITSET_BIT_VALUE])
					et_bit_set(val, idx);
			}
		}
		return;
	}
	/* compact: u32 words */
	for (int which = 0; which < 2; which++) {
		const struct nlattr *w = tb[which ? ETHTOOL_A_BITSET_MASK : ETHTOOL_A_BITSET_VALUE];
		uint64_t *dst = which ? mask : val;
		size_t words;

		if (!w || (which && nomask))
			continue;
		if (nomask)
			dst = val;
		words = mnl_attr_get_payload_len(w) / 4;
		for (size_t i = 0; i < words && i * 32 < ET_MODE_BITS; i++) {
			uint32_t x;

			memcpy(&x, (const char *)mnl_attr_get_payload(w) + i * 4, 4);
			for (unsigned b = 0; b < 32; b++)
				if (x & (1u << b))
					et_bit_set(dst, (uint32_t)(i * 32 + b));
		}
	}
}

static void et_parse_linkmodes(struct et_state *st, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[ETHTOOL_A_LINKMODES_MAX + 1];
	struct et_dev *d;
	struct et_nlres *r;

	ns_nl_parse(nlh, GENL_HDRLEN, tb, ETHTOOL_A_LINKMODES_MAX);
	d = et_reply_dev(st, tb[ETHTOOL_A_LINKMODES_HEADER]);
	if (!d)
		return;
	r = &d->nl;
	if (ns_nl_get_u32(tb[ETHTOOL_A_LINKMODES_SPEED], &r->speed))
		r->have |= EH_SPEED;
	if (ns_nl_get_u8(tb[ETHTOOL_A_LINKMODES_DUPLEX], &r->duplex))
		r->have |= EH_DUPLEX;
	if (ns_nl_get_u8(tb[ETHTOOL_A_LINKMODES_AUTONEG], &r->autoneg))
		r->have |= EH_AUTONEG;
	if (tb[ETHTOOL_A_LINKMODES_OURS]) {
		et_bitset(st, tb[ETHTOOL_A_LINKMODES_OURS], r->adv, r->sup);
		r->have |= EH_MODES;
	}
	if (tb[ETHTOOL_A_LINKMODES_PEER]) {
		uint64_t dummy[ET_MODE_WORDS] = {0};

		et_bitset(st, tb[ETHTOOL_A_LINKMODES_PEER], r->peer, dummy);
		r->have |= EH_PEER;
	}
}

static void et_parse_rings(struct et_state *st, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[ETHTOOL_A_RINGS_TX + 1];
	static const int cur[ET_NRING] = {ETHTOOL_A_RINGS_RX, ETHTOOL_A_RINGS_RX_MINI,
					  ETHTOOL_A_RINGS_RX_JUMBO, ETHTOOL_A_RINGS_TX};
	static const int max[ET_NRING] = {ETHTOOL_A_RINGS_RX_MAX, ETHTOOL_A_RINGS_RX_MINI_MAX,
					  ETHTOOL_A_RINGS_RX_JUMBO_MAX, ETHTOOL_A_RINGS_TX_MAX};
	struct et_dev *d;

	ns_nl_parse(nlh, GENL_HDRLEN, tb, ETHTOOL_A_RINGS_TX);
	d = et_reply_dev(st, tb[ETHTOOL_A_RINGS_HEADER]);
	if (!d)
		return;
	for (int i = 0; i < ET_NRING; i++) {
		if (ns_nl_get_u32(tb[cur[i]], &d->nl.ring[i]))
			d->nl.ring_have |= 1u << i;
		if (ns_nl_get_u32(tb[max[i]], &d->nl.ringmax[i]))
			d->nl.ringmax_have |= 1u << i;
	}
}

static void et_parse_channels(struct et_state *st, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[ETHTOOL_A_CHANNELS_MAX + 1];
	static const int cur[ET_NCH] = {ETHTOOL_A_CHANNELS_RX_COUNT, ETHTOOL_A_CHANNELS_TX_COUNT,
					ETHTOOL_A_CHANNELS_OTHER_COUNT,
					ETHTOOL_A_CHANNELS_COMBINED_COUNT};
	static const int max[ET_NCH] = {ETHTOOL_A_CHANNELS_RX_MAX, ETHTOOL_A_CHANNELS_TX_MAX,
					ETHTOOL_A_CHANNELS_OTHER_MAX,
					ETHTOOL_A_CHANNELS_COMBINED_MAX};
	struct et_dev *d;

	ns_nl_parse(nlh, GENL_HDRLEN, tb, ETHTOOL_A_CHANNELS_MAX);
	d = et_reply_dev(st, tb[ETHTOOL_A_CHANNELS_HEADER]);
	if (!d)
		return;
	for (int i = 0; i < ET_NCH; i++) {
		if (ns_nl_get_u32(tb[cur[i]], &d->nl.ch[i]))
			d->nl.ch_have |= 1u << i;
		if (ns_nl_get_u32(tb[max[i]], &d->nl.chmax[i]))
			d->nl.chmax_have |= 1u << i;
	}
}

static void et_parse_pause(struct et_state *st, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[ETHTOOL_A_PAUSE_STATS + 1], *s[ETHTOOL_A_PAUSE_STAT_RX_FRAMES + 1];
	struct et_dev *d;
	struct et_nlres *r;

	ns_nl_parse(nlh, GENL_HDRLEN, tb, ETHTOOL_A_PAUSE_STATS);
	d = et_reply_dev(st, tb[ETHTOOL_A_PAUSE_HEADER]);
	if (!d)
		return;
	r = &d->nl;
	if (ns_nl_get_u8(tb[ETHTOOL_A_PAUSE_AUTONEG], &r->pause_an))
		r->have |= EH_PAUSE_AN;
	if (ns_nl_get_u8(tb[ETHTOOL_A_PAUSE_RX], &r->pause_rx))
		r->have |= EH_PAUSE_RX;
	if (ns_nl_get_u8(tb[ETHTOOL_A_PAUSE_TX], &r->pause_tx))
		r->have |= EH_PAUSE_TX;
	if (!tb[ETHTOOL_A_PAUSE_STATS])
		return;
	ns_nl_parse_nested(tb[ETHTOOL_A_PAUSE_STATS], s, ETHTOOL_A_PAUSE_STAT_RX_FRAMES);
	if (ns_nl_get_u64(s[ETHTOOL_A_PAUSE_STAT_TX_FRAMES], &r->pause_frames[0]))
		r->have |= EH_PAUSE_TXF;
	if (ns_nl_get_u64(s[ETHTOOL_A_PAUSE_STAT_RX_FRAMES], &r->pause_frames[1]))
		r->have |= EH_PAUSE_RXF;
}

static void et_parse_fec(struct et_state *st, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[ETHTOOL_A_FEC_STATS + 1], *s[ETHTOOL_A_FEC_STAT_CORR_BITS + 1];
	static const int attr[3] = {ETHTOOL_A_FEC_STAT_CORRECTED, ETHTOOL_A_FEC_STAT_UNCORR,
				    ETHTOOL_A_FEC_STAT_CORR_BITS};
	static const unsigned bit[3] = {EH_FEC_CORR, EH_FEC_UNCORR, EH_FEC_BITS};
	struct et_dev *d;

	ns_nl_parse(nlh, GENL_HDRLEN, tb, ETHTOOL_A_FEC_STATS);
	d = et_reply_dev(st, tb[ETHTOOL_A_FEC_HEADER]);
	if (!d || !tb[ETHTOOL_A_FEC_STATS])
		return;
	ns_nl_parse_nested(tb[ETHTOOL_A_FEC_STATS], s, ETHTOOL_A_FEC_STAT_CORR_BITS);
	/* Each is an array of u64: the total first, then per lane. */
	for (int i = 0; i < 3; i++)
		if (ns_nl_get_u64(s[attr[i]], &d->nl.fec[i]))
			d->nl.have |= bit[i];
}

static void et_parse_hist(struct et_nlres *r, int dir, const struct nlattr *nest)
{
	const struct nlattr *tb[ETHTOOL_A_STATS_GRP_HIST_VAL + 1];
	struct et_hist *h;

	if (r->nhist[dir] >= ET_HIST_MAX)
		return;
	ns_nl_parse_nested(nest, tb, ETHTOOL_A_STATS_GRP_HIST_VAL);
	h = &r->hist[dir][r->nhist[dir]];
	if (!ns_nl_get_u32(tb[ETHTOOL_A_STATS_GRP_HIST_BKT_LOW], &h->low) ||
	    !ns_nl_get_u64(tb[ETHTOOL_A_STATS_GRP_HIST_VAL], &h->val))
		return;
	h->has_high = ns_nl_get_u32(tb[ETHTOOL_A_STATS_GRP_HIST_BKT_HI], &h->high);
	r->nhist[dir]++;
}

static void et_parse_stats(struct et_state *st, const struct nlmsghdr *nlh)
{
	const struct nlattr *tb[ETHTOOL_A_STATS_MAX + 1], *a;
	struct et_dev *d;

	ns_nl_parse(nlh, GENL_HDRLEN, tb, ETHTOOL_A_STATS_MAX);
	d = et_reply_dev(st, tb[ETHTOOL_A_STATS_HEADER]);
	if (!d)
		return;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN)
	{
		const struct nlattr *g[ETHTOOL_A_STATS_GRP_MAX + 1], *s;
		uint32_t id;

		if (mnl_attr_get_type(a) != ETHTOOL_A_STATS_GRP)
			continue;
		ns_nl_parse_nested(a, g, ETHTOOL_A_STATS_GRP_MAX);
		if (!ns_nl_get_u32(g[ETHTOOL_A_STATS_GRP_ID], &id) || id > ETHTOOL_STATS_RMON)
			continue;
		mnl_attr_for_each_nested(s, a)
		{
			const struct nlattr *v;

			if (mnl_attr_get_type(s) == ETHTOOL_A_STATS_GRP_HIST_RX)
				et_parse_hist(&d->nl, 0, s);
			else if (mnl_attr_get_type(s) == ETHTOOL_A_STATS_GRP_HIST_TX)
				et_parse_hist(&d->nl, 1, s);
			if (mnl_attr_get_type(s) != ETHTOOL_A_STATS_GRP_STAT)
				continue;
			/* one attribute inside: type = statistic id, payload u64 */
			mnl_attr_for_each_nested(v, s)
			{
				unsigned sid = mnl_attr_get_type(v);

				if (sid < ET_STD_MAX && ns_nl_get_u64(v, &d->nl.std[id][sid]))
					d->nl.std_have[id] |= 1ULL << sid;
			}
		}
	}
}

static int et_genl_cb(const struct nlmsghdr *nlh, void *data)
{
	struct et_state *st = data;
	const struct genlmsghdr *g;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return MNL_CB_OK;
	g = mnl_nlmsg_get_payload(nlh);
	switch (g->cmd) {
	case ETHTOOL_MSG_LINKMODES_GET_REPLY:
		et_parse_linkmodes(st, nlh);
		break;
	case ETHTOOL_MSG_RINGS_GET_REPLY:
		et_parse_rings(st, nlh);
		break;
	case ETHTOOL_MSG_CHANNELS_GET_REPLY:
		et_parse_channels(st, nlh);
		break;
	case ETHTOOL_MSG_PAUSE_GET_REPLY:
		et_parse_pause(st, nlh);
		break;
	case ETHTOOL_MSG_FEC_GET_REPLY:
		et_parse_fec(st, nlh);
		break;
	case ETHTOOL_MSG_STATS_GET_REPLY:
		et_parse_stats(st, nlh);
		break;
	}
	return MNL_CB_OK;
}

static void et_genl_reset(void *data)
{
	struct et_state *st = data;

	for (size_t i = 0; i < st->ndevs; i++) {
		struct et_nlres *r = &st->devs[i].nl;

		switch (st->cur_cmd) {
		case ETHTOOL_MSG_LINKMODES_GET_REPLY:
			r->have &= ~EH_LINKMODES;
			memset(r->sup, 0, sizeof(r->sup));
			memset(r->adv, 0, sizeof(r->adv));
			memset(r->peer, 0, sizeof(r->peer));
			break;
		case ETHTOOL_MSG_RINGS_GET_REPLY:
			r->ring_have = r->ringmax_have = 0;
			break;
		case ETHTOOL_MSG_CHANNELS_GET_REPLY:
			r->ch_have = r->chmax_have = 0;
			break;
		case ETHTOOL_MSG_PAUSE_GET_REPLY:
			r->have &= ~EH_PAUSE;
			break;
		case ETHTOOL_MSG_FEC_GET_REPLY:
			r->have &= ~EH_FEC;
			break;
		case ETHTOOL_MSG_STATS_GET_REPLY:
			memset(r->std_have, 0, sizeof(r->std_have));
			r->nhist[0] = r->nhist[1] = 0;
			break;
		}
	}
}

struct et_req {
	uint8_t cmd, reply;
	uint16_t hdr_attr;
	uint32_t flags;
};

static int et_genl_dump(struct et_state *st, struct ns_nl *nl, const struct et_req *q,
			struct ns_err *e)
{
	struct nlmsghdr *nlh =
	    ns_nl_genl_req(nl, (uint16_t)st->family, NLM_F_DUMP, q->cmd, ETHTOOL_GENL_VERSION);
	struct nlattr *nest;
	int rc;

	nest = mnl_attr_nest_start(nlh, q->hdr_attr);
	if (q->flags)
		mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_FLAGS, q->flags);
	mnl_attr_nest_end(nlh, nest);
	if (q->cmd == ETHTOOL_MSG_STATS_GET) {
		uint32_t groups = (1u << (ETHTOOL_STATS_RMON + 1)) - 1;

		nest = mnl_attr_nest_start(nlh, ETHTOOL_A_STATS_GROUPS);
		mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, ETHTOOL_STATS_RMON + 1);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_VALUE, groups);
		mnl_attr_nest_end(nlh, nest);
	}
	st->cur_cmd = q->reply;
	rc = ns_nl_run(nl, et_genl_cb, et_genl_reset, st, e);
	/* An older kernel without this message: nothing to report. */
	if (rc == -EOPNOTSUPP || rc == -ENOTSUP) {
		ns_err_clear(e);
		rc = 0;
	}
	return rc;
}

/* ---- collector ---- */

static void et_fini(void *state)
{
	struct et_state *st = state;

	if (!st)
		return;
	ns_namefilter_fini(&st->devices);
	ns_namefilter_fini(&st->stats);
	for (size_t i = 0; i < st->ndevs; i++)
		et_dev_free(&st->devs[i]);
	free(st->devs);
	ns_ifmap_free(&st->byindex);
	ns_links_free(&st->seen);
	free(st->mode_names);
	ns_labelset_free(&st->dev_ls);
	ns_labelset_free(&st->queue_ls);
	free(st);
}

static int et_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct et_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	rc = ns_namefilter_init(&st->devices, opts, "device-include", "device-exclude", "ethtool",
				e);
	if (!rc)
		rc = ns_namefilter_init(&st->stats, opts, "stat-include", "stat-exclude", "ethtool",
					e);
	if (rc)
		goto fail;
	ns_links_init(&st->seen, sizeof(struct ns_link), &st->devices, false);
	st->std_stats = opts ? ns_opt_bool(opts, "standard-stats") : true;
	st->mode_names = calloc(ET_MODE_BITS, sizeof(*st->mode_names));
	if (!st->mode_names) {
		rc = ns_err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	*state = st;
	return 0;
fail:
	et_fini(st);
	return rc;
}

static int et_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	static const struct et_req reqs[] = {
	    {ETHTOOL_MSG_LINKMODES_GET, ETHTOOL_MSG_LINKMODES_GET_REPLY, ETHTOOL_A_LINKMODES_HEADER,
	     0},
	    {ETHTOOL_MSG_RINGS_GET, ETHTOOL_MSG_RINGS_GET_REPLY, ETHTOOL_A_RINGS_HEADER, 0},
	    {ETHTOOL_MSG_CHANNELS_GET, ETHTOOL_MSG_CHANNELS_GET_REPLY, ETHTOOL_A_CHANNELS_HEADER,
	     0},
	    {ETHTOOL_MSG_PAUSE_GET, ETHTOOL_MSG_PAUSE_GET_REPLY, ETHTOOL_A_PAUSE_HEADER,
	     ETHTOOL_FLAG_STATS},
	    {ETHTOOL_MSG_FEC_GET, ETHTOOL_MSG_FEC_GET_REPLY, ETHTOOL_A_FEC_HEADER,
	     ETHTOOL_FLAG_STATS},
	    {ETHTOOL_MSG_STATS_GET, ETHTOOL_MSG_STATS_GET_REPLY, ETHTOOL_A_STATS_HEADER, 0},
	};
	struct et_state *st = state;
	struct ns_nl *nl, *gnl;
	struct ns_fail f = NS_FAIL_INIT(e);
	int rc;

	rc = ns_ctx_nl(ctx, NETLINK_ROUTE, &nl, e);
	if (rc)
		return rc;
	rc = ns_links_dump(&st->seen, nl, e);
	if (rc)
		return rc;
	rc = et_reconcile(st);
	if (rc)
		return ns_err_set(e, rc, "out of memory");

	for (size_t i = 0; i < st->ndevs; i++) {
		struct et_dev *d = &st->devs[i];

		memset(&d->nl, 0, offsetof(struct et_nlres, std));
		memset(d->nl.std_have, 0, sizeof(d->nl.std_have));
		d->nl.nhist[0] = d->nl.nhist[1] = 0;
		rc = et_driver_stats(ctx, st, d);
		if (rc)
			ns_fail_set(&f, rc, "%s: ioctl: %s", d->name, strerror(-rc));
	}

	rc = ns_ctx_nl(ctx, NETLINK_GENERIC, &gnl, ns_fail_err(&f));
	if (!rc && st->family == 0)
		rc = et_resolve_family(st, gnl, ns_fail_err(&f));
	ns_fail_note(&f, rc);
	for (size_t i = 0; !rc && st->family > 0 && i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		if (reqs[i].cmd == ETHTOOL_MSG_STATS_GET && !st->std_stats)
			continue;
		ns_fail_note(&f, et_genl_dump(st, gnl, &reqs[i], ns_fail_err(&f)));
	}
	ns_fail_note(&f, et_emit_all(st, w, ns_fail_err(&f)));
	return ns_fail_rc(&f);
}

static const struct ns_option et_options[] = {
    NS_DEVICE_FILTER_OPTIONS("devices"),
    {"stat-include", NS_OPT_REGEX, NULL,
     "Only driver statistics whose ethtool -S name matches this regex (unanchored)."},
    {"stat-exclude", NS_OPT_REGEX, NULL,
     "Skip driver statistics whose ethtool -S name matches this regex (unanchored)."},
    {"standard-stats", NS_OPT_BOOL, "true",
     "Also read the standard IEEE 802.3 / RMON statistic groups (ETHTOOL_MSG_STATS_GET)."},
    {NULL, 0, NULL, NULL},
};

const struct ns_collector ns_collector_ethtool = {
    .name = "ethtool",
    .help = "Driver statistics (SIOCETHTOOL) and link settings, rings, channels, pause, FEC and "
	    "standard statistics (ethtool netlink).",
    .default_enabled = true,
    .options = et_options,
    .init = et_init,
    .collect = et_collect,
    .fini = et_fini,
};
