/* SPDX-License-Identifier: BSD-3-Clause */
/* mint.c - see mint.h. */
#include "mint/mint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "shared/log.h"

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool tn_tag_valid(const char *tag)
{
	if (strncmp(tag, "tag:", 4) != 0)
		return false;
	const char *n = tag + 4;
	if (!((n[0] >= 'a' && n[0] <= 'z') || (n[0] >= 'A' && n[0] <= 'Z')))
		return false;
	for (; *n; n++)
		if (!alnum(*n) && *n != '-')
			return false;
	return true;
}

void tn_tags_free(char **tags, size_t ntags)
{
	for (size_t i = 0; i < ntags; i++)
		free(tags[i]);
	free(tags);
}

int tn_parse_tags(const char *list, char ***tags, size_t *ntags, struct tn_error *err)
{
	*tags = NULL;
	*ntags = 0;
	for (const char *p = list;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		size_t n = strcspn(p, ",");
		size_t t = n;
		while (t && (p[t - 1] == ' ' || p[t - 1] == '\t'))
			t--;
		if (!t && (p[n] == ',' || *ntags)) {
			tn_tags_free(*tags, *ntags);
			return tn_error_set(err, TN_EXIT_USAGE, "empty tag in the list \"%.100s\"", list);
		}
		if (t) {
			char *tag = strndup(p, t), **grown = NULL;
			if (tag && !tn_tag_valid(tag)) {
				tn_error_set(err, TN_EXIT_USAGE,
					     "invalid tag \"%.64s\": tags look like tag:NAME (a letter, "
					     "then letters, digits, dashes)",
					     tag);
				free(tag);
				tn_tags_free(*tags, *ntags);
				return -1;
			}
			bool dup = false;
			for (size_t i = 0; tag && i < *ntags; i++)
				dup = dup || !strcmp((*tags)[i], tag);
			if (tag && !dup)
				grown = realloc(*tags, (*ntags + 1) * sizeof *grown);
			if (!tag || (!dup && !grown)) {
				free(tag);
				tn_tags_free(*tags, *ntags);
				return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
			}
			if (dup) {
				free(tag);
			} else {
				*tags = grown;
				(*tags)[(*ntags)++] = tag;
			}
		}
		if (p[n] != ',')
			return 0;
		p += n + 1;
	}
}

bool tn_description_valid(const char *d)
{
	size_t n = strlen(d);
	if (n < 1 || n > TN_DESCRIPTION_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(d[i]) && d[i] != '-')
			return false;
	return true;
}

void tn_default_description(const char *hostname, char out[TN_DESCRIPTION_MAX + 1])
{
	static const char prefix[] = "tailnet-helper";
	size_t o = sizeof prefix - 1;
	memcpy(out, prefix, o);
	if (hostname && *hostname && o + 1 < TN_DESCRIPTION_MAX) {
		out[o++] = '-';
		for (const char *h = hostname; *h && o < TN_DESCRIPTION_MAX; h++)
			out[o++] = alnum(*h) ? *h : '-';
	}
	out[o] = '\0';
}

char *tn_key_request_body(const struct tn_key_request *req)
{
	json_t *tags = json_array();
	for (size_t i = 0; tags && i < req->ntags; i++)
		if (json_array_append_new(tags, json_string(req->tags[i])) != 0) {
			json_decref(tags);
			return NULL;
		}
	if (!tags)
		return NULL;
	/* "o" steals the tags reference, also when json_pack fails. */
	json_t *body =
	    json_pack("{s:{s:{s:{s:b,s:b,s:b,s:o}}},s:I,s:s}", "capabilities", "devices", "create", "reusable",
		      req->reusable, "ephemeral", req->ephemeral, "preauthorized", req->preauthorized, "tags", tags,
		      "expirySeconds", (json_int_t)req->expiry_seconds, "description", req->description);
	if (!body)
		return NULL;
	char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(body);
	return text;
}

/* Copies the credential in `field` into `out`: it must be non-empty printable ASCII without blanks, since it
 * is printed on a line of its own or sent on in a header. */
static int take_credential(json_t *root, const char *what, const char *field, struct tn_secret *out,
			   struct tn_error *err)
{
	json_t *v = json_object_get(root, field);
	const char *s = json_string_value(v);
	if (!v)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s has no \"%s\" field", what, field);
	bool ok = s && *s && strlen(s) <= TN_SECRET_MAX;
	for (const char *p = s; ok && *p; p++)
		ok = (unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f;
	if (!ok)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s: \"%s\" is not a usable token", what, field);
	return tn_secret_set(out, s, strlen(s), err);
}

int tn_parse_token_answer(const struct tn_api_response *resp, struct tn_secret *token, struct tn_error *err)
{
	json_t *root;
	if (tn_api_json_object(resp, "OAuth token answer", &root, err) != 0)
		return -1;
	const char *type = json_string_value(json_object_get(root, "token_type"));
	int rc = type && strcasecmp(type, "bearer") != 0
		     ? tn_error_set(err, TN_EXIT_BAD_ANSWER, "OAuth token answer: token_type is not Bearer")
		     : take_credential(root, "OAuth token answer", "access_token", token, err);
	json_decref(root);
	return rc;
}

