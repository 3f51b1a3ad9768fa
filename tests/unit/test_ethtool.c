// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_ethtool.c - the ethtool collector.
 *
 * Replay: "0-18.nl" (RTM_GETLINK), "16-16.nl" (the generic netlink
 * controller's answer naming the ethtool family id, here 29) and
 * "16-29-<cmd>.nl" (the replies to each ethtool request, keyed by its cmd) are built here with
 * libmnl; the ioctls are served by the context from "ethtool-ioctl-<device>" text files (see
 * ns_ctx_ioctl() in src/ctx.h). Driver names follow real drivers (virtio_net, i40e, mlx5, ena,
 * bnxt, hns3) to check the per-queue patterns and the collision rule.
 *
 * The live test moves into a new network namespace, sends traffic over a
 * veth pair with GRO on (so veth counts per-queue packets) and compares
 * every statistic with `ethtool -S`.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <net/if.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include "ctx.h"

#include "testutil.h"

extern const struct ns_collector ns_collector_ethtool;
#define C ns_collector_ethtool
#define FAMILY 29

static char replay_dir[PATH_MAX];
static struct tu_nlgen gen;

static void write_text(const char *file, const char *text)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", replay_dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void link_msg(int ifindex, const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_MULTI;
	ifm->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	tu_nlgen_end(&gen, nlh);
}

static struct nlmsghdr *genl_msg(uint16_t type, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void put_header(struct nlmsghdr *nlh, uint16_t attr, int ifindex, const char *name)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, attr);

	mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_DEV_INDEX, ifindex);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, name);
	mnl_attr_nest_end(nlh, n);
}

static void write_family(void)
{
	struct nlmsghdr *nlh = genl_msg(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);

	nlh->nlmsg_flags = 0;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, FAMILY);
	tu_nlgen_end(&gen, nlh);
	tu_nlgen_write(&gen, replay_dir, "16-16.nl");
}

struct bit {
	uint32_t idx;
	const char *name;
	bool value;
};

static void put_bitset(struct nlmsghdr *nlh, uint16_t attr, bool nomask, const struct bit *b,
		       size_t n)
{
	struct nlattr *set = mnl_attr_nest_start(nlh, attr), *bits, *one;

	if (nomask)
		mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, 121);
	bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	for (size_t i = 0; i < n; i++) {
		one = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_BIT_INDEX, b[i].idx);
		mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, b[i].name);
		if (b[i].value)
			mnl_attr_put(nlh, ETHTOOL_A_BITSET_BIT_VALUE, 0, NULL);
		mnl_attr_nest_end(nlh, one);
	}
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, set);
}

static void put_grp_stat(struct nlmsghdr *nlh, uint16_t id, uint64_t v)
{
	struct nlattr *s = mnl_attr_nest_start(nlh, ETHTOOL_A_STATS_GRP_STAT);

	mnl_attr_put_u64(nlh, id, v);
	mnl_attr_nest_end(nlh, s);
}

static void put_hist(struct nlmsghdr *nlh, uint16_t attr, uint32_t lo, uint32_t hi, uint64_t v)
{
	struct nlattr *h = mnl_attr_nest_start(nlh, attr);

	mnl_attr_put_u32(nlh, ETHTOOL_A_STATS_GRP_HIST_BKT_LOW, lo);
	if (hi)
		mnl_attr_put_u32(nlh, ETHTOOL_A_STATS_GRP_HIST_BKT_HI, hi);
	mnl_attr_put_u64(nlh, ETHTOOL_A_STATS_GRP_HIST_VAL, v);
	mnl_attr_nest_end(nlh, h);
}

/* Replies for eth0 (2) and mlx0 (3), one for an unknown device (77). */
/* The replies to request @cmd, in the file the replay reads for it ("16-29-<cmd>.nl"). */
static void write_replies(unsigned cmd)
{
	char name[32];

	snprintf(name, sizeof(name), "16-%d-%u.nl", FAMILY, cmd);
	tu_nlgen_write(&gen, replay_dir, name);
}

