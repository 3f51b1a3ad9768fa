/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nftables.h - the nftables collector's own types, shared by its files:
 * nftables.c (the ruleset read) and nftables_emit.c (its families).
 * Not part of the core.
 */
#ifndef NS_COLLECTOR_NFTABLES_H
#define NS_COLLECTOR_NFTABLES_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/capability.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "collector.h"
#include "emit.h"
#include "namefilter.h"
#include "nl.h"

#define NFT_NONE UINT32_MAX
#define NFT_COMMENT_MAX 128
#define NFT_NAME_MAX 256  /* NFT_NAME_MAXLEN */
#define NFT_UDATA_MAX 256 /* NFT_USERDATA_MAXLEN */
#define NFT_GEN_TRIES 3

struct nft_table {
	uint8_t family;
	uint32_t name; /* offset in st->strs */
};

struct nft_chain {
	uint32_t table;
	uint32_t name;
	uint32_t type; /* NFT_NONE for regular chains */
	uint32_t hook;
	int32_t prio;
	uint32_t policy;
	bool base, counters;
	uint64_t packets, bytes;
	uint32_t nrules;
};

struct nft_rule {
	uint32_t chain;
	uint32_t label; /* offset in st->strs: the comment or "handle:<n>" */
	uint32_t comment_len;
	bool has_comment, dup;
	uint64_t handle, packets, bytes;
};

struct nft_set {
	uint32_t table;
	uint32_t name;
	uint32_t flags;
	bool has_size, truncated;
	uint32_t size;
	uint64_t nelems;
};

enum { NFT_OV_COUNTER, NFT_OV_QUOTA, NFT_OV_LIMIT };

struct nft_obj {
	uint32_t table;
	uint32_t name;
	uint32_t type; /* NFT_OBJECT_* */
	unsigned have;
	uint64_t v[5];
};

/* A growable array of elements of size @elem. */
struct nft_arr {
	void *p;
	size_t n, cap;
};

/* Open addressing index of positions (+1) in an array, rebuilt per scrape. */
struct nft_index {
	uint32_t *slot;
	size_t cap; /* a power of two, at least twice the entries */
};

struct nft_state {
	struct ns_namefilter filter;
	bool filtered;
	uint64_t rule_max, chain_max, elem_max;

	struct ns_buf strs; /* NUL-terminated names, by offset */
	struct nft_arr tables, chains, rules, sets, objs;
	struct nft_index chain_idx, label_idx;
	uint32_t gen;
	bool have_gen;
	uint64_t rule_overflow;
	uint32_t last_chain; /* the chain of the previous rule (rules come chain by chain) */
	uint32_t cur_table;  /* the table of a per-table rule dump, NFT_NONE for all */
	size_t rule_mark;    /* rules and overflow when that dump started */
	uint64_t overflow_mark;

	/* the set whose elements are being counted */
	struct nft_set *cur_set; /* points into sets, which do not move during the element dumps */
	uint8_t cur_family;
	struct ns_labelset ls;
	int cb_err; /* an allocation failure inside a callback */
};

#define NFT_AT(st, arr, type, i) (&((type *)(st)->arr.p)[i])

static inline const char *nft_s(const struct nft_state *st, uint32_t off)
{
	return st->strs.data + off;
}

/* nftables.c: "ip", "ip6", "inet", ... (a number for an unknown family, in @buf). */
const char *nft_family_name(uint8_t f, char buf[8]);
/* nftables.c: the hook's name for the family ("input", "ingress", ...) or its number. */
const char *nft_hook_name(uint8_t family, uint32_t hook, char buf[16]);
/* nftables.c: mark the rules whose label another rule of their chain has (0 or -ENOMEM). */
int nft_rule_dups(struct nft_state *st);
/* nftables_emit.c: every family (only netstack_nftables_enabled when !@enabled). */
int nft_emit(struct nft_state *st, struct ns_writer *w, bool enabled, struct ns_err *e);

#endif
