/* SPDX-License-Identifier: BSD-3-Clause */
/* watch.c - see watch.h. One thread, one curl multi handle, two transfers at most (the stream and a status
 * read), a self-pipe for signals, and a handful of deadlines. This file runs the loop and the bus connection;
 * watch_bus.c applies the lines, watch_io.c reads the status and writes the cache. */
#include "watch/watch.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shared/backoff.h"
#include "shared/log.h"
#include "shared/monotime.h"
#include "shared/sd_notify.h"
#include "watch/watch_private.h"

#define IDLE_MAX_MS 60000 /* the longest single wait; any deadline cuts it shorter */

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

/* ---- the stream --------------------------------------------------------------------------------------- */

static void stream_drop(struct watch *w)
{
	if (!w->stream)
		return;
	curl_multi_remove_handle(w->multi, tn_localapi_req_easy(w->stream));
	tn_localapi_req_free(w->stream);
	w->stream = NULL;
}

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
	w->socket_pinned = true;
}

static int on_stream_body(void *ctx, const char *data, size_t len, struct tn_error *err)
{
	struct watch *w = ctx;
	(void)err;
	mark_connected(w); /* only a 200 answer's body gets here */
	tn_ipn_bus_feed(&w->bus, data, len);
	return 0;
}

static void stream_failed(struct watch *w, int64_t now, const struct tn_error *err)
{
	/* Someone else serving the socket is worth a warning even amid other failures: it is an attack or a
	 * misconfiguration, never tailscaled restarting. */
	bool refused = strncmp(err->msg, TN_LOCALAPI_REFUSING, strlen(TN_LOCALAPI_REFUSING)) == 0;
	if (refused && !w->refusal_said)
		tn_warn("%s; keeping the last good cache and waiting for tailscaled", err->msg);
	else if (w->link == LINK_UP)
		tn_warn("disconnected: %s; keeping the last good cache and reconnecting", err->msg);
	else if (w->link == LINK_START)
		tn_warn("cannot watch tailscaled: %s; keeping the last good cache and retrying", err->msg);
	else
		tn_debug("still cannot watch tailscaled: %s", err->msg);
	w->refusal_said = refused;
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
	if (!w->socket_pinned && !w->cfg->socket && tn_localapi_find_socket(&w->socket, &err) < 0) {
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
	tn_ipn_bus_reset(&w->bus);
	watch_bus_connection(w);
	w->stream_started = now;
	w->answered = w->first_line = false;
	curl_multi_add_handle(w->multi, tn_localapi_req_easy(w->stream));
	tn_debug("GET /localapi/v0/%s at %s", path, w->socket);
}

void watch_reconnect(struct watch *w, const char *why)
{
	if (!w->reconnect_why)
		w->reconnect_why = why;
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
	stream_drop(w);
	if (status == 400 && w->mask != TN_WATCH_MASK_FALLBACK) {
		unsigned next = w->mask == TN_WATCH_MASK ? TN_WATCH_MASK_OLD : TN_WATCH_MASK_FALLBACK;
		tn_warn("%s (to mask %u): watching with mask %u instead%s", err.msg, w->mask, next,
			next == TN_WATCH_MASK_FALLBACK ? ", so peers that join or leave show up only through the poll" : "");
		w->mask = next;
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
	stream_drop(w);
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
		else if (w->req && m->easy_handle == tn_localapi_req_easy(w->req))
			watch_io_done(w, rc);
	}
}

static void run_once(struct watch *w)
{
	int64_t now = tn_now_ms();
	tn_notify_watchdog(); /* each turn of the loop proves it turns */
	if (hup_pending) {
		hup_pending = 0;
		tn_info("SIGHUP: resyncing now");
		if (w->mode == MODE_INCREMENTAL)
			watch_reconnect(w, "SIGHUP");
		else
			watch_want_resync(w, now, "SIGHUP");
		if (!w->stream)
			w->next_connect = now;
	}
	if (w->reconnect_why && w->stream) { /* a deliberate new start: no backoff, no disconnect line */
		tn_debug("new subscription: %s", w->reconnect_why);
		stream_drop(w);
		w->next_connect = now;
	}
	w->reconnect_why = NULL;
	if (!w->stream && now >= w->next_connect)
		stream_start(w, now);
	int running;
	curl_multi_perform(w->multi, &running);
	transfers_done(w);
	now = tn_now_ms();
	stream_check(w, now);

	int64_t next = watch_io_step(w, now, now + (tn_notify_watchdog_ms() ? tn_notify_watchdog_ms() : IDLE_MAX_MS));
	if (w->reconnect_why)
		next = now;
	if (!w->stream)
		next = min64(next, w->next_connect);
	else if (!w->answered)
		next = min64(next, w->stream_started + w->cfg->header_ms);
	struct curl_waitfd wake = {.fd = wake_pipe[0], .events = CURL_WAIT_POLLIN};
	curl_multi_poll(w->multi, &wake, 1, next <= now ? 0 : (int)(next - now), NULL);
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
	struct watch w = {.cfg = cfg, .mask = TN_WATCH_MASK, .socket = cfg->socket, .state = TN_NOTIFY_NO_STATE};
	stop_signal = hup_pending = 0;
	if (!(w.model = tn_model_new(err)))
		return -1;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(w.multi = curl_multi_init())) {
		curl_global_cleanup();
		tn_model_free(w.model);
		return tn_error_set(err, TN_EXIT_FAIL, "cannot initialise libcurl");
	}
	if (signals_setup(old, err) < 0) {
		curl_multi_cleanup(w.multi);
		curl_global_cleanup();
		tn_model_free(w.model);
		return -1;
	}
	watch_bus_setup(&w);
	/* Every write builds a cache image of a few MB (20 at 100,000 peers) and reads a status of ten times
	 * that: served from fresh mmap()s each time, their page faults cost more than the build itself (2 MB at
	 * 10,000 peers: 6-15 ms against 1 ms, measured). Kept in the heap, the memory is reused. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 128 << 20);
	int64_t now = tn_now_ms();
	w.next_connect = now;
	w.next_check = now + cfg->poll_ms;
	tn_info("keeping %s current from tailscaled at %s: full check every %g s, cache trusted for %ld s", cfg->cache,
		cfg->socket ? cfg->socket : "the first socket found", (double)cfg->poll_ms / 1000, cfg->max_age);

	while (!stop_signal)
		run_once(&w);

	tn_notify_stopping();
	tn_info("stopping on %s after %lu messages, %lu full status reads, %lu cache writes, %lu changes",
		stop_signal == SIGINT ? "SIGINT" : "SIGTERM", w.lines_seen, w.full_reads, w.writes, w.changes);
	stream_drop(&w);
	watch_io_stop(&w);
	tn_ipn_bus_free(&w.bus);
	tn_model_free(w.model);
	tn_model_free(w.initial);
	curl_multi_cleanup(w.multi);
	curl_global_cleanup();
	signals_restore(old);
	return 0;
}
