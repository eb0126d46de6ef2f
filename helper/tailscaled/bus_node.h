/* SPDX-License-Identifier: BSD-3-Clause */
/* bus_node.h - one tailcfg.Node (the IPN bus's SelfChange and PeersChanged entries) turned into the
 * struct tn_status_node that GET /localapi/v0/status would show for the same node.
 *
 * Contract: the node is read by a json_scan.h scanner that someone else drives (the node is one value inside
 * a bus line, ipn_bus.h). The caller forwards the scanner's callbacks for the node's own members (rel_depth
 * 1) and one level below them (rel_depth 2); the few members that matter are kept, the rest skipped. tn_bus_node_result() then maps them as tailscaled's
 * populatePeerStatusLocked / peerStatusFromNode do (ipn/ipnlocal/local.go, v1.98.0 to 1.103 alike):
 * DNSName = Name, ID = StableID, NodeID = ID, TailscaleIPs = the single-IP Addresses (for a peer only those
 * tsaddr.IsTailscaleIP accepts: 100.64.0.0/10 but 100.115.92.0/23, and fd7a:115c:a1e0::/48; for Self all),
 * and the dns-subdomain-resolve cap from CapMap. A member of an unexpected type counts as absent, as in
 * status_parse.h. Errors follow err.h: only a node larger than TN_SCAN_MAX_VALUE (TN_EXIT_BAD_ANSWER) or
 * out of memory (TN_EXIT_FAIL).
 */
#ifndef TAILNET_BUS_NODE_H
#define TAILNET_BUS_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/err.h"
#include "tailscaled/node_text.h"
#include "tailscaled/status_parse.h"

/* Addresses looked at per node: as many as the status parser keeps (status_parse.c), so that the watcher's
 * periodic check compares like with like. */
#define TN_BUS_NODE_MAX_ADDRS TN_STATUS_MAX_IPS

struct tn_bus_node {
	struct tn_node_text text; /* the kept strings, at the offsets below */
	size_t name, stable_id;
	size_t addrs[TN_BUS_NODE_MAX_ADDRS];
	size_t n_addrs;
	const char *ips[TN_BUS_NODE_MAX_ADDRS]; /* tn_bus_node_result()'s TailscaleIPs */
	int64_t id;
	bool self, subdomains;
	int field; /* the member being read */
};

void tn_bus_node_init(struct tn_bus_node *bn);
void tn_bus_node_free(struct tn_bus_node *bn);
/* Forgets the last node: the next callbacks describe a new one (Self when `self`). */
void tn_bus_node_begin(struct tn_bus_node *bn, bool self);
/* The scanner's member() and value() for a value at rel_depth 1 (a member of the node) or 2. */
int tn_bus_node_member(struct tn_bus_node *bn, int rel_depth, const char *key, size_t key_len, char first);
int tn_bus_node_value(struct tn_bus_node *bn, int rel_depth, const char *json, size_t len, struct tn_error *err);
/* The node as the status would show it; strings point into bn until the next begin. */
void tn_bus_node_result(struct tn_bus_node *bn, struct tn_status_node *out);

#endif
