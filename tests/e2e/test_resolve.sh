# SPDX-License-Identifier: BSD-3-Clause
# test_resolve.sh - tailnet names through real glibc (getent, C getaddrinfo/gethostbyname/getnameinfo,
# Python socket) with `hosts: files tailnet dns`, in private namespaces, from a cache `sync` wrote from the
# reference running.json. A recording DNS server proves no tailnet name reaches DNS, and that every name
# the module does not own still does.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
PROBE="$TN_BUILD/tests/resolve_probe"
S=magellanic-gondola.ts.net

tn_dns_start --answer example.org=192.0.2.80 --answer nas=192.0.2.81
tn_sync_example running

# getent hosts: gethostbyname2(AF_INET6) first, so a dual-stack name prints its IPv6 address.
tn_assert_eq "$(getent hosts vault)" "fd7a:115c:a1e0::c601:2108 vault.$S vault" "getent hosts vault"
tn_assert_eq "$(getent hosts vault.$S)" "fd7a:115c:a1e0::c601:2108 vault.$S" "getent hosts FQDN"
tn_assert_eq "$(getent hosts VAULT.Magellanic-Gondola.ts.net.)" "fd7a:115c:a1e0::c601:2108 vault.$S" \
	"case-insensitive, one trailing dot"
tn_expect_rc 2 "two trailing dots are not a name" getent hosts vault.$S..
tn_assert_eq "$(getent hosts vault-1)" "fd7a:115c:a1e0::e201:55a vault-1.$S vault-1" "offline duplicate-hostname peer"
tn_assert_eq "$(getent hosts ci-runner-7)" "fd7a:115c:a1e0::5d01:e07 ci-runner-7.$S ci-runner-7" "Self"
tn_assert_eq "$(getent hosts pixel-7)" "fd7a:115c:a1e0::3a01:6e29 pixel-7.$S pixel-7" "expired peer still resolves"
tn_assert_eq "$(getent hosts printer.hedgehog-arcade.ts.net)" "fd7a:115c:a1e0::b101:3fa printer.hedgehog-arcade.ts.net" \
	"shared-in node by FQDN"
tn_assert_eq "$(getent hosts grafana.$S)" "100.99.201.17   grafana.$S" "ExtraRecords (IPv4 only: AF_INET6 then AF_INET)"
tn_assert_eq "$(getent hosts bobs-thinkpad.hedgehog-arcade.ts.net | cut -d' ' -f1)" "fd7a:115c:a1e0::9d01:2902" \
	"sharee node by FQDN (MagicDNS answers it too)"
tn_assert_eq "$(getent hosts se-sto-wg-003.mullvad.ts.net | cut -d' ' -f1)" "fd7a:115c:a1e0::e901:284d" "Mullvad node by FQDN"

# ahosts family: getaddrinfo with AI_CANONNAME|AI_V4MAPPED|AI_ADDRCONFIG.
out=$(getent ahosts vault)
tn_assert_eq "$(echo "$out" | head -n1)" "fd7a:115c:a1e0::c601:2108 STREAM vault.$S" \
	"ahosts: IPv6 first (glibc's RFC 6724 sort) with the canonical name"
tn_assert_contains "$out" "100.101.33.8    STREAM" "ahosts has IPv4 too"
tn_assert_eq "$(getent ahostsv4 vault | head -n1)" "100.101.33.8    STREAM vault.$S" "ahostsv4"
tn_assert_eq "$(getent ahostsv6 vault | head -n1)" "fd7a:115c:a1e0::c601:2108 STREAM vault.$S" "ahostsv6"
tn_assert_eq "$(getent ahostsv6 grafana.$S | head -n1)" "::ffff:100.99.201.17 STREAM grafana.$S" \
	"ahostsv6 maps an IPv4-only name (glibc maps, not the module)"

# Reverse lookups answer the FQDN, also for v4-mapped IPv6.
tn_assert_eq "$(getent hosts 100.101.33.8)" "100.101.33.8    vault.$S vault" "reverse IPv4"
tn_assert_eq "$(getent hosts fd7a:115c:a1e0::c601:2108)" "fd7a:115c:a1e0::c601:2108 vault.$S vault" "reverse IPv6"
tn_assert_eq "$("$PROBE" gni 100.71.5.90)" "vault-1.$S" "getnameinfo IPv4"
tn_assert_eq "$("$PROBE" gni ::ffff:100.71.5.90)" "vault-1.$S" "getnameinfo v4-mapped"
tn_assert_eq "$("$PROBE" gni fd7a:115c:a1e0::aa01:c903)" "alice-laptop.$S" "getnameinfo IPv6"
tn_assert_eq "$("$PROBE" ghba 100.77.3.250 | head -n1)" "name printer.hedgehog-arcade.ts.net" "gethostbyaddr"

