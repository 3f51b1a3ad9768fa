// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * nftables.c - the nftables ruleset: rule and named counters, quotas,
 * limits, set fill, ruleset shape and generation.
 *
 * Per scrape, on the context's NETLINK_NETFILTER socket (never by running
 * nft), requests built with libnftnl's nftnl_nlmsg_build_hdr():
 *   1. NFT_MSG_GETGEN (one answer): the ruleset generation id;
 *   2. one dump each of NFT_MSG_GETTABLE, GETCHAIN, GETRULE, GETSET and
 *      GETOBJ, for every family at once (NFPROTO_UNSPEC). With a table
 *      filter set, the rule dump is asked per wanted table instead, so
 *      excluded tables (kube-proxy's, say) cost nothing;
 *   3. one NFT_MSG_GETSETELEM dump per named set, because the kernel
 *      reports no element count in GETSET: the elements are counted as they
 *      stream in and never stored; the count stops at set-elements-max and
 *      the rest of that dump is abandoned (see docs/METRICS.md for the cost);
 *   4. NFT_MSG_GETGEN again: if the generation moved while dumping (the
 *      ruleset changed), everything is read again, at most 3 times.
 *
 * Messages are walked with libmnl through src/nl.h, not parsed into
 * libnftnl objects: nftnl_rule_nlmsg_parse() allocates the rule, its
 * strings and every expression, about ten allocations a rule, and a warm
 * scrape allocates nothing here (names go into one string arena that only
 * grows). Rule comments are read with libnftnl's nftnl_udata_parse() on a
 * zero-padded copy, because it trusts the TLV lengths it walks.
 *
 * A rule's counter is its first "counter" expression (packets, bytes); a
 * rule that refers to a named counter ("counter name x") has an objref
 * expression instead and is counted by the named object. The rule label is
 * the comment (at most 128 bytes, cut at a UTF-8 boundary) or
 * "handle:<n>"; rules of one chain that share a label are each labelled
 * "<comment> handle:<n>" so that no series is ever duplicated. Rule series
 * are capped (rule-series-max, in dump order), and so are the per-chain rule
 * counts of regular chains (chain-series-max); what the caps leave out is
 * counted in netstack_nftables_series_overflow.
 *
 * Anonymous sets (the "{ 22, 80 }" in a rule) are constant and are left
 * out. Interval sets count each range once (interval-end elements are not
 * counted).
 *
 * nf_tables absent (no nfnetlink, or no nf_tables subsystem: EINVAL,
 * EPROTONOSUPPORT, EOPNOTSUPP): netstack_nftables_enabled 0 and success.
 * Like nft itself, the first request may make the kernel load a modular
 * nf_tables; with no base chain it costs nothing per packet. nfnetlink
 * answers EPERM to every message without CAP_NET_ADMIN: that is a failure.
 */
#include "nftables.h"

/* ---- small helpers ---- */

static void *nft_push(struct nft_arr *a, size_t elem)
{
	if (ns_array_grow(&a->p, &a->cap, a->n + 1, elem, 64))
		return NULL;
	return (char *)a->p + a->n++ * elem;
}

/* Store @n bytes of @s plus a NUL; returns the offset or NFT_NONE (no memory). */
static uint32_t nft_str(struct nft_state *st, const char *s, size_t n)
{
	size_t off = st->strs.len;

	if (off + n + 1 >= NFT_NONE || ns_buf_reserve(&st->strs, n + 1))
		return NFT_NONE;
	memcpy(st->strs.data + off, s, n);
	st->strs.data[off + n] = '\0';
	st->strs.len = off + n + 1;
	return (uint32_t)off;
}

/* A string attribute into the arena (up to its NUL, at most NFT_NAME_MAX - 1 bytes). */
static uint32_t nft_str_attr(struct nft_state *st, const struct nlattr *a)
{
	const char *s = mnl_attr_get_payload(a);
	size_t n = strnlen(s, mnl_attr_get_payload_len(a));

	if (n >= NFT_NAME_MAX)
		n = NFT_NAME_MAX - 1;
	return nft_str(st, s, n);
}

static bool nft_attr_streq(const struct nlattr *a, const char *s)
{
	size_t n = strlen(s);
	size_t len = mnl_attr_get_payload_len(a);
	const char *p = mnl_attr_get_payload(a);

	if (n >= NFT_NAME_MAX)
		n = NFT_NAME_MAX - 1;
	return len >= n && memcmp(p, s, n) == 0 && (len == n || p[n] == '\0');
}

static bool nft_be32(const struct nlattr *a, uint32_t *v)
{
	if (!a || mnl_attr_get_payload_len(a) < 4)
		return false;
	*v = be32toh(mnl_attr_get_u32(a));
	return true;
}

static bool nft_be64(const struct nlattr *a, uint64_t *v)
{
	uint64_t x;

	if (!a || mnl_attr_get_payload_len(a) < 8)
		return false;
	memcpy(&x, mnl_attr_get_payload(a), 8);
	*v = be64toh(x);
	return true;
}

static uint64_t nft_hash(uint32_t a, const char *s)
{
	uint64_t h = 1469598103934665603ULL ^ a;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* Empty @ix with room for @n entries. 0 or -ENOMEM. */
static int nft_index_reset(struct nft_index *ix, size_t n)
{
	size_t cap = ix->cap ? ix->cap : 64;

	while (cap < 2 * n + 2)
		cap *= 2;
	if (cap != ix->cap) {
		uint32_t *p = realloc(ix->slot, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		ix->slot = p;
		ix->cap = cap;
	}
	memset(ix->slot, 0, ix->cap * sizeof(*ix->slot));
	return 0;
}

static void nft_index_free(struct nft_index *ix)
{
	free(ix->slot);
	ix->slot = NULL;
	ix->cap = 0;
}

const char *nft_family_name(uint8_t f, char buf[8])
{
	switch (f) {
	case NFPROTO_INET:
		return "inet";
	case NFPROTO_IPV4:
		return "ip";
	case NFPROTO_ARP:
		return "arp";
	case NFPROTO_NETDEV:
		return "netdev";
	case NFPROTO_BRIDGE:
		return "bridge";
	case NFPROTO_IPV6:
		return "ip6";
	default:
		snprintf(buf, 8, "%u", f);
		return buf;
	}
}

const char *nft_hook_name(uint8_t family, uint32_t hook, char buf[16])
{
	static const char *const ip[] = {"prerouting", "input",	      "forward",
					 "output",     "postrouting", "ingress"};

	if (family == NFPROTO_ARP && hook <= 2)
		return (const char *[]){"input", "output", "forward"}[hook];
	if (family == NFPROTO_NETDEV && hook <= 1)
		return hook ? "egress" : "ingress";
	if (family != NFPROTO_ARP && family != NFPROTO_NETDEV && hook < 6)
		return ip[hook];
	snprintf(buf, 16, "%u", hook);
	return buf;
}

/* Parse a message of nf_tables message type @msg: the nfgenmsg and the attributes. */
static const struct nfgenmsg *nft_msg(const struct nlmsghdr *nlh, unsigned msg,
				      const struct nlattr **tb, unsigned max)
{
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES ||
	    NFNL_MSG_TYPE(nlh->nlmsg_type) != msg ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nfgenmsg))
		return NULL;
	ns_nl_parse(nlh, sizeof(struct nfgenmsg), tb, max);
	return mnl_nlmsg_get_payload(nlh);
}

static long nft_table_find(const struct nft_state *st, uint8_t family, const struct nlattr *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < st->tables.n; i++) {
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, i);

		if (t->family == family && nft_attr_streq(name, nft_s(st, t->name)))
			return (long)i;
	}
	return -1;
}

