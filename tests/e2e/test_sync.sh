#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_sync.sh - `tailnet-helper sync` end to end: the real helper against the LocalAPI double (and status
# files), then the names through `tailnet-helper hosts` and glibc. Every failure mode must exit with its
# documented code and ONE line on stderr naming the cause, and leave the previous cache byte-identical with
# no temp file beside it.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"

CACHE_DIR=$(dirname "$TN_CACHE")
STATE="$TN_TMP/state.json"
SUFFIX=magellanic-gondola.ts.net

# hosts_line ADDR NAMES: the `tailnet-helper hosts` line for ADDR, as a regular expression.
hosts_line() {
	printf '^%s +%s$' "${1//./\\.}" "${2//./\\.}"
}

# assert_hosts_has ADDR NAMES WHAT
assert_hosts_has() {
	grep -Eq "$(hosts_line "$1" "$2")" <<<"$HOSTS" || tn_fail "$3: no line [$1 $2] in: $HOSTS"
	tn_ok "$3"
}

read_hosts() {
	HOSTS=$("$HELPER" hosts) || tn_fail "tailnet-helper hosts failed after a successful sync"
}

# status_doc URL-PATH [CURL-ARGS...]: the double's answer body.
status_doc() {
	local path=$1
	shift
	curl -sS --unix-socket "$TN_SOCKET" "$@" "http://local-tailscaled.sock/localapi/v0/$path"
}

peer_is_null() {
	python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["Peer"] is None else 1)'
}

# --- happy path through the double ---------------------------------------------------------------------
cp "$EXAMPLES/running.json" "$STATE"
tn_localapi_start "$STATE"

tn_expect_rc 0 "sync from the LocalAPI double" "$HELPER" sync --socket "$TN_SOCKET"
tn_assert_eq "$TN_OUT" "" "a successful sync prints nothing"
read_hosts
tn_assert_contains "$HOSTS" "suffix $SUFFIX, MagicDNS on" "suffix and MagicDNS flag recorded"
assert_hosts_has 100.88.14.7 "ci-runner-7.$SUFFIX ci-runner-7" "Self, with its bare name"
assert_hosts_has 100.101.33.8 "vault.$SUFFIX vault" "vault by DNSName"
assert_hosts_has fd7a:115c:a1e0::c601:2108 "vault.$SUFFIX vault" "vault's IPv6 address"
assert_hosts_has 100.71.5.90 "vault-1.$SUFFIX vault-1" "vault-1 (same HostName, offline) by DNSName"
assert_hosts_has 100.64.201.3 "alice-laptop.$SUFFIX alice-laptop" "renamed machine by DNSName"
assert_hosts_has 100.92.110.41 "pixel-7.$SUFFIX pixel-7" "expired peer kept"
assert_hosts_has 100.77.3.250 "printer.hedgehog-arcade.ts.net" "shared-in node: FQDN only"
assert_hosts_has 100.86.41.2 "bobs-thinkpad.hedgehog-arcade.ts.net" "sharee node: FQDN only"
assert_hosts_has 100.116.40.77 "se-sto-wg-003.mullvad.ts.net" "Mullvad node: FQDN only"
assert_hosts_has 100.99.201.17 "grafana.$SUFFIX" "ExtraRecords entry, no bare name"
tn_assert_eq "$(grep -vc '^#' <<<"$HOSTS")" 17 "17 address lines (9 names), nothing from HostName"
tn_assert_not_contains "$HOSTS" "localhost" "HostName localhost never becomes a name"
# (ahosts, not ahostsv4: the namespace has no non-loopback address, so AI_ADDRCONFIG would refuse IPv4)
tn_assert_contains "$(getent ahosts vault)" "100.101.33.8 " "getaddrinfo resolves bare vault"
tn_assert_eq "$(getent hosts "grafana.$SUFFIX")" "100.99.201.17   grafana.$SUFFIX" \
	"gethostbyname resolves the ExtraRecords name"

