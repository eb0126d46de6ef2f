/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_sync.c - `tailnet-helper sync`: read tailscaled's status once (from the LocalAPI, a file or standard
 * input) and replace the cache with the names in it. The status streams through the parser as it arrives;
 * the cache is written only after the whole document was read and accepted, so any failure leaves the
 * previous cache exactly as it was. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/status_sync.h"
#include "cli/commands.h"
#include "cli/options.h"
#include "nss/cache_format.h"
#include "nss/cache_file.h"
#include "shared/log.h"
#include "tailscaled/localapi.h"

#define TIMEOUT_LIMIT_S 3600.0

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper sync [--socket PATH | --status-file FILE|-] [--cache PATH] [--max-age SECONDS]\n"
		"                           [--timeout SECONDS] [--verbose] [--quiet]\n\n"
		"Reads tailscaled's status (GET /localapi/v0/status) and replaces the cache the NSS module answers\n"
		"from with every MagicDNS name in it: Self and every peer in the netmap by DNSName, bare names for\n"
		"this tailnet's nodes when MagicDNS is on, and ExtraRecords. On any failure the cache is left as it\n"
		"was.\n\n"
		TN_HELP_SOCKET
		"  --status-file FILE  read the status JSON from FILE instead of tailscaled; '-' is standard input:\n"
		"                      tailscale status --json | tailnet-helper sync --status-file -\n"
		TN_HELP_CACHE
		"  --max-age SECONDS   how long the module trusts this cache (default %ld): sync again, or\n"
		"                      run watch, before it runs out\n"
		"  --timeout SECONDS   give up on tailscaled after this long (default %g; connecting: at most %g)\n"
		"  --verbose           one summary line on success\n"
		"  --quiet             nothing but the error line\n\n"
		"exit codes: 0 cache written; 1 local failure (cache not writable, status file unreadable, out of\n"
		"memory, or a cache the module would refuse: written by another user than root); 2 usage;\n"
		"3 tailscaled unreachable (no socket, refused, timed out, connection lost); 4 bad answer (HTTP\n"
		"error status, not JSON, truncated, no BackendState or Self); 5 tailscaled is not Running\n"
		"(NeedsLogin, Stopped, ...)\n",
		TN_MAX_AGE_DEFAULT, (double)TN_LOCALAPI_TIMEOUT_MS / 1000, (double)TN_LOCALAPI_CONNECT_TIMEOUT_MS / 1000);
}

/* A cache the module would refuse (written by a user it does not trust, or into a directory others may
 * write) is no success: the user would be left wondering why names do not resolve. */
static int module_takes(const char *path, struct tn_error *err)
{
	struct tn_cache_file f;
	const char *why = NULL;
	int rc = tn_cache_open(path, &f, &why);
	if (rc == 0) {
		tn_cache_close(&f);
		return 0;
	}
	return tn_error_set(err, TN_EXIT_FAIL,
			    "wrote %s, but the NSS module refuses it: %s (it trusts only caches written by root%s, "
			    "in a directory only root may write; run sync as root)",
			    path, why ? why : strerror(-rc), TN_CACHE_UID ? " or the build's CACHE_UID" : "");
}

static int read_file(struct tn_status_sync *src, const char *path, struct tn_error *err)
{
	int fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : STDIN_FILENO;
	snprintf(src->label, sizeof src->label, "%s", strcmp(path, "-") ? path : "standard input");
	if (fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot open %s: %s", path, strerror(errno));
	static char buf[256 * 1024];
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = tn_error_set(err, TN_EXIT_FAIL, "cannot read %s: %s", src->label, strerror(errno));
		else if (n > 0 && tn_status_sync_feed(src, buf, (size_t)n, err) == 0)
			continue;
		else if (n > 0)
			rc = -1;
		break;
	}
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int cmd_sync(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},  {"cache", required_argument, NULL, 'c'},
		{"status-file", required_argument, NULL, 'f'}, {"max-age", required_argument, NULL, 'm'},
		{"timeout", required_argument, NULL, 't'}, {NULL, 0, NULL, 0}};
	const char *cache = TN_DEFAULT_CACHE_PATH, *file = NULL;
	struct tn_localapi api = {NULL, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	long max_age = TN_MAX_AGE_DEFAULT;
	int c;
	struct cmd_parser p = CMD_PARSER("sync", "s:c:f:m:t:", opts, usage, TN_LOG_WARN, TN_LOG_INFO, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case 's':
			api.socket = optarg;
			break;
		case 'c':
			cache = optarg;
			break;
		case 'f':
			file = optarg;
			break;
		case 'm':
			if (tn_parse_seconds(optarg, TN_MAX_AGE_LIMIT, &max_age) < 0)
				return cmd_usage_error(&p, "--max-age wants whole seconds from 1 to %ld", TN_MAX_AGE_LIMIT);
			break;
		case 't':
			if (tn_parse_duration_ms(optarg, TIMEOUT_LIMIT_S, &api.timeout_ms) < 0)
				return cmd_usage_error(&p, "--timeout wants seconds above 0, at most %g", TIMEOUT_LIMIT_S);
			break;
		}
	}
	if (c == CMD_EXIT)
		return p.exit;
	if (file && api.socket)
		return cmd_usage_error(&p, "--socket and --status-file exclude each other");
	tn_log_setup("sync", p.level, tn_log_timestamps_env(0));
	if (api.connect_timeout_ms > api.timeout_ms)
		api.connect_timeout_ms = api.timeout_ms;

	struct tn_error err = {0};
	struct tn_status_sync src;
	int rc = tn_status_sync_begin(&src, &err);
	if (rc == 0)
		rc = file ? read_file(&src, file, &err) : tn_status_sync_localapi(&src, &api, &err);
	struct tn_update_opts uopts = {.max_age = max_age, .skip_if_unchanged = false};
	struct tn_update_result res = {0};
	if (rc == 0)
		rc = tn_status_sync_commit(&src, cache, &uopts, &res, &err);
	if (rc == 0)
		rc = module_takes(cache, &err);
	if (rc == 0)
		tn_status_sync_report(&src, cache, &res, TN_LOG_INFO);
	else
		tn_status_sync_pause(&src, cache, &err); /* Stopped or logged out: as quad-100, serve nothing */
	tn_status_sync_end(&src);
	return rc == 0 ? TN_EXIT_OK : cmd_fail("sync", &err);
}
