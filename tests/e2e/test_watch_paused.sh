#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_watch_paused.sh - when names are served, as quad-100 serves them (local.go enterStateLocked and
# authReconfig, tailscale v1.98.0 to HEAD: Stopped, NeedsLogin and NoState apply an empty DNS config; Starting
# and NeedsMachineAuth with a netmap, and Running, serve). Deliberate states pause the cache: after tailscale
# down, a logout or an expired key the module steps aside (UNAVAIL: DNS is asked, even behind
# [NOTFOUND=return]) within 1 s of the notification, the cache keeps its names, and up serves them again at
# once. A daemon that restarts or crashes is not deliberate: names keep resolving through NoState, Starting
# and an unreachable socket. A watcher started while tailscaled is Stopped pauses the cache that is there.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"

SUFFIX=magellanic-gondola.ts.net
STATE="$TN_TMP/state.json"

# Unknown tailnet names stop at the module; a paused cache must let even its own names through to DNS.
printf 'hosts: files tailnet [NOTFOUND=return] dns\n' >"$TN_TMP/etc/nsswitch.conf"
tn_dns_start
cp "$EXAMPLES/running.json" "$STATE"
tn_localapi_start "$STATE" "$TN_TMP/tailscaled.sock" --login-template "$EXAMPLES/running.json"
tn_watch_start --verbose
tn_wait_until 10 "the first cache" tn_resolves vault
tn_wait_until 5 "the stream" tn_watchers 1
: >"$TN_DNS_LOG"
tn_resolves "vault.$SUFFIX" || tn_fail "vault"
tn_assert_not_contains "$(tn_dns_queries)" "vault" "Running: the module answers, DNS is not asked"

# --- tailscale down: paused within 1 s, names kept, DNS asked; up serves them again at once --------------------
ms=$(tn_change_latency "vault.$SUFFIX" absent down)
tn_assert_fast "down: the module steps aside" "$ms"
: >"$TN_DNS_LOG"
tn_unresolved "vault.$SUFFIX" || tn_fail "a paused cache answered"
tn_assert_contains "$(tn_dns_queries)" "vault.$SUFFIX" "paused: UNAVAIL, so DNS decides (past [NOTFOUND=return])"
tn_assert_contains "$("$HELPER" hosts)" "# paused" "hosts says the cache is paused"
tn_assert_contains "$("$HELPER" hosts)" "vault.$SUFFIX" "the paused cache keeps its names"
ms=$(tn_change_latency "vault.$SUFFIX" present up)
tn_assert_fast "up: served again" "$ms"

# --- a key that expired (NeedsLogin, the netmap kept), then Running again ----------------------------------------
ms=$(tn_change_latency "vault.$SUFFIX" absent "state?to=NeedsLogin")
tn_assert_fast "NeedsLogin: the module steps aside" "$ms"
ms=$(tn_change_latency "vault.$SUFFIX" present "state?to=Running")
tn_assert_fast "Running: served again" "$ms"

# --- a daemon on its way up is not a deliberate state -----------------------------------------------------------
tn_ctl "state?to=Starting" >/dev/null
tn_ctl "state?to=NoState" >/dev/null
sleep 0.5
tn_resolves vault || tn_fail "Starting / NoState paused the cache"
tn_ok "Starting and NoState change nothing"
tn_ctl "state?to=Running" >/dev/null

# --- logout: Stopped, NoState (the netmap gone), NeedsLogin; the cache keeps what it had ---------------------------
ms=$(tn_change_latency "vault.$SUFFIX" absent logout)
tn_assert_fast "logout: the module steps aside" "$ms"
sleep 0.5
tn_assert_contains "$("$HELPER" hosts)" "vault.$SUFFIX" "after a logout the cache keeps its names"
tn_unresolved vault || tn_fail "served after a logout"
tn_ctl "login?hostname=back-again" >/dev/null
tn_wait_until 2 "the new login's names" tn_resolves back-again
tn_resolves vault || tn_fail "vault after the login"
tn_ok "a login serves the new netmap"

# --- a crash: the socket stays, nothing answers; names resolve until valid-until -----------------------------------
tn_localapi_stop
sleep 2
tn_resolves vault || tn_fail "a crashed daemon paused the cache"
tn_ok "names keep resolving while tailscaled is down"
tn_localapi_start "$STATE" "$TN_TMP/tailscaled.sock" --nostate-ms 2500
for _ in $(seq 20); do # through NoState and Starting
	tn_resolves vault || tn_fail "names stopped resolving while the restarted daemon was NoState"
	sleep 0.1
done
tn_wait_until 10 "reconnected" tn_watchers 1
tn_resolves vault || tn_fail "after the restart"
tn_ok "names keep resolving through a restart (NoState, Starting, Running)"

# --- a watcher started while tailscaled is Stopped pauses the cache that is there ------------------------------------
tn_watch_stop
tn_ctl down >/dev/null
tn_resolves vault || tn_fail "no watcher: nothing should have paused the cache yet"
TN_WATCH_LOG="$TN_TMP/watch-stopped.log"
tn_watch_start --verbose
tn_wait_until 2 "a watcher started while Stopped pauses" tn_unresolved vault
tn_assert_contains "$("$HELPER" hosts)" "vault.$SUFFIX" "with the names it had"
ms=$(tn_change_latency "vault.$SUFFIX" present up)
tn_assert_fast "up after a watcher started while Stopped" "$ms"
tn_watch_stop
tn_assert_eq "$TN_WATCH_RC" 0 "exit 0"
echo "test_watch_paused: all passed"
