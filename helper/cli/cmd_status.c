/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_status.c - `tailnet-helper status [--json]`: this node, its tailnet, the names served and how fresh
 * they are, and the watcher; for people and (with --json) for scripts. It gathers the facts with the
 * doctor's checks, so both always agree. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "cli/doctor_cli.h"
#include "shared/version.h"
#include "up/up.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper status [--json] [--cache PATH] [--socket PATH] [--state-dir DIR]\n\n"
		"Prints this node (name, address), its tailnet (name, MagicDNS suffix), tailscaled (state, version,\n"
		"socket), the names the module serves from the cache (how many, generation, age, valid-until) and\n"
		"the watcher that keeps them current. 'tailnet-helper doctor' explains what is wrong.\n\n"
		"  --json           one JSON object (keys: version, node, tailnet, tailscaled, cache, watcher)\n"
		"  --cache PATH     cache file (default " TN_DEFAULT_CACHE_PATH ")\n"
		"  --socket PATH    tailscaled's socket (default: as up finds it)\n"
		"  --state-dir DIR  where up keeps its pidfiles (default %s for root)\n\n"
		"exit codes: 0 the module answers from the cache; 1 the cache is missing, refused or expired; 2 usage\n",
		TN_STATE_DIR_ROOT);
}

static json_t *string_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

static json_t *as_json(const struct tn_doctor *d, const struct tn_check *cache, const struct tn_check *daemon)
{
	const struct tn_brief *b = &d->brief;
	int64_t now = (int64_t)time(NULL);
	json_t *doc = json_pack(
	    "{s:s, s:{s:o, s:o}, s:{s:o, s:o}, s:{s:b, s:o, s:o, s:o, s:o, s:o}, s:{s:s, s:b, s:o}, s:{s:b, s:o, s:o}}",
	    "version", TN_PACKAGE_VERSION,
	    "node", "name", string_or_null(d->daemon_ok ? b->self_fqdn : ""), "address",
	    string_or_null(d->daemon_ok ? b->self_ip : ""),
	    "tailnet", "name", string_or_null(d->daemon_ok ? b->tailnet : ""), "suffix",
	    string_or_null(d->daemon_ok && b->suffix[0] ? b->suffix : d->suffix),
	    "tailscaled", "reachable", d->daemon_ok, "socket", string_or_null(d->daemon_socket), "state",
	    string_or_null(d->daemon_ok ? b->backend_state : ""), "version",
	    string_or_null(d->daemon_ok ? b->version : ""), "mode",
	    string_or_null(!d->daemon_ok ? "" : b->tun == 1 ? "tun" : b->tun == 0 ? "userspace" : ""), "error",
	    string_or_null(d->daemon_ok ? "" : daemon->detail),
	    "cache", "path", d->cache, "usable", d->cache_ok, "error", string_or_null(d->cache_ok ? "" : cache->detail),
	    "watcher", "running", d->watcher != 0, "pid", d->watcher ? json_integer(d->watcher) : json_null(), "socket",
	    string_or_null(d->watcher_socket));
	if (doc && d->cache_ok) {
		json_t *c = json_object_get(doc, "cache");
		json_object_set_new(c, "names", json_integer(d->names));
		json_object_set_new(c, "generation", json_integer((json_int_t)d->generation));
		json_object_set_new(c, "written_at", json_integer(d->written_at));
		json_object_set_new(c, "age_seconds", json_integer(now - d->written_at));
		json_object_set_new(c, "valid_until", json_integer(d->valid_until));
	}
	return doc;
}

static void print_text(const struct tn_doctor *d, const struct tn_check *cache, const struct tn_check *daemon)
{
	const struct tn_brief *b = &d->brief;
	printf("tailnet-helper " TN_PACKAGE_VERSION "\n");
	if (d->daemon_ok) {
		printf("node        %s %s\n", b->self_fqdn[0] ? b->self_fqdn : b->self_host, b->self_ip);
		printf("tailnet     %s (%s)\n", b->tailnet[0] ? b->tailnet : "?", b->suffix[0] ? b->suffix : "no suffix");
	}
	printf("tailscaled  %s\n", daemon->detail);
	if (d->cache_ok) {
		char age[32], left[32];
		int64_t now = (int64_t)time(NULL);
		tn_doctor_duration(now - d->written_at, age, sizeof age);
		tn_doctor_duration(d->valid_until - now, left, sizeof left);
		printf("names       %u from %s (generation %llu, written %s ago, valid for %s more)\n", d->names,
		       d->cache, (unsigned long long)d->generation, age, left);
	} else {
		printf("names       none: %s\n", cache->detail);
	}
	if (d->watcher)
		printf("watcher     pid %ld, following %s\n", (long)d->watcher,
		       d->watcher_socket[0] ? d->watcher_socket : "the first tailscaled socket found");
	else
		printf("watcher     none\n");
}

int cmd_status(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"cache", required_argument, NULL, 'c'},
					     {"socket", required_argument, NULL, 's'},
					     {"state-dir", required_argument, NULL, 'd'},
					     {NULL, 0, NULL, 0}};
	struct tn_doctor d = {.cache = TN_DEFAULT_CACHE_PATH};
	int json = 0;
	struct cmd_parser p = CMD_PARSER("status", "", opts, usage, TN_LOG_WARN, TN_LOG_DEBUG, TN_LOG_ERROR);
	int rc = tn_doctor_options(&p, argc, argv, &d, &json);
	if (rc != TN_EXIT_OK)
		return rc;
	struct tn_check cache = {0}, watcher = {0}, daemon = {0};
	tn_doctor_cache(&d, &cache);
	tn_doctor_watcher(&d, &watcher);
	tn_doctor_tailscaled(&d, &daemon);
	if (json) {
		if (tn_doctor_print_json("status", as_json(&d, &cache, &daemon)) != TN_EXIT_OK)
			return TN_EXIT_FAIL;
	} else {
		print_text(&d, &cache, &daemon);
	}
	return fflush(stdout) == 0 && d.cache_ok ? TN_EXIT_OK : TN_EXIT_FAIL;
}
