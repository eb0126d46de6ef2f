/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_cache.c - the module's parser of hostile input: a cache image (tn_cache_parse) and, when it is
 * accepted, every lookup path over it; plus the query-name normaliser on the same bytes. Seeds are real
 * caches from the builder (tests/fuzz/corpus/cache/). Each input is tried as is and again with its length
 * and checksum fixed up, so mutations get past the checksum and reach the structural checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nss/cache_format.h"
#include "nss/cache_reader.h"
#include "nss/crc32c.h"
#include "nss/name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct tn_cache *c, const uint8_t *data, size_t size)
{
	struct tn_hit h;
	struct tn_name n;
	char q[64];
	size_t qlen = size < sizeof q - 1 ? size : sizeof q - 1;
	memcpy(q, data, qlen);
	q[qlen] = '\0';
	if (tn_name_normalize(q, &n) > 0)
		tn_cache_find_name(c, n.s, n.len, &h);
	tn_cache_find_name(c, "vault", 5, &h);
	for (uint32_t i = 0; i < c->node_count && i < 4096; i++) {
		if (!tn_cache_node(c, i, &h))
			continue;
		tn_cache_find_name(c, h.fqdn, h.fqdn_len, &h);
		if (h.n4 + h.n6)
			tn_cache_find_addr(c, tn_hit_addr(&h, 0) + TN_ADDR_BYTES, &h);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_cache c;
	struct tn_name n;
	uint8_t *img = malloc(size ? size : 1);
	if (!img)
		return 0;
	memcpy(img, data, size);
	if (tn_cache_parse(img, size, &c, NULL) == 0)
		exercise(&c, data, size);
	if (size >= TN_HDR_SIZE) { /* the same bytes with a valid checksum and length: fuzz the structure */
		tn_put64(img + TN_HDR_TOTAL, size);
		tn_put32(img + TN_HDR_CHECKSUM, tn_cache_checksum(img, size));
		if (tn_cache_parse(img, size, &c, NULL) == 0)
			exercise(&c, data, size);
	}
	free(img);
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
		tn_name_normalize(s, &n);
		free(s);
	}
	return 0;
}
