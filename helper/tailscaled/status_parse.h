/* SPDX-License-Identifier: BSD-3-Clause */
/* status_parse.h - tailscaled's status JSON, turned into the nodes and records the cache is built from.
 *
 * Contract: feed the document (GET /localapi/v0/status, tab-indented, or `tailscale status --json`, 2-space
 * indented) in chunks of any size as it arrives, then call tn_status_finish(). Only the few members that name
 * hosts are kept (plain strings as they are, anything else through jansson, one small piece at a time);
 * everything else is checked for JSON syntax and dropped, so memory stays bounded and time linear (a
 * 100,000-peer, 136 MB document is never held in memory). Which nodes and records count is decided in
 * status_parse.c; each is handed to a sink as soon as it is complete, and the sink's end() gets the tailnet's
 * settings once the whole document was read. The parser knows nothing of the host model that the sink
 * builds (cache/ owns it), so the dependency points one way. After any failure whatever the sink built must
 * be discarded, never written. Errors follow err.h:
 * TN_EXIT_BAD_ANSWER for input that is not JSON, is truncated, or lacks a string BackendState or an object
 * Self; TN_EXIT_NOT_RUNNING as soon as BackendState turns out not to be "Running"; TN_EXIT_FAIL when out of
 * memory.
 */
#ifndef TAILNET_STATUS_PARSE_H
#define TAILNET_STATUS_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nss/cache_format.h"
#include "shared/err.h"

struct tn_status_stats {
	size_t peers;         /* members of Peer */
	size_t peers_skipped; /* without a DNSName, not InNetworkMap, or not an object */
	size_t extra_records; /* elements of ExtraRecords */
	size_t extra_skipped; /* unsupported Type, unparseable or mismatched Value, invalid Name */
};

/* The node capability that makes a node answer for every name below it (tailcfg.NodeAttrDNSSubdomainResolve),
 * as the status's CapMap, the bus's nodes and its patches all name it. */
#define TN_CAP_SUBDOMAINS "dns-subdomain-resolve"

/* Addresses kept per node, the first ones in the status's order: the host model looks at no more. */
#define TN_STATUS_MAX_IPS (2 * TN_MAX_ADDRS_PER_NODE)

/* Self, or a peer in the netmap with a DNSName. Strings are the parser's, valid only during the call. */
struct tn_status_node {
	bool self;
	const char *dns_name;     /* as sent: any case, may end in a dot */
	const char *const *addrs; /* TailscaleIPs as sent; NULL for an element that was not a string */
	size_t n_addrs;
	const char *id;   /* the StableNodeID, NULL when absent */
	int64_t node_id;  /* the numeric NodeID (1.100 and later), 0 when absent */
	bool subdomains;  /* CapMap holds dns-subdomain-resolve */
};

/* What the status says about the tailnet as a whole. */
struct tn_status_tailnet {
	const char *suffix; /* CurrentTailnet.MagicDNSSuffix, else the top-level MagicDNSSuffix; NULL if none */
	bool magicdns;      /* CurrentTailnet.MagicDNSEnabled (false when CurrentTailnet is null) */
	bool tun;           /* TUN: false means userspace networking */
	const char *version; /* the daemon's Version ("1.102.3-t..."), NULL when absent */
};

/* Where parsed pieces go. Each callback returns 0, or -1 with err set, which ends the parse. */
struct tn_status_sink {
	int (*node)(void *ctx, const struct tn_status_node *node, struct tn_error *err);
	/* All usable ExtraRecords values of one name (a name arrives once). */
	int (*extra)(void *ctx, const char *name, const char *const *values, size_t n, struct tn_error *err);
	/* The document was complete and had what we need. */
	int (*end)(void *ctx, const struct tn_status_tailnet *tailnet, struct tn_error *err);
};

struct tn_status_parser;

/* NULL (with err set) when out of memory. */
struct tn_status_parser *tn_status_new(const struct tn_status_sink *sink, void *ctx, struct tn_error *err);
void tn_status_free(struct tn_status_parser *sp);

int tn_status_feed(struct tn_status_parser *sp, const char *buf, size_t len, struct tn_error *err);

/* The document ended: checks it was complete and had what we need, then calls the sink's end(). */
int tn_status_finish(struct tn_status_parser *sp, struct tn_error *err);

const struct tn_status_stats *tn_status_stats(const struct tn_status_parser *sp);
/* BackendState once it was read ("Running", "Stopped", ...; printable, cut to fit), else "". */
const char *tn_status_backend_state(const struct tn_status_parser *sp);

#endif
