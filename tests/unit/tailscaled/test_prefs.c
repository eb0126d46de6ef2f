/* SPDX-License-Identifier: BSD-3-Clause */
/* test_prefs.c - tailscaled's prefs document (prefs.c): the fields `up` carries, Go's zero values for absent
 * ones, refusal of what cannot go on a command line, and what a login must put back (tn_prefs_restore). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tailscaled/prefs.h"
#include "unit.h"

/* ipn.Prefs as the LocalAPI writes it at v1.102.3 (ts:ipn/prefs.go field order), a logged-in tagged node. */
static const char running_1_102[] =
    "{\n\t\"ControlURL\": \"https://controlplane.tailscale.com\",\n\t\"RouteAll\": true,\n\t\"ExitNodeID\": \"\",\n"
    "\t\"ExitNodeIP\": \"100.101.33.8\",\n\t\"InternalExitNodePrior\": \"\",\n\t\"ExitNodeAllowLANAccess\": true,\n"
    "\t\"CorpDNS\": false,\n\t\"RunSSH\": true,\n\t\"RunWebClient\": false,\n\t\"WantRunning\": true,\n"
    "\t\"LoggedOut\": false,\n\t\"ShieldsUp\": false,\n\t\"AdvertiseTags\": [\n\t\t\"tag:tazpod\",\n\t\t\"tag:ci\"\n\t],\n"
    "\t\"Hostname\": \"tazpod-1\",\n\t\"NotepadURLs\": false,\n\t\"AdvertiseRoutes\": [\n\t\t\"0.0.0.0/0\",\n"
    "\t\t\"::/0\",\n\t\t\"10.0.42.0/24\"\n\t],\n\t\"AdvertiseServices\": null,\n\t\"Sync\": null,\n\t\"NoSNAT\": true,\n"
    "\t\"NoStatefulFiltering\": false,\n\t\"NetfilterMode\": 1,\n\t\"OperatorUser\": \"alice\",\n"
    "\t\"AutoUpdate\": {\n\t\t\"Check\": true,\n\t\t\"Apply\": null\n\t},\n\t\"AppConnector\": {\n\t\t\"Advertise\": true\n\t},\n"
    "\t\"PostureChecking\": true,\n\t\"NetfilterKind\": \"\",\n\t\"RemoteConfig\": false,\n\t\"DriveShares\": null,\n"
    "\t\"Config\": {\n\t\t\"PrivateNodeKey\": \"privkey:0000\",\n\t\t\"UserProfile\": {\n\t\t\t\"ID\": 1,\n"
    "\t\t\t\"LoginName\": \"tagged-devices\",\n\t\t\t\"DisplayName\": \"tagged-devices\"\n\t\t},\n\t\t\"NodeID\": \"n1\"\n\t}\n}\n";

static int parse(const char *text, struct tn_prefs *p, struct tn_error *err)
{
	return tn_prefs_parse(text, strlen(text), p, err);
}

START_TEST(reads_every_carried_field)
{
	struct tn_prefs p;
	struct tn_error err = {0};
	ck_assert_int_eq(parse(running_1_102, &p, &err), 0);
	ck_assert_str_eq(p.control_url, "https://controlplane.tailscale.com");
	ck_assert(p.route_all && p.exit_node_allow_lan && !p.corp_dns && p.run_ssh && !p.shields_up);
	ck_assert_str_eq(p.exit_node_ip, "100.101.33.8");
	ck_assert_str_eq(p.exit_node_id, "");
	ck_assert_str_eq(p.auto_exit_node, "");
	ck_assert_str_eq(p.tags, "tag:tazpod,tag:ci");
	ck_assert_str_eq(p.hostname, "tazpod-1");
	ck_assert_str_eq(p.routes, "0.0.0.0/0,::/0,10.0.42.0/24");
	ck_assert(p.no_snat && p.app_connector && p.posture_checking);
	ck_assert_int_eq(p.no_stateful_filtering, TN_OPT_FALSE);
	ck_assert_int_eq(p.netfilter_mode, 1);
	ck_assert_str_eq(p.operator_user, "alice");
	ck_assert_str_eq(p.login_name, "tagged-devices");
}
END_TEST

/* encoding/json into a zero Prefs: absent fields are zero values; null leaves a string empty; an opt.Bool
 * that is absent or null is unset. */
START_TEST(absent_fields_are_zero)
{
	struct tn_prefs p;
	struct tn_error err = {0};
	ck_assert_int_eq(parse("{}", &p, &err), 0);
	ck_assert_str_eq(p.control_url, "");
	ck_assert(!p.corp_dns && !p.run_ssh);
	ck_assert_int_eq(p.netfilter_mode, 0);
	ck_assert_int_eq(p.no_stateful_filtering, TN_OPT_UNSET);
	ck_assert_str_eq(p.login_name, "");
	ck_assert_int_eq(parse("{\"ControlURL\": null, \"NoStatefulFiltering\": null, \"AdvertiseTags\": null,"
			       " \"Config\": null, \"AppConnector\": null}",
			       &p, &err),
			 0);
	ck_assert_int_eq(p.no_stateful_filtering, TN_OPT_UNSET);
	ck_assert_int_eq(parse("{\"NoStatefulFiltering\": true}", &p, &err), 0);
	ck_assert_int_eq(p.no_stateful_filtering, TN_OPT_TRUE);
}
END_TEST

