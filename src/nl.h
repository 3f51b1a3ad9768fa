/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nl.h - the shared netlink layer on libmnl.
 *
 * One struct ns_nl per (namespace, netlink protocol), opened once by the
 * context and reused for every scrape. A dump streams: each message is
 * handed to the callback as it is received, never the whole dump at once,
 * through one receive buffer that is grown (and kept) when the kernel says
 * a message did not fit.
 *
 * The layer turns NLMSG_ERROR (with extended ACK text when the kernel sends
 * it) into -errno plus a message, restarts a dump that the kernel flagged
 * NLM_F_DUMP_INTR (calling @reset first so the consumer can drop partial
 * results), and gives the attribute helpers below that tolerate payloads
 * shorter or longer than the struct compiled in.
 *
 * Replay: a context can point the layer at a directory of recorded or
 * generated messages instead of a socket (ns_nl_open_replay()); a dump of
 * message type T on protocol P then reads "<dir>/<P>-<T>.nl", a file of
 * concatenated netlink messages, and runs them through the same code.
 * End of file ends the reply (an NLMSG_DONE is allowed, not required);
 * sequence numbers and port ids are not checked in replay. When a replayed
 * dump is flagged NLM_F_DUMP_INTR, restart N (1-based) reads
 * "<dir>/<P>-<T>.<N+1>.nl" if it exists, else "<dir>/<P>-<T>.nl" again.
 * A generic netlink request of a family F other than the controller is
 * keyed by its cmd C as well: it reads "<dir>/<P>-<F>-<C>.nl" (the replies
 * to that request only, as the kernel sends them; no restart variants).
 * A missing file is -ENOENT ("netlink dump type T: no replay file <path>").
 * The replay answers the request as the kernel would where the request
 * selects: a tc class or filter dump for one device (RTM_GETTCLASS,
 * RTM_GETTFILTER with tcm_ifindex set) gets only the recorded messages of
 * that device, so one file can hold the classes of every device.
 */
#ifndef NS_NL_H
#define NS_NL_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "err.h"

struct ns_nl;

/*
 * Per-message callback: MNL_CB_OK to continue; MNL_CB_STOP to stop delivery
 * (the rest of the reply is still read and discarded); MNL_CB_ERROR (-1) to
 * abort, ns_nl_run() then returns -ECANCELED; a negative errno below -1 to
 * abort with that errno. Messages flagged NLM_F_DUMP_INTR are not delivered.
 */
typedef int (*ns_nl_msg_cb)(const struct nlmsghdr *nlh, void *data);
/* Called before a dump is restarted after NLM_F_DUMP_INTR. */
typedef void (*ns_nl_reset_cb)(void *data);

int ns_nl_open(struct ns_nl **out, int protocol, struct ns_err *e);
/*
 * The receive and send buffers, which several sockets of one protocol may
 * share when they are never used at the same time: the contexts of other
 * network namespaces, visited one after another (src/netns_collect.c). A
 * request is then built and run by one collector call, never kept in the
 * send buffer for a later one. Zero-initialised by its owner, allocated by
 * the first socket, the receive buffer grown (and kept) by whichever socket
 * needs more, freed by ns_nl_bufs_free() after the last socket is closed.
 */
struct ns_nl_bufs {
	char *p;	      /* receive buffer */
	size_t cap;	      /* its size */
	struct nlmsghdr *req; /* send buffer (4 KiB) */
};
int ns_nl_open_shared(struct ns_nl **out, int protocol, struct ns_nl_bufs *rb, struct ns_err *e);
void ns_nl_bufs_free(struct ns_nl_bufs *rb);
int ns_nl_open_replay(struct ns_nl **out, int protocol, const char *dir, struct ns_err *e);
void ns_nl_close(struct ns_nl *nl);
int ns_nl_protocol(const struct ns_nl *nl);

/*
 * Start a request: returns a zeroed message header in the layer's send
 * buffer with type @type and flags NLM_F_REQUEST | @flags; the caller adds
 * its family header with mnl_nlmsg_put_extra_header() and attributes.
 */
struct nlmsghdr *ns_nl_request(struct ns_nl *nl, uint16_t type, uint16_t flags);

/*
 * Named request builders (as iproute2's rtnl_linkdump_req): each starts the
 * request in the send buffer, ready for ns_nl_run(), and returns its header
 * so the caller may add attributes.
 *
 * ns_nl_linkdump_req: RTM_GETLINK dump of every device (ifinfomsg family
 *   AF_UNSPEC); a non-zero @ext_mask is sent as IFLA_EXT_MASK (e.g.
 *   RTEXT_FILTER_SKIP_STATS: no link statistics).
 * ns_nl_tcdump_req: RTM_GETQDISC / RTM_GETTCLASS dump (tcmsg AF_UNSPEC) of
 *   device @ifindex, 0 for every device.
 * ns_nl_nfgen_req: nfnetlink request of @type (subsystem << 8 | message),
 *   nfgenmsg version 0, resource id 0, family @family.
 * ns_nl_genl_req: generic netlink request to family id @family, genlmsghdr
 *   command @cmd, version @version.
 */
