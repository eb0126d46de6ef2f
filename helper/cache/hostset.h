/* SPDX-License-Identifier: BSD-3-Clause */
/* hostset.h - the names the cache will hold, as the status parser hands them to the cache writer.
 *
 * Contract: the parser adds raw names and address strings exactly as tailscaled sent them; this layer
 * normalises (ASCII lower-case, one trailing dot stripped), validates (LDH host names only, RFC 1035
 * lengths, parseable addresses) and silently counts what it skips, so the cache never holds a name the
 * module could not have been asked for. tn_hostset_finish() then applies the MagicDNS rules in one place:
 * sorted by FQDN, one owner per FQDN (nodes win over ExtraRecords; among duplicate nodes the lower `rank`,
 * then the smaller `tiebreak` wins), bare names only for nodes under the tailnet's own suffix when MagicDNS
 * is enabled. Errors follow err.h (0 / -1 + struct tn_error); only allocation failure is an error here.
 */
#ifndef TAILNET_HOSTSET_H
#define TAILNET_HOSTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/err.h"

enum tn_host_kind { TN_HOST_NODE = 0, TN_HOST_EXTRA = 1 };

struct tn_addr {
	uint8_t b[16]; /* IPv4 as ::ffff:a.b.c.d */
};

struct tn_host {
	char *fqdn; /* lower-case, no trailing dot */
	uint16_t fqdn_len;
	uint16_t bare_len; /* set by tn_hostset_finish(): first-label length when it is a bare name, else 0 */
	enum tn_host_kind kind;
	bool subdomains; /* dns-subdomain-resolve: names below this one answer its addresses */
	int rank;       /* duplicate resolution among nodes: lower wins (Self 0, peers 1) */
	char *tiebreak; /* e.g. the StableNodeID; may be NULL */
	struct tn_addr *addrs; /* IPv4 first, then IPv6, each in the order given, no duplicates */
	uint16_t n4, n6;
	size_t seq; /* order of arrival: the last tiebreak, so the winner never depends on qsort's stability */
};

struct tn_hostset {
	struct tn_host *hosts;
	size_t n, cap;
	char *suffix; /* CurrentTailnet.MagicDNSSuffix, lower-case, no dots around; NULL if unknown */
	bool magicdns; /* CurrentTailnet.MagicDNSEnabled */
	bool tun;      /* Status.TUN */
	bool paused;   /* tailscaled is Stopped or logged out on purpose: the cache keeps the names, serves none */
	size_t skipped_names, skipped_addrs; /* invalid input dropped on the way in */
	bool finished;
};

void tn_hostset_init(struct tn_hostset *hs);
void tn_hostset_free(struct tn_hostset *hs);

/* Records the tailnet's suffix (any case, dots around it tolerated); an invalid suffix is recorded as NULL. */
int tn_hostset_set_suffix(struct tn_hostset *hs, const char *suffix, struct tn_error *err);

/* Adds a name owner. `name` is a DNSName / ExtraRecords name as sent (may end in a dot). `addrs` are address
 * strings ("100.101.33.8", "fd7a:115c:a1e0::1"); unparseable ones are skipped. A name that is not a valid
 * host name, or that ends up with no address, is skipped (counted, not an error). `added` (may be NULL) tells
 * whether the host was kept. */
int tn_hostset_add(struct tn_hostset *hs, enum tn_host_kind kind, const char *name, const char *const *addrs,
		   size_t n_addrs, int rank, const char *tiebreak, bool *added, struct tn_error *err);

/* Sorts, removes duplicate owners and decides bare names. Call once, after the last add. */
int tn_hostset_finish(struct tn_hostset *hs, struct tn_error *err);

#endif
