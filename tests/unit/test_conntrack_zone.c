// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_conntrack_zone.c - the conntrack breakdown by zone and helper, and
 * the expectation count, against ctnetlink messages built here the way
 * net/netfilter/nf_conntrack_netlink.c builds them (CTA_ZONE a big-endian
 * u16, CTA_HELP a nest with CTA_HELP_NAME, one IPCTNL_MSG_EXP_NEW message
 * per expectation): exact counts, the zone-max and top-k caps, space-saving
 * across zones (src/topk.h's lower bound), and replay edge cases (a
 * truncated message, unknown attributes, a wrong-sized CTA_ZONE, empty
 * dumps, a missing expectation recording).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>

#include "testutil.h"

extern const struct ns_collector ns_collector_conntrack;
#define C ns_collector_conntrack

#define T_NEW ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW)
#define T_STATS ((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET_STATS)
#define T_EXP_NEW ((NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW)

static char dir[PATH_MAX];
static struct tu_nlgen gen;
static struct ns_buf out = NS_BUF_INIT;

static struct nlmsghdr *nf_msg(uint16_t type, uint8_t family)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_MULTI;
	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	return nlh;
}

struct ent {
	const char *src, *dst;
	uint8_t proto;
	uint16_t dport;
	int zone;	    /* -1: no CTA_ZONE (the kernel's default zone) */
	const char *helper; /* NULL: none */
};

static void put_entry(const struct ent *x, int unknown)
{
	struct nlmsghdr *nlh = nf_msg(T_NEW, AF_INET);
	struct nlattr *t = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG), *n;
	struct in_addr a;

	n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	inet_pton(AF_INET, x->src, &a);
	mnl_attr_put(nlh, CTA_IP_V4_SRC, 4, &a);
	inet_pton(AF_INET, x->dst, &a);
	mnl_attr_put(nlh, CTA_IP_V4_DST, 4, &a);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, x->proto);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(40000));
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(x->dport));
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, t);
	if (unknown) /* attributes no kernel sends yet: top level and nested */
		mnl_attr_put_u32(nlh, 200, 0xdeadbeef);
	if (x->zone >= 0)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons((uint16_t)x->zone));
	if (x->helper) {
		n = mnl_attr_nest_start(nlh, CTA_HELP);
		mnl_attr_put_strz(nlh, CTA_HELP_NAME, x->helper);
		if (unknown)
			mnl_attr_put_u32(nlh, 77, 1);
		mnl_attr_nest_end(nlh, n);
	}
	tu_nlgen_end(&gen, nlh);
}

static void put_done(void)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(gen.buf + gen.len);
	int zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(nlh, sizeof(zero));
	tu_nlgen_end(&gen, nlh);
}

/* Global statistics, empty per-CPU dumps; @nexp expectations (-1: no file). */
static void write_base(uint32_t entries, int nexp)
{
	struct nlmsghdr *nlh = nf_msg(T_STATS, AF_UNSPEC);

	nlh->nlmsg_flags = 0;
	mnl_attr_put_u32(nlh, CTA_STATS_GLOBAL_ENTRIES, htonl(entries));
	mnl_attr_put_u32(nlh, CTA_STATS_GLOBAL_MAX_ENTRIES, htonl(65536));
	tu_nlgen_end(&gen, nlh);
	tu_nlgen_write(&gen, dir, "12-261.nl");
	put_done();
	tu_nlgen_write(&gen, dir, "12-260.nl");
	put_done();
	tu_nlgen_write(&gen, dir, "12-515.nl");
	if (nexp < 0) {
		char path[PATH_MAX + 16];

		snprintf(path, sizeof(path), "%s/12-513.nl", dir);
		unlink(path);
		return;
	}
	for (int i = 0; i < nexp; i++) {
		nlh = nf_msg(T_EXP_NEW, AF_INET);
		mnl_attr_put_u32(nlh, CTA_EXPECT_TIMEOUT, htonl(300));
		tu_nlgen_end(&gen, nlh);
	}
	put_done();
	tu_nlgen_write(&gen, dir, "12-513.nl");
}

static void write_dump(const struct ent *e, size_t n, int unknown)
{
	for (size_t i = 0; i < n; i++)
		put_entry(&e[i], unknown);
	put_done();
	tu_nlgen_write(&gen, dir, "12-257.nl");
}

static int run(const char *const *kv)
{
	struct ns_opts *o = tu_opts_of(&C, kv);
	int rc = tu_collect(&C, "conntrack/proc-new", NULL, dir, o, NS_FMT_TEXT, &out);

	if (getenv("TU_VERBOSE"))
		fputs(out.data, stderr);
	ns_opts_free(o);
	return rc;
}

#define OPTS(...) ((const char *const[]){__VA_ARGS__, NULL})

static size_t count_prefix(const char *prefix)
{
	size_t n = 0, len = strlen(prefix);

	for (const char *p = out.data; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, prefix, len) == 0)
			n++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return n;
}

