/* SPDX-License-Identifier: BSD-3-Clause */
/* watch.c - see watch.h. One thread, one curl multi handle, two transfers at most (the stream and a status
 * read), a self-pipe for signals, and a handful of deadlines; every state change is logged where it happens. */
#include "watch/watch.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache/status_sync.h"
#include "shared/backoff.h"
#include "shared/log.h"
#include "shared/monotime.h"
#include "shared/sd_notify.h"
#include "tailscaled/ipn_bus.h"
#include "tailscaled/localapi.h"

#define IDLE_MAX_MS 60000 /* the longest single wait; any deadline cuts it shorter */

enum link { LINK_START, LINK_UP, LINK_DOWN };
enum backend { BACKEND_UNKNOWN, BACKEND_RUNNING, BACKEND_NOT_RUNNING };

struct watch {
	const struct tn_watch_config *cfg;
	CURLM *multi;
	const char *socket; /* the one in use: cfg->socket or the last one found */

	/* The stream. */
	struct tn_localapi_req *stream;
	struct tn_ipn_lines lines;
	int64_t stream_started;
	bool answered, first_line;
	unsigned mask;
	enum link link;
	int connect_failures; /* in a row; reset by a connection's first line */
	int64_t next_connect;

	/* Resyncs. */
	struct tn_localapi_req *status;
	struct tn_status_sync sync;
	int64_t resync_due, burst_start, next_poll; /* resync_due 0: none pending */
	const char *due_why;
	int resync_failures;
	bool refresh_failing;
	enum backend backend;
	bool fallback_logged;

	unsigned long lines_seen, resyncs, changes;
};

static volatile sig_atomic_t stop_signal, hup_pending;
static int wake_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
	int saved = errno;
	if (sig == SIGHUP)
		hup_pending = 1;
	else
		stop_signal = sig;
	(void)!write(wake_pipe[1], "", 1);
	errno = saved;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

static int pick_socket(struct watch *w, struct tn_error *err)
{
	if (w->cfg->socket) {
		w->socket = w->cfg->socket;
		return 0;
	}
	return tn_localapi_find_socket(&w->socket, err);
}

static void drop(struct watch *w, struct tn_localapi_req **req)
{
	if (!*req)
		return;
	curl_multi_remove_handle(w->multi, tn_localapi_req_easy(*req));
	tn_localapi_req_free(*req);
	*req = NULL;
}

/* ---- resyncs ------------------------------------------------------------------------------------------ */

/* delay 0 asks for a resync at once; otherwise the trailing edge of a burst, capped at 4 x debounce. */
static void want_resync(struct watch *w, int64_t now, long delay, const char *why)
{
	if (!w->resync_due) {
		w->burst_start = now;
		w->resync_due = now + delay;
		w->due_why = why;
	} else if (delay == 0) {
		w->resync_due = now;
		w->due_why = why;
	} else {
		int64_t due = min64(now + delay, w->burst_start + 4 * (int64_t)w->cfg->debounce_ms);
		if (due > w->resync_due)
			w->resync_due = due;
	}
}

static void resync_failed(struct watch *w, int64_t now, const struct tn_error *err)
{
	/* Ready all the same: the watcher runs, and the last good cache (if any) still answers. */
	tn_notify_status(1, "keeping the last good cache: %s", err->msg);
	if (err->code == TN_EXIT_NOT_RUNNING) {
		if (w->backend != BACKEND_NOT_RUNNING)
			tn_warn("%s; keeping the last good cache until it is Running again", err->msg);
		w->backend = BACKEND_NOT_RUNNING; /* a State line or the poll tells when it runs again */
		return;
	}
	if (w->link != LINK_UP && err->code == TN_EXIT_UNREACHABLE) {
		tn_debug("resync: %s", err->msg); /* the connection's own log line covers it */
		return;
	}
	/* One failure may be the daemon going away under us; a second one, after a retry, is a state. */
	w->resync_failures++;
	if (w->resync_failures >= 2 && !w->refresh_failing) {
		tn_warn("cannot refresh the cache: %s; keeping the last good cache and retrying", err->msg);
		w->refresh_failing = true;
	} else {
		tn_debug("resync failed (%d in a row): %s", w->resync_failures, err->msg);
	}
	want_resync(w, now, (long)(tn_backoff_delay(w->resync_failures, tn_jitter01()) * 1000), "retry");
}

