/* SPDX-License-Identifier: BSD-3-Clause */
/* prefs.c - see prefs.h. */
#include "tailscaled/prefs.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	json_t *doc;
	struct tn_error *err;
	int failed;
};

static void bad(struct reader *r, const char *field, const char *why)
{
	if (!r->failed)
		tn_error_set(r->err, TN_EXIT_BAD_ANSWER, "tailscaled's prefs: %s %s", field, why);
	r->failed = 1;
}

static bool get_bool(struct reader *r, json_t *obj, const char *field)
{
	json_t *v = json_object_get(obj, field);
	if (v && !json_is_boolean(v) && !json_is_null(v))
		bad(r, field, "is not true or false");
	return json_is_true(v);
}

/* Printable text that fits: the values end up on `tailscale up`'s command line and in messages. */
static bool fits(struct reader *r, const char *field, const char *s, size_t len, size_t size)
{
	if (len >= size) {
		bad(r, field, "is too long");
		return false;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			bad(r, field, "holds a control character");
			return false;
		}
	return true;
}

/* A JSON null leaves a Go string as it was, the zero value here. */
static void get_string(struct reader *r, json_t *obj, const char *field, char *out, size_t size)
{
	json_t *v = json_object_get(obj, field);
	out[0] = '\0';
	if (!v || json_is_null(v))
		return;
	if (!json_is_string(v)) {
		bad(r, field, "is not a string");
		return;
	}
	if (fits(r, field, json_string_value(v), json_string_length(v), size))
		memcpy(out, json_string_value(v), json_string_length(v) + 1);
}

/* A list of strings (null: none), comma-joined as `tailscale up` takes it. */
static void get_list(struct reader *r, const char *field, char *out, size_t size)
{
	json_t *v = json_object_get(r->doc, field), *item;
	size_t used = 0, i;
	out[0] = '\0';
	if (!v || json_is_null(v))
		return;
	if (!json_is_array(v)) {
		bad(r, field, "is not a list");
		return;
	}
	json_array_foreach(v, i, item) {
		const char *s = json_string_value(item);
		size_t n = json_string_length(item);
		if (!s || !n || memchr(s, ',', n)) {
			bad(r, field, "holds something that is not a tag or prefix");
			return;
		}
		if (!fits(r, field, s, n, size) || used + 1 + n >= size) {
			if (!r->failed)
				bad(r, field, "is too long");
			return;
		}
		if (used)
			out[used++] = ',';
		memcpy(out + used, s, n + 1);
		used += n;
	}
}

int tn_prefs_parse(const char *text, size_t len, struct tn_prefs *out, struct tn_error *err)
{
	memset(out, 0, sizeof *out);
	json_error_t jerr;
	struct reader r = {json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), err, 0};
	if (!r.doc)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "tailscaled's prefs are not JSON (line %d: %.80s)",
				    jerr.line, jerr.text);
	if (!json_is_object(r.doc)) {
		json_decref(r.doc);
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "tailscaled's prefs are not a JSON object");
	}
	json_t *d = r.doc;
	get_string(&r, d, "ControlURL", out->control_url, sizeof out->control_url);
	out->route_all = get_bool(&r, d, "RouteAll");
	get_string(&r, d, "ExitNodeID", out->exit_node_id, sizeof out->exit_node_id);
	get_string(&r, d, "ExitNodeIP", out->exit_node_ip, sizeof out->exit_node_ip);
	get_string(&r, d, "AutoExitNode", out->auto_exit_node, sizeof out->auto_exit_node);
	out->exit_node_allow_lan = get_bool(&r, d, "ExitNodeAllowLANAccess");
	out->corp_dns = get_bool(&r, d, "CorpDNS");
	out->run_ssh = get_bool(&r, d, "RunSSH");
	out->shields_up = get_bool(&r, d, "ShieldsUp");
	get_list(&r, "AdvertiseTags", out->tags, sizeof out->tags);
	get_string(&r, d, "Hostname", out->hostname, sizeof out->hostname);
	get_list(&r, "AdvertiseRoutes", out->routes, sizeof out->routes);
	out->no_snat = get_bool(&r, d, "NoSNAT");
	/* opt.Bool (ts:types/opt/bool.go UnmarshalJSON): true, false, or null; omitted when "". */
	json_t *nsf = json_object_get(d, "NoStatefulFiltering");
	out->no_stateful_filtering = json_is_true(nsf) ? TN_OPT_TRUE : json_is_false(nsf) ? TN_OPT_FALSE : TN_OPT_UNSET;
	if (nsf && !json_is_boolean(nsf) && !json_is_null(nsf))
		bad(&r, "NoStatefulFiltering", "is not true, false or null");
	/* preftype.NetfilterMode: 0 off, 1 nodivert, 2 on (ts:types/preftype/netfiltermode.go). */
	json_t *nf = json_object_get(d, "NetfilterMode");
	out->netfilter_mode = nf ? (int)json_integer_value(nf) : 0;
	if (nf && (!json_is_integer(nf) || json_integer_value(nf) < 0 || json_integer_value(nf) > 2))
		bad(&r, "NetfilterMode", "is not 0, 1 or 2");
	get_string(&r, d, "OperatorUser", out->operator_user, sizeof out->operator_user);
	json_t *ac = json_object_get(d, "AppConnector");
	if (ac && !json_is_object(ac) && !json_is_null(ac))
		bad(&r, "AppConnector", "is not an object");
	out->app_connector = get_bool(&r, ac, "Advertise");
	out->posture_checking = get_bool(&r, d, "PostureChecking");
	json_t *config = json_object_get(d, "Config"), *profile = json_object_get(config, "UserProfile");
	if ((config && !json_is_object(config) && !json_is_null(config)) ||
	    (profile && !json_is_object(profile) && !json_is_null(profile)))
		bad(&r, "Config", "is not an object");
	get_string(&r, profile, "LoginName", out->login_name, sizeof out->login_name);
	json_decref(r.doc);
	return r.failed ? -1 : 0;
}

