// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * sockdiag.c - streaming inet_diag dumps and endpoint tables (see sockdiag.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/netlink.h>
#include <linux/sock_diag.h>

#include "sockdiag.h"

struct sd_run {
	struct ns_sd *sd;
	uint16_t type;
	ns_sd_cb cb;
	ns_nl_reset_cb reset;
	void *data;
};

static int sd_msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct sd_run *r = data;
	const struct inet_diag_msg *m;
	struct ns_sd_sock s;

	if (nlh->nlmsg_type != r->type ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct inet_diag_msg)) {
		r->sd->bad++;
		return MNL_CB_OK;
	}
	m = mnl_nlmsg_get_payload(nlh);
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return MNL_CB_OK;
	s.nlh = nlh;
	s.m = m;
	s.family = m->idiag_family;
	s.state = m->idiag_state;
	s.sport = ntohs(m->id.idiag_sport);
	s.dport = ntohs(m->id.idiag_dport);
	s.rqueue = m->idiag_rqueue;
	s.wqueue = m->idiag_wqueue;
	s.src = (const uint8_t *)m->id.idiag_src;
	s.dst = (const uint8_t *)m->id.idiag_dst;
	r->sd->sockets++;
	return r->cb(&s, r->data);
}

static void sd_reset_cb(void *data)
{
	struct sd_run *r = data;

	r->sd->sockets = 0;
	r->sd->bad = 0;
	if (r->reset)
		r->reset(r->data);
}

static const char *sd_fam_str(uint8_t f)
{
	return f == AF_INET6 ? "inet6" : "inet";
}

static const char *sd_proto_str(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : p == IPPROTO_UDP ? "udp" : "other";
}

/* The replay handle for a per-family request (see sockdiag.h). */
static int sd_replay_nl(struct ns_sd *sd, struct ns_ctx *ctx, const struct ns_sd_req *req,
			struct ns_nl **out, struct ns_err *e)
{
	uint16_t key = (uint16_t)(req->family << 8 | req->protocol);
	char dir[4096];
	int i, rc;

	for (i = 0; i < NS_SD_MAX_REPLAY && sd->replay[i]; i++) {
		if (sd->replay_key[i] == key) {
			*out = sd->replay[i];
			return 0;
		}
	}
	if (i == NS_SD_MAX_REPLAY)
		return ns_err_set(e, -ENOSPC, "sock_diag: too many replay streams");
	snprintf(dir, sizeof(dir), "%s/%s-%s", ctx->nl_replay_dir, sd_fam_str(req->family),
		 sd_proto_str(req->protocol));
	rc = ns_nl_open_replay(&sd->replay[i], NETLINK_SOCK_DIAG, dir, e);
	if (rc)
		return rc;
	sd->replay_key[i] = key;
	*out = sd->replay[i];
	return 0;
}

int ns_sd_dump(struct ns_sd *sd, struct ns_ctx *ctx, const struct ns_sd_req *req, ns_sd_cb cb,
	       ns_nl_reset_cb reset, void *data, struct ns_err *e)
{
	struct sd_run r = {.sd = sd, .cb = cb, .reset = reset, .data = data};
	struct nlmsghdr *nlh;
	struct ns_nl *nl;
	int rc;

	sd->sockets = 0;
	sd->bad = 0;
	if (req->family == AF_UNSPEC) {
		struct inet_diag_req *q;

		if (req->protocol != IPPROTO_TCP)
			return ns_err_set(e, -EINVAL, "sock_diag: AF_UNSPEC dumps are TCP only");
		rc = ns_ctx_nl(ctx, NETLINK_SOCK_DIAG, &nl, e);
		if (rc)
			return rc;
		r.type = TCPDIAG_GETSOCK;
		nlh = ns_nl_request(nl, TCPDIAG_GETSOCK, NLM_F_DUMP);
		q = mnl_nlmsg_put_extra_header(nlh, sizeof(*q));
		q->idiag_family = AF_UNSPEC;
		q->idiag_ext = req->ext;
		q->idiag_states = req->states;
	} else {
		struct inet_diag_req_v2 *q;

		if (ctx->nl_replay_dir)
			rc = sd_replay_nl(sd, ctx, req, &nl, e);
		else
			rc = ns_ctx_nl(ctx, NETLINK_SOCK_DIAG, &nl, e);
		if (rc)
			return rc;
		r.type = SOCK_DIAG_BY_FAMILY;
		nlh = ns_nl_request(nl, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP);
		q = mnl_nlmsg_put_extra_header(nlh, sizeof(*q));
		q->sdiag_family = req->family;
		q->sdiag_protocol = req->protocol;
		q->idiag_ext = req->ext;
		q->idiag_states = req->states;
	}
	return ns_nl_run(nl, sd_msg_cb, sd_reset_cb, &r, e);
}

void ns_sd_fini(struct ns_sd *sd)
{
	for (int i = 0; i < NS_SD_MAX_REPLAY; i++) {
		ns_nl_close(sd->replay[i]);
		sd->replay[i] = NULL;
	}
}

