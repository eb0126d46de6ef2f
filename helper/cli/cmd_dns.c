/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_dns.c - `tailnet-helper dns`: the loopback DNS responder for programs that never call NSS (static Go
 * binaries, musl, dig). It answers from the cache through the module's own reader and view (cache_current.c),
 * so it notices a new cache within a second without a restart, and never forwards anything. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "dns/dns_server.h"
#include "dns/privdrop.h"
#include "nss/cache_current.h"
#include "nss/cache_file.h"
#include "shared/log.h"
#include "shared/pidfile.h"
#include "shared/sd_notify.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper dns [--listen ADDR[:PORT]] [--cache PATH] [--user USER]\n"
		"                          [--allow-non-loopback] [--pidfile PATH] [--timestamps | --no-timestamps]\n"
		"                          [--verbose] [--quiet]\n\n"
		"Answers DNS queries (UDP and TCP) for tailnet names from the cache, as the NSS module does, for\n"
		"programs that never call NSS: static Go binaries, musl (Alpine), dig. Names outside the tailnet get\n"
		"REFUSED, so resolvers ask the next nameserver in /etc/resolv.conf; nothing is ever forwarded.\n"
		"'tailnet-helper resolv-conf --apply' puts this responder first in /etc/resolv.conf.\n\n"
		"  --listen ADDR[:PORT]  where to answer (default " TN_DNS_DEFAULT_ADDR ":%d; [IPv6]:PORT for IPv6).\n"
		"                        Loopback only (127.0.0.0/8, ::1) unless --allow-non-loopback is given\n"
		"  --cache PATH          cache file (default " TN_DEFAULT_CACHE_PATH ")\n"
		"  --user USER           once listening, run as USER (default " TN_DNS_USER ", the package's system\n"
		"                        user; nobody, with a warning, where it does not exist; 'root' keeps root).\n"
		"                        The cache and its directory must be readable by USER (0644/0755 are).\n"
		"                        Started as another user than root (systemd's DynamicUser=), it stays that\n"
		"                        user and drops every capability once listening\n"
		"  --allow-non-loopback  accept a --listen address other hosts can reach\n"
		"  --pidfile PATH        write \"PID STARTTIME\" to PATH and hold a lock on it while running;\n"
		"                        a second responder given the same PATH refuses to start (exit 1)\n"
		"  --timestamps          prefix log lines with the UTC time (the default unless stderr is journald's)\n"
		"  --no-timestamps       never (e.g. when a container runtime stamps lines itself)\n"
		"  --verbose             also log every change of the cache (new generation, unusable, usable again)\n"
		"  --quiet               errors only\n\n"
		"Runs until SIGTERM or SIGINT (exit 0).\n"
		"exit codes: 0 stopped by a signal; 1 cannot listen (address in use, no permission for port 53);\n"
		"2 usage (bad or non-loopback address)\n",
		TN_DNS_DEFAULT_PORT);
}

/* What the responder last saw of the cache: a generation, or an error. */
struct watch {
	const char *path;
	int rc; /* 0 usable, -errno */
	uint64_t generation;
	uint32_t names;
	char suffix[TN_NAME_MAX + 1];
};

static int look(const struct tn_cache *c, int64_t now, void *ctx)
{
	(void)now;
	struct watch *w = ctx;
	w->generation = c->generation;
	w->names = c->name_count;
	snprintf(w->suffix, sizeof w->suffix, "%s", c->suffix_len ? c->suffix : "(none)");
	return 0;
}

/* One phrase for the log: what the cache is now. */
static void describe(const struct watch *w, char *out, size_t size)
{
	if (w->rc == 0) {
		snprintf(out, size, "generation %llu, suffix %s, %u names", (unsigned long long)w->generation,
			 w->suffix, w->names);
		return;
	}
	const char *why = w->rc == -ESTALE ? "cache expired (is tailnet-helper sync running?)" : NULL;
	struct tn_cache_file f;
	if (!why && tn_cache_open(w->path, &f, &why) == 0) /* refused a moment ago; ask again for the reason */
		tn_cache_close(&f);
	snprintf(out, size, "unusable: %s; answering REFUSED until it is", why ? why : strerror(-w->rc));
}

static void refresh(struct watch *w)
{
	w->rc = tn_current_query(look, w);
}

