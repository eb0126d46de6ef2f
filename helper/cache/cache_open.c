/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_open.c - see cache_open.h. */
#include "cache/cache_open.h"

#include <time.h>

int tn_cache_open_usable(const char *path, struct tn_cache_file *f, struct tn_error *err)
{
	const char *why = NULL;
	if (tn_cache_open(path, f, &why) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "%s: %s", path, why ? why : "unusable");
	if (tn_cache_expired(&f->c, (int64_t)time(NULL))) {
		long long until = (long long)f->c.valid_until;
		tn_cache_close(f);
		return tn_error_set(err, TN_EXIT_FAIL,
				    "%s: cache expired (valid until %lld); is tailnet-helper watch running?", path, until);
	}
	return 0;
}
