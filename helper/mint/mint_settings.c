/* SPDX-License-Identifier: BSD-3-Clause */
/* mint_settings.c - see mint_settings.h. */
#include "mint/mint_settings.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mint/api_client.h"
#include "mint/config.h"
#include "shared/log.h"
#include "shared/secrets.h"

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

static int expand(const struct setting *s, char *out, struct tn_error *err)
{
	if (!*s->value)
		return tn_error_set(err, TN_EXIT_USAGE, "empty path from %s", s->origin);
	return tn_expand_home(s->value, out, PATH_MAX, err);
}

/* Chooses OAuth or the API token and reads the files. An explicitly configured credential wins over a default
 * file that merely exists; OAuth wins when both are explicit (it is what the seed's operators use). */
static int load_credentials(const struct tn_mint_settings *o, const struct tn_config *cfg, struct tn_credentials *cred,
			    struct tn_error *err)
{
	struct setting id, secret, key;
	char id_path[PATH_MAX], secret_path[PATH_MAX], key_path[PATH_MAX];
	resolve(&id, o->oauth_id, "--oauth-client-id-file", "TAILNET_OAUTH_CLIENT_ID_FILE", cfg, "oauth_client_id_file",
		TN_DEFAULT_OAUTH_ID_FILE);
	resolve(&secret, o->oauth_secret, "--oauth-client-secret-file", "TAILNET_OAUTH_CLIENT_SECRET_FILE", cfg,
		"oauth_client_secret_file", TN_DEFAULT_OAUTH_SECRET_FILE);
	resolve(&key, o->api_key, "--api-key-file", "TAILNET_API_KEY_FILE", cfg, "api_key_file",
		TN_DEFAULT_API_KEY_FILE);
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
		if (tn_secret_read(secret_path, "OAuth client secret file", &cred->client_secret, err) != 0)
			return -1;
		/* The id is optional, as for `tailscale up --auth-key=tskey-client-...`: the API knows the client
		 * from a tskey-client- secret alone, and the CLI sends a placeholder id (ts:feature/oauthkey/
		 * oauthkey.go resolveAuthKey, ClientID "some-client-id" // ignored; v1.98.0 to 1.103). */
		if (id.is_explicit || access(id_path, F_OK) == 0)
			return tn_secret_read(id_path, "OAuth client id file", &cred->client_id, err);
		if (strncmp(cred->client_secret.data, TN_OAUTH_SECRET_PREFIX, strlen(TN_OAUTH_SECRET_PREFIX)) != 0)
			return tn_error_set(err, TN_EXIT_CREDENTIALS,
					    "no OAuth client id file %s, and the secret in %s does not begin with "
					    "\"" TN_OAUTH_SECRET_PREFIX "\", which would name its client",
					    id_path, secret_path);
		tn_debug("credentials: no client id file; the tskey-client- secret names its client");
		return tn_secret_set(&cred->client_id, TN_OAUTH_PLACEHOLDER_ID, strlen(TN_OAUTH_PLACEHOLDER_ID), err);
	}
	tn_debug("credentials: API access token (file %s, from %s)", key_path, key.origin);
	return tn_secret_read(key_path, "API access token file", &cred->api_key, err);
}

static void join_tags(char **tags, size_t ntags, char *out, size_t size)
{
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < ntags && used < size; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", tags[i]);
}

int tn_mint_with_settings(const struct tn_mint_settings *o, struct tn_mint_outcome *out, struct tn_error *err)
{
	struct tn_config cfg = {0};
	struct tn_credentials cred = {0};
	struct tn_api api = {0};
	char **tags = NULL, ca_path[PATH_MAX], desc[TN_DESCRIPTION_MAX + 1];
	size_t ntags = 0;
	int rc = -1, curl_up = 0;

	memset(out, 0, sizeof *out);
	if (tn_config_load(&cfg, o->config, err) != 0)
		return -1;
	struct setting url, ca, tag_list;
	resolve(&url, o->api_url, "--api-url", "TAILNET_API_URL", &cfg, "api_url", TN_API_DEFAULT_URL);
	resolve(&ca, o->ca_file, "--ca-file", NULL, &cfg, "ca_file", NULL);
	resolve(&tag_list, o->tags, "--tags", NULL, &cfg, "tags", TN_DEFAULT_TAGS);
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

	if (load_credentials(o, &cfg, &cred, err) != 0)
		goto out;
	if (tn_api_global_init(err) != 0)
		goto out;
	curl_up = 1;
	if (tn_api_init(&api, err) != 0)
		goto out;
	tn_debug("API %s (from %s)", api.base_url, url.origin);
	if (tn_mint_key(&api, &cred, &req, &out->minted, err) != 0)
		goto out;
	out->kind = cred.kind;
	join_tags(tags, ntags, out->tags, sizeof out->tags);
	rc = 0;
out:
	tn_credentials_free(&cred);
	tn_api_close(&api);
	if (curl_up)
		tn_api_global_cleanup();
	tn_tags_free(tags, ntags);
	tn_config_free(&cfg);
	return rc;
}

void tn_mint_outcome_free(struct tn_mint_outcome *o)
{
	tn_minted_free(&o->minted);
}