static void write_ethtool_replies(void)
{
	static const struct bit ours[] = {
	    {5, "1000baseT/Full", true},
	    {12, "10000baseT/Full", false},
	    {6, "Autoneg", true},
	    {92, "400000baseCR8/Full", true}, /* above bit 31 (and 63) */
	};
	static const struct bit peer[] = {{5, "1000baseT/Full", false}, {6, "Autoneg", false}};
	const uint64_t fec_corr[3] = {1000, 600, 400}; /* total, lane 0, lane 1 */
	const uint64_t fec_unc[1] = {3};
	struct nlmsghdr *nlh;
	struct nlattr *n, *g;

	nlh = genl_msg(FAMILY, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	put_header(nlh, ETHTOOL_A_LINKMODES_HEADER, 2, "eth0");
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_AUTONEG, 1);
	put_bitset(nlh, ETHTOOL_A_LINKMODES_OURS, false, ours, 4);
	put_bitset(nlh, ETHTOOL_A_LINKMODES_PEER, true, peer, 2);
	mnl_attr_put_u32(nlh, ETHTOOL_A_LINKMODES_SPEED, 25000);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_DUPLEX, DUPLEX_FULL);
	tu_nlgen_end(&gen, nlh);
	nlh = genl_msg(FAMILY, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	put_header(nlh, ETHTOOL_A_LINKMODES_HEADER, 3, "mlx0");
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_AUTONEG, 0);
	mnl_attr_put_u32(nlh, ETHTOOL_A_LINKMODES_SPEED, (uint32_t)SPEED_UNKNOWN);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_DUPLEX, DUPLEX_UNKNOWN);
	tu_nlgen_end(&gen, nlh);
	nlh = genl_msg(FAMILY, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	put_header(nlh, ETHTOOL_A_LINKMODES_HEADER, 77, "nowhere0");
	mnl_attr_put_u32(nlh, ETHTOOL_A_LINKMODES_SPEED, 100);
	tu_nlgen_end(&gen, nlh);

	write_replies(ETHTOOL_MSG_LINKMODES_GET);
	nlh = genl_msg(FAMILY, ETHTOOL_MSG_RINGS_GET_REPLY);
	put_header(nlh, ETHTOOL_A_RINGS_HEADER, 2, "eth0");
	mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_RX_MAX, 4096);
	mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_TX_MAX, 4096);
	mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_RX, 256);
	mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_TX, 1024);
	mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_RX_BUF_LEN, 2048); /* not exported */
	tu_nlgen_end(&gen, nlh);

	write_replies(ETHTOOL_MSG_RINGS_GET);
	nlh = genl_msg(FAMILY, ETHTOOL_MSG_CHANNELS_GET_REPLY);
	put_header(nlh, ETHTOOL_A_CHANNELS_HEADER, 3, "mlx0");
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_COMBINED_MAX, 63);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_COMBINED_COUNT, 8);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_OTHER_MAX, 1);
	mnl_attr_put_u32(nlh, ETHTOOL_A_CHANNELS_OTHER_COUNT, 1);
	tu_nlgen_end(&gen, nlh);

	write_replies(ETHTOOL_MSG_CHANNELS_GET);
	nlh = genl_msg(FAMILY, ETHTOOL_MSG_PAUSE_GET_REPLY);
	put_header(nlh, ETHTOOL_A_PAUSE_HEADER, 2, "eth0");
	mnl_attr_put_u8(nlh, ETHTOOL_A_PAUSE_AUTONEG, 1);
	mnl_attr_put_u8(nlh, ETHTOOL_A_PAUSE_RX, 1);
	mnl_attr_put_u8(nlh, ETHTOOL_A_PAUSE_TX, 0);
	n = mnl_attr_nest_start(nlh, ETHTOOL_A_PAUSE_STATS);
	mnl_attr_put_u64(nlh, ETHTOOL_A_PAUSE_STAT_TX_FRAMES, 11);
	mnl_attr_put_u64(nlh, ETHTOOL_A_PAUSE_STAT_RX_FRAMES, 5000000000ULL);
	mnl_attr_nest_end(nlh, n);
	tu_nlgen_end(&gen, nlh);

	write_replies(ETHTOOL_MSG_PAUSE_GET);
	nlh = genl_msg(FAMILY, ETHTOOL_MSG_FEC_GET_REPLY);
	put_header(nlh, ETHTOOL_A_FEC_HEADER, 3, "mlx0");
	mnl_attr_put_u32(nlh, ETHTOOL_A_FEC_ACTIVE, 2);
	n = mnl_attr_nest_start(nlh, ETHTOOL_A_FEC_STATS);
	mnl_attr_put(nlh, ETHTOOL_A_FEC_STAT_CORRECTED, sizeof(fec_corr), fec_corr);
	mnl_attr_put(nlh, ETHTOOL_A_FEC_STAT_UNCORR, sizeof(fec_unc), fec_unc);
	mnl_attr_nest_end(nlh, n);
	tu_nlgen_end(&gen, nlh);

	write_replies(ETHTOOL_MSG_FEC_GET);
	nlh = genl_msg(FAMILY, ETHTOOL_MSG_STATS_GET_REPLY);
	put_header(nlh, ETHTOOL_A_STATS_HEADER, 3, "mlx0");
	g = mnl_attr_nest_start(nlh, ETHTOOL_A_STATS_GRP);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STATS_GRP_ID, ETHTOOL_STATS_ETH_MAC);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STATS_GRP_SS_ID, 18);
	put_grp_stat(nlh, ETHTOOL_A_STATS_ETH_MAC_2_TX_PKT, 123456);
	put_grp_stat(nlh, ETHTOOL_A_STATS_ETH_MAC_6_FCS_ERR, 7);
	put_grp_stat(nlh, ETHTOOL_A_STATS_ETH_MAC_12_TX_INT_ERR, 8);
	put_grp_stat(nlh, 40, 9); /* a statistic newer than this collector */
	mnl_attr_nest_end(nlh, g);
	g = mnl_attr_nest_start(nlh, ETHTOOL_A_STATS_GRP);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STATS_GRP_ID, ETHTOOL_STATS_RMON);
	put_grp_stat(nlh, ETHTOOL_A_STATS_RMON_UNDERSIZE, 1);
	put_grp_stat(nlh, ETHTOOL_A_STATS_RMON_JABBER, 2);
	put_hist(nlh, ETHTOOL_A_STATS_GRP_HIST_RX, 0, 64, 100);
	put_hist(nlh, ETHTOOL_A_STATS_GRP_HIST_RX, 65, 127, 200);
	put_hist(nlh, ETHTOOL_A_STATS_GRP_HIST_RX, 1519, 0, 300);
	put_hist(nlh, ETHTOOL_A_STATS_GRP_HIST_TX, 0, 64, 400);
	mnl_attr_nest_end(nlh, g);
	g = mnl_attr_nest_start(nlh, ETHTOOL_A_STATS_GRP);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STATS_GRP_ID, ETHTOOL_STATS_ETH_CTRL);
	put_grp_stat(nlh, ETHTOOL_A_STATS_ETH_CTRL_4_RX, 4);
	mnl_attr_nest_end(nlh, g);
	g = mnl_attr_nest_start(nlh, ETHTOOL_A_STATS_GRP);
	mnl_attr_put_u32(nlh, ETHTOOL_A_STATS_GRP_ID, ETHTOOL_STATS_ETH_PHY);
	put_grp_stat(nlh, ETHTOOL_A_STATS_ETH_PHY_5_SYM_ERR, 5);
	mnl_attr_nest_end(nlh, g);
	tu_nlgen_end(&gen, nlh);
	write_replies(ETHTOOL_MSG_STATS_GET);
}

