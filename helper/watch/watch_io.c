/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_io.c - the watcher's status reads (one at a time, beside the stream) and its cache writes.
 *
 * Reads fill a fresh model through the status parser and then, by kind: replace the model (the old path's
 * resync), are compared with it (the incremental path's periodic check: when the model changed while the
 * read ran, the two cannot be compared and the check waits for its next turn), or lend it their Self and
 * settings (status?peers=false after a SelfChange; writes wait for it, so a new suffix never meets the old
 * names in one cache). Writes build the cache from the model and go through tn_cache_update(), which keeps
 * the file when the bytes are the same. */
#include <stdio.h>

#include "cache/cache_pause.h"
#include "cache/cache_writer.h"
#include "shared/backoff.h"
#include "shared/log.h"
#include "shared/monotime.h"
#include "shared/sd_notify.h"
#include "watch/watch_private.h"

#define CHECK_RETRY_MS 5000 /* a check that could not compare tries again this soon */

void watch_want_write(struct watch *w)
{
	w->write_wanted = true;
}

void watch_want_resync(struct watch *w, int64_t now, const char *why)
{
	if (w->resync_wanted)
		return;
	w->resync_wanted = true;
	w->resync_why = why;
	int64_t earliest = w->last_resync + w->cfg->debounce_ms; /* leading edge, then at most one per window */
	w->resync_at = w->last_resync && earliest > now ? earliest : now;
}

void watch_want_settings(struct watch *w)
{
	w->settings_wanted = true;
}

/* ---- retries -------------------------------------------------------------------------------------------- */

/* One failure may be the daemon going away under us; a second in a row, after a retry, is a state: said once,
 * then retried on the backoff.h schedule. */
static void retry_failed(struct retry *r, int64_t now, const char *what, const struct tn_error *err)
{
	/* Ready all the same: the watcher runs, and the last good cache (if any) still answers. */
	tn_notify_status(1, "keeping the last good cache: %s", err->msg);
	r->failures++;
	if (r->failures >= 2 && !r->failing) {
		tn_warn("cannot %s: %s; keeping the last good cache and retrying", what, err->msg);
		r->failing = true;
	} else {
		tn_debug("cannot %s (%d in a row): %s", what, r->failures, err->msg);
	}
	r->at = now + (int64_t)(tn_backoff_delay(r->failures, tn_jitter01()) * 1000);
}

static void retry_succeeded(struct retry *r, const char *what)
{
	if (r->failing)
		tn_info("%s works again", what);
	r->failing = false;
	r->failures = 0;
}

/* ---- writes --------------------------------------------------------------------------------------------- */

static void write_failed(struct watch *w, int64_t now, const struct tn_error *err)
{
	retry_failed(&w->write_retry, now, "write the cache", err);
	w->write_wanted = true;
}

/* res: the update's result, NULL when only the paused flag of the file there was set. */
static void write_done(struct watch *w, const struct tn_update_result *res)
{
	retry_succeeded(&w->write_retry, "writing the cache");
	w->written_paused = w->paused;
	if (res)
		tn_notify_status(1, "%s: generation %llu from tailscaled at %s%s", w->cfg->cache,
				 (unsigned long long)res->generation, w->socket, w->paused ? ", paused" : "");
	else
		tn_notify_status(1, "%s %s", w->cfg->cache, w->paused ? "paused" : "serving");
}

static void write_now(struct watch *w, int64_t now)
{
	struct tn_error err = {0};
	w->write_wanted = false;
	w->last_write = now;
	if (!tn_model_complete(w->model)) { /* no names of our own yet: the file's paused flag is all we set */
		bool changed;
		if (tn_cache_mark_paused(w->cfg->cache, w->paused, &changed, &err) < 0)
			return write_failed(w, now, &err);
		if (changed) {
			w->writes++;
			tn_info("%s %s", w->cfg->cache, w->paused ? "paused" : "serving again");
		}
		return write_done(w, NULL);
	}
	struct tn_hostset hs;
	struct tn_update_opts opts = {.max_age = w->cfg->max_age, .skip_if_unchanged = true, .keep = &w->last};
	struct tn_update_result res = {0};
	tn_hostset_init(&hs);
	int rc = tn_model_build(w->model, w->paused, &hs, &err);
	if (rc == 0)
		rc = tn_cache_update(w->cfg->cache, &hs, &opts, &res, &err);
	if (rc == 0) {
		w->writes += res.written;
		w->changes += res.changed && res.written;
		tn_log(res.changed && res.written ? TN_LOG_INFO : TN_LOG_DEBUG,
		       "%s from tailscaled at %s: %zu nodes, %zu names, generation %llu%s%s, %zu bytes in %lld ms; "
		       "skipped %zu invalid names, %zu invalid addresses",
		       w->cfg->cache, w->socket, res.nodes, res.names, (unsigned long long)res.generation,
		       res.written ? (res.changed ? " (changed)" : " (renewed)") : " (unchanged)",
		       w->paused ? ", paused" : "", res.bytes, (long long)(tn_now_ms() - now), hs.skipped_names,
		       hs.skipped_addrs);
		write_done(w, &res);
	} else {
		write_failed(w, now, &err);
	}
	tn_hostset_free(&hs);
}