struct nlmsghdr *ns_nl_linkdump_req(struct ns_nl *nl, uint32_t ext_mask);
struct nlmsghdr *ns_nl_tcdump_req(struct ns_nl *nl, uint16_t type, int ifindex);
struct nlmsghdr *ns_nl_nfgen_req(struct ns_nl *nl, uint16_t type, uint16_t flags, uint8_t family);
struct nlmsghdr *ns_nl_genl_req(struct ns_nl *nl, uint16_t family, uint16_t flags, uint8_t cmd,
				uint8_t version);

/*
 * Send the request built with ns_nl_request() and stream the reply to @cb
 * until NLMSG_DONE (dumps) or the ACK/answer (non-dump requests). Returns 0,
 * or -errno with @e filled. -EINTR is returned only if the dump stayed
 * interrupted after the retry limit.
 * NLM_F_ACK is added to non-dump requests. Error text names the request:
 * "netlink dump type 18: <strerror>[: <extack>]" (" (protocol P)" is added
 * after the type for protocols other than NETLINK_ROUTE).
 */
int ns_nl_run(struct ns_nl *nl, ns_nl_msg_cb cb, ns_nl_reset_cb reset, void *data,
	      struct ns_err *e);

/*
 * Number of restarts so far: dumps flagged NLM_F_DUMP_INTR, and replies
 * resent because a datagram did not fit in the receive buffer (which then
 * grows to fit; it starts at 32 KiB, the kernel's usual dump datagram).
 */
unsigned ns_nl_restarts(const struct ns_nl *nl);

/*
 * Set the receive buffer to @bytes (it still grows whenever a datagram does
 * not fit). For tests of the truncation path, and for callers that know
 * their replies carry larger messages. 0 or -ENOMEM.
 */
int ns_nl_set_recv_buffer(struct ns_nl *nl, size_t bytes);
size_t ns_nl_recv_buffer(const struct ns_nl *nl);

/*
 * Copy an attribute payload into @dst of @len bytes: a shorter payload is
 * zero-extended, a longer one truncated. Returns the payload length.
 */
size_t ns_nl_attr_copy(const struct nlattr *a, void *dst, size_t len);

/*
 * Typed attribute getters: false (and *@v untouched) when @a is NULL or
 * its payload is shorter than the type; a longer payload is read from its
 * start. ns_nl_get_be_uint reads a big-endian (network order) 32- or 64-bit
 * counter and is false for any other payload length (nfnetlink).
 */
#define NS_NL_GET(name, type)                                                                      \
	static inline bool name(const struct nlattr *a, type *v)                                   \
	{                                                                                          \
		if (!a || mnl_attr_get_payload_len(a) < sizeof(*v))                                \
			return false;                                                              \
		memcpy(v, mnl_attr_get_payload(a), sizeof(*v));                                    \
		return true;                                                                       \
	}
NS_NL_GET(ns_nl_get_u8, uint8_t)
NS_NL_GET(ns_nl_get_u16, uint16_t)
NS_NL_GET(ns_nl_get_u32, uint32_t)
NS_NL_GET(ns_nl_get_u64, uint64_t)
#undef NS_NL_GET

static inline bool ns_nl_get_be_uint(const struct nlattr *a, uint64_t *v)
{
	uint32_t v32;
	uint64_t v64;

	if (!a)
		return false;
	switch (mnl_attr_get_payload_len(a)) {
	case sizeof(v32):
		memcpy(&v32, mnl_attr_get_payload(a), sizeof(v32));
		*v = be32toh(v32);
		return true;
	case sizeof(v64):
		memcpy(&v64, mnl_attr_get_payload(a), sizeof(v64));
		*v = be64toh(v64);
		return true;
	default:
		return false;
	}
}

/*
 * Copy a string attribute into @dst of @size bytes (size >= 1): up to its
 * first NUL or the end of the payload, truncated to size - 1, always
 * terminated.
 */
void ns_nl_attr_strcpy(const struct nlattr *a, char *dst, size_t size);

/*
 * Parse nested/top-level attributes into tb[0..max] (NULL where absent),
 * skipping types > max and stopping at the first malformed attribute (a
 * length that runs past the message or nest).
 */
void ns_nl_parse(const struct nlmsghdr *nlh, size_t hdrlen, const struct nlattr **tb, unsigned max);
void ns_nl_parse_nested(const struct nlattr *nest, const struct nlattr **tb, unsigned max);
/*
 * The first top-level attribute of @type, or NULL; the walk stops there (for
 * one attribute of a large message, e.g. a link's name).
 */
const struct nlattr *ns_nl_find(const struct nlmsghdr *nlh, size_t hdrlen, unsigned type);

#endif
