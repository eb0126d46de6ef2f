/* SPDX-License-Identifier: BSD-3-Clause */
/* name_model.c - see name_model.h. Peers sit in a dense array indexed by an open-addressing table on the
 * NodeID; a removal swaps the last peer into the hole. Each node is one allocation (the struct, its address
 * pointers and its strings) plus its host prepared for the host model (hostset.h tn_host_prepare), made when
 * the node arrives or changes; `order` keeps the peers whose host was kept sorted by name. A build lends
 * those prepared hosts, in that order, to the hostset: no name or address is parsed again and the sort finds
 * nothing to do, so a build costs a few words per host and what changed costs the parsing. */
#include "cache/name_model.h"

#include <stdlib.h>
#include <string.h>

#include "cache/status_sync.h"

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

static int oom(struct tn_error *err)
{
	return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
}

/* ---- nodes ---------------------------------------------------------------------------------------------- */

static size_t str_size(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *str_put(char **at, const char *s)
{
	if (!s)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = memcpy(*at, s, n);
	*at += n;
	return d;
}

static void node_free(struct mnode *c)
{
	if (c)
		tn_host_release(&c->host);
	free(c);
}

/* A deep copy of the node, and its host prepared. */
static struct mnode *node_copy(const struct tn_status_node *n, int64_t key, struct tn_error *err)
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
	c->n.dns_name = str_put(&at, n->dns_name);
	c->n.id = str_put(&at, n->id);
	for (size_t i = 0; i < n->n_addrs; i++)
		addrs[i] = str_put(&at, n->addrs[i]);
	c->n.addrs = (const char *const *)addrs;
	struct tn_host_in in = tn_host_in_node(&c->n);
	if (tn_host_prepare(&in, &c->host, &c->kept, &c->bad_addrs, err) < 0) {
		free(c);
		return NULL;
	}
	return c;
}

static bool str_same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Everything that can change what a cache built from the node answers. */
static bool node_same(const struct tn_status_node *a, const struct tn_status_node *b)
{
	if (a->self != b->self || a->subdomains != b->subdomains || a->node_id != b->node_id ||
	    a->n_addrs != b->n_addrs || !str_same(a->dns_name, b->dns_name) || !str_same(a->id, b->id))
		return false;
	for (size_t i = 0; i < a->n_addrs; i++)
		if (!str_same(a->addrs[i], b->addrs[i]))
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

static struct mnode *peer_find(const struct tn_model *m, int64_t key)
{
	if (!m->tab_size)
		return NULL;
	uint32_t v = m->tab[slot_of(m, key)];
	return v ? m->peers[v - 1] : NULL;
}

static int peer_add(struct tn_model *m, struct mnode *c, struct tn_error *err)
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

static void peer_delete(struct tn_model *m, int64_t key)
{
	size_t i = slot_of(m, key);
	size_t p = m->tab[i] - 1;
	order_remove(m, m->peers[p]);
	node_free(m->peers[p]);
	tab_delete(m, i);
	if (p != --m->n) { /* the last peer fills the hole */
		m->peers[p] = m->peers[m->n];
		m->tab[slot_of(m, m->peers[p]->key)] = (uint32_t)p + 1;
	}
}

/* ---- the model ------------------------------------------------------------------------------------------ */

struct tn_model *tn_model_new(struct tn_error *err)
{
	struct tn_model *m = calloc(1, sizeof *m);
	if (!m)
		oom(err);
	return m;
}

static void extras_free(struct extra *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		tn_host_release(&e[i].host);
		free(e[i].name); /* one allocation: name, then the value pointers and texts */
	}
	free(e);
}

void tn_model_free(struct tn_model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		node_free(m->peers[i]);
	free(m->peers);
	free(m->order);
	free(m->tab);
	node_free(m->self);
	extras_free(m->extras, m->n_extras);
	free(m->suffix);
	free(m->version);
	free(m);
}

bool tn_model_complete(const struct tn_model *m)
{
	return m->complete;
}

size_t tn_model_peers(const struct tn_model *m)
{
	return m->n;
}

bool tn_model_has_node_ids(const struct tn_model *m)
{
	return m->next_private == 0;
}

static int self_put(struct tn_model *m, const struct tn_status_node *node, struct tn_error *err)
{
	struct mnode *c = node_copy(node, node->node_id, err);
	if (!c)
		return -1;
	node_free(m->self);
	m->self = c;
	return 0;
}