/* ---- generation ---- */

static int nft_gen_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_GEN_MAX + 1];
	struct nft_state *st = data;

	if (!nft_msg(nlh, NFT_MSG_NEWGEN, tb, NFTA_GEN_MAX))
		return MNL_CB_OK;
	if (nft_be32(tb[NFTA_GEN_ID], &st->gen))
		st->have_gen = true;
	return MNL_CB_OK;
}

/* ---- tables ---- */

static int nft_table_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_TABLE_MAX + 1];
	struct nft_state *st = data;
	const struct nfgenmsg *g = nft_msg(nlh, NFT_MSG_NEWTABLE, tb, NFTA_TABLE_MAX);
	struct nft_table *t;
	uint32_t name;

	if (!g || !tb[NFTA_TABLE_NAME])
		return MNL_CB_OK;
	name = nft_str_attr(st, tb[NFTA_TABLE_NAME]);
	if (name == NFT_NONE)
		return -ENOMEM;
	if (!ns_namefilter_wanted(&st->filter, nft_s(st, name)))
		return MNL_CB_OK;
	t = nft_push(&st->tables, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->family = g->nfgen_family;
	t->name = name;
	return MNL_CB_OK;
}

static void nft_table_reset(void *data)
{
	((struct nft_state *)data)->tables.n = 0;
}

