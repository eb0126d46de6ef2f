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
 * the addresses, the name (copied with its NUL) and the alias. Meant to inline (LTO) into the module's entry
 * points, like the rest of a lookup. */
inline int tn_pack_hostent(const struct tn_hit *hit, int af, const char *alias, struct hostent *he, char *buf,
			   size_t buflen, char **canon)
{
	int v4 = af == AF_INET;
	unsigned n = v4 ? hit->n4 : hit->n6;
	/* The first address of the family, 4 or 16 bytes (IPv4 records are v4-mapped, IPv6 ones follow them). */
	const uint8_t *src = tn_hit_addr(hit, v4 ? 0 : hit->n4) + TN_ADDR_BYTES + (v4 ? 12 : 0);
	size_t alen = v4 ? 4 : 16, name_size = (size_t)hit->fqdn_len + 1, alias_size = alias ? strlen(alias) + 1 : 0;
	size_t pad = (alignof(char *) - ((uintptr_t)buf & (alignof(char *) - 1))) & (alignof(char *) - 1);
	size_t n_aliases = alias ? 2 : 1;
	size_t need = pad + (n_aliases + n + 1) * sizeof(char *) + n * alen + name_size + alias_size;
	if (!buf || need > buflen)
		return -ERANGE;
	char **aliases = (char **)(void *)(buf + pad), **list = aliases + n_aliases;
	char *data = (char *)(list + n + 1), *name = data + n * alen;
	for (unsigned i = 0; i < n; i++, data += alen, src += TN_ADDR_SIZE) {
		if (v4) /* fixed sizes: two moves instead of a call */
			memcpy(data, src, 4);
		else
			memcpy(data, src, 16);
		list[i] = data;
	}
	list[n] = NULL;
	memcpy(name, hit->fqdn, name_size);
	aliases[0] = NULL;
	if (alias) {
		aliases[0] = memcpy(name + name_size, alias, alias_size);
		aliases[1] = NULL;
	}
	he->h_name = name;
	he->h_aliases = aliases;
	he->h_addrtype = af;
	he->h_length = (int)alen;
	he->h_addr_list = list;
	if (canon)
		*canon = name;
	return 0;
}

inline int tn_pack_tuples(const struct tn_hit *hit, struct gaih_addrtuple **pat, char *buf, size_t buflen)
{
	unsigned n = (unsigned)hit->n4 + hit->n6;
	unsigned own = *pat ? n - 1 : n; /* tuples that must come from the buffer */
	size_t align = alignof(struct gaih_addrtuple), pad = (align - ((uintptr_t)buf & (align - 1))) & (align - 1);
	size_t name_size = (size_t)hit->fqdn_len + 1;
	/* Laid out by hand after one size check, like tn_pack_hostent: the tuples, then the name with its NUL. */
	if (!buf || pad + own * sizeof(struct gaih_addrtuple) + name_size > buflen)
		return -ERANGE;
	struct gaih_addrtuple *t = (struct gaih_addrtuple *)(void *)(buf + pad);
	char *name = memcpy(t + own, hit->fqdn, name_size);
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
