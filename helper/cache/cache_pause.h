/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_pause.h - pausing the cache that is there, when tailscaled is Stopped or logged out and there is
 * nothing newer to write: quad-100 then answers no name, so neither may the module.
 *
 * Contract: tn_cache_mark_paused() reads the current cache (read(2), so a file truncated meanwhile cannot
 * fault us), and when it is a valid cache whose paused flag differs from `paused`, writes it again through
 * tn_cache_write() with only that flag changed and the generation moved on: its names are kept, so
 * unpausing serves them again at once. A missing or invalid cache is left alone (the module answers nothing
 * from it anyway): *changed false, 0. Errors follow err.h: TN_EXIT_FAIL for a cache that cannot be
 * written.
 */
#ifndef TAILNET_CACHE_PAUSE_H
#define TAILNET_CACHE_PAUSE_H

#include <stdbool.h>

#include "shared/err.h"

int tn_cache_mark_paused(const char *path, bool paused, bool *changed, struct tn_error *err);

#endif