/* ---- chains ---- */

static long nft_chain_find(struct nft_state *st, uint32_t table, const struct nlattr *name)
{
	char buf[NFT_NAME_MAX];
	size_t mask = st->chain_idx.cap - 1;
	size_t i;

	if (st->last_chain != NFT_NONE) {
		const struct nft_chain *c = NFT_AT(st, chains, struct nft_chain, st->last_chain);

		if (c->table == table && nft_attr_streq(name, nft_s(st, c->name)))
			return st->last_chain;
	}
	if (!st->chain_idx.cap)
		return -1;
	ns_nl_attr_strcpy(name, buf, sizeof(buf));
	for (i = nft_hash(table, buf) & mask; st->chain_idx.slot[i]; i = (i + 1) & mask) {
		uint32_t k = st->chain_idx.slot[i] - 1;
		const struct nft_chain *c = NFT_AT(st, chains, struct nft_chain, k);

		if (c->table == table && strcmp(nft_s(st, c->name), buf) == 0) {
			st->last_chain = k;
			return k;
		}
	}
	return -1;
}

static int nft_chain_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_CHAIN_MAX + 1];
	struct nft_state *st = data;
	const struct nfgenmsg *g = nft_msg(nlh, NFT_MSG_NEWCHAIN, tb, NFTA_CHAIN_MAX);
	struct nft_chain *c;
	long t;

	if (!g || !tb[NFTA_CHAIN_NAME])
		return MNL_CB_OK;
	t = nft_table_find(st, g->nfgen_family, tb[NFTA_CHAIN_TABLE]);
	if (t < 0)
		return MNL_CB_OK;
	c = nft_push(&st->chains, sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(c, 0, sizeof(*c));
	c->table = (uint32_t)t;
	c->type = NFT_NONE;
	c->name = nft_str_attr(st, tb[NFTA_CHAIN_NAME]);
	if (c->name == NFT_NONE)
		return -ENOMEM;
	if (tb[NFTA_CHAIN_HOOK]) {
		const struct nlattr *hk[NFTA_HOOK_MAX + 1];
		uint32_t prio = 0;

		ns_nl_parse_nested(tb[NFTA_CHAIN_HOOK], hk, NFTA_HOOK_MAX);
		c->base = nft_be32(hk[NFTA_HOOK_HOOKNUM], &c->hook);
		nft_be32(hk[NFTA_HOOK_PRIORITY], &prio);
		c->prio = (int32_t)prio;
		c->policy = NF_ACCEPT;
		nft_be32(tb[NFTA_CHAIN_POLICY], &c->policy);
		if (tb[NFTA_CHAIN_TYPE]) {
			c->type = nft_str_attr(st, tb[NFTA_CHAIN_TYPE]);
			if (c->type == NFT_NONE)
				return -ENOMEM;
		}
	}
	if (c->base && tb[NFTA_CHAIN_COUNTERS]) {
		const struct nlattr *ct[NFTA_COUNTER_MAX + 1];

		ns_nl_parse_nested(tb[NFTA_CHAIN_COUNTERS], ct, NFTA_COUNTER_MAX);
		c->counters = nft_be64(ct[NFTA_COUNTER_PACKETS], &c->packets) &&
			      nft_be64(ct[NFTA_COUNTER_BYTES], &c->bytes);
	}
	return MNL_CB_OK;
}

static void nft_chain_reset(void *data)
{
	((struct nft_state *)data)->chains.n = 0;
}

static int nft_chain_index(struct nft_state *st)
{
	size_t mask;

	if (nft_index_reset(&st->chain_idx, st->chains.n))
		return -ENOMEM;
	mask = st->chain_idx.cap - 1;
	for (size_t k = 0; k < st->chains.n; k++) {
		const struct nft_chain *c = NFT_AT(st, chains, struct nft_chain, k);
		size_t i = nft_hash(c->table, nft_s(st, c->name)) & mask;

		while (st->chain_idx.slot[i])
			i = (i + 1) & mask;
		st->chain_idx.slot[i] = (uint32_t)k + 1;
	}
	return 0;
}

/* ---- rules ---- */

struct nft_comment {
	const char *s;
	size_t len;
	const char *end; /* of the parsed copy */
};

