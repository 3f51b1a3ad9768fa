// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * test_nl.c - the netlink layer: replayed message streams built here with
 * libmnl (written to a temporary replay directory, so no binaries are
 * checked in), and a few live requests against the kernel.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>
#include <net/if.h>

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "testutil.h"
#include "nl.h"

/* ---- building replay files ---- */

struct gen {
	char buf[256 * 1024] __attribute__((aligned(8)));
	size_t len;
};

static struct gen *gen_new(void)
{
	struct gen *g = calloc(1, sizeof(*g));

	assert_non_null(g);
	return g;
}

static struct nlmsghdr *gen_msg(struct gen *g, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(g->buf + g->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	return nlh;
}

static void gen_end(struct gen *g, struct nlmsghdr *nlh)
{
	g->len += NLMSG_ALIGN(nlh->nlmsg_len);
	assert_true(g->len < sizeof(g->buf));
}

/* RTM_NEWLINK with ifindex, name and MTU. */
static struct nlmsghdr *gen_link(struct gen *g, int ifindex, const char *name, uint32_t mtu,
				 uint16_t flags)
{
	struct nlmsghdr *nlh = gen_msg(g, RTM_NEWLINK, NLM_F_MULTI | flags);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_index = ifindex;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_MTU, mtu);
	return nlh;
}

static void gen_done(struct gen *g, int error, uint16_t flags)
{
	struct nlmsghdr *nlh = gen_msg(g, NLMSG_DONE, NLM_F_MULTI | flags);
	int *p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));

	*p = error;
	gen_end(g, nlh);
}

static char replay_dir[PATH_MAX];

