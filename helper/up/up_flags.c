/* SPDX-License-Identifier: BSD-3-Clause */
/* up_flags.c - see up_flags.h. Each rule below is prefsToFlags' case for that flag (ts:cmd/tailscale/cli/
 * up.go, v1.102.3 L1133-1200; v1.98.0 and HEAD the same) against the flag's default on Linux from
 * newUpFlagSet (L90-152) and prefsFromUpArgs (L299-384). */
#include "up/up_flags.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_CONTROL_URL "https://controlplane.tailscale.com" /* ipn.DefaultControlURL */
#define ALL_IPV4 "0.0.0.0/0"
#define ALL_IPV6 "::/0"

void tn_up_flag_set(struct tn_up_flags *f, const char *name, const char *value)
{
	int i = 0;
	while (i < f->count && strcmp(f->name[i], name) < 0)
		i++;
	if (i == f->count || strcmp(f->name[i], name) != 0) {
		if (f->count == TN_UP_FLAGS_MAX)
			return; /* more flags than `tailscale up` has */
		memmove(f->name[i + 1], f->name[i], (size_t)(f->count - i) * sizeof f->name[0]);
		memmove(f->arg[i + 1], f->arg[i], (size_t)(f->count - i) * sizeof f->arg[0]);
		f->count++;
		snprintf(f->name[i], sizeof f->name[i], "%s", name);
	}
	if (value)
		snprintf(f->arg[i], sizeof f->arg[i], "--%s=%s", name, value);
	else
		snprintf(f->arg[i], sizeof f->arg[i], "--%s", name);
}

void tn_up_flag_bool(struct tn_up_flags *f, const char *name, bool value)
{
	tn_up_flag_set(f, name, value ? NULL : "false");
}

const char *tn_up_flag_get(const struct tn_up_flags *f, const char *name)
{
	for (int i = 0; i < f->count; i++)
		if (!strcmp(f->name[i], name))
			return f->arg[i];
	return NULL;
}

/* tsaddr.ContainsExitRoutes: both 0.0.0.0/0 and ::/0. */
static bool has_route(const char *list, const char *route)
{
	size_t n = strlen(route);
	for (const char *p = list; *p; p += strcspn(p, ","), p += *p == ',') {
		if (strncmp(p, route, n) == 0 && (p[n] == ',' || !p[n]))
			return true;
	}
	return false;
}

/* tsaddr.WithoutExitRoutes: every /0 goes, but only when both exit routes are there. */
static void without_exit_routes(const char *list, bool exit, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (const char *p = list; *p; p += *p == ',') {
		size_t n = strcspn(p, ",");
		bool zero = n > 2 && !strncmp(p + n - 2, "/0", 2);
		if (!(exit && zero) && used + n + 2 < size) {
			used += (size_t)snprintf(out + used, size - used, "%s%.*s", used ? "," : "", (int)n, p);
		}
		p += n;
	}
}

static const char *netfilter_name(int mode)
{
	return mode == 0 ? "off" : mode == 1 ? "nodivert" : "on"; /* preftype.NetfilterMode.String() */
}

int tn_up_carry_flags(const struct tn_prefs *cur, const char *exit_node_ip, struct tn_up_flags *out,
		      struct tn_error *err)
{
	/* "Don't validate things on initial "up" before a control URL has been set." */
	if (!cur->control_url[0])
		return 0;
	if (!cur->corp_dns)
		tn_up_flag_bool(out, "accept-dns", false);
	if (cur->route_all) /* DefaultRouteAll("linux") is false */
		tn_up_flag_bool(out, "accept-routes", true);
	if (cur->app_connector)
		tn_up_flag_bool(out, "advertise-connector", true);
	bool exit = has_route(cur->routes, ALL_IPV4) && has_route(cur->routes, ALL_IPV6);
	if (exit)
		tn_up_flag_bool(out, "advertise-exit-node", true);
	char routes[TN_PREFS_LIST_MAX];
	without_exit_routes(cur->routes, exit, routes, sizeof routes);
	if (routes[0])
		tn_up_flag_set(out, "advertise-routes", routes);
	if (cur->tags[0])
		tn_up_flag_set(out, "advertise-tags", cur->tags);
	/* The exit node: an auto: expression as it is; else its IP, which prefsToFlags takes from ExitNodeIP or,
	 * for an ExitNodeID, from the status. */
	const char *exit_node = cur->auto_exit_node[0] ? cur->auto_exit_node
				: cur->exit_node_ip[0] ? cur->exit_node_ip
				: cur->exit_node_id[0] ? exit_node_ip
						       : "";
	if (*exit_node)
		tn_up_flag_set(out, "exit-node", exit_node);
	if (cur->exit_node_allow_lan) {
		if (!*exit_node)
			return tn_error_set(err, TN_EXIT_NOT_RUNNING,
					    "tailscaled's settings allow LAN access through exit node %s, whose address "
					    "is not known while the node is logged out, and 'tailscale up' keeps that "
					    "setting only with --exit-node=IP: log in with 'tailscale up --exit-node=IP "
					    "--exit-node-allow-lan-access' and the node's other settings yourself",
					    cur->exit_node_id[0] ? cur->exit_node_id : "(none)");
		tn_up_flag_bool(out, "exit-node-allow-lan-access", true);
	}
	if (cur->hostname[0])
		tn_up_flag_set(out, "hostname", cur->hostname);
	if (strcmp(cur->control_url, DEFAULT_CONTROL_URL) != 0 && strcmp(cur->control_url, "https://login.tailscale.com") != 0)
		tn_up_flag_set(out, "login-server", cur->control_url); /* not ipn.IsLoginServerSynonym */
	if (cur->netfilter_mode != 2)
		tn_up_flag_set(out, "netfilter-mode", netfilter_name(cur->netfilter_mode));
	if (cur->operator_user[0])
		tn_up_flag_set(out, "operator", cur->operator_user);
	if (cur->posture_checking)
		tn_up_flag_bool(out, "report-posture", true);
	if (cur->shields_up)
		tn_up_flag_bool(out, "shields-up", true);
	if (cur->no_snat)
		tn_up_flag_bool(out, "snat-subnet-routes", false);
	if (cur->run_ssh)
		tn_up_flag_bool(out, "ssh", true);
	/* The checker waives stateful-filtering (cur true, new false; issue 12307), but the login would still
	 * turn off a stateful filter someone turned on. */
	if (cur->no_stateful_filtering == TN_OPT_FALSE)
		tn_up_flag_bool(out, "stateful-filtering", true);
	return 0;
}
