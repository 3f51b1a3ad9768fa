// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * conntrack_zone.c - the breakdown by conntrack zone and by helper.
 *
 * Zones: the entry's CTA_ZONE (ATTR_ZONE; 0 when the kernel sends none,
 * which is what it does for the default zone). Directional zones
 * (CTA_TUPLE_ZONE, `zone orig`/`zone reply` in nftables) are not split out:
 * such an entry counts in its CTA_ZONE. Every zone is counted exactly (an
 * array of 65536 counters); the zone-max largest are exposed one by one and
 * the others summed as zone="other".
 *
 * Top sources and destinations within a zone: one space-saving table of
 * src/topk.h per direction over (zone, key) pairs, of top-tracked pairs,
 * with the same bound as the collector's zone-less tables: a pair's count
 * is ns_topk_value(), the table's count minus what the pair inherited from
 * an evicted one, a lower bound of its true count. When the dump is over,
 * each exposed zone gets the top-k pairs of the table that carry its zone,
 * ranked by that bound, ties by the bytewise smaller key (as ns_topk_top()
 * ranks). No pair ever evicted (ns_topk_exact()): the counts are exact.
 *
 * Helpers: entries with a CTA_HELP name are counted by name (at most
 * CTZ_HELPERS names; more go to helper="other").
 *
 * The zone families are exposed only when some entry has a zone other than
 * 0, so hosts that do not use zones see no new series. Helper counts are
 * exposed whenever an entry has a helper.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

#include "conntrack_zone.h"
#include "topk.h"

#define CTZ_NZONES 65536
#define CTZ_HELPERS 32
#define CTZ_HELPER_LEN 32 /* NF_CT_HELPER_NAME_LEN 16; libnetfilter_conntrack keeps 30 */

/* A (zone, address[, protocol, port]) key: 24 bytes, no padding (topk.h compares bytewise). */
struct ctz_key {
	uint16_t zone;
	uint8_t family;
	uint8_t proto; /* destinations only */
	uint16_t port; /* destinations only, host order */
	uint16_t pad;
	uint8_t addr[16];
};
_Static_assert(sizeof(struct ctz_key) == 24, "ctz_key has no padding");

struct ctz_top {
	struct ctz_key key;
	uint64_t count; /* ns_topk_value(): the lower bound */
};

struct ctz_helper {
	char name[CTZ_HELPER_LEN];
	uint64_t count;
};

/* One exposed zone of a committed result. */
struct ctz_zone {
	uint16_t zone;
	uint64_t entries;
	size_t nsrc, ndst;
	struct ctz_top *src, *dst; /* top_k each, into ctz.top_src/top_dst */
};

struct ctz {
	size_t zone_max, top_k;

	/* accumulating */
	uint32_t *count; /* [65536] */
	uint16_t *seen;	 /* zones with count > 0, in first-seen order */
	size_t nseen;
	bool nonzero;		 /* an entry outside zone 0 */
	struct ns_topk src, dst; /* of struct ctz_key */
	struct ctz_helper helpers[CTZ_HELPERS];
	size_t nhelpers;
	uint64_t helper_other;
	bool helper_other_used;

	/* committed */
	bool valid, r_nonzero;
	struct ctz_zone *zones; /* zone_max */
	size_t nzones;
	uint64_t other;	   /* entries of the zones not exposed */
	size_t r_distinct; /* distinct zones */
	bool src_exact, dst_exact;
	struct ctz_top *top_src, *top_dst; /* zone_max * top_k */
	int16_t *slot_of;		   /* [65536] exposed index + 1, scratch */
	struct ctz_helper r_helpers[CTZ_HELPERS];
	size_t r_nhelpers;
	uint64_t r_helper_other;
	bool r_helper_other_used;
};

/* ---- lifecycle ---- */

void ctz_free(struct ctz *z)
{
	if (!z)
		return;
	free(z->count);
	free(z->seen);
	free(z->zones);
	free(z->top_src);
	free(z->top_dst);
	free(z->slot_of);
	ns_topk_free(&z->src);
	ns_topk_free(&z->dst);
	free(z);
}

struct ctz *ctz_new(size_t zone_max, size_t top_k, size_t tracked)
{
	struct ctz *z = calloc(1, sizeof(*z));
	size_t nz = zone_max ? zone_max : 1, nt = nz * (top_k ? top_k : 1);