static int nft_udata_cb(const struct nftnl_udata *attr, void *data)
{
	struct nft_comment *c = data;
	const char *v = nftnl_udata_get(attr);
	size_t len = nftnl_udata_len(attr);

	/* nftnl_udata_parse() does not check lengths: the copy is padded, check here. */
	if (v + len > c->end)
		return -1;
	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && len > 0) {
		c->s = v;
		c->len = strnlen(v, len);
	}
	return 0;
}

/* The comment in a rule's userdata, cut to NFT_COMMENT_MAX bytes at a UTF-8 boundary. */
static bool nft_rule_comment(const struct nlattr *ud, const char **s, size_t *n,
			     char copy[NFT_UDATA_MAX + 2 + 255 + 1])
{
	size_t len = mnl_attr_get_payload_len(ud);
	struct nft_comment c = {NULL, 0, copy};

	if (len > NFT_UDATA_MAX)
		len = NFT_UDATA_MAX;
	memset(copy, 0, NFT_UDATA_MAX + 2 + 255 + 1);
	memcpy(copy, mnl_attr_get_payload(ud), len);
	c.end = copy + len;
	if (nftnl_udata_parse(copy, (uint32_t)len, nft_udata_cb, &c) < 0 || !c.s || !c.len)
		return false;
	if (c.len > NFT_COMMENT_MAX) {
		c.len = NFT_COMMENT_MAX;
		while (c.len > 0 && ((unsigned char)c.s[c.len] & 0xc0) == 0x80)
			c.len--;
	}
	*s = c.s;
	*n = c.len;
	return c.len > 0;
}

/* The first counter expression of a rule. */
static bool nft_rule_counter(const struct nlattr *exprs, uint64_t *packets, uint64_t *bytes)
{
	const struct nlattr *e;

	mnl_attr_for_each_nested(e, exprs)
	{
		const struct nlattr *ex[NFTA_EXPR_MAX + 1], *ct[NFTA_COUNTER_MAX + 1];

		if ((e->nla_type & NLA_TYPE_MASK) != NFTA_LIST_ELEM)
			continue;
		ns_nl_parse_nested(e, ex, NFTA_EXPR_MAX);
		if (!ex[NFTA_EXPR_NAME] || !ex[NFTA_EXPR_DATA] ||
		    !nft_attr_streq(ex[NFTA_EXPR_NAME], "counter"))
			continue;
		ns_nl_parse_nested(ex[NFTA_EXPR_DATA], ct, NFTA_COUNTER_MAX);
		if (nft_be64(ct[NFTA_COUNTER_PACKETS], packets) &&
		    nft_be64(ct[NFTA_COUNTER_BYTES], bytes))
			return true;
	}
	return false;
}

static int nft_rule_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_RULE_MAX + 1];
	struct nft_state *st = data;
	const struct nfgenmsg *g = nft_msg(nlh, NFT_MSG_NEWRULE, tb, NFTA_RULE_MAX);
	char copy[NFT_UDATA_MAX + 2 + 255 + 1];
	uint64_t packets, bytes, handle = 0;
	struct nft_chain *c;
	struct nft_rule *r;
	const char *cm;
	size_t cn;
	long t, k;

	if (!g || !tb[NFTA_RULE_CHAIN])
		return MNL_CB_OK;
	t = nft_table_find(st, g->nfgen_family, tb[NFTA_RULE_TABLE]);
	if (t < 0)
		return MNL_CB_OK;
	k = nft_chain_find(st, (uint32_t)t, tb[NFTA_RULE_CHAIN]);
	if (k < 0)
		return MNL_CB_OK; /* a chain created after the chain dump */
	c = NFT_AT(st, chains, struct nft_chain, k);
	c->nrules++;
	if (!tb[NFTA_RULE_EXPRESSIONS] ||
	    !nft_rule_counter(tb[NFTA_RULE_EXPRESSIONS], &packets, &bytes))
		return MNL_CB_OK;
	if (st->rules.n >= st->rule_max) {
		st->rule_overflow++;
		return MNL_CB_OK;
	}
	r = nft_push(&st->rules, sizeof(*r));
	if (!r)
		return -ENOMEM;
	nft_be64(tb[NFTA_RULE_HANDLE], &handle);
	r->chain = (uint32_t)k;
	r->handle = handle;
	r->packets = packets;
	r->bytes = bytes;
	r->dup = false;
	r->has_comment =
	    tb[NFTA_RULE_USERDATA] && nft_rule_comment(tb[NFTA_RULE_USERDATA], &cm, &cn, copy);
	if (r->has_comment) {
		r->label = nft_str(st, cm, cn);
		r->comment_len = (uint32_t)cn;
	} else {
		char h[32];
		int n = snprintf(h, sizeof(h), "handle:%llu", (unsigned long long)handle);

		r->label = nft_str(st, h, (size_t)n);
	}
	return r->label == NFT_NONE ? -ENOMEM : MNL_CB_OK;
}

