/* SPDX-License-Identifier: BSD-3-Clause */
/* status_sync.h - one status document in, the cache out: the pipeline `sync` runs once and `watch` runs on
 * every change.
 *
 * Contract: tn_status_sync_begin() prepares an empty hostset and a parser; the caller names the source in
 * `label` and streams the document through tn_status_sync_feed() (a tn_localapi_body_fn, so a LocalAPI
 * transfer feeds it directly) in pieces of any size; tn_status_sync_commit() checks that the document was
 * complete and hands the hostset to tn_cache_update(). Nothing touches the cache before the commit, so a
 * failed or abandoned read leaves it exactly as it was. Parse errors name the source ("status from
 * tailscaled at /run/...: truncated JSON"); TN_EXIT_NOT_RUNNING messages already say all there is.
 * tn_status_sync_end() frees everything and may follow any step. Errors follow err.h.
 */
#ifndef TAILNET_STATUS_SYNC_H
#define TAILNET_STATUS_SYNC_H

#include <stddef.h>

#include "cache/cache_writer.h"
#include "cache/hostset.h"
#include "shared/err.h"
#include "shared/log.h"
#include "tailscaled/localapi.h"
#include "tailscaled/status_parse.h"

struct tn_status_sync {
	char label[300]; /* where the status comes from, for messages */
	struct tn_hostset hs;
	struct tn_status_parser *parser;
};

/* The parser's sink that fills a struct tn_hostset (the ctx) and finishes it at the end of the document. */
extern const struct tn_status_sink tn_hostset_sink;
/* What that sink hands the host model for a node and for an ExtraRecords name (the watcher's model prepares
 * the same, name_model.h). */
struct tn_host_in tn_host_in_node(const struct tn_status_node *node);
struct tn_host_in tn_host_in_extra(const char *name, const char *const *values, size_t n);

int tn_status_sync_begin(struct tn_status_sync *s, struct tn_error *err);
/* ctx is the struct tn_status_sync. */
int tn_status_sync_feed(void *ctx, const char *data, size_t len, struct tn_error *err);
/* Streams GET /localapi/v0/status from api->socket (found with tn_localapi_find_socket() when NULL) through
 * tn_status_sync_feed(), naming the source "tailscaled at <socket>". */
int tn_status_sync_localapi(struct tn_status_sync *s, struct tn_localapi *api, struct tn_error *err);
int tn_status_sync_commit(struct tn_status_sync *s, const char *cache, const struct tn_update_opts *opts,
			  struct tn_update_result *res, struct tn_error *err);
/* After a read that failed with TN_EXIT_NOT_RUNNING: when the daemon said Stopped (tailscale down) or
 * NeedsLogin (logged out, key expired), quad-100 answers nothing, so the cache that is there is paused
 * (cache_pause.h: its names kept, none served) and err says so. 1 paused (or already), 0 another state (NoState,
 * Starting: a daemon on its way up changes nothing), -1 when the cache cannot be written (err replaced). */
int tn_status_sync_pause(struct tn_status_sync *s, const char *cache, struct tn_error *err);
/* The one-line summary of a commit (names, generation, what was skipped), logged at `level`. */
void tn_status_sync_report(const struct tn_status_sync *s, const char *cache, const struct tn_update_result *res,
			   enum tn_log_level level);
void tn_status_sync_end(struct tn_status_sync *s);

#endif