	if (!z)
		return NULL;
	z->zone_max = zone_max;
	z->top_k = top_k;
	z->count = calloc(CTZ_NZONES, sizeof(*z->count));
	z->seen = calloc(CTZ_NZONES, sizeof(*z->seen));
	z->slot_of = calloc(CTZ_NZONES, sizeof(*z->slot_of));
	z->zones = calloc(nz, sizeof(*z->zones));
	z->top_src = calloc(nt, sizeof(*z->top_src));
	z->top_dst = calloc(nt, sizeof(*z->top_dst));
	if (!z->count || !z->seen || !z->slot_of || !z->zones || !z->top_src || !z->top_dst ||
	    ns_topk_init(&z->src, tracked, sizeof(struct ctz_key)) ||
	    ns_topk_init(&z->dst, tracked, sizeof(struct ctz_key))) {
		ctz_free(z);
		return NULL;
	}
	return z;
}

void ctz_reset(struct ctz *z)
{
	for (size_t i = 0; i < z->nseen; i++)
		z->count[z->seen[i]] = 0;
	z->nseen = 0;
	z->nonzero = false;
	ns_topk_clear(&z->src);
	ns_topk_clear(&z->dst);
	z->nhelpers = 0;
	z->helper_other = 0;
	z->helper_other_used = false;
}

/* ---- accumulation ---- */

static void ctz_helper_add(struct ctz *z, const char *name)
{
	size_t i;

	for (i = 0; i < z->nhelpers; i++)
		if (strncmp(z->helpers[i].name, name, CTZ_HELPER_LEN - 1) == 0) {
			z->helpers[i].count++;
			return;
		}
	if (z->nhelpers == CTZ_HELPERS) {
		z->helper_other++;
		z->helper_other_used = true;
		return;
	}
	snprintf(z->helpers[i].name, sizeof(z->helpers[i].name), "%s", name);
	z->helpers[i].count = 1;
	z->nhelpers++;
}

void ctz_add(struct ctz *z, struct nf_conntrack *ct, uint8_t l3)
{
	struct ctz_key src = {0}, dst = {0};
	uint16_t zone = 0;
	bool have_src = false, have_dst = false;

	if (nfct_attr_is_set(ct, ATTR_ZONE) > 0)
		zone = nfct_get_attr_u16(ct, ATTR_ZONE);
	if (nfct_attr_is_set(ct, ATTR_HELPER_NAME) > 0) {
		const char *name = nfct_get_attr(ct, ATTR_HELPER_NAME);

		if (name && *name)
			ctz_helper_add(z, name);
	}
	nfct_attr_unset(ct, ATTR_ZONE);
	nfct_attr_unset(ct, ATTR_HELPER_NAME);

	if (!z->count[zone]++)
		z->seen[z->nseen++] = zone;
	if (zone)
		z->nonzero = true;

	src.zone = dst.zone = zone;
	src.family = dst.family = l3;
	if (l3 == AF_INET) {
		if (nfct_attr_is_set(ct, ATTR_ORIG_IPV4_SRC) > 0) {
			uint32_t a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_SRC);

			memcpy(src.addr, &a, sizeof(a));
			have_src = true;
		}
		if (nfct_attr_is_set(ct, ATTR_ORIG_IPV4_DST) > 0) {
			uint32_t a = nfct_get_attr_u32(ct, ATTR_ORIG_IPV4_DST);

			memcpy(dst.addr, &a, sizeof(a));
			have_dst = true;
		}
	} else if (l3 == AF_INET6) {
		if (nfct_attr_is_set(ct, ATTR_ORIG_IPV6_SRC) > 0) {
			memcpy(src.addr, nfct_get_attr(ct, ATTR_ORIG_IPV6_SRC), 16);
			have_src = true;
		}
		if (nfct_attr_is_set(ct, ATTR_ORIG_IPV6_DST) > 0) {
			memcpy(dst.addr, nfct_get_attr(ct, ATTR_ORIG_IPV6_DST), 16);
			have_dst = true;
		}
	}
	/* The zone-less destination table needs a layer-4 protocol: so does this one. */
	if (have_dst && nfct_attr_is_set(ct, ATTR_ORIG_L4PROTO) > 0) {
		dst.proto = nfct_get_attr_u8(ct, ATTR_ORIG_L4PROTO);
		if (nfct_attr_is_set(ct, ATTR_ORIG_PORT_DST) > 0)
			dst.port = ntohs(nfct_get_attr_u16(ct, ATTR_ORIG_PORT_DST));
	} else {
		have_dst = false;
	}
	if (have_src)
		ns_topk_add(&z->src, &src);
	if (have_dst)
		ns_topk_add(&z->dst, &dst);
}

