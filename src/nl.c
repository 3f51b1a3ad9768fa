// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nl.c - the shared netlink layer on libmnl (see nl.h for the contract).
 *
 * A request lives in a fixed 4 KiB send buffer; replies are read into one
 * receive buffer that starts at 32 KiB and only grows (both the socket's
 * own, or shared with sockets never used at the same time: nl.h). One
 * recvmsg(MSG_TRUNC) per datagram, no peek: a datagram larger than the
 * buffer comes back flagged MSG_TRUNC with its real size; the buffer grows
 * to it and the dump restarts on a fresh socket (counted by
 * ns_nl_restarts()), so a message is never parsed truncated.
 *
 * Messages are walked by hand rather than with mnl_cb_run() because the
 * layer needs to keep reading after an interrupted or aborted dump (the
 * kernel refuses a new dump with -EBUSY while one is still running on the
 * socket), to read the error inside NLMSG_DONE and the extended ACK text,
 * and to treat a truncated message as an error instead of silently
 * stopping.
 *
 * Replay (the contract is written once, in nl.h): the "socket" is a file
 * of concatenated messages, processed as one datagram through the same
 * code; e.g. "0-18.nl" with DUMP_INTR plus a clean "0-18.2.nl" is one
 * successful restart, and a single flagged file is a dump that stays
 * interrupted.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "nl.h"

#define NL_RBUF_START (32 * 1024)
#define NL_SBUF_SIZE 4096
#define NL_MAX_RESTARTS 5
#define NL_RECV_TIMEOUT_S 10

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_GET_STRICT_CHK
#define NETLINK_GET_STRICT_CHK 12
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

struct ns_nl {
	struct mnl_socket *sock; /* NULL in replay mode */
	char *replay_dir;	 /* NULL for a live socket */
	int protocol;
	uint32_t portid;
	uint32_t seq;
	unsigned restarts;
	struct ns_nl_bufs own;
	struct ns_nl_bufs *rb; /* &own, or buffers shared with other sockets */
};

/* What one pass over a request's reply found. */
struct nl_pass {
	const struct nlmsghdr *req;
	bool dump;
	bool done;	/* NLMSG_DONE, NLMSG_ERROR or end of replay seen */
	bool stopped;	/* no more messages to the callback */
	bool intr;	/* NLM_F_DUMP_INTR seen */
	bool truncated; /* a datagram did not fit in rbuf (now grown): resend */
	int rc;
	ns_nl_msg_cb cb;
	void *data;
	struct ns_err *e;
};

static int nl_grow(struct ns_nl *nl, size_t need)
{
	struct ns_nl_bufs *rb = nl->rb;
	size_t cap = rb->cap ? rb->cap : NL_RBUF_START;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap == rb->cap)
		return 0;
	p = realloc(rb->p, cap);
	if (!p)
		return -ENOMEM;
	rb->p = p;
	rb->cap = cap;
	return 0;
}

static struct ns_nl *nl_alloc(int protocol, struct ns_nl_bufs *shared)
{
	struct ns_nl *nl = calloc(1, sizeof(*nl));

	if (!nl)
		return NULL;
	nl->protocol = protocol;
	nl->rb = shared ? shared : &nl->own;
	if (!nl->rb->req && !(nl->rb->req = calloc(1, NL_SBUF_SIZE))) {
		free(nl);
		return NULL;
	}
	if (nl_grow(nl, NL_RBUF_START)) {
		ns_nl_bufs_free(&nl->own);
		free(nl);
		return NULL;
	}
	return nl;
}