static void resync_succeeded(struct watch *w, const struct tn_update_result *res)
{
	if (w->backend == BACKEND_NOT_RUNNING)
		tn_info("tailscaled is Running again");
	if (w->refresh_failing)
		tn_info("refreshing the cache works again");
	w->backend = BACKEND_RUNNING;
	w->refresh_failing = false;
	w->resync_failures = 0;
	tn_notify_status(1, "%s: generation %llu from tailscaled at %s", w->cfg->cache,
			 (unsigned long long)res->generation, w->socket);
	if (res->changed) {
		w->changes++;
		tn_status_sync_report(&w->sync, w->cfg->cache, res, TN_LOG_INFO);
	} else if (res->written) {
		tn_status_sync_report(&w->sync, w->cfg->cache, res, TN_LOG_DEBUG);
	} else {
		tn_debug("%s unchanged (generation %llu)", w->cfg->cache, (unsigned long long)res->generation);
	}
}

static void resync_start(struct watch *w, int64_t now, const char *why)
{
	struct tn_error err = {0};
	w->resync_due = 0;
	w->next_poll = now + w->cfg->poll_ms;
	w->resyncs++;
	tn_debug("resync (%s)", why);
	if (pick_socket(w, &err) < 0) {
		resync_failed(w, now, &err);
		return;
	}
	if (tn_status_sync_begin(&w->sync, &err) < 0) {
		tn_status_sync_end(&w->sync);
		resync_failed(w, now, &err);
		return;
	}
	snprintf(w->sync.label, sizeof w->sync.label, "tailscaled at %s", w->socket);
	struct tn_localapi api = {w->socket, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	w->status = tn_localapi_req_new(&api, "status", tn_status_sync_feed, &w->sync, &err);
	if (!w->status) {
		tn_status_sync_end(&w->sync);
		resync_failed(w, now, &err);
		return;
	}
	curl_multi_add_handle(w->multi, tn_localapi_req_easy(w->status));
}

static void resync_done(struct watch *w, int64_t now, CURLcode rc)
{
	struct tn_error err = {0};
	struct tn_update_opts opts = {.max_age = w->cfg->max_age, .skip_if_unchanged = true};
	struct tn_update_result res = {0};
	int r = tn_localapi_req_finish(w->status, rc, &err);
	drop(w, &w->status);
	if (r == 0)
		r = tn_status_sync_commit(&w->sync, w->cfg->cache, &opts, &res, &err);
	if (r == 0)
		resync_succeeded(w, &res);
	else
		resync_failed(w, now, &err);
	tn_status_sync_end(&w->sync);
}

/* ---- the stream --------------------------------------------------------------------------------------- */

/* The daemon answered the watch request with 200: noticed by stream_check() after a round of transfers, or
 * earlier, by the first body bytes or the end of a transfer that answered and ended in the same round. */
static void mark_connected(struct watch *w)
{
	if (w->answered)
		return;
	w->answered = true;
	const char *v = tn_localapi_req_version(w->stream);
	if (w->link != LINK_UP)
		tn_info("connected to tailscaled%s%s at %s (mask %u)", *v ? " " : "", v, w->socket, w->mask);
	w->link = LINK_UP;
}

static void on_notify(void *ctx, const struct tn_notify *n)
{
	struct watch *w = ctx;
	int64_t now = tn_now_ms();
	w->lines_seen++;
	if (!w->first_line) {
		w->first_line = true;
		w->connect_failures = 0;
		want_resync(w, now, 0, "first message of the connection");
		return;
	}
	if (n->state != TN_NOTIFY_NO_STATE)
		tn_debug("tailscaled's state is now %d%s", n->state, n->state == TN_IPN_STATE_RUNNING ? " (Running)" : "");
	if (n->dirty) {
		tn_debug("change: %s", n->why);
		want_resync(w, now, w->cfg->debounce_ms, n->why);
	}
}

static int on_stream_body(void *ctx, const char *data, size_t len, struct tn_error *err)
{
	struct watch *w = ctx;
	(void)err;
	mark_connected(w); /* only a 200 answer's body gets here */
	tn_ipn_lines_feed(&w->lines, data, len, on_notify, w);
	return 0;
}

static void stream_failed(struct watch *w, int64_t now, const struct tn_error *err)
{
	if (w->link == LINK_UP)
		tn_warn("disconnected: %s; keeping the last good cache and reconnecting", err->msg);
	else if (w->link == LINK_START)
		tn_warn("cannot watch tailscaled: %s; keeping the last good cache and retrying", err->msg);
	else
		tn_debug("still cannot watch tailscaled: %s", err->msg);
	tn_notify_status(1, "keeping the last good cache, reconnecting: %s", err->msg);
	w->link = LINK_DOWN;
	w->connect_failures++;
	double wait = tn_backoff_delay(w->connect_failures, tn_jitter01());
	w->next_connect = now + (int64_t)(wait * 1000);
	tn_debug("next connection attempt in %.2f s", wait);
}

static void stream_start(struct watch *w, int64_t now)
{
	struct tn_error err = {0};
	char path[64];
	if (pick_socket(w, &err) < 0) {
		stream_failed(w, now, &err);
		return;
	}
	snprintf(path, sizeof path, "watch-ipn-bus?mask=%u", w->mask);
	struct tn_localapi api = {w->socket, TN_LOCALAPI_CONNECT_TIMEOUT_MS, 0};
	w->stream = tn_localapi_req_new(&api, path, on_stream_body, w, &err);
	if (!w->stream) {
		stream_failed(w, now, &err);
		return;
	}
	tn_ipn_lines_reset(&w->lines);
	w->stream_started = now;
	w->answered = w->first_line = false;
	curl_multi_add_handle(w->multi, tn_localapi_req_easy(w->stream));
	tn_debug("GET /localapi/v0/%s at %s", path, w->socket);
}

static void stream_done(struct watch *w, int64_t now, CURLcode rc)
{
	struct tn_error err = {0};
	long status = tn_localapi_req_status(w->stream);
	if (status == 200)
		mark_connected(w);
	bool was_up = w->answered;
	if (tn_localapi_req_finish(w->stream, rc, &err) == 0)
		tn_error_set(&err, TN_EXIT_UNREACHABLE, "tailscaled at %s ended the stream", w->socket);
	drop(w, &w->stream);
	if (status == 400 && w->mask != TN_WATCH_MASK_FALLBACK) {
		if (!w->fallback_logged)
			tn_warn("%s (to mask %u): watching with mask %u instead, so peers that join or leave show up "
				"only through the %g s poll",
				err.msg, w->mask, TN_WATCH_MASK_FALLBACK, (double)w->cfg->poll_ms / 1000);
		else
			tn_debug("mask %u refused again: %s", w->mask, err.msg);
		w->fallback_logged = true;
		w->mask = TN_WATCH_MASK_FALLBACK;
		w->next_connect = now;
		return;
	}
	if (was_up)
		w->mask = TN_WATCH_MASK; /* a restarted daemon may take the full mask again */
	stream_failed(w, now, &err);
}

/* Runs after every round of transfers: notices the answer, or the lack of one. */
static void stream_check(struct watch *w, int64_t now)
{
	if (!w->stream || w->answered)
		return;
	long status = tn_localapi_req_status(w->stream);
	if (status == 200) {
		mark_connected(w);
		return;
	}
	if (status != 0 || now - w->stream_started < w->cfg->header_ms)
		return; /* an error answer ends by itself; a silent daemon still has time */
	struct tn_error err;
	tn_error_set(&err, TN_EXIT_UNREACHABLE, "tailscaled at %s took the watch request but did not answer in %g s",
		     w->socket, (double)w->cfg->header_ms / 1000);
	drop(w, &w->stream);
	stream_failed(w, now, &err);
}

/* ---- the loop ----------------------------------------------------------------------------------------- */

static void transfers_done(struct watch *w)
{
	CURLMsg *m;
	int left;
	while ((m = curl_multi_info_read(w->multi, &left))) {
		if (m->msg != CURLMSG_DONE)
			continue;
		CURLcode rc = m->data.result;
		if (w->stream && m->easy_handle == tn_localapi_req_easy(w->stream))
			stream_done(w, tn_now_ms(), rc);
		else if (w->status && m->easy_handle == tn_localapi_req_easy(w->status))
			resync_done(w, tn_now_ms(), rc);
	}
}

static int next_wait_ms(const struct watch *w, int64_t now)
{
	int64_t next = now + (tn_notify_watchdog_ms() ? tn_notify_watchdog_ms() : IDLE_MAX_MS);
	if (!w->stream)
		next = min64(next, w->next_connect);
	else if (!w->answered)
		next = min64(next, w->stream_started + w->cfg->header_ms);
	if (!w->status) {
		next = min64(next, w->next_poll);
		if (w->resync_due)
			next = min64(next, w->resync_due);
	}
	return next <= now ? 0 : (int)(next - now);
}

static void run_once(struct watch *w)
{
	int64_t now = tn_now_ms();
	tn_notify_watchdog(); /* each turn of the loop proves it turns */
	if (hup_pending) {
		hup_pending = 0;
		tn_info("SIGHUP: resyncing now");
		want_resync(w, now, 0, "SIGHUP");
		if (!w->stream)
			w->next_connect = now;
	}
	if (!w->stream && now >= w->next_connect)
		stream_start(w, now);
	if (!w->status && w->resync_due && now >= w->resync_due)
		resync_start(w, now, w->due_why);
	if (!w->status && now >= w->next_poll)
		resync_start(w, now, "periodic resync");
	int running;
	curl_multi_perform(w->multi, &running);
	transfers_done(w);
	now = tn_now_ms();
	stream_check(w, now);

	struct curl_waitfd wake = {.fd = wake_pipe[0], .events = CURL_WAIT_POLLIN};
	curl_multi_poll(w->multi, &wake, 1, next_wait_ms(w, now), NULL);
	char drain[64];
	while (read(wake_pipe[0], drain, sizeof drain) > 0) {
	}
}

static int signals_setup(struct sigaction old[3], struct tn_error *err)
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
	if (pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot create a pipe: %s", strerror(errno));
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &sa, &old[i]);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void signals_restore(const struct sigaction old[3])
{
	static const int sigs[3] = {SIGTERM, SIGINT, SIGHUP};
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	close(wake_pipe[0]);
	close(wake_pipe[1]);
	wake_pipe[0] = wake_pipe[1] = -1;
}

int tn_watch_run(const struct tn_watch_config *cfg, struct tn_error *err)
{
	struct sigaction old[3];
	struct watch w = {.cfg = cfg, .mask = TN_WATCH_MASK};
	stop_signal = hup_pending = 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot initialise libcurl");
	if (!(w.multi = curl_multi_init())) {
		curl_global_cleanup();
		return tn_error_set(err, TN_EXIT_FAIL, "cannot initialise libcurl");
	}
	if (signals_setup(old, err) < 0) {
		curl_multi_cleanup(w.multi);
		curl_global_cleanup();
		return -1;
	}
	tn_ipn_lines_init(&w.lines, 0);
	int64_t now = tn_now_ms();
	w.next_connect = now;
	w.next_poll = now + cfg->poll_ms;
	tn_info("keeping %s current from tailscaled at %s: full resync every %g s, cache trusted for %ld s", cfg->cache,
		cfg->socket ? cfg->socket : "the first socket found", (double)cfg->poll_ms / 1000, cfg->max_age);

	while (!stop_signal)
		run_once(&w);

	tn_notify_stopping();
	tn_info("stopping on %s after %lu messages, %lu resyncs, %lu cache changes",
		stop_signal == SIGINT ? "SIGINT" : "SIGTERM", w.lines_seen, w.resyncs, w.changes);
	drop(&w, &w.stream);
	if (w.status) {
		drop(&w, &w.status);
		tn_status_sync_end(&w.sync);
	}
	tn_ipn_lines_free(&w.lines);
	curl_multi_cleanup(w.multi);
	curl_global_cleanup();
	signals_restore(old);
	return 0;
}
