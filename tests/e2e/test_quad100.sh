# SPDX-License-Identifier: BSD-3-Clause
# test_quad100.sh - every name quad-100 answers, and nothing it does not, through real glibc (getent, the C
# probe) and through the DNS responder (dig), from a status the LocalAPI double serves. The rules are
# tailscale's net/dns/resolver/tsdns.go resolveLocal and ipn/ipnlocal/node_backend.go, v1.98.0 to 1.103 (see
# nss/scope.h, nss/via.h and helper/cache/hostset.h for each one's source):
#   4via6 names, subdomains of a node with dns-subdomain-resolve, .onion, quad-100's own name and address,
#   the suffix's apex, ExtraRecords (type from the value, before nodes from 1.102, after them before),
#   duplicate DNSNames (a peer over Self, the highest NodeID), and with MagicDNS off no NXDOMAIN at all.
# The hosts line has [NOTFOUND=return], and a recording DNS server behind the module shows which names still
# reach DNS: exactly those the module leaves alone (UNAVAIL), never one it denies (NOTFOUND).
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"
PROBE="$TN_BUILD/tests/resolve_probe"
S=magellanic-gondola.ts.net

# status VERSION MAGICDNS: a Running node's status with the shapes under test.
status() {
	command python3 - "$1" "$2" <<'PY'
import json, sys
version, magicdns = sys.argv[1], sys.argv[2] == "on"
S = "magellanic-gondola.ts.net"
def node(name, ips, node_id=None, caps=None, stable=None):
    n = {"ID": stable or ("n" + name.split(".")[0]), "HostName": name.split(".")[0], "DNSName": name + ".",
         "TailscaleIPs": ips, "InNetworkMap": True, "Online": True}
    if node_id is not None:
        n["NodeID"] = node_id
    if caps:
        n["CapMap"] = {c: None for c in caps}
    return n
peers = {
    "nodekey:01": node("app." + S, ["100.64.7.7", "fd7a:115c:a1e0::707"], 11, ["dns-subdomain-resolve"]),
    "nodekey:02": node("web." + S, ["100.64.8.8"], 12, ["funnel"]),
    "nodekey:03": node("dup." + S, ["100.64.9.1"], 20, stable="nLow"),
    "nodekey:04": node("dup." + S, ["100.64.9.2"], 30, stable="nAaa"),
    "nodekey:05": node("ci-runner-7." + S, ["100.64.9.3"], 40),
    "nodekey:06": node("svc." + S, ["100.64.10.1"], 50),
}
doc = {
    "Version": version, "BackendState": "Running", "TUN": True, "MagicDNSSuffix": S,
    "CurrentTailnet": {"Name": "example.com", "MagicDNSSuffix": S, "MagicDNSEnabled": magicdns},
    "Self": dict(node("ci-runner-7." + S, ["100.88.14.7", "fd7a:115c:a1e0::5d01:e07"], 1), Online=True),
    "Peer": peers,
    "ExtraRecords": [
        {"Name": "svc." + S, "Value": "100.64.10.9"},
        {"Name": "grafana." + S, "Type": "A", "Value": "fd7a:115c:a1e0::99"},
        {"Name": "Shouty." + S, "Value": "100.64.11.1"},
        {"Name": "mx." + S, "Type": "MX", "Value": "100.64.11.2"},
    ],
}
print(json.dumps(doc, indent="\t"))
PY
}

printf 'passwd: files\ngroup: files\nhosts: files tailnet [NOTFOUND=return] dns\n' >"$TN_TMP/etc/nsswitch.conf"
status 1.102.3-t7dc695f92-g1a2b3c4d5 on >"$TN_TMP/state.json"
tn_localapi_start "$TN_TMP/state.json"
tn_dns_start --answer nope.$S=192.0.2.50
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "sync from the double"

# 4via6: AAAA from the name (tsaddr.MapVia), bare and under any *.ts.net; an A question is NODATA.
for name in 10-1-1-16-via-7 10-1-1-16-via-7.$S 10-1-1-16-via-0x7.other-tailnet.ts.net; do
	tn_assert_eq "$(getent ahostsv6 $name | head -n1 | cut -d' ' -f1)" "fd7a:115c:a1e0:b1a:0:7:a01:110" "4via6 $name"
done
tn_expect_rc 2 "4via6: no IPv4 address (the module says NO_DATA)" "$PROBE" gai 10-1-1-16-via-7 inet

# Subdomains of a node with dns-subdomain-resolve, at any depth and through its bare name (1.102+), with
# the node's addresses under the name asked; not below a node without it.
tn_assert_eq "$(getent ahostsv4 www.app.$S | head -n1)" "100.64.7.7      STREAM www.app.$S" "subdomain of app"
tn_assert_eq "$("$PROBE" gai a.b.c.app.$S inet)" "100.64.7.7" "a deep subdomain of app"
tn_assert_eq "$("$PROBE" gai www.app inet)" "100.64.7.7" "a subdomain of app's bare name (1.102+)"
tn_expect_rc 2 "below web (no capability): no such host" "$PROBE" gai x.web.$S inet