/* ---- commit ---- */

static bool ctz_top_before(const struct ctz_top *a, const struct ctz_top *b)
{
	if (a->count != b->count)
		return a->count > b->count;
	return memcmp(&a->key, &b->key, sizeof(a->key)) < 0;
}

/* Insert @t into the sorted @out of *@n (at most k) entries. */
static void ctz_top_insert(struct ctz_top *out, size_t *n, size_t k, const struct ctz_top *t)
{
	size_t j;

	if (!k || (*n == k && !ctz_top_before(t, &out[*n - 1])))
		return;
	j = *n < k ? (*n)++ : *n - 1;
	while (j > 0 && ctz_top_before(t, &out[j - 1])) {
		out[j] = out[j - 1];
		j--;
	}
	out[j] = *t;
}

static bool ctz_zone_before(const struct ctz *z, uint16_t a, uint16_t b)
{
	if (z->count[a] != z->count[b])
		return z->count[a] > z->count[b];
	return a < b;
}

/* Rank every tracked pair of @s into the top-k of its zone, if exposed. */
static void ctz_split(struct ctz *z, const struct ns_topk *s, bool dst)
{
	for (uint32_t i = 0; i < ns_topk_tracked(s); i++) {
		struct ctz_top t;
		int16_t slot;
		struct ctz_zone *zz;

		memcpy(&t.key, ns_topk_key(s, i), sizeof(t.key));
		slot = z->slot_of[t.key.zone];
		if (!slot)
			continue;
		t.count = ns_topk_value(s, i);
		zz = &z->zones[slot - 1];
		ctz_top_insert(dst ? zz->dst : zz->src, dst ? &zz->ndst : &zz->nsrc, z->top_k, &t);
	}
}

void ctz_commit(struct ctz *z)
{
	size_t n = 0;

	/* The zone_max largest zones, largest first (insertion into a short list). */
	z->other = 0;
	for (size_t i = 0; i < z->nseen; i++) {
		uint16_t zone = z->seen[i];
		size_t j;

		if (n == z->zone_max) {
			if (!n || !ctz_zone_before(z, zone, z->zones[n - 1].zone)) {
				z->other += z->count[zone];
				continue;
			}
			z->other += z->zones[n - 1].entries;
			j = n - 1;
		} else {
			j = n++;
		}
		while (j > 0 && ctz_zone_before(z, zone, z->zones[j - 1].zone)) {
			z->zones[j].zone = z->zones[j - 1].zone;
			z->zones[j].entries = z->zones[j - 1].entries;
			j--;
		}
		z->zones[j].zone = zone;
		z->zones[j].entries = z->count[zone];
	}
	z->nzones = n;
	for (size_t i = 0; i < n; i++) {
		struct ctz_zone *zz = &z->zones[i];

		zz->src = &z->top_src[i * z->top_k];
		zz->dst = &z->top_dst[i * z->top_k];
		zz->nsrc = zz->ndst = 0;
		z->slot_of[zz->zone] = (int16_t)(i + 1);
	}
	ctz_split(z, &z->src, false);
	ctz_split(z, &z->dst, true);
	for (size_t i = 0; i < n; i++)
		z->slot_of[z->zones[i].zone] = 0;

	z->r_distinct = z->nseen;
	z->r_nonzero = z->nonzero;
	z->src_exact = ns_topk_exact(&z->src);
	z->dst_exact = ns_topk_exact(&z->dst);
	memcpy(z->r_helpers, z->helpers, z->nhelpers * sizeof(z->helpers[0]));
	z->r_nhelpers = z->nhelpers;
	z->r_helper_other = z->helper_other;
	z->r_helper_other_used = z->helper_other_used;
	z->valid = true;
}

/* ---- emission ---- */

static const char *ctz_fam(uint8_t f)
{
	return f == AF_INET ? "ipv4" : "ipv6";
}

static const char *ctz_proto(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_DCCP:
		return "dccp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_GRE:
		return "gre";
	default:
		snprintf(buf, len, "%u", p);
		return buf;
	}
}

