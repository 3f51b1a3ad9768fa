// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_qdisc.c - the qdisc collector on generated rtnetlink messages.
 *
 * The messages are built here with libmnl and written to a temporary replay
 * directory: "0-18.nl" (RTM_GETLINK), "0-38.nl" (RTM_GETQDISC) and "0-42.nl"
 * (RTM_GETTCLASS; every per-device class dump reads the same file and the
 * collector keeps the classes of the device it asked for). They cover the
 * kinds this kernel lacks (fq_codel, fq, codel, cake, clsact), truncated
 * payloads, the legacy TCA_STATS, 64-bit packet counts, unknown kinds and
 * devices, DUMP_INTR and the device filters. Expected values are literal.
 * The live comparison with tc is tests/integration/test_qdisc.py.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>

#include "testutil.h"

extern const struct ns_collector ns_collector_qdisc;
#define C ns_collector_qdisc

static char replay_dir[PATH_MAX];
static struct tu_nlgen gen;

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

static void write_links(void)
{
	link_msg(1, "lo");
	link_msg(2, "eth0");
	link_msg(3, "veth1");
	link_msg(4, "htb0");
	link_msg(5, "codel0");
	link_msg(6, "old0");
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
}

static struct nlmsghdr *tc_msg(uint16_t type, int ifindex, uint32_t handle, uint32_t parent,
			       const char *kind, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI | flags;
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_handle = handle;
	tcm->tcm_parent = parent;
	if (kind)
		mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return nlh;
}

/* TCA_STATS2 with basic (bytes, packets) and queue stats; @app (len) as TCA_STATS_APP. */
static void put_stats2(struct nlmsghdr *nlh, uint64_t bytes, uint32_t packets, uint32_t qlen,
		       uint32_t backlog, uint32_t drops, uint32_t requeues, uint32_t overlimits,
		       const void *app, size_t applen)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, TCA_STATS2);
	struct gnet_stats_basic b;
	struct gnet_stats_queue q = {qlen, backlog, drops, requeues, overlimits};

	memset(&b, 0, sizeof(b));
	b.bytes = bytes;
	b.packets = packets;
	mnl_attr_put(nlh, TCA_STATS_BASIC, sizeof(b), &b);
	mnl_attr_put(nlh, TCA_STATS_QUEUE, sizeof(q), &q);
	if (app)
		mnl_attr_put(nlh, TCA_STATS_APP, applen, app);
	mnl_attr_nest_end(nlh, nest);
}