static const struct ent zoned[] = {
    {"10.0.0.1", "10.9.0.1", 6, 80, -1, NULL},
    {"10.0.0.1", "10.9.0.1", 6, 80, 0, NULL},
    {"10.0.0.2", "10.9.0.2", 17, 53, -1, NULL},
    {"10.7.0.1", "10.9.0.1", 6, 443, 7, NULL},
    {"10.7.0.1", "10.9.0.1", 6, 443, 7, NULL},
    {"10.7.0.1", "10.9.0.1", 6, 443, 7, "ftp"},
    {"10.7.0.2", "10.9.0.5", 6, 21, 7, "ftp"},
    {"10.9.0.1", "10.9.0.9", 17, 123, 9, NULL},
    {"10.9.0.2", "10.9.0.9", 17, 69, 9, "tftp"},
    {"10.8.0.1", "10.9.0.9", 17, 69, 65535, "tftp"},
    {"10.8.0.1", "10.9.0.9", 17, 5060, 65535, "sip"},
};
#define NZONED (sizeof(zoned) / sizeof(zoned[0]))

static void test_zones_exact(void **unused)
{
	write_base(NZONED, 2);
	write_dump(zoned, NZONED, 0);
	assert_int_equal(run(NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_expect_entries 2");
	tu_assert_line(out.data, "netstack_conntrack_zones 4");
	/* No CTA_ZONE and CTA_ZONE 0 are the same zone. */
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"0\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"7\"} 4");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"9\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"65535\"} 2");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_zone_entries{zone=\"other\"}");
	tu_assert_line(out.data, "netstack_conntrack_zone_top_source_entries{zone=\"7\","
				 "family=\"ipv4\",address=\"10.7.0.1\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_zone_top_source_entries{zone=\"0\","
				 "family=\"ipv4\",address=\"10.0.0.1\"} 2");
	tu_assert_line(out.data,
		       "netstack_conntrack_zone_top_destination_entries{zone=\"7\","
		       "family=\"ipv4\",protocol=\"tcp\",address=\"10.9.0.1\",port=\"443\"} 3");
	tu_assert_line(out.data,
		       "netstack_conntrack_zone_top_destination_entries{zone=\"65535\","
		       "family=\"ipv4\",protocol=\"udp\",address=\"10.9.0.9\",port=\"5060\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_zone_top_exact{table=\"source\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_helper_entries{helper=\"ftp\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_helper_entries{helper=\"tftp\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_helper_entries{helper=\"sip\"} 1");
	/* The zone-less breakdown is unchanged by zones. */
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 11");
	tu_assert_line(out.data, "netstack_conntrack_top_source_entries{family=\"ipv4\","
				 "address=\"10.7.0.1\"} 3");
	/* Zone order: largest first, then lower id. */
	assert_true(strstr(out.data, "zone_entries{zone=\"7\"}") <
		    strstr(out.data, "zone_entries{zone=\"0\"}"));
	assert_true(strstr(out.data, "zone_entries{zone=\"9\"}") <
		    strstr(out.data, "zone_entries{zone=\"65535\"}"));
}

static void test_zone_caps(void **unused)
{
	write_base(NZONED, 0);
	write_dump(zoned, NZONED, 0);
	assert_int_equal(run(OPTS("zone-max=2", "top-k=1")), 0);
	tu_assert_line(out.data, "netstack_conntrack_expect_entries 0");
	tu_assert_line(out.data, "netstack_conntrack_zones 4");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"7\"} 4");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"0\"} 3");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"other\"} 4");
	assert_int_equal(count_prefix("netstack_conntrack_zone_entries{"), 3);
	assert_int_equal(count_prefix("netstack_conntrack_zone_top_source_entries{"), 2);
	assert_int_equal(count_prefix("netstack_conntrack_zone_top_destination_entries{"), 2);

	assert_int_equal(run(OPTS("zone-max=0")), 0);
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"other\"} 11");
	assert_int_equal(count_prefix("netstack_conntrack_zone_entries{"), 1);
	assert_int_equal(count_prefix("netstack_conntrack_zone_top_source_entries{"), 0);

	assert_int_equal(run(OPTS("zone-max=1025")), -EINVAL);
}

