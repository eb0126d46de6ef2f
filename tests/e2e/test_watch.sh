#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_watch.sh - `tailnet-helper watch` end to end: the real watcher against the LocalAPI double's IPN bus,
# names checked through real glibc (getent, and a C program polling getaddrinfo). A new peer must resolve
# within 1 s of the double announcing it, a removed one must stop resolving, and the watcher must ride out
# daemon restarts, a deleted socket, a stream cut mid-line, 400s to its masks, a hung daemon and tailscale
# down / up, keeping the last good cache, logging one line per change of state, and exiting 0 on SIGTERM; it
# never moves to another daemon's socket once it chose one. The incremental path in depth, per version, is
# test_watch_incremental.sh; paused caches are test_watch_paused.sh.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"

SUFFIX=magellanic-gondola.ts.net
STATE="$TN_TMP/state.json"
CACHE_DIR=$(dirname "$TN_CACHE")

# restart_double [DOUBLE-ARGS...]: a new double on the same socket and state, as after a daemon restart.
restart_double() {
	tn_localapi_stop
	tn_localapi_start "$STATE" "$TN_SOCKET" "$@"
}

no_temp_files() {
	[ "$(ls -A "$CACHE_DIR")" = "$(basename "$TN_CACHE")" ] || tn_fail "left in $CACHE_DIR: $(ls -A "$CACHE_DIR")"
}

# --- usage -----------------------------------------------------------------------------------------------
tn_expect_rc 2 "watch with a relative --cache" "$HELPER" watch --cache relative/hosts.cache
tn_expect_rc 2 "watch --poll 0" "$HELPER" watch --poll 0
tn_expect_rc 2 "watch with an extra argument" "$HELPER" watch extra
tn_expect_rc 0 "watch --help" "$HELPER" watch --help
tn_assert_contains "$TN_OUT" "watch-ipn-bus?mask=53250" "--help names the subscription"

# --- a 1.102 daemon: InitialStatus, then PeersChanged / PeersRemoved ---------------------------------------
cp "$EXAMPLES/running.json" "$STATE"
tn_localapi_start "$STATE"
tn_watch_start --verbose
tn_wait_until 10 "the first cache" tn_resolves vault
tn_wait_until 5 "the watcher's stream" tn_watchers 1
tn_assert_contains "$(tn_ctl info)" '"masks": [53250]' \
	"subscribed with mask 53250 (InitialState | PeerChanges | InitialStatus | PeerPatches)"
tn_assert_contains "$(tn_ctl info)" '"status_reads": 0' "the first cache came from InitialStatus: no status read"
tn_assert_eq "$(stat -c '%a' "$TN_CACHE")" 644 "the cache is mode 0644"
gen=$(tn_generation)

ms=$(tn_change_latency "newbie.$SUFFIX" present "add-peer?name=newbie")
tn_assert_fast "a new peer resolves by FQDN" "$ms"
tn_assert_contains "$(getent hosts newbie)" "newbie.$SUFFIX" "getent hosts resolves the new peer's bare name"
tn_assert_eq "$(tn_generation)" $((gen + 1)) "the generation moved by one"

ms=$(tn_change_latency "renamed.$SUFFIX" present "rename-peer?name=newbie&to=renamed")
tn_assert_fast "a renamed peer resolves under its new name" "$ms"
tn_wait_until 2 "the old name gone after a rename" tn_unresolved "newbie.$SUFFIX"
tn_ok "the old name no longer resolves"

ms=$(tn_change_latency "renamed.$SUFFIX" absent "remove-peer?name=renamed")
tn_assert_fast "a removed peer stops resolving" "$ms"
tn_resolves vault || tn_fail "vault lost after a removal"
no_temp_files
tn_ok "no temp file left beside the cache"

# No churn: a State line that changes nothing, and a SIGHUP resync, keep the file and its generation.
gen=$(tn_generation)
inode=$(stat -c %i "$TN_CACHE")
tn_ctl "state?to=Running" >/dev/null
kill -HUP "$TN_WATCH_PID"
tn_wait_until 5 "the SIGHUP resync" grep -q "SIGHUP: resyncing now" "$TN_WATCH_LOG"
sleep 0.6
tn_assert_eq "$(tn_generation) $(stat -c %i "$TN_CACHE")" "$gen $inode" "unchanged content: same file, same generation"

# SIGHUP picks up a change the bus never announced.
tn_ctl "add-peer?name=quiet-one&silent=1" >/dev/null
sleep 0.6
tn_unresolved quiet-one || tn_fail "a silent change resolved without a resync"
kill -HUP "$TN_WATCH_PID"
tn_wait_until 2 "SIGHUP resync of a silent change" tn_resolves quiet-one
tn_ok "SIGHUP forces a resync"

