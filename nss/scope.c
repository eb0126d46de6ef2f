/* SPDX-License-Identifier: BSD-3-Clause */
/* scope.c - see scope.h. */
#include "scope.h"

#include <string.h>

#include "name.h"

enum tn_scope tn_scope_name(const struct tn_cache *c, const struct tn_name *n, struct tn_hit *hit)
{
	if (c->flags & TN_FLAG_PAUSED)
		return TN_NOT_OURS;
	if (tn_cache_find_key(c, n, hit))
		return TN_FOUND;
	if (!tn_name_labels_ok(n))
		return TN_INVALID;
	/* Only names strictly under the tailnet's own suffix are ours to deny. */
	return tn_name_under(n->s, n->len, c->suffix, c->suffix_len) ? TN_NOT_FOUND : TN_NOT_OURS;
}

int tn_scope_tailnet_range(const uint8_t k[16])
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	static const uint8_t ula[6] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0};
	if (memcmp(k, mapped, sizeof mapped) == 0)
		return k[12] == 100 && (k[13] & 0xc0) == 64;
	return memcmp(k, ula, sizeof ula) == 0;
}

enum tn_scope tn_scope_addr(const struct tn_cache *c, const uint8_t key[16], struct tn_hit *hit)
{
	if (c->flags & TN_FLAG_PAUSED)
		return TN_NOT_OURS;
	if (tn_cache_find_addr(c, key, hit))
		return TN_FOUND;
	/* The ranges where MagicDNS answers reverse lookups itself. */
	return tn_scope_tailnet_range(key) ? TN_NOT_FOUND : TN_NOT_OURS;
}

int32_t tn_scope_ttl(const struct tn_cache *c, int64_t now, int32_t max)
{
	int64_t left = c->valid_until - now;
	return (int32_t)(left < 0 ? 0 : left > max ? max : left);
}
