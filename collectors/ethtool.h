/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ethtool.h - the ethtool collector's own types, shared by its files:
 * ethtool.c (device list, ioctls, ethtool netlink, lifecycle),
 * ethtool_names.c (driver statistic names -> metric names) and
 * ethtool_emit.c (all emission). Not part of the core.
 */
#ifndef NS_COLLECTOR_ETHTOOL_H
#define NS_COLLECTOR_ETHTOOL_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>

#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "collector.h"
#include "emit.h"
#include "ifmap.h"
#include "links.h"
#include "namefilter.h"
#include "nl.h"
#include "procfs.h"

#define ET_MODE_BITS 256 /* link mode bits kept (the kernel has ~120) */
#define ET_MODE_WORDS (ET_MODE_BITS / 64)
#define ET_STD_MAX 64  /* statistic ids kept per standard group */
#define ET_HIST_MAX 16 /* RMON histogram buckets per direction */
#define ET_NAME_MAX 160

/* ---- netlink results per device ---- */

enum { ET_RING_RX, ET_RING_RX_MINI, ET_RING_RX_JUMBO, ET_RING_TX, ET_NRING };
enum { ET_CH_RX, ET_CH_TX, ET_CH_OTHER, ET_CH_COMBINED, ET_NCH };

enum {
	EH_SPEED = 1 << 0,
	EH_DUPLEX = 1 << 1,
	EH_AUTONEG = 1 << 2,
	EH_MODES = 1 << 3,
	EH_PEER = 1 << 4,
	EH_PAUSE_AN = 1 << 5,
	EH_PAUSE_RX = 1 << 6,
	EH_PAUSE_TX = 1 << 7,
	EH_PAUSE_TXF = 1 << 8,
	EH_PAUSE_RXF = 1 << 9,
	EH_FEC_CORR = 1 << 10,
	EH_FEC_UNCORR = 1 << 11,
	EH_FEC_BITS = 1 << 12,
};
#define EH_LINKMODES (EH_SPEED | EH_DUPLEX | EH_AUTONEG | EH_MODES | EH_PEER)
#define EH_PAUSE (EH_PAUSE_AN | EH_PAUSE_RX | EH_PAUSE_TX | EH_PAUSE_TXF | EH_PAUSE_RXF)
#define EH_FEC (EH_FEC_CORR | EH_FEC_UNCORR | EH_FEC_BITS)

struct et_hist {
	uint32_t low, high;
	bool has_high;
	uint64_t val;
};

struct et_nlres {
	unsigned have;
	uint32_t speed;
	uint8_t duplex, autoneg, pause_an, pause_rx, pause_tx;
	uint64_t sup[ET_MODE_WORDS], adv[ET_MODE_WORDS], peer[ET_MODE_WORDS];
	unsigned ring_have, ringmax_have, ch_have, chmax_have;
	uint32_t ring[ET_NRING], ringmax[ET_NRING], ch[ET_NCH], chmax[ET_NCH];
	uint64_t pause_frames[2]; /* tx, rx */
	uint64_t fec[3];
	uint64_t std_have[ETHTOOL_STATS_RMON + 1];
	uint64_t std[ETHTOOL_STATS_RMON + 1][ET_STD_MAX];
	unsigned nhist[2];
	struct et_hist hist[2][ET_HIST_MAX];
};

/* ---- driver statistics ---- */

enum { ET_DIR_NONE, ET_DIR_RX, ET_DIR_TX };

struct et_stat {
	uint32_t name_off; /* metric name in dev->names */
	char queue[8];	   /* "" for a device-wide statistic */
	uint8_t dir;
	bool wanted;
};

struct et_dev {
	int ifindex;
	char name[IFNAMSIZ];
	unsigned gen;
	bool gone;
	bool have_info;
	bool have_stats;
	struct ethtool_drvinfo info;
	/* GSTRINGS cache, valid for (cdriver, nstr) */
	char cdriver[32];
	uint32_t nstr;
	struct et_stat *map;
	struct ns_buf names;
	/* GSTATS buffer */
	struct ethtool_stats *sbuf;
	size_t scap; /* u64 slots in sbuf->data */
	struct et_nlres nl;
};

struct et_state {
	struct ns_namefilter devices, stats;
	bool std_stats;
	int family; /* ethtool genl family id, 0 = unresolved, -1 = unavailable */
	unsigned gen;
	struct et_dev *devs;
	size_t ndevs, capd;
	struct ns_ifmap byindex; /* ifindex -> position in devs */
	struct ns_links seen;	 /* the link dump, of struct ns_link */
	/* link mode names by bit, filled from verbose bitsets */
	char (*mode_names)[ETH_GSTRING_LEN];
	uint8_t cur_cmd; /* reply cmd expected by the running genl dump */
	/* label sets of the device and of the queue being emitted, reused */
	struct ns_labelset dev_ls, queue_ls;
};

static inline bool et_bit_test(const uint64_t *bm, uint32_t bit)
{
	return bm[bit / 64] & (1ULL << (bit % 64));
}

/* ethtool_names.c: (re)build d's statistic map from @n ETH_GSTRING_LEN names. */
int et_build_map(struct et_state *st, struct et_dev *d, const char *strings, uint32_t n);
/* ethtool_emit.c: every family of every device. */
int et_emit_all(struct et_state *st, struct ns_writer *w, struct ns_err *e);

#endif