# C getaddrinfo in every mode glibc routes differently (4_r, 3_r, 2_r, v4-mapped, AI_ALL).
tn_assert_eq "$("$PROBE" gai vault unspec | sort | tr '\n' ' ')" "100.101.33.8 fd7a:115c:a1e0::c601:2108 " "getaddrinfo AF_UNSPEC"
tn_assert_eq "$("$PROBE" gai vault inet canonname)" "100.101.33.8 vault.$S" "getaddrinfo AF_INET + AI_CANONNAME"
tn_assert_eq "$("$PROBE" gai vault inet6)" "fd7a:115c:a1e0::c601:2108" "getaddrinfo AF_INET6"
tn_assert_eq "$("$PROBE" gai vault inet6 v4mapped all | sort | tr '\n' ' ')" "::ffff:100.101.33.8 fd7a:115c:a1e0::c601:2108 " \
	"getaddrinfo AF_INET6 + AI_V4MAPPED|AI_ALL"
tn_expect_rc 2 "AF_INET6 of an IPv4-only name finds nothing (NO_DATA, then DNS has nothing)" "$PROBE" gai grafana.$S inet6
tn_assert_eq "$("$PROBE" ghbn vault | tr '\n' ' ')" "name vault.$S alias vault addr 100.101.33.8 " "gethostbyname"
tn_assert_eq "$("$PROBE" errno vault)" "rc 0 errno 4321" "caller's errno survives a successful lookup"
# gethostbyname2_r with a tiny buffer: ERANGE reaches the caller as ERANGE, never as a silent miss.
tn_expect_rc 2 "gethostbyname2_r into 16 bytes" "$PROBE" ghbn2r vault inet 16
tn_assert_eq "$TN_OUT" "error rc 34 h_errno -1" "ERANGE with NETDB_INTERNAL"

# Python's socket module.
py=$(python3 -c '
import socket
print(sorted({a[4][0] for a in socket.getaddrinfo("vault", 443, proto=socket.IPPROTO_TCP)}))
print(socket.gethostbyaddr("100.101.33.8")[0])
print(socket.getnameinfo(("::ffff:100.101.33.8", 0), socket.NI_NAMEREQD)[0])
print(socket.gethostbyname("alice-laptop"))')
tn_assert_eq "$py" "['100.101.33.8', 'fd7a:115c:a1e0::c601:2108']
vault.$S
vault.$S
100.64.201.3" "Python getaddrinfo, gethostbyaddr, getnameinfo, gethostbyname"

# Only the IPv6 question for the IPv4-only grafana record may reach DNS: NO_DATA is NOTFOUND, and plain
# `tailnet dns` continues after NOTFOUND ([NOTFOUND=return] below stops it).
tn_assert_eq "$(tn_dns_queries | grep -v "^grafana.$S AAAA\$")" "" "no other tailnet lookup reached DNS"

# Names that are not the tailnet's fall through to DNS; unknown names under the suffix do too (plain
# `tailnet dns`), and the module never answers them itself.
tn_assert_eq "$(getent hosts example.org)" "192.0.2.80      example.org" "foreign name answered by DNS"
tn_assert_eq "$(getent hosts nas)" "192.0.2.81      nas" "unknown bare LAN name answered by DNS"
tn_assert_eq "$(getent hosts lan-printer)" "192.0.2.10      lan-printer" "files still comes first"
tn_expect_rc 2 "bare name of a shared-in node does not resolve" getent hosts printer
tn_expect_rc 2 "bare name of an ExtraRecord does not resolve" getent hosts grafana
tn_expect_rc 2 "unknown tailnet name" getent hosts nope.$S
tn_assert_contains "$(tn_dns_queries)" "example.org A" "DNS saw example.org"
tn_assert_contains "$(tn_dns_queries)" "nope.$S" "DNS saw the unknown tailnet name (no [NOTFOUND=return])"

# With [NOTFOUND=return], unknown tailnet names stop at the module; everything else still reaches DNS.
printf 'hosts: files tailnet [NOTFOUND=return] dns\n' >"$TN_TMP/etc/nsswitch.conf"
: >"$TN_DNS_LOG"
tn_expect_rc 2 "[NOTFOUND=return]: unknown tailnet name" getent hosts nope2.$S
tn_expect_rc 2 "[NOTFOUND=return]: unknown tailnet name via getaddrinfo" "$PROBE" gai nope2.$S inet
tn_assert_eq "$(getent hosts nas)" "192.0.2.81      nas" "[NOTFOUND=return] does not hide a LAN short name"
tn_assert_eq "$("$PROBE" gai example.org inet)" "192.0.2.80" "[NOTFOUND=return] does not hide foreign names"
tn_expect_rc 2 "[NOTFOUND=return]: AF_INET6 of an IPv4-only name" "$PROBE" gai grafana.$S inet6
tn_assert_contains "$TN_OUT" "No address associated with hostname" "is EAI_NODATA, straight from the module's NO_DATA"
tn_assert_not_contains "$(tn_dns_queries)" "nope2" "the unknown tailnet name never reached DNS"
tn_assert_eq "$(getent hosts vault)" "fd7a:115c:a1e0::c601:2108 vault.$S vault" "tailnet names unaffected"

# Many threads and many lookups: no failures, no descriptor growth.
tn_expect_rc 0 "8 threads x 2000 getaddrinfo" "$PROBE" threads vault 8 2000
tn_expect_rc 0 "no descriptor kept across 5000 lookups" "$PROBE" fds vault.$S 5000
