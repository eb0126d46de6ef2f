#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make bench: lookup latency of libnss_tailnet against the alternatives, measured in one run, in a private
# mount+network namespace that looks like a tailnet host (tests/lib.sh's tn_tailnet_iface: a tailscale0-like
# veth carrying 100.x and fd7a: addresses with routes for 100.64.0.0/10 and fd7a:115c:a1e0::/48, since
# getaddrinfo's RFC 6724 sorting depends on them). Backends, interleaved in one process per size:
#   tailnet  this module, reading the cache `tailnet-helper sync` wrote
#   files    nss_files reading the /etc/hosts the seed's update-hosts.sh approach writes (FQDN + bare name)
#   dns      nss_dns asking dnsmasq on 127.0.0.1 serving the same hosts file (a lower bound for MagicDNS)
#   floor    a module answering from constants: glibc's own overhead
# Sizes: 10, 1,000, 10,000, 100,000 peers (BENCH_SIZES overrides). Also the helper's sync time and peak RSS.
# Then bench/watch_latency.sh: from a peer announced on the IPN bus to its name resolving (100 and 10,000 peers),
# bench/dns_perf.sh (the DNS responder against dnsmasq) and bench/up_latency.sh (`up` when all is up).
set -u -o pipefail
: "${TN_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}"
export TN_SRCDIR
if [ -z "${TN_IN_NS:-}" ]; then
	[ "$(id -u)" = 0 ] || { echo "bench: needs root (private namespaces)" >&2; exit 1; }
	TN_EXTRA_PACKAGES="dnsmasq-base dnsperf" "$TN_SRCDIR/scripts/install-deps.sh" || exit 1
fi
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
trap 'tn_cleanup; [ -n "${DNSMASQ:-}" ] && kill "$DNSMASQ" 2>/dev/null' EXIT
export LD_LIBRARY_PATH="$TN_BUILD:$TN_BUILD/bench"
BENCH="$TN_BUILD/bench/lookup_bench"
SUFFIX=magellanic-gondola.ts.net
SIZES="${BENCH_SIZES:-10 1000 10000 100000}"
RESULTS="$TN_TMP/results.txt"

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), glibc $(ldd --version | head -n1 | awk '{print $NF}')"
for n in $SIZES; do
	status="$TN_TMP/status-$n.json"
	hosts="$TN_TMP/hosts-$n"
	python3 "$TN_SRCDIR/tests/tools/gen_status.py" "$n" >"$status" || tn_fail "generate $n peers"
	# The seed's update-hosts.sh result: one line per address with the FQDN and the bare name; plus which
	# names sit first and last in it.
	read -r first first_ip last last_ip < <(python3 "$TN_SRCDIR/bench/hosts_from_status.py" "$status" "$hosts")
	rm -rf /var/cache/tailnet
	python3 "$TN_SRCDIR/bench/measure.py" "sync $n" "$HELPER" sync --quiet --status-file "$status" >>"$RESULTS" ||
		tn_fail "sync of $n peers"
	echo "sync-bytes $n $(stat -c %s /var/cache/tailnet/hosts.cache) $(stat -c %s "$status")" >>"$RESULTS"
	mount --bind "$hosts" /etc/hosts
	dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --addn-hosts="$hosts" \
		--local=/$SUFFIX/ --listen-address=127.0.0.1 --bind-interfaces --port=53 --user=root \
		--pid-file="$TN_TMP/dnsmasq.pid" --cache-size=0 2>"$TN_TMP/dnsmasq.log" &
	DNSMASQ=$!
	for _ in $(seq 200); do getent -s hosts:dns hosts "$first" >/dev/null && break; sleep 0.05; done
	"$BENCH" warm tailnet,files,dns,floor "first=$first,$first_ip" "last=$last,$last_ip" "miss=nx-missing.$SUFFIX" |
		sed "s/^/warm $n /" >>"$RESULTS" || tn_fail "lookup benchmark at $n peers"
	# A fresh process's first lookup: what one-shot programs (curl, ssh, getent) pay. The backends take turns,
	# 21 times: a process start on this kind of machine varies by tens of percent from one to the next.
	for _ in $(seq 21); do
		for backend in tailnet files dns floor; do
			echo "cold $n $backend $("$BENCH" cold "$backend" "$first")" >>"$RESULTS"
		done
	done
	# The module's own call, straight and right after a system call: what its pages cost once the TLB is empty.
	"$BENCH" direct "$first" 41 | sed "s/^direct /direct $n /" >>"$RESULTS" || tn_fail "direct calls at $n peers"
	# Throughput with 1, 2, 4 and 8 threads, this module against the floor, in alternating 300 ms runs.
	for t in 1 2 4 8; do
		for _ in 1 2 3 4 5; do
			for backend in tailnet floor; do
				echo "threads $n $backend $t $("$BENCH" threads "$backend" "$first" "$t" 300)" >>"$RESULTS"
			done
		done
	done
	# Instructions per lookup inside the NSS function (callgrind, deterministic): where the time of a warm
	# lookup goes, without the noise of a shared machine. 20,001 calls, the first of which opens the cache.
	for backend in tailnet floor; do
		for op in gethostbyname2_r gai_unspec; do
			for target in "first=$first" "miss=nx-missing.$SUFFIX"; do
				valgrind --tool=callgrind --callgrind-out-file="$TN_TMP/callgrind.out" \
					--toggle-collect="_nss_${backend}_gethostbyname3_r" \
					--toggle-collect="_nss_${backend}_gethostbyname4_r" \
					"$BENCH" count "$backend" "${target#*=}" "$op" 20001 >/dev/null 2>&1 ||
					tn_fail "instruction count of $backend $op $target"
				total=$(sed -n 's/^totals: *//p' "$TN_TMP/callgrind.out")
				echo "instr $n $backend $op ${target%%=*} $((total / 20001))" >>"$RESULTS"
			done
		done
	done
	kill "$DNSMASQ"
	wait "$DNSMASQ" 2>/dev/null
	DNSMASQ=
	umount /etc/hosts
	echo "measured $n peers" >&2
done
python3 "$TN_SRCDIR/bench/report.py" "$RESULTS"
env -u TN_IN_NS "$TN_SRCDIR/bench/watch_latency.sh"
env -u TN_IN_NS "$TN_SRCDIR/bench/dns_perf.sh" # the DNS responder vs dnsmasq, in a namespace of its own
env -u TN_IN_NS "$TN_SRCDIR/bench/up_latency.sh" # the second shell's `tailnet-helper up`
