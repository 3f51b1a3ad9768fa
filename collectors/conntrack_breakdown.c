// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conntrack_breakdown.c - the optional table breakdown of the conntrack
 * collector (see conntrack.c's header): one CTNETLINK dump at most every
 * breakdown-interval, counted by protocol, TCP state and top-K source and
 * destination (src/topk.h), and its families.
 */
#include "conntrack.h"

/* Layer-4 protocols of the breakdown; anything else is "other". */
static const struct {
	uint8_t num;
	const char *name;
	uint8_t family; /* 0: both */
} ct_protos[] = {
    {IPPROTO_TCP, "tcp", 0},	     {IPPROTO_UDP, "udp", 0},
    {IPPROTO_ICMP, "icmp", AF_INET}, {IPPROTO_ICMPV6, "icmpv6", AF_INET6},
    {IPPROTO_SCTP, "sctp", 0},	     {IPPROTO_DCCP, "dccp", 0},
    {IPPROTO_UDPLITE, "udplite", 0}, {IPPROTO_GRE, "gre", 0},
};
_Static_assert(sizeof(ct_protos) / sizeof(ct_protos[0]) + 1 == CT_NPROTO, "CT_NPROTO");

static const char *const ct_fam_names[CT_NFAM] = {"ipv4", "ipv6", "other"};

/* enum tcp_conntrack order (TCP_CONNTRACK_NONE .. TCP_CONNTRACK_SYN_SENT2). */
static const char *const ct_tcp_states[] = {
    "none",	  "syn_sent", "syn_recv",  "established", "fin_wait",
    "close_wait", "last_ack", "time_wait", "close",	  "syn_sent2",
};
_Static_assert(sizeof(ct_tcp_states) / sizeof(ct_tcp_states[0]) == CT_NTCP, "CT_NTCP");

/* The top-k of @t into @out (copies: the result outlives the scan). */
static size_t ct_top_copy(const struct ns_topk *t, uint32_t *scratch, struct ct_top *out, size_t k)
{
	size_t n = ns_topk_top(t, scratch, k);

	for (size_t i = 0; i < n; i++) {
		memcpy(&out[i].key, ns_topk_key(t, scratch[i]), sizeof(out[i].key));
		out[i].count = ns_topk_value(t, scratch[i]);
	}
	return n;
}

/* ---- breakdown: one table dump ---- */

static void ct_scan_reset(void *data)
{
	struct ct_scan *sc = data;

	memset(sc->proto, 0, sizeof(sc->proto));
	memset(sc->tcp, 0, sizeof(sc->tcp));
	sc->scanned = sc->unparsed = 0;
	sc->truncated = false;
	ns_topk_clear(&sc->src);
	ns_topk_clear(&sc->dst);
	if (sc->zones)
		ctz_reset(sc->zones);
}

/*
 * libnetfilter_conntrack calls exit() ("ctnetlink kernel ABI is broken") when
 * an attribute it knows has the wrong size. A daemon must not die on its
 * input, so each message is first checked against the same rules
 * (nfct_parse_*_attr_cb() in its parse_mnl.c, libmnl's exact-length
 * validation); a message that fails is counted as unparsed and never handed
 * to the library.
 */
enum { CT_V_ANY, CT_V_LEN, CT_V_STR, CT_V_NEST };
enum {
	CT_VC_TOP,
	CT_VC_TUPLE,
	CT_VC_IP,
	CT_VC_PROTO,
	CT_VC_PINFO,
	CT_VC_TCP,
	CT_VC_DCCP,
	CT_VC_SCTP,
	CT_VC_COUNTERS,
	CT_VC_NATSEQ,
	CT_VC_NAME,
	CT_VC_TSTAMP,
	CT_NVC
};

struct ct_vrule {
	uint8_t kind;
	uint8_t arg; /* CT_V_LEN: payload length; CT_V_NEST: context */
};

#define CT_LEN(n)                                                                                  \
	{                                                                                          \
		CT_V_LEN, n                                                                        \
	}
#define CT_NEST(c)                                                                                 \
	{                                                                                          \
		CT_V_NEST, c                                                                       \
	}

static const struct ct_vrule ct_v_top[] = {
    [CTA_TUPLE_ORIG] = CT_NEST(CT_VC_TUPLE),
    [CTA_TUPLE_REPLY] = CT_NEST(CT_VC_TUPLE),
    [CTA_STATUS] = CT_LEN(4),
    [CTA_PROTOINFO] = CT_NEST(CT_VC_PINFO),
    [CTA_HELP] = CT_NEST(CT_VC_NAME),
    [CTA_TIMEOUT] = CT_LEN(4),
    [CTA_MARK] = CT_LEN(4),
    [CTA_COUNTERS_ORIG] = CT_NEST(CT_VC_COUNTERS),
    [CTA_COUNTERS_REPLY] = CT_NEST(CT_VC_COUNTERS),
    [CTA_USE] = CT_LEN(4),
    [CTA_ID] = CT_LEN(4),
    [CTA_TUPLE_MASTER] = CT_NEST(CT_VC_TUPLE),
    [CTA_NAT_SEQ_ADJ_ORIG] = CT_NEST(CT_VC_NATSEQ),
    [CTA_NAT_SEQ_ADJ_REPLY] = CT_NEST(CT_VC_NATSEQ),
    [CTA_SECMARK] = CT_LEN(4),
    [CTA_ZONE] = CT_LEN(2),
    [CTA_SECCTX] = CT_NEST(CT_VC_NAME),
    [CTA_TIMESTAMP] = CT_NEST(CT_VC_TSTAMP),
};
static const struct ct_vrule ct_v_tuple[] = {
    [CTA_TUPLE_IP] = CT_NEST(CT_VC_IP),
    [CTA_TUPLE_PROTO] = CT_NEST(CT_VC_PROTO),
    [CTA_TUPLE_ZONE] = CT_LEN(2),
};
static const struct ct_vrule ct_v_ip[] = {
    [CTA_IP_V4_SRC] = CT_LEN(4),
    [CTA_IP_V4_DST] = CT_LEN(4),
    [CTA_IP_V6_SRC] = CT_LEN(16),
    [CTA_IP_V6_DST] = CT_LEN(16),
};
static const struct ct_vrule ct_v_proto[] = {
    [CTA_PROTO_NUM] = CT_LEN(1),	 [CTA_PROTO_SRC_PORT] = CT_LEN(2),
    [CTA_PROTO_DST_PORT] = CT_LEN(2),	 [CTA_PROTO_ICMP_ID] = CT_LEN(2),
    [CTA_PROTO_ICMP_TYPE] = CT_LEN(1),	 [CTA_PROTO_ICMP_CODE] = CT_LEN(1),
    [CTA_PROTO_ICMPV6_ID] = CT_LEN(2),	 [CTA_PROTO_ICMPV6_TYPE] = CT_LEN(1),
    [CTA_PROTO_ICMPV6_CODE] = CT_LEN(1),
};
static const struct ct_vrule ct_v_pinfo[] = {
    [CTA_PROTOINFO_TCP] = CT_NEST(CT_VC_TCP),
    [CTA_PROTOINFO_DCCP] = CT_NEST(CT_VC_DCCP),
    [CTA_PROTOINFO_SCTP] = CT_NEST(CT_VC_SCTP),
};
static const struct ct_vrule ct_v_tcp[] = {
    [CTA_PROTOINFO_TCP_STATE] = CT_LEN(1),	  [CTA_PROTOINFO_TCP_WSCALE_ORIGINAL] = CT_LEN(1),
    [CTA_PROTOINFO_TCP_WSCALE_REPLY] = CT_LEN(1), [CTA_PROTOINFO_TCP_FLAGS_ORIGINAL] = CT_LEN(2),
    [CTA_PROTOINFO_TCP_FLAGS_REPLY] = CT_LEN(2),
};
static const struct ct_vrule ct_v_dccp[] = {
    [CTA_PROTOINFO_DCCP_STATE] = CT_LEN(1),
    [CTA_PROTOINFO_DCCP_ROLE] = CT_LEN(1),
    [CTA_PROTOINFO_DCCP_HANDSHAKE_SEQ] = CT_LEN(8),
};
static const struct ct_vrule ct_v_sctp[] = {
    [CTA_PROTOINFO_SCTP_STATE] = CT_LEN(1),
    [CTA_PROTOINFO_SCTP_VTAG_ORIGINAL] = CT_LEN(4),
    [CTA_PROTOINFO_SCTP_VTAG_REPLY] = CT_LEN(4),
};
static const struct ct_vrule ct_v_counters[] = {
    [CTA_COUNTERS_PACKETS] = CT_LEN(8),
    [CTA_COUNTERS_BYTES] = CT_LEN(8),
    [CTA_COUNTERS32_PACKETS] = CT_LEN(4),
    [CTA_COUNTERS32_BYTES] = CT_LEN(4),
};
static const struct ct_vrule ct_v_natseq[] = {
    [CTA_NAT_SEQ_CORRECTION_POS] = CT_LEN(4),
    [CTA_NAT_SEQ_OFFSET_BEFORE] = CT_LEN(4),
    [CTA_NAT_SEQ_OFFSET_AFTER] = CT_LEN(4),
};
static const struct ct_vrule ct_v_name[] = {
    [1] = {CT_V_STR, 0}, /* CTA_HELP_NAME, CTA_SECCTX_NAME */
};
static const struct ct_vrule ct_v_tstamp[] = {
    [CTA_TIMESTAMP_START] = CT_LEN(8),
    [CTA_TIMESTAMP_STOP] = CT_LEN(8),
};

#define CT_VCTX(t)                                                                                 \
	{                                                                                          \
		t, sizeof(t) / sizeof(t[0])                                                        \
	}
static const struct {
	const struct ct_vrule *r;
	size_t n;
} ct_vctx[CT_NVC] = {
    [CT_VC_TOP] = CT_VCTX(ct_v_top),
    [CT_VC_TUPLE] = CT_VCTX(ct_v_tuple),
    [CT_VC_IP] = CT_VCTX(ct_v_ip),
    [CT_VC_PROTO] = CT_VCTX(ct_v_proto),
    [CT_VC_PINFO] = CT_VCTX(ct_v_pinfo),
    [CT_VC_TCP] = CT_VCTX(ct_v_tcp),
    [CT_VC_DCCP] = CT_VCTX(ct_v_dccp),
    [CT_VC_SCTP] = CT_VCTX(ct_v_sctp),
    [CT_VC_COUNTERS] = CT_VCTX(ct_v_counters),
    [CT_VC_NATSEQ] = CT_VCTX(ct_v_natseq),
    [CT_VC_NAME] = CT_VCTX(ct_v_name),
    [CT_VC_TSTAMP] = CT_VCTX(ct_v_tstamp),
};

static bool ct_valid_attrs(const void *p, size_t len, unsigned vc);

static bool ct_valid_attr(const struct nlattr *a, unsigned vc)
{
	uint16_t type = mnl_attr_get_type(a), plen = mnl_attr_get_payload_len(a);
	const struct ct_vrule *r;

	if (type >= ct_vctx[vc].n)
		return true; /* not validated by the library either */
	r = &ct_vctx[vc].r[type];
	switch (r->kind) {
	case CT_V_LEN:
		return plen == r->arg;
	case CT_V_STR:
		return plen > 0;
	case CT_V_NEST:
		if (plen == 0)
			return true;
		return plen >= MNL_ATTR_HDRLEN &&
		       ct_valid_attrs(mnl_attr_get_payload(a), plen, r->arg);
	default:
		return true;
	}
}

/* Attributes that do not fit end the walk silently, as in libmnl. */
static bool ct_valid_attrs(const void *p, size_t len, unsigned vc)
{
	const struct nlattr *a = p;
	const char *end = (const char *)p + len;

	while (mnl_attr_ok(a, (int)(end - (const char *)a))) {
		if (!ct_valid_attr(a, vc))
			return false;
		a = mnl_attr_next(a);
	}
	return true;
}

static const enum nf_conntrack_attr ct_used_attrs[] = {
    ATTR_ORIG_L3PROTO,	ATTR_ORIG_L4PROTO,  ATTR_ORIG_IPV4_SRC, ATTR_ORIG_IPV4_DST,
    ATTR_ORIG_IPV6_SRC, ATTR_ORIG_IPV6_DST, ATTR_ORIG_PORT_DST, ATTR_TCP_STATE,
};

static size_t ct_proto_bucket(uint8_t num)
{
	for (size_t i = 0; i < CT_NPROTO - 1; i++)
		if (ct_protos[i].num == num)
			return i;
	return CT_NPROTO - 1;
}

/* The top-K keys of one entry: original source, and destination (@l4 < 0: no protocol). */
static void ct_scan_keys(struct ct_scan *sc, const struct nf_conntrack *ct, uint8_t l3, int l4)
{
	struct ct_key src = {0}, dst = {0};
	bool have_l4 = l4 >= 0;

	src.family = dst.family = l3;
	if (l3 == AF_INET && nfct_attr_is_set(ct, ATTR_ORIG_IPV4_SRC) > 0) {
		uint32_t a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);

		memcpy(src.addr, &a, sizeof(a));
		NS_TOPK_ADD(&sc->src, &src);
	} else if (l3 == AF_INET6 && nfct_attr_is_set(ct, ATTR_ORIG_IPV6_SRC) > 0) {
		memcpy(src.addr, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), 16);
		NS_TOPK_ADD(&sc->src, &src);
	}
	if (have_l4) {
		bool ok = false;

		dst.proto = (uint8_t)l4;
		if (nfct_attr_is_set(ct, ATTR_ORIG_PORT_DST) > 0)
			dst.port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
		if (l3 == AF_INET && nfct_attr_is_set(ct, ATTR_ORIG_IPV4_DST) > 0) {
			uint32_t a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);

			memcpy(dst.addr, &a, sizeof(a));
			ok = true;
		} else if (l3 == AF_INET6 && nfct_attr_is_set(ct, ATTR_ORIG_IPV6_DST) > 0) {
			memcpy(dst.addr, nfct_get_attr(ct, ATTR_ORIG_IPV6_DST), 16);
			ok = true;
		}
		if (ok)
			NS_TOPK_ADD(&sc->dst, &dst);
	}
}

