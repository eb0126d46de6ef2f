/* SPDX-License-Identifier: BSD-3-Clause */
/* watch.h - keeping the cache current from tailscaled's IPN bus: the loop behind `tailnet-helper watch`.
 *
 * Contract: tn_watch_run() subscribes to GET /localapi/v0/watch-ipn-bus?mask=53250 (InitialState |
 * PeerChanges | InitialStatus | PeerPatches; never the rate-limit bit 256, which 1.102+ refuses next to the
 * new bits) and returns only when SIGTERM or SIGINT arrives (0), or when it cannot start at all (-1, err set).
 * - The daemon decides the path by what it sends. One that answers bit 16384 (1.100+) puts the whole status
 *   in the first line (InitialStatus): the model of names (name_model.h) is built from it, and from then on
 *   the lines' PeersChanged, PeersRemoved, PeerChangedPatch and SelfChange change that model; the cache is
 *   rewritten only when an answer can change, so online, last-seen, endpoint and DERP news cost a parse and
 *   nothing else. A SelfChange (a full netmap: the peer list is complete, DNS may have changed) also reads
 *   status?peers=false for the suffix, MagicDNS and ExtraRecords. Older daemons (no InitialStatus) keep the
 *   old path: a line that may change a name means reading the whole status again.
 * - Writes: an isolated change is written at once; what follows within debounce_ms of a write waits for the
 *   next one, so a burst costs at most 1000/debounce_ms writes a second (4 by default, 5 with the first).
 * - tailscaled Stopped (tailscale down) or NeedsLogin (logged out, key expired): quad-100 answers nothing
 *   then, so the cache is rewritten paused (names kept, none served) at once; Running serves them again at
 *   once. NoState and Starting (a daemon restarting) and an unreachable daemon change nothing: the last cache
 *   serves until its valid-until (max_age).
 * - Every poll_ms a full GET /status runs: against the model as a consistency check (a difference is logged
 *   once and the status taken), or as the resync of the old path. SIGHUP does the same at once; on the new
 *   path a resync is a new subscription, whose InitialStatus is taken atomically with it.
 * - The stream and a status read run side by side in one curl multi loop that also waits on a self-pipe
 *   written by the signal handlers, so SIGTERM ends everything at once, even against a daemon that never
 *   answers. A daemon that has not answered the watch request after header_ms counts as unreachable.
 * - Lost, refused or failing connections are retried on the backoff.h schedule, reset once a connection
 *   delivered its first line. A 400 to the mask steps down to 4098, then 2, until that connection is lost.
 *   The socket: cfg->socket, else the first found; once a daemon answered there, it is never looked up again.
 * - Logging: one line per change of state, everything per retry or per line at debug level.
 */
#ifndef TAILNET_WATCH_H
#define TAILNET_WATCH_H

#include "shared/err.h"

#define TN_WATCH_MASK 53250u        /* NotifyInitialState | NotifyPeerChanges | NotifyInitialStatus | NotifyPeerPatches */
#define TN_WATCH_MASK_OLD 4098u     /* NotifyInitialState | NotifyPeerChanges, for a daemon that refuses the above */
#define TN_WATCH_MASK_FALLBACK 2u   /* NotifyInitialState alone */
#define TN_WATCH_POLL_MS 60000L
#define TN_WATCH_DEBOUNCE_MS 250L
#define TN_WATCH_HEADER_MS 5000L

struct tn_watch_config {
	const char *socket; /* NULL: the first tn_localapi_find_socket() finds that answers */
	const char *cache;  /* absolute */
	long poll_ms;
	long debounce_ms; /* the shortest time between two cache writes (or, on the old path, status reads) */
	long header_ms;
	long max_age; /* seconds the module may trust each cache written */
};

int tn_watch_run(const struct tn_watch_config *cfg, struct tn_error *err);

#endif
