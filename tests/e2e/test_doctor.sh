# SPDX-License-Identifier: BSD-3-Clause
# test_doctor.sh - `tailnet-helper doctor` (and --json) and `status --json`: a working setup passes (exit 0,
# names resolve through glibc), and each failing check is provoked on purpose and reported with its fix:
# the hosts line (missing, after dns, an early [NOTFOUND=return], [UNAVAIL=return] after tailnet), the module
# (not found, lacking its entry points), the cache (missing, foreign owner, writable by others, expired),
# the watcher (died), tailscaled (down, NeedsLogin), resolv.conf (backup gone), the responder (named in
# resolv.conf but not answering) and the lookup (another source answers first).
. "$TN_SRCDIR/tests/lib.sh"
. "$TN_SRCDIR/tests/lib_localapi.sh"
tn_enter_ns "$0" "$@"
S=magellanic-gondola.ts.net
STATE=$TN_TMP/state
mkdir -m 0700 "$STATE"
cp "$EXAMPLES/running.json" "$TN_TMP/status.json"
tn_localapi_start "$TN_TMP/status.json"
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "sync"
"$HELPER" watch --socket "$TN_SOCKET" --pidfile "$STATE/watch.pid" 2>"$TN_TMP/watch.log" &
WATCH=$!
tn_wait_until 5 "the watcher's pidfile" test -s "$STATE/watch.pid"
DOCTOR=("$HELPER" doctor --socket "$TN_SOCKET" --state-dir "$STATE")

# line CHECK: the doctor's line for CHECK (from $TN_OUT).
line() {
	grep -E "^[a-zA-Z]+ +$1 " <<<"$TN_OUT" || echo "(no $1 line)"
}
# expect STATUS CHECK TEXT [DOCTOR-ARGS...]: runs the doctor; CHECK's line has STATUS and TEXT.
expect() {
	local status=$1 check=$2 text=$3
	shift 3
	TN_OUT=$("${DOCTOR[@]}" "$@" 2>&1)
	DOCTOR_RC=$?
	local l
	l=$(line "$check")
	case "$l" in "$status "*) ;; *) tn_fail "$check: expected $status, got: $l" ;; esac
	tn_assert_contains "$l" "$text" "$check: $status, $text"
	if [ "$status" = FAIL ] || [ "$status" = warn ]; then
		tn_assert_contains "$l" " -> fix: " "$check: says how to fix it"
	fi
}

# --- everything in place -------------------------------------------------------------------------------
expect ok nsswitch "'hosts: files tailnet dns': tailnet before dns"
[ "$DOCTOR_RC" = 0 ] || tn_fail "doctor of a working setup: exit $DOCTOR_RC: $TN_OUT"
tn_ok "a working setup: exit 0"
tn_assert_contains "$(line module)" "warn module      $TN_BUILD/libnss_tailnet.so.2 loads, with all 6 entry points, but only through LD_LIBRARY_PATH" \
	"module: found (through LD_LIBRARY_PATH here, so a warning)"
tn_assert_contains "$(line cache)" "ok   cache       $TN_CACHE (owner root, mode 0644; directory /var/cache/tailnet: owner root, mode 0755): generation 1, 14 names, suffix $S, written " \
	"cache: owner, mode, directory, generation, names"
tn_assert_contains "$(line watcher)" "ok   watcher     pid $WATCH, from $STATE/watch.pid, following $TN_SOCKET" "watcher: pid, pidfile, socket"
tn_assert_contains "$(line tailscaled)" "ok   tailscaled  Running, version " "tailscaled: Running, its version"
tn_assert_contains "$(line resolv.conf)" "skip" "resolv.conf: not applied, skipped"
tn_assert_contains "$(line responder)" "skip responder   not running" "responder: not running, skipped"
tn_assert_contains "$(line lookup)" "ok   lookup      getaddrinfo(" "lookup through glibc, timed"
tn_assert_contains "$(line lookup)" " ms" "with its time"
tn_assert_contains "$TN_OUT" "names resolve through glibc" "the verdict"

TN_OUT=$("${DOCTOR[@]}" --json)
tn_assert_eq "$?" 0 "doctor --json: exit 0"
command python3 - "$TN_OUT" <<'PY' || tn_fail "doctor --json: $TN_OUT"
import json, sys
d = json.loads(sys.argv[1])
assert d["ok"] is True and d["version"], d
names = [c["name"] for c in d["checks"]]
assert names == ["nsswitch", "module", "cache", "watcher", "tailscaled", "resolv.conf", "responder", "lookup"], names
st = {c["name"]: c["status"] for c in d["checks"]}
assert st["lookup"] == "ok" and st["module"] == "warn" and "fix" in d["checks"][1], d
assert all("fix" not in c for c in d["checks"] if c["status"] == "ok"), d
PY
tn_ok "doctor --json: every check, its status, detail and fix"