/* Open and bind nl->sock (closing any previous one). */
static int nl_socket(struct ns_nl *nl, struct ns_err *e)
{
	struct timeval tv = {.tv_sec = NL_RECV_TIMEOUT_S};
	int one = 1, rc, protocol = nl->protocol;

	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = mnl_socket_open2(protocol, SOCK_CLOEXEC);
	if (!nl->sock) {
		rc = -errno;
		return ns_err_set(e, rc, "netlink protocol %d: socket: %s", protocol,
				  strerror(-rc));
	}
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return ns_err_set(e, rc, "netlink protocol %d: bind: %s", protocol, strerror(-rc));
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	/* Optional features: older kernels simply do without them. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return 0;
}

int ns_nl_open_shared(struct ns_nl **out, int protocol, struct ns_nl_bufs *rb, struct ns_err *e)
{
	struct ns_nl *nl = nl_alloc(protocol, rb);
	int rc;

	*out = NULL;
	if (!nl)
		return ns_err_set(e, -ENOMEM, "netlink protocol %d: out of memory", protocol);
	rc = nl_socket(nl, e);
	if (rc) {
		ns_nl_close(nl);
		return rc;
	}
	*out = nl;
	return 0;
}

int ns_nl_open(struct ns_nl **out, int protocol, struct ns_err *e)
{
	return ns_nl_open_shared(out, protocol, NULL, e);
}

void ns_nl_bufs_free(struct ns_nl_bufs *rb)
{
	free(rb->p);
	free(rb->req);
	rb->p = NULL;
	rb->req = NULL;
	rb->cap = 0;
}

int ns_nl_open_replay(struct ns_nl **out, int protocol, const char *dir, struct ns_err *e)
{
	struct ns_nl *nl = nl_alloc(protocol, NULL);

	*out = NULL;
	if (!nl || !(nl->replay_dir = strdup(dir))) {
		ns_nl_close(nl);
		return ns_err_set(e, -ENOMEM, "netlink protocol %d: out of memory", protocol);
	}
	*out = nl;
	return 0;
}

void ns_nl_close(struct ns_nl *nl)
{
	if (!nl)
		return;
	if (nl->sock)
		mnl_socket_close(nl->sock);
	free(nl->replay_dir);
	ns_nl_bufs_free(&nl->own);
	free(nl);
}

int ns_nl_set_recv_buffer(struct ns_nl *nl, size_t bytes)
{
	char *p;

	if (bytes < 64)
		bytes = 64;
	p = realloc(nl->rb->p, bytes);
	if (!p)
		return -ENOMEM;
	nl->rb->p = p;
	nl->rb->cap = bytes;
	return 0;
}

size_t ns_nl_recv_buffer(const struct ns_nl *nl)
{
	return nl->rb->cap;
}

int ns_nl_protocol(const struct ns_nl *nl)
{
	return nl->protocol;
}

unsigned ns_nl_restarts(const struct ns_nl *nl)
{
	return nl->restarts;
}

struct nlmsghdr *ns_nl_request(struct ns_nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(nl->rb->req);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

struct nlmsghdr *ns_nl_linkdump_req(struct ns_nl *nl, uint32_t ext_mask)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	if (ext_mask)
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, ext_mask);
	return nlh;
}

struct nlmsghdr *ns_nl_tcdump_req(struct ns_nl *nl, uint16_t type, int ifindex)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, type, NLM_F_DUMP);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));

	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	return nlh;
}

struct nlmsghdr *ns_nl_nfgen_req(struct ns_nl *nl, uint16_t type, uint16_t flags, uint8_t family)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, type, flags);
	struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));

	nfg->nfgen_family = family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

struct nlmsghdr *ns_nl_genl_req(struct ns_nl *nl, uint16_t family, uint16_t flags, uint8_t cmd,
				uint8_t version)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, family, flags);
	struct genlmsghdr *g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));

	g->cmd = cmd;
	g->version = version;
	return nlh;
}

/* "netlink dump type 18" (the protocol is named unless it is NETLINK_ROUTE). */
static int nl_err(struct ns_nl *nl, const struct nl_pass *p, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int nl_err(struct ns_nl *nl, const struct nl_pass *p, int rc, const char *fmt, ...)
{
	char what[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (nl->protocol == NETLINK_ROUTE)
		return ns_err_set(p->e, rc, "netlink %s type %u: %s", p->dump ? "dump" : "request",
				  p->req->nlmsg_type, what);
	return ns_err_set(p->e, rc, "netlink %s type %u (protocol %d): %s",
			  p->dump ? "dump" : "request", p->req->nlmsg_type, nl->protocol, what);
}

/* The extended ACK text (NLMSGERR_ATTR_MSG) after @off payload bytes, or NULL. */
static const char *nl_extack_msg(const struct nlmsghdr *nlh, size_t off)
{
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off > mnl_nlmsg_get_payload_len(nlh))
		return NULL;
	mnl_attr_for_each(a, nlh, off)
	{
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
			return mnl_attr_get_str(a);
	}
	return NULL;
}

/*
 * The error a message carries, as -errno. Some protocols send a positive
 * errno; a value that no errno can have (INT_MIN, say, from a broken or
 * hostile peer) becomes -EPROTO.
 */
static int nl_errno(int v)
{
	if (v < 0 && v >= -4095)
		return v;
	if (v > 0 && v <= 4095)
		return -v;
	return -EPROTO;
}

/* Record the first error of a pass: "<strerror>[: <extack>]". */
static void nl_pass_fail(struct ns_nl *nl, struct nl_pass *p, int err, const char *extack)
{
	if (p->rc)
		return;
	if (extack && *extack)
		p->rc = nl_err(nl, p, err, "%s: %s", strerror(-err), extack);
	else
		p->rc = nl_err(nl, p, err, "%s", strerror(-err));
}

static void nl_handle_error(struct ns_nl *nl, struct nl_pass *p, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off;

	p->done = true;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*err)) {
		if (!p->rc)
			p->rc = nl_err(nl, p, -EBADMSG, "NLMSG_ERROR too short (%u bytes)",
				       nlh->nlmsg_len);
		return;
	}
	if (err->error == 0)
		return; /* ACK */
	off = sizeof(*err);
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && err->msg.nlmsg_len >= sizeof(struct nlmsghdr))
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	nl_pass_fail(nl, p, nl_errno(err->error), nl_extack_msg(nlh, off));
}

