/* SPDX-License-Identifier: BSD-3-Clause */
/* ipn_bus.h - tailscaled's IPN bus (GET /localapi/v0/watch-ipn-bus) as the watcher needs it: the stream split
 * into lines, and each line classified as "may change what resolves" (dirty) or not.
 *
 * Contract: the stream is one compact JSON object (an ipn.Notify) per '\n'-terminated line; a line may span
 * chunks and a chunk may hold several lines. tn_ipn_lines_feed() takes the chunks as they come and calls back
 * once per complete line ('\r' before the '\n' ignored, blank lines skipped). tn_notify_classify() parses one
 * line with jansson and tests values, not key presence, because tailscaled writes "NetMap":null and the like
 * on every line: a line is dirty when any of NetMap, SelfChange, PeersChanged, PeersRemoved, PeerChanges,
 * PeerChangedPatch, State or InitialStatus is non-null. A line that is not a JSON object is dirty too:
 * re-reading the status costs little, a missed change costs a stale name.
 * A line longer than the limit (TN_IPN_LINE_MAX) is never buffered whole: only a netmap or peer payload is
 * that long, so it is dirty without being parsed and its bytes are dropped as they arrive. An old daemon's
 * full NetMap of a huge tailnet thus costs no memory, and a line the buffer cannot grow for (out of memory)
 * is treated the same way, so nothing here fails. The buffer shrinks back after a large line.
 */
#ifndef TAILNET_IPN_BUS_H
#define TAILNET_IPN_BUS_H

#include <stdbool.h>
#include <stddef.h>

#define TN_IPN_LINE_MAX (1024 * 1024)
#define TN_NOTIFY_NO_STATE (-1)
#define TN_IPN_STATE_RUNNING 6 /* ipn.State: 2 NeedsLogin, 4 Stopped, 5 Starting, 6 Running, ... */

struct tn_notify {
	bool dirty;
	bool malformed; /* not a JSON object */
	bool overlong;  /* longer than the limit: dropped unparsed */
	int state;      /* the State member, TN_NOTIFY_NO_STATE when null, absent or not an integer */
	const char *why; /* what made it dirty: a member name, "not a JSON object" or "over-long line"; else NULL */
};

/* Classifies one line (without its '\n'). */
void tn_notify_classify(const char *line, size_t len, struct tn_notify *out);

struct tn_ipn_lines {
	char *buf;
	size_t len, cap, max;
	bool overlong; /* the line being received passed `max`: its bytes are being dropped */
};

typedef void (*tn_notify_fn)(void *ctx, const struct tn_notify *n);

/* max 0 means TN_IPN_LINE_MAX (tests pass a small one). */
void tn_ipn_lines_init(struct tn_ipn_lines *l, size_t max);
/* Forgets a partial line: the next byte starts a new one (a new connection). */
void tn_ipn_lines_reset(struct tn_ipn_lines *l);
void tn_ipn_lines_free(struct tn_ipn_lines *l);
void tn_ipn_lines_feed(struct tn_ipn_lines *l, const char *data, size_t len, tn_notify_fn fn, void *ctx);

#endif
