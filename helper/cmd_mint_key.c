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

#include "api_client.h"
#include "commands.h"
#include "config.h"
#include "log.h"
#include "mint.h"
#include "secrets.h"

#define DEFAULT_OAUTH_ID_FILE "~/secrets/tailscale-oauth-client-id"
#define DEFAULT_OAUTH_SECRET_FILE "~/secrets/tailscale-oauth-client-secret"
#define DEFAULT_API_KEY_FILE "~/secrets/tailscale-api-key"
#define DEFAULT_TAGS "tag:tazpod"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: tailnet-helper mint-key [OPTIONS]\n\n"
	    "Mints a short-lived auth key through the Tailscale API (an OAuth client, else an API access token)\n"
	    "and prints it on stdout, alone.\n\n"
	    "credentials (paths to files, mode 0600 or stricter; never the values themselves):\n"
	    "  --oauth-client-id-file FILE      default " DEFAULT_OAUTH_ID_FILE "\n"
	    "  --oauth-client-secret-file FILE  default " DEFAULT_OAUTH_SECRET_FILE "\n"
	    "  --api-key-file FILE              used when no OAuth client is configured or found\n"
	    "                                   (default " DEFAULT_API_KEY_FILE ")\n"
	    "the key:\n"
	    "  --tags LIST              comma-separated tags (default " DEFAULT_TAGS
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

/* A setting and where it came from, for messages and for "explicit beats a default that merely exists". */
struct setting {
	const char *value;
	char origin[PATH_MAX + 48];
	int is_explicit;
};

