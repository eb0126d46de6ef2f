/* SPDX-License-Identifier: BSD-3-Clause */
/* hostset.c - see hostset.h. */
#include "cache/hostset.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "nss/name.h"

void tn_hostset_init(struct tn_hostset *hs)
{
	memset(hs, 0, sizeof *hs);
}

void tn_hostset_free(struct tn_hostset *hs)
{
	for (size_t i = 0; i < hs->n; i++) {
		free(hs->hosts[i].fqdn);
		free(hs->hosts[i].tiebreak);
		free(hs->hosts[i].addrs);
	}
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

int tn_hostset_add(struct tn_hostset *hs, enum tn_host_kind kind, const char *name, const char *const *addrs,
		   size_t n_addrs, int rank, const char *tiebreak, bool *added, struct tn_error *err)
{
	struct tn_name n;
	if (added)
		*added = false;
	/* An FQDN has at least two labels: a one-label "FQDN" could shadow a bare name. */
	if (!name || tn_name_normalize(name, &n) < 0 || n.first_label_len == n.len) {
		hs->skipped_names++;
		return 0;
	}
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
		if (!addrs[i] || parse_addr(addrs[i], &a, &is4) != 0) {
			hs->skipped_addrs++;
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
		hs->skipped_names++;
		return 0;
	}
	memcpy(v4 + n4, v6, n6 * sizeof *v6); /* v4 has room for n_addrs entries */
	free(v6);
	if (hs->n == hs->cap) {
		size_t cap = hs->cap ? hs->cap * 2 : 64;
		struct tn_host *grown = realloc(hs->hosts, cap * sizeof *grown);
		if (!grown) {
			free(v4);
			return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
		}
		hs->hosts = grown;
		hs->cap = cap;
	}
	struct tn_host *h = &hs->hosts[hs->n];
	memset(h, 0, sizeof *h);
	h->fqdn = strdup(n.s);
	h->tiebreak = tiebreak ? strdup(tiebreak) : NULL;
	if (!h->fqdn || (tiebreak && !h->tiebreak)) {
		free(h->fqdn);
		free(h->tiebreak);
		free(v4);
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	}
	h->fqdn_len = (uint16_t)n.len;
	h->kind = kind;
	h->rank = rank;
	h->addrs = v4;
	h->n4 = (uint16_t)n4;
	h->n6 = (uint16_t)n6;
	h->seq = hs->n;
	hs->n++;
	if (added)
		*added = true;
	return 0;
}

/* Sort order: FQDN, then nodes before ExtraRecords, then rank, then tiebreak, then arrival; the first of
 * each FQDN wins. */
static int host_cmp(const void *pa, const void *pb)
{
	const struct tn_host *a = pa, *b = pb;
	int c = strcmp(a->fqdn, b->fqdn);
	if (c)
		return c;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	c = strcmp(a->tiebreak ? a->tiebreak : "", b->tiebreak ? b->tiebreak : "");
	if (c)
		return c;
	return (a->seq > b->seq) - (a->seq < b->seq);
}

int tn_hostset_finish(struct tn_hostset *hs, struct tn_error *err)
{
	(void)err;
	if (hs->n)
		qsort(hs->hosts, hs->n, sizeof *hs->hosts, host_cmp);
	size_t kept = 0;
	size_t suffix_len = hs->suffix ? strlen(hs->suffix) : 0;
	for (size_t i = 0; i < hs->n; i++) {
		struct tn_host *h = &hs->hosts[i];
		if (kept && strcmp(hs->hosts[kept - 1].fqdn, h->fqdn) == 0) {
			free(h->fqdn);
			free(h->tiebreak);
			free(h->addrs);
			continue;
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
	hs->finished = true;
	return 0;
}
