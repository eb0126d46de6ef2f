/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_current.h - the process's view of the current cache file.
 *
 * Contract: tn_current_query(fn, ctx) runs fn(cache, now, ctx) with a checked, unexpired cache (`now`: the
 * query's CLOCK_REALTIME seconds, the clock of valid_until, for TTLs) and returns what fn returned, or -errno
 * when there is no usable cache (see cache_reader.h for the codes; -ESTALE past valid_until, -EIO when the
 * file changed under a lookup twice in a row). One open file (cache_file.h) is shared by all threads; each
 * thread holds a reference to the one it last used and notices a newer one with a single atomic load, so
 * lookups take no lock, write no shared memory and scale with cores. The path is looked at (lstat) at most
 * every TN_RECHECK_MS by one thread at a time, and the file is opened anew (page 0 only) when its identity
 * changed, or when a lookup could not fetch a page from it; a failed open is retried at the same pace. A
 * superseded file is released when the last thread that used it looks up again or exits. fn must do no I/O of
 * its own and not block; it may run concurrently with itself. errno is as it was: the system calls behind a
 * query keep theirs to themselves, and the common case makes none. Fork: the child keeps only the forking
 * thread's reference (pthread_atfork). The path is TAILNET_NSS_CACHE when set (read with secure_getenv, so
 * setuid programs ignore it), else TN_DEFAULT_CACHE_PATH; a helper process that serves this view
 * (`tailnet-helper dns`) names its own with tn_current_set_path(), which the module never calls.
 */
#ifndef TAILNET_CACHE_CURRENT_H
#define TAILNET_CACHE_CURRENT_H

#include "cache_reader.h"

/* How often a process looks at the cache file's identity: a replaced cache is seen within this. */
#define TN_RECHECK_MS 10

typedef int (*tn_query_fn)(const struct tn_cache *c, int64_t now, void *ctx);

int tn_current_query(tn_query_fn fn, void *ctx);

/* Helper processes only, before the first query: every later query reads `path` (absolute, copied) instead of
 * TAILNET_NSS_CACHE / the default. 0, or -EINVAL (not absolute) / -ENAMETOOLONG. */
int tn_current_set_path(const char *path);

/* Forgets the view (and this thread's reference) so the next query opens the file at once; for unit tests and
 * a helper's exit. */
void tn_current_reset(void);

#endif
