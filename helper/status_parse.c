/* status_parse.c - see status_parse.h. The name rules, which follow what MagicDNS (100.100.100.100) answers:
 *
 * - Names come from DNSName only (trailing dot stripped and lower-cased by the hostset), never from HostName:
 *   HostName is the OS host name, neither unique nor a DNS name.
 * - Self is included when its DNSName is non-empty. A peer is included when its DNSName is non-empty and
 *   InNetworkMap is true; entries contributed only by the engine or magicsock for a key no longer in the
 *   netmap have an empty DNSName and InNetworkMap false. MagicDNS filters on nothing else, so offline,
 *   expired, tagged, shared-in, sharee and Mullvad nodes are all included.
 * - A node's addresses are its TailscaleIPs (null means none, and a node without addresses is dropped).
 * - Duplicate FQDNs: Self (rank 0) beats peers (rank 1); among peers the smaller StableNodeID `ID` wins, so
 *   the winner does not depend on the order of the Peer map.
 * - ExtraRecords entries with Type "", absent, "A" or "AAAA" and a parseable Value are served by value; an
 *   "A" record with an IPv6 Value or an "AAAA" record with an IPv4 Value is skipped, as are other types.
 *   Records with the same name are merged into one owner (A and AAAA of one service); nodes win over them.
 * - Suffix: CurrentTailnet.MagicDNSSuffix, else the deprecated top-level MagicDNSSuffix. Bare names need
 *   CurrentTailnet.MagicDNSEnabled (false when CurrentTailnet is null); the hostset applies both.
 * - TUN is recorded as given (false means userspace networking).
 * - BackendState must be a string and "Running"; Self must be an object. Any other member of an unexpected
 *   type, or one jansson refuses (a number beyond its range, "\u0000", invalid UTF-8), is treated like null:
 *   older and newer daemons add, drop and retype fields, and one odd field must not cost the whole cache.
 */
#include "status_parse.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "../nss/name.h"

enum top { TOP_OTHER, TOP_SELF, TOP_PEER };

/* The members of Self and of each peer that we keep. */
static const char *const node_fields[] = {"DNSName", "TailscaleIPs", "ID", "InNetworkMap"};

/* The root members we parse; Self and Peer are entered instead. */
static const char *const root_fields[] = {"BackendState", "TUN", "MagicDNSSuffix", "CurrentTailnet",
					  "ExtraRecords"};

static int key_is(const char *key, size_t len, const char *name)
{
	return key && strlen(name) == len && memcmp(key, name, len) == 0;
}

static int find_key(const char *key, size_t len, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (key_is(key, len, names[i]))
			return (int)i;
	return -1;
}

#define FIND(key, len, names) find_key(key, len, names, sizeof names / sizeof names[0])

/* A captured scalar or small container; NULL when jansson refuses it (treated like null). */
static json_t *load(const char *json, size_t len)
{
	return json_loadb(json, len, JSON_DECODE_ANY, NULL);
}

static int oom(struct tn_error *err)
{
	return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
}

static int node_append(struct tn_status_parser *sp, const char *text, size_t n, struct tn_error *err)
{
	if (n > TN_SCAN_MAX_VALUE - sp->node_len)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "a node in the status is larger than %u bytes",
				    TN_SCAN_MAX_VALUE);
	if (sp->node_len + n > sp->node_size) {
		size_t size = sp->node_size ? sp->node_size : 1024;
		while (size < sp->node_len + n)
			size *= 2;
		char *grown = realloc(sp->node, size);
		if (!grown)
			return oom(err);
		sp->node = grown;
		sp->node_size = size;
	}
	memcpy(sp->node + sp->node_len, text, n);
	sp->node_len += n;
	return 0;
}