static void nft_rule_reset(void *data)
{
	struct nft_state *st = data;

	/* A per-table dump restarts only the rules of its own table. */
	for (size_t i = 0; i < st->chains.n; i++) {
		struct nft_chain *c = NFT_AT(st, chains, struct nft_chain, i);

		if (st->cur_table == NFT_NONE || c->table == st->cur_table)
			c->nrules = 0;
	}
	st->rules.n = st->rule_mark;
	st->rule_overflow = st->overflow_mark;
	st->last_chain = NFT_NONE;
}

/* Mark the rules whose label another rule of the same chain also has. */
int nft_rule_dups(struct nft_state *st)
{
	size_t mask;

	if (nft_index_reset(&st->label_idx, st->rules.n))
		return -ENOMEM;
	mask = st->label_idx.cap - 1;
	for (size_t k = 0; k < st->rules.n; k++) {
		struct nft_rule *r = NFT_AT(st, rules, struct nft_rule, k);
		size_t i = nft_hash(r->chain, nft_s(st, r->label)) & mask;

		for (; st->label_idx.slot[i]; i = (i + 1) & mask) {
			struct nft_rule *o =
			    NFT_AT(st, rules, struct nft_rule, st->label_idx.slot[i] - 1);

			if (o->chain == r->chain &&
			    strcmp(nft_s(st, o->label), nft_s(st, r->label)) == 0) {
				o->dup = r->dup = true;
				break;
			}
		}
		if (!st->label_idx.slot[i])
			st->label_idx.slot[i] = (uint32_t)k + 1;
	}
	return 0;
}

/* ---- sets and their elements ---- */

static int nft_set_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_SET_MAX + 1];
	struct nft_state *st = data;
	const struct nfgenmsg *g = nft_msg(nlh, NFT_MSG_NEWSET, tb, NFTA_SET_MAX);
	uint32_t flags = 0;
	struct nft_set *s;
	long t;

	if (!g || !tb[NFTA_SET_NAME])
		return MNL_CB_OK;
	nft_be32(tb[NFTA_SET_FLAGS], &flags);
	if (flags & NFT_SET_ANONYMOUS)
		return MNL_CB_OK;
	t = nft_table_find(st, g->nfgen_family, tb[NFTA_SET_TABLE]);
	if (t < 0)
		return MNL_CB_OK;
	s = nft_push(&st->sets, sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->table = (uint32_t)t;
	s->flags = flags;
	s->name = nft_str_attr(st, tb[NFTA_SET_NAME]);
	if (s->name == NFT_NONE)
		return -ENOMEM;
	if (tb[NFTA_SET_DESC]) {
		const struct nlattr *d[NFTA_SET_DESC_MAX + 1];

		ns_nl_parse_nested(tb[NFTA_SET_DESC], d, NFTA_SET_DESC_MAX);
		s->has_size = nft_be32(d[NFTA_SET_DESC_SIZE], &s->size) && s->size > 0;
	}
	return MNL_CB_OK;
}

static void nft_set_reset(void *data)
{
	((struct nft_state *)data)->sets.n = 0;
}

