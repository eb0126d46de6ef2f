/* SPDX-License-Identifier: BSD-3-Clause */
/* prefs.h - tailscaled's preferences, from GET /localapi/v0/prefs: what `up` must carry into a login so that
 * `tailscale up` reverts none of the settings a node already has.
 *
 * Contract: tn_prefs_parse() reads an ipn.Prefs document (ts:ipn/prefs.go type Prefs; the LocalAPI writes it
 * tab-indented, ts:ipn/localapi/localapi.go servePrefs, the same in 1.98 to 1.103) into fixed-size fields.
 * Only the fields `tailscale up` has flags for are read, with the JSON types the daemon writes: booleans,
 * strings, NetfilterMode as a number (0 off, 1 nodivert, 2 on), NoStatefulFiltering as an opt.Bool (true,
 * false, or absent/null: unset), lists of strings or null. A field that is absent reads as Go's zero value,
 * as encoding/json would; a field of the wrong type, a string too long for its field or a control character
 * in a string is an error, never silently cut: these values go into `tailscale up`'s command line.
 * Errors follow err.h: TN_EXIT_BAD_ANSWER, naming the field.
 */
#ifndef TAILNET_PREFS_H
#define TAILNET_PREFS_H

#include <stdbool.h>
#include <stddef.h>

#include "shared/err.h"
#include "tailscaled/localapi.h"

#define TN_PREFS_MAX_BYTES (1024 * 1024)
#define TN_PREFS_LIST_MAX 4096 /* a comma-joined list of tags or routes */

enum tn_opt_bool { TN_OPT_UNSET = -1, TN_OPT_FALSE = 0, TN_OPT_TRUE = 1 };

struct tn_prefs {
	char control_url[512];        /* ControlURL: "" on a profile that never logged in */
	bool route_all;               /* RouteAll: --accept-routes */
	char exit_node_id[128];       /* ExitNodeID */
	char exit_node_ip[64];        /* ExitNodeIP */
	char auto_exit_node[128];     /* AutoExitNode ("auto:any"), omitted when unset */
	bool exit_node_allow_lan;     /* ExitNodeAllowLANAccess */
	bool corp_dns;                /* CorpDNS: --accept-dns */
	bool run_ssh;                 /* RunSSH */
	bool shields_up;              /* ShieldsUp */
	char tags[TN_PREFS_LIST_MAX]; /* AdvertiseTags, comma-joined */
	char hostname[256];           /* Hostname */
	char routes[TN_PREFS_LIST_MAX]; /* AdvertiseRoutes, comma-joined, as the daemon wrote each prefix */
	bool no_snat;                 /* NoSNAT: --snat-subnet-routes=false */
	enum tn_opt_bool no_stateful_filtering; /* NoStatefulFiltering */
	int netfilter_mode;           /* NetfilterMode */
	char operator_user[256];      /* OperatorUser */
	bool app_connector;           /* AppConnector.Advertise */
	bool posture_checking;        /* PostureChecking: --report-posture */
	char login_name[256];         /* Config.UserProfile.LoginName: "" when never logged in */
};

int tn_prefs_parse(const char *text, size_t len, struct tn_prefs *out, struct tn_error *err);

/* GET /localapi/v0/prefs, parsed. With `raw` non-NULL the document itself is kept there too (malloc'd,
 * NUL-terminated; the caller frees it). */
int tn_prefs_read(const struct tn_localapi *api, struct tn_prefs *out, char **raw, struct tn_error *err);

/* What a login must put back: `tailscale up` replaces all the prefs (LocalBackend.Start takes its
 * UpdatePrefs whole, ts:ipn/ipnlocal/local.go startLocked) and has no flags for some of them - the ones only
 * `tailscale set` and other commands change: RunWebClient, AutoUpdate.Check and .Apply, AdvertiseServices,
 * Sync, NetfilterKind, RemoteConfig (1.102+), DriveShares, RelayServerPort, RelayServerStaticEndpoints, and
 * an ExitNodeID the login could not carry. Compares the prefs from before the login with those after, and
 * writes the ipn.MaskedPrefs (the value from before and <Field>Set, AutoUpdateSet for AutoUpdate's two) that
 * restores each one that changed into *masked (malloc'd, compact JSON), or NULL when none did. *names gets
 * them, comma-separated, for messages. Returns the number of fields, or -1 with err for a document that
 * is not a JSON object. */
int tn_prefs_restore(const char *before, const char *after, char **masked, char *names, size_t names_size,
		     struct tn_error *err);

#endif