int tn_model_upsert(struct tn_model *m, const struct tn_status_node *node, unsigned stamp, struct tn_error *err)
{
	bool named = node->dns_name && *node->dns_name;
	if (node->self) {
		if (named ? m->self && node_same(&m->self->n, node) : !m->self)
			return 0;
		if (!named) {
			node_free(m->self);
			m->self = NULL;
			return 1;
		}
		return self_put(m, node, err) < 0 ? -1 : 1;
	}
	if (node->node_id <= 0)
		return 0; /* cannot be told apart from another peer: the next full read decides */
	struct mnode *old = peer_find(m, node->node_id);
	if (!named)
		return tn_model_remove(m, node->node_id);
	if (old && node_same(&old->n, node)) {
		old->stamp = stamp;
		return 0;
	}
	struct mnode *c = node_copy(node, node->node_id, err);
	if (!c)
		return -1;
	c->stamp = stamp;
	if (old) {
		order_remove(m, old);
		if (order_insert(m, c, err) < 0) {
			order_insert(m, old, err); /* cannot fail: the space is there */
			node_free(c);
			return -1;
		}
		m->peers[m->tab[slot_of(m, node->node_id)] - 1] = c;
		node_free(old);
		return 1;
	}
	if (peer_add(m, c, err) < 0) {
		node_free(c);
		return -1;
	}
	return 1;
}

int tn_model_remove(struct tn_model *m, int64_t node_id)
{
	if (!peer_find(m, node_id))
		return 0;
	peer_delete(m, node_id);
	return 1;
}

int tn_model_set_subdomains(struct tn_model *m, int64_t node_id, bool on)
{
	struct mnode *c = m->self && m->self->key == node_id ? m->self : peer_find(m, node_id);
	if (!c || c->n.subdomains == on)
		return 0;
	c->n.subdomains = on;
	c->host.subdomains = on && c->host.kind == TN_HOST_NODE; /* as tn_host_prepare() decides it */
	return 1;
}

size_t tn_model_sweep(struct tn_model *m, unsigned stamp)
{
	size_t removed = 0;
	for (size_t p = 0; p < m->n;) {
		if (m->peers[p]->stamp == stamp) {
			p++;
			continue;
		}
		peer_delete(m, m->peers[p]->key); /* moves another peer into p: look at p again */
		removed++;
	}
	return removed;
}

/* ---- filling from a status ---------------------------------------------------------------------------- */

static int sink_node(void *ctx, const struct tn_status_node *node, struct tn_error *err)
{
	struct tn_model *m = ctx;
	if (node->self)
		return self_put(m, node, err);
	int64_t key = node->node_id > 0 ? node->node_id : --m->next_private;
	struct mnode *old = peer_find(m, key);
	if (old) /* a NodeID twice in one status: the later entry wins */
		peer_delete(m, key);
	struct mnode *c = node_copy(node, key, err);
	if (!c)
		return -1;
	if (peer_add(m, c, err) < 0) {
		node_free(c);
		return -1;
	}
	return 0;
}

static int sink_extra(void *ctx, const char *name, const char *const *values, size_t n, struct tn_error *err)
{
	struct tn_model *m = ctx;
	size_t size = strlen(name) + 1 + n * sizeof(char *);
	for (size_t i = 0; i < n; i++)
		size += strlen(values[i]) + 1;
	struct extra *grown = realloc(m->extras, (m->n_extras + 1) * sizeof *grown);
	char *block = malloc(size + sizeof(char *)); /* room to align the pointers after the name */
	if (grown)
		m->extras = grown;
	if (!grown || !block) {
		free(block);
		return oom(err);
	}
	struct extra *e = &m->extras[m->n_extras];
	size_t name_len = strlen(name) + 1;
	e->name = memcpy(block, name, name_len);
	e->values = (char **)(block + (name_len + sizeof(char *) - 1) / sizeof(char *) * sizeof(char *));
	char *at = (char *)(e->values + n);
	e->n = n;
	for (size_t i = 0; i < n; i++)
		e->values[i] = str_put(&at, values[i]);
	struct tn_host_in in = tn_host_in_extra(e->name, (const char *const *)e->values, n);
	if (tn_host_prepare(&in, &e->host, &e->kept, &e->bad_addrs, err) < 0) {
		free(block);
		return -1;
	}
	m->n_extras++;
	return 0;
}

static int sink_end(void *ctx, const struct tn_status_tailnet *tailnet, struct tn_error *err)
{
	struct tn_model *m = ctx;
	free(m->suffix);
	free(m->version);
	m->suffix = tailnet->suffix ? strdup(tailnet->suffix) : NULL;
	m->version = tailnet->version ? strdup(tailnet->version) : NULL;
	if ((tailnet->suffix && !m->suffix) || (tailnet->version && !m->version))
		return oom(err);
	m->magicdns = tailnet->magicdns;
	m->tun = tailnet->tun;
	m->complete = true;
	return 0;
}

