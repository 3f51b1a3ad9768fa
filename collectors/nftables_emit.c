// SPDX-License-Identifier: GPL-2.0-or-later
/* nftables_emit.c - the nftables collector's families, from the ruleset nftables.c read. */
#include "nftables.h"

/* ---- emission ---- */

/* Families of named objects, resolved the first time an object of the kind is seen. */
enum {
	NO_CNT_PACKETS,
	NO_CNT_BYTES,
	NO_QUOTA_LIMIT,
	NO_QUOTA_USED,
	NO_QUOTA_EXCEEDED,
	NO_LIMIT_PACKETS, /* rate, burst; then the same in bytes */
	NO_LIMIT_BYTES = NO_LIMIT_PACKETS + 2,
	NO_N = NO_LIMIT_BYTES + 2,
};

static const struct ns_family_decl nft_obj_fams[NO_N] = {
    [NO_CNT_PACKETS] = {"netstack_nftables_counter_packets_total",
			"Packets counted by a named counter object.", NS_COUNTER, NULL},
    [NO_CNT_BYTES] = {"netstack_nftables_counter_bytes_total",
		      "Bytes counted by a named counter object.", NS_COUNTER, "bytes"},
    [NO_QUOTA_LIMIT] = {"netstack_nftables_quota_limit_bytes", "Bytes a named quota object allows.",
			NS_GAUGE, "bytes"},
    [NO_QUOTA_USED] = {"netstack_nftables_quota_used_bytes",
		       "Bytes a named quota object has consumed (the kernel reports at most the "
		       "limit).",
		       NS_GAUGE, "bytes"},
    [NO_QUOTA_EXCEEDED] = {"netstack_nftables_quota_exceeded",
			   "1 when a named quota is depleted (NFT_QUOTA_F_DEPLETED), else 0.",
			   NS_GAUGE, NULL},
    [NO_LIMIT_PACKETS] = {"netstack_nftables_limit_packets_per_second",
			  "Rate of a named limit object in packets per second.", NS_GAUGE, NULL},
    [NO_LIMIT_PACKETS + 1] = {"netstack_nftables_limit_burst_packets",
			      "Burst of a named limit object in packets.", NS_GAUGE, NULL},
    [NO_LIMIT_BYTES] = {"netstack_nftables_limit_bytes_per_second",
			"Rate of a named limit object in bytes per second.", NS_GAUGE, NULL},
    [NO_LIMIT_BYTES + 1] = {"netstack_nftables_limit_burst_bytes",
			    "Burst of a named limit object in bytes.", NS_GAUGE, "bytes"},
};

/* f[@first .. @first + @n) from the table, unless already resolved. */
static void nft_obj_families(struct ns_emit *em, struct ns_family **f, size_t first, size_t n)
{
	if (!f[first])
		ns_emit_families(em, nft_obj_fams + first, n, f + first);
}

static void nft_emit_obj(struct ns_emit *em, struct ns_family **f, const struct nft_obj *o,
			 const struct ns_labelset *ls)
{
	size_t lim;

	switch (o->type) {
	case NFT_OBJECT_COUNTER:
		nft_obj_families(em, f, NO_CNT_PACKETS, 2);
		ns_emit_u64_ls(em, f[NO_CNT_PACKETS], ls, o->v[0]);
		ns_emit_u64_ls(em, f[NO_CNT_BYTES], ls, o->v[1]);
		break;
	case NFT_OBJECT_QUOTA:
		nft_obj_families(em, f, NO_QUOTA_LIMIT, 3);
		if (o->have & 1)
			ns_emit_u64_ls(em, f[NO_QUOTA_LIMIT], ls, o->v[0]);
		if (o->have & 2)
			ns_emit_u64_ls(em, f[NO_QUOTA_USED], ls, o->v[1]);
		if (o->have & 4)
			ns_emit_u64_ls(em, f[NO_QUOTA_EXCEEDED], ls,
				       (o->v[2] & NFT_QUOTA_F_DEPLETED) ? 1 : 0);
		break;
	case NFT_OBJECT_LIMIT:
		lim = o->v[3] == NFT_LIMIT_PKT_BYTES ? NO_LIMIT_BYTES : NO_LIMIT_PACKETS;
		nft_obj_families(em, f, lim, 2);
		if (o->have & 1)
			ns_emit_f64_ls(em, f[lim], ls, (double)o->v[0] / (double)o->v[1]);
		if (o->have & 2)
			ns_emit_u64_ls(em, f[lim + 1], ls, o->v[2]);
		break;
	}
}

