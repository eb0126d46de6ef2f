/* SPDX-License-Identifier: BSD-3-Clause */
/* name_model.c - see name_model.h; the peers' storage is name_model_peers.c. A build lends the prepared
 * hosts, in name order, to the hostset: no name or address is parsed again and the sort finds nothing to do,
 * so a build costs a few words per host, and what changed costs the parsing. */
#include "cache/name_model.h"

#include <stdlib.h>
#include <string.h>

#include "cache/name_model_peers.h"
#include "cache/status_sync.h"

static int oom(struct tn_error *err)
{
	return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
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
		model_node_free(m->peers[i]);
	free(m->peers);
	free(m->order);
	free(m->tab);
	model_node_free(m->self);
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
	struct mnode *c = model_node_copy(node, node->node_id, err);
	if (!c)
		return -1;
	model_node_free(m->self);
	m->self = c;
	return 0;
}

int tn_model_upsert(struct tn_model *m, const struct tn_status_node *node, unsigned stamp, struct tn_error *err)
{
	bool named = node->dns_name && *node->dns_name;
	if (node->self) {
		if (named ? m->self && model_node_same(&m->self->n, node) : !m->self)
			return 0;
		if (!named) {
			model_node_free(m->self);
			m->self = NULL;
			return 1;
		}
		return self_put(m, node, err) < 0 ? -1 : 1;
	}
	if (node->node_id <= 0)
		return 0; /* cannot be told apart from another peer: the next full read decides */
	struct mnode *old = model_peer_find(m, node->node_id);
	if (!named)
		return tn_model_remove(m, node->node_id);
	if (old && model_node_same(&old->n, node)) {
		old->stamp = stamp;
		return 0;
	}
	struct mnode *c = model_node_copy(node, node->node_id, err);
	if (!c)
		return -1;
	c->stamp = stamp;
	if (old) {
		if (model_peer_replace(m, old, c, err) < 0) {
			model_node_free(c);
			return -1;
		}
		return 1;
	}
	if (model_peer_add(m, c, err) < 0) {
		model_node_free(c);
		return -1;
	}
	return 1;
}

int tn_model_remove(struct tn_model *m, int64_t node_id)
{
	if (!model_peer_find(m, node_id))
		return 0;
	model_peer_delete(m, node_id);
	return 1;
}

int tn_model_set_subdomains(struct tn_model *m, int64_t node_id, bool on)
{
	struct mnode *c = m->self && m->self->key == node_id ? m->self : model_peer_find(m, node_id);
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
		model_peer_delete(m, m->peers[p]->key); /* moves another peer into p: look at p again */
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
	struct mnode *old = model_peer_find(m, key);
	if (old) /* a NodeID twice in one status: the later entry wins */
		model_peer_delete(m, key);
	struct mnode *c = model_node_copy(node, key, err);
	if (!c)
		return -1;
	if (model_peer_add(m, c, err) < 0) {
		model_node_free(c);
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
		e->values[i] = model_str_put(&at, values[i]);
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
	bool self_same = a->self && b->self ? model_node_same(&a->self->n, &b->self->n) : !a->self && !b->self;
	return self_same && model_str_same(a->suffix, b->suffix) && model_str_same(a->version, b->version) &&
	       a->magicdns == b->magicdns && a->tun == b->tun && extras_same(a, b);
}

bool tn_model_equal(const struct tn_model *a, const struct tn_model *b)
{
	if (a->n != b->n || !settings_same(a, b))
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct mnode *o = model_peer_find(b, a->peers[i]->key);
		if (!o || !model_node_same(&a->peers[i]->n, &o->n))
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
		model_node_free(m->self);
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
