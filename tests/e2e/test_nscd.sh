# SPDX-License-Identifier: BSD-3-Clause
# test_nscd.sh - how long nscd (Debian's, with Debian's hosts settings) keeps a tailnet name after it left the
# cache. The module gives positive answers a TTL of 5 s, but nscd drops entries only when its prune thread
# runs, at least 15 s apart (glibc's CACHE_PRUNE_INTERVAL), so a removed peer can resolve through nscd for
# up to about 20 s (its 5 s, then the next prune). Measured over several rounds: the name is looked up
# (nscd caches it), removed from the cache at once, and looked up every 100 ms until it is gone. Without
# nscd the module sees the new cache on the very next lookup. nscd runs in this test's namespaces, with its
# socket and files on private mounts; the machine's nscd, if any, is never touched.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
S=magellanic-gondola.ts.net
command -v nscd >/dev/null || tn_fail "nscd is not installed (make deps)"
if [ -n "${TN_SAN:-}" ]; then
	echo "skip: nscd would have to load the instrumented module"
	exit 0
fi
ROUNDS=${TN_NSCD_ROUNDS:-3} # at most 20 s each

# nscd's socket (/var/run/nscd/socket, which every glibc client looks for) and files, private to this test.
mkdir -p /run/nscd /var/cache/nscd
mount -t tmpfs -o mode=0755 tn-nscd-run /run/nscd || tn_fail "tmpfs on /run/nscd"
mount -t tmpfs -o mode=0755 tn-nscd-cache /var/cache/nscd || tn_fail "tmpfs on /var/cache/nscd"
# Debian's hosts settings (/etc/nscd.conf as shipped); the other tables off.
cat >"$TN_TMP/nscd.conf" <<'CONF'
	paranoia		no
	enable-cache		hosts		yes
	positive-time-to-live	hosts		3600
	negative-time-to-live	hosts		20
	suggested-size		hosts		211
	check-files		hosts		yes
	persistent		hosts		yes
	shared			hosts		yes
	max-db-size		hosts		33554432
	enable-cache		passwd		no
	enable-cache		group		no
	enable-cache		services	no
	enable-cache		netgroup	no
CONF

# One peer per round, so that no round meets the negative answer nscd keeps from the round before.
PEERS=(vault vault-1 alice-laptop pixel-7 printer bobs-thinkpad)
[ "$ROUNDS" -le ${#PEERS[@]} ] || tn_fail "at most ${#PEERS[@]} rounds"
command python3 - "$EXAMPLES/running.json" "$TN_TMP" "${PEERS[@]}" <<'PY' || tn_fail "statuses without one peer"
import json, sys
doc, out = json.load(open(sys.argv[1])), sys.argv[2]
for name in sys.argv[3:]:
    d = dict(doc, Peer={k: p for k, p in doc["Peer"].items() if not p.get("DNSName", "").startswith(name + ".")})
    assert len(d["Peer"]) == len(doc["Peer"]) - 1, name
    json.dump(d, open("%s/without-%s.json" % (out, name), "w"))
PY
fqdn() { command python3 -c 'import json,sys; print(next(p["DNSName"].rstrip(".") for p in json.load(open(sys.argv[1]))["Peer"].values() if p.get("DNSName","").startswith(sys.argv[2] + ".")))' "$EXAMPLES/running.json" "$1"; }
with_all() { "$HELPER" sync --quiet --status-file "$EXAMPLES/running.json" || tn_fail "sync"; }
without() { "$HELPER" sync --quiet --status-file "$TN_TMP/without-$1.json" || tn_fail "sync"; }

# Without nscd: the next lookup after the sync already misses.
with_all
tn_expect_rc 0 "without nscd: vault resolves" getent hosts vault.$S
without vault
tn_expect_rc 2 "without nscd: gone on the very next lookup" getent hosts vault.$S

nscd -F -f "$TN_TMP/nscd.conf" 2>"$TN_TMP/nscd.log" &
tn_wait_with_nscd() {
	for _ in $(seq 100); do [ -S /run/nscd/socket ] && return 0; sleep 0.05; done
	tn_fail "nscd did not open its socket: $(cat "$TN_TMP/nscd.log")"
}
tn_wait_with_nscd
samples=()
for round in $(seq "$ROUNDS"); do
	peer=${PEERS[round - 1]}
	name=$(fqdn "$peer")
	with_all
	getent hosts "$name" >/dev/null || tn_fail "round $round: $name does not resolve through nscd"
	start=${EPOCHREALTIME/./}
	without "$peer"
	while getent hosts "$name" >/dev/null; do
		[ $(((${EPOCHREALTIME/./} - start) / 1000000)) -lt 40 ] || tn_fail "round $round: nscd still answers after 40 s"
		sleep 0.1
	done
	ms=$(((${EPOCHREALTIME/./} - start) / 1000))
	samples+=("$ms")
	echo "round $round: $name resolved through nscd for $ms ms after it left the cache"
	# The next round starts at another point of nscd's prune cycle.
	sleep "0.$((RANDOM % 10))"
done
sorted=$(printf '%s\n' "${samples[@]}" | sort -n | tr '\n' ' ')
max=$(printf '%s\n' "${samples[@]}" | sort -n | tail -n 1)
echo "nscd kept a removed name for (ms, sorted): $sorted"
# The documented figure: longer than the module's 5 s TTL, and gone within its 5 s and one 15 s prune interval
# (with 3 s of slack for a busy machine).
[ "$max" -gt 5000 ] || tn_fail "nscd never kept the name past the module's 5 s TTL ($sorted): the documented figure is wrong"
[ "$max" -le 23000 ] || tn_fail "nscd kept the name for $max ms, past the documented 20 s"
tn_ok "through nscd a removed name lasts up to about 20 s, not 5 s (measured: $sorted ms)"