static void look_again(struct watch *w)
{
	struct watch before = *w;
	refresh(w);
	if (w->rc == before.rc && (w->rc != 0 || w->generation == before.generation))
		return;
	char text[400];
	describe(w, text, sizeof text);
	tn_debug("cache %s: %s", w->path, text);
	tn_notify_status(0, "%s", text);
}

/* Between packets, at least once a second. */
static void tick(void *ctx)
{
	tn_notify_watchdog();
	look_again(ctx);
}

/* Binds, drops root, and answers until SIGTERM or SIGINT. */
static int serve(const struct tn_dns_listen *l, const char *cache, const char *user, struct tn_error *err)
{
	struct tn_dns_server *s = tn_dns_server_open(l, err);
	if (!s)
		return -1;
	/* Port 53 needed root (or CAP_NET_BIND_SERVICE); answering from a world-readable file needs neither. */
	const char *as = NULL;
	int fallback = 0, rc = tn_drop_privileges(user, &as, &fallback, err);
	if (fallback)
		tn_warn("no user " TN_DNS_USER " (the package creates it): running as the shared user nobody, whose "
			"other processes can signal this one; create it with 'useradd --system --no-create-home "
			"--home-dir /nonexistent --shell /usr/sbin/nologin " TN_DNS_USER "' or give --user");
	if (rc == 0) {
		tn_debug("running as %s", as);
		struct watch w = {.path = cache};
		char text[400];
		refresh(&w);
		describe(&w, text, sizeof text);
		tn_info("answering on %s (UDP, TCP) from %s: %s", l->text, cache, text);
		tn_notify_status(1, "answering on %s from %s: %s", l->text, cache, text);
		rc = tn_dns_server_run(s, tn_notify_watchdog_ms(), tick, &w, err);
		tn_notify_stopping();
	}
	tn_dns_server_close(s);
	tn_current_reset();
	return rc;
}

int cmd_dns(int argc, char **argv)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
					     {"cache", required_argument, NULL, 'c'},
					     {"allow-non-loopback", no_argument, NULL, 'A'},
					     {"user", required_argument, NULL, 'u'},
					     {"pidfile", required_argument, NULL, 'P'},
					     {"timestamps", no_argument, NULL, 'T'},
					     {"no-timestamps", no_argument, NULL, 'N'},
					     {NULL, 0, NULL, 0}};
	const char *listen_text = TN_DNS_DEFAULT_ADDR, *cache = TN_DEFAULT_CACHE_PATH, *user = NULL;
	int timestamps = tn_log_timestamps_env(!tn_log_to_journal());
	const char *pidfile = NULL;
	int allow_any = 0, c;
	struct tn_error err = {0};
	struct cmd_parser p = CMD_PARSER("dns", "l:c:u:", opts, usage, TN_LOG_INFO, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case 'l':
			listen_text = optarg;
			break;
		case 'c':
			cache = optarg;
			break;
		case 'A':
			allow_any = 1;
			break;
		case 'u':
			user = optarg;
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
	struct tn_dns_listen l;
	if (tn_dns_listen_parse(listen_text, &l, &err) < 0)
		return cmd_fail("dns", &err);
	if (!allow_any && !tn_dns_is_loopback(&l)) {
		tn_error_set(&err, TN_EXIT_USAGE,
			     "--listen %s is not a loopback address; other hosts could query the tailnet's names "
			     "(give --allow-non-loopback if that is what you want)",
			     l.text);
		return cmd_fail("dns", &err);
	}
	if (tn_current_set_path(cache) < 0) {
		tn_error_set(&err, TN_EXIT_USAGE, "--cache %s: want an absolute path", cache);
		return cmd_fail("dns", &err);
	}
	tn_log_setup("dns", p.level, timestamps); /* after the usage errors, which carry no time stamp */
	/* Claimed as root, before the address: a second responder is told who runs, not "address in use". */
	int pidfile_fd = -1;
	if (pidfile && tn_pidfile_claim(pidfile, "tailnet-helper dns", &pidfile_fd, &err) != 0)
		return cmd_fail("dns", &err);
	int rc = serve(&l, cache, user, &err);
	if (pidfile_fd >= 0)
		close(pidfile_fd);
	if (rc < 0)
		return cmd_fail("dns", &err);
	tn_info("stopped");
	return TN_EXIT_OK;
}
