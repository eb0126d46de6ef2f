/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_bus.c - what each line of the IPN bus does to the watcher: the model of names on the incremental
 * path, a resync on the old one, and tailscaled's state, which decides whether the cache is paused.
 *
 * The state rule follows when quad-100 answers (ipn/ipnlocal/local.go enterStateLocked and authReconfig,
 * v1.98.0 to HEAD): Stopped and NeedsLogin apply an empty DNS config, so nothing is served; Running serves;
 * Starting and NeedsMachineAuth serve once a netmap is applied (a SelfChange says one was); NoState passes by
 * while a daemon starts, and is no reason to stop serving what the last cache holds. */
#include <string.h>

#include "shared/log.h"
#include "shared/monotime.h"
#include "watch/watch_private.h"

/* ipnlocal's watchIPNBusFellBehindMessage (v1.102.0+): the line before tailscaled closes a lagging watch. */
#define FELL_BEHIND "IPN bus consumer fell behind; closing watch"

static void changed(struct watch *w)
{
	w->model_changes++;
	watch_want_write(w);
}

static void set_paused(struct watch *w, bool paused, int state)
{
	if (paused == w->paused)
		return;
	if (paused)
		tn_info("tailscaled is %s: the cache is paused (its names are kept but not served, as quad-100 serves "
			"none now)",
			tn_ipn_state_name(state));
	else
		tn_info("tailscaled is %s: serving the cache's names again", tn_ipn_state_name(state));
	w->paused = paused;
	watch_want_write(w);
}

void watch_state(struct watch *w, int state, bool first)
{
	int prev = w->state;
	w->state = state;
	if (state == prev && !first)
		return;
	tn_debug("tailscaled's state: %s (%d)", tn_ipn_state_name(state), state);
	if (tn_ipn_state_pauses(state)) {
		set_paused(w, true, state);
		return;
	}
	switch (state) {
	case TN_IPN_RUNNING:
		set_paused(w, false, state);
		if (w->mode == MODE_INCREMENTAL && !w->model_current)
			watch_reconnect(w, "Running, with names from before");
		else if (w->mode == MODE_INCREMENTAL && w->settings_stale)
			watch_want_settings(w);
		else if (w->mode == MODE_LEGACY && !first)
			watch_want_resync(w, tn_now_ms(), "Running");
		break;
	default:
		break; /* NoState, Starting, NeedsMachineAuth: the cache stays as it is */
	}
}

/* ---- the bus's callbacks -------------------------------------------------------------------------------- */

static int on_node(void *ctx, const struct tn_status_node *node, struct tn_error *err)
{
	struct watch *w = ctx;
	if (w->mode != MODE_INCREMENTAL)
		return 0;
	int r = tn_model_upsert(w->model, node, w->stamp, err);
	if (r > 0)
		changed(w);
	return r < 0 ? -1 : 0;
}

static int on_removed(void *ctx, int64_t node_id, struct tn_error *err)
{
	struct watch *w = ctx;
	(void)err;
	if (w->mode == MODE_INCREMENTAL && tn_model_remove(w->model, node_id) > 0)
		changed(w);
	return 0;
}

static int on_patch(void *ctx, const struct tn_bus_patch *p, struct tn_error *err)
{
	struct watch *w = ctx;
	(void)err;
	if (w->mode != MODE_INCREMENTAL)
		return 0;
	if (p->unknown) /* tailcfg.PeerChange grew: its doc says to re-fetch the node; a fresh start does that */
		w->line_resync = true;
	if (p->capmap && tn_model_set_subdomains(w->model, p->node_id, p->subdomains) > 0)
		changed(w);
	return 0;
}