TN_OUT=$("$HELPER" status --json --socket "$TN_SOCKET" --state-dir "$STATE")
tn_assert_eq "$?" 0 "status --json: exit 0"
command python3 - "$TN_OUT" "$WATCH" <<'PY' || tn_fail "status --json: $TN_OUT"
import json, sys
d, watch = json.loads(sys.argv[1]), int(sys.argv[2])
assert d["node"] == {"name": "ci-runner-7.magellanic-gondola.ts.net", "address": "100.88.14.7"}, d["node"]
assert d["tailnet"]["suffix"] == "magellanic-gondola.ts.net", d["tailnet"]
assert d["tailscaled"]["reachable"] and d["tailscaled"]["state"] == "Running", d["tailscaled"]
c = d["cache"]
assert c["usable"] and c["names"] == 14 and c["generation"] == 1 and 0 <= c["age_seconds"] < 60, c
assert c["valid_until"] > c["written_at"], c
assert d["watcher"] == {"running": True, "pid": watch, "socket": d["watcher"]["socket"]}, d["watcher"]
PY
tn_ok "status --json: node, tailnet, names served, cache age, watcher"
tn_assert_contains "$("$HELPER" status --socket "$TN_SOCKET" --state-dir "$STATE")" "names       14 from $TN_CACHE" "status in text"

# --- the hosts line --------------------------------------------------------------------------------------
ns() {
	printf 'passwd: files\nhosts: %s\n' "$1" >"$TN_TMP/ns.conf"
	echo "--nsswitch $TN_TMP/ns.conf"
}
expect FAIL nsswitch "has no tailnet: glibc never asks the module" $(ns "files dns")
expect FAIL nsswitch "dns comes before tailnet" $(ns "files dns tailnet")
expect FAIL nsswitch "resolve comes before tailnet" $(ns "files resolve [!UNAVAIL=return] tailnet dns")
expect FAIL nsswitch "'files [NOTFOUND=return]' ends lookups it cannot answer before tailnet is asked" \
	$(ns "files [NOTFOUND=return] tailnet dns")
expect FAIL nsswitch "'tailnet [UNAVAIL=return]' ends every lookup that is not the tailnet's" \
	$(ns "files tailnet [UNAVAIL=return] dns")
expect FAIL nsswitch "'tailnet [!NOTFOUND=return]' ends every lookup" $(ns "files tailnet [!NOTFOUND=return] dns")
expect ok nsswitch "its [NOTFOUND=return] is safe" $(ns "files tailnet [NOTFOUND=return] dns")
expect ok nsswitch "tailnet before dns" $(ns "files mdns4_minimal [NOTFOUND=return] tailnet dns")
printf 'passwd: files\n' >"$TN_TMP/ns.conf"
expect FAIL nsswitch "has no hosts line" --nsswitch "$TN_TMP/ns.conf"
# For real: glibc's own nsswitch.conf without tailnet, and the lookup fails with it.
printf 'passwd: files\ngroup: files\nhosts: files dns\n' >/etc/nsswitch.conf
expect FAIL lookup "getaddrinfo(" 
tn_assert_eq "$DOCTOR_RC" 1 "without tailnet in nsswitch.conf names do not resolve: exit 1"
printf 'passwd: files\ngroup: files\nhosts: files tailnet dns\n' >/etc/nsswitch.conf

# --- the module ------------------------------------------------------------------------------------------
TN_OUT=$(env -u LD_LIBRARY_PATH "${DOCTOR[@]}" 2>&1)
tn_assert_contains "$(line module)" "FAIL module      glibc cannot load libnss_tailnet.so.2" "module not found: FAIL"
tn_assert_contains "$(line module)" "-> fix: install libnss_tailnet.so.2" "with the fix"
mkdir "$TN_TMP/fake"
echo 'int tailnet_nothing;' | gcc -shared -fPIC -x c -o "$TN_TMP/fake/libnss_tailnet.so.2" -
TN_OUT=$(LD_LIBRARY_PATH="$TN_TMP/fake" "${DOCTOR[@]}" 2>&1)
tn_assert_contains "$(line module)" "FAIL module      $TN_TMP/fake/libnss_tailnet.so.2 loads but lacks _nss_tailnet_gethostbyname4_r" \
	"a library of that name without the entry points: FAIL"