static void gen_write(const struct gen *g, const char *file, size_t len)
{
	char path[PATH_MAX + 64];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", replay_dir, file);
	f = fopen(path, "w");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(g->buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	snprintf(replay_dir, sizeof(replay_dir), "%s/ns_test_nl.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(replay_dir));
	return 0;
}

/* Remove the replay files of the previous test. */
static int cleanup_files(void **state)
{
	static const char *const names[] = {"0-18.nl", "0-18.2.nl", "0-18.3.nl", "4-20.nl"};
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", replay_dir, names[i]);
		unlink(path);
	}
	return 0;
}

static int teardown(void **state)
{
	cleanup_files(state);
	rmdir(replay_dir);
	return 0;
}

/* ---- a consumer that records what it saw ---- */

struct seen {
	int n;
	int resets;
	int ifindex[128];
	char name[128][IFNAMSIZ];
	uint32_t mtu[128];
	int abort_at; /* return MNL_CB_ERROR at this message (1-based), 0 = never */
	int stop_at;  /* return MNL_CB_STOP at this message */
};

static int seen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct seen *s = data;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (s->n < 128) {
		ns_nl_parse(nlh, sizeof(*ifm), tb, IFLA_MAX);
		s->ifindex[s->n] = ifm->ifi_index;
		if (tb[IFLA_IFNAME])
			snprintf(s->name[s->n], IFNAMSIZ, "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
		s->mtu[s->n] = tb[IFLA_MTU] ? mnl_attr_get_u32(tb[IFLA_MTU]) : 0;
	}
	s->n++;
	if (s->abort_at && s->n == s->abort_at)
		return MNL_CB_ERROR;
	if (s->stop_at && s->n == s->stop_at)
		return MNL_CB_STOP;
	return MNL_CB_OK;
}

static void seen_reset(void *data)
{
	struct seen *s = data;

	s->n = 0;
	s->resets++;
}

/* Open a replay handle, issue a RTM_GETLINK dump and run it. */
static int replay_dump(struct seen *s, struct ns_err *e, unsigned *restarts)
{
	struct ns_nl *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int rc;

	assert_int_equal(ns_nl_open_replay(&nl, NETLINK_ROUTE, replay_dir, e), 0);
	assert_int_equal(ns_nl_protocol(nl), NETLINK_ROUTE);
	nlh = ns_nl_request(nl, RTM_GETLINK, NLM_F_DUMP);
	assert_int_equal(nlh->nlmsg_type, RTM_GETLINK);
	assert_int_equal(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ns_err_clear(e);
	rc = ns_nl_run(nl, seen_cb, seen_reset, s, e);
	if (restarts)
		*restarts = ns_nl_restarts(nl);
	ns_nl_close(nl);
	return rc;
}

/* ---- replay tests ---- */

static void test_normal_dump(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	unsigned restarts = 99;

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	gen_end(g, gen_link(g, 2, "eth0", 1500, 0));
	gen_end(g, gen_link(g, 7, "veth-a", 9000, 0));
	gen_done(g, 0, 0);
	gen_write(g, "0-18.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, &restarts), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.resets, 0);
	assert_int_equal(restarts, 0);
	assert_string_equal(s.name[0], "lo");
	assert_int_equal(s.ifindex[0], 1);
	assert_int_equal(s.mtu[0], 65536);
	assert_string_equal(s.name[1], "eth0");
	assert_int_equal(s.mtu[1], 1500);
	assert_string_equal(s.name[2], "veth-a");
	assert_int_equal(s.ifindex[2], 7);
	assert_int_equal(s.mtu[2], 9000);
	free(g);
}

/* Without NLMSG_DONE, end of file ends the replayed dump. */
static void test_eof_without_done(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	gen_write(g, "0-18.nl", g->len);
	assert_int_equal(replay_dump(&s, &e, NULL), 0);
	assert_int_equal(s.n, 1);
	free(g);
}

/* Messages after NLMSG_DONE are not delivered. */
static void test_nothing_after_done(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	gen_done(g, 0, 0);
	gen_end(g, gen_link(g, 2, "late", 1500, 0));
	gen_write(g, "0-18.nl", g->len);
	assert_int_equal(replay_dump(&s, &e, NULL), 0);
	assert_int_equal(s.n, 1);
	free(g);
}

static void test_truncated_message(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	size_t second;

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	second = g->len;
	gen_end(g, gen_link(g, 2, "eth0", 1500, 0));
	gen_done(g, 0, 0);
	/* Cut the file 10 bytes into the second message's payload. */
	gen_write(g, "0-18.nl", second + sizeof(struct nlmsghdr) + 10);

	assert_int_equal(replay_dump(&s, &e, NULL), -EBADMSG);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(e.msg, "netlink dump type 18"));
	assert_non_null(strstr(e.msg, "truncated message"));

	/* A file that ends inside a message header. */
	cleanup_files(state);
	gen_write(g, "0-18.nl", second + 6);
	memset(&s, 0, sizeof(s));
	assert_int_equal(replay_dump(&s, &e, NULL), -EBADMSG);
	assert_int_equal(s.n, 1);
	free(g);
}

/* A message whose nlmsg_len is smaller than a header is malformed. */
static void test_bad_nlmsg_len(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	struct nlmsghdr *nlh;

	nlh = gen_link(g, 1, "lo", 65536, 0);
	gen_end(g, nlh);
	nlh = gen_link(g, 2, "eth0", 1500, 0);
	gen_end(g, nlh);
	nlh->nlmsg_len = 8;
	gen_write(g, "0-18.nl", g->len);
	assert_int_equal(replay_dump(&s, &e, NULL), -EBADMSG);
	assert_int_equal(s.n, 1);
	free(g);
}

static void test_unknown_attributes(void **state)
{
	struct gen *g = gen_new();
	const struct nlattr *tb[IFLA_MAX + 1], *li[IFLA_INFO_MAX + 1];
	struct nlmsghdr *nlh = gen_msg(g, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct nlattr *nest;

	ifm->ifi_index = 3;
	mnl_attr_put_u32(nlh, IFLA_MAX + 1, 111); /* newer kernel's attribute */
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth9");
	mnl_attr_put_u32(nlh, 0x3fff, 222); /* far beyond any max */
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_put_u32(nlh, IFLA_INFO_MAX + 3, 333);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1280);
	gen_end(g, nlh);

	ns_nl_parse(nlh, sizeof(*ifm), tb, IFLA_MAX);
	assert_non_null(tb[IFLA_IFNAME]);
	assert_string_equal(mnl_attr_get_str(tb[IFLA_IFNAME]), "eth9");
	assert_non_null(tb[IFLA_MTU]);
	assert_int_equal(mnl_attr_get_u32(tb[IFLA_MTU]), 1280);
	assert_null(tb[IFLA_ADDRESS]);
	assert_non_null(tb[IFLA_LINKINFO]);
	for (unsigned i = 0; i <= IFLA_MAX; i++)
		if (i != IFLA_IFNAME && i != IFLA_MTU && i != IFLA_LINKINFO)
			assert_null(tb[i]);

	ns_nl_parse_nested(tb[IFLA_LINKINFO], li, IFLA_INFO_MAX);
	assert_non_null(li[IFLA_INFO_KIND]);
	assert_string_equal(mnl_attr_get_str(li[IFLA_INFO_KIND]), "veth");
	for (unsigned i = 0; i <= IFLA_INFO_MAX; i++)
		if (i != IFLA_INFO_KIND)
			assert_null(li[i]);

	/* A smaller max ignores everything above it. */
	{
		const struct nlattr *small[IFLA_IFNAME + 1];

		ns_nl_parse(nlh, sizeof(*ifm), small, IFLA_IFNAME);
		assert_non_null(small[IFLA_IFNAME]);
	}

	/* A header longer than the payload: nothing parsed, no crash. */
	ns_nl_parse(nlh, 4096, tb, IFLA_MAX);
	for (unsigned i = 0; i <= IFLA_MAX; i++)
		assert_null(tb[i]);
	free(g);
}

/* An attribute whose nla_len runs past the message: parsing stops there. */
static void test_malformed_attribute(void **state)
{
	struct gen *g = gen_new();
	const struct nlattr *tb[IFLA_MAX + 1];
	struct nlmsghdr *nlh = gen_msg(g, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct nlattr *bad;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth1");
	bad = (struct nlattr *)mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	bad->nla_len = 200; /* claims more than the message holds */

	ns_nl_parse(nlh, sizeof(*ifm), tb, IFLA_MAX);
	assert_non_null(tb[IFLA_IFNAME]);
	assert_null(tb[IFLA_MTU]);
	free(g);
}

static void test_attr_copy(void **state)
{
	struct gen *g = gen_new();
	struct nlmsghdr *nlh = gen_msg(g, RTM_NEWLINK, 0);
	const uint32_t shortv[3] = {1, 2, 3};
	const uint32_t longv[6] = {11, 12, 13, 14, 15, 16};
	const struct nlattr *a_short, *a_long;
	uint32_t dst[4];

	a_short = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, 1, sizeof(shortv), shortv);
	a_long = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, 2, sizeof(longv), longv);

	/* Shorter than the struct: zero-extended. */
	memset(dst, 0xff, sizeof(dst));
	assert_int_equal(ns_nl_attr_copy(a_short, dst, sizeof(dst)), 12);
	assert_int_equal(dst[0], 1);
	assert_int_equal(dst[1], 2);
	assert_int_equal(dst[2], 3);
	assert_int_equal(dst[3], 0);

	/* Longer: truncated, and the full payload length is reported. */
	memset(dst, 0xff, sizeof(dst));
	assert_int_equal(ns_nl_attr_copy(a_long, dst, sizeof(dst)), 24);
	assert_int_equal(dst[0], 11);
	assert_int_equal(dst[3], 14);

	/* Exact. */
	assert_int_equal(ns_nl_attr_copy(a_long, dst, 0), 24);
	free(g);
}

/* ns_nl_find: the first attribute of a type; none; not past a malformed one. */
static void test_find(void **state)
{
	struct gen *g = gen_new();
	struct nlmsghdr *nlh = gen_msg(g, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	const struct nlattr *first, *a;
	struct nlattr *bad;

	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	first = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth1");
	a = ns_nl_find(nlh, sizeof(*ifm), IFLA_IFNAME);
	assert_ptr_equal(a, first);
	assert_string_equal(mnl_attr_get_str(a), "eth0");
	assert_null(ns_nl_find(nlh, sizeof(*ifm), IFLA_QDISC));
	/* a header longer than the payload: nothing */
	assert_null(ns_nl_find(nlh, 4096, IFLA_MTU));

	nlh = gen_msg(g, RTM_NEWLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	bad = (struct nlattr *)mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth2");
	bad->nla_len = 200; /* runs past the message */
	assert_null(ns_nl_find(nlh, sizeof(*ifm), IFLA_IFNAME));
	free(g);
}

/* String attributes: NUL-terminated or not, shorter or longer than the buffer. */
static void test_attr_strcpy(void **state)
{
	struct gen *g = gen_new();
	struct nlmsghdr *nlh = gen_msg(g, RTM_NEWLINK, 0);
	const struct nlattr *z, *raw, *empty;
	char dst[5];

	z = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_strz(nlh, 1, "eth0");
	raw = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, 2, 6, "veth12"); /* no NUL, longer than dst */
	empty = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put(nlh, 3, 0, NULL);

	memset(dst, 'x', sizeof(dst));
	ns_nl_attr_strcpy(z, dst, sizeof(dst));
	assert_string_equal(dst, "eth0");
	memset(dst, 'x', sizeof(dst));
	ns_nl_attr_strcpy(raw, dst, sizeof(dst));
	assert_string_equal(dst, "veth");
	ns_nl_attr_strcpy(raw, dst, 1);
	assert_string_equal(dst, "");
	memset(dst, 'x', sizeof(dst));
	ns_nl_attr_strcpy(empty, dst, sizeof(dst));
	assert_string_equal(dst, "");
	free(g);
}

/* NLMSG_ERROR, capped (only the request header echoed), with extack. */
static void test_error_extack(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	struct nlmsghdr *nlh = gen_msg(g, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = -EPERM;
	err->msg.nlmsg_type = RTM_GETLINK;
	err->msg.nlmsg_len = sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg);
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "not allowed in this test");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 16);
	gen_end(g, nlh);
	gen_write(g, "0-18.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, NULL), -EPERM);
	assert_int_equal(s.n, 0);
	assert_string_equal(
	    e.msg, "netlink dump type 18: Operation not permitted: not allowed in this test");
	free(g);
}

/*
 * Error codes no errno can have (found by the fuzzer: negating INT_MIN is
 * undefined): -EPROTO, for NLMSG_ERROR and for NLMSG_DONE alike. A positive
 * errno, which some protocols send, is still taken as that errno.
 */
static void test_error_out_of_range(void **state)
{
	static const struct {
		uint16_t type;
		int error, want;
	} cases[] = {
	    {NLMSG_ERROR, INT_MIN, -EPROTO},  {NLMSG_ERROR, -5000, -EPROTO},
	    {NLMSG_ERROR, 70000, -EPROTO},    {NLMSG_ERROR, EPERM, -EPERM},
	    {NLMSG_DONE, INT_MIN, -EPROTO},   {NLMSG_DONE, INT_MAX, -EPROTO},
	    {NLMSG_DONE, -ENOBUFS, -ENOBUFS},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct gen *g = gen_new();
		struct seen s = {0};
		struct ns_err e = {{0}};
		struct nlmsghdr *nlh = gen_msg(g, cases[i].type, NLM_F_MULTI);
		int *v = mnl_nlmsg_put_extra_header(
		    nlh, cases[i].type == NLMSG_ERROR ? sizeof(struct nlmsgerr) : sizeof(int));

		*v = cases[i].error;
		gen_end(g, nlh);
		gen_write(g, "0-18.nl", g->len);
		assert_int_equal(replay_dump(&s, &e, NULL), cases[i].want);
		assert_non_null(strstr(e.msg, strerror(-cases[i].want)));
		free(g);
	}
}

/* NLMSG_ERROR, uncapped: the whole request precedes the TLVs. */
static void test_error_uncapped(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	struct nlmsghdr *nlh, *orig;
	struct nlmsgerr *err;

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	nlh = gen_msg(g, NLMSG_ERROR, NLM_F_ACK_TLVS);
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = -EINVAL;
	orig = &err->msg;
	/* Echo of a request with an ifinfomsg and an attribute; the attribute
	 * would look like NLMSGERR_ATTR_MSG if the offset were wrong. */
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "WRONG");
	orig->nlmsg_len = sizeof(struct nlmsghdr) + sizeof(struct ifinfomsg) + MNL_ATTR_HDRLEN +
			  MNL_ALIGN(sizeof("WRONG"));
	orig->nlmsg_type = RTM_GETLINK;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "right text");
	gen_end(g, nlh);
	gen_write(g, "0-18.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, NULL), -EINVAL);
	assert_int_equal(s.n, 1);
	assert_string_equal(e.msg, "netlink dump type 18: Invalid argument: right text");
	free(g);
}