static int nft_elem_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_SET_ELEM_LIST_MAX + 1], *e;
	struct nft_state *st = data;
	const struct nfgenmsg *g = nft_msg(nlh, NFT_MSG_NEWSETELEM, tb, NFTA_SET_ELEM_LIST_MAX);
	struct nft_set *s = st->cur_set;
	const struct nft_table *t = NFT_AT(st, tables, struct nft_table, s->table);

	/* In replay every set's dump reads one file: keep this set's messages. */
	if (!g || g->nfgen_family != t->family || !tb[NFTA_SET_ELEM_LIST_TABLE] ||
	    !tb[NFTA_SET_ELEM_LIST_SET] || !tb[NFTA_SET_ELEM_LIST_ELEMENTS] ||
	    !nft_attr_streq(tb[NFTA_SET_ELEM_LIST_TABLE], nft_s(st, t->name)) ||
	    !nft_attr_streq(tb[NFTA_SET_ELEM_LIST_SET], nft_s(st, s->name)))
		return MNL_CB_OK;
	mnl_attr_for_each_nested(e, tb[NFTA_SET_ELEM_LIST_ELEMENTS])
	{
		if ((e->nla_type & NLA_TYPE_MASK) != NFTA_LIST_ELEM)
			continue;
		if (s->flags & NFT_SET_INTERVAL) {
			const struct nlattr *ea[NFTA_SET_ELEM_FLAGS + 1];
			uint32_t f = 0;

			ns_nl_parse_nested(e, ea, NFTA_SET_ELEM_FLAGS);
			if (nft_be32(ea[NFTA_SET_ELEM_FLAGS], &f) &&
			    (f & NFT_SET_ELEM_INTERVAL_END))
				continue;
		}
		if (s->nelems >= st->elem_max) {
			s->truncated = true;
			return MNL_CB_STOP;
		}
		s->nelems++;
	}
	return MNL_CB_OK;
}

static void nft_elem_reset(void *data)
{
	struct nft_state *st = data;
	struct nft_set *s = st->cur_set;

	s->nelems = 0;
	s->truncated = false;
}

/* ---- stateful objects ---- */

static int nft_obj_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NFTA_OBJ_MAX + 1], *d[NFTA_LIMIT_MAX + 1];
	struct nft_state *st = data;
	const struct nfgenmsg *g = nft_msg(nlh, NFT_MSG_NEWOBJ, tb, NFTA_OBJ_MAX);
	uint32_t type, v32;
	struct nft_obj *o;
	long t;

	if (!g || !tb[NFTA_OBJ_NAME] || !tb[NFTA_OBJ_DATA] || !nft_be32(tb[NFTA_OBJ_TYPE], &type))
		return MNL_CB_OK;
	if (type != NFT_OBJECT_COUNTER && type != NFT_OBJECT_QUOTA && type != NFT_OBJECT_LIMIT)
		return MNL_CB_OK;
	t = nft_table_find(st, g->nfgen_family, tb[NFTA_OBJ_TABLE]);
	if (t < 0)
		return MNL_CB_OK;
	o = nft_push(&st->objs, sizeof(*o));
	if (!o)
		return -ENOMEM;
	memset(o, 0, sizeof(*o));
	o->table = (uint32_t)t;
	o->type = type;
	o->name = nft_str_attr(st, tb[NFTA_OBJ_NAME]);
	if (o->name == NFT_NONE)
		return -ENOMEM;
	/* NFTA_LIMIT_MAX is the largest of the three attribute sets. */
	ns_nl_parse_nested(tb[NFTA_OBJ_DATA], d, NFTA_LIMIT_MAX);
	switch (type) {
	case NFT_OBJECT_COUNTER: /* v[0] packets, v[1] bytes */
		if (nft_be64(d[NFTA_COUNTER_PACKETS], &o->v[0]) &&
		    nft_be64(d[NFTA_COUNTER_BYTES], &o->v[1]))
			o->have = 3;
		break;
	case NFT_OBJECT_QUOTA: /* v[0] limit, v[1] consumed, v[2] flags */
		if (nft_be64(d[NFTA_QUOTA_BYTES], &o->v[0]))
			o->have |= 1;
		if (nft_be64(d[NFTA_QUOTA_CONSUMED], &o->v[1]))
			o->have |= 2;
		if (nft_be32(d[NFTA_QUOTA_FLAGS], &v32)) {
			o->v[2] = v32;
			o->have |= 4;
		}
		break;
	case NFT_OBJECT_LIMIT: /* v[0] rate, v[1] unit (s), v[2] burst, v[3] type */
		if (nft_be64(d[NFTA_LIMIT_RATE], &o->v[0]) &&
		    nft_be64(d[NFTA_LIMIT_UNIT], &o->v[1]) && o->v[1] > 0)
			o->have |= 1;
		if (nft_be32(d[NFTA_LIMIT_BURST], &v32)) {
			o->v[2] = v32;
			o->have |= 2;
		}
		if (nft_be32(d[NFTA_LIMIT_TYPE], &v32))
			o->v[3] = v32;
		break;
	}
	return MNL_CB_OK;
}

