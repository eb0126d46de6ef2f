/* SPDX-License-Identifier: BSD-3-Clause */
/* status_sync.c - see status_sync.h. */
#include "cache/status_sync.h"

#include <stdio.h>
#include <string.h>

#include "cache/cache_pause.h"
#include "tailscaled/ipn_bus.h"

/* Parse errors get the source in front; "not running" already says all there is. */
static int parse_failed(struct tn_status_sync *s, struct tn_error *err)
{
	if (err->code == TN_EXIT_BAD_ANSWER)
		tn_error_wrap(err, "status from %s: ", s->label);
	return -1;
}

/* The status parser's sink: nodes and records into the hostset, which decides between them. */
struct tn_host_in tn_host_in_node(const struct tn_status_node *node)
{
	return (struct tn_host_in){.kind = TN_HOST_NODE,
				   .name = node->dns_name,
				   .addrs = node->addrs,
				   .n_addrs = node->n_addrs,
				   .self = node->self,
				   .node_id = node->node_id,
				   .stable_id = node->id,
				   .subdomains = node->subdomains};
}

struct tn_host_in tn_host_in_extra(const char *name, const char *const *values, size_t n)
{
	return (struct tn_host_in){.kind = TN_HOST_EXTRA, .name = name, .addrs = values, .n_addrs = n};
}

static int sink_node(void *ctx, const struct tn_status_node *node, struct tn_error *err)
{
	struct tn_host_in in = tn_host_in_node(node);
	return tn_hostset_add(ctx, &in, NULL, err);
}

static int sink_extra(void *ctx, const char *name, const char *const *values, size_t n, struct tn_error *err)
{
	struct tn_host_in in = tn_host_in_extra(name, values, n);
	return tn_hostset_add(ctx, &in, NULL, err);
}

static int sink_end(void *ctx, const struct tn_status_tailnet *tailnet, struct tn_error *err)
{
	struct tn_hostset *hs = ctx;
	hs->magicdns = tailnet->magicdns;
	hs->tun = tailnet->tun;
	hs->ts_version = tn_ts_version_parse(tailnet->version);
	if (tn_hostset_set_suffix(hs, tailnet->suffix, err) < 0)
		return -1;
	return tn_hostset_finish(hs, err);
}

const struct tn_status_sink tn_hostset_sink = {sink_node, sink_extra, sink_end};

int tn_status_sync_begin(struct tn_status_sync *s, struct tn_error *err)
{
	memset(s, 0, sizeof *s);
	tn_hostset_init(&s->hs);
	s->parser = tn_status_new(&tn_hostset_sink, &s->hs, err);
	return s->parser ? 0 : -1;
}

int tn_status_sync_feed(void *ctx, const char *data, size_t len, struct tn_error *err)
{
	struct tn_status_sync *s = ctx;
	return tn_status_feed(s->parser, data, len, err) < 0 ? parse_failed(s, err) : 0;
}

int tn_status_sync_localapi(struct tn_status_sync *s, struct tn_localapi *api, struct tn_error *err)
{
	if (!api->socket && tn_localapi_find_socket(&api->socket, err) < 0)
		return -1;
	snprintf(s->label, sizeof s->label, "tailscaled at %s", api->socket);
	return tn_localapi_get(api, "status", tn_status_sync_feed, s, err);
}

int tn_status_sync_commit(struct tn_status_sync *s, const char *cache, const struct tn_update_opts *opts,
			  struct tn_update_result *res, struct tn_error *err)
{
	if (tn_status_finish(s->parser, err) < 0)
		return parse_failed(s, err);
	return tn_cache_update(cache, &s->hs, opts, res, err);
}

int tn_status_sync_pause(struct tn_status_sync *s, const char *cache, struct tn_error *err)
{
	const char *state = s->parser ? tn_status_backend_state(s->parser) : "";
	bool changed;
	if (err->code != TN_EXIT_NOT_RUNNING || !tn_ipn_state_pauses(tn_ipn_state_parse(state)))
		return 0;
	struct tn_error werr = {0};
	if (tn_cache_mark_paused(cache, true, &changed, &werr) < 0) {
		*err = werr;
		return -1;
	}
	char msg[sizeof err->msg];
	snprintf(msg, sizeof msg, "%s", err->msg);
	tn_error_set(err, TN_EXIT_NOT_RUNNING, "%s; %s is paused: its names are kept, none is served until tailscaled "
		     "runs again and the cache is synced", msg, cache);
	return 1;
}

void tn_status_sync_report(const struct tn_status_sync *s, const char *cache, const struct tn_update_result *res,
			   enum tn_log_level level)
{
	const struct tn_status_stats *st = tn_status_stats(s->parser);
	tn_log(level,
	       "%s from %s: %zu nodes, %zu names, generation %llu%s, %zu bytes; skipped %zu peers not in the "
	       "netmap or without a name, %zu invalid names, %zu invalid addresses, %zu of %zu extra records",
	       cache, s->label, res->nodes, res->names, (unsigned long long)res->generation,
	       res->changed ? " (changed)" : " (unchanged)", res->bytes, st->peers_skipped, s->hs.skipped_names,
	       s->hs.skipped_addrs, st->extra_skipped, st->extra_records);
}

void tn_status_sync_end(struct tn_status_sync *s)
{
	tn_status_free(s->parser);
	s->parser = NULL;
	tn_hostset_free(&s->hs);
}
