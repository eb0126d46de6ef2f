/* SPDX-License-Identifier: BSD-3-Clause */
/* status_brief.c - see status_brief.h. */
#include "tailscaled/status_brief.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static void copy_string(json_t *v, char *out, size_t size)
{
	const char *s = json_string_value(v);
	tn_error_printable(s ? s : "", out, size);
}

int tn_brief_parse(const char *text, size_t len, struct tn_brief *out, struct tn_error *err)
{
	memset(out, 0, sizeof *out);
	out->tun = -1;
	json_error_t jerr;
	json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "status is not JSON (line %d: %.80s)", jerr.line,
				    jerr.text);
	int rc = 0;
	json_t *state = json_is_object(doc) ? json_object_get(doc, "BackendState") : NULL;
	if (!json_is_string(state) || !json_string_length(state)) {
		rc = tn_error_set(err, TN_EXIT_BAD_ANSWER, "the status has no BackendState");
		goto out;
	}
	copy_string(state, out->backend_state, sizeof out->backend_state);
	json_t *tun = json_object_get(doc, "TUN");
	if (json_is_boolean(tun))
		out->tun = json_is_true(tun);
	copy_string(json_object_get(doc, "Version"), out->version, sizeof out->version);
	copy_string(json_object_get(doc, "AuthURL"), out->auth_url, sizeof out->auth_url);
	json_t *tailnet = json_object_get(doc, "CurrentTailnet");
	copy_string(json_object_get(tailnet, "Name"), out->tailnet, sizeof out->tailnet);
	copy_string(json_object_get(tailnet, "MagicDNSSuffix"), out->suffix, sizeof out->suffix);
	json_t *self = json_object_get(doc, "Self");
	copy_string(json_object_get(self, "DNSName"), out->self_fqdn, sizeof out->self_fqdn);
	size_t n = strlen(out->self_fqdn);
	if (n && out->self_fqdn[n - 1] == '.')
		out->self_fqdn[n - 1] = 0;
	copy_string(json_object_get(self, "HostName"), out->self_host, sizeof out->self_host);
	copy_string(json_array_get(json_object_get(self, "TailscaleIPs"), 0), out->self_ip, sizeof out->self_ip);
out:
	json_decref(doc);
	return rc;
}

int tn_brief_read(const struct tn_localapi *api, struct tn_brief *out, struct tn_error *err)
{
	char *body;
	size_t len;
	if (tn_localapi_get_body(api, "status?peers=false", TN_BRIEF_MAX_BYTES, &body, &len, err) != 0)
		return -1;
	int rc = tn_brief_parse(body, len, out, err);
	if (rc != 0)
		tn_error_wrap(err, "tailscaled at %s: ", api->socket);
	free(body);
	return rc;
}
