/* SPDX-License-Identifier: BSD-3-Clause */
/* name_model_peers.h - the inside of the model of names (name_model.h), shared by its two files and nobody
 * else: name_model_peers.c keeps the nodes (deep copies with their hosts prepared), the NodeID table and the
 * name order; name_model.c is the model's interface. */
#ifndef TAILNET_NAME_MODEL_PEERS_H
#define TAILNET_NAME_MODEL_PEERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cache/hostset.h"
#include "cache/name_model.h"
#include "shared/err.h"
#include "tailscaled/status_parse.h"

struct mnode {
	int64_t key; /* the NodeID, or a private key below zero when the status had none */
	unsigned stamp;
	struct tn_status_node n; /* every pointer into this allocation */
	struct tn_host host;     /* prepared from n; `kept` false when the host model skips it */
	bool kept;
	size_t bad_addrs;
};

struct extra {
	char *name;
	char **values;
	size_t n;
	struct tn_host host;
	bool kept;
	size_t bad_addrs;
};

struct tn_model {
	struct mnode *self;
	struct mnode **peers;
	size_t n, cap;
	struct mnode **order; /* the peers with a kept host, by host.fqdn */
	size_t n_order, cap_order;
	uint32_t *tab; /* peer index + 1, 0 = empty; tab_size a power of two, at most half full */
	size_t tab_size;
	int64_t next_private;
	struct extra *extras;
	size_t n_extras;
	char *suffix, *version;
	bool magicdns, tun, complete;
};

bool model_str_same(const char *a, const char *b);
/* Copies s (NULL stays NULL) to *at and moves *at past it. */
char *model_str_put(char **at, const char *s);
/* Everything of two nodes that can change what a cache built from them answers. */
bool model_node_same(const struct tn_status_node *a, const struct tn_status_node *b);
/* A deep copy of the node, its host prepared; NULL (err set) when out of memory. */
struct mnode *model_node_copy(const struct tn_status_node *n, int64_t key, struct tn_error *err);
void model_node_free(struct mnode *c);

struct mnode *model_peer_find(const struct tn_model *m, int64_t key);
int model_peer_add(struct tn_model *m, struct mnode *c, struct tn_error *err);
/* Puts c (the same key) where old was, and frees old. */
int model_peer_replace(struct tn_model *m, struct mnode *old, struct mnode *c, struct tn_error *err);
void model_peer_delete(struct tn_model *m, int64_t key);

#endif
