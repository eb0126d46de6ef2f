/* SPDX-License-Identifier: BSD-3-Clause */
/* watch_private.h - the watcher's state, shared by its three files: watch.c (the loop, signals and the bus
 * connection), watch_bus.c (what each line of the bus does to the model and to the paused flag) and
 * watch_io.c (status reads and cache writes). Not a public interface: only watch/ includes it. */
#ifndef TAILNET_WATCH_PRIVATE_H
#define TAILNET_WATCH_PRIVATE_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache_writer.h"
#include "cache/name_model.h"
#include "tailscaled/ipn_bus.h"
#include "tailscaled/localapi.h"
#include "tailscaled/status_parse.h"
#include "watch/watch.h"

enum link { LINK_START, LINK_UP, LINK_DOWN };

/* Retries of one kind of work (status reads, cache writes): failures in a row, whether that is said, and when
 * to try again. */
struct retry {
	int failures;
	bool failing;
	int64_t at;
};

/* How this connection's changes arrive: decided by its first line. */
enum mode {
	MODE_UNKNOWN,
	MODE_INCREMENTAL, /* InitialStatus came (1.100+): the lines' deltas change the model */
	MODE_LEGACY,      /* it did not: a change means reading the whole status again */
};

/* The one status read at a time. */
enum req_kind {
	REQ_NONE,
	REQ_RESYNC,   /* legacy mode: the whole status, then the cache */
	REQ_CHECK,    /* incremental mode: the whole status, compared with the model */
	REQ_SETTINGS, /* status?peers=false: Self, suffix, MagicDNS, ExtraRecords after a SelfChange */
};

struct watch {
	const struct tn_watch_config *cfg;
	CURLM *multi;
	const char *socket;
	bool socket_pinned; /* chosen: never looked up again (a socket elsewhere is not this daemon) */

	/* The bus connection. */
	struct tn_localapi_req *stream;
	struct tn_ipn_bus bus;
	struct tn_bus_sink bus_sink;
	int64_t stream_started;
	bool answered, first_line;
	unsigned mask;
	enum link link;
	int connect_failures; /* in a row; reset by a connection's first line */
	bool refusal_said;    /* the last failure was a socket another uid serves, and it was logged */
	int64_t next_connect;
	const char *reconnect_why; /* set: drop the stream and open a new one at once (a fresh InitialStatus) */

	/* What tailscaled said. */
	enum mode mode, said; /* said: the path last logged */
	int state;   /* the last ipn.State seen, TN_NOTIFY_NO_STATE before any */
	bool paused; /* Stopped or NeedsLogin: the cache says so (written when `written_paused` differs) */

	/* The names. */
	struct tn_model *model; /* never NULL; complete once a whole status or InitialStatus filled it */
	struct tn_model *initial; /* this connection's InitialStatus while its line streams */
	bool model_current;       /* confirmed by this connection (its InitialStatus or a status read) */
	unsigned stamp;           /* the bus line being applied, for tn_model_sweep() */
	unsigned long model_changes;
	bool line_resync;   /* this line asked for a fresh start (a patch we cannot apply) */
	bool settings_stale; /* a SelfChange since the last status?peers=false */

	/* Status reads. */
	struct tn_localapi_req *req;
	enum req_kind req_kind;
	struct tn_status_parser *req_parser;
	struct tn_model *req_model;
	unsigned long req_changes; /* model_changes when the read started */
	bool resync_wanted, settings_wanted;
	int64_t resync_at, next_check, last_resync;
	const char *resync_why;
	struct retry read_retry;
	bool check_disagreed;

	/* Cache writes. */
	struct tn_cache_image last; /* the image written last: stands for the file while it is still that one */
	bool write_wanted, written_paused;
	int64_t last_write;
	struct retry write_retry;

	unsigned long lines_seen, full_reads, writes, changes;
};

/* watch.c */
void watch_reconnect(struct watch *w, const char *why);

/* watch_bus.c */
void watch_bus_setup(struct watch *w);           /* the bus sink, once */
void watch_bus_connection(struct watch *w);       /* a new connection's first line is next */
void watch_state(struct watch *w, int state, bool first); /* a State from the bus */

/* watch_io.c */
void watch_want_write(struct watch *w);
void watch_want_resync(struct watch *w, int64_t now, const char *why);
void watch_want_settings(struct watch *w);
/* Starts what is due, performs a due write; returns the next deadline (or `idle`). */
int64_t watch_io_step(struct watch *w, int64_t now, int64_t idle);
void watch_io_done(struct watch *w, CURLcode rc);
void watch_io_stop(struct watch *w);

#endif
