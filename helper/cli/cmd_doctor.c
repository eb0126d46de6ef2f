/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_doctor.c - `tailnet-helper doctor`: why names do (or do not) resolve, one line per check with the fix
 * for each failure, and exit 0 only when a name from the cache resolves through glibc. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/doctor_cli.h"
#include "cli/options.h"
#include "shared/version.h"
#include "up/up.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper doctor [--json] [--cache PATH] [--socket PATH] [--state-dir DIR]\n"
		"                             [--nsswitch FILE] [--resolv-conf FILE]\n\n"
		"Checks, in order, everything a tailnet name needs to resolve, and prints one line per check\n"
		"(ok, warn, FAIL or skip) with the fix for each problem:\n"
		"  nsswitch     the hosts line: tailnet present, before dns and resolve, no action that ends\n"
		"               lookups early ([NOTFOUND=return] after tailnet is safe)\n"
		"  module       libnss_tailnet.so.2 loads as glibc loads it, with its six entry points\n"
		"  cache        present, owner, mode, directory, generation, age, valid-until: as the module sees it\n"
		"  watcher      the process that keeps the cache current: alive, pidfile, the socket it follows\n"
		"  tailscaled   reachable, BackendState, version\n"
		"  resolv.conf  whether it names the DNS responder first (and its original is kept)\n"
		"  responder    the DNS responder answers, when resolv.conf or its pidfile says it should run\n"
		"  lookup       getaddrinfo() of a name from the cache through glibc, timed\n\n"
		"  --json              one JSON object: version, ok, and each check's name, status, detail, fix\n"
		"  --cache PATH        cache file (default " TN_DEFAULT_CACHE_PATH ")\n"
		"  --socket PATH       tailscaled's socket (default: as up finds it)\n"
		"  --state-dir DIR     where up keeps its pidfiles (default %s for root, else\n"
		"                      ~/.local/state/tailnet)\n"
		"  --nsswitch FILE     default /etc/nsswitch.conf\n"
		"  --resolv-conf FILE  default /etc/resolv.conf\n\n"
		"exit codes: 0 every check passed or only warned, and names resolve through glibc; 1 a check failed;\n"
		"2 usage\n",
		TN_STATE_DIR_ROOT);
}

static const char *status_word(enum tn_check_status s)
{
	return s == TN_CHECK_OK ? "ok" : s == TN_CHECK_SKIP ? "skip" : s == TN_CHECK_WARN ? "warn" : "FAIL";
}

static json_t *as_json(const struct tn_check *checks, size_t n, int ok)
{
	json_t *doc = json_pack("{s:s, s:b, s:[]}", "version", TN_PACKAGE_VERSION, "ok", ok, "checks");
	json_t *list = doc ? json_object_get(doc, "checks") : NULL;
	for (size_t i = 0; list && i < n; i++) {
		json_t *c = json_pack("{s:s, s:s, s:s}", "name", checks[i].name, "status",
				      status_word(checks[i].status), "detail", checks[i].detail);
		if (c && checks[i].fix[0] && checks[i].status >= TN_CHECK_WARN)
			json_object_set_new(c, "fix", json_string(checks[i].fix));
		if (!c || json_array_append_new(list, c) != 0) {
			json_decref(doc);
			return NULL;
		}
	}
	return doc;
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option opts[] = {{"json", no_argument, NULL, 'j'},
					     {"cache", required_argument, NULL, 'c'},
					     {"socket", required_argument, NULL, 's'},
					     {"state-dir", required_argument, NULL, 'd'},
					     {"nsswitch", required_argument, NULL, 'n'},
					     {"resolv-conf", required_argument, NULL, 'r'},
					     {NULL, 0, NULL, 0}};
	struct tn_doctor d = {.nsswitch = "/etc/nsswitch.conf",
			      .cache = TN_DEFAULT_CACHE_PATH,
			      .resolv_conf = "/etc/resolv.conf"};
	int json = 0;
	struct cmd_parser p = CMD_PARSER("doctor", "", opts, usage, TN_LOG_WARN, TN_LOG_DEBUG, TN_LOG_ERROR);
	int rc = tn_doctor_options(&p, argc, argv, &d, &json);
	if (rc != TN_EXIT_OK)
		return rc;

	/* In this order: each may use what the ones before it found. */
	void (*const run[])(struct tn_doctor *, struct tn_check *) = {
	    tn_doctor_nsswitch,    tn_doctor_module,      tn_doctor_cache,     tn_doctor_watcher,
	    tn_doctor_tailscaled,  tn_doctor_resolv_conf, tn_doctor_responder, tn_doctor_lookup};
	enum { N = sizeof run / sizeof run[0] };
	struct tn_check checks[N];
	int ok = 1;
	for (size_t i = 0; i < N; i++) {
		memset(&checks[i], 0, sizeof checks[i]);
		run[i](&d, &checks[i]);
		ok &= checks[i].status != TN_CHECK_FAIL;
	}
	if (json) {
		if (tn_doctor_print_json("doctor", as_json(checks, N, ok)) != TN_EXIT_OK)
			return TN_EXIT_FAIL;
	} else {
		for (size_t i = 0; i < N; i++) {
			printf("%-4s %-11s %s", status_word(checks[i].status), checks[i].name, checks[i].detail);
			if (checks[i].fix[0] && checks[i].status >= TN_CHECK_WARN)
				printf(" -> fix: %s", checks[i].fix);
			putchar('\n');
		}
		printf("tailnet-helper " TN_PACKAGE_VERSION ": %s\n",
		       ok ? "names resolve through glibc" : "something is wrong: see FAIL above");
	}
	return fflush(stdout) == 0 && ok ? TN_EXIT_OK : TN_EXIT_FAIL;
}
