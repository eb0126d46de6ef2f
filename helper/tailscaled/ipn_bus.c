/* SPDX-License-Identifier: BSD-3-Clause */
/* ipn_bus.c - see ipn_bus.h. The members are those of ipn.Notify (ipn/backend.go): v1.98.0 has NetMap,
 * SelfChange and PeerChanges; v1.100.0 drops PeerChanges and adds InitialStatus, PeerChangedPatch,
 * PeersChanged, PeersRemoved and UserProfiles; v1.102.3 and HEAD add PeerState and Policy. Lines are split at
 * '\n' (json.Encoder ends each Notify with one; JSON text never holds a raw newline), and each line is scanned
 * as it arrives. InitialStatus is handed to the status parser byte for byte while the line's own scanner
 * steps over it: json_scan.h reports where it starts and ends. */
#include "tailscaled/ipn_bus.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* What the scanner is inside at depth 1 of the line. */
enum list { L_NONE, L_SELF, L_INITIAL_STATUS, L_PEERS_CHANGED, L_PEERS_REMOVED, L_PATCH, L_PEER_CHANGES };

static const struct {
	const char *name;
	unsigned bit;
	enum list list;
	char opens; /* the value this parser enters */
} members[] = {
	{"State", TN_BUS_STATE, L_NONE, 0},
	{"ErrMessage", TN_BUS_ERR_MESSAGE, L_NONE, 0},
	{"LoginFinished", TN_BUS_LOGIN_FINISHED, L_NONE, 0},
	{"NetMap", TN_BUS_NETMAP, L_NONE, 0},
	{"SelfChange", TN_BUS_SELF_CHANGE, L_SELF, '{'},
	{"InitialStatus", TN_BUS_INITIAL_STATUS, L_INITIAL_STATUS, '{'},
	{"PeersChanged", TN_BUS_PEERS_CHANGED, L_PEERS_CHANGED, '['},
	{"PeersRemoved", TN_BUS_PEERS_REMOVED, L_PEERS_REMOVED, '['},
	{"PeerChangedPatch", TN_BUS_PEER_PATCH, L_PATCH, '['},
	{"PeerChanges", TN_BUS_PEER_CHANGES, L_PEER_CHANGES, '['},
};

/* tailcfg.PeerChange's members (all four versions). PeerChanges on 1.98 only ever sets the first five
 * (ipnBusPeerChangesFromNodeMutations, ipn/ipnlocal/local.go v1.98.0); neither can name or address a node. */
enum patch_field { P_NODE_ID, P_ONLINE, P_LAST_SEEN, P_DERP_REGION, P_ENDPOINTS, P_CAPMAP, P_OTHER_KNOWN };
static const char *const patch_fields[] = {"NodeID", "Online", "LastSeen", "DERPRegion", "Endpoints", "CapMap",
					   "Cap", "Key", "KeySignature", "DiscoKey", "KeyExpiry"};

static const char *const state_names[] = {"NoState", "InUseOtherUser", "NeedsLogin", "NeedsMachineAuth",
					  "Stopped", "Starting", "Running"};

const char *tn_ipn_state_name(int state)
{
	return state >= 0 && state < (int)(sizeof state_names / sizeof state_names[0]) ? state_names[state]
											: "an unknown state";
}

int tn_ipn_state_parse(const char *name)
{
	for (size_t i = 0; name && i < sizeof state_names / sizeof state_names[0]; i++)
		if (!strcmp(name, state_names[i]))
			return (int)i;
	return -1;
}

bool tn_ipn_state_pauses(int state)
{
	return state == TN_IPN_STOPPED || state == TN_IPN_NEEDS_LOGIN;
}

static int key_is(const char *key, size_t len, const char *name)
{
	return key && strlen(name) == len && !memcmp(key, name, len);
}

/* Depth relative to the node being read: its members are at 1. */
static int node_rel(const struct tn_ipn_bus *b, int depth)
{
	return b->list == L_SELF ? depth - 1 : depth - 2;
}

static int patch_member(struct tn_ipn_bus *b, const char *key, size_t len, char first)
{
	int f = -1;
	for (size_t i = 0; key && i < sizeof patch_fields / sizeof patch_fields[0]; i++)
		if (key_is(key, len, patch_fields[i]))
			f = (int)i;
	if (b->list == L_PEER_CHANGES) {
		if (f < 0 || f > P_ENDPOINTS)
			b->line.peer_changes_unknown = true;
		return TN_SCAN_SKIP;
	}
	if (f < 0)
		b->patch.unknown = true;
	if (f == P_NODE_ID)
		return first >= '1' && first <= '9' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
	if (f == P_CAPMAP && first == '{') {
		b->patch.capmap = true;
		b->patch.subdomains = false;
		return TN_SCAN_ENTER;
	}
	return TN_SCAN_SKIP;
}

