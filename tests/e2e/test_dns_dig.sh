# SPDX-License-Identifier: BSD-3-Clause
# test_dns_dig.sh - `tailnet-helper dns` asked by dig (bind9-dnsutils): every record type, NXDOMAIN with SOA,
# NODATA, REFUSED outside the tailnet, EDNS, TC and the TCP retry, opcodes and malformed packets (a fuzz-ish
# loop: the responder keeps answering), TCP framing, a new cache noticed without restart, loopback-only
# listening, and exit 0 on SIGTERM/SIGINT. Cache: running.json plus one ExtraRecords name with 60 addresses.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
S=magellanic-gondola.ts.net
NS=127.100.100.100
POKE=(command python3 "$TN_SRCDIR/tests/tools/dns_poke.py" "$NS")
command -v dig >/dev/null || tn_fail "dig is not installed (make deps)"

# running.json with "big.$S": 60 AAAA (1680 bytes of answer: over UDP's 512 and 1232) and 40 A records.
command python3 - "$EXAMPLES/running.json" "$TN_TMP/status.json" <<'PY' || tn_fail "status with a big name"
import json, sys
doc = json.load(open(sys.argv[1]))
doc["ExtraRecords"] += [{"Name": "big.magellanic-gondola.ts.net.", "Value": "fd7a:115c:a1e0::b:%x" % i} for i in range(1, 61)]
doc["ExtraRecords"] += [{"Name": "big.magellanic-gondola.ts.net.", "Value": "100.100.9.%d" % i} for i in range(1, 41)]
json.dump(doc, open(sys.argv[2], "w"))
PY
"$HELPER" sync --status-file "$TN_TMP/status.json" || tn_fail "sync"

# start_responder ARGS...: in the background, logging to $TN_TMP/dns.log; waits until it answers.
start_responder() {
	"$HELPER" dns "$@" 2>"$TN_TMP/dns.log" &
	RESPONDER=$!
	for _ in $(seq 100); do
		dig +tries=1 +time=1 @$NS vault >/dev/null 2>&1 && return 0
		kill -0 $RESPONDER 2>/dev/null || tn_fail "the responder exited: $(cat "$TN_TMP/dns.log")"
		sleep 0.05
	done
	tn_fail "the responder does not answer"
}
start_responder --verbose
tn_assert_contains "$(cat "$TN_TMP/dns.log")" \
	"answering on $NS:53 (UDP, TCP) from /var/cache/tailnet/hosts.cache: generation 1, suffix $S" \
	"one start line: address, cache, generation"
tn_assert_eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' /proc/$RESPONDER/status)" "65534 65534 65534 65534" \
	"once listening, the responder runs as nobody (real, effective, saved, fs uid)"
tn_assert_eq "$(awk '/^Groups:/ {print $2}' /proc/$RESPONDER/status)" "" "with no supplementary groups"
tn_assert_eq "$(awk '/^NoNewPrivs:/ {print $2}' /proc/$RESPONDER/status)" "1" "and no_new_privs"

d() { dig +tries=1 +time=2 @$NS "$@"; }
# section answer|authority NAME [TYPE] ...: that section's records, blanks squeezed to one space.
section() {
	local which=$1
	shift
	d +noall "+$which" "$@" | tr -s ' \t' '  '
}
# status NAME [TYPE] [DIG OPTIONS]: "<rcode> <flags>" of the answer.
status() {
	d "$@" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p; s/^;; flags: \([a-z ]*\);.*/\1/p' | tr '\n' ' ' | sed 's/ $//'
}

# Records.
tn_assert_eq "$(d +short vault A)" "100.101.33.8" "A of a bare name"
tn_assert_eq "$(d +short vault AAAA)" "fd7a:115c:a1e0::c601:2108" "AAAA of a bare name"
tn_assert_eq "$(section answer vault.$S A)" "vault.$S. 5 IN A 100.101.33.8" "A of the FQDN, TTL 5 s"
tn_assert_eq "$(section answer VAULT-1.Magellanic-Gondola.TS.net AAAA)" \
	"VAULT-1.Magellanic-Gondola.TS.net. 5 IN AAAA fd7a:115c:a1e0::e201:55a" "case-insensitive; the question echoed as asked"
