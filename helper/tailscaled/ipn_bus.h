/* SPDX-License-Identifier: BSD-3-Clause */
/* ipn_bus.h - tailscaled's IPN bus (GET /localapi/v0/watch-ipn-bus) taken apart as it streams in: each line
 * one ipn.Notify, its peer and state news handed to a sink.
 *
 * Contract: feed the body in chunks of any size with tn_ipn_bus_feed() (a line may span chunks, a chunk may
 * hold many lines). Nothing is buffered whole: every line runs through a json_scan.h scanner as it arrives,
 * so a 10,000-peer InitialStatus or full-netmap line costs no more memory than a small one. Per line, in the
 * order the members come:
 * - InitialStatus (1.100+, bit 16384): the ipnstate.Status document, streamed into a status parser
 *   (status_parse.h) with the sink's `status` sink, exactly as GET /localapi/v0/status would be;
 * - SelfChange (a tailcfg.Node; self) and each PeersChanged element: node(), mapped by bus_node.h;
 * - each PeersRemoved element (a NodeID): removed();
 * - each PeerChangedPatch element (a tailcfg.PeerChange, 1.100+ bit 32768): patch(), with what it says about
 *   names (a CapMap) and whether it carries a member this parser does not know;
 * and once the line is complete (or found malformed), line() with a summary: which members were non-null
 * (tailscaled writes "NetMap":null and the like on every line, so values count, not keys), State, the
 * ErrMessage text, the fate of InitialStatus. Blank lines are skipped. A line that is not one JSON object is
 * reported malformed, after whatever it delivered before the fault; the next line starts afresh.
 * Callbacks return 0, or -1 with err set, which makes the rest of that line be skipped unparsed and
 * reported with that error.
 */
#ifndef TAILNET_IPN_BUS_H
#define TAILNET_IPN_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/err.h"
#include "tailscaled/bus_node.h"
#include "tailscaled/json_scan.h"
#include "tailscaled/status_parse.h"

#define TN_NOTIFY_NO_STATE (-1)
/* ipn.State (ipn/backend.go, the same at v1.98.0 and HEAD) */
enum tn_ipn_state {
	TN_IPN_NO_STATE = 0,
	TN_IPN_IN_USE_OTHER_USER = 1,
	TN_IPN_NEEDS_LOGIN = 2,
	TN_IPN_NEEDS_MACHINE_AUTH = 3,
	TN_IPN_STOPPED = 4,
	TN_IPN_STARTING = 5,
	TN_IPN_RUNNING = 6,
};
/* The state's name as tailscaled spells it ("an unknown state" past the enum), and its value for a name
 * (-1 for one it does not know). */
const char *tn_ipn_state_name(int state);
int tn_ipn_state_parse(const char *name);
/* Whether quad-100 serves no names in this state, so the cache is paused: a deliberate Stopped (`tailscale
 * down`) or NeedsLogin (logged out, key expired); ipnlocal applies an empty DNS config then (local.go). */
bool tn_ipn_state_pauses(int state);

/* Notify members, as bits of tn_bus_line.present. */
enum {
	TN_BUS_STATE = 1u << 0,
	TN_BUS_ERR_MESSAGE = 1u << 1,
	TN_BUS_NETMAP = 1u << 2,           /* the full netmap: every change up to 1.99, only the first line later */
	TN_BUS_SELF_CHANGE = 1u << 3,      /* 1.98+: sent with every full netmap */
	TN_BUS_INITIAL_STATUS = 1u << 4,   /* 1.100+ */
	TN_BUS_PEERS_CHANGED = 1u << 5,    /* 1.100+ */
	TN_BUS_PEERS_REMOVED = 1u << 6,    /* 1.100+ */
	TN_BUS_PEER_PATCH = 1u << 7,       /* PeerChangedPatch, 1.100+ */
	TN_BUS_PEER_CHANGES = 1u << 8,     /* 1.98-1.99's patches */
	TN_BUS_LOGIN_FINISHED = 1u << 9,
};

struct tn_bus_line {
	unsigned present; /* TN_BUS_* of the members that were not null */
	int state;        /* State, or TN_NOTIFY_NO_STATE when null, absent or not an integer 0-999 */
	char err_message[160]; /* ErrMessage, printable ASCII, cut to fit; "" when null */
	/* InitialStatus: 0 when it was complete and its sink's end() ran; else status_err says why (e.g.
	 * TN_EXIT_NOT_RUNNING for a daemon that is not Running). */
	int status_rc;
	struct tn_error status_err;
	/* 1.98's PeerChanges with a member beyond what its converter ever sets (NodeID, Online, LastSeen,
	 * DERPRegion, Endpoints): something that might name or address a node. */
	bool peer_changes_unknown;
	bool malformed; /* not one JSON object, or a callback failed: `err` says why */
	struct tn_error err;
	size_t bytes; /* the line's length */
};

/* A tailcfg.PeerChange. Only a CapMap can change what resolves; the rest (Online, LastSeen, DERPRegion,
 * Endpoints, Key, DiscoKey, KeySignature, KeyExpiry, Cap) cannot. */
struct tn_bus_patch {
	int64_t node_id;   /* 0 when missing or not a NodeID */
	bool capmap;       /* the patch sets the node's CapMap ... */
	bool subdomains;   /* ... and it holds dns-subdomain-resolve */
	bool unknown;      /* a member this parser does not know: re-fetch the node (peer-by-id) */
};

struct tn_bus_sink {
	const struct tn_status_sink *status; /* for InitialStatus; NULL: it is checked and dropped */
	void *status_ctx;
	int (*node)(void *ctx, const struct tn_status_node *node, struct tn_error *err);
	int (*removed)(void *ctx, int64_t node_id, struct tn_error *err);
	int (*patch)(void *ctx, const struct tn_bus_patch *patch, struct tn_error *err);
	void (*line)(void *ctx, const struct tn_bus_line *line);
};

struct tn_ipn_bus {
	const struct tn_bus_sink *sink;
	void *ctx;
	struct tn_scan scan;
	struct tn_bus_node node;
	struct tn_bus_line line;
	struct tn_bus_patch patch;
	struct tn_status_parser *status; /* while InitialStatus streams */
	uint64_t status_from, status_to; /* its first byte's offset in the line, and one past its last */
	int list;                        /* what the scanner is inside */
	bool nonblank, failed, status_open, status_seen;
};

void tn_ipn_bus_init(struct tn_ipn_bus *b, const struct tn_bus_sink *sink, void *ctx);
/* Forgets a partial line: the next byte starts a new one (a new connection). */
void tn_ipn_bus_reset(struct tn_ipn_bus *b);
void tn_ipn_bus_free(struct tn_ipn_bus *b);
void tn_ipn_bus_feed(struct tn_ipn_bus *b, const char *data, size_t len);

#endif
