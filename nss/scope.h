/* SPDX-License-Identifier: BSD-3-Clause */
/* scope.h - what the tailnet owns: the one decision between "found", "not found" and "not ours", shared by
 * the NSS module (nss_entry.c) and the DNS responder (helper/dns/dns_answer.c), so the two cannot disagree.
 *
 * Contract: tn_scope_name() takes a name folded by tn_name_fold() (or normalised) and answers as quad-100
 * does (tailscale net/dns/resolver/tsdns.go resolveLocal, v1.98.0 to 1.103), from the cache:
 *   TN_FOUND      a cached name; a 4via6 name (via.h: its IPv6 address only); quad-100's own name
 *                 magicdns.localhost-tailscale-daemon; a name below a node that has dns-subdomain-resolve, at
 *                 any depth (the node's addresses under the name asked; from 1.102 the node may be reached by
 *                 its bare name too). The answer is in a->hit.
 *   TN_NOT_FOUND  a .onion name (RFC 7686); with MagicDNS on, an unknown name under the tailnet's own suffix,
 *                 or the suffix itself (the module's HOST_NOT_FOUND, the responder's NXDOMAIN).
 *   TN_INVALID    not a host name at all (only a name that is not found has its labels checked: every cache
 *                 key is valid, so one that matches is too).
 *   TN_NOT_OURS   everything else: unknown bare names, other domains, other tailnets' suffixes, and, with
 *                 MagicDNS off, unknown names under the suffix too (quad-100 forwards them then): UNAVAIL /
 *                 REFUSED, the next source or nameserver decides.
 * tn_scope_addr() does the same for a 16-byte address (IPv4 as ::ffff:a.b.c.d): found, quad-100's own
 * addresses (100.100.100.100, fd7a:115c:a1e0::53), an address of the 4to6 range looked up as its 100.x form;
 * with MagicDNS on, not found in 100.64.0.0/10 and fd7a:115c:a1e0::/48. A paused cache (TN_FLAG_PAUSED:
 * tailscaled Stopped or logged out) owns nothing: every answer is TN_NOT_OURS. tn_scope_ttl() is the TTL an
 * answer may carry: `max` seconds, less when the cache stops being valid sooner. Pure: no I/O, no state.
 */
#ifndef TAILNET_SCOPE_H
#define TAILNET_SCOPE_H

#include <stdint.h>

#include "cache_reader.h"
#include "name.h"

enum tn_scope { TN_FOUND = 0, TN_NOT_FOUND = 1, TN_NOT_OURS = 2, TN_INVALID = 3 };

#define TN_TTL_POSITIVE 5  /* seconds, as MagicDNS (quad-100's defaultTTL) */
#define TN_TTL_NEGATIVE 10 /* seconds, as the SOA of quad-100's negative answers */

/* An answer: a hit in the cache, or one made up here (its addresses in `made`). */
struct tn_answer {
	struct tn_hit hit;
	uint8_t made[2 * TN_ADDR_SIZE];
};

/* quad-100's own name (tsdns.go dnsSymbolicFQDN), without the trailing dot. */
#define TN_SYMBOLIC_NAME "magicdns.localhost-tailscale-daemon"

enum tn_scope tn_scope_name(const struct tn_cache *c, const struct tn_name *n, struct tn_answer *a);
/* tn_scope_name() for a name already looked up in the cache's index and not there, in a cache not paused:
 * every rule after the index (for the module, whose miss path has probed the name as asked). */
TN_HOT enum tn_scope tn_scope_unlisted(const struct tn_cache *c, const struct tn_name *n, struct tn_answer *a);
enum tn_scope tn_scope_addr(const struct tn_cache *c, const uint8_t key[16], struct tn_answer *a);
/* 1 when the address lies in 100.64.0.0/10 (v4-mapped) or fd7a:115c:a1e0::/48. */
int tn_scope_tailnet_range(const uint8_t key[16]);
int32_t tn_scope_ttl(const struct tn_cache *c, int64_t now, int32_t max);

#endif
