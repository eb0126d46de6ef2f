/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_mint_key.c - `tailnet-helper mint-key`: a fresh, short-lived, tagged auth key from the Tailscale API,
 * so that throwaway containers never carry a long-lived one. Settings come from options, the environment,
 * the config file and defaults, in that order; credentials only ever from files. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "cli/commands.h"
#include "mint/api_client.h"
#include "mint/config.h"
#include "mint/mint.h"
#include "mint/mint_settings.h"
#include "shared/log.h"
#include "shared/secrets.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tailnet-helper mint-key [OPTIONS]\n\n"
	    "Mints a short-lived auth key through the Tailscale API (an OAuth client, else an API access token)\n"
	    "and prints it on stdout, alone.\n\n"
	    "credentials (paths to files, mode 0600 or stricter; never the values themselves):\n"
	    "  --oauth-client-id-file FILE      default " TN_DEFAULT_OAUTH_ID_FILE ";\n"
	    "                                   not needed with a " TN_OAUTH_SECRET_PREFIX " secret\n"
	    "  --oauth-client-secret-file FILE  default " TN_DEFAULT_OAUTH_SECRET_FILE "\n"
	    "  --api-key-file FILE              used when no OAuth client is configured or found\n"
	    "                                   (default " TN_DEFAULT_API_KEY_FILE ")\n"
	    "the key:\n"
	    "  --tags LIST              comma-separated tags (default " TN_DEFAULT_TAGS
	    "); \"\" for none (API token only)\n"
	    "  --expiry SECONDS         lifetime (default 3600, at most %ld)\n"
	    "  --reusable, --no-reusable            (default reusable)\n"
	    "  --ephemeral, --no-ephemeral          (default ephemeral)\n"
	    "  --preauthorized, --no-preauthorized  (default pre-authorized)\n"
	    "  --description TEXT       letters, digits, '-', at most %d (default tailnet-helper-<hostname>)\n"
	    "output:\n"
	    "  --output FILE            write the key to FILE (atomically, mode 0600) instead of stdout\n"
	    "  --json                   print id, created, expires, capabilities, description and the key\n"
	    "                           (\"key_file\" instead of the key with --output) as one JSON object\n"
	    "the API:\n"
	    "  --api-url URL            default " TN_API_DEFAULT_URL " (https only)\n"
	    "  --ca-file FILE           also trust the CA certificates in FILE (PEM)\n"
	    "  --retries N              at most N attempts per request, for 429, 5xx and lost connections (default 4)\n"
	    "  --timeout SECONDS        budget for the whole command, retries included (default 60)\n"
	    "  --connect-timeout SECONDS  per connection (default 10)\n"
	    "  --config FILE            settings file (default " TN_DEFAULT_CONFIG_PATH ")\n"
	    "  --verbose, --quiet, --help\n\n"
	    "Precedence: option > environment (TAILNET_API_URL, TAILNET_OAUTH_CLIENT_ID_FILE,\n"
	    "TAILNET_OAUTH_CLIENT_SECRET_FILE, TAILNET_API_KEY_FILE, TAILNET_HELPER_CONFIG) > config file (api_url,\n"
	    "oauth_client_id_file, oauth_client_secret_file, api_key_file, tags, ca_file) > default.\n"
	    "The OAuth client needs the auth_keys scope, and its keys must carry its own tags.\n\n"
	    "exit codes: 0 minted; 1 local failure (e.g. --output not writable); 2 usage or configuration;\n"
	    "3 API unreachable or timed out; 4 API error status or unusable answer; 6 credentials missing,\n"
	    "unsafe (group/other access) or refused by the API (401/403)\n",
	    TN_EXPIRY_MAX, TN_DESCRIPTION_MAX);
}

static int parse_long(const char *text, const char *name, long min, long max, long *out, struct tn_error *err)
{
	char *end;
	long v = strtol(text, &end, 10);
	if (!*text || *end || v < min || v > max)
		return tn_error_set(err, TN_EXIT_USAGE, "%s must be a whole number from %ld to %ld", name, min, max);
	*out = v;
	return 0;
}

struct options {
	struct tn_mint_settings mint;
	const char *output;
	bool json;
};

/* Checked before minting, so that a key is not minted only to be lost. */
static int check_output_dir(const char *path, struct tn_error *err)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash == path ? 1 : slash - path) : 1, slash ? path : ".");
	if (access(dir, W_OK | X_OK) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "--output %s: cannot write in %s: %s", path, dir,
				    strerror(errno));
	return 0;
}

static int print_result(const struct options *o, const struct tn_minted *m, enum tn_cred_kind kind,
			struct tn_error *err)
{
	if (o->output && tn_secret_write_file(o->output, m->key.data, m->key.len, err) != 0)
		return -1;
	if (!o->json) {
		if (!o->output && (tn_write_all(STDOUT_FILENO, m->key.data, m->key.len) != 0 ||
				   tn_write_all(STDOUT_FILENO, "\n", 1) != 0))
			return tn_error_set(err, TN_EXIT_FAIL, "cannot write the key to stdout");
		return 0;
	}
	json_t *doc = json_deep_copy(m->info);
	int bad =
	    !doc || json_object_set_new(doc, "credential", json_string(kind == TN_CRED_OAUTH ? "oauth" : "api-key"));
	if (!bad)
		bad = o->output ? json_object_set_new(doc, "key_file", json_string(o->output))
				: json_object_set_new(doc, "key", json_stringn(m->key.data, m->key.len));
	char *text = bad ? NULL : json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	int rc = 0;
	if (!text)
		rc = tn_error_set(err, TN_EXIT_FAIL, "cannot format the JSON output");
	else if (tn_write_all(STDOUT_FILENO, text, strlen(text)) != 0 || tn_write_all(STDOUT_FILENO, "\n", 1) != 0)
		rc = tn_error_set(err, TN_EXIT_FAIL, "cannot write to stdout");
	tn_wipe_free(text);
	return rc;
}