static void nl_handle_done(struct ns_nl *nl, struct nl_pass *p, const struct nlmsghdr *nlh)
{
	int err;

	p->done = true;
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
		return;
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err)
		nl_pass_fail(nl, p, nl_errno(err), nl_extack_msg(nlh, sizeof(int)));
}

/* Replay: is @nlh part of the kernel's answer to @req (see nl.h)? */
static bool nl_replay_selects(const struct ns_nl *nl, const struct nlmsghdr *req,
			      const struct nlmsghdr *nlh)
{
	const struct tcmsg *q = mnl_nlmsg_get_payload(req), *m = mnl_nlmsg_get_payload(nlh);

	if (nl->protocol != NETLINK_ROUTE ||
	    (req->nlmsg_type != RTM_GETTCLASS && req->nlmsg_type != RTM_GETTFILTER) ||
	    mnl_nlmsg_get_payload_len(req) < sizeof(*q) ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return true;
	return !q->tcm_ifindex || m->tcm_ifindex == q->tcm_ifindex;
}

static void nl_deliver(struct ns_nl *nl, struct nl_pass *p, const struct nlmsghdr *nlh)
{
	int r;

	if (p->stopped || p->intr || p->rc)
		return;
	if (!nl->sock && !nl_replay_selects(nl, p->req, nlh))
		return;
	r = p->cb ? p->cb(nlh, p->data) : MNL_CB_OK;
	if (r == MNL_CB_STOP) {
		p->stopped = true;
	} else if (r < 0) {
		p->stopped = true;
		/* MNL_CB_ERROR (-1) says nothing more; a lower value is an -errno. */
		if (r < MNL_CB_ERROR)
			p->rc = nl_err(nl, p, r, "message callback: %s", strerror(-r));
		else
			p->rc = nl_err(nl, p, -ECANCELED, "aborted by the message callback");
	}
}

/* Walk one datagram (or one replay file). */
static void nl_process(struct ns_nl *nl, struct nl_pass *p, const char *buf, size_t len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	while (len > 0 && !p->done) {
		if (len < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > len) {
			if (!p->rc)
				p->rc = nl_err(nl, p, -EBADMSG,
					       "truncated message (nlmsg_len %u, %zu bytes left)",
					       len >= sizeof(*nlh) ? nlh->nlmsg_len : 0, len);
			p->done = true;
			return;
		}
		/* Left over from an earlier, abandoned request on this socket. */
		if (nl->sock && (nlh->nlmsg_seq != p->req->nlmsg_seq ||
				 (nlh->nlmsg_pid && nlh->nlmsg_pid != nl->portid)))
			goto next;
		if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
			p->intr = true;
		switch (nlh->nlmsg_type) {
		case NLMSG_ERROR:
			nl_handle_error(nl, p, nlh);
			break;
		case NLMSG_DONE:
			nl_handle_done(nl, p, nlh);
			break;
		case NLMSG_OVERRUN:
			if (!p->rc)
				p->rc = nl_err(nl, p, -EOVERFLOW, "NLMSG_OVERRUN");
			break;
		default:
			if (nlh->nlmsg_type >= NLMSG_MIN_TYPE)
				nl_deliver(nl, p, nlh);
			break; /* NLMSG_NOOP and reserved types */
		}
	next:
		if (len < NLMSG_ALIGN(nlh->nlmsg_len))
			break;
		len -= NLMSG_ALIGN(nlh->nlmsg_len);
		nlh = (const struct nlmsghdr *)((const char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));
	}
}

/*
 * Receive one datagram from the kernel into rbuf. One recvmsg() a datagram:
 * the kernel builds dump datagrams of at most 32 KiB unless a single
 * message is larger, and rbuf starts at 32 KiB. A datagram that did not fit
 * (MSG_TRUNC) is lost: rbuf grows to its size and the pass is marked for a
 * restart on a fresh socket (-EAGAIN), so only the first such dump in the
 * daemon's life pays twice.
 */
static ssize_t nl_recv(struct ns_nl *nl, struct nl_pass *p)
{
	int fd = mnl_socket_get_fd(nl->sock);

	for (;;) {
		struct sockaddr_nl sa;
		struct iovec iov = {.iov_base = nl->rb->p, .iov_len = nl->rb->cap};
		struct msghdr msg = {
		    .msg_name = &sa,
		    .msg_namelen = sizeof(sa),
		    .msg_iov = &iov,
		    .msg_iovlen = 1,
		};
		ssize_t n;

		n = recvmsg(fd, &msg, MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (msg.msg_flags & MSG_TRUNC) {
			if (nl_grow(nl, (size_t)n))
				return nl_err(nl, p, -ENOMEM, "receive buffer of %zd bytes", n);
			p->truncated = true;
			return -EAGAIN;
		}
		if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
			continue; /* not from the kernel */
		return n;
	fail:
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return nl_err(nl, p, -ETIMEDOUT, "no answer within %d s",
				      NL_RECV_TIMEOUT_S);
		return nl_err(nl, p, -errno, "recvmsg: %s", strerror(errno));
	}
}

/* Load the replay file for pass @attempt (0 = first) into rbuf. */
static ssize_t nl_replay_load(struct ns_nl *nl, struct nl_pass *p, unsigned attempt)
{
	char path[4096];
	struct stat st;
	size_t got = 0;
	int fd = -1, rc;

	if (nl->protocol == NETLINK_GENERIC && p->req->nlmsg_type != GENL_ID_CTRL &&
	    mnl_nlmsg_get_payload_len(p->req) >= GENL_HDRLEN) {
		/* keyed by the request's cmd (nl.h) */
		snprintf(path, sizeof(path), "%s/%d-%u-%u.nl", nl->replay_dir, nl->protocol,
			 p->req->nlmsg_type,
			 ((const struct genlmsghdr *)mnl_nlmsg_get_payload(p->req))->cmd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	} else {
		if (attempt > 0) {
			snprintf(path, sizeof(path), "%s/%d-%u.%u.nl", nl->replay_dir, nl->protocol,
				 p->req->nlmsg_type, attempt + 1);
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (fd < 0) {
			snprintf(path, sizeof(path), "%s/%d-%u.nl", nl->replay_dir, nl->protocol,
				 p->req->nlmsg_type);
			fd = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	if (fd < 0) {
		rc = -errno;
		if (rc == -ENOENT)
			return nl_err(nl, p, rc, "no replay file %s", path);
		return nl_err(nl, p, rc, "replay file %s: %s", path, strerror(-rc));
	}
	if (fstat(fd, &st) < 0) {
		rc = nl_err(nl, p, -errno, "replay file %s: %s", path, strerror(errno));
		goto out;
	}
	if (nl_grow(nl, (size_t)st.st_size + 1)) {
		rc = nl_err(nl, p, -ENOMEM, "replay file %s: out of memory", path);
		goto out;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, nl->rb->p + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = nl_err(nl, p, -errno, "replay file %s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += n;
	}
	rc = (int)got;
out:
	close(fd);
	return rc;
}

static int nl_pass(struct ns_nl *nl, struct nl_pass *p, unsigned attempt)
{
	struct nlmsghdr *req = nl->rb->req;
	ssize_t n;

	if (!nl->replay_dir) {
		if (++nl->seq == 0)
			nl->seq = 1;
		req->nlmsg_seq = nl->seq;
		req->nlmsg_pid = 0;
		n = mnl_socket_sendto(nl->sock, req, req->nlmsg_len);
		if (n < 0)
			return nl_err(nl, p, -errno, "send: %s", strerror(errno));
		if ((size_t)n != req->nlmsg_len)
			return nl_err(nl, p, -EIO, "short send (%zd of %u bytes)", n,
				      req->nlmsg_len);
		while (!p->done) {
			if (p->stopped && p->dump) {
				/*
				 * The consumer wants no more. Reading the rest would
				 * let the kernel walk its whole table (conntrack:
				 * ~1 us an entry); a fresh socket abandons the dump.
				 */
				struct ns_err tmp;
				int rc = nl_socket(nl, &tmp);

				if (rc)
					return p->rc ? p->rc
						     : nl_err(nl, p, rc, "reopen: %s", tmp.msg);
				break;
			}
			n = nl_recv(nl, p);
			if (n < 0 && p->truncated) {
				/* Abandon the rest of this reply with its socket. */
				struct ns_err tmp;
				int rc = nl_socket(nl, &tmp);

				if (rc)
					return nl_err(nl, p, rc, "reopen: %s", tmp.msg);
				return 0;
			}
			if (n < 0)
				return (int)n;
			nl_process(nl, p, nl->rb->p, (size_t)n);
		}
	} else {
		n = nl_replay_load(nl, p, attempt);
		if (n < 0)
			return (int)n;
		nl_process(nl, p, nl->rb->p, (size_t)n);
		p->done = true; /* end of file ends the reply */
	}
	return p->rc;
}

int ns_nl_run(struct ns_nl *nl, ns_nl_msg_cb cb, ns_nl_reset_cb reset, void *data, struct ns_err *e)
{
	struct nlmsghdr *req = nl->rb->req;
	bool dump = (req->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	unsigned attempt;
	int rc;

	if (req->nlmsg_len < sizeof(*req))
		return ns_err_set(e, -EINVAL, "netlink: ns_nl_run() without ns_nl_request()");
	if (!dump)
		req->nlmsg_flags |= NLM_F_ACK; /* so the reply has a definite end */
	for (attempt = 0;; attempt++) {
		struct nl_pass p = {.req = req, .dump = dump, .cb = cb, .data = data, .e = e};

		rc = nl_pass(nl, &p, attempt);
		if (rc || (!p.intr && !p.truncated))
			return rc;
		if (attempt == NL_MAX_RESTARTS)
			return nl_err(nl, &p, -EINTR, "dump still interrupted after %d restarts",
				      NL_MAX_RESTARTS);
		nl->restarts++;
		if (reset)
			reset(data);
	}
}

void ns_nl_attr_strcpy(const struct nlattr *a, char *dst, size_t size)
{
	size_t n = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);

	n = strnlen(s, n);
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

size_t ns_nl_attr_copy(const struct nlattr *a, void *dst, size_t len)
{
	size_t plen = mnl_attr_get_payload_len(a);

	if (plen >= len) {
		memcpy(dst, mnl_attr_get_payload(a), len);
	} else {
		memcpy(dst, mnl_attr_get_payload(a), plen);
		memset((char *)dst + plen, 0, len - plen);
	}
	return plen;
}

/*
 * Index the attributes of a message or nest by type (the last one of a type
 * wins; types above @max are ignored). mnl_attr_for_each() with the type
 * read in place: this runs for every attribute of every message, and a
 * callback per attribute cost a tenth of the qdisc collector's time.
 */
void ns_nl_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, unsigned max)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return;
	mnl_attr_for_each(a, nlh, hdrlen)
	{
		unsigned type = a->nla_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = a;
	}
}

const struct nlattr *ns_nl_find(const struct nlmsghdr *nlh, size_t hdrlen, unsigned type)
{
	const struct nlattr *a;

	if (mnl_nlmsg_get_payload_len(nlh) < hdrlen)
		return NULL;
	mnl_attr_for_each(a, nlh, hdrlen)
	{
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
	}
	return NULL;
}

void ns_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	mnl_attr_for_each_nested(a, nest)
	{
		unsigned type = a->nla_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = a;
	}
}
