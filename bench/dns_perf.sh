#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# dns_perf.sh - the DNS responder (`tailnet-helper dns`) against dnsmasq serving the same names from a hosts
# file, with dnsperf on loopback, in one run, in a private namespace. The tailnet: 10,000 generated peers
# (tests/tools/gen_status.py, BENCH_DNS_PEERS overrides), synced into the cache for the responder and written
# as the /etc/hosts lines of the seed's update-hosts.sh approach for dnsmasq (--addn-hosts, --cache-size=0,
# authoritative for the suffix with --local). Queries: every peer's FQDN, A and AAAA, shuffled: the same file
# for both servers.
#   throughput  dnsperf -c 2 -q 100 (100 queries outstanding) for BENCH_DNS_SECONDS (8), the servers in turn,
#               BENCH_DNS_ROUNDS (3) rounds: queries per second (median of the rounds, min-max) and dnsperf's
#               own average latency, which at saturation is mostly queueing.
#   latency     dnsperf -Q 5000 (a fixed rate both servers sustain) -v for 2 s, the servers in turn,
#               BENCH_DNS_LATENCY_ROUNDS (9) rounds: every answer's latency as dnsperf printed it (microsecond
#               resolution); per round p50 and p99, reported as the median of the rounds [min-max]. On a
#               shared machine a busy second can move one round's p99 by milliseconds; short alternating
#               rounds and their median keep such bursts from deciding the comparison.
# Called at the end of bench/run.sh (make bench); runs alone too. Needs root.
set -u
: "${TN_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export TN_SRCDIR
if [ -z "${TN_IN_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "dns_perf: needs root (private namespaces)" >&2; exit 1; }
	TN_EXTRA_PACKAGES="dnsmasq-base dnsperf" "$TN_SRCDIR/scripts/install-deps.sh" || exit 1
fi
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
PEERS="${BENCH_DNS_PEERS:-10000}" SECONDS_EACH="${BENCH_DNS_SECONDS:-8}" ROUNDS="${BENCH_DNS_ROUNDS:-3}"
LATENCY_ROUNDS="${BENCH_DNS_LATENCY_ROUNDS:-9}"
RESPONDER_ADDR=127.100.100.100 DNSMASQ_ADDR=127.0.0.2
OUT="$TN_TMP/dnsperf"
mkdir -p "$OUT"

status="$TN_TMP/status.json" hosts="$TN_TMP/hosts" queries="$TN_TMP/queries"
python3 "$TN_SRCDIR/tests/tools/gen_status.py" "$PEERS" >"$status" || tn_fail "generate $PEERS peers"
python3 "$TN_SRCDIR/bench/hosts_from_status.py" "$status" "$hosts" >/dev/null || tn_fail "hosts file"
"$HELPER" sync --quiet --status-file "$status" || tn_fail "sync"
suffix=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["CurrentTailnet"]["MagicDNSSuffix"])' "$status")
python3 - "$hosts" "$suffix" >"$queries" <<'PY' || tn_fail "query file"
import random, sys
names = sorted({f[1] for f in (l.split() for l in open(sys.argv[1])) if len(f) > 1 and f[1].endswith("." + sys.argv[2])})
lines = ["%s %s" % (n, t) for n in names for t in ("A", "AAAA")]
random.Random(1).shuffle(lines)
print("\n".join(lines))
PY

"$HELPER" dns --quiet --listen "$RESPONDER_ADDR" &
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$hosts" \
	--local=/"$suffix"/ --listen-address="$DNSMASQ_ADDR" --bind-interfaces --port=53 --user=root \
	--pid-file="$TN_TMP/dnsmasq.pid" --cache-size=0 2>"$TN_TMP/dnsmasq.log" &
first=$(head -n1 "$queries" | cut -d' ' -f1)
for addr in $RESPONDER_ADDR $DNSMASQ_ADDR; do
	for _ in $(seq 100); do
		[ -n "$(dig +short +tries=1 +time=1 @"$addr" "$first")" ] && continue 2
		sleep 0.05
	done
	tn_fail "$addr does not answer $first"
done

echo "dnsperf $(dnsperf -h 2>&1 | sed -n 's/^Version //p'), $PEERS peers, $(wc -l <"$queries") queries in the file" \
	"($(cut -d' ' -f1 "$queries" | sort -u | wc -l) names, A and AAAA)" >&2
for server in responder dnsmasq; do # warm-up, not reported
	addr=$([ $server = responder ] && echo $RESPONDER_ADDR || echo $DNSMASQ_ADDR)
	dnsperf -s "$addr" -d "$queries" -l 1 -c 2 -q 100 >/dev/null 2>&1
done
for round in $(seq "$ROUNDS"); do
	for server in responder dnsmasq; do
		addr=$([ $server = responder ] && echo $RESPONDER_ADDR || echo $DNSMASQ_ADDR)
		dnsperf -s "$addr" -d "$queries" -l "$SECONDS_EACH" -c 2 -q 100 >"$OUT/throughput-$server-$round" 2>&1 ||
			tn_fail "dnsperf against $server"
	done
done
for round in $(seq "$LATENCY_ROUNDS"); do
	for server in responder dnsmasq; do
		addr=$([ $server = responder ] && echo $RESPONDER_ADDR || echo $DNSMASQ_ADDR)
		dnsperf -s "$addr" -d "$queries" -l 2 -Q 5000 -v >"$OUT/latency-$server-$round" 2>&1 ||
			tn_fail "dnsperf -v against $server"
	done
done
python3 "$TN_SRCDIR/bench/dnsperf_report.py" "$OUT"
