#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# cold_ab.sh - the first lookup of a fresh process (lookup_bench cold: getaddrinfo AF_INET, nsswitch parsing and
# module loading included) through two or more builds of the module, interleaved process by process with the
# floor module, so that a change to the cold path can be judged against the build before it in the same run
# (a process start on a shared VM moves by tens of percent between runs, far more than most changes).
# Usage: TN_BUILD=build bench/cold_ab.sh "10 100000" ROUNDS DIR... - each DIR holds a libnss_tailnet.so.2
# (copy one aside before rebuilding); prints per size and build the median time, its ratio to the floor's
# median and the median page faults. Not part of `make bench`; own namespaces, root.
set -u -o pipefail
: "${TN_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export TN_SRCDIR
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
[ $# -ge 3 ] || tn_fail "usage: cold_ab.sh SIZES ROUNDS DIR..."
BENCH="$TN_BUILD/bench/lookup_bench"
sizes=$1
rounds=$2
shift 2
for n in $sizes; do
	status="$TN_TMP/status-$n.json"
	command python3 "$TN_SRCDIR/tests/tools/gen_status.py" "$n" >"$status" || tn_fail "generate $n peers"
	read -r first _ < <(command python3 "$TN_SRCDIR/bench/hosts_from_status.py" "$status" "$TN_TMP/hosts")
	rm -rf /var/cache/tailnet
	"$HELPER" sync --quiet --status-file "$status" || tn_fail "sync of $n peers"
	for _ in $(seq "$rounds"); do
		for dir in "$@"; do
			echo "$dir $(LD_LIBRARY_PATH="$dir:$TN_BUILD/bench" "$BENCH" cold tailnet "$first")"
		done
		echo "floor $(LD_LIBRARY_PATH="$TN_BUILD/bench" "$BENCH" cold floor "$first")"
	done | command python3 -c '
import collections, statistics, sys
runs = collections.defaultdict(list)
for line in sys.stdin:
    f = line.split()  # build, nanoseconds, status, page faults
    runs[f[0]].append((int(f[1]), int(f[3])))
floor = statistics.median(ns for ns, _ in runs["floor"])
for build, r in runs.items():
    ns = statistics.median(ns for ns, _ in r)
    print("%7s peers  %-32s %7.0f us  %.2fx the floor  %s page faults"
          % (sys.argv[1], build[-32:], ns / 1000, ns / floor, statistics.median(pf for _, pf in r)))' "$n"
done