static int mint(const struct options *o, struct tn_error *err)
{
	struct tn_mint_outcome got;
	if (o->output && check_output_dir(o->output, err) != 0)
		return -1;
	int rc = tn_mint_with_settings(&o->mint, &got, err);
	if (rc == 0)
		rc = print_result(o, &got.minted, got.kind, err);
	if (rc == 0) {
		const char *id = json_string_value(json_object_get(got.minted.info, "id"));
		const char *expires = json_string_value(json_object_get(got.minted.info, "expires"));
		tn_info("minted auth key %s, expires %s%s%s", id ? id : "(no id)", expires ? expires : "(not said)",
			o->output ? ", written to " : "", o->output ? o->output : "");
	}
	tn_mint_outcome_free(&got);
	return rc;
}

int cmd_mint_key(int argc, char **argv)
{
	enum {
		O_CONFIG = 256,
		O_API_URL,
		O_CA,
		O_OID,
		O_OSECRET,
		O_APIKEY,
		O_TAGS,
		O_EXPIRY,
		O_REUSE,
		O_NOREUSE,
		O_EPH,
		O_NOEPH,
		O_PRE,
		O_NOPRE,
		O_DESC,
		O_OUTPUT,
		O_JSON,
		O_RETRIES,
		O_TIMEOUT,
		O_CTIMEOUT
	};
	static const struct option opts[] = {{"config", required_argument, NULL, O_CONFIG},
					     {"api-url", required_argument, NULL, O_API_URL},
					     {"ca-file", required_argument, NULL, O_CA},
					     {"oauth-client-id-file", required_argument, NULL, O_OID},
					     {"oauth-client-secret-file", required_argument, NULL, O_OSECRET},
					     {"api-key-file", required_argument, NULL, O_APIKEY},
					     {"tags", required_argument, NULL, O_TAGS},
					     {"expiry", required_argument, NULL, O_EXPIRY},
					     {"reusable", no_argument, NULL, O_REUSE},
					     {"no-reusable", no_argument, NULL, O_NOREUSE},
					     {"ephemeral", no_argument, NULL, O_EPH},
					     {"no-ephemeral", no_argument, NULL, O_NOEPH},
					     {"preauthorized", no_argument, NULL, O_PRE},
					     {"no-preauthorized", no_argument, NULL, O_NOPRE},
					     {"description", required_argument, NULL, O_DESC},
					     {"output", required_argument, NULL, O_OUTPUT},
					     {"json", no_argument, NULL, O_JSON},
					     {"retries", required_argument, NULL, O_RETRIES},
					     {"timeout", required_argument, NULL, O_TIMEOUT},
					     {"connect-timeout", required_argument, NULL, O_CTIMEOUT},
					     {NULL, 0, NULL, 0}};
	struct options o = {.mint = TN_MINT_SETTINGS_DEFAULT};
	struct tn_error err = {0};
	int c;
	struct cmd_parser p = CMD_PARSER("mint-key", "", opts, usage, TN_LOG_INFO, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		int bad = 0;
		switch (c) {
		case O_CONFIG:
			o.mint.config = optarg;
			break;
		case O_API_URL:
			o.mint.api_url = optarg;
			break;
		case O_CA:
			o.mint.ca_file = optarg;
			break;
		case O_OID:
			o.mint.oauth_id = optarg;
			break;
		case O_OSECRET:
			o.mint.oauth_secret = optarg;
			break;
		case O_APIKEY:
			o.mint.api_key = optarg;
			break;
		case O_TAGS:
			o.mint.tags = optarg;
			break;
		case O_EXPIRY:
			bad = parse_long(optarg, "--expiry", 1, TN_EXPIRY_MAX, &o.mint.expiry, &err);
			break;
		case O_REUSE:
			o.mint.reusable = true;
			break;
		case O_NOREUSE:
			o.mint.reusable = false;
			break;
		case O_EPH:
			o.mint.ephemeral = true;
			break;
		case O_NOEPH:
			o.mint.ephemeral = false;
			break;
		case O_PRE:
			o.mint.preauthorized = true;
			break;
		case O_NOPRE:
			o.mint.preauthorized = false;
			break;
		case O_DESC:
			o.mint.description = optarg;
			break;
		case O_OUTPUT:
			o.output = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_RETRIES:
			bad = parse_long(optarg, "--retries", 1, 20, &o.mint.retries, &err);
			break;
		case O_TIMEOUT:
			bad = parse_long(optarg, "--timeout", 1, 3600, &o.mint.timeout, &err);
			break;
		case O_CTIMEOUT:
			bad = parse_long(optarg, "--connect-timeout", 1, 600, &o.mint.connect_timeout, &err);
			break;
		}
		if (bad)
			return cmd_fail("mint-key", &err);
	}
	if (c == CMD_EXIT)
		return p.exit;
	tn_log_setup("mint-key", p.level, tn_log_timestamps_env(0));

	/* No core dump and no ptrace by other users while secrets are in memory. */
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	int rc = mint(&o, &err) == 0 ? TN_EXIT_OK : cmd_fail("mint-key", &err);
	if (dumpable > 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	return rc;
}
