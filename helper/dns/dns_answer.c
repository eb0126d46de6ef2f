/* SPDX-License-Identifier: BSD-3-Clause */
/* dns_answer.c - see dns_answer.h. */
#include "dns/dns_answer.h"

#include <string.h>

#include "nss/cache_current.h"
#include "nss/name.h"
#include "nss/scope.h"

#define V4_ARPA ".in-addr.arpa"
#define V6_ARPA ".ip6.arpa"
#define V6_NIBBLES 32
#define V6_ZONE_NIBBLES 12 /* fd7a:115c:a1e0::/48 */

static int ends_with(const char *s, size_t len, const char *tail, size_t tail_len)
{
	return len > tail_len && memcmp(s + len - tail_len, tail, tail_len) == 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "d.c.b.a.in-addr.arpa" (canonical decimals: no leading zeros) -> ::ffff:a.b.c.d. The SOA zone is
 * "b.a.in-addr.arpa", quad-100's /16 zones. */
static int reverse_v4(const char *s, size_t len, uint8_t key[16], size_t *zone)
{
	size_t end = len - (sizeof V4_ARPA - 1), i = 0;
	memset(key, 0, 16);
	key[10] = key[11] = 0xff;
	for (int octet = 3; octet >= 0; octet--) {
		size_t start = i;
		unsigned v = 0;
		while (i < end && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (s[start] == '0' && i - start > 1))
			return 0;
		key[12 + octet] = (uint8_t)v;
		if (octet == 1)
			*zone = start;
		if (octet > 0 && (i >= end || s[i++] != '.'))
			return 0;
	}
	return i == end;
}

/* 32 nibble labels + ".ip6.arpa" -> the address. The zone of fd7a:115c:a1e0::/48 starts at its 12th nibble
 * from the top, i.e. after the first 20 labels. */
static int reverse_v6(const char *s, size_t len, uint8_t key[16], size_t *zone)
{
	if (len != V6_NIBBLES * 2 - 1 + sizeof V6_ARPA - 1)
		return 0;
	memset(key, 0, 16);
	for (int n = 0; n < V6_NIBBLES; n++) {
		int v = hex_value(s[2 * n]);
		if (v < 0 || (n + 1 < V6_NIBBLES && s[2 * n + 1] != '.'))
			return 0;
		int nibble = V6_NIBBLES - 1 - n; /* the first label is the lowest nibble */
		key[nibble / 2] |= (uint8_t)(nibble % 2 ? v : v << 4);
	}
	*zone = 2 * (V6_NIBBLES - V6_ZONE_NIBBLES);
	return 1;
}

static void answer_addrs(const struct tn_hit *hit, uint16_t qtype, uint32_t ttl, struct tn_dns_msg *m)
{
	unsigned from = qtype == TN_DNS_AAAA ? hit->n4 : 0;
	unsigned to = qtype == TN_DNS_A ? hit->n4 : (unsigned)hit->n4 + hit->n6;
	for (unsigned a = from; a < to; a++) {
		const uint8_t *b = tn_hit_addr(hit, a) + TN_ADDR_BYTES;
		int v4 = a < hit->n4;
		if (tn_dns_add(m, TN_DNS_ANSWER, v4 ? TN_DNS_A : TN_DNS_AAAA, ttl, v4 ? b + 12 : b, v4 ? 4 : 16) < 0)
			return;
	}
}

/* NXDOMAIN or NODATA, with the SOA of `zone` when the name lies in one the tailnet owns. */
static void negative(const struct tn_cache *c, int rcode, const char *zone, size_t zone_len, int64_t now,
		     struct tn_dns_msg *m)
{
	tn_dns_set_rcode(m, rcode, 1);
	if (zone)
		tn_dns_add_soa(m, zone, zone_len, (uint32_t)c->generation,
			       (uint32_t)tn_scope_ttl(c, now, TN_TTL_NEGATIVE));
}

static void reverse(const struct tn_cache *c, const struct tn_name *n, const uint8_t key[16], size_t zone, int64_t now,
		    struct tn_dns_msg *m)
{
	struct tn_answer a;
	const struct tn_hit *hit = &a.hit;
	enum tn_scope scope = tn_scope_addr(c, key, &a);
	if (scope == TN_NOT_OURS) {
		tn_dns_set_rcode(m, TN_RCODE_REFUSED, 0);
	} else if (scope == TN_NOT_FOUND) {
		negative(c, TN_RCODE_NXDOMAIN, n->s + zone, n->len - zone, now, m);
	} else {
		tn_dns_set_rcode(m, TN_RCODE_NOERROR, 1);
		tn_dns_add_ptr(m, (uint32_t)tn_scope_ttl(c, now, TN_TTL_POSITIVE), hit->fqdn, hit->fqdn_len);
	}
}

static void forward(const struct tn_cache *c, const struct tn_dns_query *q, const struct tn_name *n, int64_t now,
		    struct tn_dns_msg *m)
{
	struct tn_answer a;
	enum tn_scope scope = tn_scope_name(c, n, &a);
	if (scope == TN_NOT_OURS || scope == TN_INVALID) {
		tn_dns_set_rcode(m, TN_RCODE_REFUSED, 0);
		return;
	}
	int own = tn_name_under(n->s, n->len, c->suffix, c->suffix_len) ||
		  (c->suffix_len && n->len == c->suffix_len && memcmp(n->s, c->suffix, n->len) == 0);
	const char *zone = own ? c->suffix : NULL;
	if (scope == TN_NOT_FOUND) {
		negative(c, TN_RCODE_NXDOMAIN, zone, c->suffix_len, now, m);
		return;
	}
	/* A name that exists, asked for its zone's records or a host description: quad-100 says NOTIMP
	 * (tsdns.go resolveLocal, TypeNS/SOA/AXFR/HINFO). */
	if (q->qtype == TN_DNS_NS || q->qtype == TN_DNS_SOA || q->qtype == TN_DNS_HINFO) {
		tn_dns_set_rcode(m, TN_RCODE_NOTIMP, 1);
		return;
	}
	const struct tn_hit *hit = &a.hit;
	int has = (q->qtype == TN_DNS_A && hit->n4) || (q->qtype == TN_DNS_AAAA && hit->n6) || q->qtype == TN_DNS_ANY;
	if (!has) {
		negative(c, TN_RCODE_NOERROR, zone, c->suffix_len, now, m);
		return;
	}
	tn_dns_set_rcode(m, TN_RCODE_NOERROR, 1);
	answer_addrs(hit, q->qtype, (uint32_t)tn_scope_ttl(c, now, TN_TTL_POSITIVE), m);
}

void tn_dns_answer(const struct tn_cache *c, const struct tn_dns_query *q, int64_t now, struct tn_dns_msg *m)
{
	struct tn_name n;
	if (q->qclass != TN_DNS_CLASS_IN || q->qtype == TN_DNS_AXFR || q->qtype == TN_DNS_IXFR || !q->host_ok ||
	    tn_name_fold(q->name, &n) < 0) {
		tn_dns_set_rcode(m, TN_RCODE_REFUSED, 0);
		return;
	}
	/* PTR questions (and ANY) for reverse names take the module's reverse way; every other question its
	 * forward way, where such a name is simply not the tailnet's. */
	int v4 = ends_with(n.s, n.len, V4_ARPA, sizeof V4_ARPA - 1);
	int arpa = v4 || ends_with(n.s, n.len, V6_ARPA, sizeof V6_ARPA - 1);
	if (arpa && (q->qtype == TN_DNS_PTR || q->qtype == TN_DNS_ANY)) {
		uint8_t key[16];
		size_t zone = 0;
		if (v4 ? reverse_v4(n.s, n.len, key, &zone) : reverse_v6(n.s, n.len, key, &zone))
			reverse(c, &n, key, zone, now, m);
		else
			tn_dns_set_rcode(m, TN_RCODE_REFUSED, 0); /* not one whole address: the module is never asked */
		return;
	}
	forward(c, q, &n, now, m);
}

struct respond_ctx {
	const struct tn_dns_query *q;
	struct tn_dns_msg *m;
};

static int respond_query(const struct tn_cache *c, int64_t now, void *vctx)
{
	struct respond_ctx *r = vctx;
	tn_dns_answer(c, r->q, now, r->m);
	return 0;
}

size_t tn_dns_respond(const uint8_t *pkt, size_t len, int tcp, uint8_t *out)
{
	struct tn_dns_query q;
	struct tn_dns_msg m;
	if (tn_dns_parse(pkt, len, &q) < 0)
		return 0;
	tn_dns_begin(&m, out, tcp ? TN_DNS_MSG_MAX : tn_dns_udp_limit(&q), &q);
	if (q.rcode != TN_RCODE_NOERROR) {
		tn_dns_set_rcode(&m, q.rcode, 0);
	} else {
		struct respond_ctx r = {&q, &m};
		if (tn_current_query(respond_query, &r) < 0)
			tn_dns_set_rcode(&m, TN_RCODE_REFUSED, 0); /* no usable cache: let the next nameserver answer */
	}
	return tn_dns_finish(&m);
}