static void resolve(struct setting *s, const char *opt_value, const char *opt_name, const char *env_name,
		    const struct tn_config *cfg, const char *key, const char *def)
{
	const char *env = env_name ? getenv(env_name) : NULL;
	const char *conf = key ? tn_config_get(cfg, key) : NULL;
	s->is_explicit = 1;
	if (opt_value) {
		s->value = opt_value;
		snprintf(s->origin, sizeof s->origin, "%s", opt_name);
	} else if (env && *env) {
		s->value = env;
		snprintf(s->origin, sizeof s->origin, "$%s", env_name);
	} else if (conf) {
		s->value = conf;
		snprintf(s->origin, sizeof s->origin, "%s (%s)", cfg->path, key);
	} else {
		s->value = def;
		s->is_explicit = 0;
		snprintf(s->origin, sizeof s->origin, "default");
	}
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

static int expand(const struct setting *s, char *out, struct tn_error *err)
{
	if (!*s->value)
		return tn_error_set(err, TN_EXIT_USAGE, "empty path from %s", s->origin);
	return tn_expand_home(s->value, out, PATH_MAX, err);
}

struct options {
	const char *config, *api_url, *ca_file, *oauth_id, *oauth_secret, *api_key, *tags, *description, *output;
	long expiry, retries, timeout, connect_timeout;
	bool reusable, ephemeral, preauthorized, json;
	enum tn_log_level level;
};

/* Chooses OAuth or the API token and reads the files. An explicitly configured credential wins over a default
 * file that merely exists; OAuth wins when both are explicit (it is what the seed's operators use). */
static int load_credentials(const struct options *o, const struct tn_config *cfg, struct tn_credentials *cred,
			    struct tn_error *err)
{
	struct setting id, secret, key;
	char id_path[PATH_MAX], secret_path[PATH_MAX], key_path[PATH_MAX];
	resolve(&id, o->oauth_id, "--oauth-client-id-file", "TAILNET_OAUTH_CLIENT_ID_FILE", cfg, "oauth_client_id_file",
		DEFAULT_OAUTH_ID_FILE);
	resolve(&secret, o->oauth_secret, "--oauth-client-secret-file", "TAILNET_OAUTH_CLIENT_SECRET_FILE", cfg,
		"oauth_client_secret_file", DEFAULT_OAUTH_SECRET_FILE);
	resolve(&key, o->api_key, "--api-key-file", "TAILNET_API_KEY_FILE", cfg, "api_key_file", DEFAULT_API_KEY_FILE);
	if (expand(&id, id_path, err) || expand(&secret, secret_path, err) || expand(&key, key_path, err))
		return -1;

	bool oauth;
	if (id.is_explicit || secret.is_explicit)
		oauth = true;
	else if (key.is_explicit)
		oauth = false;
	else if (access(secret_path, F_OK) == 0 || access(id_path, F_OK) == 0)
		oauth = true;
	else if (access(key_path, F_OK) == 0)
		oauth = false;
	else
		return tn_error_set(err, TN_EXIT_CREDENTIALS,
				    "no credentials: neither an OAuth client (%s and %s) nor an API access token (%s)",
				    id_path, secret_path, key_path);
	cred->kind = oauth ? TN_CRED_OAUTH : TN_CRED_API_KEY;
	if (oauth) {
		tn_debug("credentials: OAuth client (secret file %s, from %s)", secret_path, secret.origin);
		if (tn_secret_read(id_path, "OAuth client id file", &cred->client_id, err) != 0 ||
		    tn_secret_read(secret_path, "OAuth client secret file", &cred->client_secret, err) != 0)
			return -1;
	} else {
		tn_debug("credentials: API access token (file %s, from %s)", key_path, key.origin);
		if (tn_secret_read(key_path, "API access token file", &cred->api_key, err) != 0)
			return -1;
	}
	return 0;
}

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
	struct tn_config cfg = {0};
	struct tn_credentials cred = {0};
	struct tn_minted minted = {0};
	struct tn_api api = {0};
	char **tags = NULL, ca_path[PATH_MAX], desc[TN_DESCRIPTION_MAX + 1];
	size_t ntags = 0;
	int rc = -1, curl_up = 0;

	if (tn_config_load(&cfg, o->config, err) != 0)
		return -1;
	struct setting url, ca, tag_list;
	resolve(&url, o->api_url, "--api-url", "TAILNET_API_URL", &cfg, "api_url", TN_API_DEFAULT_URL);
	resolve(&ca, o->ca_file, "--ca-file", NULL, &cfg, "ca_file", NULL);
	resolve(&tag_list, o->tags, "--tags", NULL, &cfg, "tags", DEFAULT_TAGS);
	if (ca.value && expand(&ca, ca_path, err) != 0)
		goto out;
	if (tn_parse_tags(tag_list.value, &tags, &ntags, err) != 0) {
		tn_error_wrap(err, "%s: ", tag_list.origin);
		goto out;
	}
	if (o->description) {
		if (!tn_description_valid(o->description)) {
			tn_error_set(err, TN_EXIT_USAGE, "--description: 1 to %d letters, digits or '-'",
				     TN_DESCRIPTION_MAX);
			goto out;
		}
		snprintf(desc, sizeof desc, "%s", o->description);
	} else {
		char host[256] = "";
		gethostname(host, sizeof host - 1);
		tn_default_description(host, desc);
	}
	struct tn_key_request req = {.reusable = o->reusable,
				     .ephemeral = o->ephemeral,
				     .preauthorized = o->preauthorized,
				     .tags = tags,
				     .ntags = ntags,
				     .expiry_seconds = o->expiry,
				     .description = desc};
	api.base_url = url.value;
	api.ca_file = ca.value ? ca_path : NULL;
	api.connect_timeout_ms = o->connect_timeout * 1000;
	api.timeout_ms = o->timeout * 1000;
	api.max_attempts = (int)o->retries;

	if (o->output && check_output_dir(o->output, err) != 0)
		goto out;
	if (load_credentials(o, &cfg, &cred, err) != 0)
		goto out;
	if (tn_api_global_init(err) != 0)
		goto out;
	curl_up = 1;
	if (tn_api_init(&api, err) != 0)
		goto out;
	tn_debug("API %s (from %s)", api.base_url, url.origin);
	if (tn_mint_key(&api, &cred, &req, &minted, err) != 0 || print_result(o, &minted, cred.kind, err) != 0)
		goto out;
	const char *id = json_string_value(json_object_get(minted.info, "id"));
	const char *expires = json_string_value(json_object_get(minted.info, "expires"));
	tn_info("minted auth key %s, expires %s%s%s", id ? id : "(no id)", expires ? expires : "(not said)",
		o->output ? ", written to " : "", o->output ? o->output : "");
	rc = 0;
out:
	tn_minted_free(&minted);
	tn_credentials_free(&cred);
	tn_api_close(&api);
	if (curl_up)
		tn_api_global_cleanup();
	tn_tags_free(tags, ntags);
	tn_config_free(&cfg);
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
					     {"help", no_argument, NULL, 'h'},
					     {"verbose", no_argument, NULL, 'v'},
					     {"quiet", no_argument, NULL, 'q'},
					     {NULL, 0, NULL, 0}};
	struct options o = {.expiry = 3600,
			    .retries = 4,
			    .timeout = 60,
			    .connect_timeout = 10,
			    .reusable = true,
			    .ephemeral = true,
			    .preauthorized = true,
			    .level = TN_LOG_INFO};
	struct tn_error err = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "hvq", opts, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case O_CONFIG:
			o.config = optarg;
			break;
		case O_API_URL:
			o.api_url = optarg;
			break;
		case O_CA:
			o.ca_file = optarg;
			break;
		case O_OID:
			o.oauth_id = optarg;
			break;
		case O_OSECRET:
			o.oauth_secret = optarg;
			break;
		case O_APIKEY:
			o.api_key = optarg;
			break;
		case O_TAGS:
			o.tags = optarg;
			break;
		case O_EXPIRY:
			bad = parse_long(optarg, "--expiry", 1, TN_EXPIRY_MAX, &o.expiry, &err);
			break;
		case O_REUSE:
			o.reusable = true;
			break;
		case O_NOREUSE:
			o.reusable = false;
			break;
		case O_EPH:
			o.ephemeral = true;
			break;
		case O_NOEPH:
			o.ephemeral = false;
			break;
		case O_PRE:
			o.preauthorized = true;
			break;
		case O_NOPRE:
			o.preauthorized = false;
			break;
		case O_DESC:
			o.description = optarg;
			break;
		case O_OUTPUT:
			o.output = optarg;
			break;
		case O_JSON:
			o.json = true;
			break;
		case O_RETRIES:
			bad = parse_long(optarg, "--retries", 1, 20, &o.retries, &err);
			break;
		case O_TIMEOUT:
			bad = parse_long(optarg, "--timeout", 1, 3600, &o.timeout, &err);
			break;
		case O_CTIMEOUT:
			bad = parse_long(optarg, "--connect-timeout", 1, 600, &o.connect_timeout, &err);
			break;
		default: {
			int rc = cmd_common_option(c, usage, &o.level, TN_LOG_DEBUG);
			if (rc >= 0)
				return rc;
		}
		}
		if (bad)
			return cmd_fail("mint-key", &err);
	}
	if (optind != argc) {
		usage(stderr);
		return TN_EXIT_USAGE;
	}
	tn_log_setup("mint-key", o.level, tn_log_timestamps_env(0));

	/* No core dump and no ptrace by other users while secrets are in memory. */
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	int rc = mint(&o, &err) == 0 ? TN_EXIT_OK : cmd_fail("mint-key", &err);
	if (dumpable > 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	return rc;
}