static int ct_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ct_scan *sc = data;
	struct nf_conntrack *ct = sc->ct;
	uint8_t l3 = 0, l4 = 0;
	size_t fam, pb;
	bool have_l4;

	if (nlh->nlmsg_type != CT_TYPE_NEW ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return MNL_CB_OK;
	if (sc->max_entries && sc->scanned >= sc->max_entries) {
		sc->truncated = true;
		return MNL_CB_STOP;
	}
	sc->scanned++;
	for (size_t i = 0; i < sizeof(ct_used_attrs) / sizeof(ct_used_attrs[0]); i++)
		nfct_attr_unset(ct, ct_used_attrs[i]);
	if (!ct_valid_attrs((const char *)mnl_nlmsg_get_payload(nlh) + sizeof(struct nfgenmsg),
			    mnl_nlmsg_get_payload_len(nlh) - sizeof(struct nfgenmsg), CT_VC_TOP))
		sc->unparsed++; /* the library would exit(); count it by family only */
	else if (nfct_nlmsg_parse(nlh, ct) < 0)
		sc->unparsed++;

	if (nfct_attr_is_set(ct, ATTR_ORIG_L3PROTO) > 0)
		l3 = nfct_get_attr_u8(ct, ATTR_ORIG_L3PROTO);
	else
		l3 = ((const struct nfgenmsg *)mnl_nlmsg_get_payload(nlh))->nfgen_family;
	have_l4 = nfct_attr_is_set(ct, ATTR_ORIG_L4PROTO) > 0;
	if (have_l4)
		l4 = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
	fam = l3 == AF_INET ? CT_FAM_V4 : l3 == AF_INET6 ? CT_FAM_V6 : CT_FAM_OTHER;
	pb = have_l4 ? ct_proto_bucket(l4) : CT_NPROTO - 1;
	sc->proto[fam][pb]++;
	if (have_l4 && l4 == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) {
		uint8_t s = nfct_get_attr_u8(ct, ATTR_TCP_STATE);

		if (s < CT_NTCP)
			sc->tcp[s]++;
	}

	ct_scan_keys(sc, ct, l3, have_l4 ? l4 : -1);
	if (sc->zones)
		ctz_add(sc->zones, ct, l3);

	/* Attributes the parser allocates would leak on the next parse. */
	if (nfct_attr_is_set(ct, ATTR_SECCTX) > 0 || nfct_attr_is_set(ct, ATTR_HELPER_INFO) > 0 ||
	    nfct_attr_is_set(ct, ATTR_CONNLABELS) > 0) {
		nfct_destroy(ct);
		sc->ct = nfct_new();
		if (!sc->ct) {
			sc->rc = -ENOMEM;
			return MNL_CB_ERROR;
		}
	}
	return MNL_CB_OK;
}

