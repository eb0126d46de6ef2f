# SPDX-License-Identifier: BSD-3-Clause
# test_dns_clients.sh - programs that never call NSS, resolving through the responder: a pure-Go program
# (Debian's golang-go, CGO_ENABLED=0, like the official vault/terraform/kubectl builds) and a static musl
# program (musl-gcc -static, as in Alpine), both built here at test time; neither loads the NSS module
# (shown first). The namespace's resolv.conf is wired with `tailnet-helper resolv-conf --apply` on top of
# "nameserver 127.0.0.2", where dnsmasq knows only example.org and nas: tailnet names must come from the
# responder, example.org and a bare LAN name from dnsmasq after the responder's REFUSED, and an unknown
# tailnet name must end as "no such host" (the responder's NXDOMAIN).
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
S=magellanic-gondola.ts.net
for tool in go musl-gcc dnsmasq dig; do
	command -v "$tool" >/dev/null || tn_fail "$tool is not installed (make deps)"
done

# The clients, built now: Go offline with its caches in this test's temp dir.
GO="$TN_TMP/go-lookup" MUSL="$TN_TMP/musl-lookup"
(cd "$TN_SRCDIR/tests/tools/go" && GOCACHE="$TN_TMP/gocache" GOPATH="$TN_TMP/gopath" GOPROXY=off GOFLAGS= \
	CGO_ENABLED=0 go build -o "$GO" lookup.go) || tn_fail "go build"
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$MUSL" "$TN_SRCDIR/tests/tools/musl/lookup.c" || tn_fail "musl-gcc"
for bin in "$GO" "$MUSL"; do
	tn_assert_contains "$(ldd "$bin" 2>&1)" "not a dynamic executable" "$(basename "$bin") is static: no NSS"
done

tn_sync_example running
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --listen-address=127.0.0.2 \
	--bind-interfaces --port=53 --user=root --pid-file="$TN_TMP/dnsmasq.pid" --log-queries \
	--log-facility="$TN_TMP/dnsmasq.log" --address=/example.org/192.0.2.80 --address=/example.org/2001:db8::80 \
	--address=/nas/192.0.2.81 --address=/nas/2001:db8::81 &
"$HELPER" dns 2>"$TN_TMP/dns.log" &
RESPONDER=$!
for _ in $(seq 100); do
	dig +short +tries=1 +time=1 @127.100.100.100 vault >/dev/null 2>&1 &&
		dig +short +tries=1 +time=1 @127.0.0.2 example.org >/dev/null 2>&1 && break
	sleep 0.1
done

printf 'nameserver 127.0.0.2\noptions timeout:1 attempts:2\n' >"$TN_TMP/etc/resolv.conf"
# The problem this solves: glibc programs resolve through the module, a static Go program does not.
tn_assert_eq "$(getent hosts vault.$S)" "fd7a:115c:a1e0::c601:2108 vault.$S" "glibc (getent) resolves through the module"
tn_expect_rc 3 "before resolv-conf --apply, static Go cannot resolve a tailnet name" "$GO" host vault.$S
tn_expect_rc 0 "resolv-conf --apply on the bind-mounted /etc/resolv.conf" "$HELPER" resolv-conf --apply
tn_assert_eq "$(grep -v '^#' /etc/resolv.conf)" "nameserver 127.100.100.100
search $S
nameserver 127.0.0.2
options timeout:1 attempts:2" "the responder first, the suffix searched, dnsmasq after"

