#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# watch_latency.sh - what `tailnet-helper watch` (default settings) costs per change, against the LocalAPI double
# as a 1.102.3 daemon serving a generated tailnet of each size (WATCH_BENCH_SIZES, default 100 and 10,000):
# - one added peer: from the double announcing it (PeersChanged) to getaddrinfo() finding the name, polled
#   every millisecond in one process as a client waiting for it would; WATCH_BENCH_CHANGES (default 100)
#   isolated changes, 0.3 s apart, so each is the first of its burst;
# - a storm of 1,000 online/last-seen notifications (PeerChangedPatch), 2 ms apart: full status reads (GET
#   /status and InitialStatus), cache rewrites, and the watcher's CPU time over the storm;
# - a burst of 1,000 added peers within about a second: from the last announcement until all 1,000 resolve,
#   and the rewrites it cost (per second: over the burst and its settling, or one second if shorter).
# The watcher runs with its defaults but --poll 3600: its periodic full status check (every 60 s) is no cost
# of the storm. Run by `make bench` (bench/run.sh); runs in its own private namespaces.
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
TICKS=$(getconf CLK_TCK)
: >"$RESULTS"

cpu_ticks() {
	sed 's/.*) //' "/proc/$TN_WATCH_PID/stat" | awk '{ print $12 + $13 }'
}

# full_reads: GET /status documents plus InitialStatus documents the double has served.
full_reads() {
	local info
	info=$(tn_ctl info)
	echo $(($(tn_json_field "$info" status_reads) + $(tn_json_field "$info" initial_status)))
}

for n in $SIZES; do
	state="$TN_TMP/state-$n.json"
	command python3 "$TN_SRCDIR/tests/tools/gen_status.py" "$n" >"$state" || tn_fail "generate $n peers"
	tn_localapi_start "$state" "" --version 1.102.3 2>>"$TN_TMP/double.log"
	rm -f "$TN_CACHE"
	TN_WATCH_LOG="$TN_TMP/watch-$n.log"
	tn_watch_start --quiet --poll 3600 # the periodic full check (60 s) must not fall into the storm's count
	tn_wait_until 60 "the first cache of $n peers" "$HELPER" hosts
	tn_wait_until 10 "the watcher's stream" tn_watchers 1

	for i in $(seq "$CHANGES"); do
		sleep 0.3
		us=$(tn_change_latency_us "bench-$i.$SUFFIX" present "add-peer?name=bench-$i") || exit 1
		echo "add $n $us" >>"$RESULTS"
	done

	sleep 0.5
	reads0=$(full_reads) gen0=$(tn_generation) inode0=$(stat -c %i "$TN_CACHE") cpu0=$(cpu_ticks)
	storm=$(tn_ctl "online?count=1000&interval_ms=2") || tn_fail "the storm"
	sleep 1
	reads1=$(full_reads) gen1=$(tn_generation) inode1=$(stat -c %i "$TN_CACHE") cpu1=$(cpu_ticks)
	span_ms=$((($(tn_json_field "$storm" last_ns) - $(tn_json_field "$storm" emitted_ns)) / 1000000))
	echo "storm $n $((reads1 - reads0)) $((gen1 - gen0)) $([ "$inode0" = "$inode1" ] && echo 0 || echo 1) \
$(((cpu1 - cpu0) * 1000 / TICKS)) $span_ms" >>"$RESULTS"

	sleep 0.5
	gen0=$(tn_generation)
	out="$TN_TMP/burst.out"
	"$TN_BUILD/tests/resolve_probe" wait "burst-1000.$SUFFIX" present 20000 >"$out" &
	probe=$!
	tn_wait_until 5 "resolve_probe start" grep -q ready "$out"
	burst=$(tn_ctl "add-peers?count=1000&prefix=burst&interval_ms=0.7") || tn_fail "the burst"
	wait "$probe" || tn_fail "burst-1000 did not resolve"
	at=$(sed -n 's/^at //p' "$out")
	names=$("$HELPER" hosts | grep -o "burst-[0-9]*\.$SUFFIX" | sort -u | wc -l)
	[ "$names" = 1000 ] || tn_fail "only $names of the burst's 1,000 names resolve once the last does"
	first_ns=$(tn_json_field "$burst" emitted_ns) last_ns=$(tn_json_field "$burst" last_ns)
	echo "burst $n $(((at - last_ns) / 1000)) $(($(tn_generation) - gen0)) $(((last_ns - first_ns) / 1000)) \
$(((at - first_ns) / 1000))" >>"$RESULTS"

	tn_watch_stop
	[ "$TN_WATCH_RC" = 0 ] || tn_fail "the watcher exited $TN_WATCH_RC"
	[ -s "$TN_WATCH_LOG" ] && { echo "watcher log ($n peers):"; cat "$TN_WATCH_LOG"; }
	tn_localapi_stop
	echo "measured the watcher at $n peers" >&2
done

command python3 - "$RESULTS" "$CHANGES" <<'PY'
import collections, statistics, sys
adds, storms, bursts = collections.defaultdict(list), {}, {}
for line in open(sys.argv[1]):
    f = line.split()
    if f[0] == "add":
        adds[int(f[1])].append(int(f[2]) / 1000)
    elif f[0] == "storm":
        storms[int(f[1])] = [int(x) for x in f[2:]]
    else:
        bursts[int(f[1])] = [int(x) for x in f[2:]]
print()
print("tailnet-helper watch against a 1.102.3 bus (defaults: writes at once, then at most one per 0.25 s)")
print("one added peer, notification to getaddrinfo finding it (%s isolated changes per size):" % sys.argv[2])
print("%10s %12s %12s %12s" % ("peers", "median", "worst", "best"))
for n in sorted(adds):
    v = adds[n]
    print("%10d %9.1f ms %9.1f ms %9.1f ms" % (n, statistics.median(v), max(v), min(v)))
print("a storm of 1,000 online/last-seen notifications:")
print("%10s %12s %12s %12s %14s" % ("peers", "full reads", "rewrites", "helper CPU", "storm lasted"))
for n in sorted(storms):
    reads, gens, replaced, cpu_ms, span = storms[n]
    print("%10d %12d %12d %9d ms %11d ms" % (n, reads, max(gens, replaced), cpu_ms, span))
print("a burst of 1,000 added peers:")
print("%10s %14s %14s %20s %10s %12s" % ("peers", "burst lasted", "all resolve", "after the last", "rewrites",
                                         "rewrites/s"))
for n in sorted(bursts):
    after_us, gens, span_us, total_us = bursts[n]
    print("%10d %11.0f ms %11.0f ms %17.1f ms %10d %12.1f" % (n, span_us / 1000, total_us / 1000, after_us / 1000,
                                                                gens, gens / max(1.0, total_us / 1e6)))
PY
