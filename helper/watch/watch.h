/* SPDX-License-Identifier: BSD-3-Clause */
/* watch.h - keeping the cache current from tailscaled's IPN bus: the loop behind `tailnet-helper watch`.
 *
 * Contract: tn_watch_run() subscribes to GET /localapi/v0/watch-ipn-bus?mask=4098 (InitialState |
 * PeerChanges; never the rate-limit bit 256, which 1.100+ answers with 400 next to the new bits) and returns
 * only when SIGTERM or SIGINT arrives (0), or when it cannot start at all (-1, err set).
 * - What triggers a resync: a dirty line (ipn_bus.h) debounce_ms later, pushed back by further lines of a
 *   burst but never past 4 x debounce_ms after its first; the first line of every connection at once (anything
 *   may have changed while we were away); SIGHUP at once; and every poll_ms whatever the stream said.
 * - A resync reads GET /localapi/v0/status through status_sync.h into tn_cache_update() with
 *   skip_if_unchanged, so the file and its generation move only on real change. A failed read, a status that
 *   is not Running, an unwritable cache: the last good cache stays, and valid-until (max_age) bounds how long
 *   the module keeps trusting it.
 * - The stream and a status read run side by side in one curl multi loop that also waits on a self-pipe
 *   written by the signal handlers, so SIGTERM ends everything at once, even against a daemon that never
 *   answers. A daemon that has not answered the watch request after header_ms counts as unreachable;
 *   silence after the answer is normal (the bus has no heartbeats).
 * - Lost, refused or failing connections are retried on the backoff.h schedule (0.5-1 s doubling to 15-30 s),
 *   reset once a connection delivered its first line. A 400 to the mask falls back to mask 2, where peer
 *   changes arrive only through the poll, until that connection is lost (the next daemon may accept it).
 * - Logging: one line per change of state (connected, lost and why, not Running, Running again, cache
 *   refresh failing and working again, each cache change), everything per retry or per line at debug level.
 */
#ifndef TAILNET_WATCH_H
#define TAILNET_WATCH_H

#include "shared/err.h"

#define TN_WATCH_MASK 4098u         /* NotifyInitialState | NotifyPeerChanges */
#define TN_WATCH_MASK_FALLBACK 2u   /* NotifyInitialState alone, for a daemon that refuses the above */
#define TN_WATCH_POLL_MS 60000L
#define TN_WATCH_DEBOUNCE_MS 250L
#define TN_WATCH_HEADER_MS 5000L

struct tn_watch_config {
	const char *socket; /* NULL: tn_localapi_find_socket() before every connection */
	const char *cache;  /* absolute */
	long poll_ms, debounce_ms, header_ms;
	long max_age; /* seconds the module may trust each cache written */
};

int tn_watch_run(const struct tn_watch_config *cfg, struct tn_error *err);

#endif