static void write_world(void)
{
	link_msg(1, "lo");
	link_msg(2, "eth0");
	link_msg(3, "mlx0");
	link_msg(4, "gone0"); /* no ioctl file: deleted before the ioctl */
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
	write_text("ethtool-ioctl-lo", "errno\t95\n");
	write_text("ethtool-ioctl-eth0",
		   "driver\tvirtio_net\n"
		   "version\t1.0.0\n"
		   "firmware_version\t\n"
		   "bus_info\t0000:00:03.0\n"
		   "stat\trx_queue_0_packets\t10\n"
		   "stat\trx_queue_0_bytes\t1000\n"
		   "stat\trx_queue_1_packets\t11\n"
		   "stat\ttx_queue_0_packets\t20\n"
		   "stat\ttx_queue_0_bytes\t2000\n"
		   "stat\ttx-0.tx_bytes\t2001\n" /* same (name, labels) as tx_queue_0_bytes */
		   "stat\trx_errors\t5\n"
		   "stat\trx-errors\t6\n"    /* snake_case collides with rx_errors */
		   "stat\trx_errors\t7\n"    /* the driver repeats a name */
		   "stat\trx_errors_10\t8\n" /* no collision: keeps its name */
		   "stat\tRxCrcErrors\t9\n"
		   "stat\t\t12\n"); /* empty name */
	write_text("ethtool-ioctl-mlx0",
		   "driver\tmlx5_core\n"
		   "version\t6.1.0\n"
		   "firmware_version\t16.35.2000 (MT_0000000012)\n"
		   "bus_info\t0000:3b:00.0\n"
		   "stat\trx0_packets\t100\n"
		   "stat\trx0_cache_reuse\t101\n"
		   "stat\ttx12_bytes\t102\n"
		   "stat\tch3_events\t103\n"
		   "stat\trx-2.rx_packets\t104\n"
		   "stat\tqueue_2_rx_drops\t105\n"
		   "stat\ttxq4_pktnum\t106\n"
		   "stat\t[5]: rx_ucast_packets\t107\n"
		   "stat\t[5]: tpa_packets\t108\n"
		   "stat\trx_vport_unicast_packets\t18446744073709551615\n"
		   "stat\trx123456_packets\t109\n"   /* 6 digits: not a queue */
		   "stat\ttx_queue_x_bytes\t110\n"); /* no number: not a queue */
	write_family();
	write_ethtool_replies();
}

