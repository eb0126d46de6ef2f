# SPDX-License-Identifier: BSD-3-Clause
# test_curl.sh - curl fetches a page from an HTTP server bound to the peer's tailnet addresses (on lo of a
# private network namespace), reaching it by bare name and by FQDN, with no DNS query.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
S=magellanic-gondola.ts.net
# Debian 12's curl deadlocks at start-up with the ASan runtime preloaded, which the sanitizer build's module
# needs; in that build curl gets the plain build's module (make check builds and tests that one first).
[ -n "${TN_SAN:-}" ] && export LD_LIBRARY_PATH="$TN_SRCDIR/build"

tn_dns_start
tn_sync_example running
ip addr add 100.101.33.8/32 dev lo
ip addr add fd7a:115c:a1e0::c601:2108/128 dev lo
mkdir "$TN_TMP/www"
token="served by vault $$-$RANDOM"
echo "$token" >"$TN_TMP/www/index.html"
python3 -m http.server --bind :: --directory "$TN_TMP/www" 8200 >"$TN_TMP/http.log" 2>&1 &
for _ in $(seq 100); do curl -s -o /dev/null http://100.101.33.8:8200/ && break; sleep 0.05; done

tn_assert_eq "$(curl -sf --max-time 5 http://vault:8200/)" "$token" "curl http://vault:8200/"
tn_assert_eq "$(curl -sf --max-time 5 http://vault.$S:8200/)" "$token" "curl by FQDN"
tn_assert_eq "$(curl -sf --max-time 5 -4 http://VAULT.$S.:8200/)" "$token" "curl -4, odd case and trailing dot"
tn_assert_eq "$(curl -sf --max-time 5 -6 http://vault:8200/)" "$token" "curl -6 reaches the IPv6 address"
tn_assert_eq "$(curl -sf --max-time 5 -o /dev/null -w '%{remote_ip}' -4 http://vault:8200/)" "100.101.33.8" \
	"curl connected to the tailnet address"
tn_expect_rc 6 "curl: unknown tailnet name cannot be resolved" curl -sf --max-time 5 http://nope.$S:8200/
tn_assert_not_contains "$(tn_dns_queries)" "vault" "no DNS query for vault"