# --- tailscale down and up: paused (names kept, none served), then served again ------------------------------
tn_ctl down >/dev/null
tn_wait_until 2 "the pause" tn_unresolved vault
tn_assert_contains "$("$HELPER" hosts)" "vault.$SUFFIX" "the paused cache keeps its names"
# A stopped daemon's control client is paused: a peer added meanwhile arrives with the netmap after up.
tn_ctl "add-peer?name=while-stopped&silent=1" >/dev/null
tn_ctl "state?to=NeedsLogin" >/dev/null
sleep 0.5
tn_unresolved vault || tn_fail "NeedsLogin served names"
tn_assert_log_count "the cache is paused" 1 "Stopped, then NeedsLogin: one line"
tn_ctl up >/dev/null
tn_wait_until 1 "names after up" tn_resolves vault
tn_wait_until 2 "the peer from up's netmap" tn_resolves while-stopped
tn_assert_log_count "serving the cache's names again" 1 "Running again: one line"

# --- daemon restart: the socket file stays behind (connection refused) ------------------------------------
gen=$(tn_generation)
tn_localapi_stop
tn_wait_until 5 "the disconnect" grep -q "disconnected:" "$TN_WATCH_LOG"
sleep 2.5 # several refused attempts
tn_resolves vault || tn_fail "the cache was dropped while tailscaled was down"
tn_assert_eq "$(tn_generation)" "$gen" "nothing written while tailscaled was down"
tn_state_add_peer "$STATE" "$STATE.new" offline-peer 99 100.126.0.9
mv "$STATE.new" "$STATE"
tn_localapi_start "$STATE" "$TN_SOCKET"
tn_wait_until 15 "reconnection after a restart" tn_watchers 1
tn_wait_until 3 "the change made while tailscaled was down" tn_resolves offline-peer
tn_ok "the first message after reconnecting resyncs what changed meanwhile"
tn_assert_log_count "disconnected:" 1 "a restart with several failed attempts: one disconnect line"
tn_assert_log_count "connected to tailscaled" 2 "one connect line per connection"
ms=$(tn_change_latency "after-restart.$SUFFIX" present "add-peer?name=after-restart")
tn_assert_fast "a new peer after the restart" "$ms"

# --- socket deleted and recreated -----------------------------------------------------------------------------
tn_localapi_stop
rm -f "$TN_SOCKET"
sleep 2
tn_resolves vault || tn_fail "the cache was dropped while the socket was missing"
tn_localapi_start "$STATE" "$TN_SOCKET"
tn_wait_until 15 "reconnection to a recreated socket" tn_watchers 1
tn_assert_log_count "disconnected:" 2 "socket gone: one more disconnect line, none per retry"
ms=$(tn_change_latency "new-socket.$SUFFIX" present "add-peer?name=new-socket")
tn_assert_fast "a new peer through the recreated socket" "$ms"

# --- the stream cut mid-line ----------------------------------------------------------------------------------
tn_ctl cut >/dev/null
tn_wait_until 5 "the cut noticed" tn_log_count_is 3 "disconnected:"
tn_wait_until 10 "reconnection after a cut" tn_watchers 1
ms=$(tn_change_latency "after-cut.$SUFFIX" present "add-peer?name=after-cut")
tn_assert_fast "a new peer after the cut" "$ms"

# --- a hung daemon: SIGHUP's new subscription gets no answer; SIGTERM still ends the watcher at once -----------
tn_localapi_mode hang
kill -HUP "$TN_WATCH_PID"
sleep 1 # the watcher is now inside a watch request that gets no answer
tn_watch_stop TERM
tn_assert_eq "$TN_WATCH_RC" 0 "SIGTERM during a hung request: exit 0"
[ "$TN_WATCH_STOP_MS" -lt 1000 ] || tn_fail "SIGTERM took $TN_WATCH_STOP_MS ms against a hung daemon"
tn_ok "shut down in $TN_WATCH_STOP_MS ms"
tn_assert_contains "$(tail -n 1 "$TN_WATCH_LOG")" "stopping on SIGTERM" "a last line on SIGTERM"
tn_resolves vault || tn_fail "the cache was dropped"
no_temp_files

