#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# measure_sync.sh [PEERS...] - wall time and peak RSS of `tailnet-helper sync` on large tailnets.
#
# For each peer count (default: 10000 100000) it generates a status document with gen_status.py (kept in
# $MEASURE_DIR, default /tmp/tailnet-measure, for the next run), then times `sync --status-file` and `sync
# --socket` against the LocalAPI double (warmed up first, so the double's own JSON rendering is not
# counted), RUNS times each (default 3), with /usr/bin/time. The budget for 100,000 peers (about 136 MB of
# JSON) is < 1 s wall and < 200 MB peak RSS; the script exits 1 when the best run of a count >= 100000
# misses it. Not part of `make check`; needs no root (the cache goes to $MEASURE_DIR). BUILD names the build.
set -u
cd "$(dirname "$0")/../.."
: "${BUILD:=build}" "${MEASURE_DIR:=/tmp/tailnet-measure}" "${RUNS:=3}"
HELPER="$BUILD/tailnet-helper"
[ -x "$HELPER" ] || { echo "measure_sync: build $HELPER first (make)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "measure_sync: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
mkdir -p "$MEASURE_DIR"
counts=${*:-10000 100000}
double_pid=""
trap '[ -n "$double_pid" ] && kill "$double_pid" 2>/dev/null' EXIT
status=0

# run_timed LABEL N ARGS...: RUNS timed syncs; prints each and the best; sets BEST_S and BEST_KB.
run_timed() {
	local label=$1 n=$2 i line
	shift 2
	BEST_S="" BEST_KB=""
	for i in $(seq "$RUNS"); do
		line=$(/usr/bin/time -f '%e %M' "$HELPER" sync --cache "$MEASURE_DIR/cache-$n" "$@" 2>&1 >/dev/null) || {
			echo "  $label: sync failed: $line"
			status=1
			return
		}
		read -r s kb <<<"$(tail -n 1 <<<"$line")"
		printf '  %-22s run %d: %5.2f s %7d KB\n' "$label" "$i" "$s" "$kb"
		if [ -z "$BEST_S" ] || awk "BEGIN { exit !($s < $BEST_S) }"; then BEST_S=$s; fi
		if [ -z "$BEST_KB" ] || [ "$kb" -lt "$BEST_KB" ]; then BEST_KB=$kb; fi
	done
	printf '  %-22s best:  %5.2f s %7d KB (%d MB)\n' "$label" "$BEST_S" "$BEST_KB" $((BEST_KB / 1024))
	if [ "$n" -ge 100000 ] && ! awk "BEGIN { exit !($BEST_S < 1.0 && $BEST_KB < 200 * 1024) }"; then
		echo "  OVER BUDGET: $label with $n peers needs < 1 s and < 200 MB"
		status=1
	fi
}

for n in $counts; do
	doc="$MEASURE_DIR/status-$n.json"
	[ -s "$doc" ] || python3 tests/tools/gen_status.py "$n" >"$doc" || exit 1
	echo "== $n peers: $(($(stat -c %s "$doc") / 1000000)) MB of status JSON"
	run_timed "--status-file" "$n" --status-file "$doc"

	sock="$MEASURE_DIR/tailscaled-$n.sock"
	rm -f "$sock"
	python3 tests/doubles/localapi_double.py --socket "$sock" --state "$doc" 2>/dev/null &
	double_pid=$!
	# Warm-up, once the double listens: it renders (json.load + dumps) once per state file, and that is
	# its cost, not ours.
	for _ in $(seq 100); do
		curl -s --unix-socket "$sock" -o /dev/null http://local-tailscaled.sock/localapi/v0/status && break
		sleep 0.1
	done || { echo "  the LocalAPI double did not answer"; status=1; }
	run_timed "--socket (double)" "$n" --socket "$sock" --timeout 60
	kill "$double_pid" 2>/dev/null
	wait "$double_pid" 2>/dev/null
	double_pid=""
done
exit $status