static int setup(void **state)
{
	snprintf(replay_dir, sizeof(replay_dir), "%s/ns_test_ethtool.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(replay_dir));
	return 0;
}

static int cleanup_files(void **state)
{
	static const char *const names[] = {
	    "0-18.nl",		"16-16.nl",	      "16-29-4.nl",	    "16-29-15.nl",
	    "16-29-17.nl",	"16-29-21.nl",	      "16-29-29.nl",	    "16-29-32.nl",
	    "ethtool-ioctl-lo", "ethtool-ioctl-eth0", "ethtool-ioctl-mlx0", "ip_ethtool.sh"};
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", replay_dir, names[i]);
		unlink(path);
	}
	memset(gen.buf, 0, sizeof(gen.buf));
	gen.len = 0;
	return 0;
}

static int teardown(void **state)
{
	cleanup_files(state);
	rmdir(replay_dir);
	return 0;
}

static int run(const struct ns_opts *opts, struct ns_buf *out)
{
	return tu_collect(&C, NULL, NULL, replay_dir, opts, NS_FMT_TEXT, out);
}

#define Q(dev, q, d) "{device=\"" dev "\",queue=\"" q "\",direction=\"" d "\"}"

/* The context's ioctl seam answers SIOCETHTOOL from the recorded file. */
static void test_ioctl_seam(void **state)
{
	/* struct ethtool_stats and its two u64 (a flexible array member) */
	uint64_t sbuf[(sizeof(struct ethtool_stats) + 2 * sizeof(uint64_t)) / sizeof(uint64_t) +
		      1] = {0};
	struct ethtool_stats *sb = (struct ethtool_stats *)sbuf;
	struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};
	struct ns_err e = {{0}};
	struct ns_ctx *ctx;
	struct ifreq ifr;

	write_text("ethtool-ioctl-lo", "driver\tveth\nstat\ta\t7\nstat\tb\t9\n");
	assert_int_equal(ns_ctx_open(&ctx, "", "/proc", "/sys", replay_dir, &e), 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ifr.ifr_data = (void *)&di;
	assert_int_equal(ns_ctx_ioctl(ctx, SIOCETHTOOL, &ifr), 0);
	assert_string_equal(di.driver, "veth");
	assert_int_equal(di.n_stats, 2);
	sb->cmd = ETHTOOL_GSTATS;
	sb->n_stats = 2;
	ifr.ifr_data = (void *)sb;
	assert_int_equal(ns_ctx_ioctl(ctx, SIOCETHTOOL, &ifr), 0);
	assert_int_equal(sb->data[0], 7);
	assert_int_equal(sb->data[1], 9);
	assert_int_equal(ns_ctx_ioctl(ctx, SIOCGIFFLAGS, &ifr), -EOPNOTSUPP);
	strcpy(ifr.ifr_name, "none0"); /* no recorded file: the device is gone */
	assert_int_equal(ns_ctx_ioctl(ctx, SIOCETHTOOL, &ifr), -ENODEV);
	ns_ctx_close(ctx);
}