/* Adds Self (rank 0) or a peer (rank 1) from the members collected in sp->node. */
static int add_node(struct tn_status_parser *sp, int rank, struct tn_error *err)
{
	/* sp->node is "{" followed by `"Name":value,` for each kept member: close it. */
	if (sp->node_len > 1)
		sp->node_len--;
	if (node_append(sp, "}", 1, err) < 0)
		return -1;
	json_t *o = json_loadb(sp->node, sp->node_len, 0, NULL);
	const char *dns = json_string_value(json_object_get(o, "DNSName"));
	if (!dns || !*dns || (rank > 0 && !json_is_true(json_object_get(o, "InNetworkMap")))) {
		if (rank > 0)
			sp->stats.peers_skipped++;
		json_decref(o);
		return 0;
	}
	const char *addrs[2 * TN_MAX_ADDRS_PER_NODE];
	json_t *ips = json_object_get(o, "TailscaleIPs");
	size_t n = json_is_array(ips) ? json_array_size(ips) : 0;
	if (n > sizeof addrs / sizeof addrs[0])
		n = sizeof addrs / sizeof addrs[0];
	for (size_t i = 0; i < n; i++)
		addrs[i] = json_string_value(json_array_get(ips, i)); /* NULL is skipped by the hostset */
	int rc = tn_hostset_add(sp->hs, TN_HOST_NODE, dns, addrs, n, rank,
				json_string_value(json_object_get(o, "ID")), NULL, err);
	json_decref(o);
	return rc;
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

/* True when `value` is an address the record's Type allows. */
static int extra_value_ok(const char *type, const char *value)
{
	unsigned char buf[16];
	int v4 = inet_pton(AF_INET, value, buf) == 1, v6 = !v4 && inet_pton(AF_INET6, value, buf) == 1;
	if (!*type)
		return v4 || v6;
	if (!strcmp(type, "A"))
		return v4;
	if (!strcmp(type, "AAAA"))
		return v6;
	return 0;
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
		if (!name || !value || !t || !extra_value_ok(t, value) || tn_name_normalize(name, &e[kept].name) < 0) {
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
		rc = tn_hostset_add(sp->hs, TN_HOST_EXTRA, e[i].name.s, values, j - i, 0, NULL, NULL, err);
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

/* A root member we captured. */
static int root_value(struct tn_status_parser *sp, int which, const char *json, size_t len, struct tn_error *err)
{
	json_t *v = load(json, len);
	int rc = 0;
	switch (which) {
	case 0: /* BackendState: stop at once when there is nothing to serve */
		sp->have_state = true;
		if (!json_is_string(v))
			rc = tn_error_set(err, TN_EXIT_BAD_ANSWER, "BackendState in the status is not a string");
		else if (strcmp(json_string_value(v), "Running") != 0)
			rc = tn_error_set(err, TN_EXIT_NOT_RUNNING, "tailscaled is not running (BackendState %.64s): %s",
					  json_string_value(v), state_advice(json_string_value(v)));
		break;
	case 1:
		sp->hs->tun = json_is_true(v);
		break;
	case 2:
	case 3: {
		/* MagicDNSSuffix, or CurrentTailnet (null when there is no netmap: then no MagicDNS). */
		char **slot = which == 2 ? &sp->suffix : &sp->tailnet_suffix;
		const char *s = json_string_value(which == 2 ? v : json_object_get(v, "MagicDNSSuffix"));
		if (which == 3)
			sp->hs->magicdns = json_is_true(json_object_get(v, "MagicDNSEnabled"));
		free(*slot);
		*slot = s && *s ? strdup(s) : NULL;
		if (s && *s && !*slot)
			rc = oom(err);
		break;
	}
	case 4:
		rc = json_is_array(v) ? add_extra_records(sp, v, err) : 0;
		break;
	default:
		break;
	}
	json_decref(v);
	return rc;
}

static int node_member(struct tn_status_parser *sp, const char *key, size_t len)
{
	(void)sp;
	return FIND(key, len, node_fields) >= 0 ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
}

static int on_member(void *ctx, int depth, const char *key, size_t len, char first, struct tn_error *err)
{
	struct tn_status_parser *sp = ctx;
	switch (depth) {
	case 0:
		if (first != '{')
			return tn_error_set(err, TN_EXIT_BAD_ANSWER, "the status is not a JSON object");
		return TN_SCAN_ENTER;
	case 1:
		sp->top = TOP_OTHER;
		if (key_is(key, len, "Self")) {
			sp->have_self = true;
			sp->self_not_object = first != '{';
			if (sp->self_not_object)
				return TN_SCAN_SKIP;
			sp->top = TOP_SELF;
			sp->node_len = 0;
			return node_append(sp, "{", 1, err) < 0 ? -1 : TN_SCAN_ENTER;
		}
		if (key_is(key, len, "Peer")) {
			sp->top = TOP_PEER;
			return first == '{' ? TN_SCAN_ENTER : TN_SCAN_SKIP; /* null: no peers, or ?peers=false */
		}
		return FIND(key, len, root_fields) >= 0 ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
	case 2:
		if (sp->top == TOP_SELF)
			return node_member(sp, key, len);
		sp->stats.peers++;
		if (first != '{') {
			sp->stats.peers_skipped++;
			return TN_SCAN_SKIP;
		}
		sp->node_len = 0;
		return node_append(sp, "{", 1, err) < 0 ? -1 : TN_SCAN_ENTER;
	default: /* 3: a member of one peer */
		return node_member(sp, key, len);
	}
}

static int on_value(void *ctx, int depth, const char *key, size_t len, const char *json, size_t json_len,
		    struct tn_error *err)
{
	struct tn_status_parser *sp = ctx;
	if (depth == 1)
		return root_value(sp, FIND(key, len, root_fields), json, json_len, err);
	/* A kept member of Self or a peer: `"Name":value,` (the name is ours, so it needs no escaping). */
	const char *name = node_fields[FIND(key, len, node_fields)];
	if (node_append(sp, "\"", 1, err) < 0 || node_append(sp, name, strlen(name), err) < 0 ||
	    node_append(sp, "\":", 2, err) < 0 || node_append(sp, json, json_len, err) < 0)
		return -1;
	return node_append(sp, ",", 1, err);
}

static int on_end(void *ctx, int depth, struct tn_error *err)
{
	struct tn_status_parser *sp = ctx;
	if (depth == 2 && sp->top == TOP_SELF)
		return add_node(sp, 0, err);
	if (depth == 3)
		return add_node(sp, 1, err);
	return 0;
}

static const struct tn_scan_handler handler = {on_member, on_value, on_end};

void tn_status_init(struct tn_status_parser *sp, struct tn_hostset *hs)
{
	memset(sp, 0, sizeof *sp);
	sp->hs = hs;
	tn_scan_init(&sp->scan, &handler, sp);
}

void tn_status_free(struct tn_status_parser *sp)
{
	tn_scan_free(&sp->scan);
	free(sp->node);
	free(sp->suffix);
	free(sp->tailnet_suffix);
	sp->node = sp->suffix = sp->tailnet_suffix = NULL;
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
	if (tn_hostset_set_suffix(sp->hs, sp->tailnet_suffix ? sp->tailnet_suffix : sp->suffix, err) < 0)
		return -1;
	return tn_hostset_finish(sp->hs, err);
}