# A daemon that takes the watch request and never answers: unreachable after --answer-timeout.
TN_WATCH_LOG="$TN_TMP/watch-hang.log"
tn_watch_start --answer-timeout 0.5
sleep 2.5
tn_assert_log_count "cannot watch tailscaled: .*did not answer in 0.5 s" 1 "a hung watch request: one line"
tn_watch_stop INT
tn_assert_eq "$TN_WATCH_RC" 0 "SIGINT while connecting to a hung daemon: exit 0"
[ "$TN_WATCH_STOP_MS" -lt 1000 ] || tn_fail "SIGINT took $TN_WATCH_STOP_MS ms against a hung daemon"
tn_ok "shut down in $TN_WATCH_STOP_MS ms"
tn_localapi_mode ok

# --- 400s to the mask: 53250, then 4098 (no InitialStatus: the whole status after each change), then 2 --------
restart_double
tn_ctl "reject-bits?bits=16384" >/dev/null
TN_WATCH_LOG="$TN_TMP/watch-400a.log"
tn_watch_start
tn_wait_until 5 "the 4098 stream" tn_watchers 1
tn_assert_log_count "answered 400: .*watching with mask 4098 instead" 1 "the 400 to 53250 is logged once"
tn_assert_log_count "sends no InitialStatus" 1 "the old path, said once"
tn_assert_contains "$(tn_ctl info)" '"masks": [53250, 4098]' "mask 53250, then 4098; never 256 or 65536"
ms=$(tn_change_latency "via-4098.$SUFFIX" present "add-peer?name=via-4098")
tn_assert_fast "mask 4098: a new peer through a status read" "$ms"
tn_watch_stop

restart_double
tn_ctl "reject-bits?bits=4096" >/dev/null
TN_WATCH_LOG="$TN_TMP/watch-400.log"
tn_watch_start --poll 1
tn_wait_until 5 "the fallback stream" tn_watchers 1
tn_assert_log_count "answered 400: .*watching with mask 2 instead" 1 "the 400 to 4098 is logged once"
tn_assert_contains "$(tn_ctl info)" '"masks": [53250, 4098, 2]' "mask 53250, 4098, then 2"
tn_ctl "add-peer?name=via-poll" >/dev/null
tn_wait_until 3 "a peer through the poll" tn_resolves via-poll
tn_ok "with mask 2 a new peer arrives through the poll"
tn_ctl down >/dev/null
tn_wait_until 3 "State still seen with mask 2" tn_unresolved vault
tn_ctl "state?to=Running" >/dev/null
tn_wait_until 3 "Running with mask 2" tn_resolves vault
tn_watch_stop
tn_assert_eq "$TN_WATCH_RC" 0 "exit 0"

# --- the periodic check catches a change the bus never announced ---------------------------------------------------
restart_double
TN_WATCH_LOG="$TN_TMP/watch-poll.log"
tn_watch_start --poll 1
tn_wait_until 5 "the stream" tn_watchers 1
tn_ctl "add-peer?name=missed-event&silent=1" >/dev/null
tn_wait_until 3 "a missed event through the check" tn_resolves missed-event
tn_assert_log_count "disagree" 1 "the lost change is logged once"
tn_ctl "add-peer?name=missed-again&silent=1" >/dev/null
tn_wait_until 3 "a second missed event" tn_resolves missed-again
tn_assert_log_count "disagree" 1 "and only once"
tn_watch_stop
tn_assert_eq "$TN_WATCH_RC" 0 "exit 0"

# --- the socket is chosen once: a daemon elsewhere never takes over (the default paths of a private /run) ---------
mount -t tmpfs -o mode=0755 tailnet-run /run || tn_fail "cannot mount a private /run"
restart_double
TN_WATCH_LOG="$TN_TMP/watch-pin.log"
TAILSCALE_SOCKET="$TN_SOCKET" "$HELPER" watch 2>>"$TN_WATCH_LOG" &
TN_WATCH_PID=$!
tn_wait_until 5 "the stream" tn_watchers 1
first_socket=$TN_SOCKET
tn_localapi_stop
rm -f "$first_socket"
tn_state_add_peer "$STATE" "$STATE.other" impostor 98 100.126.0.66
mkdir -p /run/tailscale
tn_localapi_start "$STATE.other" /run/tailscale/tailscaled.sock
sleep 3
tn_assert_eq "$(tn_json_field "$(tn_ctl info)" watchers)" 0 "the daemon on another socket was never watched"
tn_unresolved impostor || tn_fail "names from another socket's daemon"
tn_resolves vault || tn_fail "the cache was dropped"
tn_localapi_stop
tn_localapi_start "$STATE" "$first_socket"
tn_wait_until 15 "back to the chosen socket" tn_watchers 1
tn_ok "the watcher stays with the socket it chose"
tn_watch_stop
umount /run