static void nft_obj_reset(void *data)
{
	((struct nft_state *)data)->objs.n = 0;
}

/* ---- requests ---- */

static struct nlmsghdr *nft_request(struct ns_nl *nl, uint16_t msg, uint8_t family, uint16_t flags)
{
	struct nlmsghdr *nlh = ns_nl_request(nl, 0, flags);

	/* The same buffer: libnftnl writes the nfnetlink header and the nfgenmsg. */
	return nftnl_nlmsg_build_hdr((char *)nlh, msg, family, flags, 0);
}

static int nft_dump(struct ns_nl *nl, uint16_t msg, ns_nl_msg_cb cb, ns_nl_reset_cb reset,
		    struct nft_state *st, struct ns_err *e)
{
	nft_request(nl, msg, NFPROTO_UNSPEC, NLM_F_DUMP);
	return ns_nl_run(nl, cb, reset, st, e);
}

static int nft_read_gen(struct ns_nl *nl, struct nft_state *st, struct ns_err *e)
{
	st->have_gen = false;
	nft_request(nl, NFT_MSG_GETGEN, NFPROTO_UNSPEC, 0);
	return ns_nl_run(nl, nft_gen_cb, NULL, st, e);
}

/* The rules of every wanted table, one dump per table (a table filter is set). */
static int nft_read_rules_by_table(struct ns_nl *nl, struct nft_state *st, struct ns_err *e)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < st->tables.n; i++) {
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, i);
		struct nlmsghdr *nlh = nft_request(nl, NFT_MSG_GETRULE, t->family, NLM_F_DUMP);

		mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, nft_s(st, t->name));
		st->cur_table = (uint32_t)i;
		st->rule_mark = st->rules.n;
		st->overflow_mark = st->rule_overflow;
		rc = ns_nl_run(nl, nft_rule_cb, nft_rule_reset, st, e);
		if (rc == -ENOENT) { /* deleted since the table dump */
			ns_err_clear(e);
			rc = 0;
		}
	}
	st->cur_table = NFT_NONE;
	return rc;
}

/* Count the elements of every set, one dump per set. */
static int nft_read_elements(struct ns_nl *nl, struct nft_state *st, struct ns_err *e)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < st->sets.n; i++) {
		struct nft_set *s = NFT_AT(st, sets, struct nft_set, i);
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, s->table);
		struct nlmsghdr *nlh = nft_request(nl, NFT_MSG_GETSETELEM, t->family, NLM_F_DUMP);

		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_TABLE, nft_s(st, t->name));
		mnl_attr_put_strz(nlh, NFTA_SET_ELEM_LIST_SET, nft_s(st, s->name));
		st->cur_set = s;
		rc = ns_nl_run(nl, nft_elem_cb, nft_elem_reset, st, e);
		if (rc == -ENOENT) { /* deleted since the set dump */
			ns_err_clear(e);
			rc = 0;
		}
	}
	st->cur_set = NULL;
	return rc;
}

/* One pass over the ruleset. */
static int nft_read(struct ns_nl *nl, struct nft_state *st, struct ns_err *e)
{
	int rc;

	ns_buf_reset(&st->strs);
	st->tables.n = st->chains.n = st->rules.n = st->sets.n = st->objs.n = 0;
	st->rule_overflow = st->overflow_mark = 0;
	st->rule_mark = 0;
	st->last_chain = st->cur_table = NFT_NONE;

	rc = nft_dump(nl, NFT_MSG_GETTABLE, nft_table_cb, nft_table_reset, st, e);
	if (!rc)
		rc = nft_dump(nl, NFT_MSG_GETCHAIN, nft_chain_cb, nft_chain_reset, st, e);
	if (!rc && nft_chain_index(st))
		rc = ns_err_set(e, -ENOMEM, "out of memory");
	if (!rc && st->filtered)
		rc = nft_read_rules_by_table(nl, st, e);
	else if (!rc)
		rc = nft_dump(nl, NFT_MSG_GETRULE, nft_rule_cb, nft_rule_reset, st, e);
	if (!rc)
		rc = nft_dump(nl, NFT_MSG_GETSET, nft_set_cb, nft_set_reset, st, e);
	if (!rc)
		rc = nft_dump(nl, NFT_MSG_GETOBJ, nft_obj_cb, nft_obj_reset, st, e);
	if (!rc && st->elem_max)
		rc = nft_read_elements(nl, st, e);
	return rc;
}