static void test_driver_stats(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	write_world();
	assert_int_equal(run(NULL, &out), 0);
	t = out.data;
	tu_assert_line(
	    t, "netstack_ethtool_info{device=\"eth0\",driver=\"virtio_net\",version=\"1.0.0\","
	       "firmware_version=\"\",bus_info=\"0000:00:03.0\"} 1");
	tu_assert_line(
	    t, "netstack_ethtool_info{device=\"mlx0\",driver=\"mlx5_core\",version=\"6.1.0\","
	       "firmware_version=\"16.35.2000 (MT_0000000012)\",bus_info=\"0000:3b:00.0\"} 1");
	/* lo: EOPNOTSUPP; gone0: ENODEV. Neither is an error, neither has series. */
	tu_assert_no_line_prefix(t, "netstack_ethtool_info{device=\"lo\"");
	assert_null(strstr(t, "gone0"));

	/* virtio_net style */
	tu_assert_line(t, "netstack_ethtool_queue_packets" Q("eth0", "0", "rx") " 10");
	tu_assert_line(t, "netstack_ethtool_queue_bytes" Q("eth0", "0", "rx") " 1000");
	tu_assert_line(t, "netstack_ethtool_queue_packets" Q("eth0", "1", "rx") " 11");
	tu_assert_line(t, "netstack_ethtool_queue_packets" Q("eth0", "0", "tx") " 20");
	tu_assert_line(t, "netstack_ethtool_queue_bytes" Q("eth0", "0", "tx") " 2000");
	/* collisions: the first keeps the name, later ones get _<index> */
	tu_assert_line(t, "netstack_ethtool_queue_bytes_5" Q("eth0", "0", "tx") " 2001");
	tu_assert_line(t, "netstack_ethtool_driver_rx_errors{device=\"eth0\"} 5");
	tu_assert_line(t, "netstack_ethtool_driver_rx_errors_7{device=\"eth0\"} 6");
	tu_assert_line(t, "netstack_ethtool_driver_rx_errors_8{device=\"eth0\"} 7");
	tu_assert_line(t, "netstack_ethtool_driver_rx_errors_10{device=\"eth0\"} 8");
	tu_assert_line(t, "netstack_ethtool_driver_rx_crc_errors{device=\"eth0\"} 9");
	tu_assert_line(t, "netstack_ethtool_driver_unnamed{device=\"eth0\"} 12");
	tu_assert_line(t, "# TYPE netstack_ethtool_queue_packets untyped");

	/* the other drivers' patterns */
	tu_assert_line(t, "netstack_ethtool_queue_packets" Q("mlx0", "0", "rx") " 100");
	tu_assert_line(t, "netstack_ethtool_queue_cache_reuse" Q("mlx0", "0", "rx") " 101");
	tu_assert_line(t, "netstack_ethtool_queue_bytes" Q("mlx0", "12", "tx") " 102");
	tu_assert_line(t, "netstack_ethtool_queue_events" Q("mlx0", "3", "") " 103");
	tu_assert_line(t, "netstack_ethtool_queue_packets" Q("mlx0", "2", "rx") " 104");
	tu_assert_line(t, "netstack_ethtool_queue_drops" Q("mlx0", "2", "rx") " 105");
	tu_assert_line(t, "netstack_ethtool_queue_pktnum" Q("mlx0", "4", "tx") " 106");
	tu_assert_line(t, "netstack_ethtool_queue_ucast_packets" Q("mlx0", "5", "rx") " 107");
	tu_assert_line(t, "netstack_ethtool_queue_tpa_packets" Q("mlx0", "5", "") " 108");
	tu_assert_line(t, "netstack_ethtool_driver_rx_vport_unicast_packets{device=\"mlx0\"} "
			  "18446744073709551615");
	tu_assert_line(t, "netstack_ethtool_driver_rx123456_packets{device=\"mlx0\"} 109");
	tu_assert_line(t, "netstack_ethtool_driver_tx_queue_x_bytes{device=\"mlx0\"} 110");
	ns_buf_free(&out);
}