START_TEST(refuses_what_cannot_be_carried)
{
	static const char *const bad[][2] = {
	    {"[]", "not a JSON object"},
	    {"{\"RunSSH\": \"yes\"}", "RunSSH is not true or false"},
	    {"{\"Hostname\": 7}", "Hostname is not a string"},
	    {"{\"Hostname\": \"a\\nb\"}", "Hostname holds a control character"},
	    {"{\"AdvertiseTags\": \"tag:x\"}", "AdvertiseTags is not a list"},
	    {"{\"AdvertiseTags\": [\"tag:a,tag:b\"]}", "AdvertiseTags holds something"},
	    {"{\"AdvertiseRoutes\": [7]}", "AdvertiseRoutes holds something"},
	    {"{\"NetfilterMode\": 3}", "NetfilterMode is not 0, 1 or 2"},
	    {"{\"NetfilterMode\": \"on\"}", "NetfilterMode is not 0, 1 or 2"},
	    {"{\"NoStatefulFiltering\": \"true\"}", "NoStatefulFiltering is not true, false or null"},
	    {"{\"Config\": []}", "Config is not an object"},
	    {"{\"RunSSH\": true, \"RunSSH\": false}", "not JSON"},
	    {"{\"ControlURL\": \"", "not JSON"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tn_prefs p;
		struct tn_error err = {0};
		ck_assert_int_eq(parse(bad[i][0], &p, &err), -1);
		ck_assert_int_eq(err.code, TN_EXIT_BAD_ANSWER);
		ck_assert_msg(strstr(err.msg, bad[i][1]), "%s: %s", bad[i][0], err.msg);
	}
	/* Too long for its field: refused, never cut. */
	char doc[600] = "{\"Hostname\": \"";
	memset(doc + strlen(doc), 'a', 300);
	strcat(doc, "\"}");
	struct tn_prefs p;
	struct tn_error err = {0};
	ck_assert_int_eq(parse(doc, &p, &err), -1);
	ck_assert(strstr(err.msg, "Hostname is too long"));
}
END_TEST

static json_t *masked_of(const char *before, const char *after, int want, const char *names_want)
{
	char *masked, names[256];
	struct tn_error err = {0};
	ck_assert_int_eq(tn_prefs_restore(before, after, &masked, names, sizeof names, &err), want);
	ck_assert_str_eq(names, names_want);
	if (!want) {
		ck_assert_ptr_null(masked);
		return NULL;
	}
	json_t *m = json_loads(masked, 0, NULL);
	free(masked);
	ck_assert_ptr_nonnull(m);
	return m;
}

START_TEST(restores_what_up_cannot_carry)
{
	/* Unchanged, absent, or null against absent: nothing to do. */
	json_decref(masked_of("{\"RunWebClient\": true, \"Sync\": null}", "{\"RunWebClient\": true}", 0, ""));
	json_decref(masked_of("{}", "{\"RunWebClient\": true}", 0, ""));
	json_t *m = masked_of("{\"RunWebClient\": true, \"RelayServerPort\": 40000, \"RunSSH\": true,"
			      " \"AutoUpdate\": {\"Check\": false, \"Apply\": true}}",
			      "{\"RunWebClient\": false, \"RunSSH\": false, \"AutoUpdate\": {\"Check\": false, \"Apply\": null}}",
			      3, "RunWebClient,RelayServerPort,AutoUpdate.Apply");
	ck_assert(json_is_true(json_object_get(m, "RunWebClient")) && json_is_true(json_object_get(m, "RunWebClientSet")));
	ck_assert_int_eq(json_integer_value(json_object_get(m, "RelayServerPort")), 40000);
	ck_assert(!json_object_get(m, "RunSSH")); /* up's own flags carry that one */
	json_t *au = json_object_get(m, "AutoUpdate"), *au_set = json_object_get(m, "AutoUpdateSet");
	ck_assert(json_is_true(json_object_get(au, "Apply")) && json_is_true(json_object_get(au_set, "ApplySet")));
	ck_assert_ptr_null(json_object_get(au_set, "CheckSet"));
	json_decref(m);
	/* An exit node by ID comes back only when the login left none. */
	m = masked_of("{\"ExitNodeID\": \"nX\"}", "{\"ExitNodeID\": \"\", \"ExitNodeIP\": \"\"}", 1, "ExitNodeID");
	ck_assert_str_eq(json_string_value(json_object_get(m, "ExitNodeID")), "nX");
	json_decref(m);
	json_decref(masked_of("{\"ExitNodeID\": \"nX\"}", "{\"ExitNodeIP\": \"100.64.0.9\"}", 0, ""));
	char *masked, names[16];
	struct tn_error err = {0};
	ck_assert_int_eq(tn_prefs_restore("[]", "{}", &masked, names, sizeof names, &err), -1);
	ck_assert_int_eq(tn_prefs_restore("{}", "nope", &masked, names, sizeof names, &err), -1);
}
END_TEST

static Suite *prefs_suite(void)
{
	Suite *s = suite_create("prefs");
	TCase *tc = tcase_create("prefs");
	tcase_add_test(tc, reads_every_carried_field);
	tcase_add_test(tc, absent_fields_are_zero);
	tcase_add_test(tc, refuses_what_cannot_be_carried);
	tcase_add_test(tc, restores_what_up_cannot_carry);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(prefs_suite)