tn_expect_rc 0 "sync --verbose" "$HELPER" sync --socket "$TN_SOCKET" --verbose
tn_assert_contains "$TN_OUT" "9 nodes, 14 names" "--verbose reports nodes and names"
tn_assert_eq "$(wc -l <<<"$TN_OUT")" 1 "--verbose prints one line"
tn_expect_rc 0 "sync --quiet" "$HELPER" sync --socket "$TN_SOCKET" --quiet
tn_assert_eq "$TN_OUT" "" "--quiet prints nothing"

# The tailnet changes: the double re-reads its state file on every request.
python3 - "$EXAMPLES/running.json" "$TN_TMP/changed.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["Peer"] = {k: p for k, p in doc["Peer"].items() if p["DNSName"] != "vault.magellanic-gondola.ts.net."}
json.dump(doc, open(sys.argv[2], "w"))
EOF
tn_localapi_state "$TN_TMP/changed.json" "$STATE"
tn_expect_rc 0 "sync after the tailnet changed" "$HELPER" sync --socket "$TN_SOCKET"
read_hosts
tn_assert_not_contains "$HOSTS" " vault.$SUFFIX" "a removed peer disappears"
assert_hosts_has 100.71.5.90 "vault-1.$SUFFIX vault-1" "the other peers stay"
tn_localapi_state "$EXAMPLES/running.json" "$STATE"

# A bigger tailnet from the generator (quirky peers included), chunked over the socket: the counts the
# generator expects.
expected=$(python3 "$TN_SRCDIR/tests/tools/gen_status.py" 3000 --seed 5 --expect 2>&1 >"$TN_TMP/big.json")
tn_localapi_state "$TN_TMP/big.json" "$STATE"
tn_expect_rc 0 "sync of a generated 3000-peer tailnet" "$HELPER" sync --socket "$TN_SOCKET" --verbose
read -r nodes names <<<"$expected"
tn_assert_contains "$TN_OUT" " $nodes nodes, $names names," "every generated name arrived ($nodes nodes, $names names)"
tn_localapi_state "$EXAMPLES/running.json" "$STATE"

# --- the double behaves like tailscaled's LocalAPI ----------------------------------------------------------
for v in false 0 f F FALSE False; do
	status_doc "status?peers=$v" | peer_is_null || tn_fail "?peers=$v should give \"Peer\": null"
done
tn_ok "?peers=false and every ParseBool spelling of false give Peer null"
for v in true 1 no junk ""; do
	status_doc "status?peers=$v" | peer_is_null && tn_fail "?peers=$v should keep the peers"
done
tn_ok "?peers=true and unparseable values keep the peers"
tn_assert_eq "$(status_doc status | sed -n 2p)" "$(printf '\t"Version": "1.102.3-t7dc695f92-g1a2b3c4d5",')" \
	"the status is tab-indented"
