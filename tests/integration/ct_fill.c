// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ct_fill.c - fill one network namespace's conntrack table over ctnetlink,
 * for test_netns_conntrack_full.py (needs root: CAP_SYS_ADMIN for setns,
 * CAP_NET_ADMIN for IPCTNL_MSG_CT_NEW).
 *
 *   ct_fill NSFILE COUNT [FIRST]
 *       setns() into NSFILE, then create up to COUNT distinct UDP entries,
 *       numbered from FIRST (default 0) so that runs can continue each other
 *       (10.N.N.N:P -> 10.200.0.1:53, ASSURED, timeout one hour), many
 *       IPCTNL_MSG_CT_NEW messages per sendmsg() on one socket. Entries are
 *       ASSURED so that the kernel cannot early-drop one of them to make room:
 *       once the namespace's count reaches nf_conntrack_max, each further
 *       create fails with ENOMEM and ct_fill stops at the end of that batch.
 *       Prints "inserted N", "refused N", "errno E" (the first error's number,
 *       or 0) and "seconds S", one per line.
 *
 * Exit status: 0 ran (whatever the kernel refused), 1 usage or system error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH_BYTES (128 * 1024)

static void put_tuple(struct nlmsghdr *nlh, int type, uint32_t src, uint32_t dst, uint16_t sport,
		      uint16_t dport)
{
	struct nlattr *t = mnl_attr_nest_start(nlh, type);
	struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	struct nlattr *proto;

	mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, src);
	mnl_attr_put_u32(nlh, CTA_IP_V4_DST, dst);
	mnl_attr_nest_end(nlh, ip);
	proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, IPPROTO_UDP);
	mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, sport);
	mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, dport);
	mnl_attr_nest_end(nlh, proto);
	mnl_attr_nest_end(nlh, t);
}

/* Entry i: source 10.0.0.0/8 address and port from i, so every tuple differs. */
static void put_entry(char *buf, uint32_t seq, unsigned long i)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;
	uint32_t src = htonl(0x0a000000u | (uint32_t)((i >> 6) & 0xffffff));
	uint32_t dst = htonl(0x0ac80001u);
	uint16_t sport = htons((uint16_t)(1024 + (i & 63)));
	uint16_t dport = htons(53);

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_INET;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	put_tuple(nlh, CTA_TUPLE_ORIG, src, dst, sport, dport);
	put_tuple(nlh, CTA_TUPLE_REPLY, dst, src, dport, sport);
	/* The kernel marks a created entry CONFIRMED before it applies CTA_STATUS,
	 * and refuses (EBUSY) a status that would clear that bit. */
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(IPS_CONFIRMED | IPS_ASSURED | IPS_SEEN_REPLY));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(3600));
}

/* Errors of the last sendmsg(): the kernel ran it synchronously, so they are queued. */
static long drain_errors(struct mnl_socket *nl, int *first)
{
	static char rbuf[256 * 1024];
	long errors = 0;

	for (;;) {
		ssize_t n = recv(mnl_socket_get_fd(nl), rbuf, sizeof(rbuf), MSG_DONTWAIT);
		const struct nlmsghdr *h;
		int len;

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return errors;
			if (errno == ENOBUFS) { /* lost acks: the count decides */
				if (!*first)
					*first = ENOBUFS;
				continue;
			}
			perror("recv");
			exit(1);
		}
		len = (int)n;
		for (h = (const struct nlmsghdr *)rbuf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			const struct nlmsgerr *e;

			if (h->nlmsg_type != NLMSG_ERROR)
				continue;
			e = mnl_nlmsg_get_payload(h);
			if (e->error) {
				errors++;
				if (!*first)
					*first = -e->error;
			}
		}
	}
}

int main(int argc, char **argv)
{
	static char buf[BATCH_BYTES];
	unsigned long count, end, i = 0, inserted = 0, refused = 0;
	struct timespec t0, t1;
	struct mnl_socket *nl;
	int fd, first = 0, rcv = 16 << 20;
	uint32_t seq = 1;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s NSFILE COUNT [FIRST]\n", argv[0]);
		return 1;
	}
	count = strtoul(argv[2], NULL, 10);
	if (argc == 4)
		i = strtoul(argv[3], NULL, 10);
	end = i + count;
	fd = open(argv[1], O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		perror(argv[1]);
		return 1;
	}
	close(fd);
	nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID)) {
		perror("netlink");
		return 1;
	}
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv));

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (i < end && !refused) {
		size_t off = 0;
		unsigned long n = 0;
		long errors;

		while (i < end && off + 256 <= sizeof(buf)) {
			put_entry(buf + off, seq++, i++);
			off += ((struct nlmsghdr *)(buf + off))->nlmsg_len;
			n++;
		}
		if (mnl_socket_sendto(nl, buf, off) < 0) {
			perror("sendto");
			return 1;
		}
		errors = drain_errors(nl, &first);
		inserted += n - (unsigned long)errors;
		refused += (unsigned long)errors;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("inserted %lu\nrefused %lu\nerrno %d\nseconds %.3f\n", inserted, refused, first,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	mnl_socket_close(nl);
	return 0;
}