/* The first line of a connection decides the path. */
static void first_line(struct watch *w, const struct tn_bus_line *line)
{
	w->first_line = true;
	w->connect_failures = 0;
	w->bus_sink.status = NULL; /* only the first line's InitialStatus counts */
	if ((line->present & TN_BUS_INITIAL_STATUS) &&
	    (line->status_rc == 0 || line->status_err.code == TN_EXIT_NOT_RUNNING)) {
		w->mode = MODE_INCREMENTAL;
		if (line->status_rc == 0) {
			tn_model_free(w->model);
			w->model = w->initial;
			w->initial = NULL;
			w->model_current = true;
			w->settings_stale = false;
			changed(w);
		} else {
			tn_debug("InitialStatus: %s; keeping the names from before", line->status_err.msg);
		}
		if (w->said != MODE_INCREMENTAL)
			tn_info("following tailscaled's changes on the bus (InitialStatus, %zu peers)",
				tn_model_peers(w->model));
	} else {
		if (line->present & TN_BUS_INITIAL_STATUS)
			tn_warn("the InitialStatus of tailscaled at %s is not usable: %s; reading its status instead",
				w->socket, line->status_err.msg);
		w->mode = MODE_LEGACY;
		if (w->said != MODE_LEGACY)
			tn_info("tailscaled sends no InitialStatus (before 1.100, or mask %u): reading its whole status "
				"after each change",
				w->mask);
		watch_want_resync(w, tn_now_ms(), "first message of the connection");
	}
	w->said = w->mode;
	tn_model_free(w->initial);
	w->initial = NULL;
	if (line->state != TN_NOTIFY_NO_STATE)
		watch_state(w, line->state, true);
}

static void incremental_line(struct watch *w, const struct tn_bus_line *line)
{
	if (line->malformed || w->line_resync) {
		tn_debug("%s", line->malformed ? line->err.msg : "a peer patch with a member this watcher does not know");
		watch_reconnect(w, line->malformed ? "a malformed line" : "a peer patch it cannot apply");
		return;
	}
	if ((line->present & TN_BUS_SELF_CHANGE) && (line->present & TN_BUS_PEERS_CHANGED)) {
		/* A full netmap (local.go setControlClientStatusLocked): every current peer is in this line. */
		if (tn_model_sweep(w->model, w->stamp) > 0)
			changed(w);
	}
	if (line->present & TN_BUS_SELF_CHANGE) {
		w->settings_stale = true; /* DNS rides only in full netmaps, and the bus does not carry it */
		watch_want_settings(w);
		if (w->state == TN_IPN_STARTING || w->state == TN_IPN_NEEDS_MACHINE_AUTH)
			set_paused(w, false, w->state); /* a netmap applied: quad-100 answers now */
	}
}

static void legacy_line(struct watch *w, const struct tn_bus_line *line)
{
	static const struct {
		unsigned bit;
		const char *why;
	} dirty[] = {{TN_BUS_NETMAP, "NetMap"}, {TN_BUS_SELF_CHANGE, "SelfChange"},
		     {TN_BUS_PEERS_CHANGED, "PeersChanged"}, {TN_BUS_PEERS_REMOVED, "PeersRemoved"},
		     {TN_BUS_PEER_PATCH, "PeerChangedPatch"}, {TN_BUS_INITIAL_STATUS, "InitialStatus"}};
	const char *why = line->malformed ? "a malformed line" : NULL;
	if (line->peer_changes_unknown)
		why = "PeerChanges";
	for (size_t i = 0; !why && i < sizeof dirty / sizeof dirty[0]; i++)
		if (line->present & dirty[i].bit)
			why = dirty[i].why;
	if (why)
		watch_want_resync(w, tn_now_ms(), why);
}

static void on_line(void *ctx, const struct tn_bus_line *line)
{
	struct watch *w = ctx;
	w->lines_seen++;
	if (line->err_message[0]) {
		if (!strcmp(line->err_message, FELL_BEHIND))
			tn_warn("tailscaled closes the watch: %s", line->err_message);
		else
			tn_debug("tailscaled says: %s", line->err_message);
	}
	if (!w->first_line) {
		first_line(w, line);
	} else {
		if (w->mode == MODE_INCREMENTAL)
			incremental_line(w, line);
		else
			legacy_line(w, line);
		if (line->state != TN_NOTIFY_NO_STATE)
			watch_state(w, line->state, false);
	}
	w->stamp++;
	w->line_resync = false;
}

void watch_bus_setup(struct watch *w)
{
	w->bus_sink = (struct tn_bus_sink){.node = on_node, .removed = on_removed, .patch = on_patch, .line = on_line};
	tn_ipn_bus_init(&w->bus, &w->bus_sink, w);
}

void watch_bus_connection(struct watch *w)
{
	tn_model_free(w->initial);
	w->initial = tn_model_new(&(struct tn_error){0});
	w->bus_sink.status = w->initial ? &tn_model_sink : NULL; /* out of memory: no InitialStatus, the old path */
	w->bus_sink.status_ctx = w->initial;
	w->model_current = false;
	w->line_resync = false;
	w->mode = MODE_UNKNOWN;
}
