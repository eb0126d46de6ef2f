/* SPDX-License-Identifier: BSD-3-Clause */
/* test_up_flags.c - the flags that keep a node's settings through `tailscale up` (up_flags.c): prefsToFlags
 * run the other way, one setting at a time, and the order and replacement rules of the flag list. */
#include <string.h>

#include "unit.h"
#include "up/up_flags.h"

/* The prefs of a node after a plain `tailscale up` on Linux: nothing to carry. */
static struct tn_prefs defaults(void)
{
	struct tn_prefs p;
	memset(&p, 0, sizeof p);
	strcpy(p.control_url, "https://controlplane.tailscale.com");
	p.corp_dns = true;
	p.no_stateful_filtering = TN_OPT_TRUE;
	p.netfilter_mode = 2;
	return p;
}

static const char *joined(const struct tn_up_flags *f, char *out, size_t size)
{
	out[0] = '\0';
	for (int i = 0; i < f->count; i++) {
		strncat(out, i ? " " : "", size - strlen(out) - 1);
		strncat(out, f->arg[i], size - strlen(out) - 1);
	}
	return out;
}

static const char *carry(const struct tn_prefs *p, const char *exit_ip, char *out, size_t size)
{
	struct tn_up_flags f = {0};
	struct tn_error err = {0};
	ck_assert_int_eq(tn_up_carry_flags(p, exit_ip, &f, &err), 0);
	return joined(&f, out, size);
}

START_TEST(defaults_carry_nothing)
{
	char buf[4096];
	struct tn_prefs p = defaults();
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), "");
	strcpy(p.control_url, "https://login.tailscale.com"); /* ipn.IsLoginServerSynonym */
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), "");
	p.no_stateful_filtering = TN_OPT_UNSET; /* prefsToFlags: unset means enabled, and the checker waives it */
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), "");
	/* Never logged in: nothing is checked, nothing carried, whatever the prefs say. */
	memset(&p, 0, sizeof p);
	p.run_ssh = true;
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), "");
}
END_TEST

START_TEST(each_setting_its_flag)
{
	char buf[4096];
	struct tn_prefs p = defaults();
	p.corp_dns = false;
	p.route_all = p.app_connector = p.run_ssh = p.shields_up = p.posture_checking = p.no_snat = true;
	strcpy(p.routes, "0.0.0.0/0,::/0,10.0.42.0/24,fd00::/64");
	strcpy(p.tags, "tag:a,tag:b");
	strcpy(p.hostname, "h1");
	strcpy(p.control_url, "https://hs.example.com");
	p.netfilter_mode = 0;
	strcpy(p.operator_user, "alice");
	p.no_stateful_filtering = TN_OPT_FALSE;
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf),
			 "--accept-dns=false --accept-routes --advertise-connector --advertise-exit-node "
			 "--advertise-routes=10.0.42.0/24,fd00::/64 --advertise-tags=tag:a,tag:b --hostname=h1 "
			 "--login-server=https://hs.example.com --netfilter-mode=off --operator=alice --report-posture "
			 "--shields-up --snat-subnet-routes=false --ssh --stateful-filtering");
	/* One exit route alone is not an exit node (tsaddr.ContainsExitRoutes): it stays a route. */
	p = defaults();
	strcpy(p.routes, "0.0.0.0/0,10.1.0.0/16");
	p.netfilter_mode = 1;
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), "--advertise-routes=0.0.0.0/0,10.1.0.0/16 --netfilter-mode=nodivert");
}
END_TEST

START_TEST(exit_nodes)
{
	char buf[4096];
	struct tn_prefs p = defaults();
	strcpy(p.exit_node_ip, "100.64.0.7");
	p.exit_node_allow_lan = true;
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), "--exit-node=100.64.0.7 --exit-node-allow-lan-access");
	p = defaults();
	strcpy(p.auto_exit_node, "auto:any");
	strcpy(p.exit_node_id, "nChosen");
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), "--exit-node=auto:any");
	p = defaults();
	strcpy(p.exit_node_id, "nX");
	ck_assert_str_eq(carry(&p, "100.64.0.8", buf, sizeof buf), "--exit-node=100.64.0.8");
	ck_assert_str_eq(carry(&p, "", buf, sizeof buf), ""); /* unknown address: put back after the login */
	p.exit_node_allow_lan = true;
	struct tn_up_flags f = {0};
	struct tn_error err = {0};
	ck_assert_int_eq(tn_up_carry_flags(&p, "", &f, &err), -1);
	ck_assert_int_eq(err.code, TN_EXIT_NOT_RUNNING);
	ck_assert(strstr(err.msg, "exit node nX") && strstr(err.msg, "--exit-node=IP"));
}
END_TEST

START_TEST(flag_list_rules)
{
	char buf[256];
	struct tn_up_flags f = {0};
	tn_up_flag_set(&f, "ssh", NULL);
	tn_up_flag_set(&f, "hostname", "a");
	tn_up_flag_bool(&f, "accept-dns", false);
	tn_up_flag_set(&f, "hostname", "b"); /* replaces */
	ck_assert_str_eq(joined(&f, buf, sizeof buf), "--accept-dns=false --hostname=b --ssh");
	ck_assert_str_eq(tn_up_flag_get(&f, "hostname"), "--hostname=b");
	ck_assert_ptr_null(tn_up_flag_get(&f, "operator"));
	for (int i = 0; i < 40; i++) {
		char name[16];
		snprintf(name, sizeof name, "f%02d", i);
		tn_up_flag_bool(&f, name, true);
	}
	ck_assert_int_eq(f.count, TN_UP_FLAGS_MAX); /* never more than fits */
}
END_TEST

static Suite *up_flags_suite(void)
{
	Suite *s = suite_create("up_flags");
	TCase *tc = tcase_create("up_flags");
	tcase_add_test(tc, defaults_carry_nothing);
	tcase_add_test(tc, each_setting_its_flag);
	tcase_add_test(tc, exit_nodes);
	tcase_add_test(tc, flag_list_rules);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(up_flags_suite)
