#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# watch_latency.sh - how long after tailscaled announces a new peer on its IPN bus the name resolves through
# glibc, with `tailnet-helper watch` keeping the cache (default settings: 250 ms debounce). For each size
# (default 100 and 10,000 peers, WATCH_BENCH_SIZES overrides) a generated tailnet is served by the LocalAPI
# double as a 1.100+ daemon; WATCH_BENCH_CHANGES (default 100) times, the double adds a peer and announces it
# (PeersChanged), while a C program polls getaddrinfo() for the new name every millisecond in one process,
# as a client waiting for it would. The time runs from the announcement to the first successful lookup: the
# debounce, the status read and parse, the cache write, and the module noticing the new file. Prints the
# median and the worst. Run by `make bench` (bench/run.sh); runs in its own private namespaces.
set -u
: "${TN_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export TN_SRCDIR
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"
SIZES="${WATCH_BENCH_SIZES:-100 10000}"
CHANGES="${WATCH_BENCH_CHANGES:-100}"
RESULTS="$TN_TMP/latency.txt"
SUFFIX=magellanic-gondola.ts.net
: >"$RESULTS"

for n in $SIZES; do
	state="$TN_TMP/state-$n.json"
	command python3 "$TN_SRCDIR/tests/tools/gen_status.py" "$n" >"$state" || tn_fail "generate $n peers"
	tn_localapi_start "$state" 2>>"$TN_TMP/double.log"
	rm -f "$TN_CACHE"
	TN_WATCH_LOG="$TN_TMP/watch-$n.log"
	tn_watch_start --quiet
	tn_wait_until 60 "the first cache of $n peers" "$HELPER" hosts
	tn_wait_until 10 "the watcher's stream" tn_watchers 1
	for i in $(seq "$CHANGES"); do
		us=$(tn_change_latency_us "bench-$i.$SUFFIX" present "add-peer?name=bench-$i") || exit 1
		echo "$n $us" >>"$RESULTS"
	done
	tn_watch_stop
	[ "$TN_WATCH_RC" = 0 ] || tn_fail "the watcher exited $TN_WATCH_RC"
	[ -s "$TN_WATCH_LOG" ] && { echo "watcher log ($n peers):"; cat "$TN_WATCH_LOG"; }
	tn_localapi_stop
	echo "measured the watcher at $n peers" >&2
done

command python3 - "$RESULTS" "$CHANGES" <<'PY'
import collections, statistics, sys
by = collections.defaultdict(list)
for line in open(sys.argv[1]):
    n, us = line.split()
    by[int(n)].append(int(us) / 1000)
print()
print("tailnet-helper watch: notification to name resolving through glibc (%s new peers per size;" % sys.argv[2])
print("getaddrinfo polled every 1 ms; includes the deliberate 250 ms debounce)")
print("%10s %12s %12s %12s %22s" % ("peers", "median", "worst", "best", "median minus debounce"))
for n in sorted(by):
    v = by[n]
    print("%10d %9.1f ms %9.1f ms %9.1f ms %19.1f ms" % (n, statistics.median(v), max(v), min(v),
                                                          statistics.median(v) - 250))
PY