tn_assert_eq "$(d +short vault ANY | sort | tr '\n' ' ')" "100.101.33.8 fd7a:115c:a1e0::c601:2108 " "ANY gives both"
tn_assert_eq "$(d +short printer.hedgehog-arcade.ts.net A)" "100.77.3.250" "shared-in node by FQDN"
tn_assert_eq "$(status vault A)" "NOERROR qr aa rd" "authoritative, no recursion offered"
tn_assert_eq "$(section answer -x 100.101.33.8)" "8.33.101.100.in-addr.arpa. 5 IN PTR vault.$S." "PTR, IPv4"
tn_assert_eq "$(d +short -x fd7a:115c:a1e0::aa01:c903)" "alice-laptop.$S." "PTR, IPv6"

# Negative answers.
tn_assert_eq "$(status nope.$S A)" "NXDOMAIN qr aa rd" "unknown name under the suffix: NXDOMAIN"
tn_assert_eq "$(section authority nope.$S A)" "$S. 10 IN SOA $S. nobody.invalid. 1 3600 1200 604800 10" \
	"with the suffix's SOA (negative TTL 10 s, serial = cache generation)"
tn_assert_eq "$(status -x 100.64.9.9)" "NXDOMAIN qr aa rd" "unknown address in 100.64.0.0/10: NXDOMAIN"
tn_assert_eq "$(section authority -x 100.64.9.9 | cut -d' ' -f1,4)" "64.100.in-addr.arpa. SOA" "with its /16 zone's SOA"
tn_assert_eq "$(section authority -x fd7a:115c:a1e0::77 | cut -d' ' -f1,4)" "0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa. SOA" \
	"unknown address in fd7a:115c:a1e0::/48: NXDOMAIN with the /48 zone's SOA"
tn_assert_eq "$(status grafana.$S AAAA)" "NOERROR qr aa rd" "known name without AAAA: NOERROR ..."
tn_assert_contains "$(d grafana.$S AAAA)" "ANSWER: 0, AUTHORITY: 1" "... no data, the SOA"
tn_assert_contains "$(d vault MX)" "ANSWER: 0," "other types of a known name: no data"

# Outside the tailnet: REFUSED, never forwarded, never authoritative.
# The suffix itself is its zone's apex: NXDOMAIN, as quad-100 (tsdns.go: the authoritative zone contains it).
tn_assert_eq "$(status $S SOA)" "NXDOMAIN qr aa rd" "the suffix's apex: NXDOMAIN"
for q in "example.org A" "nas A" "printer A" "grafana A" "nope.hedgehog-arcade.ts.net A" "-x 10.0.0.1" \
	"-x 100.128.0.1" "_ldap._tcp.$S SRV" "version.bind TXT CH"; do
	# shellcheck disable=SC2086
	tn_assert_eq "$(status $q)" "REFUSED qr rd" "REFUSED: $q"
done

# EDNS(0).
tn_assert_contains "$(d vault)" "; EDNS: version: 0, flags:; udp: 1232" "OPT echoed with our payload size"
tn_assert_contains "$(d +dnssec vault)" "; EDNS: version: 0, flags: do; udp: 1232" "DO bit copied"
tn_assert_not_contains "$(d +noedns vault)" "OPT PSEUDOSECTION" "no OPT without one in the query"
tn_assert_contains "$(d +edns=1 +noednsneg vault)" "status: BADVERS" "EDNS version 1: BADVERS"
tn_assert_contains "$(d +cookie vault)" "status: NOERROR" "EDNS options (a cookie) are ignored, not an error"

