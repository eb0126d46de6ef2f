# SPDX-License-Identifier: BSD-3-Clause
# test_notify.sh - what the Type=notify units tell systemd, seen from a stand-in for systemd's notification
# socket: the DNS responder and the watcher send READY=1 with a STATUS= line from their own pid (the main
# pid, as NotifyAccess=main wants), WATCHDOG=1 at least every half of WATCHDOG_USEC, STOPPING=1 on SIGTERM;
# the watcher is ready even when tailscaled is down.
. "$TN_SRCDIR/tests/lib.sh"
. "$TN_SRCDIR/tests/lib_localapi.sh"
tn_enter_ns "$0" "$@"
LISTEN=(command python3 "$TN_SRCDIR/tests/tools/notify_listen.py")
tn_sync_example running

# notified SECONDS LOG CMD...: CMD runs with NOTIFY_SOCKET and WATCHDOG_USEC=1 s (so a ping at least every
# 0.5 s) for SECONDS, then gets SIGTERM; what arrived lands in LOG. Sets PID.
notified() {
	local seconds=$1 log=$2 sock="$TN_TMP/notify.$RANDOM"
	shift 2
	"${LISTEN[@]}" "$sock" "$((seconds + 2))" >"$log" &
	local listener=$!
	tn_wait_until 5 "the notify socket" test -S "$sock"
	NOTIFY_SOCKET=$sock WATCHDOG_USEC=1000000 "$@" 2>>"$TN_TMP/cmd.log" &
	PID=$!
	sleep "$seconds"
	kill "$PID"
	wait "$PID"
	wait "$listener"
}
# count LOG PATTERN
count() { grep -c "$2" "$1"; }

notified 3 "$TN_TMP/dns.notify" "$HELPER" dns --user root
tn_assert_contains "$(head -n 1 "$TN_TMP/dns.notify")" \
	"pid=$PID READY=1|STATUS=answering on 127.100.100.100:53 from /var/cache/tailnet/hosts.cache: generation 1" \
	"dns: READY=1 and a STATUS line, from its own pid, once it listens"
pings=$(count "$TN_TMP/dns.notify" "^pid=$PID WATCHDOG=1$")
[ "$pings" -ge 4 ] || tn_fail "dns: $pings watchdog pings in 3 s with WATCHDOG_USEC=1 s (want one every 0.5 s at most)"
tn_ok "dns: $pings watchdog pings in 3 s"
tn_assert_eq "$(tail -n 1 "$TN_TMP/dns.notify")" "pid=$PID STOPPING=1" "dns: STOPPING=1 on SIGTERM"

# The watcher with tailscaled down: ready all the same (a down daemon must not hold the boot up).
notified 2 "$TN_TMP/watch-down.notify" "$HELPER" watch --socket "$TN_TMP/none.sock"
tn_assert_contains "$(grep -m1 READY "$TN_TMP/watch-down.notify")" "pid=$PID READY=1|STATUS=keeping the last good cache" \
	"watch, tailscaled down: READY=1, and STATUS says why the cache is not refreshed"

cp "$EXAMPLES/running.json" "$TN_TMP/status.json"
tn_localapi_start "$TN_TMP/status.json"
notified 3 "$TN_TMP/watch.notify" "$HELPER" watch --socket "$TN_SOCKET"
tn_assert_contains "$(grep -m1 READY "$TN_TMP/watch.notify")" \
	"pid=$PID READY=1|STATUS=/var/cache/tailnet/hosts.cache: generation " "watch: READY=1 once it resynced, with the generation"
pings=$(count "$TN_TMP/watch.notify" "^pid=$PID WATCHDOG=1$")
[ "$pings" -ge 4 ] || tn_fail "watch: $pings watchdog pings in 3 s with WATCHDOG_USEC=1 s"
tn_ok "watch: $pings watchdog pings in 3 s, while idle on the bus"
tn_assert_eq "$(tail -n 1 "$TN_TMP/watch.notify")" "pid=$PID STOPPING=1" "watch: STOPPING=1 on SIGTERM"

# (That the helper takes NOTIFY_SOCKET and WATCHDOG_* out of the environment its children inherit is
# test_sd_notify.c's: /proc/PID/environ shows only what a process was started with.)
tn_assert_eq "$(grep -vc "^pid=$PID " "$TN_TMP/watch.notify")" "0" "only the main pid ever spoke"
