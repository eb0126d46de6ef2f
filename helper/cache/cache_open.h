/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_open.h - the cache as the helper's readers (hosts, ssh-config) take it: through the module's own
 * reader and its checks, and refused once past valid-until, exactly when the module would stop answering.
 *
 * Contract: tn_cache_open_usable() opens and validates `path` with tn_cache_open() and refuses an expired
 * cache; on failure nothing stays open and err (err.h, TN_EXIT_FAIL) names the path and the reason.
 */
#ifndef TAILNET_CACHE_OPEN_H
#define TAILNET_CACHE_OPEN_H

#include "nss/cache_file.h"
#include "shared/err.h"

int tn_cache_open_usable(const char *path, struct tn_cache_file *f, struct tn_error *err);

#endif
