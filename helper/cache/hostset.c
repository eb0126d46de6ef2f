/* SPDX-License-Identifier: BSD-3-Clause */
/* hostset.c - see hostset.h. */
#include "cache/hostset.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nss/name.h"

void tn_hostset_init(struct tn_hostset *hs)
{
	memset(hs, 0, sizeof *hs);
}

void tn_host_release(struct tn_host *h)
{
	free(h->fqdn);
	free(h->stable_id);
	free(h->addrs);
	h->fqdn = h->stable_id = NULL;
	h->addrs = NULL;
}

/* What of a host a hostset frees: everything it was given by tn_hostset_add(), of a lent one only what a
 * merge allocated. */
static void host_drop(const struct tn_hostset *hs, struct tn_host *h)
{
	if (!hs->borrowed)
		tn_host_release(h);
	else if (h->own_addrs)
		free(h->addrs);
}

void tn_hostset_free(struct tn_hostset *hs)
{
	for (size_t i = 0; i < hs->n; i++)
		host_drop(hs, &hs->hosts[i]);
	free(hs->hosts);
	free(hs->suffix);
	tn_hostset_init(hs);
}

int tn_hostset_set_suffix(struct tn_hostset *hs, const char *suffix, struct tn_error *err)
{
	struct tn_name n;
	free(hs->suffix);
	hs->suffix = NULL;
	if (!suffix)
		return 0;
	while (*suffix == '.')
		suffix++;
	if (tn_name_normalize(suffix, &n) < 0 || n.first_label_len == n.len)
		return 0; /* no usable suffix: no bare names, every miss falls through */
	hs->suffix = strdup(n.s);
	if (!hs->suffix)
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	return 0;
}

/* Parses one address; IPv4 becomes ::ffff:a.b.c.d. v4-mapped IPv6 text is refused: it would be ambiguous. */
static int parse_addr(const char *text, struct tn_addr *out, int *is4)
{
	uint8_t v4[4];
	memset(out->b, 0, sizeof out->b);
	if (inet_pton(AF_INET, text, v4) == 1) {
		out->b[10] = out->b[11] = 0xff;
		memcpy(out->b + 12, v4, 4);
		*is4 = 1;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->b) == 1) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(out->b, mapped, sizeof mapped) == 0)
			return -1;
		*is4 = 0;
		return 0;
	}
	return -1;
}

static int has_addr(const struct tn_addr *list, size_t n, const struct tn_addr *a)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(list[i].b, a->b, 16) == 0)
			return 1;
	return 0;
}

int tn_host_prepare(const struct tn_host_in *in, struct tn_host *h, bool *kept, size_t *bad_addrs,
		    struct tn_error *err)
{
	struct tn_name n;
	size_t n_addrs = in->n_addrs;
	memset(h, 0, sizeof *h);
	*kept = false;
	*bad_addrs = 0;
	/* An FQDN has at least two labels: a one-label "FQDN" could shadow a bare name. */
	if (!in->name || tn_name_normalize(in->name, &n) < 0 || n.first_label_len == n.len)
		return 0;
	if (n_addrs > 2 * TN_MAX_ADDRS_PER_NODE)
		n_addrs = 2 * TN_MAX_ADDRS_PER_NODE;
	struct tn_addr *v4 = calloc(n_addrs ? n_addrs : 1, sizeof *v4);
	struct tn_addr *v6 = calloc(n_addrs ? n_addrs : 1, sizeof *v6);
	size_t n4 = 0, n6 = 0;
	if (!v4 || !v6) {
		free(v4);
		free(v6);
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	}
	for (size_t i = 0; i < n_addrs; i++) {
		struct tn_addr a;
		int is4;
		if (!in->addrs[i] || parse_addr(in->addrs[i], &a, &is4) != 0) {
			(*bad_addrs)++;
			continue;
		}
		struct tn_addr *list = is4 ? v4 : v6;
		size_t *cnt = is4 ? &n4 : &n6;
		if (!has_addr(list, *cnt, &a) && *cnt < TN_MAX_ADDRS_PER_NODE)
			list[(*cnt)++] = a;
	}
	if (n4 + n6 == 0) {
		free(v4);
		free(v6);
		return 0;
	}
	memcpy(v4 + n4, v6, n6 * sizeof *v6); /* v4 has room for n_addrs entries */
	free(v6);
	h->fqdn = strdup(n.s);
	h->stable_id = in->stable_id ? strdup(in->stable_id) : NULL;
	h->addrs = v4;
	if (!h->fqdn || (in->stable_id && !h->stable_id)) {
		tn_host_release(h);
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	}
	h->fqdn_len = (uint16_t)n.len;
	h->kind = in->kind;
	h->self = in->self;
	h->node_id = in->node_id;
	h->subdomains = in->kind == TN_HOST_NODE && in->subdomains;
	h->n4 = (uint16_t)n4;
	h->n6 = (uint16_t)n6;
	*kept = true;
	return 0;
}

static int append(struct tn_hostset *hs, const struct tn_host *h, struct tn_error *err)
{
	if (hs->n >= TN_MAX_HOSTS)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER,
				    "more than %u names in the status: the cache holds at most that many; nothing was written",
				    TN_MAX_HOSTS);
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 64;
		struct tn_host *grown = realloc(hs->hosts, cap * sizeof *grown);
		if (!grown)
			return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
		hs->hosts = grown;
		hs->cap = cap;
	}
	hs->hosts[hs->n] = *h;
	hs->hosts[hs->n].seq = hs->n;
	hs->n++;
	return 0;
}

