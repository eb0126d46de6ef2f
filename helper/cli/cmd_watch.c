/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_watch.c - `tailnet-helper watch`: the command line around watch.c's loop. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "shared/log.h"
#include "shared/pidfile.h"
#include "watch/watch.h"

#define POLL_LIMIT_S 86400.0
#define DEBOUNCE_LIMIT_S 10.0
#define ANSWER_LIMIT_S 600.0

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper watch [--socket PATH] [--cache PATH] [--poll SECONDS] [--max-age SECONDS]\n"
		"                            [--debounce SECONDS] [--answer-timeout SECONDS] [--timestamps |\n"
		"                            --no-timestamps] [--pidfile PATH] [--verbose] [--quiet]\n\n"
		"Runs until SIGTERM or SIGINT, keeping the cache current from tailscaled's IPN bus\n"
		"(GET /localapi/v0/watch-ipn-bus?mask=%u). A tailscaled of 1.100 or later sends its whole status\n"
		"first and then what changed: the watcher applies each change to the names it holds and rewrites\n"
		"the cache only when an answer changes (online and last-seen news rewrite nothing). Older daemons:\n"
		"after a change it re-reads the whole status. The first change is written at once, what follows\n"
		"within --debounce of a write goes into the next one. A full status read checks everything every\n"
		"--poll seconds, and at once on SIGHUP. While tailscaled is Stopped or logged out the cache is\n"
		"paused (names kept, none served, as MagicDNS serves none); when it is unreachable or restarting\n"
		"the last good cache serves on (trusted for --max-age after it was written) and the watcher\n"
		"reconnects by itself, with backoff. It never exits on its own.\n\n"
		TN_HELP_SOCKET
		"                      (once a tailscaled answered there, the watcher stays with that socket)\n"
		TN_HELP_CACHE
		"  --poll SECONDS      full status check period, a safety net for a lost change (default %g)\n"
		"  --max-age SECONDS   how long the module trusts each cache written (default %ld)\n"
		"  --debounce SECONDS  the shortest time between two cache writes; a change after a quiet spell\n"
		"                      is written at once (default %g)\n"
		"  --answer-timeout SECONDS\n"
		"                      a tailscaled that takes the watch request but does not answer in this long\n"
		"                      counts as unreachable (default %g)\n"
		"  --timestamps        prefix log lines with the UTC time (the default unless stderr is journald's)\n"
		"  --no-timestamps     never (e.g. when a container runtime stamps lines itself)\n"
		"  --pidfile PATH      write \"PID STARTTIME\" to PATH and hold a lock on it while running; a\n"
		"                      second watcher given the same PATH refuses to start (exit 1)\n"
		"  --verbose           also log every message, resync and retry\n"
		"  --quiet             warnings and errors only\n\n"
		"Logs: one line per change of state on stderr (connected, lost and why, not Running, Running again,\n"
		"cache changed), with journald priorities when stderr is the journal.\n"
		"exit codes: 0 stopped by SIGTERM or SIGINT; 1 could not start; 2 usage\n",
		TN_WATCH_MASK, (double)TN_WATCH_POLL_MS / 1000, TN_MAX_AGE_DEFAULT, (double)TN_WATCH_DEBOUNCE_MS / 1000,
		(double)TN_WATCH_HEADER_MS / 1000);
}

static int bad_value(struct cmd_parser *p, const char *option, const char *want, double limit)
{
	return cmd_usage_error(p, "%s wants %s, at most %.0f", option, want, limit);
}

int cmd_watch(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},   {"cache", required_argument, NULL, 'c'},
		{"poll", required_argument, NULL, 'p'},     {"max-age", required_argument, NULL, 'm'},
		{"debounce", required_argument, NULL, 'd'}, {"answer-timeout", required_argument, NULL, 'a'},
		{"timestamps", no_argument, NULL, 'T'},     {"no-timestamps", no_argument, NULL, 'N'},
		{"pidfile", required_argument, NULL, 'P'},
		{NULL, 0, NULL, 0}};
	struct tn_watch_config cfg = {.cache = TN_DEFAULT_CACHE_PATH,
				      .poll_ms = TN_WATCH_POLL_MS,
				      .debounce_ms = TN_WATCH_DEBOUNCE_MS,
				      .header_ms = TN_WATCH_HEADER_MS,
				      .max_age = TN_MAX_AGE_DEFAULT};
	const char *pidfile = NULL;
	int timestamps = tn_log_timestamps_env(!tn_log_to_journal());
	int c;
	struct cmd_parser p =
		CMD_PARSER("watch", "s:c:p:m:d:a:TNP:", opts, usage, TN_LOG_INFO, TN_LOG_DEBUG, TN_LOG_WARN);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case 's':
			cfg.socket = optarg;
			break;
		case 'c':
			cfg.cache = optarg;
			break;
		case 'p':
			if (tn_parse_duration_ms(optarg, POLL_LIMIT_S, &cfg.poll_ms) < 0)
				return bad_value(&p, "--poll", "seconds above 0", POLL_LIMIT_S);
			break;
		case 'm':
			if (tn_parse_seconds(optarg, TN_MAX_AGE_LIMIT, &cfg.max_age) < 0)
				return bad_value(&p, "--max-age", "whole seconds from 1", (double)TN_MAX_AGE_LIMIT);
			break;
		case 'd':
			if (tn_parse_duration_ms(optarg, DEBOUNCE_LIMIT_S, &cfg.debounce_ms) < 0)
				return bad_value(&p, "--debounce", "seconds above 0", DEBOUNCE_LIMIT_S);
			break;
		case 'a':
			if (tn_parse_duration_ms(optarg, ANSWER_LIMIT_S, &cfg.header_ms) < 0)
				return bad_value(&p, "--answer-timeout", "seconds above 0", ANSWER_LIMIT_S);
			break;
		case 'P':
			pidfile = optarg;
			break;
		case 'T':
		case 'N':
			timestamps = c == 'T';
			break;
		}
	}
	if (c == CMD_EXIT)
		return p.exit;
	if (cfg.cache[0] != '/')
		return cmd_usage_error(&p, "--cache wants an absolute path");
	tn_log_setup("watch", p.level, timestamps);
	struct tn_error err = {0};
	int pidfile_fd = -1;
	if (pidfile && tn_pidfile_claim(pidfile, "tailnet-helper watch", &pidfile_fd, &err) != 0)
		return cmd_fail("watch", &err);
	int rc = tn_watch_run(&cfg, &err) == 0 ? TN_EXIT_OK : cmd_fail("watch", &err);
	if (pidfile_fd >= 0)
		close(pidfile_fd);
	return rc;
}