static void nft_emit_objs(struct nft_state *st, struct ns_emit *em)
{
	struct ns_family *f[NO_N] = {0};
	char fb[8];

	for (size_t i = 0; i < st->objs.n; i++) {
		const struct nft_obj *o = NFT_AT(st, objs, struct nft_obj, i);
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, o->table);
		const struct ns_label l[3] = {{"family", nft_family_name(t->family, fb)},
					      {"table", nft_s(st, t->name)},
					      {"name", nft_s(st, o->name)}};

		if (!o->have)
			continue;
		ns_emit_check(em, ns_labelset_set(&st->ls, em->w, l, 3));
		nft_emit_obj(em, f, o, &st->ls);
	}
}

static void nft_emit_sets(struct nft_state *st, struct ns_emit *em)
{
	struct ns_family *fe, *fm, *ft;
	char fb[8];

	if (!st->sets.n)
		return;
	fe = ns_emit_family(em, "netstack_nftables_set_elements",
			    "Elements of a named set or map (counted by dumping them, up to "
			    "set-elements-max; ranges of an interval set count once).",
			    NS_GAUGE, NULL);
	fm = ns_emit_family(em, "netstack_nftables_set_max_elements",
			    "The size a set or map declares (its maximum number of elements).",
			    NS_GAUGE, NULL);
	ft = ns_emit_family(em, "netstack_nftables_set_elements_truncated",
			    "1 for a set whose count stopped at set-elements-max: "
			    "netstack_nftables_set_elements is then a lower bound.",
			    NS_GAUGE, NULL);
	for (size_t i = 0; i < st->sets.n; i++) {
		const struct nft_set *s = NFT_AT(st, sets, struct nft_set, i);
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, s->table);
		const struct ns_label l[3] = {{"family", nft_family_name(t->family, fb)},
					      {"table", nft_s(st, t->name)},
					      {"set", nft_s(st, s->name)}};

		ns_emit_check(em, ns_labelset_set(&st->ls, em->w, l, 3));
		if (st->elem_max)
			ns_emit_u64_ls(em, fe, &st->ls, s->nelems);
		if (s->has_size)
			ns_emit_u64_ls(em, fm, &st->ls, s->size);
		if (s->truncated)
			ns_emit_u64_ls(em, ft, &st->ls, 1);
	}
}

static void nft_emit_chains(struct nft_state *st, struct ns_emit *em)
{
	struct ns_family *ftc, *fcr, *fbi, *fpp = NULL, *fpb = NULL, *fov;
	uint64_t shown = 0, overflow = 0;
	char fb[8], hb[16], pb[16];

	ftc = ns_emit_family(em, "netstack_nftables_table_chains", "Chains in a table.", NS_GAUGE,
			     NULL);
	for (size_t i = 0; i < st->tables.n; i++) {
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, i);
		uint64_t n = 0;

		for (size_t k = 0; k < st->chains.n; k++)
			n += NFT_AT(st, chains, struct nft_chain, k)->table == i;
		ns_emit_u64(em, ftc,
			    NS_LABELS({"family", nft_family_name(t->family, fb)},
				      {"table", nft_s(st, t->name)}),
			    n);
	}
	fcr = ns_emit_family(em, "netstack_nftables_chain_rules",
			     "Rules in a chain (regular chains up to chain-series-max).", NS_GAUGE,
			     NULL);
	fbi = ns_emit_family(em, "netstack_nftables_base_chain_info",
			     "A base chain: its type, hook, priority and policy; the value is "
			     "always 1.",
			     NS_INFO, NULL);
	for (size_t k = 0; k < st->chains.n; k++) {
		const struct nft_chain *c = NFT_AT(st, chains, struct nft_chain, k);
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, c->table);
		const char *fam = nft_family_name(t->family, fb);
		const struct ns_label l[3] = {
		    {"family", fam}, {"table", nft_s(st, t->name)}, {"chain", nft_s(st, c->name)}};

		if (!c->base && shown >= st->chain_max) {
			overflow++;
			continue;
		}
		shown += !c->base;
		ns_emit_check(em, ns_labelset_set(&st->ls, em->w, l, 3));
		ns_emit_u64_ls(em, fcr, &st->ls, c->nrules);
		if (!c->base)
			continue;
		snprintf(pb, sizeof(pb), "%d", c->prio);
		ns_emit_u64(em, fbi,
			    NS_LABELS({"family", fam}, {"table", nft_s(st, t->name)},
				      {"chain", nft_s(st, c->name)},
				      {"type", c->type == NFT_NONE ? "" : nft_s(st, c->type)},
				      {"hook", nft_hook_name(t->family, c->hook, hb)},
				      {"priority", pb},
				      {"policy", c->policy == NF_DROP ? "drop" : "accept"}),
			    1);
		if (!c->counters)
			continue;
		if (!fpp) {
			fpp =
			    ns_emit_family(em, "netstack_nftables_chain_policy_packets_total",
					   "Packets that reached the policy of a base chain (only "
					   "for chains created with counters, as iptables-nft "
					   "does).",
					   NS_COUNTER, NULL);
			fpb =
			    ns_emit_family(em, "netstack_nftables_chain_policy_bytes_total",
					   "Bytes of the packets that reached the policy of a base "
					   "chain (chains created with counters).",
					   NS_COUNTER, "bytes");
		}
		ns_emit_u64_ls(em, fpp, &st->ls, c->packets);
		ns_emit_u64_ls(em, fpb, &st->ls, c->bytes);
	}
	fov = ns_emit_family(em, "netstack_nftables_chain_series_overflow",
			     "Regular chains left out of netstack_nftables_chain_rules by "
			     "chain-series-max.",
			     NS_GAUGE, NULL);
	ns_emit_u64(em, fov, NS_NOLABELS, overflow);
}

