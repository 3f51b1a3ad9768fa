/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sockdiag.h - streaming inet_diag (NETLINK_SOCK_DIAG) dumps, shared by the
 * tcp and udp collectors.
 *
 * ns_sd_dump() sends one inet_diag dump request on the context's
 * NETLINK_SOCK_DIAG socket and hands every socket to a callback as its
 * message is received (never the whole dump in memory), already decoded
 * into a struct ns_sd_sock: family, state, ports in host order, queues.
 * Attributes are parsed only when the consumer asks (ns_sd_attrs()), so a
 * consumer that only counts pays for the fixed header alone.
 *
 * Requests:
 *   family AF_UNSPEC + IPPROTO_TCP: the legacy TCPDIAG_GETSOCK request
 *     (struct inet_diag_req), which the kernel serves as one walk of the
 *     TCP hash tables for both families;
 *   family AF_INET / AF_INET6: SOCK_DIAG_BY_FAMILY (struct
 *     inet_diag_req_v2), one walk per request.
 *
 * Malformed messages: a message of another type, or one whose payload is
 * shorter than struct inet_diag_msg, is skipped and counted
 * (struct ns_sd.bad); a family other than AF_INET/AF_INET6 is skipped
 * silently. The consumer decides whether that fails its scrape.
 *
 * Replay: a legacy request replays "<replay_dir>/4-18.nl" through the
 * context's socket as usual. Per-family requests of one scrape share a
 * message type, so each (family, protocol) replays from its own
 * subdirectory: "<replay_dir>/<family>-<protocol>/4-20.nl" with family
 * "inet" or "inet6" and protocol "tcp" or "udp" (e.g. "inet6-udp/4-20.nl"),
 * through a replay handle opened once and kept in struct ns_sd.
 *
 * Endpoint tables: a fixed-capacity open-addressing hash table keyed by
 * (family, address, port) with a few u64 values per entry, allocated once
 * and cleared per scrape; used for per-listener and per-port aggregates.
 */
#ifndef NS_SOCKDIAG_H
#define NS_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/inet_diag.h>

#include "ctx.h"
#include "procfs.h"
#include "err.h"
#include "nl.h"

#ifndef TCP_NEW_SYN_RECV
#define TCP_NEW_SYN_RECV 12
#endif

/* Bits of ns_sd_req.states: every state the kernel knows (1..12). */
#define NS_SD_ALL_STATES 0x1ffeu
#define NS_SD_EXT(attr) ((uint8_t)(1u << ((attr)-1)))

struct ns_sd_req {
	uint8_t family;	  /* AF_UNSPEC (legacy, TCP only), AF_INET, AF_INET6 */
	uint8_t protocol; /* IPPROTO_TCP, IPPROTO_UDP */
	uint8_t ext;	  /* NS_SD_EXT(INET_DIAG_INFO) | ... ; 0 asks for no extensions */
	uint32_t states;  /* 1 << TCP_* */
};

/* One socket, decoded from its inet_diag_msg. Valid during the callback only. */
struct ns_sd_sock {
	const struct nlmsghdr *nlh;
	const struct inet_diag_msg *m;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t state;	/* idiag_state as sent (TCP_NEW_SYN_RECV not folded) */
	uint16_t sport; /* host order */
	uint16_t dport;
	uint32_t rqueue;
	uint32_t wqueue;
	const uint8_t *src; /* 4 or 16 bytes, network order */
	const uint8_t *dst;
};

typedef int (*ns_sd_cb)(const struct ns_sd_sock *s, void *data);

#define NS_SD_MAX_REPLAY 4

/* Per-consumer state: statistics and replay handles. Zero-initialise. */
struct ns_sd {
	uint64_t sockets; /* sockets handed to callbacks, last dump */
	uint64_t bad;	  /* malformed messages skipped, last dump */
	struct ns_nl *replay[NS_SD_MAX_REPLAY];
	uint16_t replay_key[NS_SD_MAX_REPLAY]; /* family << 8 | protocol */
};

/*
 * Run one dump. @reset is called (after the layer's restart on
 * NLM_F_DUMP_INTR) before the messages are replayed again, and the
 * statistics in @sd are reset with it. Returns 0 or -errno with @e filled.
 */
int ns_sd_dump(struct ns_sd *sd, struct ns_ctx *ctx, const struct ns_sd_req *req, ns_sd_cb cb,
	       ns_nl_reset_cb reset, void *data, struct ns_err *e);
/* Close the replay handles. */
void ns_sd_fini(struct ns_sd *sd);

/* Parse the socket's attributes into tb[0..INET_DIAG_MAX]. */
void ns_sd_attrs(const struct ns_sd_sock *s, const struct nlattr **tb);

/* INET_DIAG_SKV6ONLY of an AF_INET6 socket (0 if absent or AF_INET). */
int ns_sd_v6only(const struct nlattr *const *tb);

/* ---- endpoints ---- */

enum ns_sd_ep_kind {
	NS_EP_ADDR = 0,	    /* a real address */
	NS_EP_DUAL_ANY = 1, /* AF_INET6 in6addr_any without IPV6_V6ONLY: ss prints "*" */
};

struct ns_sd_ep {
	uint8_t family;
	uint8_t kind;
	uint16_t port; /* host order */
	uint8_t addr[16];
};

/* The local (@remote false) or remote endpoint of @s; v6only from ns_sd_v6only(). */
void ns_sd_ep_of(const struct ns_sd_sock *s, bool remote, int v6only, struct ns_sd_ep *ep);

/*
 * The address as a label value (docs/METRICS.md, "Label conventions"): the
 * inet_ntop() text, as conntrack prints it, without the brackets of
 * `ss -n`: "127.0.0.1", "0.0.0.0", "::1", "::ffff:10.0.0.1", "::"
 * (IPV6_V6ONLY), and "*" for the dual-stack wildcard (as ss).
 * @len >= NS_SD_ADDRSTRLEN.
 */
#define NS_SD_ADDRSTRLEN 56
void ns_sd_format_addr(const struct ns_sd_ep *ep, char *buf, size_t len);
/* "ipv4" / "ipv6". */
const char *ns_sd_family_name(uint8_t family);

#define NS_SD_MAX_VALS 4

struct ns_sd_eptab {
	size_t cap; /* entries */
	size_t n;
	size_t mask;	 /* slots - 1 */
	uint32_t *slots; /* entry index + 1, 0 = empty */
	struct ns_sd_ep *keys;
	uint64_t (*vals)[NS_SD_MAX_VALS];
};

/* Allocate a table for @cap entries (cap 0 is allowed: always full). */
int ns_sd_eptab_init(struct ns_sd_eptab *t, size_t cap);
void ns_sd_eptab_clear(struct ns_sd_eptab *t);
void ns_sd_eptab_free(struct ns_sd_eptab *t);
/* The values of @k, inserted zeroed if absent; NULL if absent and the table is full. */
uint64_t *ns_sd_eptab_get(struct ns_sd_eptab *t, const struct ns_sd_ep *k);

/*
 * The ephemeral port range (net.ipv4.ip_local_port_range below the
 * context's procfs root), read through @f (kept open by the caller). @who
 * prefixes error messages. 0, or -errno with a message.
 */
int ns_sd_read_port_range(struct ns_file *f, struct ns_ctx *ctx, const char *who, uint32_t *lo,
			  uint32_t *hi, struct ns_err *e);

#endif