static int setup(void **state)
{
	snprintf(replay_dir, sizeof(replay_dir), "%s/ns_test_qdisc.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(replay_dir));
	return 0;
}

static int cleanup_files(void **state)
{
	static const char *const names[] = {"0-18.nl", "0-38.nl", "0-38.2.nl", "0-42.nl"};
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

#define H(maj, min) (((uint32_t)(maj) << 16) | (min))

/* eth0: mq 1: with two fq_codel children and clsact; veth1: fq; lo: cake; codel0: codel. */
static void write_qdiscs(void)
{
	struct nlmsghdr *nlh;
	uint32_t fqc[10] = {
	    0 /* TCA_FQ_CODEL_XSTATS_QDISC */, 1514, 11, 12, 13, 2, 3, 14, 65536, 15};
	uint32_t fqc_class[4] = {1 /* class stats: not emitted */, 7, 8, 9};
	uint64_t fq[19];
	uint32_t fqtail[4] = {0};
	uint32_t codel[9] = {1500, 4, 3, 2500, 0, 21, 22, 1, 23};
	char fqbuf[152];
	struct nlattr *app, *tins, *tin;

	nlh = tc_msg(RTM_NEWQDISC, 2, H(1, 0), TC_H_ROOT, "mq", 0);
	put_stats2(nlh, 3000, 30, 0, 0, 1, 2, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	nlh = tc_msg(RTM_NEWQDISC, 2, 0, H(1, 1), "fq_codel", 0);
	put_stats2(nlh, 1000, 10, 1, 100, 1, 0, 0, fqc, sizeof(fqc));
	tu_nlgen_end(&gen, nlh);
	nlh = tc_msg(RTM_NEWQDISC, 2, 0, H(1, 2), "fq_codel", 0);
	put_stats2(nlh, 2000, 20, 0, 0, 0, 2, 0, fqc_class, sizeof(fqc_class));
	tu_nlgen_end(&gen, nlh);
	nlh = tc_msg(RTM_NEWQDISC, 2, H(0xffff, 0), TC_H_CLSACT, "clsact", 0);
	put_stats2(nlh, 4242, 42, 0, 0, 0, 0, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);

	/* fq with the 6.7+ struct (152 bytes). */
	for (int i = 0; i < 19; i++)
		fq[i] = 100 + i;
	memcpy(fqbuf, fq, 64);
	{
		uint32_t mid[4] = {1000, 900, 5, 12345};

		memcpy(fqbuf + 64, mid, 16);
	}
	for (int i = 8; i < 19 - 4; i++)
		memcpy(fqbuf + 80 + (i - 8) * 8, &fq[i], 8);
	/* 80: ce_mark 108, 88: horizon_drops 109, 96: horizon_caps 110, 104: fastpath 111,
	 * 112..128: band_drops 112 113 114 */
	fqtail[0] = 7;
	fqtail[1] = 8;
	fqtail[2] = 9;
	memcpy(fqbuf + 136, fqtail, 16);
	nlh = tc_msg(RTM_NEWQDISC, 3, H(0x8001, 0), TC_H_ROOT, "fq", 0);
	put_stats2(nlh, 5000, 50, 0, 0, 0, 0, 3, fqbuf, sizeof(fqbuf));
	tu_nlgen_end(&gen, nlh);

	/* cake on lo: nested TCA_STATS_APP with two tins. */
	nlh = tc_msg(RTM_NEWQDISC, 1, H(0x8002, 0), TC_H_ROOT, "cake", 0);
	{
		struct nlattr *s2 = mnl_attr_nest_start(nlh, TCA_STATS2);
		struct gnet_stats_basic b = {77, 7};

		mnl_attr_put(nlh, TCA_STATS_BASIC, sizeof(b), &b);
		app = mnl_attr_nest_start(nlh, TCA_STATS_APP);
		mnl_attr_put_u64(nlh, TCA_CAKE_STATS_CAPACITY_ESTIMATE64, 12500000);
		mnl_attr_put_u32(nlh, TCA_CAKE_STATS_MEMORY_LIMIT, 4194304);
		mnl_attr_put_u32(nlh, TCA_CAKE_STATS_MEMORY_USED, 8192);
		tins = mnl_attr_nest_start(nlh, TCA_CAKE_STATS_TIN_STATS);
		for (int t = 1; t <= 2; t++) {
			tin = mnl_attr_nest_start(nlh, t);
			mnl_attr_put_u32(nlh, TCA_CAKE_TIN_STATS_SENT_PACKETS, 10 * t);
			mnl_attr_put_u64(nlh, TCA_CAKE_TIN_STATS_SENT_BYTES64, 1000ULL * t);
			mnl_attr_put_u32(nlh, TCA_CAKE_TIN_STATS_DROPPED_PACKETS, t);
			mnl_attr_put_u32(nlh, TCA_CAKE_TIN_STATS_ECN_MARKED_PACKETS, 2 * t);
			mnl_attr_put_u32(nlh, TCA_CAKE_TIN_STATS_PEAK_DELAY_US, 1500 * t);
			mnl_attr_put_u32(nlh, TCA_CAKE_TIN_STATS_SPARSE_FLOWS, t + 1);
			mnl_attr_put_u16(nlh, TCA_CAKE_TIN_STATS_BULK_FLOWS, 3); /* too short */
			mnl_attr_nest_end(nlh, tin);
		}
		mnl_attr_nest_end(nlh, tins);
		mnl_attr_nest_end(nlh, app);
		mnl_attr_nest_end(nlh, s2);
	}
	tu_nlgen_end(&gen, nlh);

	/* codel0: codel, then an unknown kind as its ingress with garbage xstats. */
	nlh = tc_msg(RTM_NEWQDISC, 5, H(0x10, 0), TC_H_ROOT, "codel", 0);
	put_stats2(nlh, 1, 1, 0, 0, 0, 0, 0, codel, sizeof(codel));
	tu_nlgen_end(&gen, nlh);
	nlh = tc_msg(RTM_NEWQDISC, 5, H(0xffff, 0), TC_H_INGRESS, "newkind", 0);
	put_stats2(nlh, 9, 1, 0, 0, 0, 0, 0, "\x01\x02\x03", 3);
	tu_nlgen_end(&gen, nlh);

	/* htb0: htb root with direct packets, a pfifo leaf. */
	nlh = tc_msg(RTM_NEWQDISC, 4, H(1, 0), TC_H_ROOT, "htb", 0);
	{
		struct tc_htb_glob g = {3, 10, 0x10, 0, 17};
		struct nlattr *opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);

		mnl_attr_put(nlh, TCA_HTB_INIT, sizeof(g), &g);
		mnl_attr_nest_end(nlh, opt);
	}
	put_stats2(nlh, 600, 6, 0, 0, 2, 0, 40, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	nlh = tc_msg(RTM_NEWQDISC, 4, H(0x10, 0), H(1, 0x10), "pfifo", 0);
	put_stats2(nlh, 600, 6, 3, 4500, 2, 0, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);

	/* old0: only the legacy TCA_STATS, plus TCA_XSTATS for its fq_codel. */
	nlh = tc_msg(RTM_NEWQDISC, 6, H(2, 0), TC_H_ROOT, "fq_codel", 0);
	{
		struct tc_stats s;

		memset(&s, 0, sizeof(s));
		s.bytes = 5555;
		s.packets = 55;
		s.drops = 5;
		s.overlimits = 6;
		s.qlen = 1;
		s.backlog = 60;
		mnl_attr_put(nlh, TCA_STATS, sizeof(s), &s);
		mnl_attr_put(nlh, TCA_XSTATS, sizeof(fqc), fqc);
	}
	tu_nlgen_end(&gen, nlh);

	/* a device that is not in the link dump */
	nlh = tc_msg(RTM_NEWQDISC, 99, H(1, 0), TC_H_ROOT, "pfifo", 0);
	put_stats2(nlh, 1, 1, 0, 0, 0, 0, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	tu_nlgen_write(&gen, replay_dir, "0-38.nl");
}

static void write_classes(void)
{
	struct nlmsghdr *nlh;
	struct tc_htb_xstats hx = {5, 6, 0, 1912500, -64};
	struct tc_htb_opt o;
	struct nlattr *opt;

	memset(&o, 0, sizeof(o));
	o.rate.rate = 125000;
	o.ceil.rate = 250000;
	nlh = tc_msg(RTM_NEWTCLASS, 4, H(1, 1), TC_H_ROOT, "htb", 0);
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_PARMS, sizeof(o), &o);
	mnl_attr_nest_end(nlh, opt);
	put_stats2(nlh, 600, 6, 0, 0, 0, 0, 0, &hx, sizeof(hx));
	tu_nlgen_end(&gen, nlh);

	/* 1:10 with rate and ceil beyond 32 bits (TCA_HTB_RATE64 / CEIL64). */
	hx.lends = 1;
	hx.borrows = 2;
	hx.giants = 3;
	hx.tokens = 0;
	hx.ctokens = 15625;
	o.rate.rate = UINT32_MAX;
	o.ceil.rate = UINT32_MAX;
	nlh = tc_msg(RTM_NEWTCLASS, 4, H(1, 0x10), H(1, 1), "htb", 0);
	opt = mnl_attr_nest_start(nlh, TCA_OPTIONS);
	mnl_attr_put(nlh, TCA_HTB_PARMS, sizeof(o), &o);
	mnl_attr_put_u64(nlh, TCA_HTB_RATE64, 5000000000ULL);
	mnl_attr_put_u64(nlh, TCA_HTB_CEIL64, 6000000000ULL);
	mnl_attr_nest_end(nlh, opt);
	put_stats2(nlh, 600, 6, 3, 4500, 2, 0, 9, &hx, 12 /* truncated: no tokens */);
	tu_nlgen_end(&gen, nlh);

	/* mq classes of eth0 */
	nlh = tc_msg(RTM_NEWTCLASS, 2, H(1, 1), TC_H_ROOT, "mq", 0);
	put_stats2(nlh, 1000, 10, 0, 0, 1, 0, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	nlh = tc_msg(RTM_NEWTCLASS, 2, H(1, 2), TC_H_ROOT, "mq", 0);
	put_stats2(nlh, 2000, 20, 0, 0, 0, 2, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	/* classes of a classless device are never asked for */
	nlh = tc_msg(RTM_NEWTCLASS, 5, H(0x10, 1), TC_H_ROOT, "codel", 0);
	put_stats2(nlh, 1, 1, 0, 0, 0, 0, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	tu_nlgen_write(&gen, replay_dir, "0-42.nl");
}

#define QL(dev, kind, h, p)                                                                        \
	"{device=\"" dev "\",kind=\"" kind "\",handle=\"" h "\",parent=\"" p "\"}"
#define CL(dev, kind, c, p)                                                                        \
	"{device=\"" dev "\",kind=\"" kind "\",classid=\"" c "\",parent=\"" p "\"}"

static void test_all_kinds(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	const char *t;

	write_links();
	write_qdiscs();
	write_classes();
	assert_int_equal(run(NULL, &out), 0);
	t = out.data;

	/* generic counters, tc notation */
	tu_assert_line(t, "netstack_qdisc_bytes_total" QL("eth0", "mq", "1:", "root") " 3000");
	tu_assert_line(t, "netstack_qdisc_packets_total" QL("eth0", "mq", "1:", "root") " 30");
	tu_assert_line(t, "netstack_qdisc_drops_total" QL("eth0", "mq", "1:", "root") " 1");
	tu_assert_line(t, "netstack_qdisc_requeues_total" QL("eth0", "mq", "1:", "root") " 2");
	tu_assert_line(t, "netstack_qdisc_bytes_total" QL("eth0", "fq_codel", "0:", "1:1") " 1000");
	tu_assert_line(t, "netstack_qdisc_queue_length" QL("eth0", "fq_codel", "0:", "1:1") " 1");
	tu_assert_line(t,
		       "netstack_qdisc_backlog_bytes" QL("eth0", "fq_codel", "0:", "1:1") " 100");
	tu_assert_line(
	    t, "netstack_qdisc_bytes_total" QL("eth0", "clsact", "ffff:", "ingress") " 4242");
	tu_assert_line(
	    t, "netstack_qdisc_packets_total" QL("eth0", "clsact", "ffff:", "ingress") " 42");
	tu_assert_line(t,
		       "netstack_qdisc_overlimits_total" QL("veth1", "fq", "8001:", "root") " 3");
	tu_assert_line(t, "# TYPE netstack_qdisc_bytes_total counter");
	tu_assert_line(t, "# TYPE netstack_qdisc_backlog_bytes gauge");

	/* fq_codel qdisc xstats; the class-typed xstats of 1:2 emit nothing */
	tu_assert_line(t, "netstack_qdisc_fq_codel_max_packet_bytes" QL("eth0", "fq_codel",
									"0:", "1:1") " 1514");
	tu_assert_line(t, "netstack_qdisc_fq_codel_drop_overlimit_total" QL("eth0", "fq_codel",
									    "0:", "1:1") " 11");
	tu_assert_line(
	    t, "netstack_qdisc_fq_codel_ecn_marks_total" QL("eth0", "fq_codel", "0:", "1:1") " 12");
	tu_assert_line(t, "netstack_qdisc_fq_codel_new_flow_count_total" QL("eth0", "fq_codel",
									    "0:", "1:1") " 13");
	tu_assert_line(
	    t, "netstack_qdisc_fq_codel_new_flows" QL("eth0", "fq_codel", "0:", "1:1") " 2");
	tu_assert_line(
	    t, "netstack_qdisc_fq_codel_old_flows" QL("eth0", "fq_codel", "0:", "1:1") " 3");
	tu_assert_line(
	    t, "netstack_qdisc_fq_codel_ce_marks_total" QL("eth0", "fq_codel", "0:", "1:1") " 14");
	tu_assert_line(t, "netstack_qdisc_fq_codel_memory_usage_bytes" QL("eth0", "fq_codel",
									  "0:", "1:1") " 65536");
	tu_assert_line(t, "netstack_qdisc_fq_codel_drop_overmemory_total" QL("eth0", "fq_codel",
									     "0:", "1:1") " 15");
	tu_assert_no_line_prefix(
	    t, "netstack_qdisc_fq_codel_max_packet_bytes" QL("eth0", "fq_codel", "0:", "1:2"));

	/* fq */
	tu_assert_line(
	    t, "netstack_qdisc_fq_gc_flows_total" QL("veth1", "fq", "8001:", "root") " 100");
	tu_assert_line(t, "netstack_qdisc_fq_highprio_packets_total" QL("veth1", "fq",
									"8001:", "root") " 101");
	tu_assert_line(
	    t, "netstack_qdisc_fq_throttled_total" QL("veth1", "fq", "8001:", "root") " 103");
	tu_assert_line(
	    t, "netstack_qdisc_fq_flows_plimit_total" QL("veth1", "fq", "8001:", "root") " 104");
	tu_assert_line(
	    t, "netstack_qdisc_fq_pkts_too_long_total" QL("veth1", "fq", "8001:", "root") " 105");
	tu_assert_line(t, "netstack_qdisc_fq_allocation_errors_total" QL("veth1", "fq",
									 "8001:", "root") " 106");
	tu_assert_line(t, "netstack_qdisc_fq_flows" QL("veth1", "fq", "8001:", "root") " 1000");
	tu_assert_line(
	    t, "netstack_qdisc_fq_inactive_flows" QL("veth1", "fq", "8001:", "root") " 900");
	tu_assert_line(t,
		       "netstack_qdisc_fq_throttled_flows" QL("veth1", "fq", "8001:", "root") " 5");
	tu_assert_line(t, "netstack_qdisc_fq_unthrottle_latency_seconds" QL(
			      "veth1", "fq", "8001:", "root") " 1.2345e-05");
	tu_assert_line(
	    t, "netstack_qdisc_fq_ce_marks_total" QL("veth1", "fq", "8001:", "root") " 108");
	tu_assert_line(
	    t, "netstack_qdisc_fq_horizon_drops_total" QL("veth1", "fq", "8001:", "root") " 109");
	tu_assert_line(
	    t, "netstack_qdisc_fq_horizon_caps_total" QL("veth1", "fq", "8001:", "root") " 110");
	tu_assert_line(t, "netstack_qdisc_fq_fastpath_packets_total" QL("veth1", "fq",
									"8001:", "root") " 111");
	tu_assert_line(t, "netstack_qdisc_fq_band_drops_total{device=\"veth1\",kind=\"fq\",handle="
			  "\"8001:\",parent=\"root\",band=\"0\"} 112");
	tu_assert_line(t, "netstack_qdisc_fq_band_drops_total{device=\"veth1\",kind=\"fq\",handle="
			  "\"8001:\",parent=\"root\",band=\"2\"} 114");
	tu_assert_line(t, "netstack_qdisc_fq_band_packets{device=\"veth1\",kind=\"fq\",handle="
			  "\"8001:\",parent=\"root\",band=\"1\"} 8");

	/* cake */
	tu_assert_line(t, "netstack_qdisc_cake_capacity_estimate_bytes_per_second" QL(
			      "lo", "cake", "8002:", "root") " 12500000");
	tu_assert_line(t, "netstack_qdisc_cake_memory_limit_bytes" QL("lo", "cake",
								      "8002:", "root") " 4194304");
	tu_assert_line(
	    t, "netstack_qdisc_cake_memory_used_bytes" QL("lo", "cake", "8002:", "root") " 8192");
	tu_assert_line(t, "netstack_qdisc_cake_tin_sent_packets_total{device=\"lo\",kind=\"cake\","
			  "handle=\"8002:\",parent=\"root\",tin=\"0\"} 10");
	tu_assert_line(t, "netstack_qdisc_cake_tin_sent_bytes_total{device=\"lo\",kind=\"cake\","
			  "handle=\"8002:\",parent=\"root\",tin=\"1\"} 2000");
	tu_assert_line(t, "netstack_qdisc_cake_tin_dropped_packets_total{device=\"lo\",kind="
			  "\"cake\",handle=\"8002:\",parent=\"root\",tin=\"1\"} 2");
	tu_assert_line(t, "netstack_qdisc_cake_tin_ecn_marked_packets_total{device=\"lo\",kind="
			  "\"cake\",handle=\"8002:\",parent=\"root\",tin=\"0\"} 2");
	tu_assert_line(t, "netstack_qdisc_cake_tin_peak_delay_seconds{device=\"lo\",kind=\"cake\","
			  "handle=\"8002:\",parent=\"root\",tin=\"1\"} 0.003");
	tu_assert_line(t, "netstack_qdisc_cake_tin_sparse_flows{device=\"lo\",kind=\"cake\",handle="
			  "\"8002:\",parent=\"root\",tin=\"0\"} 2");
	tu_assert_no_line_prefix(t, "netstack_qdisc_cake_tin_bulk_flows");
	tu_assert_no_line_prefix(t, "netstack_qdisc_cake_tin_average_delay_seconds");
	/* cake sent no TCA_STATS_QUEUE: no queue series for it */
	tu_assert_line(t, "netstack_qdisc_packets_total" QL("lo", "cake", "8002:", "root") " 7");
	tu_assert_no_line_prefix(t, "netstack_qdisc_drops_total" QL("lo", "cake", "8002:", "root"));

	/* codel and an unknown kind */
	tu_assert_line(t, "netstack_qdisc_codel_max_packet_bytes" QL("codel0", "codel",
								     "10:", "root") " 1500");
	tu_assert_line(t, "netstack_qdisc_codel_count" QL("codel0", "codel", "10:", "root") " 4");
	tu_assert_line(
	    t, "netstack_qdisc_codel_delay_seconds" QL("codel0", "codel", "10:", "root") " 0.0025");
	tu_assert_line(t, "netstack_qdisc_codel_drop_overlimit_total" QL("codel0", "codel",
									 "10:", "root") " 21");
	tu_assert_line(
	    t, "netstack_qdisc_codel_ecn_marks_total" QL("codel0", "codel", "10:", "root") " 22");
	tu_assert_line(t,
		       "netstack_qdisc_codel_dropping" QL("codel0", "codel", "10:", "root") " 1");
	tu_assert_line(
	    t, "netstack_qdisc_codel_ce_marks_total" QL("codel0", "codel", "10:", "root") " 23");
	tu_assert_line(
	    t, "netstack_qdisc_bytes_total" QL("codel0", "newkind", "ffff:", "ingress") " 9");

	/* htb */
	tu_assert_line(
	    t, "netstack_qdisc_htb_direct_packets_total" QL("htb0", "htb", "1:", "root") " 17");
	tu_assert_line(t, "netstack_qdisc_overlimits_total" QL("htb0", "htb", "1:", "root") " 40");
	tu_assert_line(t,
		       "netstack_qdisc_backlog_bytes" QL("htb0", "pfifo", "10:", "1:10") " 4500");
	tu_assert_line(t,
		       "netstack_qdisc_class_bytes_total" CL("htb0", "htb", "1:1", "root") " 600");
	tu_assert_line(
	    t, "netstack_qdisc_htb_class_lends_total" CL("htb0", "htb", "1:1", "root") " 5");
	tu_assert_line(
	    t, "netstack_qdisc_htb_class_borrows_total" CL("htb0", "htb", "1:1", "root") " 6");
	tu_assert_line(
	    t, "netstack_qdisc_htb_class_giants_total" CL("htb0", "htb", "1:1", "root") " 0");
	tu_assert_line(t, "netstack_qdisc_htb_class_tokens_seconds" CL("htb0", "htb", "1:1",
								       "root") " 0.1224");
	tu_assert_line(t, "netstack_qdisc_htb_class_ctokens_seconds" CL("htb0", "htb", "1:1",
									"root") " -4.096e-06");
	tu_assert_line(t, "netstack_qdisc_htb_class_rate_bytes_per_second" CL("htb0", "htb", "1:1",
									      "root") " 125000");
	tu_assert_line(t, "netstack_qdisc_htb_class_ceil_bytes_per_second" CL("htb0", "htb", "1:1",
									      "root") " 250000");
	tu_assert_line(t, "netstack_qdisc_htb_class_rate_bytes_per_second" CL("htb0", "htb", "1:10",
									      "1:1") " 5000000000");
	tu_assert_line(t, "netstack_qdisc_htb_class_ceil_bytes_per_second" CL("htb0", "htb", "1:10",
									      "1:1") " 6000000000");
	tu_assert_line(
	    t, "netstack_qdisc_htb_class_giants_total" CL("htb0", "htb", "1:10", "1:1") " 3");
	tu_assert_no_line_prefix(
	    t, "netstack_qdisc_htb_class_tokens_seconds" CL("htb0", "htb", "1:10", "1:1"));
	tu_assert_line(t,
		       "netstack_qdisc_class_queue_length" CL("htb0", "htb", "1:10", "1:1") " 3");
	tu_assert_line(
	    t, "netstack_qdisc_class_overlimits_total" CL("htb0", "htb", "1:10", "1:1") " 9");
	tu_assert_line(t,
		       "netstack_qdisc_class_requeues_total" CL("eth0", "mq", "1:2", "root") " 2");
	/* classes are read only for devices with a classful qdisc, and only their own */
	tu_assert_no_line_prefix(t, "netstack_qdisc_class_bytes_total{device=\"codel0\"");
	{
		const char *p =
		    strstr(t, "netstack_qdisc_class_bytes_total" CL("eth0", "mq", "1:1", "root"));

		assert_non_null(p);
		assert_null(strstr(
		    p + 1, "netstack_qdisc_class_bytes_total" CL("eth0", "mq", "1:1", "root")));
	}

	/* legacy TCA_STATS + TCA_XSTATS */
	tu_assert_line(t,
		       "netstack_qdisc_bytes_total" QL("old0", "fq_codel", "2:", "root") " 5555");
	tu_assert_line(t,
		       "netstack_qdisc_packets_total" QL("old0", "fq_codel", "2:", "root") " 55");
	tu_assert_line(t, "netstack_qdisc_drops_total" QL("old0", "fq_codel", "2:", "root") " 5");
	tu_assert_line(t,
		       "netstack_qdisc_overlimits_total" QL("old0", "fq_codel", "2:", "root") " 6");
	tu_assert_line(t,
		       "netstack_qdisc_backlog_bytes" QL("old0", "fq_codel", "2:", "root") " 60");
	tu_assert_no_line_prefix(
	    t, "netstack_qdisc_requeues_total" QL("old0", "fq_codel", "2:", "root"));
	tu_assert_line(t, "netstack_qdisc_fq_codel_ecn_marks_total" QL("old0", "fq_codel",
								       "2:", "root") " 12");

	/* root info: mq shows its children's kind once */
	tu_assert_line(t, "netstack_qdisc_root_info{device=\"eth0\",kind=\"fq_codel\"} 1");
	tu_assert_no_line_prefix(t, "netstack_qdisc_root_info{device=\"eth0\",kind=\"mq\"}");
	tu_assert_line(t, "netstack_qdisc_root_info{device=\"veth1\",kind=\"fq\"} 1");
	tu_assert_line(t, "netstack_qdisc_root_info{device=\"lo\",kind=\"cake\"} 1");
	tu_assert_line(t, "netstack_qdisc_root_info{device=\"htb0\",kind=\"htb\"} 1");
	tu_assert_line(t, "netstack_qdisc_root_info{device=\"codel0\",kind=\"codel\"} 1");
	tu_assert_line(t, "# TYPE netstack_qdisc_root_info gauge");
	/* unknown device */
	tu_assert_no_line_prefix(t, "netstack_qdisc_bytes_total{device=\"\"");
	ns_buf_free(&out);
}

/* Truncated payloads: only the fields inside the payload. */
static void test_truncated(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	uint32_t fqc[10] = {0, 1514, 11, 12, 13, 2, 3, 14, 65536, 15};
	struct gnet_stats_queue q = {1, 2, 3, 4, 5};
	struct gnet_stats_basic b = {123, 4};
	uint64_t fq[9] = {1, 2, 3, 4, 5, 6, 7, 8, 0};
	struct nlmsghdr *nlh;
	struct nlattr *s2;

	link_msg(2, "eth0");
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
	nlh = tc_msg(RTM_NEWQDISC, 2, H(1, 0), TC_H_ROOT, "fq_codel", 0);
	s2 = mnl_attr_nest_start(nlh, TCA_STATS2);
	mnl_attr_put(nlh, TCA_STATS_BASIC, 8, &b); /* bytes only */
	mnl_attr_put(nlh, TCA_STATS_QUEUE, 8, &q); /* qlen and backlog only */
	mnl_attr_put(nlh, TCA_STATS_APP, 16, fqc); /* type, maxpacket, drop_overlimit, ecn_mark */
	mnl_attr_nest_end(nlh, s2);
	tu_nlgen_end(&gen, nlh);
	/* fq with the 4.x struct: 64 bytes, no flows counts */
	nlh = tc_msg(RTM_NEWQDISC, 2, H(2, 0), H(1, 1), "fq", 0);
	s2 = mnl_attr_nest_start(nlh, TCA_STATS2);
	mnl_attr_put(nlh, TCA_STATS_BASIC, sizeof(b), &b);
	mnl_attr_put_u64(nlh, TCA_STATS_PKT64, 5000000000ULL); /* packets past 2^32 */
	mnl_attr_put(nlh, TCA_STATS_APP, 64, fq);
	mnl_attr_nest_end(nlh, s2);
	tu_nlgen_end(&gen, nlh);
	/* no TCA_KIND: skipped; too short for a tcmsg: skipped */
	nlh = tc_msg(RTM_NEWQDISC, 2, H(3, 0), H(1, 2), NULL, 0);
	tu_nlgen_end(&gen, nlh);
	nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	nlh->nlmsg_type = RTM_NEWQDISC;
	tu_nlgen_end(&gen, nlh);
	tu_nlgen_write(&gen, replay_dir, "0-38.nl");

	assert_int_equal(run(NULL, &out), 0);
	tu_assert_line(out.data,
		       "netstack_qdisc_bytes_total" QL("eth0", "fq_codel", "1:", "root") " 123");
	tu_assert_no_line_prefix(
	    out.data, "netstack_qdisc_packets_total" QL("eth0", "fq_codel", "1:", "root"));
	tu_assert_line(out.data,
		       "netstack_qdisc_queue_length" QL("eth0", "fq_codel", "1:", "root") " 1");
	tu_assert_line(out.data,
		       "netstack_qdisc_backlog_bytes" QL("eth0", "fq_codel", "1:", "root") " 2");
	tu_assert_no_line_prefix(out.data, "netstack_qdisc_drops_total");
	tu_assert_no_line_prefix(out.data, "netstack_qdisc_overlimits_total");
	tu_assert_line(out.data, "netstack_qdisc_fq_codel_ecn_marks_total" QL("eth0", "fq_codel",
									      "1:", "root") " 12");
	tu_assert_no_line_prefix(out.data, "netstack_qdisc_fq_codel_new_flow_count_total");
	tu_assert_no_line_prefix(out.data, "netstack_qdisc_fq_codel_drop_overmemory_total");
	tu_assert_line(out.data,
		       "netstack_qdisc_packets_total" QL("eth0", "fq", "2:", "1:1") " 5000000000");
	tu_assert_line(out.data, "netstack_qdisc_fq_allocation_errors_total" QL("eth0", "fq",
										"2:", "1:1") " 7");
	tu_assert_no_line_prefix(out.data, "netstack_qdisc_fq_flows{");
	tu_assert_no_line_prefix(out.data, "netstack_qdisc_fq_ce_marks_total");
	tu_assert_no_line_prefix(out.data,
				 "netstack_qdisc_bytes_total" QL("eth0", "", "3:", "1:2"));
	ns_buf_free(&out);
}

static void filter_case(const char *inc, const char *exc, const char *present, const char *absent)
{
	struct ns_opts *o = ns_opts_new(C.name, C.options);
	struct ns_buf out = NS_BUF_INIT;
	struct ns_err e = {{0}};
	char line[128];

	if (inc)
		assert_int_equal(ns_opts_set(o, "device-include", inc, &e), 0);
	if (exc)
		assert_int_equal(ns_opts_set(o, "device-exclude", exc, &e), 0);
	write_links();
	write_qdiscs();
	write_classes();
	assert_int_equal(run(o, &out), 0);
	snprintf(line, sizeof(line), "netstack_qdisc_root_info{device=\"%s\"", present);
	assert_true(tu_has_prefix_line(out.data, line));
	snprintf(line, sizeof(line), "netstack_qdisc_root_info{device=\"%s\"", absent);
	tu_assert_no_line_prefix(out.data, line);
	snprintf(line, sizeof(line), "netstack_qdisc_bytes_total{device=\"%s\"", absent);
	tu_assert_no_line_prefix(out.data, line);
	snprintf(line, sizeof(line), "netstack_qdisc_class_bytes_total{device=\"%s\"", absent);
	tu_assert_no_line_prefix(out.data, line);
	ns_buf_free(&out);
	ns_opts_free(o);
	cleanup_files(NULL);
}

static void test_filters(void **state)
{
	filter_case("^htb", NULL, "htb0", "eth0");
	filter_case(NULL, "htb", "eth0", "htb0");
	filter_case("eth", "^eth0$", "veth1", "eth0");
}

/* An interrupted qdisc dump: only the restarted snapshot is emitted. */
static void test_dump_intr(void **state)
{
	struct ns_buf out = NS_BUF_INIT;
	struct nlmsghdr *nlh;

	link_msg(2, "eth0");
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
	nlh = tc_msg(RTM_NEWQDISC, 2, H(1, 0), TC_H_ROOT, "pfifo", 0);
	put_stats2(nlh, 1, 1, 0, 0, 0, 0, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	nlh = tc_msg(RTM_NEWQDISC, 2, H(0xffff, 0), TC_H_INGRESS, "ingress", NLM_F_DUMP_INTR);
	tu_nlgen_end(&gen, nlh);
	tu_nlgen_write(&gen, replay_dir, "0-38.nl");
	nlh = tc_msg(RTM_NEWQDISC, 2, H(1, 0), TC_H_ROOT, "pfifo", 0);
	put_stats2(nlh, 2, 2, 0, 0, 0, 0, 0, NULL, 0);
	tu_nlgen_end(&gen, nlh);
	tu_nlgen_write(&gen, replay_dir, "0-38.2.nl");
	assert_int_equal(run(NULL, &out), 0);
	tu_assert_line(out.data,
		       "netstack_qdisc_bytes_total" QL("eth0", "pfifo", "1:", "root") " 2");
	tu_assert_no_line_prefix(out.data,
				 "netstack_qdisc_bytes_total{device=\"eth0\",kind=\"ingress\"");
	ns_buf_free(&out);
}

/* One cake qdisc with capacity @cap and one tin sending @pkts packets. */
static void cake_msg(int ifindex, uint32_t handle, uint64_t cap, uint32_t pkts, uint16_t flags)
{
	struct nlmsghdr *nlh = tc_msg(RTM_NEWQDISC, ifindex, handle, TC_H_ROOT, "cake", flags);
	struct nlattr *s2 = mnl_attr_nest_start(nlh, TCA_STATS2), *app, *tins, *tin;

	app = mnl_attr_nest_start(nlh, TCA_STATS_APP);
	mnl_attr_put_u64(nlh, TCA_CAKE_STATS_CAPACITY_ESTIMATE64, cap);
	tins = mnl_attr_nest_start(nlh, TCA_CAKE_STATS_TIN_STATS);
	tin = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_u32(nlh, TCA_CAKE_TIN_STATS_SENT_PACKETS, pkts);
	mnl_attr_nest_end(nlh, tin);
	mnl_attr_nest_end(nlh, tins);
	mnl_attr_nest_end(nlh, app);
	mnl_attr_nest_end(nlh, s2);
	tu_nlgen_end(&gen, nlh);
}

/*
 * Several cake qdiscs, each with its own statistics, also when the dump is
 * interrupted after one (the restarted snapshot's values only).
 */
static void test_cake_many(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	link_msg(2, "eth0");
	link_msg(3, "eth1");
	link_msg(4, "eth2");
	tu_nlgen_write(&gen, replay_dir, "0-18.nl");
	cake_msg(2, H(0x8001, 0), 999, 99, 0);
	cake_msg(3, H(0x8002, 0), 998, 98, NLM_F_DUMP_INTR);
	tu_nlgen_write(&gen, replay_dir, "0-38.nl");
	cake_msg(2, H(0x8001, 0), 1000, 10, 0);
	cake_msg(3, H(0x8002, 0), 2000, 20, 0);
	cake_msg(4, H(0x8003, 0), 3000, 30, 0);
	tu_nlgen_write(&gen, replay_dir, "0-38.2.nl");
	assert_int_equal(run(NULL, &out), 0);
	for (int i = 0; i < 3; i++) {
		char dev[8], h[8], line[256];

		snprintf(dev, sizeof(dev), "eth%d", i);
		snprintf(h, sizeof(h), "800%d:", i + 1);
		snprintf(line, sizeof(line),
			 "netstack_qdisc_cake_capacity_estimate_bytes_per_second" QL(
			     "%s", "cake", "%s", "root") " %d",
			 dev, h, 1000 * (i + 1));
		tu_assert_line(out.data, line);
		snprintf(line, sizeof(line),
			 "netstack_qdisc_cake_tin_sent_packets_total{device=\"%s\",kind=\"cake\","
			 "handle=\"%s\",parent=\"root\",tin=\"0\"} %d",
			 dev, h, 10 * (i + 1));
		tu_assert_line(out.data, line);
	}
	tu_assert_no_line_prefix(out.data, "netstack_qdisc_cake_capacity_estimate_bytes_per_second"
					   "{device=\"eth0\",kind=\"cake\",handle=\"8001:\","
					   "parent=\"root\"} 999");
	ns_buf_free(&out);
}

/* A failing class dump is reported, the qdiscs read are still emitted. */
static void test_missing_class_replay(void **state)
{
	struct ns_buf out = NS_BUF_INIT;

	write_links();
	write_qdiscs();
	assert_int_equal(run(NULL, &out), -ENOENT);
	tu_assert_line(out.data,
		       "netstack_qdisc_bytes_total" QL("eth0", "mq", "1:", "root") " 3000");
	ns_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_all_kinds, cleanup_files),
	    cmocka_unit_test_teardown(test_truncated, cleanup_files),
	    cmocka_unit_test_teardown(test_filters, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_intr, cleanup_files),
	    cmocka_unit_test_teardown(test_cake_many, cleanup_files),
	    cmocka_unit_test_teardown(test_missing_class_replay, cleanup_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