int ct_breakdown(struct ns_ctx *ctx, struct ct_state *st, struct ns_err *e)
{
	struct ct_scan *sc = &st->scan;
	struct ct_result *r = &st->res;
	uint64_t t0 = (uint64_t)ns_mono_ns(), t1;
	struct ns_nl *nl;
	int rc;

	st->ran = true;
	st->last_run_ns = t0;
	rc = ns_ctx_nl(ctx, NETLINK_NETFILTER, &nl, e);
	if (rc)
		return rc;
	if (!sc->ct && !(sc->ct = nfct_new()))
		return ns_err_set(e, -ENOMEM, "out of memory");
	ct_scan_reset(sc);
	sc->max_entries = st->max_entries;
	sc->rc = 0;
	ns_nl_nfgen_req(nl, CT_TYPE_GET, NLM_F_DUMP, AF_UNSPEC);
	rc = ns_nl_run(nl, ct_dump_cb, ct_scan_reset, sc, e);
	if (sc->rc)
		return ns_err_set(e, sc->rc, "table dump: out of memory");
	if (rc)
		return rc;
	t1 = (uint64_t)ns_mono_ns();
	st->runs++;

	memcpy(r->proto, sc->proto, sizeof(r->proto));
	memcpy(r->tcp, sc->tcp, sizeof(r->tcp));
	r->scanned = sc->scanned;
	r->unparsed = sc->unparsed;
	r->truncated = sc->truncated;
	r->duration = (double)(t1 - t0) / 1e9;
	r->timestamp = (double)ns_wall_ns() / 1e9;
	r->nsrc = ct_top_copy(&sc->src, sc->top, r->src, st->top_k);
	r->ndst = ct_top_copy(&sc->dst, sc->top, r->dst, st->top_k);
	r->src_exact = ns_topk_exact(&sc->src);
	r->dst_exact = ns_topk_exact(&sc->dst);
	r->valid = true;
	if (sc->zones)
		ctz_commit(sc->zones);
	return 0;
}