int tn_parse_key_answer(const struct tn_api_response *resp, struct tn_minted *out, struct tn_error *err)
{
	json_t *root;
	if (tn_api_json_object(resp, "key answer", &root, err) != 0)
		return -1;
	if (take_credential(root, "key answer", "key", &out->key, err) != 0) {
		json_decref(root);
		return -1;
	}
	json_object_del(root, "key");
	out->info = root;
	return 0;
}

void tn_minted_free(struct tn_minted *m)
{
	tn_secret_free(&m->key);
	json_decref(m->info);
	m->info = NULL;
}

void tn_credentials_free(struct tn_credentials *c)
{
	tn_secret_free(&c->client_id);
	tn_secret_free(&c->client_secret);
	tn_secret_free(&c->api_key);
}

/* Why an error answer most likely happened, in the operator's terms. */
static const char *hint(const char *path, long status, const char *msg, enum tn_cred_kind kind)
{
	bool oauth = kind == TN_CRED_OAUTH, token = !strcmp(path, TN_TOKEN_PATH);
	if (status == 400 && strstr(msg, "tags"))
		return oauth ? "the tags must match the OAuth client's tags, or be tags those own"
			     : "the tags must be owned by the API token's user (tagOwners in the tailnet policy)";
	if (status == 401)
		return token   ? "check the OAuth client id and secret files"
		       : oauth ? "the access token was refused"
			       : "check the API access token; it may have expired";
	if (status == 403)
		return oauth ? "the OAuth client needs the auth_keys scope"
			     : "the API token's user may not create auth keys";
	return NULL;
}

static void redact_all(struct tn_error *err, const struct tn_credentials *cred, const struct tn_secret *token)
{
	const struct tn_secret *all[] = {&cred->client_secret, &cred->api_key, token, &cred->client_id};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		tn_secret_redact(err->msg, sizeof err->msg, all[i]);
}

static int post(struct tn_api *api, struct tn_api_request *rq, const struct tn_credentials *cred,
		struct tn_api_response *resp, struct tn_error *err)
{
	if (tn_api_post(api, rq, resp, err) == 0)
		return 0;
	const char *h = resp->status ? hint(rq->path, resp->status, err->msg, cred->kind) : NULL;
	if (h) {
		size_t n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, " (%s)", h);
	}
	return -1;
}

int tn_mint_key(struct tn_api *api, const struct tn_credentials *cred, const struct tn_key_request *req,
		struct tn_minted *out, struct tn_error *err)
{
	struct tn_secret token = {0};
	struct tn_api_response resp = {0};
	char *body = NULL;
	int rc = -1;
	memset(out, 0, sizeof *out);

	if (cred->kind == TN_CRED_OAUTH && !req->ntags)
		return tn_error_set(err, TN_EXIT_USAGE,
				    "keys minted with an OAuth client must carry tags: "
				    "give --tags with the OAuth client's tags (e.g. --tags tag:tazpod)");
	struct tn_api_request rq = {.path = TN_KEYS_PATH, .content_type = "application/json"};
	if (cred->kind == TN_CRED_OAUTH) {
		static const char grant[] = "grant_type=client_credentials";
		struct tn_api_request tr = {.path = TN_TOKEN_PATH,
					    .content_type = "application/x-www-form-urlencoded",
					    .body = grant,
					    .body_len = sizeof grant - 1,
					    .auth = TN_AUTH_BASIC,
					    .user = &cred->client_id,
					    .password = &cred->client_secret};
		if (post(api, &tr, cred, &resp, err) != 0 || tn_parse_token_answer(&resp, &token, err) != 0)
			goto out;
		tn_debug("OAuth access token obtained (%d attempt%s)", resp.attempts, resp.attempts == 1 ? "" : "s");
		tn_api_response_free(&resp);
		rq.auth = TN_AUTH_BEARER;
		rq.token = &token;
	} else {
		rq.auth = TN_AUTH_BASIC;
		rq.user = &cred->api_key;
	}

	if (!(body = tn_key_request_body(req))) {
		tn_error_set(err, TN_EXIT_FAIL, "out of memory");
		goto out;
	}
	rq.body = body;
	rq.body_len = strlen(body);
	if (post(api, &rq, cred, &resp, err) != 0 || tn_parse_key_answer(&resp, out, err) != 0)
		goto out;
	const char *id = json_string_value(json_object_get(out->info, "id"));
	tn_debug("auth key %s minted (%d attempt%s)", id ? id : "(no id)", resp.attempts,
		 resp.attempts == 1 ? "" : "s");
	rc = 0;
out:
	if (rc != 0)
		redact_all(err, cred, &token);
	tn_api_response_free(&resp);
	tn_wipe_free(body);
	tn_secret_free(&token);
	return rc;
}
