// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sd_floor.c - the raw floor of a TCP sock_diag dump: a minimal program that
 * sends one inet_diag dump request and reads the reply with recv() into a
 * 32 KiB buffer, counting messages and nothing else.
 *
 *   sd_floor MODE COUNT
 *     MODE   legacy: one TCPDIAG_GETSOCK request, family AF_UNSPEC
 *                    (one kernel walk for both families)
 *            family: two SOCK_DIAG_BY_FAMILY requests, AF_INET then AF_INET6
 *            inet:   one SOCK_DIAG_BY_FAMILY request, AF_INET only
 *     COUNT  dumps to run (each one is timed); 0: one dump per line read
 *            from standard input, until end of file
 *
 * Prints one line per dump: "<sockets> <wall seconds> <cpu seconds>", where
 * cpu is this process's user+system time (the kernel's work of filling the
 * dump is done in the receiving process's context, so it is included).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>

static char buf[32768] __attribute__((aligned(8)));

static double now(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long dump(int fd, int legacy, int family, unsigned seq)
{
	struct {
		struct nlmsghdr nlh;
		union {
			struct inet_diag_req old;
			struct inet_diag_req_v2 v2;
		} r;
	} req;
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
	long n = 0;

	memset(&req, 0, sizeof(req));
	req.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nlh.nlmsg_seq = seq;
	if (legacy) {
		req.nlh.nlmsg_type = TCPDIAG_GETSOCK;
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.r.old));
		req.r.old.idiag_family = AF_UNSPEC;
		req.r.old.idiag_states = 0x1ffe;
	} else {
		req.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
		req.nlh.nlmsg_len = NLMSG_LENGTH(sizeof(req.r.v2));
		req.r.v2.sdiag_family = (unsigned char)family;
		req.r.v2.sdiag_protocol = IPPROTO_TCP;
		req.r.v2.idiag_states = 0x1ffe;
	}
	if (sendto(fd, &req, req.nlh.nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("sendto");
		exit(1);
	}
	for (;;) {
		ssize_t len = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (len < 0) {
			if (errno == EINTR)
				continue;
			perror("recv");
			exit(1);
		}
		for (; NLMSG_OK(h, (size_t)len); h = NLMSG_NEXT(h, len)) {
			if (h->nlmsg_type == NLMSG_DONE)
				return n;
			if (h->nlmsg_type == NLMSG_ERROR) {
				fprintf(stderr, "NLMSG_ERROR\n");
				exit(1);
			}
			n++;
		}
	}
}

int main(int argc, char **argv)
{
	int fd, legacy, count;

	if (argc != 3) {
		fprintf(stderr, "usage: sd_floor legacy|family|inet COUNT\n");
		return 2;
	}
	legacy = strcmp(argv[1], "legacy") == 0;
	count = atoi(argv[2]);
	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	for (int i = 0; count == 0 || i < count; i++) {
		char line[64];
		double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID), w1, c1;
		long n;

		if (count == 0) {
			if (!fgets(line, sizeof(line), stdin))
				break;
			w0 = now(CLOCK_MONOTONIC);
			c0 = now(CLOCK_PROCESS_CPUTIME_ID);
		}
		if (legacy)
			n = dump(fd, 1, AF_UNSPEC, (unsigned)i + 1);
		else if (strcmp(argv[1], "inet") == 0)
			n = dump(fd, 0, AF_INET, (unsigned)i + 1);
		else
			n = dump(fd, 0, AF_INET, (unsigned)i + 1) +
			    dump(fd, 0, AF_INET6, (unsigned)i + 1);
		w1 = now(CLOCK_MONOTONIC);
		c1 = now(CLOCK_PROCESS_CPUTIME_ID);
		printf("%ld %.6f %.6f\n", n, w1 - w0, c1 - c0);
		fflush(stdout);
	}
	fflush(stdout);
	close(fd);
	return 0;
}