void ns_sd_attrs(const struct ns_sd_sock *s, const struct nlattr **tb)
{
	ns_nl_parse(s->nlh, sizeof(struct inet_diag_msg), tb, INET_DIAG_MAX);
}

int ns_sd_v6only(const struct nlattr *const *tb)
{
	const struct nlattr *a = tb[INET_DIAG_SKV6ONLY];

	if (!a || mnl_attr_get_payload_len(a) < 1)
		return 0;
	return mnl_attr_get_u8(a) != 0;
}

void ns_sd_ep_of(const struct ns_sd_sock *s, bool remote, int v6only, struct ns_sd_ep *ep)
{
	const uint8_t *a = remote ? s->dst : s->src;
	static const uint8_t any[16];

	memset(ep, 0, sizeof(*ep));
	ep->family = s->family;
	ep->port = remote ? s->dport : s->sport;
	if (s->family == AF_INET) {
		memcpy(ep->addr, a, 4);
	} else {
		memcpy(ep->addr, a, 16);
		if (!v6only && memcmp(a, any, 16) == 0)
			ep->kind = NS_EP_DUAL_ANY;
	}
}

void ns_sd_format_addr(const struct ns_sd_ep *ep, char *buf, size_t len)
{
	if (ep->family == AF_INET6 && ep->kind == NS_EP_DUAL_ANY) {
		snprintf(buf, len, "*");
		return;
	}
	if (!inet_ntop(ep->family == AF_INET ? AF_INET : AF_INET6, ep->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

const char *ns_sd_family_name(uint8_t family)
{
	return family == AF_INET6 ? "ipv6" : "ipv4";
}

/* ---- endpoint tables ---- */

int ns_sd_eptab_init(struct ns_sd_eptab *t, size_t cap)
{
	size_t slots = 8;

	memset(t, 0, sizeof(*t));
	while (slots < cap * 2)
		slots *= 2;
	t->cap = cap;
	t->mask = slots - 1;
	t->slots = calloc(slots, sizeof(*t->slots));
	t->keys = calloc(cap ? cap : 1, sizeof(*t->keys));
	t->vals = calloc(cap ? cap : 1, sizeof(*t->vals));
	if (!t->slots || !t->keys || !t->vals) {
		ns_sd_eptab_free(t);
		return -ENOMEM;
	}
	return 0;
}

void ns_sd_eptab_clear(struct ns_sd_eptab *t)
{
	if (t->n)
		memset(t->slots, 0, (t->mask + 1) * sizeof(*t->slots));
	t->n = 0;
}

void ns_sd_eptab_free(struct ns_sd_eptab *t)
{
	free(t->slots);
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof(*t));
}

static uint32_t sd_ep_hash(const struct ns_sd_ep *k)
{
	uint32_t w[5];
	uint64_t h = 0x9e3779b97f4a7c15ull;

	memcpy(w, k, sizeof(w));
	for (int i = 0; i < 5; i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return (uint32_t)h;
}

_Static_assert(sizeof(struct ns_sd_ep) == 20, "endpoint keys are hashed as 5 words");

uint64_t *ns_sd_eptab_get(struct ns_sd_eptab *t, const struct ns_sd_ep *k)
{
	size_t i = sd_ep_hash(k) & t->mask;

	for (;;) {
		uint32_t s = t->slots[i];

		if (!s)
			break;
		if (memcmp(&t->keys[s - 1], k, sizeof(*k)) == 0)
			return t->vals[s - 1];
		i = (i + 1) & t->mask;
	}
	if (t->n >= t->cap)
		return NULL;
	t->keys[t->n] = *k;
	memset(t->vals[t->n], 0, sizeof(t->vals[t->n]));
	t->slots[i] = (uint32_t)++t->n;
	return t->vals[t->n - 1];
}

int ns_sd_read_port_range(struct ns_file *f, struct ns_ctx *ctx, const char *who, uint32_t *lo,
			  uint32_t *hi, struct ns_err *e)
{
	uint64_t a, b;
	char *cur, *ta, *tb;
	int rc;

	rc = ns_file_read(f, ctx->procfs_fd, "sys/net/ipv4/ip_local_port_range");
	if (rc) {
		char path[PATH_MAX];

		return ns_err_set(
		    e, rc, "%s: %s: %s", who,
		    ns_ctx_procfs_file(ctx, "sys/net/ipv4/ip_local_port_range", path, sizeof(path)),
		    strerror(-rc));
	}
	cur = f->buf.data;
	ta = ns_next_token(&cur);
	tb = ns_next_token(&cur);
	if (!ta || !tb || ns_parse_u64(ta, &a) || ns_parse_u64(tb, &b) || a > 65535 || b > 65535)
		return ns_err_set(e, -EINVAL, "%s: ip_local_port_range: cannot parse", who);
	*lo = (uint32_t)a;
	*hi = (uint32_t)b;
	return 0;
}