/* ---- status reads --------------------------------------------------------------------------------------- */

static int req_feed(void *ctx, const char *data, size_t len, struct tn_error *err)
{
	struct watch *w = ctx;
	if (tn_status_feed(w->req_parser, data, len, err) < 0) {
		if (err->code == TN_EXIT_BAD_ANSWER)
			tn_error_wrap(err, "status from tailscaled at %s: ", w->socket);
		return -1;
	}
	return 0;
}

static void req_clear(struct watch *w)
{
	if (w->req) {
		curl_multi_remove_handle(w->multi, tn_localapi_req_easy(w->req));
		tn_localapi_req_free(w->req);
	}
	tn_status_free(w->req_parser);
	tn_model_free(w->req_model);
	w->req = NULL;
	w->req_parser = NULL;
	w->req_model = NULL;
	w->req_kind = REQ_NONE;
}

static void req_failed(struct watch *w, int64_t now, enum req_kind kind, const struct tn_error *err)
{
	if (kind == REQ_SETTINGS)
		w->settings_wanted = false; /* a SelfChange or Running asks again; settings_stale stays */
	if (err->code == TN_EXIT_NOT_RUNNING || (w->link != LINK_UP && err->code == TN_EXIT_UNREACHABLE)) {
		tn_debug("status read: %s", err->msg); /* the bus's state and connection lines say it already */
		return;
	}
	retry_failed(&w->read_retry, now, "refresh the cache", err);
	if (kind == REQ_RESYNC)
		watch_want_resync(w, now, "retry");
	else if (kind == REQ_SETTINGS)
		w->settings_wanted = true;
}