static int root_member(struct tn_ipn_bus *b, const char *key, size_t len, char first, struct tn_error *err)
{
	b->list = L_NONE;
	for (size_t i = 0; i < sizeof members / sizeof members[0]; i++) {
		if (!key_is(key, len, members[i].name))
			continue;
		if (first != 'n')
			b->line.present |= members[i].bit;
		if (members[i].bit == TN_BUS_STATE)
			return first >= '0' && first <= '9' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
		if (members[i].bit == TN_BUS_ERR_MESSAGE)
			return first == '"' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
		if (!members[i].opens || first != members[i].opens)
			return TN_SCAN_SKIP;
		b->list = members[i].list;
		if (b->list == L_SELF)
			tn_bus_node_begin(&b->node, true);
		if (b->list == L_INITIAL_STATUS) {
			if (!b->sink->status || b->status_seen)
				return TN_SCAN_SKIP; /* a second InitialStatus in one line: only the first counts */
			b->status_seen = true;
			b->status = tn_status_new(b->sink->status, b->sink->status_ctx, err);
			if (!b->status)
				return -1;
			b->status_from = b->scan.at;
			b->status_open = true;
		}
		return TN_SCAN_ENTER;
	}
	return TN_SCAN_SKIP;
}

static int on_member(void *ctx, int depth, const char *key, size_t len, char first, struct tn_error *err)
{
	struct tn_ipn_bus *b = ctx;
	if (depth == 0)
		return first == '{' ? TN_SCAN_ENTER : tn_error_set(err, TN_EXIT_BAD_ANSWER, "not a JSON object");
	if (depth == 1)
		return root_member(b, key, len, first, err);
	switch (b->list) {
	case L_SELF:
		return tn_bus_node_member(&b->node, node_rel(b, depth), key, len, first);
	case L_PEERS_CHANGED:
		if (depth > 2)
			return tn_bus_node_member(&b->node, node_rel(b, depth), key, len, first);
		if (first != '{')
			return TN_SCAN_SKIP;
		tn_bus_node_begin(&b->node, false);
		return TN_SCAN_ENTER;
	case L_PEERS_REMOVED:
		return first >= '1' && first <= '9' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
	case L_PATCH:
	case L_PEER_CHANGES:
		if (depth == 2) {
			memset(&b->patch, 0, sizeof b->patch);
			return first == '{' ? TN_SCAN_ENTER : TN_SCAN_SKIP;
		}
		if (depth == 3)
			return patch_member(b, key, len, first);
		if (key_is(key, len, TN_CAP_SUBDOMAINS)) /* depth 4: a key of the patch's CapMap */
			b->patch.subdomains = true;
		return TN_SCAN_SKIP;
	default: /* InitialStatus's members: its own parser reads them */
		return TN_SCAN_SKIP;
	}
}

