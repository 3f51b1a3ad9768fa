// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_netdev.c - the netdev collector.
 *
 * Replay tests build RTM_NEWLINK messages here with libmnl and write them to
 * a temporary replay directory as "0-18.nl" (NETLINK_ROUTE, RTM_GETLINK);
 * expected values are written out literally, field by field.
 *
 * The live test moves the process into a new network namespace, creates a
 * veth pair, sends a known number of UDP datagrams over lo, and compares the
 * collector's output with `ip -s -s -d -j link show` (parsed by python) and
 * with the arithmetic of what was sent.
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "testutil.h"

extern const struct ns_collector ns_collector_netdev;

#define C ns_collector_netdev

/* ---- replay files ---- */

static char replay_dir[PATH_MAX];
static struct tu_nlgen gen;

static struct nlmsghdr *link_msg(int ifindex, const char *name, unsigned flags, uint16_t nlflags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_MULTI | nlflags;
	ifm->ifi_index = ifindex;
	ifm->ifi_flags = flags;
	ifm->ifi_type = ARPHRD_ETHER;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

static void done_msg(int error, uint16_t nlflags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | nlflags;
	*p = error;
	tu_nlgen_end(&gen, nlh);
}

/* A bare device: name, flags, MTU. */
static void simple_link(int ifindex, const char *name, unsigned flags, uint16_t nlflags)
{
	struct nlmsghdr *nlh = link_msg(ifindex, name, flags, nlflags);

	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	tu_nlgen_end(&gen, nlh);
}

static int setup(void **state)
{
	snprintf(replay_dir, sizeof(replay_dir), "%s/ns_test_netdev.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(replay_dir));
	return 0;
}

static int cleanup_files(void **state)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/0-18.nl", replay_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/0-18.2.nl", replay_dir);
	unlink(path);
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

/* Fill every rtnl_link_stats64 field with a distinct value. */
static void fill_stats64(struct rtnl_link_stats64 *s)
{
	memset(s, 0, sizeof(*s));
	s->rx_packets = 1000;
	s->tx_packets = 1001;
	s->rx_bytes = UINT64_MAX; /* 18446744073709551615 */
	s->tx_bytes = UINT64_MAX - 1;
	s->rx_errors = 1004;
	s->tx_errors = 1005;
	s->rx_dropped = 1006;
	s->tx_dropped = 1007;
	s->multicast = 1008;
	s->collisions = 1009;
	s->rx_length_errors = 1010;
	s->rx_over_errors = 1011;
	s->rx_crc_errors = 1012;
	s->rx_frame_errors = 1013;
	s->rx_fifo_errors = 1014;
	s->rx_missed_errors = 1015;
	s->tx_aborted_errors = 1016;
	s->tx_carrier_errors = 1017;
	s->tx_fifo_errors = 1018;
	s->tx_heartbeat_errors = 1019;
	s->tx_window_errors = 1020;
	s->rx_compressed = 1021;
	s->tx_compressed = (1ULL << 63) + 1; /* 9223372036854775809 */
	s->rx_nohandler = 1023;
	s->rx_otherhost_dropped = 1024;
}

static const char *const full_lines[] = {
    "netstack_netdev_receive_packets_total{device=\"eth0\"} 1000",
    "netstack_netdev_transmit_packets_total{device=\"eth0\"} 1001",
    "netstack_netdev_receive_bytes_total{device=\"eth0\"} 18446744073709551615",
    "netstack_netdev_transmit_bytes_total{device=\"eth0\"} 18446744073709551614",
    "netstack_netdev_receive_errors_total{device=\"eth0\"} 1004",
    "netstack_netdev_transmit_errors_total{device=\"eth0\"} 1005",
    "netstack_netdev_receive_dropped_total{device=\"eth0\"} 1006",
    "netstack_netdev_transmit_dropped_total{device=\"eth0\"} 1007",
    "netstack_netdev_receive_multicast_total{device=\"eth0\"} 1008",
    "netstack_netdev_collisions_total{device=\"eth0\"} 1009",
    "netstack_netdev_receive_length_errors_total{device=\"eth0\"} 1010",
    "netstack_netdev_receive_over_errors_total{device=\"eth0\"} 1011",
    "netstack_netdev_receive_crc_errors_total{device=\"eth0\"} 1012",
    "netstack_netdev_receive_frame_errors_total{device=\"eth0\"} 1013",
    "netstack_netdev_receive_fifo_errors_total{device=\"eth0\"} 1014",
    "netstack_netdev_receive_missed_errors_total{device=\"eth0\"} 1015",
    "netstack_netdev_transmit_aborted_errors_total{device=\"eth0\"} 1016",
    "netstack_netdev_transmit_carrier_errors_total{device=\"eth0\"} 1017",
    "netstack_netdev_transmit_fifo_errors_total{device=\"eth0\"} 1018",
    "netstack_netdev_transmit_heartbeat_errors_total{device=\"eth0\"} 1019",
    "netstack_netdev_transmit_window_errors_total{device=\"eth0\"} 1020",
    "netstack_netdev_receive_compressed_total{device=\"eth0\"} 1021",
    "netstack_netdev_transmit_compressed_total{device=\"eth0\"} 9223372036854775809",
};

static void assert_lines(const char *text, const char *const *lines, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tu_assert_line(text, lines[i]);
}

static void test_full_stats64(void **state)
{
	static const uint8_t mac[6] = {0x02, 0xfc, 0x00, 0x0a, 0xbc, 0xde};
	static const uint8_t brd[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	struct ns_buf out = NS_BUF_INIT;
	struct rtnl_link_stats64 s;
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	fill_stats64(&s);
	nlh = link_msg(2, "eth0", IFF_UP | IFF_BROADCAST | IFF_RUNNING, 0);
	mnl_attr_put_u32(nlh, IFLA_MTU, 9000);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 1000);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, IF_OPER_UP);
	mnl_attr_put_u8(nlh, IFLA_CARRIER, 1);
	mnl_attr_put_u32(nlh, IFLA_CARRIER_CHANGES, 7);
	mnl_attr_put_u32(nlh, IFLA_CARRIER_UP_COUNT, 4);
	mnl_attr_put_u32(nlh, IFLA_CARRIER_DOWN_COUNT, 3);
	mnl_attr_put(nlh, IFLA_ADDRESS, sizeof(mac), mac);
	mnl_attr_put(nlh, IFLA_BROADCAST, sizeof(brd), brd);
	mnl_attr_put_strz(nlh, IFLA_IFALIAS, "uplink \"a\"");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put(nlh, IFLA_STATS64, sizeof(s), &s);
	tu_nlgen_end(&gen, nlh);
	done_msg(0, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");

	assert_int_equal(run(NULL, &out), 0);
	assert_lines(out.data, full_lines, sizeof(full_lines) / sizeof(full_lines[0]));
	tu_assert_line(out.data, "netstack_netdev_receive_nohandler_total{device=\"eth0\"} 1023");
	tu_assert_line(out.data,
		       "netstack_netdev_receive_otherhost_dropped_total{device=\"eth0\"} 1024");
	tu_assert_line(out.data, "netstack_netdev_up{device=\"eth0\"} 1");
	tu_assert_line(out.data, "netstack_netdev_mtu_bytes{device=\"eth0\"} 9000");
	tu_assert_line(out.data, "netstack_netdev_transmit_queue_length{device=\"eth0\"} 1000");
	tu_assert_line(out.data, "netstack_netdev_carrier{device=\"eth0\"} 1");
	tu_assert_line(out.data, "netstack_netdev_carrier_changes_total{device=\"eth0\"} 7");
	tu_assert_line(out.data, "netstack_netdev_carrier_up_changes_total{device=\"eth0\"} 4");
	tu_assert_line(out.data, "netstack_netdev_carrier_down_changes_total{device=\"eth0\"} 3");
	tu_assert_line(out.data, "netstack_netdev_protocol_type{device=\"eth0\"} 1");
	tu_assert_line(out.data, "netstack_netdev_oper_state{device=\"eth0\",state=\"up\"} 1");
	tu_assert_line(out.data, "netstack_netdev_oper_state{device=\"eth0\",state=\"down\"} 0");
	tu_assert_line(out.data, "netstack_netdev_oper_state{device=\"eth0\",state=\"unknown\"} 0");
	tu_assert_line(out.data, "netstack_netdev_oper_state{device=\"eth0\",state=\"dormant\"} 0");
	tu_assert_line(out.data,
		       "netstack_netdev_oper_state{device=\"eth0\",state=\"lowerlayerdown\"} 0");
	tu_assert_line(out.data, "netstack_netdev_oper_state{device=\"eth0\",state=\"testing\"} 0");
	tu_assert_line(out.data,
		       "netstack_netdev_oper_state{device=\"eth0\",state=\"notpresent\"} 0");
	tu_assert_line(out.data, "netstack_netdev_info{device=\"eth0\",ifindex=\"2\","
				 "address=\"02:fc:00:0a:bc:de\",broadcast=\"ff:ff:ff:ff:ff:ff\","
				 "operstate=\"up\",ifalias=\"uplink \\\"a\\\"\",kind=\"veth\"} 1");
	tu_assert_line(out.data, "# TYPE netstack_netdev_receive_bytes_total counter");
	tu_assert_line(out.data, "# TYPE netstack_netdev_up gauge");
	ns_buf_free(&out);
}

/* A kernel whose rtnl_link_stats64 ends before rx_nohandler (< 4.6). */
static void test_short_stats64(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	struct rtnl_link_stats64 s;
	struct nlmsghdr *nlh;

	fill_stats64(&s);
	nlh = link_msg(2, "eth0", 0, 0);
	mnl_attr_put(nlh, IFLA_STATS64, offsetof(struct rtnl_link_stats64, rx_nohandler), &s);
	tu_nlgen_end(&gen, nlh);
	/* ... and one that has rx_nohandler but not rx_otherhost_dropped (< 5.19). */
	fill_stats64(&s);
	s.rx_nohandler = 77;
	nlh = link_msg(3, "eth1", 0, 0);
	mnl_attr_put(nlh, IFLA_STATS64, offsetof(struct rtnl_link_stats64, rx_otherhost_dropped),
		     &s);
	tu_nlgen_end(&gen, nlh);
	done_msg(0, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");

	assert_int_equal(run(NULL, &out), 0);
	assert_lines(out.data, full_lines, sizeof(full_lines) / sizeof(full_lines[0]));
	tu_assert_no_line_prefix(out.data,
				 "netstack_netdev_receive_nohandler_total{device=\"eth0\"}");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_receive_otherhost_dropped_total");
	tu_assert_line(out.data, "netstack_netdev_receive_nohandler_total{device=\"eth1\"} 77");
	tu_assert_line(out.data,
		       "netstack_netdev_receive_bytes_total{device=\"eth1\"} 18446744073709551615");
	/* Not reported by these messages: no invented values. */
	tu_assert_no_line_prefix(out.data, "netstack_netdev_mtu_bytes{device=\"eth0\"}");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_oper_state{device=\"eth0\"");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_carrier");
	tu_assert_line(out.data, "netstack_netdev_up{device=\"eth0\"} 0");
	tu_assert_line(out.data, "netstack_netdev_info{device=\"eth0\",ifindex=\"2\",address=\"\","
				 "broadcast=\"\",operstate=\"unknown\",ifalias=\"\",kind=\"\"} 1");
	ns_buf_free(&out);
}

/* No IFLA_STATS64: the 32-bit IFLA_STATS is used. */
static void test_stats32_fallback(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	struct rtnl_link_stats s32;
	struct rtnl_link_stats64 s64;
	struct nlmsghdr *nlh;

	memset(&s32, 0, sizeof(s32));
	s32.rx_packets = 11;
	s32.tx_packets = 12;
	s32.rx_bytes = UINT32_MAX;
	s32.tx_bytes = 4000000000u;
	s32.rx_errors = 13;
	s32.tx_dropped = 14;
	s32.multicast = 15;
	s32.collisions = 16;
	s32.rx_missed_errors = 17;
	s32.tx_window_errors = 18;
	s32.rx_compressed = 19;
	s32.tx_compressed = 20;
	s32.rx_nohandler = 21;
	nlh = link_msg(5, "old0", IFF_UP, 0);
	mnl_attr_put(nlh, IFLA_STATS, sizeof(s32), &s32);
	tu_nlgen_end(&gen, nlh);
	/* 32-bit struct without rx_nohandler. */
	nlh = link_msg(6, "older0", IFF_UP, 0);
	mnl_attr_put(nlh, IFLA_STATS, offsetof(struct rtnl_link_stats, rx_nohandler), &s32);
	tu_nlgen_end(&gen, nlh);
	/* Both present: STATS64 wins. */
	fill_stats64(&s64);
	nlh = link_msg(7, "both0", IFF_UP, 0);
	mnl_attr_put(nlh, IFLA_STATS, sizeof(s32), &s32);
	mnl_attr_put(nlh, IFLA_STATS64, sizeof(s64), &s64);
	tu_nlgen_end(&gen, nlh);
	done_msg(0, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");

	assert_int_equal(run(NULL, &out), 0);
	tu_assert_line(out.data, "netstack_netdev_receive_packets_total{device=\"old0\"} 11");
	tu_assert_line(out.data, "netstack_netdev_transmit_packets_total{device=\"old0\"} 12");
	tu_assert_line(out.data, "netstack_netdev_receive_bytes_total{device=\"old0\"} 4294967295");
	tu_assert_line(out.data,
		       "netstack_netdev_transmit_bytes_total{device=\"old0\"} 4000000000");
	tu_assert_line(out.data, "netstack_netdev_receive_errors_total{device=\"old0\"} 13");
	tu_assert_line(out.data, "netstack_netdev_transmit_errors_total{device=\"old0\"} 0");
	tu_assert_line(out.data, "netstack_netdev_transmit_dropped_total{device=\"old0\"} 14");
	tu_assert_line(out.data, "netstack_netdev_receive_multicast_total{device=\"old0\"} 15");
	tu_assert_line(out.data, "netstack_netdev_collisions_total{device=\"old0\"} 16");
	tu_assert_line(out.data, "netstack_netdev_receive_missed_errors_total{device=\"old0\"} 17");
	tu_assert_line(out.data,
		       "netstack_netdev_transmit_window_errors_total{device=\"old0\"} 18");
	tu_assert_line(out.data, "netstack_netdev_receive_compressed_total{device=\"old0\"} 19");
	tu_assert_line(out.data, "netstack_netdev_transmit_compressed_total{device=\"old0\"} 20");
	tu_assert_line(out.data, "netstack_netdev_receive_nohandler_total{device=\"old0\"} 21");
	tu_assert_no_line_prefix(
	    out.data, "netstack_netdev_receive_otherhost_dropped_total{device=\"old0\"}");
	tu_assert_line(out.data, "netstack_netdev_transmit_compressed_total{device=\"older0\"} 20");
	tu_assert_no_line_prefix(out.data,
				 "netstack_netdev_receive_nohandler_total{device=\"older0\"}");
	tu_assert_line(
	    out.data, "netstack_netdev_receive_bytes_total{device=\"both0\"} 18446744073709551615");
	tu_assert_line(out.data,
		       "netstack_netdev_receive_otherhost_dropped_total{device=\"both0\"} 1024");
	ns_buf_free(&out);
}

/* Devices lo, eth0, veth1, eth0.100 and no stats: the filter options. */
static void write_four_devices(void)
{
	simple_link(1, "lo", IFF_UP, 0);
	simple_link(2, "eth0", IFF_UP, 0);
	simple_link(3, "veth1", 0, 0);
	simple_link(4, "eth0.100", IFF_UP, 0);
	done_msg(0, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
}

static void check_present(const char *text, const char *dev, bool present)
{
	char line[128];

	snprintf(line, sizeof(line), "netstack_netdev_mtu_bytes{device=\"%s\"} 1500", dev);
	if (present)
		tu_assert_line(text, line);
	else
		tu_assert_no_line_prefix(text, line);
}

static void filter_case(const char *include, const char *exclude, bool lo, bool eth0, bool veth1,
			bool vlan)
{
	struct ns_opts *o = ns_opts_new(C.name, C.options);
	struct ns_buf out = NS_BUF_INIT;
	struct ns_err e = {{0}};

	assert_non_null(o);
	if (include)
		assert_int_equal(ns_opts_set(o, "device-include", include, &e), 0);
	if (exclude)
		assert_int_equal(ns_opts_set(o, "device-exclude", exclude, &e), 0);
	write_four_devices();
	assert_int_equal(run(o, &out), 0);
	check_present(out.data, "lo", lo);
	check_present(out.data, "eth0", eth0);
	check_present(out.data, "veth1", veth1);
	check_present(out.data, "eth0.100", vlan);
	ns_buf_free(&out);
	ns_opts_free(o);
	cleanup_files(NULL);
}

static void test_filters(void **state)
{
	filter_case(NULL, NULL, true, true, true, true);
	/* Unanchored, like node_exporter: "eth" matches veth1 too. */
	filter_case("eth", NULL, false, true, true, true);
	filter_case("^eth[0-9]+$", NULL, false, true, false, false);
	filter_case(NULL, "^veth", true, true, false, true);
	filter_case(NULL, "lo|\\.", false, true, true, false);
	/* Include first, then exclude. */
	filter_case("eth", "\\.[0-9]+$", false, true, true, false);
	filter_case("^lo$", "^lo$", false, false, false, false);
}

/* A flagged dump is restarted; only the second snapshot is emitted, once. */
static void test_dump_intr(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	simple_link(1, "lo", IFF_UP, 0);
	simple_link(2, "gone0", IFF_UP, NLM_F_DUMP_INTR);
	done_msg(0, NLM_F_DUMP_INTR);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
	simple_link(1, "lo", IFF_UP, 0);
	simple_link(3, "new0", IFF_UP, 0);
	done_msg(0, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.2.nl");

	assert_int_equal(run(NULL, &out), 0);
	tu_assert_line(out.data, "netstack_netdev_up{device=\"lo\"} 1");
	tu_assert_line(out.data, "netstack_netdev_up{device=\"new0\"} 1");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_up{device=\"gone0\"}");
	/* lo once: the first pass was dropped by reset, no duplicate. */
	{
		const char *p = strstr(out.data, "netstack_netdev_up{device=\"lo\"} 1");

		assert_non_null(p);
		assert_null(strstr(p + 1, "netstack_netdev_up{device=\"lo\"} 1"));
	}
	ns_buf_free(&out);
}

/* An error at the end of the dump: the error is returned, devices read are kept. */
static void test_dump_error(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	simple_link(1, "lo", IFF_UP, 0);
	done_msg(-ENOBUFS, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
	assert_int_equal(run(NULL, &out), -ENOBUFS);
	tu_assert_line(out.data, "netstack_netdev_up{device=\"lo\"} 1");
	ns_buf_free(&out);
}

static void test_missing_replay(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	assert_int_equal(run(NULL, &out), -ENOENT);
	tu_assert_no_line_prefix(out.data, "netstack_netdev_");
	ns_buf_free(&out);
}

/* Odd messages: no name, wrong type, too short; out-of-range operstate. */
static void test_odd_messages(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	struct nlmsghdr *nlh;

	nlh = link_msg(8, NULL, IFF_UP, 0); /* no IFLA_IFNAME */
	mnl_attr_put_u32(nlh, IFLA_MTU, 1234);
	tu_nlgen_end(&gen, nlh);
	nlh = link_msg(9, "dellink0", IFF_UP, 0);
	nlh->nlmsg_type = RTM_DELLINK;
	tu_nlgen_end(&gen, nlh);
	nlh = mnl_nlmsg_put_header(gen.buf + gen.len); /* RTM_NEWLINK without ifinfomsg */
	nlh->nlmsg_type = RTM_NEWLINK;
	tu_nlgen_end(&gen, nlh);
	nlh = link_msg(10, "dorm0", IFF_UP, 0);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, IF_OPER_DORMANT);
	tu_nlgen_end(&gen, nlh);
	nlh = link_msg(11, "weird0", 0, 0);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, 42);
	mnl_attr_put_u16(nlh, IFLA_MTU, 7); /* too short for a u32 */
	tu_nlgen_end(&gen, nlh);
	done_msg(0, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");

	assert_int_equal(run(NULL, &out), 0);
	tu_assert_no_line_prefix(out.data, "netstack_netdev_mtu_bytes{device=\"\"}");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_up{device=\"dellink0\"}");
	tu_assert_line(out.data,
		       "netstack_netdev_oper_state{device=\"dorm0\",state=\"dormant\"} 1");
	tu_assert_line(out.data, "netstack_netdev_oper_state{device=\"dorm0\",state=\"up\"} 0");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_oper_state{device=\"weird0\"");
	tu_assert_no_line_prefix(out.data, "netstack_netdev_mtu_bytes{device=\"weird0\"}");
	tu_assert_line(out.data, "netstack_netdev_up{device=\"weird0\"} 0");
	tu_assert_line(out.data,
		       "netstack_netdev_info{device=\"weird0\",ifindex=\"11\",address=\"\","
		       "broadcast=\"\",operstate=\"unknown\",ifalias=\"\",kind=\"\"} 1");
	ns_buf_free(&out);
}

/* More devices than the initial state array (16) and than one 32 KiB read. */
static void test_many_devices(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	struct rtnl_link_stats64 s;
	char name[IFNAMSIZ], line[160];

	for (int i = 0; i < 100; i++) {
		struct nlmsghdr *nlh;

		snprintf(name, sizeof(name), "dev%d", i);
		memset(&s, 0, sizeof(s));
		s.rx_bytes = 1000000ULL * i;
		nlh = link_msg(100 + i, name, IFF_UP, 0);
		mnl_attr_put(nlh, IFLA_STATS64, sizeof(s), &s);
		tu_nlgen_end(&gen, nlh);
	}
	done_msg(0, 0);
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
	assert_int_equal(run(NULL, &out), 0);
	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line),
			 "netstack_netdev_receive_bytes_total{device=\"dev%d\"} %llu", i,
			 1000000ULL * i);
		tu_assert_line(out.data, line);
	}
	ns_buf_free(&out);
}

/* ---- live ---- */

static const char ip_to_lines_py[] =
    "import json, sys\n"
    "rx = {'bytes': 'receive_bytes', 'packets': 'receive_packets', 'errors': 'receive_errors',\n"
    "      'dropped': 'receive_dropped', 'over_errors': 'receive_over_errors',\n"
    "      'multicast': 'receive_multicast', 'length_errors': 'receive_length_errors',\n"
    "      'crc_errors': 'receive_crc_errors', 'frame_errors': 'receive_frame_errors',\n"
    "      'fifo_errors': 'receive_fifo_errors', 'missed_errors': 'receive_missed_errors',\n"
    "      'compressed': 'receive_compressed', 'nohandler': 'receive_nohandler',\n"
    "      'otherhost': 'receive_otherhost_dropped'}\n"
    "tx = {'bytes': 'transmit_bytes', 'packets': 'transmit_packets', 'errors': "
    "'transmit_errors',\n"
    "      'dropped': 'transmit_dropped', 'carrier_errors': 'transmit_carrier_errors',\n"
    "      'collisions': 'collisions', 'aborted_errors': 'transmit_aborted_errors',\n"
    "      'fifo_errors': 'transmit_fifo_errors', 'window_errors': 'transmit_window_errors',\n"
    "      'heartbeat_errors': 'transmit_heartbeat_errors', 'carrier_changes': "
    "'carrier_changes',\n"
    "      'compressed': 'transmit_compressed'}\n"
    "types = {'ether': 1, 'loopback': 772}\n"
    "n = 0\n"
    "for l in json.load(sys.stdin):\n"
    "    d = l['ifname']\n"
    "    def p(m, v, extra=''):\n"
    "        global n\n"
    "        n += 1\n"
    "        print('netstack_netdev_%s{device=\"%s\"%s} %s' % (m, d, extra, v))\n"
    "    for key, table in (('rx', rx), ('tx', tx)):\n"
    "        for k, v in l['stats64'][key].items():\n"
    "            p(table[k] + '_total', v)\n"
    "    p('mtu_bytes', l['mtu'])\n"
    "    p('transmit_queue_length', l['txqlen'])\n"
    "    p('up', 1 if 'UP' in l['flags'] else 0)\n"
    "    p('protocol_type', types[l['link_type']])\n"
    "    op = l['operstate'].lower()\n"
    "    p('oper_state', 1, ',state=\"%s\"' % op)\n"
    "    kind = l.get('linkinfo', {}).get('info_kind', '')\n"
    "    p('info', 1, ',ifindex=\"%d\",address=\"%s\",broadcast=\"%s\",operstate=\"%s\","
    "ifalias=\"%s\",kind=\"%s\"'\n"
    "      % (l['ifindex'], l['address'], l['broadcast'], op, l.get('ifalias', ''), kind))\n"
    "sys.stderr.write('%d expected lines\\n' % n)\n";

static void send_udp_on_lo(int count, size_t payload)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t slen = sizeof(sa);
	char buf[2048] = {0};
	int rx, tx;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rx = socket(AF_INET, SOCK_DGRAM, 0);
	tx = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(rx >= 0 && tx >= 0);
	assert_int_equal(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(rx, (struct sockaddr *)&sa, &slen), 0);
	for (int i = 0; i < count; i++) {
		assert_int_equal(sendto(tx, buf, payload, 0, (struct sockaddr *)&sa, sizeof(sa)),
				 (ssize_t)payload);
		assert_int_equal(recv(rx, buf, sizeof(buf), 0), (ssize_t)payload);
	}
	close(rx);
	close(tx);
}

static void test_live_namespace(void **state)
{
	char script[PATH_MAX + 64], cmd[PATH_MAX + 256], line[1024];
	struct ns_buf out = NS_BUF_INIT;
	int checked = 0;
	FILE *f;

	if (unshare(CLONE_NEWNET) != 0) {
		print_message("unshare(CLONE_NEWNET): %s: skipped\n", strerror(errno));
		skip();
	}
	f = popen("PATH=/usr/sbin:/sbin:/usr/bin:/bin ip -batch -", "w");
	assert_non_null(f);
	fputs("link set lo up\n"
	      "link add nsx0 mtu 1400 txqueuelen 77 type veth peer name nsx1\n"
	      "link set dev nsx0 alias test-alias\n",
	      f);
	assert_int_equal(pclose(f), 0);
	/*
	 * 5 datagrams of 100 bytes. lo counts skb->len after eth_type_trans()
	 * pulled the 14-byte link header: 20 (IPv4) + 8 (UDP) + 100 = 128 each.
	 */
	send_udp_on_lo(5, 100);

	assert_int_equal(tu_collect(&C, NULL, NULL, NULL, NULL, NS_FMT_TEXT, &out), 0);
	tu_assert_line(out.data, "netstack_netdev_receive_packets_total{device=\"lo\"} 5");
	tu_assert_line(out.data, "netstack_netdev_transmit_packets_total{device=\"lo\"} 5");
	tu_assert_line(out.data, "netstack_netdev_receive_bytes_total{device=\"lo\"} 640");
	tu_assert_line(out.data, "netstack_netdev_transmit_bytes_total{device=\"lo\"} 640");
	tu_assert_line(out.data, "netstack_netdev_up{device=\"lo\"} 1");
	tu_assert_line(out.data, "netstack_netdev_up{device=\"nsx0\"} 0");
	tu_assert_line(out.data, "netstack_netdev_mtu_bytes{device=\"nsx0\"} 1400");

	/* Everything `ip` reports must be in the collector's output, identically. */
	snprintf(script, sizeof(script), "%s/ip_to_lines.py", replay_dir);
	f = fopen(script, "w");
	assert_non_null(f);
	fputs(ip_to_lines_py, f);
	assert_int_equal(fclose(f), 0);
	snprintf(
	    cmd, sizeof(cmd),
	    "PATH=/usr/sbin:/sbin:/usr/bin:/bin ip -s -s -d -j link show | /usr/bin/python3 %s",
	    script);
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		tu_assert_line(out.data, line);
		checked++;
	}
	assert_int_equal(pclose(f), 0);
	unlink(script);
	/* lo and the two veths, ~20 lines each. */
	assert_true(checked >= 3 * 15);
	print_message("%d lines checked against ip -s -s -d -j link show\n", checked);
	ns_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_full_stats64, cleanup_files),
	    cmocka_unit_test_teardown(test_short_stats64, cleanup_files),
	    cmocka_unit_test_teardown(test_stats32_fallback, cleanup_files),
	    cmocka_unit_test_teardown(test_filters, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_intr, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_error, cleanup_files),
	    cmocka_unit_test(test_missing_replay),
	    cmocka_unit_test_teardown(test_odd_messages, cleanup_files),
	    cmocka_unit_test_teardown(test_many_devices, cleanup_files),
	    /* Last: moves the process into a new network namespace. */
	    cmocka_unit_test(test_live_namespace),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
