/* SPDX-License-Identifier: BSD-3-Clause */
/* status_parse.c - see status_parse.h. Which nodes and records are handed on, following what MagicDNS
 * (100.100.100.100) answers (the name rules themselves, bare names and duplicates, are the host model's):
 *
 * - Names come from DNSName only (trailing dot stripped and lower-cased by the host model), never from HostName:
 *   HostName is the OS host name, neither unique nor a DNS name.
 * - Self is included when its DNSName is non-empty. A peer is included when its DNSName is non-empty and
 *   InNetworkMap is true; entries contributed only by the engine or magicsock for a key no longer in the
 *   netmap have an empty DNSName and InNetworkMap false. MagicDNS filters on nothing else, so offline,
 *   expired, tagged, shared-in, sharee and Mullvad nodes are all included.
 * - A node's addresses are its TailscaleIPs (null means none, and a node without addresses is dropped).
 * - Each node is handed on with its NodeID (numeric, from 1.100), its StableNodeID `ID` and whether its CapMap
 *   holds dns-subdomain-resolve (quad-100 reads peers' CapMap and Self's caps, node_backend.go
 *   magicDNSSubdomainHost; the status carries CapMap for Self and every peer, 1.98 to 1.103); the host model
 *   decides between duplicates.
 * - ExtraRecords entries with Type "", absent, "A" or "AAAA" and a parseable Value are served by value, the
 *   family taken from the value whatever the type says (tsdns.go and node_backend.go dnsConfigForNetmap: the
 *   three types are treated alike and the address is parsed as it comes); other types are dropped. quad-100
 *   keys them by the name as sent (ToFQDN, not lower-cased) while every query is lower-cased, so a name with
 *   an upper-case letter can never be asked for: it is dropped too. Records with the same name are merged
 *   into one owner (A and AAAA of one service).
 * - Version: the daemon's, so the host model can apply that version's rules.
 * - Suffix: CurrentTailnet.MagicDNSSuffix, else the deprecated top-level MagicDNSSuffix. Bare names need
 *   CurrentTailnet.MagicDNSEnabled (false when CurrentTailnet is null); the host model applies both.
 * - TUN is recorded as given (false means userspace networking).
 * - BackendState must be a string and "Running"; Self must be an object. Any other member of an unexpected
 *   type, or one jansson refuses (a number beyond its range, "\u0000", invalid UTF-8), is treated like null:
 *   older and newer daemons add, drop and retype fields, and one odd field must not cost the whole cache.
 */
#include "tailscaled/status_parse.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nss/cache_format.h"
#include "nss/name.h"
#include "tailscaled/json_scan.h"
#include "tailscaled/node_text.h"

enum top { TOP_OTHER, TOP_SELF, TOP_PEER };

struct name {
	const char *s;
	size_t len;
};
#define NAME(text) {text, sizeof text - 1}

/* The members of Self and of each peer that we keep. */
enum field { F_DNSNAME, F_IPS, F_ID, F_IN_NETWORK_MAP, F_NODE_ID, F_CAP_MAP };
static const struct name node_fields[] = {NAME("DNSName"),      NAME("TailscaleIPs"), NAME("ID"),
					  NAME("InNetworkMap"), NAME("NodeID"),       NAME("CapMap")};
/* tailcfg.NodeAttrDNSSubdomainResolve (tailcfg/nodecap at 1.103) */
static const struct name subdomain_cap = NAME(TN_CAP_SUBDOMAINS);

/* The root members we parse with jansson; Self and Peer are entered instead. */
enum root { R_BACKEND_STATE, R_TUN, R_SUFFIX, R_CURRENT_TAILNET, R_EXTRA_RECORDS, R_VERSION };
static const struct name root_fields[] = {NAME("BackendState"),   NAME("TUN"),          NAME("MagicDNSSuffix"),
					  NAME("CurrentTailnet"), NAME("ExtraRecords"), NAME("Version")};

#define NONE TN_TEXT_NONE

struct tn_status_parser {
	const struct tn_status_sink *sink;
	void *sink_ctx;
	struct tn_status_stats stats;
	struct tn_scan scan;
	enum top top;       /* the root member being entered */
	int field;          /* the node member being captured */
	struct {            /* Self or the peer being read: its kept members, strings decoded */
		struct tn_node_text text;
		size_t dns, id;     /* offsets into text, or NONE */
		size_t ips[TN_STATUS_MAX_IPS]; /* offsets into text, or NONE for an element that is not a string */
		size_t n_ips;
		bool in_network_map, subdomains;
		int64_t node_id;
	} node;
	char *suffix, *tailnet_suffix; /* top-level MagicDNSSuffix, CurrentTailnet.MagicDNSSuffix */
	char *version;
	bool magicdns, tun;
	bool have_state, have_self, self_not_object;
	char backend_state[32];
};

