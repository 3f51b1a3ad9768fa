// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qdisc_floor.c - the raw kernel floor for the qdisc and ethtool collectors:
 * the same requests they make, with libmnl, no parsing beyond what is
 * needed to find the next request (classful devices, device names).
 * Usage: qdisc_floor qdisc|ethtool ITERATIONS ; prints the median seconds.
 *        qdisc_floor qdisc|ethtool -  ; one iteration per line read from
 *        stdin, printing its seconds (for rounds interleaved with scrapes).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <net/if.h>
#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

static char rbuf[1 << 16];
static int nidx, idx[4096], classful[4096];
static char names[4096][IFNAMSIZ];

static int link_cb(const struct nlmsghdr *nlh, void *d)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh,
			  sizeof(*ifm)) if (mnl_attr_get_type(a) == IFLA_IFNAME && nidx < 4096)
	{
		idx[nidx] = ifm->ifi_index;
		classful[nidx] = 0;
		snprintf(names[nidx++], IFNAMSIZ, "%s", mnl_attr_get_str(a));
	}
	return MNL_CB_OK;
}

static int qd_cb(const struct nlmsghdr *nlh, void *d)
{
	const struct tcmsg *t = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, sizeof(*t)) if (mnl_attr_get_type(a) == TCA_KIND)
	{
		const char *k = mnl_attr_get_str(a);

		if (!strcmp(k, "htb") || !strcmp(k, "mq"))
			for (int i = 0; i < nidx; i++)
				if (idx[i] == t->tcm_ifindex)
					classful[i] = 1;
	}
	return MNL_CB_OK;
}

static int fam;
static int fam_cb(const struct nlmsghdr *nlh, void *d)
{
	const struct nlattr *a;

	mnl_attr_for_each(a, nlh, GENL_HDRLEN) if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID)
	    fam = mnl_attr_get_u16(a);
	return MNL_CB_OK;
}

static void dump(struct mnl_socket *s, struct nlmsghdr *nlh, mnl_cb_t cb)
{
	static unsigned seq;
	int n;

	nlh->nlmsg_seq = ++seq;
	mnl_socket_sendto(s, nlh, nlh->nlmsg_len);
	while ((n = mnl_socket_recvfrom(s, rbuf, sizeof(rbuf))) > 0) {
		int r = mnl_cb_run(rbuf, n, seq, 0, cb, NULL);

		if (r <= MNL_CB_STOP)
			break;
	}
}

static void links(struct mnl_socket *rt)
{
	char b[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, 1 << 3);
	nidx = 0;
	dump(rt, nlh, link_cb);
}

static void tc(struct mnl_socket *rt, int type, int ifindex, mnl_cb_t cb)
{
	char b[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
	struct tcmsg *t;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	t = mnl_nlmsg_put_extra_header(nlh, sizeof(*t));
	t->tcm_ifindex = ifindex;
	dump(rt, nlh, cb);
}

static void genl(struct mnl_socket *g, int cmd, unsigned flags, int groups)
{
	char b[512];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
	struct genlmsghdr *h;
	struct nlattr *n;

	nlh->nlmsg_type = fam;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
	h->cmd = cmd;
	h->version = 1;
	n = mnl_attr_nest_start(nlh, cmd == ETHTOOL_MSG_STATS_GET ? ETHTOOL_A_STATS_HEADER : 1);
	if (flags)
		mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_FLAGS, flags);
	mnl_attr_nest_end(nlh, n);
	if (groups) {
		n = mnl_attr_nest_start(nlh, ETHTOOL_A_STATS_GROUPS);
		mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, 4);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_VALUE, 15);
		mnl_attr_nest_end(nlh, n);
	}
	dump(g, nlh, NULL);
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct mnl_socket *rt = mnl_socket_open(NETLINK_ROUTE),
			  *g = mnl_socket_open(NETLINK_GENERIC);
	int step = argc > 2 && !strcmp(argv[2], "-");
	int iters = argc > 2 && !step ? atoi(argv[2]) : 50, fd = socket(AF_INET, SOCK_DGRAM, 0);
	int eth = argc > 1 && !strcmp(argv[1], "ethtool");
	struct ethtool_stats *es = calloc(1, sizeof(*es) + (1 << 17));
	double *t = calloc(iters, sizeof(double));

	mnl_socket_bind(rt, 0, MNL_SOCKET_AUTOPID);
	mnl_socket_bind(g, 0, MNL_SOCKET_AUTOPID);
	{
		char b[256];
		struct nlmsghdr *nlh = mnl_nlmsg_put_header(b);
		struct genlmsghdr *h;

		nlh->nlmsg_type = GENL_ID_CTRL;
		nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
		h = mnl_nlmsg_put_extra_header(nlh, sizeof(*h));
		h->cmd = CTRL_CMD_GETFAMILY;
		h->version = 1;
		mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
		dump(g, nlh, fam_cb);
	}
	for (int it = 0; step || it < iters; it++) {
		struct timespec a, b;
		char line[64];

		if (step && !fgets(line, sizeof(line), stdin))
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &a);
		links(rt);
		if (!eth) {
			tc(rt, RTM_GETQDISC, 0, qd_cb);
			for (int i = 0; i < nidx; i++)
				if (classful[i])
					tc(rt, RTM_GETTCLASS, idx[i], NULL);
		} else {
			for (int i = 0; i < nidx; i++) {
				struct ethtool_drvinfo di = {.cmd = ETHTOOL_GDRVINFO};
				struct ifreq ifr;

				memset(&ifr, 0, sizeof(ifr));
				memcpy(ifr.ifr_name, names[i], IFNAMSIZ);
				ifr.ifr_data = (void *)&di;
				if (ioctl(fd, SIOCETHTOOL, &ifr) || !di.n_stats)
					continue;
				es->cmd = ETHTOOL_GSTATS;
				es->n_stats = di.n_stats;
				ifr.ifr_data = (void *)es;
				ioctl(fd, SIOCETHTOOL, &ifr);
			}
			genl(g, ETHTOOL_MSG_LINKMODES_GET, 0, 0);
			genl(g, ETHTOOL_MSG_RINGS_GET, 0, 0);
			genl(g, ETHTOOL_MSG_CHANNELS_GET, 0, 0);
			genl(g, ETHTOOL_MSG_PAUSE_GET, ETHTOOL_FLAG_STATS, 0);
			genl(g, ETHTOOL_MSG_FEC_GET, ETHTOOL_FLAG_STATS, 0);
			genl(g, ETHTOOL_MSG_STATS_GET, 0, 1);
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (step) {
			printf("%.9f\n", (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
			fflush(stdout);
			continue;
		}
		t[it] = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9;
	}
	qsort(t, iters, sizeof(double), cmpd);
	printf("%.9f %d\n", t[iters / 2], nidx);
	return 0;
}