int tn_hostset_add(struct tn_hostset *hs, const struct tn_host_in *in, bool *added, struct tn_error *err)
{
	struct tn_host h;
	bool kept;
	size_t bad;
	if (added)
		*added = false;
	if (tn_host_prepare(in, &h, &kept, &bad, err) < 0)
		return -1;
	hs->skipped_addrs += bad;
	if (!kept) {
		hs->skipped_names++;
		return 0;
	}
	if (append(hs, &h, err) < 0) {
		tn_host_release(&h);
		return -1;
	}
	if (added)
		*added = true;
	return 0;
}

int tn_hostset_lend(struct tn_hostset *hs, const struct tn_host *h, struct tn_error *err)
{
	struct tn_host copy = *h;
	copy.bare_len = 0; /* what finish decides starts afresh in every build */
	copy.fqdn_hidden = copy.own_addrs = false;
	hs->borrowed = true;
	return append(hs, &copy, err);
}

uint32_t tn_ts_version_parse(const char *text)
{
	unsigned major, minor, patch;
	int used = 0;
	if (!text || sscanf(text, "%u.%u.%u%n", &major, &minor, &patch, &used) != 3 || used == 0 || major > 255 ||
	    minor > 4095 || patch > 4095)
		return 0;
	return TN_TS_VERSION(major, minor, patch);
}

/* Sort order: FQDN; then the winner first: ExtraRecords before nodes from 1.102.0 (they hide the node), nodes
 * before ExtraRecords before that; among nodes a peer before Self, then the higher NodeID, then the greater
 * StableNodeID; arrival last, so the result never depends on qsort's stability. */
static int host_cmp(const void *pa, const void *pb, void *ctx)
{
	const struct tn_host *a = pa, *b = pb;
	bool extra_first = *(const bool *)ctx;
	int c = strcmp(a->fqdn, b->fqdn);
	if (c)
		return c;
	if (a->kind != b->kind)
		return (a->kind == TN_HOST_EXTRA) == extra_first ? -1 : 1;
	if (a->self != b->self)
		return a->self ? 1 : -1;
	if (a->node_id != b->node_id)
		return a->node_id > b->node_id ? -1 : 1;
	c = strcmp(b->stable_id ? b->stable_id : "", a->stable_id ? a->stable_id : "");
	if (c)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

/* Before 1.102 a node and an ExtraRecord of one name are one list, the node's addresses first (tsdns.go
 * Config.Hosts, ExtraRecords appended): the record's addresses join the node's. */
static int merge_into(const struct tn_hostset *hs, struct tn_host *node, const struct tn_host *extra,
		      struct tn_error *err)
{
	size_t n = (size_t)node->n4 + node->n6 + extra->n4 + extra->n6;
	struct tn_addr *all = calloc(n, sizeof *all);
	if (!all)
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	size_t n4 = 0, n6 = 0;
	const struct tn_host *from[2] = {node, extra};
	for (int fam = 0; fam < 2; fam++)
		for (int k = 0; k < 2; k++) {
			const struct tn_host *h = from[k];
			unsigned first = fam == 0 ? 0 : h->n4, count = fam == 0 ? h->n4 : h->n6;
			for (unsigned i = 0; i < count; i++) {
				struct tn_addr *list = all + (fam == 0 ? 0 : n4);
				size_t *cnt = fam == 0 ? &n4 : &n6;
				if (!has_addr(list, *cnt, &h->addrs[first + i]) && *cnt < TN_MAX_ADDRS_PER_NODE)
					list[(*cnt)++] = h->addrs[first + i];
			}
		}
	if (!hs->borrowed || node->own_addrs)
		free(node->addrs);
	node->addrs = all;
	node->own_addrs = hs->borrowed;
	node->n4 = (uint16_t)n4;
	node->n6 = (uint16_t)n6;
	return 0;
}

int tn_hostset_finish(struct tn_hostset *hs, struct tn_error *err)
{
	bool extra_first = hs->ts_version == 0 || hs->ts_version >= TN_TS_VERSION(1, 102, 0);
	bool in_order = true; /* a model that keeps its hosts sorted spares the sort */
	for (size_t i = 1; i < hs->n && in_order; i++)
		in_order = host_cmp(&hs->hosts[i - 1], &hs->hosts[i], &extra_first) < 0;
	if (!in_order)
		qsort_r(hs->hosts, hs->n, sizeof *hs->hosts, host_cmp, &extra_first);
	size_t kept = 0;
	size_t suffix_len = hs->suffix ? strlen(hs->suffix) : 0;
	int rc = 0;
	for (size_t i = 0; i < hs->n; i++) {
		struct tn_host *h = &hs->hosts[i];
		struct tn_host *winner = kept ? &hs->hosts[kept - 1] : NULL;
		if (winner && winner->fqdn_hidden)
			winner = kept > 1 ? &hs->hosts[kept - 2] : NULL; /* the record in front of it */
		if (winner && strcmp(winner->fqdn, h->fqdn) == 0) {
			bool hide = extra_first && winner->kind == TN_HOST_EXTRA && h->kind == TN_HOST_NODE &&
				    !hs->hosts[kept - 1].fqdn_hidden;
			if (rc == 0 && !extra_first && winner->kind == TN_HOST_NODE && h->kind == TN_HOST_EXTRA)
				rc = merge_into(hs, winner, h, err);
			if (!hide) {
				host_drop(hs, h);
				continue;
			}
			h->fqdn_hidden = true; /* the best node of the name, after its record */
		}
		h->bare_len = 0;
		if (h->kind == TN_HOST_NODE && hs->magicdns &&
		    tn_name_under(h->fqdn, h->fqdn_len, hs->suffix, suffix_len)) {
			size_t label = strcspn(h->fqdn, ".");
			if (label == h->fqdn_len - suffix_len - 1)
				h->bare_len = (uint16_t)label;
		}
		hs->hosts[kept++] = *h;
	}
	hs->n = kept;
	hs->finished = rc == 0;
	return rc;
}