# --- the chosen path itself, served by another uid after tailscaled died (the container image keeps its socket in
# /tmp, which any user may write): refused on every reconnect, not one request sent, the cache kept ---------------
W="$TN_TMP/world"
mkdir -p "$W" && chmod 1777 "$W"
tn_localapi_stop
tn_localapi_start "$STATE" "$W/tailscaled.sock"
TN_WATCH_LOG="$TN_TMP/watch-untrusted.log"
tn_watch_start
tn_wait_until 5 "the stream" tn_watchers 1
tn_localapi_stop
rm -f "$W/tailscaled.sock"
chmod 0644 "$STATE.other"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$TN_LOCALAPI_DOUBLE" \
	--socket "$W/tailscaled.sock" --state "$STATE.other" 2>"$TN_TMP/user-double.log" &
USER_DOUBLE=$!
tn_wait_until 10 "the user's socket" test -S "$W/tailscaled.sock"
tn_wait_until 10 "the refusal logged" grep -q "refusing the socket $W/tailscaled.sock: it is served by uid 65534" \
	"$TN_WATCH_LOG"
sleep 2 # a reconnect or two more
tn_assert_not_contains "$(cat "$TN_TMP/user-double.log")" "HTTP/1.1" "not one request was sent to another uid's socket"
tn_unresolved impostor || tn_fail "names from another uid's socket"
tn_resolves vault || tn_fail "the cache was dropped"
tn_ok "a socket another uid serves on the chosen path is refused"
kill "$USER_DOUBLE"
wait "$USER_DOUBLE" 2>/dev/null
rm -f "$W/tailscaled.sock"
tn_localapi_start "$STATE" "$W/tailscaled.sock"
tn_wait_until 30 "back once tailscaled is" tn_watchers 1
tn_ok "and tailscaled is followed again once it is back"
tn_watch_stop
tn_localapi_stop
tn_localapi_start "$STATE"

# --- a cache that cannot be written: said once, retried, and said again once it works -----------------------------
restart_double
TN_WATCH_LOG="$TN_TMP/watch-ro.log"
tn_watch_start
tn_wait_until 5 "the stream" tn_watchers 1
mount -o remount,ro /var/cache || tn_fail "cannot make /var/cache read-only" # the test's own tmpfs
tn_ctl "add-peer?name=while-read-only" >/dev/null
tn_wait_until 10 "the failing write said" grep -q "cannot write the cache" "$TN_WATCH_LOG"
tn_resolves vault || tn_fail "the last good cache went with the failing write"
mount -o remount,rw /var/cache
tn_wait_until 30 "written once it works" tn_resolves while-read-only
tn_assert_log_count "cannot write the cache" 1 "a write that keeps failing: one line"
tn_assert_log_count "writing the cache works again" 1 "and one when it works again"
tn_watch_stop

# --- older daemons --------------------------------------------------------------------------------------------------
for version in 1.96.4 1.98.1; do
	restart_double --version "$version"
	TN_WATCH_LOG="$TN_TMP/watch-$version.log"
	tn_watch_start
	tn_wait_until 5 "the stream of $version" tn_watchers 1
	tn_wait_until 5 "connected to $version" grep -q "connected to tailscaled $version" "$TN_WATCH_LOG"
	ms=$(tn_change_latency "old-$version.$SUFFIX" present "add-peer?name=old-$version")
	tn_assert_fast "$version (full NetMap lines): a new peer" "$ms"
	ms=$(tn_change_latency "old-$version.$SUFFIX" absent "remove-peer?name=old-$version")
	tn_assert_fast "$version: a removed peer" "$ms"
	tn_watch_stop
	tn_assert_eq "$TN_WATCH_RC" 0 "exit 0"
done

# --- logs: journald priorities when stderr is the journal's stream --------------------------------------------------
restart_double
TN_WATCH_LOG="$TN_TMP/watch-journal.log"
: >"$TN_WATCH_LOG"
JOURNAL_STREAM=$(stat -c '%d:%i' "$TN_WATCH_LOG") tn_watch_start
tn_wait_until 5 "the stream" tn_watchers 1
tn_watch_stop
first=$(head -n 1 "$TN_WATCH_LOG")
case "$first" in "<6>tailnet-helper[watch]: info: keeping "*) tn_ok "journal: <6> priority, no timestamp" ;;
*) tn_fail "journal line: $first" ;; esac
no_temp_files
echo "test_watch: all passed"
