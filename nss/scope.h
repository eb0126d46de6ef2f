/* SPDX-License-Identifier: BSD-3-Clause */
/* scope.h - what the tailnet owns: the one decision between "found", "not found" and "not ours", shared by
 * the NSS module (nss_entry.c) and the DNS responder (helper/dns/dns_answer.c), so the two cannot disagree.
 * A paused cache (TN_FLAG_PAUSED: tailscaled Stopped or logged out) owns nothing: every answer is TN_NOT_OURS.
 *
 * Contract: tn_scope_name() looks up a name folded by tn_name_fold() (or normalised) and returns TN_FOUND
 * (hit filled in), TN_NOT_FOUND when the name is unknown but lies strictly under the tailnet's own suffix
 * (the module's HOST_NOT_FOUND, the responder's NXDOMAIN), TN_INVALID when it is not a host name at all, or
 * TN_NOT_OURS for everything else: unknown bare names, other domains, other tailnets' suffixes, the suffix
 * itself (UNAVAIL / REFUSED: the next source or nameserver decides). Only a name that is not found has its
 * labels checked: every cache key is a valid name, so one that matches is too. tn_scope_addr() does the same for a 16-byte address (IPv4 as ::ffff:a.b.c.d), where
 * what the tailnet owns is 100.64.0.0/10 and fd7a:115c:a1e0::/48. tn_scope_ttl() is the TTL an answer may
 * carry: `max` seconds, less when the cache stops being valid sooner. Pure: no I/O, no state.
 */
#ifndef TAILNET_SCOPE_H
#define TAILNET_SCOPE_H

#include <stdint.h>

#include "cache_reader.h"
#include "name.h"

enum tn_scope { TN_FOUND = 0, TN_NOT_FOUND = 1, TN_NOT_OURS = 2, TN_INVALID = 3 };

#define TN_TTL_POSITIVE 5  /* seconds, as MagicDNS (quad-100's defaultTTL) */
#define TN_TTL_NEGATIVE 10 /* seconds, as the SOA of quad-100's negative answers */

enum tn_scope tn_scope_name(const struct tn_cache *c, const struct tn_name *n, struct tn_hit *hit);
enum tn_scope tn_scope_addr(const struct tn_cache *c, const uint8_t key[16], struct tn_hit *hit);
/* 1 when the address lies in 100.64.0.0/10 (v4-mapped) or fd7a:115c:a1e0::/48. */
int tn_scope_tailnet_range(const uint8_t key[16]);
int32_t tn_scope_ttl(const struct tn_cache *c, int64_t now, int32_t max);

#endif