/* NLMSG_ERROR without extack, and one too short to hold struct nlmsgerr. */
static void test_error_plain_and_short(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	struct nlmsghdr *nlh = gen_msg(g, NLMSG_ERROR, 0);
	struct nlmsgerr *err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));

	err->error = -EOPNOTSUPP;
	gen_end(g, nlh);
	gen_write(g, "0-18.nl", g->len);
	assert_int_equal(replay_dump(&s, &e, NULL), -EOPNOTSUPP);
	assert_string_equal(e.msg, "netlink dump type 18: Operation not supported");

	g->len = 0;
	nlh = gen_msg(g, NLMSG_ERROR, 0);
	mnl_nlmsg_put_extra_header(nlh, 2);
	gen_end(g, nlh);
	gen_write(g, "0-18.nl", g->len);
	assert_int_equal(replay_dump(&s, &e, NULL), -EBADMSG);
	assert_non_null(strstr(e.msg, "NLMSG_ERROR too short"));
	free(g);
}

/* An error reported inside NLMSG_DONE (dump failed part way). */
static void test_done_error(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	struct nlmsghdr *nlh;
	int *p;

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	nlh = gen_msg(g, NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	p = mnl_nlmsg_put_extra_header(nlh, sizeof(int));
	*p = -EMSGSIZE;
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump too big");
	gen_end(g, nlh);
	gen_write(g, "0-18.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, NULL), -EMSGSIZE);
	assert_int_equal(s.n, 1);
	assert_string_equal(e.msg, "netlink dump type 18: Message too long: dump too big");
	free(g);
}

/* DUMP_INTR on a message: the dump is restarted (reset called) from .2.nl. */
static void test_dump_intr_restart(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	unsigned restarts = 0;

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	gen_end(g, gen_link(g, 2, "eth0", 1500, NLM_F_DUMP_INTR));
	gen_end(g, gen_link(g, 3, "eth1", 1500, 0));
	gen_done(g, 0, NLM_F_DUMP_INTR);
	gen_write(g, "0-18.nl", g->len);
	g->len = 0;
	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	gen_end(g, gen_link(g, 4, "eth2", 1400, 0));
	gen_done(g, 0, 0);
	gen_write(g, "0-18.2.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, &restarts), 0);
	assert_int_equal(s.resets, 1);
	assert_int_equal(restarts, 1);
	/* Only the second, consistent pass remains. */
	assert_int_equal(s.n, 2);
	assert_string_equal(s.name[0], "lo");
	assert_string_equal(s.name[1], "eth2");
	assert_int_equal(s.mtu[1], 1400);
	free(g);
}

/* DUMP_INTR only on NLMSG_DONE also restarts. Third file used on 2nd restart. */
static void test_dump_intr_on_done(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	unsigned restarts = 0;

	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	gen_done(g, 0, NLM_F_DUMP_INTR);
	gen_write(g, "0-18.nl", g->len);
	gen_write(g, "0-18.2.nl", g->len);
	g->len = 0;
	gen_end(g, gen_link(g, 5, "third", 1500, 0));
	gen_done(g, 0, 0);
	gen_write(g, "0-18.3.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, &restarts), 0);
	assert_int_equal(s.resets, 2);
	assert_int_equal(restarts, 2);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name[0], "third");
	free(g);
}

/* A dump that stays interrupted gives up after 5 restarts with -EINTR. */
static void test_dump_intr_gives_up(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	unsigned restarts = 0;

	gen_end(g, gen_link(g, 1, "lo", 65536, NLM_F_DUMP_INTR));
	gen_done(g, 0, NLM_F_DUMP_INTR);
	gen_write(g, "0-18.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, &restarts), -EINTR);
	assert_int_equal(s.resets, 5);
	assert_int_equal(restarts, 5);
	assert_int_equal(s.n, 0); /* flagged messages are not delivered */
	assert_non_null(strstr(e.msg, "netlink dump type 18"));
	assert_non_null(strstr(e.msg, "interrupted"));
	free(g);
}

static void test_empty_dump(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};

	gen_done(g, 0, 0);
	gen_write(g, "0-18.nl", g->len);
	assert_int_equal(replay_dump(&s, &e, NULL), 0);
	assert_int_equal(s.n, 0);

	gen_write(g, "0-18.nl", 0); /* empty file */
	assert_int_equal(replay_dump(&s, &e, NULL), 0);
	assert_int_equal(s.n, 0);
	free(g);
}

static void test_missing_file(void **state)
{
	struct seen s = {0};
	struct ns_err e = {{0}};
	char want[PATH_MAX + 128];

	assert_int_equal(replay_dump(&s, &e, NULL), -ENOENT);
	snprintf(want, sizeof(want), "netlink dump type 18: no replay file %s/0-18.nl", replay_dir);
	assert_string_equal(e.msg, want);
}

/* Other protocols are named in the message and use their own file name. */
static void test_other_protocol(void **state)
{
	struct gen *g = gen_new();
	struct ns_err e = {{0}};
	struct ns_nl *nl;

	assert_int_equal(ns_nl_open_replay(&nl, NETLINK_SOCK_DIAG, replay_dir, &e), 0);
	ns_nl_request(nl, 20, NLM_F_DUMP);
	assert_int_equal(ns_nl_run(nl, NULL, NULL, NULL, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "netlink dump type 20 (protocol 4): no replay file"));
	assert_non_null(strstr(e.msg, "/4-20.nl"));
	gen_done(g, 0, 0);
	gen_write(g, "4-20.nl", g->len);
	assert_int_equal(ns_nl_run(nl, NULL, NULL, NULL, &e), 0);
	ns_nl_close(nl);
	free(g);
}

static void test_callback_abort_and_stop(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {.abort_at = 2};
	struct ns_err e = {{0}};

	gen_end(g, gen_link(g, 1, "a", 1, 0));
	gen_end(g, gen_link(g, 2, "b", 2, 0));
	gen_end(g, gen_link(g, 3, "c", 3, 0));
	gen_done(g, 0, 0);
	gen_write(g, "0-18.nl", g->len);

	assert_int_equal(replay_dump(&s, &e, NULL), -ECANCELED);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(e.msg, "aborted"));

	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(replay_dump(&s, &e, NULL), 0);
	assert_int_equal(s.n, 1);
	free(g);
}

/* A message larger than the initial 32 KiB buffer. */
static void test_large_message(void **state)
{
	struct gen *g = gen_new();
	struct seen s = {0};
	struct ns_err e = {{0}};
	static char big[60000];
	struct nlmsghdr *nlh;

	memset(big, 'x', sizeof(big));
	gen_end(g, gen_link(g, 1, "lo", 65536, 0));
	nlh = gen_link(g, 2, "big0", 1500, 0);
	mnl_attr_put(nlh, IFLA_MAX + 1, sizeof(big), big);
	assert_true(nlh->nlmsg_len > 32 * 1024);
	gen_end(g, nlh);
	gen_done(g, 0, 0);
	gen_write(g, "0-18.nl", g->len);
	assert_int_equal(replay_dump(&s, &e, NULL), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.name[1], "big0");
	free(g);
}

/* ---- live kernel ---- */

static void live_getlink_dump(struct ns_nl *nl, struct seen *s, struct ns_err *e, int *rc)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	*rc = ns_nl_run(nl, seen_cb, seen_reset, s, e);
}

static void test_live_dump(void **state)
{
	struct ns_err e = {{0}};
	struct seen s = {0};
	struct ns_nl *nl;
	unsigned lo_index = if_nametoindex("lo");
	bool found = false;
	int rc;

	assert_int_equal(ns_nl_open(&nl, NETLINK_ROUTE, &e), 0);
	assert_int_equal(ns_nl_protocol(nl), NETLINK_ROUTE);
	assert_true(lo_index > 0);
	live_getlink_dump(nl, &s, &e, &rc);
	assert_int_equal(rc, 0);
	assert_true(s.n >= 1);
	for (int i = 0; i < s.n && i < 128; i++) {
		if (strcmp(s.name[i], "lo") == 0) {
			found = true;
			assert_int_equal(s.ifindex[i], lo_index);
		}
		assert_int_equal(if_nametoindex(s.name[i]), s.ifindex[i]);
	}
	assert_true(found);

	/* Abort after the first message; the socket must still be usable for
	 * the next dump (no -EBUSY, no stale messages). */
	memset(&s, 0, sizeof(s));
	s.abort_at = 1;
	live_getlink_dump(nl, &s, &e, &rc);
	assert_int_equal(rc, -ECANCELED);
	for (int k = 0; k < 3; k++) {
		int n;

		memset(&s, 0, sizeof(s));
		live_getlink_dump(nl, &s, &e, &rc);
		assert_int_equal(rc, 0);
		n = s.n;
		assert_true(n >= 1);
	}
	assert_int_equal(ns_nl_restarts(nl), 0);
	ns_nl_close(nl);
}

/*
 * A datagram larger than the receive buffer: it is lost to the kernel's
 * MSG_TRUNC, so the layer grows the buffer, resends on a fresh socket and
 * delivers the same complete dump (after one reset of the consumer).
 */
static void test_live_truncated_datagram(void **state)
{
	struct ns_err e = {{0}};
	struct seen want = {0}, s = {0};
	struct ns_nl *nl;
	int rc;

	assert_int_equal(ns_nl_open(&nl, NETLINK_ROUTE, &e), 0);
	live_getlink_dump(nl, &want, &e, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(ns_nl_restarts(nl), 0);

	/* An RTM_NEWLINK message of lo alone is over 1 KiB. */
	assert_int_equal(ns_nl_set_recv_buffer(nl, 256), 0);
	live_getlink_dump(nl, &s, &e, &rc);
	if (rc)
		fail_msg("dump after truncation: %d %s", rc, e.msg);
	assert_true(ns_nl_restarts(nl) >= 1);
	assert_true(ns_nl_recv_buffer(nl) > 256);
	assert_true(s.resets >= 1);
	assert_int_equal(s.n, want.n);
	for (int i = 0; i < s.n && i < 128; i++) {
		assert_int_equal(s.ifindex[i], want.ifindex[i]);
		assert_string_equal(s.name[i], want.name[i]);
	}

	/* The grown buffer stays: the next dump needs no restart. */
	{
		unsigned before = ns_nl_restarts(nl);

		memset(&s, 0, sizeof(s));
		live_getlink_dump(nl, &s, &e, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(s.n, want.n);
		assert_int_equal(ns_nl_restarts(nl), before);
	}
	ns_nl_close(nl);
}

/*
 * Two sockets sharing their buffers (as the contexts of other namespaces
 * do): a receive buffer grown by one after a truncated datagram serves the
 * other, and closing the sockets leaves the buffers to their owner.
 */
static void test_live_shared_buffers(void **state)
{
	struct ns_nl_bufs b = {0};
	struct ns_err e = {{0}};
	struct seen want = {0}, s = {0};
	struct ns_nl *a, *c;
	int rc;

	assert_int_equal(ns_nl_open_shared(&a, NETLINK_ROUTE, &b, &e), 0);
	assert_int_equal(ns_nl_open_shared(&c, NETLINK_ROUTE, &b, &e), 0);
	assert_non_null(b.p);
	assert_non_null(b.req);
	live_getlink_dump(a, &want, &e, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(ns_nl_set_recv_buffer(c, 256), 0);
	assert_int_equal(ns_nl_recv_buffer(a), 256);
	live_getlink_dump(a, &s, &e, &rc);
	assert_int_equal(rc, 0);
	assert_true(ns_nl_restarts(a) >= 1);
	assert_true(b.cap > 256);
	assert_int_equal(ns_nl_recv_buffer(c), b.cap);
	memset(&s, 0, sizeof(s));
	live_getlink_dump(c, &s, &e, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(s.n, want.n);
	assert_int_equal(ns_nl_restarts(c), 0);
	ns_nl_close(a);
	ns_nl_close(c);
	assert_non_null(b.p);
	ns_nl_bufs_free(&b);
	assert_null(b.p);
	assert_null(b.req);
}

/* The kernel's own extended ACK text for a rejected strict dump request. */
static void test_live_extack(void **state)
{
	struct ns_err e = {{0}};
	struct seen s = {0};
	struct ns_nl *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int rc;

	assert_int_equal(ns_nl_open(&nl, NETLINK_ROUTE, &e), 0);
	nlh = ns_nl_request(nl, RTM_GETLINK, NLM_F_DUMP);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = 1; /* strict checking refuses a filtered link dump */
	rc = ns_nl_run(nl, seen_cb, NULL, &s, &e);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(
	    e.msg, "netlink dump type 18: Invalid argument: Filter by device index not supported "
		   "for link dumps");

	/* Non-dump request: RTM_GETLINK for lo returns one message then the ACK. */
	memset(&s, 0, sizeof(s));
	nlh = ns_nl_request(nl, RTM_GETLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = (int)if_nametoindex("lo");
	assert_int_equal(ns_nl_run(nl, seen_cb, NULL, &s, &e), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.name[0], "lo");

	/* ... and for an ifindex that does not exist, -ENODEV. */
	nlh = ns_nl_request(nl, RTM_GETLINK, 0);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = 0x7ffffff0;
	rc = ns_nl_run(nl, seen_cb, NULL, &s, &e);
	assert_int_equal(rc, -ENODEV);
	assert_non_null(strstr(e.msg, "netlink request type 18: No such device"));
	ns_nl_close(nl);
}

/*
 * In a new network namespace with 61 devices (lo + 30 veth pairs) the dump
 * spans several datagrams: all of them arrive, and a dump aborted after its
 * first message is drained so that the next one on the same socket works
 * (the kernel refuses a second dump with -EBUSY while one is running).
 * Runs last: it moves the whole test process into the new namespace.
 */
static void test_live_many_devices(void **state)
{
	struct ns_err e = {{0}};
	struct seen s = {0};
	struct ns_nl *nl;
	FILE *ip;
	int rc;

	if (unshare(CLONE_NEWNET) != 0) {
		print_message("unshare(CLONE_NEWNET): %s: skipped\n", strerror(errno));
		skip();
	}
	ip = popen("PATH=/usr/sbin:/sbin:/usr/bin:/bin ip -batch -", "w");
	assert_non_null(ip);
	for (int i = 0; i < 30; i++)
		fprintf(ip, "link add nsv%d type veth peer name nsw%d\n", i, i);
	assert_int_equal(pclose(ip), 0);

	assert_int_equal(ns_nl_open(&nl, NETLINK_ROUTE, &e), 0);
	live_getlink_dump(nl, &s, &e, &rc);
	assert_int_equal(rc, 0);
	assert_int_equal(s.n, 61);
	for (int i = 0; i < s.n; i++)
		assert_int_equal(if_nametoindex(s.name[i]), s.ifindex[i]);
	for (int k = 0; k < 3; k++) {
		memset(&s, 0, sizeof(s));
		s.abort_at = 1 + k;
		live_getlink_dump(nl, &s, &e, &rc);
		assert_int_equal(rc, -ECANCELED);
		assert_int_equal(s.n, 1 + k);
		memset(&s, 0, sizeof(s));
		live_getlink_dump(nl, &s, &e, &rc);
		assert_int_equal(rc, 0);
		assert_int_equal(s.n, 61);
	}
	ns_nl_close(nl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_normal_dump, cleanup_files),
	    cmocka_unit_test_teardown(test_eof_without_done, cleanup_files),
	    cmocka_unit_test_teardown(test_nothing_after_done, cleanup_files),
	    cmocka_unit_test_teardown(test_truncated_message, cleanup_files),
	    cmocka_unit_test_teardown(test_bad_nlmsg_len, cleanup_files),
	    cmocka_unit_test(test_unknown_attributes),
	    cmocka_unit_test(test_malformed_attribute),
	    cmocka_unit_test(test_attr_strcpy),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test_teardown(test_error_out_of_range, cleanup_files),
	    cmocka_unit_test(test_attr_copy),
	    cmocka_unit_test_teardown(test_error_extack, cleanup_files),
	    cmocka_unit_test_teardown(test_error_uncapped, cleanup_files),
	    cmocka_unit_test_teardown(test_error_plain_and_short, cleanup_files),
	    cmocka_unit_test_teardown(test_done_error, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_intr_restart, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_intr_on_done, cleanup_files),
	    cmocka_unit_test_teardown(test_dump_intr_gives_up, cleanup_files),
	    cmocka_unit_test_teardown(test_empty_dump, cleanup_files),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test_teardown(test_other_protocol, cleanup_files),
	    cmocka_unit_test_teardown(test_callback_abort_and_stop, cleanup_files),
	    cmocka_unit_test_teardown(test_large_message, cleanup_files),
	    cmocka_unit_test(test_live_dump),
	    cmocka_unit_test(test_live_extack),
	    cmocka_unit_test(test_live_truncated_datagram),
	    cmocka_unit_test(test_live_shared_buffers),
	    cmocka_unit_test(test_live_many_devices),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