static void req_start(struct watch *w, int64_t now, enum req_kind kind)
{
	struct tn_error err = {0};
	w->req_model = tn_model_new(&err);
	w->req_parser = w->req_model ? tn_status_new(&tn_model_sink, w->req_model, &err) : NULL;
	if (w->req_parser) {
		struct tn_localapi api = {w->socket, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
		w->req = tn_localapi_req_new(&api, kind == REQ_SETTINGS ? "status?peers=false" : "status", req_feed, w,
					     &err);
	}
	if (!w->req) {
		req_clear(w);
		req_failed(w, now, kind, &err);
		return;
	}
	w->req_kind = kind;
	w->req_changes = w->model_changes;
	if (kind == REQ_SETTINGS) {
		w->settings_wanted = false;
	} else {
		w->full_reads++;
		w->next_check = now + w->cfg->poll_ms;
	}
	if (kind == REQ_RESYNC) {
		w->resync_wanted = false;
		w->last_resync = now;
		tn_debug("resync (%s)", w->resync_why);
	}
	curl_multi_add_handle(w->multi, tn_localapi_req_easy(w->req));
}

/* The model gives way to `fresh` (a whole status); `same` when the caller knows they give the same answers. */
static void take_model(struct watch *w, struct tn_model *fresh, bool same)
{
	tn_model_free(w->model);
	w->model = fresh;
	w->model_current = true;
	if (!same)
		w->model_changes++;
}

void watch_io_done(struct watch *w, CURLcode rc)
{
	struct tn_error err = {0};
	int64_t now = tn_now_ms();
	enum req_kind kind = w->req_kind;
	int r = tn_localapi_req_finish(w->req, rc, &err);
	if (r == 0 && tn_status_finish(w->req_parser, &err) < 0) {
		if (err.code == TN_EXIT_BAD_ANSWER)
			tn_error_wrap(&err, "status from tailscaled at %s: ", w->socket);
		r = -1;
	}
	struct tn_model *fresh = w->req_model;
	w->req_model = NULL;
	unsigned long changes_during = w->model_changes - w->req_changes;
	req_clear(w);
	if (r < 0) {
		tn_model_free(fresh);
		req_failed(w, now, kind, &err);
		return;
	}
	retry_succeeded(&w->read_retry, "refreshing the cache");
	switch (kind) {
	case REQ_RESYNC:
		take_model(w, fresh, tn_model_equal(w->model, fresh) && tn_model_complete(w->model));
		write_now(w, now); /* resyncs are already spaced by the window */
		return;
	case REQ_CHECK:
		if (w->mode != MODE_INCREMENTAL || changes_during) {
			tn_debug("consistency check: the model changed during the read; again in %d s", CHECK_RETRY_MS / 1000);
			w->next_check = now + CHECK_RETRY_MS;
		} else if (!tn_model_equal(w->model, fresh)) {
			tn_log(w->check_disagreed ? TN_LOG_DEBUG : TN_LOG_WARN,
			       "the IPN bus and the status of tailscaled at %s disagree (%zu peers against %zu): a change "
			       "was lost on the bus; taking the status",
			       w->socket, tn_model_peers(w->model), tn_model_peers(fresh));
			w->check_disagreed = true;
			take_model(w, fresh, false); /* just found to differ */
			fresh = NULL;
			watch_want_write(w);
		} else {
			watch_want_write(w); /* unchanged: renews valid-until when half of max-age has passed */
		}
		break;
	case REQ_SETTINGS:
		r = tn_model_take_settings(w->model, fresh, &err);
		if (r > 0)
			w->model_changes++;
		if (r < 0)
			tn_debug("%s", err.msg);
		w->settings_stale = r < 0 || w->settings_wanted;
		watch_want_write(w);
		break;
	default:
		break;
	}
	tn_model_free(fresh);
}

void watch_io_stop(struct watch *w)
{
	req_clear(w);
	tn_cache_image_free(&w->last);
}

/* ---- what is due ---------------------------------------------------------------------------------------- */

/* Whether the periodic check can run now: on the incremental path, against a Running daemon, with a model
 * that a whole status can be compared with. */
static bool check_possible(const struct watch *w)
{
	if (w->mode == MODE_LEGACY)
		return true;
	return w->mode == MODE_INCREMENTAL && w->stream && w->answered && w->state == TN_IPN_RUNNING &&
	       tn_model_complete(w->model) && !w->settings_stale;
}

static void start_due(struct watch *w, int64_t now)
{
	if (now >= w->next_check && (!w->socket || !check_possible(w)))
		w->next_check = now + w->cfg->poll_ms; /* not now: next turn */
	if (w->req || !w->socket || now < w->read_retry.at)
		return;
	if (now >= w->next_check && w->mode == MODE_LEGACY)
		watch_want_resync(w, now, "periodic resync");
	if (w->resync_wanted && now >= w->resync_at)
		req_start(w, now, REQ_RESYNC);
	else if (w->settings_wanted && w->stream && w->answered && w->mode == MODE_INCREMENTAL)
		req_start(w, now, REQ_SETTINGS);
	else if (now >= w->next_check && w->mode == MODE_INCREMENTAL)
		req_start(w, now, REQ_CHECK);
}

/* Writes wait for a settings read that is due or running, so a new suffix never meets the old names. */
static bool writes_held(const struct watch *w)
{
	if (w->req_kind == REQ_SETTINGS)
		return true;
	return w->settings_wanted && w->mode == MODE_INCREMENTAL && w->stream && w->answered && !w->read_retry.failures;
}

int64_t watch_io_step(struct watch *w, int64_t now, int64_t idle)
{
	start_due(w, now);
	int64_t write_at = w->last_write ? w->last_write + w->cfg->debounce_ms : now;
	if (w->write_retry.at > write_at)
		write_at = w->write_retry.at;
	if (w->write_wanted && !writes_held(w) && now >= write_at)
		write_now(w, now);
	int64_t next = idle;
	if (w->write_wanted && !writes_held(w) && write_at < next)
		next = write_at;
	if (!w->req && w->socket) {
		int64_t start = w->next_check;
		if (w->resync_wanted && w->resync_at < start)
			start = w->resync_at;
		if (start < w->read_retry.at)
			start = w->read_retry.at;
		if (start < next)
			next = start;
	}
	return next;
}