# --- the cache -------------------------------------------------------------------------------------------
cp -p "$TN_CACHE" "$TN_TMP/good.cache"
chown nobody "$TN_CACHE"
expect FAIL cache "owner nobody, mode 0644" 
tn_assert_contains "$(line cache)" "is refused by the module" "a foreign owner is refused"
tn_assert_contains "$(line cache)" "a sync by another user writes one the module refuses" "and the fix explains why"
chown root "$TN_CACHE"
chmod 0666 "$TN_CACHE"
expect FAIL cache "mode 0666"
chmod 0644 "$TN_CACHE"
kill "$WATCH"
wait "$WATCH" 2>/dev/null
expect FAIL watcher "names no live process: the watcher died"
rm -f "$STATE/watch.pid"
expect warn watcher "no tailnet-helper watch runs"
"$HELPER" sync --socket "$TN_SOCKET" --max-age 1 || tn_fail "sync --max-age 1"
sleep 2.1
expect FAIL cache "refused by the module: past its valid-until"
tn_assert_contains "$(line cache)" "nothing refreshed it" "an expired cache: start the watcher"
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "sync"
FORMAT=$("$HELPER" version | sed -n 's/^cache format \([0-9]*\),.*/\1/p')
printf '\177' | dd of="$TN_CACHE" bs=1 seek=8 conv=notrunc status=none # the format word: 127, a future writer's
expect FAIL cache "is refused by the module"
tn_assert_contains "$(line cache)" "tailnet-helper $("$TN_SRCDIR/scripts/version.sh") and its module read and write cache format $FORMAT" \
	"a cache of another format (or damaged): the fix names the version and the format this build reads"
rm -f "$TN_CACHE"
expect FAIL cache "No such file or directory"
expect FAIL lookup "no name to look up: the cache is unusable"
[ "$DOCTOR_RC" = 1 ] || tn_fail "no cache: exit $DOCTOR_RC"
"$HELPER" sync --socket "$TN_SOCKET" || tn_fail "sync"

# --- tailscaled ------------------------------------------------------------------------------------------
cp "$EXAMPLES/needs-login.json" "$TN_TMP/status.json"
expect FAIL tailscaled "NeedsLogin"
tn_assert_contains "$(line tailscaled)" "log in: tailnet-helper up" "NeedsLogin: the fix is a login"
cp "$EXAMPLES/running.json" "$TN_TMP/status.json"
tn_localapi_stop
expect FAIL tailscaled "no tailscaled answers on $TN_SOCKET"
[ "$DOCTOR_RC" = 1 ] || tn_fail "tailscaled down: exit $DOCTOR_RC"

# --- resolv.conf and the responder -----------------------------------------------------------------------
"$HELPER" resolv-conf --apply --quiet || tn_fail "resolv-conf --apply"
expect FAIL responder "does not answer on 127.100.100.100:53, though resolv.conf names it first"
tn_assert_contains "$(line resolv.conf)" "ok   resolv.conf /etc/resolv.conf asks the responder 127.100.100.100 first" "resolv.conf: applied"
"$HELPER" dns --user root 2>"$TN_TMP/dns.log" &
DNS=$!
tn_wait_until 5 "the responder" dig +tries=1 +time=1 @127.100.100.100 vault
expect ok responder "answers on 127.100.100.100:53"
kill "$DNS"
wait "$DNS" 2>/dev/null
mv /etc/resolv.conf.tailnet-backup "$TN_TMP/backup"
expect FAIL resolv.conf "its original /etc/resolv.conf.tailnet-backup is gone"
mv "$TN_TMP/backup" /etc/resolv.conf.tailnet-backup
"$HELPER" resolv-conf --revert --quiet || tn_fail "resolv-conf --revert"

# --- the lookup: another source answers first -----------------------------------------------------------
NAME=$(command python3 -c 'import json,sys; print(json.loads(sys.argv[1])["checks"][7]["detail"].split("(")[1].split(")")[0])' "$("${DOCTOR[@]}" --json)")
echo "192.0.2.99 $NAME" >>/etc/hosts
expect FAIL lookup "gives 192.0.2.99, not the cache's addresses: another source answered first"
# --- sync by a user the module does not trust: not a success ---------------------------------------------
mkdir "$TN_TMP/mine" && chown nobody "$TN_TMP/mine"
tn_expect_rc 1 "sync as nobody writes a cache the module refuses: exit 1" setpriv --reuid=65534 --regid=65534 \
	--clear-groups "$HELPER" sync --status-file "$EXAMPLES/running.json" --cache "$TN_TMP/mine/hosts.cache"
tn_assert_contains "$TN_OUT" "but the NSS module refuses it: cache file is not owned by root" "and says why"
echo "test_doctor: all passed"