headers=$(status_doc status -o /dev/null -D - | tr -d '\r')
tn_assert_contains "$headers" "Transfer-Encoding: chunked" "a large status is chunked"
tn_assert_contains "$headers" "Content-Type: application/json" "status Content-Type"
tn_assert_contains "$headers" "Tailscale-Version: " "Tailscale-Version header"
code=$(curl -sS --unix-socket "$TN_SOCKET" -o "$TN_TMP/body" -w '%{http_code}' http://localhost/localapi/v0/status)
tn_assert_eq "$code $(cat "$TN_TMP/body")" "403 invalid localapi request" "Host localhost gets 403"
tn_assert_eq "$(status_doc status -H 'Origin: http://evil.example' -o /dev/null -w '%{http_code}')" 403 \
	"a request with Origin gets 403"
tn_assert_eq "$(status_doc nonexistent -o /dev/null -w '%{http_code}')" 404 "unknown path gets 404"

tn_expect_rc 0 "sync with ?peers=false's document" "$HELPER" sync --status-file - \
	< <(status_doc "status?peers=false")
read_hosts
tn_assert_eq "$(grep -vc '^#' <<<"$HOSTS")" 3 "without peers: Self and the ExtraRecords name only"

# --- status files and standard input ----------------------------------------------------------------------
tn_expect_rc 0 "sync --status-file (peers=false, userspace, MagicDNS off)" \
	"$HELPER" sync --status-file "$EXAMPLES/peers-false-userspace.json"
read_hosts
tn_assert_contains "$HOSTS" "MagicDNS off" "MagicDNS off recorded"
assert_hosts_has 100.103.77.21 "api-worker.$SUFFIX" "Self by FQDN, no bare name with MagicDNS off"
tn_assert_eq "$(grep -vc '^#' <<<"$HOSTS")" 2 "only Self's two addresses"

tn_expect_rc 0 "sync --status-file - (2-space indented, like tailscale status --json)" \
	bash -c "python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin), indent=2))' \
		<'$EXAMPLES/running.json' | '$HELPER' sync --status-file -"
read_hosts
assert_hosts_has 100.101.33.8 "vault.$SUFFIX vault" "standard input gives the same names"

# --- socket auto-detection ----------------------------------------------------------------------------
rm -f "$TN_CACHE"
tn_expect_rc 0 "sync finds the socket through TAILSCALE_SOCKET" env TAILSCALE_SOCKET="$TN_SOCKET" "$HELPER" sync
read_hosts
assert_hosts_has 100.101.33.8 "vault.$SUFFIX vault" "auto-detected socket served the names"
tn_expect_rc 0 "sync finds the socket through TS_SOCKET (the container image's variable)" \
	env TS_SOCKET="$TN_SOCKET" "$HELPER" sync
# Private /run and /tmp from here on: tailscaled's default sockets are this test's to make.
tn_private_run_tmp
tn_expect_rc 3 "no socket anywhere" "$HELPER" sync
tn_assert_contains "$TN_OUT" "no tailscaled socket at /var/run/tailscale/tailscaled.sock, /run/tailscale/tailscaled.sock, /tmp/tailscaled.sock or the Synology, Gokrazy and QNAP paths" \
	"the message lists where it looked"
mkdir -p /var/run/tailscale
ln -s "$TN_SOCKET" /var/run/tailscale/tailscaled.sock
tn_expect_rc 0 "sync finds the default socket (here a link to the double's, as containerboot links it)" "$HELPER" sync
tn_expect_rc 3 "a socket named by TAILSCALE_SOCKET is the only one looked at" env TAILSCALE_SOCKET="$TN_TMP/none.sock" "$HELPER" sync
tn_assert_contains "$TN_OUT" "no tailscaled socket at $TN_TMP/none.sock" "it names that socket"
rm /var/run/tailscale/tailscaled.sock

# --- failures: exit code, one line naming the cause, the good cache untouched ------------------------------
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "cannot write the good cache"
GOOD=$(sha256sum <"$TN_CACHE")

# expect_failure RC NEEDLE WHAT CMD...
expect_failure() {
	local want=$1 needle=$2 what=$3 errors rc
	shift 3
	errors=$("$@" 2>&1 >/dev/null)
	rc=$?
	[ "$rc" = "$want" ] || tn_fail "$what: exit $rc, expected $want; stderr: $errors"
	[ "$(wc -l <<<"$errors")" = 1 ] || tn_fail "$what: expected one line on stderr, got: $errors"
	case "$errors" in "tailnet-helper sync: "*"$needle"*) ;; *) tn_fail "$what: [$needle] not in [$errors]" ;; esac
	[ "$(sha256sum <"$TN_CACHE")" = "$GOOD" ] || tn_fail "$what: the cache changed"
	[ "$(ls -A "$CACHE_DIR")" = "$(basename "$TN_CACHE")" ] || tn_fail "$what: left behind: $(ls -A "$CACHE_DIR")"
	tn_ok "$what: exit $rc, one line, cache untouched ($errors)"
}

expect_failure 3 "no tailscaled socket at $TN_TMP/missing.sock" "no socket" \
	"$HELPER" sync --socket "$TN_TMP/missing.sock"