# .onion is NXDOMAIN (RFC 7686); quad-100's own name and address; the suffix's apex is NXDOMAIN.
tn_expect_rc 2 ".onion" "$PROBE" gai duckduck.onion inet
tn_assert_eq "$("$PROBE" gai magicdns.localhost-tailscale-daemon inet)" "100.100.100.100" "quad-100's own name"
tn_assert_eq "$("$PROBE" gni 100.100.100.100)" "magicdns.localhost-tailscale-daemon" "quad-100's own address"
tn_expect_rc 2 "the suffix's apex" "$PROBE" gai $S inet

# ExtraRecords from 1.102: the record answers for svc's FQDN and names its address, the node keeps its bare
# name; an A record holding an IPv6 address answers AAAA; a name with an upper-case letter (quad-100 keys it
# as sent and never matches a lower-cased query) or a record of another type is dropped: no such host.
tn_assert_eq "$("$PROBE" gai svc.$S inet)" "100.64.10.9" "svc.<suffix>: the record (1.102+)"
tn_assert_eq "$("$PROBE" gai svc inet)" "100.64.10.1" "svc: the node's bare name"
tn_assert_eq "$("$PROBE" gni 100.64.10.9)" "svc.$S" "the record names its address"
tn_assert_eq "$(getent ahostsv6 grafana.$S | head -n1 | cut -d' ' -f1)" "fd7a:115c:a1e0::99" \
	"an A record with an IPv6 value answers AAAA"
tn_expect_rc 2 "an upper-case record name: no such host" "$PROBE" gai shouty.$S inet
tn_expect_rc 2 "an MX record: no such host" "$PROBE" gai mx.$S inet

# Duplicate DNSNames: the highest NodeID (nodeByName's last writer), and a peer over Self.
tn_assert_eq "$("$PROBE" gai dup.$S inet)" "100.64.9.2" "dup: NodeID 30 over 20"
tn_assert_eq "$("$PROBE" gai ci-runner-7 inet)" "100.64.9.3" "a peer over Self"

tn_assert_eq "$(tn_dns_queries)" "" "none of these reached DNS"

# The responder says the same (dig against it on loopback).
tn_dig_start() {
	"$HELPER" dns --listen 127.0.0.53 --user root --quiet &
	for _ in $(seq 100); do dig +short +time=1 +tries=1 @127.0.0.53 app.$S >/dev/null 2>&1 && return 0; sleep 0.05; done
	tn_fail "the responder did not answer"
}
tn_dig_start
tn_assert_eq "$(dig +short @127.0.0.53 AAAA 10-1-1-16-via-7.$S)" "fd7a:115c:a1e0:b1a:0:7:a01:110" "dig: 4via6"
tn_assert_eq "$(dig +short @127.0.0.53 A www.app.$S)" "100.64.7.7" "dig: subdomain"
tn_assert_contains "$(dig @127.0.0.53 A hidden.onion)" "status: NXDOMAIN" "dig: .onion"
tn_assert_contains "$(dig @127.0.0.53 A $S)" "status: NXDOMAIN" "dig: the apex"
tn_assert_contains "$(dig @127.0.0.53 NS app.$S)" "status: NOTIMP" "dig: NS of a name that exists"
tn_assert_eq "$(dig +short @127.0.0.53 A svc.$S)" "100.64.10.9" "dig: the record"

# Before 1.102: the node comes first and the record's addresses follow; a bare name leads to no subdomain.
status 1.100.0-t1234 on >"$TN_TMP/state.json"
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "sync of a 1.100 status"
tn_assert_eq "$("$PROBE" gai svc.$S inet | tr '\n' ' ')" "100.64.10.1 100.64.10.9 " "1.100: svc is the node, then the record"
tn_expect_rc 2 "1.100: www.app is no subdomain (DNS has nothing either)" "$PROBE" gai www.app inet
tn_assert_contains "$(tn_dns_queries)" "www.app" "1.100: so it reached DNS"

# MagicDNS off: quad-100 is authoritative for nothing, so an unknown name under the suffix goes to DNS.
status 1.102.3-t7dc695f92-g1a2b3c4d5 off >"$TN_TMP/state.json"
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "sync with MagicDNS off"
tn_assert_eq "$("$PROBE" gai nope.$S inet)" "192.0.2.50" "MagicDNS off: an unknown name under the suffix reaches DNS"
tn_assert_eq "$("$PROBE" gai app.$S inet)" "100.64.7.7" "MagicDNS off: FQDNs still answer"