/* Space-saving over (zone, key): two tracked pairs, three zones. */
static void test_zone_space_saving(void **unused)
{
	static const struct ent e[] = {
	    {"10.0.0.1", "10.9.0.1", 6, 80, 1, NULL}, {"10.0.0.1", "10.9.0.1", 6, 80, 1, NULL},
	    {"10.0.0.1", "10.9.0.1", 6, 80, 1, NULL}, {"10.0.0.2", "10.9.0.1", 6, 80, 2, NULL},
	    {"10.0.0.3", "10.9.0.1", 6, 80, 3, NULL},
	};

	write_base(5, 0);
	write_dump(e, 5, 0);
	assert_int_equal(run(OPTS("top-k=2", "top-tracked=2")), 0);
	tu_assert_line(out.data, "netstack_conntrack_zone_top_exact{table=\"source\"} 0");
	tu_assert_line(out.data, "netstack_conntrack_zone_top_source_entries{zone=\"1\","
				 "family=\"ipv4\",address=\"10.0.0.1\"} 3");
	/*
	 * 10.0.0.3 in zone 3 took 10.0.0.2's place: table count 2, of which 1
	 * inherited; the exposed lower bound (src/topk.h) is 1, its true count.
	 */
	tu_assert_line(out.data, "netstack_conntrack_zone_top_source_entries{zone=\"3\","
				 "family=\"ipv4\",address=\"10.0.0.3\"} 1");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_zone_top_source_entries{zone=\"2\"");
	/* Zone counts themselves are exact. */
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"2\"} 1");
}

static void test_zone0_only_adds_nothing(void **unused)
{
	static const struct ent e[] = {
	    {"10.0.0.1", "10.9.0.1", 6, 80, -1, NULL},
	    {"10.0.0.2", "10.9.0.1", 6, 80, 0, NULL},
	};

	write_base(2, -1);
	write_dump(e, 2, 0);
	assert_int_equal(run(NULL), 0);
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_zone");
	tu_assert_no_line_prefix(out.data, "# HELP netstack_conntrack_zone");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_helper_entries");
	/* No expectation recording (no ctnetlink_exp): the series is absent, no error. */
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_expect_entries ");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 2");
}

static void test_empty_dumps(void **unused)
{
	write_base(0, 0);
	write_dump(NULL, 0, 0);
	assert_int_equal(run(NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_expect_entries 0");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_scanned_entries 0");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_zone");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_helper_entries");
}

static void test_unknown_attributes(void **unused)
{
	write_base(NZONED, 1);
	write_dump(zoned, NZONED, 1);
	assert_int_equal(run(NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"7\"} 4");
	tu_assert_line(out.data, "netstack_conntrack_helper_entries{helper=\"ftp\"} 2");
	tu_assert_line(out.data, "netstack_conntrack_breakdown_unparsed_entries 0");
}

/* A CTA_ZONE of the wrong size would make the library exit(): not parsed. */
static void test_bad_zone_size(void **unused)
{
	struct nlmsghdr *nlh;
	uint32_t z = htonl(7);

	write_base(2, 0);
	put_entry(&zoned[3], 0);
	nlh = nf_msg(T_NEW, AF_INET);
	mnl_attr_put(nlh, CTA_ZONE, sizeof(z), &z);
	tu_nlgen_end(&gen, nlh);
	put_done();
	tu_nlgen_write(&gen, dir, "12-257.nl");
	assert_int_equal(run(NULL), 0);
	tu_assert_line(out.data, "netstack_conntrack_breakdown_unparsed_entries 1");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"7\"} 1");
	tu_assert_line(out.data, "netstack_conntrack_zone_entries{zone=\"0\"} 1");
}

/* Truncated: the last entry and the expectation message end mid-attribute. */
static void test_truncated(void **unused)
{
	struct nlmsghdr *nlh, *second;
	size_t first;

	write_base(3, 0);
	put_entry(&zoned[3], 0);
	put_entry(&zoned[5], 0);
	/* The second message ends (and the file with it) inside its tuple. */
	first = NLMSG_ALIGN(((struct nlmsghdr *)gen.buf)->nlmsg_len);
	second = (struct nlmsghdr *)(gen.buf + first);
	second->nlmsg_len = 40;
	gen.len = first + 40;
	tu_nlgen_write(&gen, dir, "12-257.nl");
	nlh = nf_msg(T_EXP_NEW, AF_INET);
	mnl_attr_put_u32(nlh, CTA_EXPECT_TIMEOUT, htonl(300));
	tu_nlgen_end(&gen, nlh);
	gen.len -= 6; /* the file ends inside the message */
	tu_nlgen_write(&gen, dir, "12-513.nl");
	/* Whatever the layer makes of it: no crash, no invented zone, no error leak. */
	run(NULL);
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_zone_entries{zone=\"other\"}");
	tu_assert_no_line_prefix(out.data, "netstack_conntrack_expect_entries 1");
}

static int setup(void **unused)
{
	return tu_tmpdir_make(dir, sizeof(dir), "ns-test-ctz");
}

static int teardown(void **unused)
{
	ns_buf_free(&out);
	return tu_tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_zones_exact),
	    cmocka_unit_test(test_zone_caps),
	    cmocka_unit_test(test_zone_space_saving),
	    cmocka_unit_test(test_zone0_only_adds_nothing),
	    cmocka_unit_test(test_empty_dumps),
	    cmocka_unit_test(test_unknown_attributes),
	    cmocka_unit_test(test_bad_zone_size),
	    cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