static int find(const char *key, size_t len, const struct name *names, size_t n)
{
	for (size_t i = 0; key && i < n; i++)
		if (names[i].len == len && memcmp(key, names[i].s, len) == 0)
			return (int)i;
	return -1;
}

#define FIND(key, len, names) find(key, len, names, sizeof names / sizeof names[0])

static int oom(struct tn_error *err)
{
	return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
}

static void node_reset(struct tn_status_parser *sp)
{
	tn_node_text_clear(&sp->node.text);
	sp->node.dns = sp->node.id = NONE;
	sp->node.n_ips = 0;
	sp->node.in_network_map = false;
	sp->node.subdomains = false;
	sp->node.node_id = 0;
}

static const char *node_text(const struct tn_status_parser *sp, size_t off)
{
	return tn_node_text_at(&sp->node.text, off);
}

/* Adds Self (rank 0) or a peer (rank 1) when it has a name and, for a peer, is in the netmap. */
static int add_node(struct tn_status_parser *sp, int rank, struct tn_error *err)
{
	const char *dns = node_text(sp, sp->node.dns);
	if (!dns || !*dns || (rank > 0 && !sp->node.in_network_map)) {
		sp->stats.peers_skipped += rank > 0;
		return 0;
	}
	const char *addrs[TN_STATUS_MAX_IPS];
	for (size_t i = 0; i < sp->node.n_ips; i++)
		addrs[i] = node_text(sp, sp->node.ips[i]); /* NULL: not a string, the sink skips it */
	struct tn_status_node node = {.self = rank == 0,
				      .dns_name = dns,
				      .addrs = addrs,
				      .n_addrs = sp->node.n_ips,
				      .id = node_text(sp, sp->node.id),
				      .node_id = sp->node.node_id,
				      .subdomains = sp->node.subdomains};
	return sp->sink->node(sp->sink_ctx, &node, err);
}

struct extra {
	struct tn_name name;
	const char *value;
	size_t order;
};

static int extra_cmp(const void *pa, const void *pb)
{
	const struct extra *a = pa, *b = pb;
	int c = strcmp(a->name.s, b->name.s);
	return c ? c : (a->order < b->order ? -1 : a->order > b->order);
}

/* True for a record quad-100 serves: Type "", "A" or "AAAA" (exactly) and a Value that is an address of
 * either family, and a name without upper-case letters. */
