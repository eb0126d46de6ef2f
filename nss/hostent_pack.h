/* SPDX-License-Identifier: BSD-3-Clause */
/* hostent_pack.h - writing answers into the caller's buffer, the way glibc expects them.
 *
 * Contract: every packer either fills its output completely and returns 0, or returns -ERANGE having
 * changed nothing the caller can see (not *pat, not the hostent): glibc then retries with a bigger buffer
 * and the call must behave the same. Buffers may be unaligned and of any size, 0 included; the allocator
 * aligns by address, zeroes what it hands out and never writes past buflen. Pure: no I/O, no globals.
 */
#ifndef TAILNET_HOSTENT_PACK_H
#define TAILNET_HOSTENT_PACK_H

#include <netdb.h>
#include <nss.h>
#include <stddef.h>

#include "cache_reader.h"

struct tn_buf {
	char *next;
	size_t left;
};

void tn_buf_init(struct tn_buf *b, char *buf, size_t len);
/* `size` zeroed bytes aligned to `align` (a power of two), or NULL when the buffer is exhausted. */
void *tn_buf_alloc(struct tn_buf *b, size_t size, size_t align);

/* Forward answer of family `af` (AF_INET or AF_INET6; the hit must have addresses of it). `alias`, when
 * non-NULL, is listed in h_aliases (the name the caller asked for when it was not the FQDN). *canon, when
 * canon is non-NULL, points at h_name. */
int tn_pack_hostent(const struct tn_hit *hit, int af, const char *alias, struct hostent *he, char *buf, size_t buflen,
		    char **canon);

/* Forward answer with every address, IPv6 first, for gethostbyname4_r. A non-NULL *pat on entry is a tuple
 * the caller owns (older nscd): the first answer goes there and the rest are chained from the buffer. */
int tn_pack_tuples(const struct tn_hit *hit, struct gaih_addrtuple **pat, char *buf, size_t buflen);

/* Reverse answer: h_name the FQDN, the bare name as alias, and the address exactly as asked (af, len). */
int tn_pack_reverse(const struct tn_hit *hit, const void *addr, int af, size_t len, struct hostent *he, char *buf,
		    size_t buflen);

#endif