# lookup_cases NAME BINARY: the same cases for each client.
lookup_cases() {
	local who=$1 bin=$2
	tn_assert_eq "$("$bin" host vault | sort | tr '\n' ' ')" "100.101.33.8 fd7a:115c:a1e0::c601:2108 " \
		"$who: vault (bare name, through the search list)"
	tn_assert_eq "$("$bin" host vault.$S | sort | tr '\n' ' ')" "100.101.33.8 fd7a:115c:a1e0::c601:2108 " \
		"$who: the FQDN"
	tn_assert_eq "$("$bin" host VAULT-1.$S. | sort | tr '\n' ' ')" "100.71.5.90 fd7a:115c:a1e0::e201:55a " \
		"$who: an absolute FQDN in capitals"
	tn_assert_eq "$("$bin" host printer.hedgehog-arcade.ts.net | sort | tr '\n' ' ')" \
		"100.77.3.250 fd7a:115c:a1e0::b101:3fa " "$who: a shared-in node by FQDN"
	tn_assert_eq "$("$bin" host grafana.$S)" "100.99.201.17" "$who: an IPv4-only ExtraRecord (AAAA is NODATA)"
	tn_assert_eq "$("$bin" addr 100.101.33.8)" "vault.$S$3" "$who: reverse lookup of an IPv4 address"
	tn_assert_eq "$("$bin" addr fd7a:115c:a1e0::aa01:c903)" "alice-laptop.$S$3" "$who: reverse lookup of an IPv6 address"
	tn_assert_eq "$("$bin" host example.org | sort | tr '\n' ' ')" "192.0.2.80 2001:db8::80 " \
		"$who: example.org from the second nameserver (REFUSED fell through)"
	tn_expect_rc 2 "$who: unknown tailnet name" "$bin" host nope.$S
	tn_assert_eq "$TN_OUT" "error: no such host" "$who: says no such host"
	tn_assert_eq "$("$bin" host nas | sort | tr '\n' ' ')" "192.0.2.81 2001:db8::81 " \
		"$who: a bare LAN name still resolves (the search list's NXDOMAIN, then REFUSED)"
}

lookup_cases "Go (CGO_ENABLED=0)" "$GO" "."
lookup_cases "musl (static)" "$MUSL" ""
tn_assert_contains "$(cat "$TN_TMP/dnsmasq.log")" "query[A] example.org" "dnsmasq did answer example.org"

# Go asks one nameserver after the other: a tailnet name it got from the responder never reached dnsmasq.
: >"$TN_TMP/dnsmasq.log"
"$GO" host vault-1.$S >/dev/null
tn_assert_not_contains "$(cat "$TN_TMP/dnsmasq.log")" "vault-1" "Go: the tailnet name never reached the second nameserver"

# The responder dies (SIGKILL: no revert) and resolv.conf stays rewritten: the stub is safe to leave in
# place. Nothing listens on 127.100.100.100 any more, so the kernel refuses each query at once (ICMP port
# unreachable, never rate-limited on loopback) and every resolver moves on to the next nameserver without
# waiting out its timeout (1 s here): glibc and Go see the refusal on their connected UDP sockets, musl
# asks every nameserver at once anyway. Each lookup is timed against that 1 s.
kill -KILL "$RESPONDER"
wait "$RESPONDER" 2>/dev/null
tn_assert_contains "$(head -n 2 /etc/resolv.conf)" "nameserver 127.100.100.100" "after a crash resolv.conf still names the responder"
# fast WHO CMD...: CMD resolves example.org (192.0.2.80 first, sorted) well within resolv.conf's 1 s timeout.
fast() {
	local who=$1 start ms out
	shift
	start=${EPOCHREALTIME/./}
	out=$("$@" | sort | head -n 1)
	ms=$(((${EPOCHREALTIME/./} - start) / 1000))
	tn_assert_eq "$out" "192.0.2.80" "$who: responder dead, example.org still resolves"
	[ "$ms" -lt 700 ] || tn_fail "$who: that took $ms ms: it waited for the dead responder"
	tn_ok "$who: in $ms ms, no timeout waited out"
}
fast "glibc" sh -c "getent -s hosts:dns ahostsv4 example.org | cut -d' ' -f1"
fast "Go (CGO_ENABLED=0)" "$GO" host example.org
fast "musl (static)" "$MUSL" host example.org
start=${EPOCHREALTIME/./}
for _ in $(seq 50); do
	getent -s hosts:dns hosts nas >/dev/null || tn_fail "glibc: nas (through the search list) with the responder dead"
done
ms=$(((${EPOCHREALTIME/./} - start) / 1000))
[ "$ms" -lt 5000 ] || tn_fail "50 glibc lookups of a bare name took $ms ms with the responder dead"
tn_ok "50 glibc lookups of a bare LAN name (search list included) in $ms ms with the responder dead"

tn_expect_rc 0 "resolv-conf --revert" "$HELPER" resolv-conf --revert
tn_assert_eq "$(cat /etc/resolv.conf)" "nameserver 127.0.0.2
options timeout:1 attempts:2" "the original resolv.conf is back"