static void test_netlink(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	write_world();
	assert_int_equal(run(NULL, &out), 0);
	t = out.data;
	tu_assert_line(t, "netstack_netdev_speed_bytes{device=\"eth0\"} 3125000000");
	tu_assert_no_line_prefix(t, "netstack_netdev_speed_bytes{device=\"mlx0\"}");
	tu_assert_line(t, "netstack_ethtool_full_duplex{device=\"eth0\"} 1");
	tu_assert_no_line_prefix(t, "netstack_ethtool_full_duplex{device=\"mlx0\"}");
	tu_assert_line(t, "netstack_ethtool_autonegotiation{device=\"eth0\"} 1");
	tu_assert_line(t, "netstack_ethtool_autonegotiation{device=\"mlx0\"} 0");
	tu_assert_line(
	    t,
	    "netstack_ethtool_supported_link_mode_info{device=\"eth0\",mode=\"1000baseT/Full\"} 1");
	tu_assert_line(t, "netstack_ethtool_supported_link_mode_info{device=\"eth0\",mode="
			  "\"10000baseT/Full\"} 1");
	tu_assert_line(t, "netstack_ethtool_supported_link_mode_info{device=\"eth0\",mode="
			  "\"400000baseCR8/Full\"} 1");
	tu_assert_line(t, "netstack_ethtool_advertised_link_mode_info{device=\"eth0\",mode="
			  "\"400000baseCR8/Full\"} 1");
	tu_assert_line(
	    t, "netstack_ethtool_advertised_link_mode_info{device=\"eth0\",mode=\"Autoneg\"} 1");
	tu_assert_no_line_prefix(
	    t,
	    "netstack_ethtool_advertised_link_mode_info{device=\"eth0\",mode=\"10000baseT/Full\"}");
	tu_assert_line(t, "netstack_ethtool_peer_advertised_link_mode_info{device=\"eth0\",mode="
			  "\"1000baseT/Full\"} 1");
	tu_assert_line(
	    t,
	    "netstack_ethtool_peer_advertised_link_mode_info{device=\"eth0\",mode=\"Autoneg\"} 1");
	tu_assert_no_line_prefix(
	    t, "netstack_ethtool_peer_advertised_link_mode_info{device=\"eth0\",mode=\"400000");
	assert_null(strstr(t, "nowhere0"));

	tu_assert_line(t, "netstack_ethtool_ring_entries{device=\"eth0\",ring=\"rx\"} 256");
	tu_assert_line(t, "netstack_ethtool_ring_max_entries{device=\"eth0\",ring=\"rx\"} 4096");
	tu_assert_line(t, "netstack_ethtool_ring_entries{device=\"eth0\",ring=\"tx\"} 1024");
	tu_assert_line(t, "netstack_ethtool_ring_max_entries{device=\"eth0\",ring=\"tx\"} 4096");
	tu_assert_no_line_prefix(t,
				 "netstack_ethtool_ring_entries{device=\"eth0\",ring=\"rx_mini\"}");
	tu_assert_line(t, "netstack_ethtool_channels{device=\"mlx0\",type=\"combined\"} 8");
	tu_assert_line(t, "netstack_ethtool_channels_max{device=\"mlx0\",type=\"combined\"} 63");
	tu_assert_line(t, "netstack_ethtool_channels{device=\"mlx0\",type=\"other\"} 1");
	tu_assert_no_line_prefix(t, "netstack_ethtool_channels{device=\"mlx0\",type=\"rx\"}");

	tu_assert_line(t, "netstack_ethtool_pause_autonegotiation{device=\"eth0\"} 1");
	tu_assert_line(t, "netstack_ethtool_pause_enabled{device=\"eth0\",direction=\"rx\"} 1");
	tu_assert_line(t, "netstack_ethtool_pause_enabled{device=\"eth0\",direction=\"tx\"} 0");
	tu_assert_line(t,
		       "netstack_ethtool_pause_frames_total{device=\"eth0\",direction=\"tx\"} 11");
	tu_assert_line(
	    t, "netstack_ethtool_pause_frames_total{device=\"eth0\",direction=\"rx\"} 5000000000");

	tu_assert_line(t, "netstack_ethtool_fec_corrected_blocks_total{device=\"mlx0\"} 1000");
	tu_assert_line(t, "netstack_ethtool_fec_uncorrectable_blocks_total{device=\"mlx0\"} 3");
	tu_assert_no_line_prefix(t, "netstack_ethtool_fec_corrected_bits_total");

	tu_assert_line(
	    t, "netstack_ethtool_eth_mac_frames_transmitted_ok_total{device=\"mlx0\"} 123456");
	tu_assert_line(
	    t, "netstack_ethtool_eth_mac_frame_check_sequence_errors_total{device=\"mlx0\"} 7");
	tu_assert_line(t, "netstack_ethtool_eth_mac_frames_lost_due_to_int_mac_xmit_error_total{"
			  "device=\"mlx0\"} 8");
	tu_assert_line(t, "netstack_ethtool_eth_mac_stat_40_total{device=\"mlx0\"} 9");
	tu_assert_line(
	    t, "netstack_ethtool_eth_ctrl_mac_control_frames_received_total{device=\"mlx0\"} 4");
	tu_assert_line(
	    t, "netstack_ethtool_eth_phy_symbol_error_during_carrier_total{device=\"mlx0\"} 5");
	tu_assert_line(t,
		       "netstack_ethtool_rmon_ether_stats_undersize_pkts_total{device=\"mlx0\"} 1");
	tu_assert_line(t, "netstack_ethtool_rmon_ether_stats_jabbers_total{device=\"mlx0\"} 2");
	tu_assert_line(t, "netstack_ethtool_rmon_frames_by_length_total{device=\"mlx0\",direction="
			  "\"rx\",low=\"0\",high=\"64\"} 100");
	tu_assert_line(t, "netstack_ethtool_rmon_frames_by_length_total{device=\"mlx0\",direction="
			  "\"rx\",low=\"65\",high=\"127\"} 200");
	tu_assert_line(t, "netstack_ethtool_rmon_frames_by_length_total{device=\"mlx0\",direction="
			  "\"rx\",low=\"1519\",high=\"+Inf\"} 300");
	tu_assert_line(t, "netstack_ethtool_rmon_frames_by_length_total{device=\"mlx0\",direction="
			  "\"tx\",low=\"0\",high=\"64\"} 400");
	ns_buf_free(&out);
}

