/* SPDX-License-Identifier: BSD-3-Clause */
/* scope.c - see scope.h. */
#include "scope.h"

#include <string.h>

#include "name.h"
#include "via.h"

/* TN_TS_VERSION(1, 102, 0) (helper/cache/hostset.h): from it, bare names lead to subdomain hosts too. */
#define V1_102_0 ((1u << 24) | (102u << 12))

static const uint8_t service_v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 100, 100, 100, 100};
static const uint8_t service_v6[16] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};

/* An answer scope makes up: `name` with the given addresses (IPv4 v4-mapped first). */
static enum tn_scope made(struct tn_answer *a, const char *name, size_t len, const uint8_t *v4, const uint8_t *v6)
{
	memset(a, 0, sizeof *a);
	if (v4)
		memcpy(a->made + a->hit.n4++ * TN_ADDR_SIZE, v4, 16);
	if (v6)
		memcpy(a->made + (a->hit.n4 + a->hit.n6++) * TN_ADDR_SIZE, v6, 16);
	a->hit.node = UINT32_MAX;
	a->hit.fqdn = name;
	a->hit.fqdn_len = (uint16_t)len;
	a->hit.addrs = a->made;
	return TN_FOUND;
}

/* What the walk from the suffix up (the suffix, "ts.net", "net") finds, in the open file's suffix_walk word. */
enum { ABOVE_UNKNOWN = 0, ABOVE_NONE = 1, ABOVE_SOME = 2 };

/* The first ancestor of the name that is a node with dns-subdomain-resolve answers for it (tsdns.go
 * resolveLocal's walk: any depth, any suffix). From the suffix up the walk is the same for every name under
 * the suffix, and most misses are such names (a search domain tried first), so the first walk that gets
 * there records whether anything above answered, and when nothing did, the walks after it stop at the
 * suffix. A page that could not be had reads as nothing, but it also marks the file stale, and no answer from
 * a stale file is given. */
static int subdomain(const struct tn_cache *c, const struct tn_name *n, struct tn_hit *hit)
{
	int bare_ok = c->ts_version == 0 || c->ts_version >= V1_102_0;
	int *learn = NULL; /* the word to record in, once the walk is at the suffix with nothing known */
	for (const char *p = memchr(n->s, '.', n->len); p; p = memchr(p + 1, '.', n->len - (size_t)(p + 1 - n->s))) {
		const char *parent = p + 1;
		size_t len = n->len - (size_t)(parent - n->s);
		if (c->suffix_walk && len == c->suffix_len && memcmp(parent, c->suffix, len) == 0) {
			int known = __atomic_load_n(c->suffix_walk, __ATOMIC_RELAXED);
			if (known == ABOVE_NONE)
				return 0;
			if (known == ABOVE_UNKNOWN)
				learn = c->suffix_walk;
		}
		if (tn_cache_find_padded(c, parent, len, hit) && (hit->flags & TN_NODE_F_SUBDOMAINS) &&
		    (bare_ok || !hit->via_bare)) {
			if (learn)
				__atomic_store_n(learn, ABOVE_SOME, __ATOMIC_RELAXED);
			hit->fqdn = n->s; /* the name asked, with the node's addresses */
			hit->fqdn_len = (uint16_t)n->len;
			hit->bare_len = 0;
			hit->via_bare = 0;
			return 1;
		}
	}
	if (learn)
		__atomic_store_n(learn, ABOVE_NONE, __ATOMIC_RELAXED);
	return 0;
}

static int ends_with_label(const char *name, size_t len, const char *tail, size_t tail_len)
{
	return len > tail_len && name[len - tail_len - 1] == '.' && memcmp(name + len - tail_len, tail, tail_len) == 0;
}

enum tn_scope tn_scope_name(const struct tn_cache *c, const struct tn_name *n, struct tn_answer *a)
{
	if (c->flags & TN_FLAG_PAUSED)
		return TN_NOT_OURS;
	if (tn_cache_find_key(c, n, &a->hit))
		return TN_FOUND;
	return tn_scope_unlisted(c, n, a);
}

enum tn_scope tn_scope_unlisted(const struct tn_cache *c, const struct tn_name *n, struct tn_answer *a)
{
	uint8_t via[16];
	/* quad-100 tries 4via6 before any host: the writer leaves node names of that shape out of the index. */
	if (tn_via_parse(n->s, n->len, c->ts_version, via))
		return made(a, n->s, n->len, NULL, via);
	if (!tn_name_labels_ok(n))
		return TN_INVALID;
	if (ends_with_label(n->s, n->len, "onion", 5))
		return TN_NOT_FOUND;
	if (n->len == sizeof TN_SYMBOLIC_NAME - 1 && memcmp(n->s, TN_SYMBOLIC_NAME, n->len) == 0)
		return made(a, n->s, n->len, service_v4, service_v6);
	if (subdomain(c, n, &a->hit))
		return TN_FOUND;
	/* Only names in the tailnet's own zone are ours to deny, and only with MagicDNS on. */
	int own = tn_name_under(n->s, n->len, c->suffix, c->suffix_len) ||
		  (c->suffix_len && n->len == c->suffix_len && memcmp(n->s, c->suffix, n->len) == 0);
	return own && (c->flags & TN_FLAG_MAGICDNS) ? TN_NOT_FOUND : TN_NOT_OURS;
}

int tn_scope_tailnet_range(const uint8_t k[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t ula[6] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
	if (memcmp(k, mapped, sizeof mapped) == 0)
		return k[12] == 100 && (k[13] & 0xc0) == 64;
	return memcmp(k, ula, sizeof ula) == 0;
}

enum tn_scope tn_scope_addr(const struct tn_cache *c, const uint8_t key[16], struct tn_answer *a)
{
	/* fd7a:115c:a1e0:ab12:4843:cd96:6200::/104, Tailscale's 4to6 range: looked up as 100.x.y.z first (tsdns.go
	 * resolveLocalReverse, tsaddr.Tailscale6to4). */
	static const uint8_t four_to_six[13] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0xab, 0x12, 0x48, 0x43, 0xcd, 0x96, 0x62};
	if (c->flags & TN_FLAG_PAUSED)
		return TN_NOT_OURS;
	if (memcmp(key, four_to_six, sizeof four_to_six) == 0) {
		uint8_t v4[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 100, key[13], key[14], key[15]};
		if (tn_cache_find_addr(c, v4, &a->hit))
			return TN_FOUND;
	}
	if (!memcmp(key, service_v4, 16) || !memcmp(key, service_v6, 16))
		return made(a, TN_SYMBOLIC_NAME, sizeof TN_SYMBOLIC_NAME - 1, NULL, NULL);
	if (tn_cache_find_addr(c, key, &a->hit))
		return TN_FOUND;
	/* The ranges where MagicDNS answers reverse lookups itself, when it is on. */
	return tn_scope_tailnet_range(key) && (c->flags & TN_FLAG_MAGICDNS) ? TN_NOT_FOUND : TN_NOT_OURS;
}

int32_t tn_scope_ttl(const struct tn_cache *c, int64_t now, int32_t max)
{
	int64_t left = c->valid_until - now;
	return (int32_t)(left < 0 ? 0 : left > max ? max : left);
}