/* A captured JSON integer 0-999 (State), else -1. */
static int small_int(const char *json, size_t len)
{
	int v = 0;
	if (len == 0 || len > 3 || (len > 1 && json[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (json[i] < '0' || json[i] > '9')
			return -1;
		v = v * 10 + (json[i] - '0');
	}
	return v;
}

static int on_value(void *ctx, int depth, const char *key, size_t key_len, const char *json, size_t len,
		    struct tn_error *err)
{
	struct tn_ipn_bus *b = ctx;
	int64_t id;
	if (depth == 1 && key_is(key, key_len, "State")) {
		int v = small_int(json, len);
		b->line.state = v < 0 ? TN_NOTIFY_NO_STATE : v;
		return 0;
	}
	if (depth == 1) { /* ErrMessage */
		json_t *v = json_loadb(json, len, JSON_DECODE_ANY, NULL);
		tn_error_printable(json_is_string(v) ? json_string_value(v) : "?", b->line.err_message,
				   sizeof b->line.err_message);
		json_decref(v);
		return 0;
	}
	switch (b->list) {
	case L_SELF:
	case L_PEERS_CHANGED:
		return tn_bus_node_value(&b->node, node_rel(b, depth), json, len, err);
	case L_PEERS_REMOVED:
		return tn_json_id(json, len, &id) == 0 ? b->sink->removed(b->ctx, id, err) : 0;
	case L_PATCH:
		if (tn_json_id(json, len, &b->patch.node_id) < 0)
			b->patch.node_id = 0;
		return 0;
	default:
		return 0;
	}
}

static int on_end(void *ctx, int depth, struct tn_error *err)
{
	struct tn_ipn_bus *b = ctx;
	struct tn_status_node node;
	if ((depth == 2 && b->list == L_SELF) || (depth == 3 && b->list == L_PEERS_CHANGED)) {
		tn_bus_node_result(&b->node, &node);
		return b->sink->node(b->ctx, &node, err);
	}
	if (depth == 3 && b->list == L_PATCH)
		return b->sink->patch(b->ctx, &b->patch, err);
	if (depth == 2 && b->list == L_INITIAL_STATUS && b->status_open) {
		b->status_open = false; /* status_pass() hands on the bytes up to here */
		b->status_to = b->scan.at + 1;
	}
	return 0;
}

static const struct tn_scan_handler handler = {on_member, on_value, on_end};

static void line_start(struct tn_ipn_bus *b)
{
	tn_scan_init(&b->scan, &handler, b);
	memset(&b->line, 0, sizeof b->line);
	b->line.state = TN_NOTIFY_NO_STATE;
	b->line.status_rc = -1;
	tn_error_set(&b->line.status_err, TN_EXIT_BAD_ANSWER, "no InitialStatus");
	b->list = L_NONE;
	b->nonblank = b->failed = b->status_open = b->status_seen = false;
}

void tn_ipn_bus_init(struct tn_ipn_bus *b, const struct tn_bus_sink *sink, void *ctx)
{
	memset(b, 0, sizeof *b);
	b->sink = sink;
	b->ctx = ctx;
	tn_bus_node_init(&b->node);
	line_start(b);
}

static void status_drop(struct tn_ipn_bus *b)
{
	tn_status_free(b->status);
	b->status = NULL;
	b->status_open = false;
}

void tn_ipn_bus_reset(struct tn_ipn_bus *b)
{
	status_drop(b);
	tn_scan_free(&b->scan);
	line_start(b);
}

void tn_ipn_bus_free(struct tn_ipn_bus *b)
{
	tn_ipn_bus_reset(b);
	tn_bus_node_free(&b->node);
}

/* Hands InitialStatus's bytes in this piece (which starts at line offset `base`) to the status parser; once
 * the value has closed, finishes it. */
static void status_pass(struct tn_ipn_bus *b, const char *piece, size_t len, uint64_t base)
{
	if (!b->status || b->line.status_rc == 0)
		return;
	uint64_t from = b->status_from > base ? b->status_from : base;
	uint64_t to = b->status_open ? base + len : b->status_to;
	if (to > from && tn_status_feed(b->status, piece + (from - base), (size_t)(to - from), &b->line.status_err) < 0) {
		status_drop(b); /* e.g. not Running: the rest of the line goes on without it */
		return;
	}
	if (!b->status_open) {
		b->line.status_rc = tn_status_finish(b->status, &b->line.status_err);
		status_drop(b);
	}
}

static void line_piece(struct tn_ipn_bus *b, const char *piece, size_t len)
{
	for (size_t i = 0; !b->nonblank && i < len; i++)
		b->nonblank = piece[i] != ' ' && piece[i] != '\t' && piece[i] != '\r';
	b->line.bytes += len;
	if (b->failed || len == 0)
		return;
	uint64_t base = b->scan.offset;
	if (tn_scan_feed(&b->scan, piece, len, &b->line.err) < 0) {
		/* InitialStatus gets what came before the fault, so that how the line was chunked never matters:
		 * inside it only a syntax or nesting error can stop the scan, and those say where. */
		b->failed = true;
		status_pass(b, piece, b->status_open ? (size_t)(b->scan.at - base) : len, base);
		status_drop(b);
		return;
	}
	status_pass(b, piece, len, base);
}

static void line_end(struct tn_ipn_bus *b)
{
	if (b->nonblank) {
		if (!b->failed && tn_scan_finish(&b->scan, &b->line.err) < 0)
			b->failed = true;
		b->line.malformed = b->failed;
		if (b->line.malformed && b->line.status_rc != 0)
			tn_error_set(&b->line.status_err, TN_EXIT_BAD_ANSWER, "the line is malformed");
		b->sink->line(b->ctx, &b->line);
	}
	tn_ipn_bus_reset(b);
}

void tn_ipn_bus_feed(struct tn_ipn_bus *b, const char *data, size_t len)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		line_piece(b, data, n);
		if (!nl)
			return;
		line_end(b);
		data += n + 1;
		len -= n + 1;
	}
}