# TC and the retry over TCP.
tn_assert_eq "$(status +ignore +noedns big.$S AAAA)" "NOERROR qr aa tc rd" "60 AAAA over UDP: TC ..."
tn_assert_contains "$(d +ignore +noedns big.$S AAAA)" "ANSWER: 0," "... and no partial answer"
tn_assert_eq "$(status +ignore +bufsize=4096 big.$S AAAA)" "NOERROR qr aa tc rd" "still TC at the 1232-byte EDNS limit"
tn_assert_eq "$(status +ignore +bufsize=1232 big.$S A)" "NOERROR qr aa rd" "40 A records fit in 1232 with EDNS ..."
tn_assert_eq "$(status +ignore +noedns big.$S A)" "NOERROR qr aa tc rd" "... not in 512 without"
tn_assert_eq "$(d +short big.$S AAAA | wc -l)" "60" "dig retries over TCP on TC and gets all 60"
tn_assert_eq "$(d +tcp +short big.$S AAAA | wc -l)" "60" "TCP directly"
tn_assert_eq "$(d +tcp +short -x 100.101.33.8)" "vault.$S." "PTR over TCP"
tn_assert_eq "$(d +tcp +short vault.$S A vault-1.$S A example.org A)" "100.101.33.8
100.71.5.90" "several queries, each on its TCP connection"

# Opcodes and questions dig does not send.
tn_assert_contains "$(d +opcode=notify vault)" "status: NOTIMP" "NOTIFY: NOTIMP"
tn_assert_contains "$(d +opcode=status vault)" "opcode: STATUS, status: NOTIMP" "STATUS: NOTIMP, opcode echoed"
tn_assert_eq "$("${POKE[@]}" ask vault --qdcount 2)" "id=16962 rcode=1 qd=0 an=0 tc=0" "two questions: FORMERR"
tn_assert_eq "$("${POKE[@]}" ask vault --qdcount 0)" "id=16962 rcode=1 qd=0 an=0 tc=0" "no question: FORMERR"
tn_assert_eq "$("${POKE[@]}" ask vault --type 252)" "id=16962 rcode=5 qd=1 an=0 tc=0" "AXFR: REFUSED"

# TCP framing.
tn_assert_eq "$("${POKE[@]}" pipeline)" "id=1 rcode=0 qd=1 an=1 tc=0
id=2 rcode=5 qd=1 an=0 tc=0
id=3 rcode=3 qd=1 an=0 tc=0" "three pipelined queries in one write: three answers in order"
tn_assert_eq "$("${POKE[@]}" trickle)" "id=16962 rcode=0 qd=1 an=1 tc=0" "a query sent one byte at a time"
tn_assert_eq "$("${POKE[@]}" oversized)" "closed" "a length prefix over the query limit closes the connection"
# Slow clients cannot hold the TCP side: 8 connections per client address, 64 in all, the least recently
# active one closed for a newcomer (on loopback every local user shares 127.0.0.1), idle ones closed after 3 s.
tn_assert_eq "$("${POKE[@]}" slots 1 20)" "open 8, at most 8 from one address
newcomer answered
udp answered" "20 slow clients from one address: 8 kept, a newcomer from that address answered, UDP too"
tn_assert_eq "$("${POKE[@]}" slots 12 8)" "open 64, at most 8 from one address
newcomer answered
udp answered" "8 slow clients from each of 12 addresses: 64 kept, a newcomer answered, UDP too"
idle=$("${POKE[@]}" idle)
tn_assert_contains "$idle" "closed after" "an idle connection is closed"
awk -v t="$(echo "$idle" | cut -d' ' -f3)" 'BEGIN { exit !(t >= 2.5 && t <= 4.5) }' ||
	tn_fail "an idle connection is closed after 3 s (the limit), not $idle"
tn_ok "after 3 s ($idle)"
tn_assert_eq "$(d +tcp +short vault A)" "100.101.33.8" "and TCP serves again once they are gone"