static struct ns_opts *opts_with(const char *k1, const char *v1, const char *k2, const char *v2)
{
	struct ns_opts *o = ns_opts_new(C.name, C.options);
	struct ns_err e = {{0}};

	assert_non_null(o);
	if (k1)
		assert_int_equal(ns_opts_set(o, k1, v1, &e), 0);
	if (k2)
		assert_int_equal(ns_opts_set(o, k2, v2, &e), 0);
	return o;
}

static void test_filters(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	struct ns_opts *o;

	write_world();
	o = opts_with("stat-include", "queue|^rx", "stat-exclude", "bytes");
	assert_int_equal(run(o, &out), 0);
	tu_assert_line(out.data, "netstack_ethtool_queue_packets" Q("eth0", "0", "rx") " 10");
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_queue_bytes");
	tu_assert_line(out.data, "netstack_ethtool_driver_rx_errors{device=\"eth0\"} 5");
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_driver_rx_crc_errors");
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_queue_pktnum");
	/* the renamed collision keeps its index even when the first one is excluded */
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_queue_bytes_5");
	ns_opts_free(o);

	o = opts_with("device-include", "^mlx", "standard-stats", "false");
	assert_int_equal(run(o, &out), 0);
	assert_null(strstr(out.data, "device=\"eth0\""));
	tu_assert_line(out.data, "netstack_ethtool_queue_packets" Q("mlx0", "0", "rx") " 100");
	tu_assert_line(out.data,
		       "netstack_ethtool_fec_corrected_blocks_total{device=\"mlx0\"} 1000");
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_eth_mac_");
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_rmon_");
	ns_opts_free(o);

	o = opts_with("device-exclude", "0$", NULL, NULL);
	assert_int_equal(run(o, &out), 0);
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_info");
	ns_opts_free(o);
	ns_buf_free(&out);
}

/* A kernel without ethtool netlink: the ioctl data only, no error. */
static void test_no_genl_family(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	char path[PATH_MAX + 64];

	write_world();
	snprintf(path, sizeof(path), "%s/16-16.nl", replay_dir);
	unlink(path);
	assert_int_equal(run(NULL, &out), 0);
	tu_assert_line(out.data, "netstack_ethtool_queue_packets" Q("eth0", "0", "rx") " 10");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_speed_bytes");
	ns_buf_free(&out);
}