static bool nft_absent(int rc)
{
	return rc == -EINVAL || rc == -EPROTONOSUPPORT || rc == -EOPNOTSUPP;
}

/* ---- collector ---- */

static void nft_fini(void *state)
{
	struct nft_state *st = state;

	if (!st)
		return;
	ns_namefilter_fini(&st->filter);
	free(st->strs.data);
	free(st->tables.p);
	free(st->chains.p);
	free(st->rules.p);
	free(st->sets.p);
	free(st->objs.p);
	nft_index_free(&st->chain_idx);
	nft_index_free(&st->label_idx);
	ns_labelset_free(&st->ls);
	free(st);
}

static int nft_init(struct ns_ctx *ctx, const struct ns_opts *opts, void **state, struct ns_err *e)
{
	struct nft_state *st = calloc(1, sizeof(*st));
	int rc;

	*state = NULL;
	if (!st)
		return ns_err_set(e, -ENOMEM, "out of memory");
	rc = ns_namefilter_init(&st->filter, opts, "table-include", "table-exclude", "nftables", e);
	if (rc) {
		free(st);
		return rc;
	}
	st->filtered = st->filter.has_include || st->filter.has_exclude;
	st->rule_max = ns_opt_uint(opts, "rule-series-max");
	st->chain_max = ns_opt_uint(opts, "chain-series-max");
	st->elem_max = ns_opt_uint(opts, "set-elements-max");
	*state = st;
	return 0;
}

static int nft_collect(struct ns_ctx *ctx, void *state, struct ns_writer *w, struct ns_err *e)
{
	struct nft_state *st = state;
	struct ns_nl *nl;
	uint32_t gen0;
	struct ns_fail f = NS_FAIL_INIT(e);
	int rc;

	st->tables.n = st->chains.n = st->rules.n = st->sets.n = st->objs.n = 0;
	st->have_gen = false;
	rc = ns_ctx_nl(ctx, NETLINK_NETFILTER, &nl, e);
	if (rc == -EPROTONOSUPPORT) {
		ns_err_clear(e);
		return nft_emit(st, w, false, e);
	}
	if (rc)
		return rc;
	for (int i = 0; i < NFT_GEN_TRIES; i++) {
		rc = nft_read_gen(nl, st, e);
		if (nft_absent(rc)) {
			ns_err_clear(e);
			return nft_emit(st, w, false, e);
		}
		if (rc == -EPERM)
			return ns_err_set(e, rc, "reading the ruleset needs CAP_NET_ADMIN");
		if (rc)
			return rc;
		gen0 = st->gen;
		rc = nft_read(nl, st, e);
		if (!rc)
			rc = nft_read_gen(nl, st, e);
		if (rc || st->gen == gen0)
			break;
	}
	ns_fail_note(&f, rc);
	ns_fail_note(&f, nft_emit(st, w, true, ns_fail_err(&f)));
	return ns_fail_rc(&f);
}

static const struct ns_option nft_options[] = {
    {"table-include", NS_OPT_REGEX, NULL,
     "Only tables whose name matches this POSIX extended regex (unanchored)."},
    {"table-exclude", NS_OPT_REGEX, NULL,
     "Skip tables whose name matches this POSIX extended regex (unanchored)."},
    {"rule-series-max", NS_OPT_UINT, "1000",
     "At most this many rule counter series, in ruleset order; the rest are counted in "
     "netstack_nftables_rule_series_overflow."},
    {"chain-series-max", NS_OPT_UINT, "1000",
     "At most this many regular chains in netstack_nftables_chain_rules (base chains are "
     "always shown); the rest are counted in netstack_nftables_chain_series_overflow."},
    {"set-elements-max", NS_OPT_UINT, "65536",
     "Count the elements of each named set up to this many (a dump of its elements per "
     "scrape, see docs/METRICS.md for the cost); 0 = do not count."},
    {NULL, 0, NULL, NULL},
};

const struct ns_collector ns_collector_nftables = {
    .name = "nftables",
    .help = "nftables ruleset: rule and named counters, quotas, limits, set fill, chains and "
	    "the ruleset generation (nfnetlink NFT_MSG_GET*).",
    .default_enabled = true,
    .options = nft_options,
    /* nfnetlink answers nothing without CAP_NET_ADMIN */
    .caps = 1ULL << CAP_NET_ADMIN,
    .init = nft_init,
    .collect = nft_collect,
    .fini = nft_fini,
};