# Malformed input: a fuzz-ish loop of random, truncated, bit-flipped packets over UDP and TCP.
for seed in 1 2 3; do
	tn_assert_contains "$("${POKE[@]}" fuzz 1500 $seed)" "alive" "1500 malformed packets (seed $seed): still answering"
done
kill -0 $RESPONDER || tn_fail "the responder died"
tn_assert_eq "$(d +short vault A)" "100.101.33.8" "dig still gets answers"

# log_shows TEXT WHAT: the responder's log says TEXT within 3 s (it looks at the cache once a second).
log_shows() {
	for _ in $(seq 30); do
		grep -qF "$1" "$TN_TMP/dns.log" && break
		sleep 0.1
	done
	tn_assert_contains "$(cat "$TN_TMP/dns.log")" "$1" "$2"
}

# A new cache is noticed without a restart; a missing one makes everything REFUSED (clients move on).
"$HELPER" sync --status-file "$EXAMPLES/running.json" || tn_fail "re-sync"
sleep 1.2
tn_assert_eq "$(d +short big.$S A)" "" "the replaced cache no longer has big"
tn_assert_contains "$(status big.$S A)" "NXDOMAIN" "big is NXDOMAIN now"
log_shows "generation 2" "--verbose logged the new generation"
mv /var/cache/tailnet/hosts.cache "$TN_TMP/hosts.cache.away"
sleep 1.2
tn_assert_eq "$(status vault A)" "REFUSED qr rd" "no cache: REFUSED"
tn_assert_eq "$(status nope.$S A)" "REFUSED qr rd" "no cache: even unknown tailnet names are REFUSED"
log_shows "unusable: cache file does not exist" "--verbose logged why"
mv "$TN_TMP/hosts.cache.away" /var/cache/tailnet/hosts.cache
sleep 1.2
tn_assert_eq "$(d +short vault A)" "100.101.33.8" "the cache is back: answers again"

kill -TERM $RESPONDER
wait $RESPONDER
tn_assert_eq "$?" "0" "SIGTERM: exit 0"
start_responder --quiet
kill -INT $RESPONDER
wait $RESPONDER
tn_assert_eq "$?" "0" "SIGINT: exit 0"
tn_assert_eq "$(cat "$TN_TMP/dns.log")" "" "--quiet: nothing logged"

# Loopback only, unless told otherwise; IPv6 loopback; a port in use.
tn_expect_rc 2 "a non-loopback address is refused" "$HELPER" dns --listen 100.88.14.7
tn_assert_contains "$TN_OUT" "not a loopback address" "and says why"
tn_expect_rc 2 "the wildcard address is refused" "$HELPER" dns --listen 0.0.0.0:53
tn_expect_rc 2 "a bad address is a usage error" "$HELPER" dns --listen 127.0.0.1:99999
"$HELPER" dns --listen 100.88.14.7:5353 --allow-non-loopback 2>"$TN_TMP/dns2.log" &
OTHER=$!
"$HELPER" dns --listen "[::1]:5354" 2>"$TN_TMP/dns3.log" &
V6=$!
for _ in $(seq 100); do
	dig +tries=1 +time=1 -p 5353 @100.88.14.7 vault >/dev/null 2>&1 &&
		dig +tries=1 +time=1 -p 5354 @::1 vault >/dev/null 2>&1 && break
	sleep 0.05
done
tn_assert_eq "$(dig +short -p 5353 @100.88.14.7 vault A)" "100.101.33.8" "--allow-non-loopback: listens there"
tn_assert_eq "$(dig +short -p 5354 @::1 vault A)" "100.101.33.8" "IPv6 loopback [::1]:5354"
tn_expect_rc 1 "a port already in use" "$HELPER" dns --listen "[::1]:5354"
tn_assert_contains "$TN_OUT" "cannot listen on [::1]:5354 (UDP): Address already in use" "and says so"
kill $OTHER $V6
wait $OTHER $V6