static void ctz_addr(const struct ctz_key *k, char *buf, size_t len)
{
	if (!inet_ntop(k->family, k->addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

static void ctz_emit_helpers(struct ns_emit *em, const struct ctz *z)
{
	struct ns_family *f;

	if (!z->r_nhelpers && !z->r_helper_other_used)
		return;
	f = ns_emit_family(em, "netstack_conntrack_helper_entries",
			   "Entries of the last breakdown with a conntrack helper attached "
			   "(CTA_HELP), by helper name; helper=\"other\" beyond 32 names.",
			   NS_GAUGE, NULL);
	for (size_t i = 0; i < z->r_nhelpers; i++)
		ns_emit_u64(em, f, NS_LABELS({"helper", z->r_helpers[i].name}),
			    z->r_helpers[i].count);
	if (z->r_helper_other_used)
		ns_emit_u64(em, f, NS_LABELS({"helper", "other"}), z->r_helper_other);
}

void ctz_emit(struct ns_emit *em, const struct ctz *z)
{
	struct ns_family *fe, *fs, *fd, *fx;
	char zone[8], addr[INET6_ADDRSTRLEN], port[8], pnum[8];

	if (!z || !z->valid)
		return;
	ctz_emit_helpers(em, z);
	if (!z->r_nonzero)
		return;
	ns_emit_u64(em,
		    ns_emit_family(em, "netstack_conntrack_zones",
				   "Distinct conntrack zones (CTA_ZONE) in the last breakdown.",
				   NS_GAUGE, NULL),
		    NS_NOLABELS, z->r_distinct);
	fe = ns_emit_family(em, "netstack_conntrack_zone_entries",
			    "Entries of the last breakdown per conntrack zone (CTA_ZONE), the "
			    "zone-max largest zones; zone=\"other\" sums the rest.",
			    NS_GAUGE, NULL);
	fs = ns_emit_family(em, "netstack_conntrack_zone_top_source_entries",
			    "Entries per original source address within a zone, the top-k of "
			    "each exposed zone (space-saving lower bound; exact when "
			    "zone_top_exact is 1).",
			    NS_GAUGE, NULL);
	fd = ns_emit_family(em, "netstack_conntrack_zone_top_destination_entries",
			    "Entries per original destination address, layer-4 protocol and port "
			    "within a zone, the top-k of each exposed zone (space-saving lower "
			    "bound; exact when zone_top_exact is 1).",
			    NS_GAUGE, NULL);
	for (size_t i = 0; i < z->nzones; i++) {
		const struct ctz_zone *zz = &z->zones[i];

		snprintf(zone, sizeof(zone), "%u", zz->zone);
		ns_emit_u64(em, fe, NS_LABELS({"zone", zone}), zz->entries);
		for (size_t j = 0; j < zz->nsrc; j++) {
			const struct ctz_key *k = &zz->src[j].key;

			ctz_addr(k, addr, sizeof(addr));
			ns_emit_u64(em, fs,
				    NS_LABELS({"zone", zone}, {"family", ctz_fam(k->family)},
					      {"address", addr}),
				    zz->src[j].count);
		}
		for (size_t j = 0; j < zz->ndst; j++) {
			const struct ctz_key *k = &zz->dst[j].key;

			ctz_addr(k, addr, sizeof(addr));
			snprintf(port, sizeof(port), "%u", k->port);
			ns_emit_u64(em, fd,
				    NS_LABELS({"zone", zone}, {"family", ctz_fam(k->family)},
					      {"protocol", ctz_proto(k->proto, pnum, sizeof(pnum))},
					      {"address", addr}, {"port", port}),
				    zz->dst[j].count);
		}
	}
	if (z->r_distinct > z->nzones)
		ns_emit_u64(em, fe, NS_LABELS({"zone", "other"}), z->other);
	fx = ns_emit_family(em, "netstack_conntrack_zone_top_exact",
			    "1 if the per-zone top-k counts of the last breakdown are exact (no "
			    "tracked pair was ever evicted), 0 if they are space-saving lower "
			    "bounds.",
			    NS_GAUGE, NULL);
	ns_emit_u64(em, fx, NS_LABELS({"table", "source"}), z->src_exact);
	ns_emit_u64(em, fx, NS_LABELS({"table", "destination"}), z->dst_exact);
}
