/* SPDX-License-Identifier: BSD-3-Clause */
/* name_model_peers.c - see name_model_peers.h. Peers sit in a dense array indexed by an open-addressing table
 * on the NodeID; a removal swaps the last peer into the hole. Each node is one allocation (the struct, its
 * address pointers and its strings) plus its host prepared for the host model (hostset.h tn_host_prepare),
 * made when the node arrives or changes; `order` keeps the peers whose host was kept sorted by name. */
#include "cache/name_model_peers.h"

#include <stdlib.h>
#include <string.h>

#include "cache/status_sync.h"

static int oom(struct tn_error *err)
{
	return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
}

/* ---- nodes ---------------------------------------------------------------------------------------------- */

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

char *model_str_put(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = memcpy(*at, s, n);
	*at += n;
	return d;
}

void model_node_free(struct mnode *c)
{
	if (c)
		tn_host_release(&c->host);
	free(c);
}

struct mnode *model_node_copy(const struct tn_status_node *n, int64_t key, struct tn_error *err)
{
	size_t size = sizeof(struct mnode) + n->n_addrs * sizeof(char *) + str_size(n->dns_name) + str_size(n->id);
	for (size_t i = 0; i < n->n_addrs; i++)
		size += str_size(n->addrs[i]);
	struct mnode *c = malloc(size);
	if (!c) {
		oom(err);
		return NULL;
	}
	char **addrs = (char **)(c + 1);
	char *at = (char *)(addrs + n->n_addrs);
	c->key = key;
	c->stamp = 0;
	c->n = *n;
	c->n.dns_name = model_str_put(&at, n->dns_name);
	c->n.id = model_str_put(&at, n->id);
	for (size_t i = 0; i < n->n_addrs; i++)
		addrs[i] = model_str_put(&at, n->addrs[i]);
	c->n.addrs = (const char *const *)addrs;
	struct tn_host_in in = tn_host_in_node(&c->n);
	if (tn_host_prepare(&in, &c->host, &c->kept, &c->bad_addrs, err) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

bool model_str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Everything that can change what a cache built from the node answers. */
bool model_node_same(const struct tn_status_node *a, const struct tn_status_node *b)
{
	if (a->self != b->self || a->subdomains != b->subdomains || a->node_id != b->node_id ||
	    a->n_addrs != b->n_addrs || !model_str_same(a->dns_name, b->dns_name) || !model_str_same(a->id, b->id))
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!model_str_same(a->addrs[i], b->addrs[i]))
			return false;
	return true;
}

/* ---- the peers in name order ----------------------------------------------------------------------------- */

/* The first position whose name is not before `fqdn` (equal names: the first of them). */
static size_t order_find(const struct tn_model *m, const char *fqdn)
{
	size_t lo = 0, hi = m->n_order;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(m->order[mid]->host.fqdn, fqdn) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int order_insert(struct tn_model *m, struct mnode *c, struct tn_error *err)
{
	if (!c->kept)
		return 0;
	if (m->n_order == m->cap_order) {
		size_t cap = m->cap_order ? m->cap_order * 2 : 64;
		struct mnode **grown = realloc(m->order, cap * sizeof *grown);
		if (!grown)
			return oom(err);
		m->order = grown;
		m->cap_order = cap;
	}
	size_t i = order_find(m, c->host.fqdn);
	memmove(m->order + i + 1, m->order + i, (m->n_order - i) * sizeof *m->order);
	m->order[i] = c;
	m->n_order++;
	return 0;
}

static void order_remove(struct tn_model *m, const struct mnode *c)
{
	if (!c->kept)
		return;
	size_t i = order_find(m, c->host.fqdn);
	while (i < m->n_order && m->order[i] != c)
		i++; /* among peers of the same name */
	if (i == m->n_order)
		return;
	memmove(m->order + i, m->order + i + 1, (m->n_order - i - 1) * sizeof *m->order);
	m->n_order--;
}

/* ---- the NodeID table ----------------------------------------------------------------------------------- */

static size_t home(const struct tn_model *m, int64_t key)
{
	return (size_t)(((uint64_t)key * 0x9e3779b97f4a7c15u) >> 32) & (m->tab_size - 1);
}

/* The table slot holding `key`, or the empty slot where it would go. */
static size_t slot_of(const struct tn_model *m, int64_t key)
{
	size_t i = home(m, key);
	while (m->tab[i] && m->peers[m->tab[i] - 1]->key != key)
		i = (i + 1) & (m->tab_size - 1);
	return i;
}

static int tab_grow(struct tn_model *m, struct tn_error *err)
{
	size_t size = m->tab_size ? m->tab_size * 2 : 64;
	uint32_t *tab = calloc(size, sizeof *tab);
	if (!tab)
		return oom(err);
	free(m->tab);
	m->tab = tab;
	m->tab_size = size;
	for (size_t p = 0; p < m->n; p++)
		m->tab[slot_of(m, m->peers[p]->key)] = (uint32_t)p + 1;
	return 0;
}

struct mnode *model_peer_find(const struct tn_model *m, int64_t key)
{
	if (!m->tab_size)
		return NULL;
	uint32_t v = m->tab[slot_of(m, key)];
	return v ? m->peers[v - 1] : NULL;
}

int model_peer_add(struct tn_model *m, struct mnode *c, struct tn_error *err)
{
	if ((m->n + 1) * 2 > m->tab_size && tab_grow(m, err) < 0)
		return -1;
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct mnode **grown = realloc(m->peers, cap * sizeof *grown);
		if (!grown)
			return oom(err);
		m->peers = grown;
		m->cap = cap;
	}
	if (order_insert(m, c, err) < 0)
		return -1;
	m->peers[m->n] = c;
	m->tab[slot_of(m, c->key)] = (uint32_t)++m->n;
	return 0;
}

/* Empties table slot i, shifting later members of its probe run back (linear probing needs no tombstones). */
static void tab_delete(struct tn_model *m, size_t i)
{
	size_t mask = m->tab_size - 1;
	m->tab[i] = 0;
	for (size_t j = (i + 1) & mask; m->tab[j]; j = (j + 1) & mask) {
		size_t k = home(m, m->peers[m->tab[j] - 1]->key);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			m->tab[i] = m->tab[j];
			m->tab[j] = 0;
			i = j;
		}
	}
}

void model_peer_delete(struct tn_model *m, int64_t key)
{
	size_t i = slot_of(m, key);
	size_t p = m->tab[i] - 1;
	order_remove(m, m->peers[p]);
	model_node_free(m->peers[p]);
	tab_delete(m, i);
	if (p != --m->n) { /* the last peer fills the hole */
		m->peers[p] = m->peers[m->n];
		m->tab[slot_of(m, m->peers[p]->key)] = (uint32_t)p + 1;
	}
}

int model_peer_replace(struct tn_model *m, struct mnode *old, struct mnode *c, struct tn_error *err)
{
	order_remove(m, old);
	if (order_insert(m, c, err) < 0) {
		order_insert(m, old, err); /* cannot fail: the space is there */
		return -1;
	}
	m->peers[m->tab[slot_of(m, old->key)] - 1] = c;
	model_node_free(old);
	return 0;
}
