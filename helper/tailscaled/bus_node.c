/* SPDX-License-Identifier: BSD-3-Clause */
/* bus_node.c - see bus_node.h. The Node members, in tailcfg.Node's JSON (tailcfg/tailcfg.go, v1.98.0 to HEAD:
 * the struct's JSON is unchanged): "ID" (int64, always), "StableID", "Name" (FQDN with a trailing dot),
 * "Addresses" ([]netip.Prefix, no omitempty: may be null), "CapMap" (map cap -> []RawMessage, omitempty). */
#include "tailscaled/bus_node.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "tailscaled/json_scan.h"

#define NONE TN_TEXT_NONE

enum field { F_OTHER = -1, F_ID, F_STABLE_ID, F_NAME, F_ADDRESSES, F_CAPMAP };
static const char *const fields[] = {"ID", "StableID", "Name", "Addresses", "CapMap"};

void tn_bus_node_init(struct tn_bus_node *bn)
{
	memset(bn, 0, sizeof *bn);
	bn->text.what = "a node on the IPN bus";
	tn_bus_node_begin(bn, false);
}

void tn_bus_node_free(struct tn_bus_node *bn)
{
	tn_node_text_free(&bn->text);
}

void tn_bus_node_begin(struct tn_bus_node *bn, bool self)
{
	tn_node_text_clear(&bn->text);
	bn->name = bn->stable_id = NONE;
	bn->n_addrs = 0;
	bn->id = 0;
	bn->self = self;
	bn->subdomains = false;
	bn->field = F_OTHER;
}

int tn_bus_node_member(struct tn_bus_node *bn, int rel_depth, const char *key, size_t key_len, char first)
{
	if (rel_depth == 1) {
		bn->field = F_OTHER;
		for (size_t i = 0; key && i < sizeof fields / sizeof fields[0]; i++)
			if (strlen(fields[i]) == key_len && !memcmp(key, fields[i], key_len))
				bn->field = (int)i;
		switch (bn->field) {
		case F_ID:
			return first >= '1' && first <= '9' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
		case F_STABLE_ID:
		case F_NAME:
			*(bn->field == F_NAME ? &bn->name : &bn->stable_id) = NONE; /* a non-string is absent */
			return first == '"' ? TN_SCAN_CAPTURE : TN_SCAN_SKIP;
		case F_ADDRESSES:
			bn->n_addrs = 0;
			return first == '[' ? TN_SCAN_ENTER : TN_SCAN_SKIP; /* null: no addresses */
		case F_CAPMAP:
			bn->subdomains = false;
			return first == '{' ? TN_SCAN_ENTER : TN_SCAN_SKIP;
		default:
			return TN_SCAN_SKIP;
		}
	}
	if (bn->field == F_CAPMAP) { /* a cap's name is all that matters */
		if (key && key_len == sizeof TN_CAP_SUBDOMAINS - 1 && !memcmp(key, TN_CAP_SUBDOMAINS, key_len))
			bn->subdomains = true;
		return TN_SCAN_SKIP;
	}
	if (bn->field == F_ADDRESSES && first == '"' && bn->n_addrs < TN_BUS_NODE_MAX_ADDRS)
		return TN_SCAN_CAPTURE;
	return TN_SCAN_SKIP;
}

int tn_bus_node_value(struct tn_bus_node *bn, int rel_depth, const char *json, size_t len, struct tn_error *err)
{
	if (rel_depth == 2) /* an element of Addresses */
		return tn_node_text_string(&bn->text, json, len, &bn->addrs[bn->n_addrs++], err);
	switch (bn->field) {
	case F_ID:
		if (tn_json_id(json, len, &bn->id) < 0)
			bn->id = 0;
		return 0;
	case F_STABLE_ID:
		return tn_node_text_string(&bn->text, json, len, &bn->stable_id, err);
	case F_NAME:
		return tn_node_text_string(&bn->text, json, len, &bn->name, err);
	default:
		return 0;
	}
}

/* tsaddr.IsTailscaleIP of the unmapped address (net/tsaddr/tsaddr.go, the same at v1.98.0 and HEAD). */
static bool tailscale_ip(const unsigned char *b, int v4)
{
	static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const unsigned char ula[6] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
	if (!v4 && !memcmp(b, mapped, sizeof mapped))
		return tailscale_ip(b + 12, 1);
	if (!v4)
		return !memcmp(b, ula, sizeof ula); /* fd7a:115c:a1e0::/48 */
	bool cgnat = b[0] == 100 && (b[1] & 0xc0) == 64;                     /* 100.64.0.0/10 */
	bool chromeos = b[0] == 100 && b[1] == 115 && (b[2] & 0xfe) == 92; /* 100.115.92.0/23 */
	return cgnat && !chromeos;
}

/* "addr/bits" -> "addr" in place, when it is a single-IP prefix (netip.Prefix.IsSingleIP) that this node's
 * status would list. */
static bool status_ip(char *text, bool self)
{
	char *slash = strchr(text, '/');
	unsigned char b[16];
	if (!slash)
		return false;
	*slash = '\0';
	const char *bits = slash + 1;
	int v4 = inet_pton(AF_INET, text, b) == 1;
	if (!v4 && inet_pton(AF_INET6, text, b) != 1)
		return false;
	if (strcmp(bits, v4 ? "32" : "128") != 0)
		return false;
	return self || tailscale_ip(b, v4);
}

void tn_bus_node_result(struct tn_bus_node *bn, struct tn_status_node *out)
{
	size_t n = 0;
	for (size_t i = 0; i < bn->n_addrs; i++)
		if (bn->addrs[i] != NONE && status_ip(tn_node_text_at(&bn->text, bn->addrs[i]), bn->self))
			bn->ips[n++] = tn_node_text_at(&bn->text, bn->addrs[i]);
	bn->n_addrs = 0; /* the texts above are cut at '/': a second call must not cut again */
	memset(out, 0, sizeof *out);
	out->self = bn->self;
	out->dns_name = bn->name == NONE ? "" : tn_node_text_at(&bn->text, bn->name);
	out->addrs = bn->ips;
	out->n_addrs = n;
	out->id = tn_node_text_at(&bn->text, bn->stable_id);
	out->node_id = bn->id;
	out->subdomains = bn->subdomains;
}