/* ---- emission ---- */

static void ct_fmt_addr(const struct ct_key *k, char *buf, size_t len)
{
	if (!inet_ntop(k->family, k->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* Entries by family and protocol, TCP entries by state. */
static void ct_emit_table(struct ns_emit *em, const struct ct_result *r)
{
	struct ns_family *f;

	f = ns_emit_family(em, "netstack_conntrack_table_entries",
			   "Entries of the last breakdown by layer-3 family and layer-4 protocol.",
			   NS_GAUGE, NULL);
	for (size_t fam = 0; fam < CT_NFAM; fam++) {
		uint64_t famtotal = 0;

		for (size_t p = 0; p < CT_NPROTO; p++)
			famtotal += r->proto[fam][p];
		if (fam == CT_FAM_OTHER && !famtotal)
			continue;
		for (size_t p = 0; p < CT_NPROTO; p++) {
			const char *pname = p < CT_NPROTO - 1 ? ct_protos[p].name : "other";

			if (p < CT_NPROTO - 1 && ct_protos[p].family &&
			    ct_protos[p].family != (fam == CT_FAM_V4 ? AF_INET : AF_INET6) &&
			    !r->proto[fam][p])
				continue;
			if (fam == CT_FAM_OTHER && !r->proto[fam][p])
				continue;
			ns_emit_u64(em, f,
				    NS_LABELS({"family", ct_fam_names[fam]}, {"protocol", pname}),
				    r->proto[fam][p]);
		}
	}
	f = ns_emit_family(em, "netstack_conntrack_table_tcp_entries",
			   "TCP entries of the last breakdown by conntrack TCP state.", NS_GAUGE,
			   NULL);
	for (size_t s = 0; s < CT_NTCP; s++)
		ns_emit_u64(em, f, NS_LABELS({"state", ct_tcp_states[s]}), r->tcp[s]);
}

/* The top-k sources and destinations, and whether they are exact. */
static void ct_emit_top(struct ns_emit *em, const struct ct_result *r)
{
	struct ns_family *f;

	f = ns_emit_family(em, "netstack_conntrack_top_source_entries",
			   "Entries per original source address, the top-k of the last breakdown "
			   "(space-saving lower bound; exact when top_exact is 1).",
			   NS_GAUGE, NULL);
	for (size_t i = 0; i < r->nsrc; i++) {
		char addr[INET6_ADDRSTRLEN];

		ct_fmt_addr(&r->src[i].key, addr, sizeof(addr));
		ns_emit_u64(em, f,
			    NS_LABELS({"family", r->src[i].key.family == AF_INET ? "ipv4" : "ipv6"},
				      {"address", addr}),
			    r->src[i].count);
	}
	f = ns_emit_family(
	    em, "netstack_conntrack_top_destination_entries",
	    "Entries per original destination address, layer-4 protocol and port, the "
	    "top-k of the last breakdown (space-saving lower bound; exact when "
	    "top_exact is 1).",
	    NS_GAUGE, NULL);
	for (size_t i = 0; i < r->ndst; i++) {
		const struct ct_key *k = &r->dst[i].key;
		size_t pb = ct_proto_bucket(k->proto);
		char addr[INET6_ADDRSTRLEN], port[8], pnum[8];
		const char *pname = pnum;

		if (pb < CT_NPROTO - 1)
			pname = ct_protos[pb].name;
		else
			snprintf(pnum, sizeof(pnum), "%u", k->proto);
		ct_fmt_addr(k, addr, sizeof(addr));
		snprintf(port, sizeof(port), "%u", k->port);
		ns_emit_u64(em, f,
			    NS_LABELS({"family", k->family == AF_INET ? "ipv4" : "ipv6"},
				      {"protocol", pname}, {"address", addr}, {"port", port}),
			    r->dst[i].count);
	}
	f = ns_emit_family(
	    em, "netstack_conntrack_top_exact",
	    "1 if the top-k counts of the last breakdown are exact (no tracked key was "
	    "ever evicted), 0 if they are space-saving lower bounds.",
	    NS_GAUGE, NULL);
	ns_emit_u64(em, f, NS_LABELS({"table", "source"}), r->src_exact);
	ns_emit_u64(em, f, NS_LABELS({"table", "destination"}), r->dst_exact);
}

void ct_emit_breakdown(struct ns_emit *em, const struct ct_state *st)
{
	const struct ct_result *r = &st->res;

	if (st->breakdown && (st->source == CT_SRC_NETLINK || st->runs))
		ns_emit_u64(em,
			    ns_emit_family(em, "netstack_conntrack_breakdown_runs_total",
					   "Table dumps completed for the breakdown.", NS_COUNTER,
					   NULL),
			    NS_NOLABELS, st->runs);
	if (!r->valid)
		return;
	ns_emit_f64(em,
		    ns_emit_family(em, "netstack_conntrack_breakdown_duration_seconds",
				   "Wall time of the last breakdown table dump.", NS_GAUGE,
				   "seconds"),
		    NS_NOLABELS, r->duration);
	ns_emit_f64(
	    em,
	    ns_emit_family(em, "netstack_conntrack_breakdown_timestamp_seconds",
			   "Unix time at which the last breakdown finished; its numbers are "
			   "cached until the next one.",
			   NS_GAUGE, "seconds"),
	    NS_NOLABELS, r->timestamp);
	ct_gauge(em, "netstack_conntrack_breakdown_scanned_entries",
		 "Entries counted by the last breakdown.", r->scanned);
	ct_gauge(em, "netstack_conntrack_breakdown_unparsed_entries",
		 "Entries of the last breakdown that libnetfilter_conntrack could not fully "
		 "parse (counted, possibly as protocol other).",
		 r->unparsed);
	ct_gauge(em, "netstack_conntrack_breakdown_truncated",
		 "1 if the last breakdown stopped at breakdown-max-entries before the end of the "
		 "table, else 0.",
		 r->truncated);
	ct_emit_table(em, r);
	ct_emit_top(em, r);
	ctz_emit(em, st->scan.zones);
}