expect_failure 3 "is not a socket" "a regular file as socket" "$HELPER" sync --socket "$STATE"
tn_localapi_mode forbidden
expect_failure 4 "answered 403: invalid localapi request" "forbidden" "$HELPER" sync --socket "$TN_SOCKET"
tn_localapi_mode garbage
expect_failure 4 "malformed JSON at byte 0" "garbage" "$HELPER" sync --socket "$TN_SOCKET"
tn_localapi_mode truncated
expect_failure 4 "truncated JSON" "truncated" "$HELPER" sync --socket "$TN_SOCKET"
tn_localapi_mode error500
expect_failure 4 "answered 500: internal error" "HTTP 500" "$HELPER" sync --socket "$TN_SOCKET"
tn_localapi_mode hang
start=$(date +%s%N)
expect_failure 3 "did not answer within 1 s" "hang, --timeout 1" "$HELPER" sync --socket "$TN_SOCKET" --timeout 1
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
[ "$elapsed_ms" -lt 5000 ] || tn_fail "--timeout 1 took ${elapsed_ms} ms"
tn_ok "--timeout 1 gave up after ${elapsed_ms} ms"
tn_localapi_mode ok

# NoState / Starting (a daemon on its way up) leave the cache alone; Stopped and NeedsLogin pause it (quad-100
# answers nothing then: local.go enterStateLocked applies an empty DNS config), keeping its names.
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); d["BackendState"] = "Starting"; json.dump(d, open(sys.argv[2], "w"))' \
	"$EXAMPLES/running.json" "$TN_TMP/starting.json"
tn_localapi_state "$TN_TMP/starting.json" "$STATE"
expect_failure 5 "tailscaled is not running (BackendState Starting)" "Starting" "$HELPER" sync --socket "$TN_SOCKET"
tn_localapi_state "$EXAMPLES/needs-login.json" "$STATE"
errors=$("$HELPER" sync --socket "$TN_SOCKET" 2>&1 >/dev/null)
tn_assert_eq "$?" 5 "NeedsLogin: exit 5"
tn_assert_contains "$errors" "BackendState NeedsLogin" "NeedsLogin: the state is named"
tn_assert_contains "$errors" "$TN_CACHE is paused: its names are kept" "NeedsLogin: the cache is paused"
tn_assert_contains "$("$HELPER" hosts)" "# paused" "hosts says it is paused"
tn_assert_contains "$("$HELPER" hosts)" "vault.magellanic-gondola.ts.net" "the paused cache keeps its names"
getent hosts vault.magellanic-gondola.ts.net >/dev/null && tn_fail "a paused cache answered"
tn_ok "a paused cache answers nothing"
tn_localapi_state "$EXAMPLES/running.json" "$STATE"
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "sync when Running again"
getent hosts vault.magellanic-gondola.ts.net >/dev/null || tn_fail "a sync of a Running status did not serve again"
tn_ok "a sync when Running serves the names again"
GOOD=$(sha256sum <"$TN_CACHE")
python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); del d["BackendState"]; json.dump(d, open(sys.argv[2], "w"))' \
	"$EXAMPLES/running.json" "$TN_TMP/no-state.json"
tn_localapi_state "$TN_TMP/no-state.json" "$STATE"
expect_failure 4 "no BackendState" "status without BackendState" "$HELPER" sync --socket "$TN_SOCKET"
tn_localapi_state "$EXAMPLES/running.json" "$STATE"

expect_failure 4 "truncated JSON" "truncated status on standard input" \
	bash -c "head -c 3000 '$EXAMPLES/running.json' | '$HELPER' sync --status-file -"
expect_failure 1 "cannot open" "missing status file" "$HELPER" sync --status-file "$TN_TMP/nope.json"
expect_failure 2 "" "usage error" "$HELPER" sync --max-age 0

tn_localapi_stop
expect_failure 3 "Connection refused" "daemon gone, socket left behind" "$HELPER" sync --socket "$TN_SOCKET"