/* ---- live: veth in a fresh namespace against `ethtool -S` ---- */

static void sh(const char *cmd)
{
	char full[1024];

	snprintf(full, sizeof(full), "PATH=/usr/sbin:/sbin:/usr/bin:/bin; %s", cmd);
	assert_int_equal(system(full), 0);
}

static void test_live_veth(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	char line[512], want[512];
	int checked = 0, queue_checked = 0;
	FILE *f;

	if (unshare(CLONE_NEWNET) != 0) {
		print_message("SKIP: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		skip();
	}
	if (system("PATH=/usr/sbin:/sbin:/usr/bin:/bin; command -v ethtool >/dev/null") != 0) {
		print_message("SKIP: ethtool not installed\n");
		skip();
	}
	sh("sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 && "
	   "ip link set lo up && ip link add ve0 numtxqueues 2 numrxqueues 2 address "
	   "02:99:00:00:00:01 "
	   "type veth peer name ve1 numtxqueues 2 numrxqueues 2 address 02:99:00:00:00:02 && "
	   "ip addr add 10.99.0.1/24 dev ve0 && ip addr add 10.99.0.2/24 dev ve1 && "
	   "ip link set ve0 up && ip link set ve1 up && ethtool -K ve1 gro on "
	   "rx-udp-gro-forwarding on && "
	   "ip neigh replace 10.99.0.2 lladdr 02:99:00:00:00:02 dev ve0 nud permanent");
	/* 25 datagrams ve0 -> ve1 (GRO on ve1: NAPI, counted per rx queue) */
	sh("/usr/bin/python3 -c \"import socket\n"
	   "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
	   "s.bind(('10.99.0.1',0))\n"
	   "r=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
	   "r.bind(('10.99.0.2',40009))\n"
	   "for i in range(25): s.sendto(b'x'*200,('10.99.0.2',40009))\n"
	   "import time; time.sleep(0.3)\"");

	assert_int_equal(tu_collect(&C, NULL, NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_ethtool_info{device=\"ve0\",driver=\"veth\","
				 "version=\"1.0\",firmware_version=\"\",bus_info=\"\"} 1");
	tu_assert_line(out.data, "netstack_ethtool_channels{device=\"ve0\",type=\"rx\"} 2");
	tu_assert_no_line_prefix(out.data, "netstack_ethtool_info{device=\"lo\"");

	/* Every `ethtool -S` line, mapped by the documented veth patterns. */
	for (int dev = 0; dev < 2; dev++) {
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "PATH=/usr/sbin:/sbin:/usr/bin:/bin ethtool -S ve%d",
			 dev);
		f = popen(cmd, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			char name[128], dir[3];
			unsigned long long v;
			unsigned q;
			int off = 0;

			if (sscanf(line, " %127[^:]: %llu", name, &v) != 2)
				continue;
			if (sscanf(name, "%1[rt]x_queue_%u_%n", dir, &q, &off) == 2 && off > 0) {
				snprintf(want, sizeof(want),
					 "netstack_ethtool_queue_%s{device=\"ve%d\",queue=\"%u\","
					 "direction=\"%sx\"} %llu",
					 name + off, dev, q, dir, v);
				queue_checked++;
			} else {
				snprintf(want, sizeof(want),
					 "netstack_ethtool_driver_%s{device=\"ve%d\"} %llu", name,
					 dev, v);
			}
			tu_assert_line(out.data, want);
			checked++;
		}
		assert_int_equal(pclose(f), 0);
	}
	print_message("%d ethtool -S lines checked (%d per-queue)\n", checked, queue_checked);
	assert_true(queue_checked >= 2 * 2 * 7);
	ns_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_ioctl_seam, cleanup_files),
	    cmocka_unit_test_teardown(test_driver_stats, cleanup_files),
	    cmocka_unit_test_teardown(test_netlink, cleanup_files),
	    cmocka_unit_test_teardown(test_filters, cleanup_files),
	    cmocka_unit_test_teardown(test_no_genl_family, cleanup_files),
	    /* Last: moves the process into a new network namespace. */
	    cmocka_unit_test(test_live_veth),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
