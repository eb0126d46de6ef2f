/* status_parse.h - tailscaled's status JSON, turned into the hostset the cache is built from.
 *
 * Contract: feed the document (GET /localapi/v0/status, tab-indented, or `tailscale status --json`, 2-space
 * indented) in chunks of any size as it arrives, then call tn_status_finish(). Only the few members that name
 * hosts are kept (plain strings as they are, anything else through jansson, one small piece at a time);
 * everything else is checked for JSON syntax and dropped, so memory stays bounded and time linear (a
 * 100,000-peer, 136 MB document is never held in memory). The MagicDNS rules live in status_parse.c. On
 * success the hostset is finished and ready for tn_cache_update(); after any failure it must be discarded,
 * never written. Errors follow err.h:
 * TN_EXIT_BAD_ANSWER for input that is not JSON, is truncated, or lacks a string BackendState or an object
 * Self; TN_EXIT_NOT_RUNNING as soon as BackendState turns out not to be "Running"; TN_EXIT_FAIL when out of
 * memory.
 */
#ifndef TAILNET_STATUS_PARSE_H
#define TAILNET_STATUS_PARSE_H

#include <stddef.h>

#include "cache/hostset.h"
#include "shared/err.h"

struct tn_status_stats {
	size_t peers;         /* members of Peer */
	size_t peers_skipped; /* without a DNSName, not InNetworkMap, or not an object */
	size_t extra_records; /* elements of ExtraRecords */
	size_t extra_skipped; /* unsupported Type, unparseable or mismatched Value, invalid Name */
};

struct tn_status_parser;

/* `hs` must be initialised and empty; the parser fills it. NULL (with err set) when out of memory. */
struct tn_status_parser *tn_status_new(struct tn_hostset *hs, struct tn_error *err);
void tn_status_free(struct tn_status_parser *sp);

int tn_status_feed(struct tn_status_parser *sp, const char *buf, size_t len, struct tn_error *err);

/* The document ended: checks it was complete and had what we need, then finishes the hostset. */
int tn_status_finish(struct tn_status_parser *sp, struct tn_error *err);

const struct tn_status_stats *tn_status_stats(const struct tn_status_parser *sp);

#endif
