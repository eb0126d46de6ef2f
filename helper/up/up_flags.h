/* SPDX-License-Identifier: BSD-3-Clause */
/* up_flags.h - the flags `up` gives `tailscale up` for a login, so that the login changes no setting the
 * node already has.
 *
 * Contract: `tailscale up` builds the node's prefs from its flags alone, and refuses (exit 1: "changing
 * settings via 'tailscale up' requires mentioning all non-default flags") when a setting the node has would
 * be reverted by a flag left out - the "up checker", ts:cmd/tailscale/cli/up.go checkForAccidentalSettingReverts
 * and prefsToFlags, the same in 1.98.0 to 1.103. tn_up_carry_flags() is prefsToFlags run the other way:
 * for every `tailscale up` flag on Linux whose value in the node's prefs differs from the flag's default, the
 * flag that keeps it ("--ssh", "--advertise-routes=10.0.0.0/24", "--accept-dns=false", ...). It also keeps
 * what the checker lets through but `tailscale up` would still revert: a stateful filter someone turned on
 * (the checker waives that flag, issue 12307) and an exit node held by its ID, given as its IP when the
 * status knows it. A profile that never logged in (ControlURL "") has nothing to carry. Flags are kept in
 * the order Go's flag.Visit uses (by name); setting a flag again replaces it, so what the user asks of `up`
 * wins over what is carried. Errors follow err.h: a setting that cannot be carried (LAN access through an
 * exit node whose IP is not known) is TN_EXIT_NOT_RUNNING, naming what to run instead.
 */
#ifndef TAILNET_UP_FLAGS_H
#define TAILNET_UP_FLAGS_H

#include <stdbool.h>

#include "shared/err.h"
#include "tailscaled/prefs.h"

#define TN_UP_FLAGS_MAX 24

struct tn_up_flags {
	int count;
	char name[TN_UP_FLAGS_MAX][32];
	char arg[TN_UP_FLAGS_MAX][TN_PREFS_LIST_MAX + 64]; /* "--name=value" or "--name" */
};

/* Sets `name` to `value` (a string flag), replacing what was there. */
void tn_up_flag_set(struct tn_up_flags *f, const char *name, const char *value);
/* Sets a boolean flag: "--name" or "--name=false". */
void tn_up_flag_bool(struct tn_up_flags *f, const char *name, bool value);
/* The flag's argument, or NULL when it is not set. */
const char *tn_up_flag_get(const struct tn_up_flags *f, const char *name);

/* Adds the flags that keep `cur`'s settings. `exit_node_ip`: the IP of cur's exit node (ExitNodeID) in the
 * status, or "" when it is not known. */
int tn_up_carry_flags(const struct tn_prefs *cur, const char *exit_node_ip, struct tn_up_flags *out,
		      struct tn_error *err);

#endif
