/* SPDX-License-Identifier: BSD-3-Clause */
/* name_model.h - the tailnet's names held in memory between cache writes, so that the watcher applies what
 * tailscaled's IPN bus says changed instead of re-reading the whole status for every change.
 *
 * Contract: a model holds Self, the peers keyed by NodeID, the ExtraRecords and the tailnet's settings
 * (suffix, MagicDNS, TUN, the daemon's version, on which the name rules depend), every node exactly as the status parser's struct tn_status_node describes it
 * (deep copies, every field). It is filled from a status document through tn_model_sink (a
 * struct tn_status_sink whose ctx is the model; start from an empty one), and changed by the bus's deltas:
 * tn_model_upsert(), tn_model_remove(), tn_model_set_subdomains() and tn_model_sweep(), each of which says
 * whether anything that can change an answer changed (a name, an address, the StableID that breaks a
 * duplicate's tie, the subdomain cap), so an online/last-seen storm changes nothing. tn_model_build()
 * replays the model through the status sync's own sink (tn_hostset_sink, status_sync.h) into a finished
 * hostset, so the MagicDNS rules live in one place and a cache built from the model is the same bytes as one
 * built from a status of the same tailnet. tn_model_equal() compares two models (the periodic consistency
 * check against a full status). Nodes from daemons before 1.100 have no NodeID: they get private keys below
 * zero, so such a model can be rebuilt and compared but not patched. Errors follow err.h: only allocation
 * failure (TN_EXIT_FAIL).
 */
#ifndef TAILNET_NAME_MODEL_H
#define TAILNET_NAME_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/hostset.h"
#include "shared/err.h"
#include "tailscaled/status_parse.h"

struct tn_model;

struct tn_model *tn_model_new(struct tn_error *err);
void tn_model_free(struct tn_model *m);

/* Fills an empty model from a status document (the ctx is the model). */
extern const struct tn_status_sink tn_model_sink;
/* The sink's end() ran: the model holds a whole status. */
bool tn_model_complete(const struct tn_model *m);

/* Adds or replaces Self (node->self) or the peer node->node_id (ignored when 0). A node without a name is
 * dropped, as the status parser drops it. `stamp` marks the peer for tn_model_sweep(). 1 when an answer may
 * change, 0 when not, -1 on error. */
int tn_model_upsert(struct tn_model *m, const struct tn_status_node *node, unsigned stamp, struct tn_error *err);
/* Removes peer `node_id`: 1 when it was there. */
int tn_model_remove(struct tn_model *m, int64_t node_id);
/* The dns-subdomain-resolve cap of peer or Self `node_id`: 1 when that changed it, 0 when not (or unknown). */
int tn_model_set_subdomains(struct tn_model *m, int64_t node_id, bool on);
/* Removes every peer not upserted with `stamp` since (a full peer list has just arrived): how many. */
size_t tn_model_sweep(struct tn_model *m, unsigned stamp);
/* Takes Self, the ExtraRecords and the settings of `from` (a status read with ?peers=false), keeping the
 * peers: 1 when an answer may change, 0 when not, -1 on error. */
int tn_model_take_settings(struct tn_model *m, const struct tn_model *from, struct tn_error *err);

bool tn_model_equal(const struct tn_model *a, const struct tn_model *b);
size_t tn_model_peers(const struct tn_model *m);
bool tn_model_has_node_ids(const struct tn_model *m); /* every peer came with its NodeID (1.100+) */

/* A finished hostset of the model's names (paused as given). `hs` must be freshly initialised; it borrows the
 * model's prepared hosts (hostset.h tn_hostset_lend), so use it and free it before the model changes. */
int tn_model_build(const struct tn_model *m, bool paused, struct tn_hostset *hs, struct tn_error *err);

#endif