int tn_prefs_read(const struct tn_localapi *api, struct tn_prefs *out, char **raw, struct tn_error *err)
{
	char *body;
	size_t len;
	if (tn_localapi_get_body(api, "prefs", TN_PREFS_MAX_BYTES, &body, &len, err) != 0)
		return -1;
	int rc = tn_prefs_parse(body, len, out, err);
	if (rc != 0)
		tn_error_wrap(err, "tailscaled at %s: ", api->socket);
	if (rc == 0 && raw)
		*raw = body;
	else
		free(body);
	return rc;
}

/* The prefs `tailscale up` has no flag for (ipn.Prefs fields; MaskedPrefs has a <Field>Set for each). */
static const char *const set_only[] = {"RunWebClient", "AdvertiseServices", "Sync", "NetfilterKind", "RemoteConfig",
				       "DriveShares", "RelayServerPort", "RelayServerStaticEndpoints"};

static json_t *load_object(const char *text, const char *what, struct tn_error *err)
{
	json_t *doc = json_loads(text, 0, NULL);
	if (!json_is_object(doc)) {
		json_decref(doc);
		tn_error_set(err, TN_EXIT_BAD_ANSWER, "tailscaled's prefs %s the login are not a JSON object", what);
		return NULL;
	}
	return doc;
}

static void note(char *names, size_t size, const char *name)
{
	size_t used = strlen(names);
	if (used < size)
		snprintf(names + used, size - used, "%s%s", used ? "," : "", name);
}

/* Absent and null are the same to Go's decoder (the field keeps its zero value). */
static bool same(json_t *a, json_t *b)
{
	return (json_is_null(a) || !a) ? (json_is_null(b) || !b) : json_equal(a, b);
}

int tn_prefs_restore(const char *before, const char *after, char **masked, char *names, size_t names_size,
		     struct tn_error *err)
{
	*masked = NULL;
	names[0] = '\0';
	json_t *b = load_object(before, "before", err), *a = b ? load_object(after, "after", err) : NULL;
	json_t *m = json_object();
	int n = -1;
	if (!a || !m)
		goto out;
	n = 0;
	for (size_t i = 0; i < sizeof set_only / sizeof set_only[0]; i++) {
		json_t *old = json_object_get(b, set_only[i]);
		if (!old || same(old, json_object_get(a, set_only[i])))
			continue; /* RemoteConfig is absent before 1.102 */
		char set[64];
		snprintf(set, sizeof set, "%sSet", set_only[i]);
		json_object_set(m, set_only[i], old);
		json_object_set_new(m, set, json_true());
		note(names, names_size, set_only[i]);
		n++;
	}
	json_t *au_old = json_object_get(b, "AutoUpdate"), *au_new = json_object_get(a, "AutoUpdate");
	json_t *au = json_object(), *au_set = json_object();
	static const char *const au_fields[] = {"Check", "Apply"};
	for (size_t i = 0; au && au_set && json_is_object(au_old) && i < 2; i++) {
		json_t *old = json_object_get(au_old, au_fields[i]);
		json_object_set(au, au_fields[i], old ? old : json_null());
		if (!old || same(old, json_object_get(au_new, au_fields[i])))
			continue;
		char set[32], name[32];
		snprintf(set, sizeof set, "%sSet", au_fields[i]);
		snprintf(name, sizeof name, "AutoUpdate.%s", au_fields[i]);
		json_object_set_new(au_set, set, json_true());
		note(names, names_size, name);
		n++;
	}
	if (json_object_size(au_set)) {
		json_object_set(m, "AutoUpdate", au);
		json_object_set(m, "AutoUpdateSet", au_set);
	}
	json_decref(au);
	json_decref(au_set);
	/* An exit node held by its ID that the login could not carry (no address known for it): the login left
	 * no exit node at all. */
	json_t *id = json_object_get(b, "ExitNodeID");
	if (json_string_length(id) && !json_string_length(json_object_get(a, "ExitNodeID")) &&
	    !json_string_length(json_object_get(a, "ExitNodeIP")) && !json_string_length(json_object_get(a, "AutoExitNode"))) {
		json_object_set(m, "ExitNodeID", id);
		json_object_set_new(m, "ExitNodeIDSet", json_true());
		note(names, names_size, "ExitNodeID");
		n++;
	}
	if (n > 0 && !(*masked = json_dumps(m, JSON_COMPACT)))
		n = tn_error_set(err, TN_EXIT_FAIL, "out of memory");
out:
	json_decref(a);
	json_decref(b);
	json_decref(m);
	return n;
}