const struct tn_status_sink tn_model_sink = {sink_node, sink_extra, sink_end};

/* ---- comparing, settings, building ---------------------------------------------------------------------- */

static bool extras_same(const struct tn_model *a, const struct tn_model *b)
{
	if (a->n_extras != b->n_extras)
		return false;
	for (size_t i = 0; i < a->n_extras; i++) {
		const struct extra *x = &a->extras[i], *y = &b->extras[i];
		if (strcmp(x->name, y->name) || x->n != y->n)
			return false;
		for (size_t v = 0; v < x->n; v++)
			if (strcmp(x->values[v], y->values[v]))
				return false;
	}
	return true;
}

static bool settings_same(const struct tn_model *a, const struct tn_model *b)
{
	bool self_same = a->self && b->self ? node_same(&a->self->n, &b->self->n) : !a->self && !b->self;
	return self_same && str_same(a->suffix, b->suffix) && str_same(a->version, b->version) &&
	       a->magicdns == b->magicdns && a->tun == b->tun && extras_same(a, b);
}

bool tn_model_equal(const struct tn_model *a, const struct tn_model *b)
{
	if (a->n != b->n || !settings_same(a, b))
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct mnode *o = peer_find(b, a->peers[i]->key);
		if (!o || !node_same(&a->peers[i]->n, &o->n))
			return false;
	}
	return true;
}

int tn_model_take_settings(struct tn_model *m, const struct tn_model *from, struct tn_error *err)
{
	if (settings_same(m, from))
		return 0;
	if (from->self) {
		if (self_put(m, &from->self->n, err) < 0)
			return -1;
	} else {
		node_free(m->self);
		m->self = NULL;
	}
	struct tn_model copy = {0};
	for (size_t i = 0; i < from->n_extras; i++)
		if (sink_extra(&copy, from->extras[i].name, (const char *const *)from->extras[i].values,
			       from->extras[i].n, err) < 0) {
			extras_free(copy.extras, copy.n_extras);
			return -1;
		}
	extras_free(m->extras, m->n_extras);
	m->extras = copy.extras;
	m->n_extras = copy.n_extras;
	struct tn_status_tailnet t = {.suffix = from->suffix, .magicdns = from->magicdns, .tun = from->tun,
				      .version = from->version};
	return sink_end(m, &t, err) < 0 ? -1 : 1;
}

static int by_fqdn(const void *a, const void *b)
{
	return strcmp((*(const struct tn_host *const *)a)->fqdn, (*(const struct tn_host *const *)b)->fqdn);
}

int tn_model_build(const struct tn_model *m, bool paused, struct tn_hostset *hs, struct tn_error *err)
{
	/* Self and the ExtraRecords, few, sorted here and merged with the peers, already in name order. */
	const struct tn_host **few = calloc(m->n_extras + 1, sizeof *few);
	size_t n_few = 0, skipped = 0, bad = 0;
	if (!few)
		return oom(err);
	if (m->self) {
		skipped += !m->self->kept;
		bad += m->self->bad_addrs;
		if (m->self->kept)
			few[n_few++] = &m->self->host;
	}
	for (size_t i = 0; i < m->n_extras; i++) {
		skipped += !m->extras[i].kept;
		bad += m->extras[i].bad_addrs;
		if (m->extras[i].kept)
			few[n_few++] = &m->extras[i].host;
	}
	qsort(few, n_few, sizeof *few, by_fqdn);
	for (size_t i = 0; i < m->n; i++) {
		skipped += !m->peers[i]->kept;
		bad += m->peers[i]->bad_addrs;
	}
	int rc = 0;
	for (size_t p = 0, f = 0; rc == 0 && (p < m->n_order || f < n_few);) {
		bool peer = f == n_few || (p < m->n_order && strcmp(m->order[p]->host.fqdn, few[f]->fqdn) <= 0);
		rc = tn_hostset_lend(hs, peer ? &m->order[p++]->host : few[f++], err);
	}
	free(few);
	if (rc < 0)
		return -1;
	hs->borrowed = true; /* even when there was nothing to lend */
	hs->skipped_names = skipped;
	hs->skipped_addrs = bad;
	hs->paused = paused;
	struct tn_status_tailnet t = {.suffix = m->suffix, .magicdns = m->magicdns, .tun = m->tun, .version = m->version};
	return tn_hostset_sink.end(hs, &t, err);
}