static void nft_emit_rules(struct nft_state *st, struct ns_emit *em)
{
	struct ns_family *fp, *fb, *fov;
	char fam[8], label[NFT_COMMENT_MAX + 32];

	fp = ns_emit_family(
	    em, "netstack_nftables_rule_packets_total",
	    "Packets counted by the counter statement of a rule (rule = its comment, "
	    "else handle:<n>).",
	    NS_COUNTER, NULL);
	fb = ns_emit_family(em, "netstack_nftables_rule_bytes_total",
			    "Bytes counted by the counter statement of a rule.", NS_COUNTER,
			    "bytes");
	for (size_t k = 0; k < st->rules.n; k++) {
		const struct nft_rule *r = NFT_AT(st, rules, struct nft_rule, k);
		const struct nft_chain *c = NFT_AT(st, chains, struct nft_chain, r->chain);
		const struct nft_table *t = NFT_AT(st, tables, struct nft_table, c->table);
		const char *lv = nft_s(st, r->label);

		if (r->dup && r->has_comment) {
			snprintf(label, sizeof(label), "%s handle:%llu", lv,
				 (unsigned long long)r->handle);
			lv = label;
		}
		{
			const struct ns_label l[4] = {{"family", nft_family_name(t->family, fam)},
						      {"table", nft_s(st, t->name)},
						      {"chain", nft_s(st, c->name)},
						      {"rule", lv}};

			ns_emit_check(em, ns_labelset_set(&st->ls, em->w, l, 4));
		}
		ns_emit_u64_ls(em, fp, &st->ls, r->packets);
		ns_emit_u64_ls(em, fb, &st->ls, r->bytes);
	}
	fov = ns_emit_family(em, "netstack_nftables_rule_series_overflow",
			     "Rules with a counter left out by rule-series-max in this scrape.",
			     NS_GAUGE, NULL);
	ns_emit_u64(em, fov, NS_NOLABELS, st->rule_overflow);
}

int nft_emit(struct nft_state *st, struct ns_writer *w, bool enabled, struct ns_err *e)
{
	struct ns_emit em = NS_EMIT_INIT(w);
	struct ns_family *f;

	f = ns_emit_family(&em, "netstack_nftables_enabled",
			   "1 when the kernel answers nf_tables requests, 0 when it has no "
			   "nf_tables.",
			   NS_GAUGE, NULL);
	ns_emit_u64(&em, f, NS_NOLABELS, enabled);
	if (!enabled)
		return ns_emit_done(&em, e);
	if (st->have_gen) {
		f = ns_emit_family(&em, "netstack_nftables_ruleset_generation",
				   "Generation id of the ruleset: it changes with every committed "
				   "change.",
				   NS_GAUGE, NULL);
		ns_emit_u64(&em, f, NS_NOLABELS, st->gen);
	}
	nft_emit_chains(st, &em);
	if (nft_rule_dups(st))
		ns_emit_check(&em, -ENOMEM);
	nft_emit_rules(st, &em);
	nft_emit_sets(st, &em);
	nft_emit_objs(st, &em);
	return ns_emit_done(&em, e);
}
