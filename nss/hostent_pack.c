/* SPDX-License-Identifier: BSD-3-Clause */
/* hostent_pack.c - see hostent_pack.h. */
#include "hostent_pack.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

void tn_buf_init(struct tn_buf *b, char *buf, size_t len)
{
	b->next = buf;
	b->left = buf ? len : 0;
}

void *tn_buf_alloc(struct tn_buf *b, size_t size, size_t align)
{
	size_t pad = (align - ((uintptr_t)b->next & (align - 1))) & (align - 1);
	if (pad > b->left || size > b->left - pad)
		return NULL;
	char *p = b->next + pad;
	memset(p, 0, size);
	b->next = p + size;
	b->left -= pad + size;
	return p;
}

static char *buf_strdup(struct tn_buf *b, const char *s, size_t len)
{
	char *p = tn_buf_alloc(b, len + 1, 1);
	if (p)
		memcpy(p, s, len); /* the NUL comes from the zeroing */
	return p;
}

/* The one answer every getaddrinfo(AF_INET/AF_INET6) and gethostbyname pays for, so it is laid out by hand
 * in one pass after one size check, instead of through tn_buf_alloc(): pointer arrays first (aligned), then
 * the addresses, the name and the alias. */
int tn_pack_hostent(const struct tn_hit *hit, int af, const char *alias, struct hostent *he, char *buf, size_t buflen,
		    char **canon)
{
	unsigned first = af == AF_INET ? 0 : hit->n4, n = af == AF_INET ? hit->n4 : hit->n6;
	size_t alen = af == AF_INET ? 4 : 16, skip = af == AF_INET ? 12 : 0, alias_len = alias ? strlen(alias) : 0;
	size_t pad = (alignof(char *) - ((uintptr_t)buf & (alignof(char *) - 1))) & (alignof(char *) - 1);
	size_t n_aliases = alias ? 2 : 1;
	size_t need = pad + (n_aliases + n + 1) * sizeof(char *) + n * alen + hit->fqdn_len + 1 +
		      (alias ? alias_len + 1 : 0);
	if (!buf || need > buflen)
		return -ERANGE;
	char **aliases = (char **)(void *)(buf + pad), **list = aliases + n_aliases;
	char *data = (char *)(list + n + 1), *name = data + n * alen, *alias_copy = name + hit->fqdn_len + 1;
	for (unsigned i = 0; i < n; i++) {
		memcpy(data + i * alen, tn_hit_addr(hit, first + i) + TN_ADDR_BYTES + skip, alen);
		list[i] = data + i * alen;
	}
	list[n] = NULL;
	memcpy(name, hit->fqdn, hit->fqdn_len);
	name[hit->fqdn_len] = '\0';
	if (alias) {
		memcpy(alias_copy, alias, alias_len + 1);
		aliases[0] = alias_copy;
	}
	aliases[n_aliases - 1] = NULL;
	he->h_name = name;
	he->h_aliases = aliases;
	he->h_addrtype = af;
	he->h_length = (int)alen;
	he->h_addr_list = list;
	if (canon)
		*canon = name;
	return 0;
}

int tn_pack_tuples(const struct tn_hit *hit, struct gaih_addrtuple **pat, char *buf, size_t buflen)
{
	struct tn_buf b;
	unsigned n = (unsigned)hit->n4 + hit->n6;
	unsigned own = *pat ? n - 1 : n; /* tuples that must come from the buffer */

	tn_buf_init(&b, buf, buflen);
	struct gaih_addrtuple *t = tn_buf_alloc(&b, own * sizeof *t, alignof(struct gaih_addrtuple));
	char *name = buf_strdup(&b, hit->fqdn, hit->fqdn_len);
	if ((own && !t) || !name)
		return -ERANGE;
	/* Only now is anything visible to the caller written. IPv6 first: glibc's RFC 6724 sort (getaddrinfo.c
	 * rfc3484_sort) connects a UDP socket per destination to learn its source address and opens a new one only
	 * when it meets an IPv6 address after IPv4 ones, since an AF_INET6 socket serves IPv4 (v4-mapped) too. In
	 * this order one socket serves both; the sort decides the order callers see either way. */
	struct gaih_addrtuple *head = *pat ? *pat : t, *prev = NULL;
	for (unsigned k = 0; k < n; k++) {
		unsigned i = k < hit->n6 ? hit->n4 + k : k - hit->n6; /* the IPv6 records, then the IPv4 ones */
		struct gaih_addrtuple *cur = k == 0 ? head : &t[*pat ? k - 1 : k];
		const uint8_t *a = tn_hit_addr(hit, i) + TN_ADDR_BYTES;
		memset(cur, 0, sizeof *cur);
		cur->name = name;
		if (i < hit->n4) {
			cur->family = AF_INET;
			memcpy(cur->addr, a + 12, 4);
		} else {
			cur->family = AF_INET6;
			memcpy(cur->addr, a, 16);
		}
		if (prev)
			prev->next = cur;
		prev = cur;
	}
	*pat = head;
	return 0;
}

int tn_pack_reverse(const struct tn_hit *hit, const void *addr, int af, size_t len, struct hostent *he, char *buf,
		    size_t buflen)
{
	struct tn_buf b;
	tn_buf_init(&b, buf, buflen);
	char **aliases = tn_buf_alloc(&b, (hit->bare_len ? 2 : 1) * sizeof(char *), alignof(char *));
	char **list = tn_buf_alloc(&b, 2 * sizeof(char *), alignof(char *));
	char *data = tn_buf_alloc(&b, len, alignof(uint32_t));
	char *name = buf_strdup(&b, hit->fqdn, hit->fqdn_len);
	char *bare = hit->bare_len ? buf_strdup(&b, hit->fqdn, hit->bare_len) : NULL;
	if (!aliases || !list || !data || !name || (hit->bare_len && !bare))
		return -ERANGE;
	memcpy(data, addr, len);
	list[0] = data;
	aliases[0] = bare;
	he->h_name = name;
	he->h_aliases = aliases;
	he->h_addrtype = af;
	he->h_length = (int)len;
	he->h_addr_list = list;
	return 0;
}