static int extra_ok(const char *type, const char *name, const char *value)
{
	unsigned char buf[16];
	if (strcmp(type, "") && strcmp(type, "A") && strcmp(type, "AAAA"))
		return 0;
	for (const char *p = name; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			return 0;
	return inet_pton(AF_INET, value, buf) == 1 || inet_pton(AF_INET6, value, buf) == 1;
}

/* ExtraRecords: each usable record becomes an address of its name; one owner per name. */
static int add_extra_records(struct tn_status_parser *sp, const json_t *list, struct tn_error *err)
{
	size_t n = json_array_size(list), kept = 0;
	if (n == 0)
		return 0;
	sp->stats.extra_records += n;
	struct extra *e = calloc(n, sizeof *e);
	const char **values = calloc(n, sizeof *values);
	if (!e || !values) {
		free(e);
		free(values);
		return oom(err);
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *r = json_array_get(list, i);
		const json_t *type = json_object_get(r, "Type");
		const char *name = json_string_value(json_object_get(r, "Name"));
		const char *value = json_string_value(json_object_get(r, "Value"));
		const char *t = type ? json_string_value(type) : "";
		if (!name || !value || !t || !extra_ok(t, name, value) || tn_name_normalize(name, &e[kept].name) < 0) {
			sp->stats.extra_skipped++;
			continue;
		}
		e[kept].value = value;
		e[kept].order = i;
		kept++;
	}
	qsort(e, kept, sizeof *e, extra_cmp);
	int rc = 0;
	for (size_t i = 0, j; i < kept && rc == 0; i = j) {
		for (j = i; j < kept && !strcmp(e[j].name.s, e[i].name.s); j++)
			values[j - i] = e[j].value;
		rc = sp->sink->extra(sp->sink_ctx, e[i].name.s, values, j - i, err);
	}
	free(e);
	free(values);
	return rc;
}

/* Advice per BackendState (ipn/backend.go stateStrings). */
static const char *state_advice(const char *state)
{
	static const struct {
		const char *state, *advice;
	} advice[] = {
		{"NeedsLogin", "log in first (tailscale up)"},
		{"NeedsMachineAuth", "an admin must approve this machine"},
		{"Stopped", "start it with tailscale up"},
		{"Starting", "try again in a moment"},
		{"InUseOtherUser", "another user's session owns it"},
	};
	for (size_t i = 0; i < sizeof advice / sizeof advice[0]; i++)
		if (!strcmp(state, advice[i].state))
			return advice[i].advice;
	return "no names to serve";
}

/* A root member we captured, parsed with jansson. */
static int root_value(struct tn_status_parser *sp, int which, const char *json, size_t len, struct tn_error *err)
{
	json_t *v = json_loadb(json, len, JSON_DECODE_ANY, NULL); /* NULL when refused: like null */
	const char *state = json_string_value(v);
	char shown[64];
	int rc = 0;
	switch (which) {
	case R_BACKEND_STATE: /* stop at once when there is nothing to serve */
		sp->have_state = true;
		tn_error_printable(state ? state : "", sp->backend_state, sizeof sp->backend_state);
		if (!state)
			rc = tn_error_set(err, TN_EXIT_BAD_ANSWER, "BackendState in the status is not a string");
		else if (strcmp(state, "Running") != 0)
			rc = tn_error_set(err, TN_EXIT_NOT_RUNNING, "tailscaled is not running (BackendState %s): %s",
					  tn_error_printable(state, shown, sizeof shown), state_advice(state));
		break;
	case R_TUN:
		sp->tun = json_is_true(v);
		break;
	case R_SUFFIX:
	case R_CURRENT_TAILNET: {
		/* CurrentTailnet is null when there is no netmap: then no MagicDNS, and the old suffix field. */
		char **slot = which == R_SUFFIX ? &sp->suffix : &sp->tailnet_suffix;
		const char *suffix = json_string_value(which == R_SUFFIX ? v : json_object_get(v, "MagicDNSSuffix"));
		if (which == R_CURRENT_TAILNET)
			sp->magicdns = json_is_true(json_object_get(v, "MagicDNSEnabled"));
		free(*slot);
		*slot = suffix && *suffix ? strdup(suffix) : NULL;
		if (suffix && *suffix && !*slot)
			rc = oom(err);
		break;
	}
	case R_EXTRA_RECORDS:
		rc = json_is_array(v) ? add_extra_records(sp, v, err) : 0;
		break;
	case R_VERSION:
		free(sp->version);
		sp->version = json_is_string(v) ? strdup(json_string_value(v)) : NULL;
		if (json_is_string(v) && !sp->version)
			rc = oom(err);
		break;
	}
	json_decref(v);
	return rc;
}

/* Self's members sit at depth 2, a peer's at depth 3 (inside Peer); TailscaleIPs elements one deeper. */
static int node_depth(const struct tn_status_parser *sp)
{
	return sp->top == TOP_SELF ? 2 : 3;
}

static int node_member(struct tn_status_parser *sp, const char *key, size_t len, char first)
{
	sp->field = FIND(key, len, node_fields);
	switch (sp->field) {
	case F_DNSNAME:
	case F_ID:
		*(sp->field == F_DNSNAME ? &sp->node.dns : &sp->node.id) = NONE; /* a non-string is absent */
		return first == '"' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
	case F_IPS:
		sp->node.n_ips = 0;
		return first == '[' ? TN_SCAN_ENTER : TN_SCAN_SKIP; /* null: no addresses */
	case F_IN_NETWORK_MAP:
		sp->node.in_network_map = first == 't'; /* the only JSON value starting with 't' is true */
		return TN_SCAN_SKIP;
	case F_NODE_ID:
		sp->node.node_id = 0;
		return first >= '0' && first <= '9' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
	case F_CAP_MAP:
		return first == '{' ? TN_SCAN_ENTER : TN_SCAN_SKIP; /* only its member names matter */
	default:
		return TN_SCAN_SKIP;
	}
}

static int on_member(void *ctx, int depth, const char *key, size_t len, char first, struct tn_error *err)
{
	struct tn_status_parser *sp = ctx;
	if (depth == 0) {
		if (first != '{')
			return tn_error_set(err, TN_EXIT_BAD_ANSWER, "the status is not a JSON object");
		return TN_SCAN_ENTER;
	}
	if (depth == 1) {
		sp->top = TOP_OTHER;
		if (FIND(key, len, root_fields) >= 0)
			return TN_SCAN_CAPTURE;
		if (len == 4 && !memcmp(key, "Self", 4)) {
			sp->have_self = true;
			sp->self_not_object = first != '{';
			sp->top = TOP_SELF;
			node_reset(sp);
			return sp->self_not_object ? TN_SCAN_SKIP : TN_SCAN_ENTER;
		}
		if (len == 4 && !memcmp(key, "Peer", 4)) {
			sp->top = TOP_PEER;
			return first == '{' ? TN_SCAN_ENTER : TN_SCAN_SKIP; /* null: no peers, or ?peers=false */
		}
		return TN_SCAN_SKIP;
	}
	if (depth == 2 && sp->top == TOP_PEER) { /* one peer */
		sp->stats.peers++;
		node_reset(sp);
		if (first == '{')
			return TN_SCAN_ENTER;
		sp->stats.peers_skipped++;
		return TN_SCAN_SKIP;
	}
	if (depth == node_depth(sp))
		return node_member(sp, key, len, first);
	if (sp->field == F_CAP_MAP) { /* a capability: its name is all we need */
		if (key && len == subdomain_cap.len && !memcmp(key, subdomain_cap.s, len))
			sp->node.subdomains = true;
		return TN_SCAN_SKIP;
	}
	/* An element of TailscaleIPs: beyond TN_STATUS_MAX_IPS the host model would not look. */
	if (sp->node.n_ips == TN_STATUS_MAX_IPS)
		return TN_SCAN_SKIP;
	if (first == '"')
		return TN_SCAN_CAPTURE;
	sp->node.ips[sp->node.n_ips++] = NONE;
	return TN_SCAN_SKIP;
}

static int on_value(void *ctx, int depth, const char *key, size_t len, const char *json, size_t json_len,
		    struct tn_error *err)
{
	struct tn_status_parser *sp = ctx;
	if (depth == 1)
		return root_value(sp, FIND(key, len, root_fields), json, json_len, err);
	if (depth == node_depth(sp) && sp->field == F_NODE_ID) {
		if (tn_json_id(json, json_len, &sp->node.node_id) < 0)
			sp->node.node_id = 0; /* anything but a positive 63-bit integer counts as absent */
		return 0;
	}
	if (depth == node_depth(sp))
		return tn_node_text_string(&sp->node.text, json, json_len,
					   sp->field == F_DNSNAME ? &sp->node.dns : &sp->node.id, err);
	return tn_node_text_string(&sp->node.text, json, json_len, &sp->node.ips[sp->node.n_ips++], err);
}

static int on_end(void *ctx, int depth, struct tn_error *err)
{
	struct tn_status_parser *sp = ctx;
	if ((sp->top == TOP_SELF || sp->top == TOP_PEER) && depth == node_depth(sp))
		return add_node(sp, sp->top == TOP_SELF ? 0 : 1, err);
	return 0;
}

static const struct tn_scan_handler handler = {on_member, on_value, on_end};

struct tn_status_parser *tn_status_new(const struct tn_status_sink *sink, void *ctx, struct tn_error *err)
{
	struct tn_status_parser *sp = calloc(1, sizeof *sp);
	if (!sp) {
		oom(err);
		return NULL;
	}
	sp->sink = sink;
	sp->sink_ctx = ctx;
	sp->node.text.what = "a node in the status";
	tn_scan_init(&sp->scan, &handler, sp);
	return sp;
}

void tn_status_free(struct tn_status_parser *sp)
{
	if (!sp)
		return;
	tn_scan_free(&sp->scan);
	tn_node_text_free(&sp->node.text);
	free(sp->suffix);
	free(sp->tailnet_suffix);
	free(sp->version);
	free(sp);
}

const struct tn_status_stats *tn_status_stats(const struct tn_status_parser *sp)
{
	return &sp->stats;
}

const char *tn_status_backend_state(const struct tn_status_parser *sp)
{
	return sp->backend_state;
}

int tn_status_feed(struct tn_status_parser *sp, const char *buf, size_t len, struct tn_error *err)
{
	return tn_scan_feed(&sp->scan, buf, len, err);
}

int tn_status_finish(struct tn_status_parser *sp, struct tn_error *err)
{
	if (tn_scan_finish(&sp->scan, err) < 0)
		return -1;
	if (!sp->have_state)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "the status has no BackendState");
	if (!sp->have_self)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "the status has no Self");
	if (sp->self_not_object)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "Self in the status is not an object");
	struct tn_status_tailnet t = {.suffix = sp->tailnet_suffix ? sp->tailnet_suffix : sp->suffix,
				      .magicdns = sp->magicdns,
				      .tun = sp->tun,
				      .version = sp->version};
	return sp->sink->end(sp->sink_ctx, &t, err);
}
