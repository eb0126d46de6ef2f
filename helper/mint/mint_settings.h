/* SPDX-License-Identifier: BSD-3-Clause */
/* mint_settings.h - from settings to a minted key: where options, the environment, the config file and the
 * defaults meet, shared by `mint-key` and `up` (which mints in process when the node needs a login).
 *
 * Contract: every field of struct tn_mint_settings left NULL falls back, in this order, to the environment
 * (TAILNET_API_URL, TAILNET_OAUTH_CLIENT_ID_FILE, TAILNET_OAUTH_CLIENT_SECRET_FILE, TAILNET_API_KEY_FILE),
 * the config file (config.h) and the built-in default. Credentials are only ever read from files
 * (secrets.h rules); an explicitly configured credential wins over a default file that merely exists, and
 * OAuth wins when both are explicit. An OAuth client is a secret file, and an id file unless the secret is a
 * tskey-client- secret (then the id file may be absent, as for the tailscale CLI). tn_mint_with_settings() resolves, reads the credentials, mints
 * (mint.h), and reports which credential it used and the key's tags, comma-separated, as they must be
 * advertised by `tailscale up --advertise-tags`. It initialises libcurl and jansson with the wiping
 * allocators itself, unless the caller already did (tn_api_global_init() first is what a caller that also
 * talks to tailscaled must do). Errors follow err.h, with the exit codes of api_client.h and mint.h.
 */
#ifndef TAILNET_MINT_SETTINGS_H
#define TAILNET_MINT_SETTINGS_H

#include <stdbool.h>

#include "mint/mint.h"
#include "shared/err.h"

#define TN_DEFAULT_OAUTH_ID_FILE "~/secrets/tailscale-oauth-client-id"
#define TN_DEFAULT_OAUTH_SECRET_FILE "~/secrets/tailscale-oauth-client-secret"
#define TN_DEFAULT_API_KEY_FILE "~/secrets/tailscale-api-key"
#define TN_DEFAULT_TAGS "tag:tazpod"
/* An OAuth client secret of this form names its client: no id file is needed with it. */
#define TN_OAUTH_SECRET_PREFIX "tskey-client-"
#define TN_OAUTH_PLACEHOLDER_ID "some-client-id" /* what `tailscale up` sends in its place */

struct tn_mint_settings {
	const char *config, *api_url, *ca_file, *oauth_id, *oauth_secret, *api_key, *tags;
	const char *description; /* NULL: tailnet-helper-<this machine's hostname> */
	long expiry, retries, timeout, connect_timeout;
	bool reusable, ephemeral, preauthorized;
};

/* The seed's operators' defaults: reusable, ephemeral, pre-authorized, one hour. */
#define TN_MINT_SETTINGS_DEFAULT                                                                           \
	{                                                                                                  \
		.expiry = 3600, .retries = 4, .timeout = 60, .connect_timeout = 10, .reusable = true,      \
		.ephemeral = true, .preauthorized = true                                                   \
	}

struct tn_mint_outcome {
	struct tn_minted minted;
	enum tn_cred_kind kind;
	char tags[1024]; /* "tag:a,tag:b", or "" */
};

int tn_mint_with_settings(const struct tn_mint_settings *s, struct tn_mint_outcome *out, struct tn_error *err);
void tn_mint_outcome_free(struct tn_mint_outcome *o);

#endif
