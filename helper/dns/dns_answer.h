/* SPDX-License-Identifier: BSD-3-Clause */
/* dns_answer.h - what the DNS responder answers: the NSS module's rules, in DNS terms.
 *
 * Contract: tn_dns_answer() builds the whole answer to one parsed query (rcode NOERROR) from a validated,
 * unexpired cache, through the module's own lookups (scope.h), so every answer agrees with libnss_tailnet:
 *   - a cached name: its A / AAAA records (ANY: both), every address of the family, TTL 5 s or less when the
 *     cache runs out sooner; a cached name without that family, or asked another type: NOERROR, no records
 *     (the module's NO_DATA). Bare names (`vault.`) answer like the module's: only when it has them.
 *   - a cached address asked as PTR or ANY (in-addr.arpa / ip6.arpa, one whole address): its FQDN. Other
 *     questions about such names go the forward way, like any other name (REFUSED).
 *   - the module's HOST_NOT_FOUND - an unknown name strictly under the tailnet's own suffix, an unknown address
 *     in 100.64.0.0/10 or fd7a:115c:a1e0::/48: NXDOMAIN.
 *   - the module's UNAVAIL - other domains, other tailnets' suffixes, unknown bare names, names that are no host
 *     names, classes other than IN, zone transfers, reverse names that are not one whole address: REFUSED
 *     (not authoritative), so stub resolvers go on to their next nameserver. The responder never forwards.
 * Answers from the cache are authoritative (AA: Go's resolver treats a non-authoritative empty NOERROR as a
 * lame referral). Negative answers carry the SOA of the zone the tailnet owns around the name - its suffix,
 * quad-100's per-/16 zones <n>.100.in-addr.arpa, or the fd7a:115c:a1e0::/48 ip6.arpa zone - with TTL and
 * MINIMUM 10 s (quad-100's) and the cache generation as serial; outside those zones (a bare or shared-in
 * name without the asked family) there is no SOA to give.
 *
 * tn_dns_respond() is one packet's whole path: parse, read the process's current cache view (cache_current.h;
 * REFUSED when it has no usable cache, so clients fall through), build. It returns the answer's length, or 0
 * when the packet is to be dropped. `out` holds TN_DNS_MSG_MAX bytes over TCP, TN_DNS_UDP_MAX over UDP.
 */
#ifndef TAILNET_DNS_ANSWER_H
#define TAILNET_DNS_ANSWER_H

#include <stdint.h>

#include "dns/dns_wire.h"
#include "nss/cache_reader.h"

void tn_dns_answer(const struct tn_cache *c, const struct tn_dns_query *q, int64_t now, struct tn_dns_msg *m);

size_t tn_dns_respond(const uint8_t *pkt, size_t len, int tcp, uint8_t *out);

#endif
