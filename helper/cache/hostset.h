/* SPDX-License-Identifier: BSD-3-Clause */
/* hostset.h - the names the cache will hold: the host model, as the status parser (or the watcher's model)
 * hands it to the cache writer.
 *
 * Contract: callers add raw names and address strings exactly as tailscaled sent them; this layer normalises
 * (ASCII lower-case, one trailing dot stripped), validates (LDH host names only, RFC 1035 lengths, parseable
 * addresses) and silently counts what it skips, so the cache never holds a name the module could not have
 * been asked for. tn_hostset_finish() then applies quad-100's rules in one place, as the daemon's version
 * (hs->ts_version) has them (tailscale net/dns/resolver/tsdns.go, ipn/ipnlocal/node_backend.go):
 * - one owner per FQDN among nodes: a peer before Self, then the highest NodeID (the last writer in the
 *   netmap's NodeID order, >= 1.102), then the greatest StableNodeID where there is no NodeID (1.98);
 * - an ExtraRecords name that is also a node's: from 1.102.0 the record answers for the FQDN (Config.Hosts is
 *   looked up before the node index) while the node keeps its bare name and its addresses' reverse names
 *   (fqdn_hidden); before 1.102 the node's addresses come first and the record's follow, under the node;
 * - bare names only for nodes directly under the tailnet's own suffix, and only with MagicDNS on;
 * - at most TN_MAX_HOSTS owners: a larger status is an error, nothing is written.
 * Errors follow err.h (0 / -1 + struct tn_error).
 */
#ifndef TAILNET_HOSTSET_H
#define TAILNET_HOSTSET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/err.h"

enum tn_host_kind { TN_HOST_NODE = 0, TN_HOST_EXTRA = 1 };

/* The most name owners (nodes and ExtraRecords names) one cache holds: about 90 MB of cache and twice that of
 * memory while it is built. Tailnets are far smaller; a status beyond this is refused with a clear error. */
#define TN_MAX_HOSTS 500000u

/* A daemon version as a number, to compare: TN_TS_VERSION(1, 102, 0). 0 means unknown (treated as newest). */
#define TN_TS_VERSION(major, minor, patch) (((uint32_t)(major) << 24) | ((uint32_t)(minor) << 12) | (uint32_t)(patch))

/* One name owner as the caller knows it. */
struct tn_host_in {
	enum tn_host_kind kind;
	const char *name;         /* DNSName / ExtraRecords name as sent (may end in a dot) */
	const char *const *addrs; /* address strings ("100.101.33.8", "fd7a:115c:a1e0::1"); NULL entries skipped */
	size_t n_addrs;
	bool self;              /* nodes: this node */
	int64_t node_id;        /* nodes: the numeric NodeID (>= 1.100), 0 when unknown */
	const char *stable_id;  /* nodes: the StableNodeID, NULL when unknown */
	bool subdomains;        /* nodes: has the dns-subdomain-resolve capability */
};

struct tn_addr {
	uint8_t b[16]; /* IPv4 as ::ffff:a.b.c.d */
};

struct tn_host {
	char *fqdn; /* lower-case, no trailing dot */
	uint16_t fqdn_len;
	uint16_t bare_len; /* set by tn_hostset_finish(): first-label length when it is a bare name, else 0 */
	enum tn_host_kind kind;
	bool subdomains; /* dns-subdomain-resolve: names below this one answer its addresses */
	bool self;
	bool fqdn_hidden; /* an ExtraRecord answers for this FQDN: only the bare name and reverse lookups lead here */
	int64_t node_id;
	char *stable_id; /* may be NULL */
	struct tn_addr *addrs; /* IPv4 first, then IPv6, each in the order given, no duplicates */
	uint16_t n4, n6;
	size_t seq; /* order of arrival: the last tiebreak, so the winner never depends on qsort's stability */
	bool own_addrs; /* in a borrowing hostset: addrs is the hostset's own (a merge made it) */
};

struct tn_hostset {
	struct tn_host *hosts;
	size_t n, cap;
	char *suffix; /* CurrentTailnet.MagicDNSSuffix, lower-case, no dots around; NULL if unknown */
	bool magicdns; /* CurrentTailnet.MagicDNSEnabled */
	bool tun;      /* Status.TUN */
	bool paused;   /* tailscaled is Stopped or logged out on purpose: the cache keeps the names, serves none */
	uint32_t ts_version; /* the daemon's version (TN_TS_VERSION), 0 when unknown */
	size_t skipped_names, skipped_addrs; /* invalid input dropped on the way in */
	bool finished;
	bool borrowed; /* its hosts were lent (tn_hostset_lend): their memory is the lender's */
};

void tn_hostset_init(struct tn_hostset *hs);
void tn_hostset_free(struct tn_hostset *hs);

/* Records the tailnet's suffix (any case, dots around it tolerated); an invalid suffix is recorded as NULL. */
int tn_hostset_set_suffix(struct tn_hostset *hs, const char *suffix, struct tn_error *err);

/* Adds a name owner. Unparseable addresses are skipped; a name that is not a valid host name, or that ends up
 * with no address, is skipped (counted, not an error). `added` (may be NULL) tells whether it was kept. More
 * than TN_MAX_HOSTS owners is an error. */
int tn_hostset_add(struct tn_hostset *hs, const struct tn_host_in *in, bool *added, struct tn_error *err);

/* One owner prepared as tn_hostset_add() would keep it: *h gets its own copies (release them with
 * tn_host_release()); *kept is false when it is skipped, *bad_addrs counts the addresses skipped. A caller that
 * keeps its names between builds (the watcher's model of names) prepares each name once, when it changes, and
 * lends it to every build: tn_hostset_lend() appends it without copying, and the hostset, now a borrower
 * (never mixed with tn_hostset_add()), frees none of it when it is finished or freed. So a build costs a
 * copy of each host's few words, not a parse of every name and address. */
int tn_host_prepare(const struct tn_host_in *in, struct tn_host *h, bool *kept, size_t *bad_addrs,
		    struct tn_error *err);
void tn_host_release(struct tn_host *h);
int tn_hostset_lend(struct tn_hostset *hs, const struct tn_host *h, struct tn_error *err);

/* "1.102.3-t7dc695f92-g1a2b3c4d5" as TN_TS_VERSION(1, 102, 3); 0 when it does not start with a version. */
uint32_t tn_ts_version_parse(const char *text);

/* Sorts (hosts that come in order are left as they are), removes duplicate owners and decides bare names.
 * Call once, after the last add. */
int tn_hostset_finish(struct tn_hostset *hs, struct tn_error *err);

#endif
