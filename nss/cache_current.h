/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_current.h - the process's one view of the current cache file.
 *
 * Contract: tn_current_query(fn, ctx) runs fn(cache, ctx) with a validated, unexpired cache and returns
 * what fn returned, or -errno when there is no usable cache (see cache_reader.h for the codes; -ESTALE past
 * valid_until). The view is mapped once per file identity and shared by all threads: a lookup costs a mutex
 * and two coarse clock reads on top of the hash probe. The file is re-examined when the writer flags it
 * superseded (immediately) and otherwise at most once per second (lstat, and a fresh open and validation
 * only when the identity changed); a failed open is remembered for that second too. fn runs under the mutex
 * and must do no I/O and not block; file I/O happens outside it with cancellation disabled, so no lock is
 * held across I/O and no descriptor leaks on pthread_cancel. Fork: the mutex is taken around fork() by
 * pthread_atfork handlers, so a child never inherits it locked. The path is TAILNET_NSS_CACHE when set (read
 * with secure_getenv, so setuid programs ignore it), else TN_DEFAULT_CACHE_PATH; a helper process that
 * serves this view (`tailnet-helper dns`) names its own with tn_current_set_path(), which the module never
 * calls, so the module's path rules stay as they are.
 */
#ifndef TAILNET_CACHE_CURRENT_H
#define TAILNET_CACHE_CURRENT_H

#include "cache_reader.h"

typedef int (*tn_query_fn)(const struct tn_cache *c, void *ctx);

int tn_current_query(tn_query_fn fn, void *ctx);

/* Helper processes only, before the first query: every later query reads `path` (absolute, copied) instead of
 * TAILNET_NSS_CACHE / the default. 0, or -EINVAL (not absolute) / -ENAMETOOLONG. */
int tn_current_set_path(const char *path);

/* Forget the view (unmapping it) so the next query re-opens at once; for unit tests and a helper's exit. */
void tn_current_reset(void);

#endif
