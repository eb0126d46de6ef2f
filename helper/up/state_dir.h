/* SPDX-License-Identifier: BSD-3-Clause */
/* state_dir.h - where `up`, `down` and `ssh-config` keep what they manage, and the names of its files.
 *
 * Contract: one directory per user holds tailscaled's state, socket (userspace mode) and log, and the pidfile
 * of each process `up` started (never an auth key: up_login.c hands it over in memory); it must be ours and writable by nobody else,
 * because it holds tailscaled's node key. The up_*.c steps name its files through tn_up_path() and the
 * TN_UP_* names below, never by building paths of their own. Errors follow err.h.
 */
#ifndef TAILNET_UP_STATE_DIR_H
#define TAILNET_UP_STATE_DIR_H

#include <limits.h> /* PATH_MAX, the size of every path here */

#include "shared/err.h"

#ifndef TN_STATE_DIR_ROOT /* the build passes STATE_DIR */
#define TN_STATE_DIR_ROOT "/var/lib/tailnet"
#endif

/* Files in the state directory. */
#define TN_UP_LOCK "up.lock"
#define TN_UP_DAEMON_PID "tailscaled.pid"
#define TN_UP_DAEMON_LOG "tailscaled.log"
#define TN_UP_DAEMON_STATE "tailscaled.state"
#define TN_UP_DAEMON_SOCKET "tailscaled.sock"
#define TN_UP_WATCH_PID "watch.pid"
#define TN_UP_WATCH_LOG "watch.log"
#define TN_UP_DNS_PID "dns.pid"
#define TN_UP_DNS_LOG "dns.log"
#define TN_UP_DNS_APPLIED "dns.resolv-conf" /* up --dns rewrote resolv.conf: down reverts it */
#define TN_UP_OLD_AUTH_KEY "auth-key" /* where versions before the memfd kept the key: removed when found */
#define TN_UP_PROXY_ENV "proxy.env"

/* <state>/<name> into out (PATH_MAX bytes). */
void tn_up_path(const char *state_dir, const char *name, char *out);
/* The state directory: `option` (--state-dir) when given, else /var/lib/tailnet for root, else
 * $XDG_STATE_HOME/tailnet or ~/.local/state/tailnet. `out` has PATH_MAX bytes. */
int tn_up_state_dir(const char *option, char *out, struct tn_error *err);
/* Creates the directory (0700) when missing; refuses one that is not ours or that others may write. */
int tn_up_prepare_state_dir(const char *dir, struct tn_error *err);

#endif
