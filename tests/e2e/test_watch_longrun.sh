#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_watch_longrun.sh - `tailnet-helper watch` over a long run: 10,000 change notifications (a peer added,
# removed, added, ... one every millisecond or so, each a real change of the status) after a warm-up of 1,000.
# The watcher's resident memory may grow by less than 1 MB and its descriptors not at all; between events it
# must use no CPU. With a 1 ms write window nearly every event becomes a cache write, so the bus parser, the
# model of names and the cache writer all run thousands of times.
# Sanitizer builds: ASan's allocator keeps freed memory in quarantine and its own metadata, so RSS says nothing
# about our leaks there (LeakSanitizer at exit does): the RSS figure is reported, not checked; descriptors and
# CPU are checked as in the plain build.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"

EVENTS=${TN_LONGRUN_EVENTS:-10000}
WARMUP=1000
RSS_LIMIT_KB=1024
STATE="$TN_TMP/state.json"

rss_kb() {
	sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$TN_WATCH_PID/status"
}

fd_count() {
	ls "/proc/$TN_WATCH_PID/fd" | wc -l
}

cpu_ticks() {
	# utime + stime: fields 14 and 15, counted after the ")" that ends the command name
	sed 's/.*) //' "/proc/$TN_WATCH_PID/stat" | awk '{ print $12 + $13 }'
}

# churn N: N change notifications, then waits until the watcher has caught up (the cache stops changing).
churn() {
	tn_ctl "churn?count=$1&interval_ms=1" >/dev/null || tn_fail "churn of $1 events"
	local before after
	after=$(tn_generation)
	while :; do
		sleep 0.5
		before=$after
		after=$(tn_generation)
		[ "$before" = "$after" ] && break
	done
}

cp "$EXAMPLES/running.json" "$STATE"
tn_localapi_start "$STATE"
tn_watch_start --debounce 0.001 --quiet
tn_wait_until 10 "the first cache" getent hosts vault
tn_wait_until 5 "the watcher's stream" tn_watchers 1

churn "$WARMUP"
rss0=$(rss_kb) fds0=$(fd_count) gen0=$(tn_generation)
start=$(date +%s)
churn "$EVENTS"
rss1=$(rss_kb) fds1=$(fd_count) gen1=$(tn_generation)
echo "after $WARMUP warm-up events: RSS $rss0 kB, $fds0 fds; after $EVENTS more events ($(($(date +%s) - start)) s, \
$((gen1 - gen0)) cache changes): RSS $rss1 kB, $fds1 fds; growth $((rss1 - rss0)) kB"
[ $((gen1 - gen0)) -ge $((EVENTS / 20)) ] || tn_fail "only $((gen1 - gen0)) cache changes for $EVENTS events"
tn_ok "$((gen1 - gen0)) writes changed the cache"
if [ -z "${TN_SAN:-}" ]; then
	[ $((rss1 - rss0)) -lt "$RSS_LIMIT_KB" ] || tn_fail "RSS grew by $((rss1 - rss0)) kB over $EVENTS events"
	tn_ok "RSS growth $((rss1 - rss0)) kB < $RSS_LIMIT_KB kB over $EVENTS events"
else
	echo "skip: RSS growth under ASan ($((rss1 - rss0)) kB) is the allocator's quarantine, not checked"
fi
tn_assert_eq "$fds1" "$fds0" "no descriptor growth over $EVENTS events ($fds0 open)"

ticks0=$(cpu_ticks)
sleep 3
ticks1=$(cpu_ticks)
[ $((ticks1 - ticks0)) -le 1 ] || tn_fail "used $((ticks1 - ticks0)) CPU ticks in 3 idle seconds"
tn_ok "idle between events: $((ticks1 - ticks0)) CPU ticks in 3 s"

tn_watch_stop
tn_assert_eq "$TN_WATCH_RC" 0 "SIGTERM after the long run: exit 0"
tn_assert_eq "$(grep -c . "$TN_WATCH_LOG")" 0 "--quiet: nothing logged in a run without trouble"
echo "test_watch_longrun: all passed"
