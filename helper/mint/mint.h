/* SPDX-License-Identifier: BSD-3-Clause */
/* mint.h - minting a Tailscale auth key: OAuth client-credentials grant, then POST /api/v2/tailnet/-/keys.
 *
 * Contract: with an OAuth client, tn_mint_key() first exchanges id and secret (HTTP Basic, form body
 * grant_type=client_credentials, as golang.org/x/oauth2 sends them) for a one-hour access token at
 * /api/v2/oauth/token and uses it as a Bearer token; with an API access token it uses HTTP Basic "key:".
 * Keys minted through OAuth belong to the tailnet and must carry tags (the OAuth client's, or tags those own):
 * an empty tag list is refused before any request. The request body holds exactly capabilities.devices.create
 * {reusable, ephemeral, preauthorized, tags}, expirySeconds and description. The minted key lands in a
 * struct tn_secret; the rest of the answer (id, created, expires, capabilities, ...) in a JSON object without
 * it. Error messages add a hint for the usual causes (tags, scope, expired credentials) and never contain a
 * credential: the client id and secret, API token and access token are redacted from them as a last resort.
 * Errors follow err.h (exit codes as in api_client.h; TN_EXIT_USAGE for a request refused locally).
 */
#ifndef TAILNET_MINT_H
#define TAILNET_MINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mint/api_client.h"
#include "shared/err.h"
#include "shared/secrets.h"

#define TN_TOKEN_PATH "/api/v2/oauth/token"
#define TN_KEYS_PATH "/api/v2/tailnet/-/keys"
#define TN_DESCRIPTION_MAX 50
#define TN_EXPIRY_MAX (90L * 24 * 3600) /* the API's own default and longest */

struct tn_key_request {
	bool reusable, ephemeral, preauthorized;
	char **tags;
	size_t ntags;
	long expiry_seconds;
	const char *description;
};

enum tn_cred_kind { TN_CRED_OAUTH, TN_CRED_API_KEY };

struct tn_credentials {
	enum tn_cred_kind kind;
	struct tn_secret client_id, client_secret; /* TN_CRED_OAUTH */
	struct tn_secret api_key;                  /* TN_CRED_API_KEY */
};

struct tn_minted {
	struct tn_secret key;
	json_t *info; /* the answer without "key" */
};

int tn_mint_key(struct tn_api *api, const struct tn_credentials *cred, const struct tn_key_request *req,
		struct tn_minted *out, struct tn_error *err);
void tn_minted_free(struct tn_minted *m);
void tn_credentials_free(struct tn_credentials *c);

/* Pure parts, exposed for the unit tests and the fuzzer. */

/* The JSON body (compact, fields in a fixed order); free with tn_wipe_free(). NULL when out of memory. */
char *tn_key_request_body(const struct tn_key_request *req);
int tn_parse_token_answer(const struct tn_api_response *resp, struct tn_secret *token, struct tn_error *err);
int tn_parse_key_answer(const struct tn_api_response *resp, struct tn_minted *out, struct tn_error *err);

/* "tag:" then a letter, then letters, digits and dashes (Tailscale's rule). */
bool tn_tag_valid(const char *tag);
/* Splits a comma-separated list (blanks around items ignored, duplicates dropped, "" = no tags) and checks
 * every tag. Free with tn_tags_free(). */
int tn_parse_tags(const char *list, char ***tags, size_t *ntags, struct tn_error *err);
void tn_tags_free(char **tags, size_t ntags);

/* 1 to TN_DESCRIPTION_MAX characters from [A-Za-z0-9-]. */
bool tn_description_valid(const char *d);
/* "tailnet-helper-<hostname>" with every other character turned into '-', cut to TN_DESCRIPTION_MAX. */
void tn_default_description(const char *hostname, char out[TN_DESCRIPTION_MAX + 1]);

#endif