# --- whose socket: only a tailscaled run by root (or by the helper's own user) is trusted --------------------
# A user makes /tmp/tailscaled.sock (the container image's default) while no tailscaled runs: root's sync must
# not write that user's names into the host's cache, and must not even send it a request.
tn_localapi_start "$STATE"
chmod 0644 "$STATE"
setpriv --reuid=nobody --regid=nogroup --clear-groups /usr/bin/python3 "$TN_LOCALAPI_DOUBLE" --socket /tmp/tailscaled.sock \
	--state "$STATE" 2>"$TN_TMP/user-double.log" &
USER_DOUBLE=$!
tn_wait_until 10 "the user's socket" test -S /tmp/tailscaled.sock
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "cannot write the good cache"
GOOD=$(sha256sum <"$TN_CACHE")
expect_failure 3 "refusing the socket /tmp/tailscaled.sock: it is served by uid 65534" \
	"the search finds a socket another uid serves" "$HELPER" sync
expect_failure 3 "refusing the socket /tmp/tailscaled.sock: it is served by uid 65534" \
	"--socket naming it" "$HELPER" sync --socket /tmp/tailscaled.sock
tn_assert_not_contains "$(cat "$TN_TMP/user-double.log")" "HTTP/1.1" "not one request was sent to it"
# tailscaled is down, its socket left behind: reported as down; the search does not move on to /tmp.
mkdir -p /var/run/tailscale
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' /var/run/tailscale/tailscaled.sock
expect_failure 3 "cannot connect to tailscaled at /var/run/tailscale/tailscaled.sock: Connection refused" \
	"a stale system socket: tailscaled is down" "$HELPER" sync
tn_assert_not_contains "$(cat "$TN_TMP/user-double.log")" "HTTP/1.1" "still not one request to the user's socket"
rm /var/run/tailscale/tailscaled.sock
# A user running the helper trusts root's tailscaled and their own, nobody else's. (Their sync then writes
# the cache and exits 1 saying the module will not trust a cache that is not root's: the socket was fine.)
install -d -o nobody -m 0700 "$TN_TMP/user"
user_sync() {
	rm -f "$TN_TMP/user/hosts.cache"
	TN_OUT=$(setpriv --reuid=nobody --regid=nogroup --clear-groups "$HELPER" sync --socket "$1" \
		--cache "$TN_TMP/user/hosts.cache" 2>&1)
	tn_assert_eq "$?" 1 "$2: read and written (exit 1: a user's cache is not the module's)"
	tn_assert_contains "$TN_OUT" "but the NSS module refuses it" "$2: says why"
	[ -s "$TN_TMP/user/hosts.cache" ] || tn_fail "$2: no cache written"
}
user_sync /tmp/tailscaled.sock "a user's helper trusts a tailscaled run by that user"
user_sync "$TN_SOCKET" "a user's helper trusts root's tailscaled"
TN_OUT=$(setpriv --reuid=daemon --regid=daemon --clear-groups "$HELPER" sync --socket /tmp/tailscaled.sock \
	--cache /dev/null 2>&1)
tn_assert_eq "$?" 3 "another user's helper refuses that user's tailscaled"
tn_assert_contains "$TN_OUT" "trusts only a tailscaled run by root or by uid 1 (the helper's own)" "and says whom it trusts"
tn_localapi_stop
# The container image's own tailscaled, run by root, on /tmp/tailscaled.sock: used.
kill "$USER_DOUBLE"
wait "$USER_DOUBLE" 2>/dev/null
rm -f /tmp/tailscaled.sock
tn_localapi_start "$STATE" /tmp/tailscaled.sock
tn_expect_rc 0 "root's tailscaled on /tmp/tailscaled.sock is found and trusted" "$HELPER" sync
tn_localapi_stop
TN_SOCKET="$TN_TMP/tailscaled.sock"

# After all that, a good sync still works and replaces the cache.
tn_localapi_start "$STATE"
tn_expect_rc 0 "sync after the failures" "$HELPER" sync --socket "$TN_SOCKET"
read_hosts
assert_hosts_has 100.101.33.8 "vault.$SUFFIX vault" "names back after recovery"
echo "test_sync: all passed"
