#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# up_latency.sh - what `tailnet-helper up` costs in the "second shell" case it is built for: the node is
# Running and a watcher that up started keeps the cache, so up only finds the daemon (status?peers=false),
# checks the watcher's pidfile and the cache, and prints the summary: it reads no full status, so its cost is
# flat in the tailnet's size. Measured as whole processes, interleaved round by round with the alternatives in
# the same run: `tailnet-helper sync` (one full status read and a cache write, what a hosts-file updater would
# do on every shell) and /bin/true (the cost of starting a process at all). The target compares up at every
# size with `sync` of the 10-peer tailnet. The daemon is the LocalAPI double serving a generated tailnet
# (UP_BENCH_SIZES, default 10, 1,000, 10,000 and 100,000 peers) on the state directory's socket, as a
# userspace-mode tailscaled would. Run by `make bench`; own namespaces.
set -u
: "${TN_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export TN_SRCDIR
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"
SIZES="${UP_BENCH_SIZES:-10 1000 10000 100000}"
ROUNDS="${UP_BENCH_ROUNDS:-60}"
RESULTS="$TN_TMP/up.txt"
: >"$RESULTS"

for n in $SIZES; do
	state_dir="$TN_TMP/state-$n"
	mkdir -m 0700 "$state_dir"
	command python3 "$TN_SRCDIR/tests/tools/gen_status.py" "$n" >"$TN_TMP/status-$n.json" || tn_fail "generate $n peers"
	tn_localapi_start "$TN_TMP/status-$n.json" "$state_dir/tailscaled.sock" 2>>"$TN_TMP/double.log"
	# the double reads its state on the first request: 136 MB of JSON at 100,000 peers takes it seconds
	curl -sS --max-time 300 --unix-socket "$state_dir/tailscaled.sock" -o /dev/null \
		"http://local-tailscaled.sock/localapi/v0/status?peers=false" || tn_fail "the double at $n peers"
	"$HELPER" up --state-dir "$state_dir" --mode userspace >"$TN_TMP/first-up.out" 2>&1 ||
		tn_fail "the first up at $n peers: $(cat "$TN_TMP/first-up.out")"
	grep -q "peers      $n" "$TN_TMP/first-up.out" || tn_fail "up did not see $n peers: $(cat "$TN_TMP/first-up.out")"
	command python3 - "$n" "$ROUNDS" "$HELPER" "$state_dir" >>"$RESULTS" <<'PY' || tn_fail "timing at $n peers"
import subprocess, sys, time
n, rounds, helper, state = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
cmds = {
    "up": [helper, "up", "--state-dir", state, "--mode", "userspace", "--quiet"],
    "sync": [helper, "sync", "--socket", state + "/tailscaled.sock", "--quiet"],
    "true": ["/bin/true"],
}
for r in range(rounds + 3):
    for name, cmd in cmds.items():
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, stdout=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if rc != 0:
            sys.exit("%s exited %d" % (name, rc))
        if r >= 3:  # warm-up rounds: page cache, the double's rendered status
            print(n, name, "%.6f" % dt)
PY
	[ "$(pgrep -fc "tailnet-helper watch")" = 1 ] || tn_fail "not exactly one watcher after $ROUNDS ups"
	"$HELPER" down --state-dir "$state_dir" >/dev/null
	tn_localapi_stop
	echo "measured up at $n peers" >&2
done

command python3 - "$RESULTS" "$ROUNDS" <<'PY'
import collections, statistics, sys
by = collections.defaultdict(list)
for line in open(sys.argv[1]):
    n, name, s = line.split()
    by[(int(n), name)].append(float(s) * 1000)
smallest = min(k[0] for k in by)
base = statistics.median(by[(smallest, "sync")])
print()
print("tailnet-helper up when everything is up (the second shell): whole processes, %s interleaved rounds" % sys.argv[2])
print("%10s %-6s %10s %10s %10s %20s" % ("peers", "cmd", "median", "p90", "worst", "up / sync of %d" % smallest))
for n in sorted({k[0] for k in by}):
    for name in ("up", "sync", "true"):
        v = sorted(by[(n, name)])
        ratio = statistics.median(v) / base
        print("%10d %-6s %7.2f ms %7.2f ms %7.2f ms %20s" % (n, name, statistics.median(v), v[int(len(v) * 0.9)],
                                                            v[-1], "%.2fx" % ratio if name == "up" else ""))
PY
