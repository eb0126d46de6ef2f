#!/bin/bash
# Runs the module under valgrind through real programs (getent, the C resolver probe) and the helper's
# commands (the DNS responder serving dig among them), in private namespaces like the end-to-end tests.
# Fails on any memory error, and on any leak whose stack goes through libnss_tailnet or tailnet-helper code.
# Argument: the (plain) build directory.
export TN_BUILD="${1:-build}" TN_SAN=
. "$(dirname "$0")/lib.sh"
tn_enter_ns "$0" "$@"
command -v valgrind >/dev/null || tn_fail "valgrind is not installed"
S=magellanic-gondola.ts.net
PROBE="$TN_BUILD/tests/resolve_probe"

# vg WHAT CMD...: CMD under memcheck (children too); its stdout in $TN_OUT. Any memory error fails; a leak
# fails when its allocation stack goes through our code (the module, the helper, our test programs) -
# programs like getent may keep their own allocations, which are not ours to report.
VG=(valgrind --quiet --trace-children=yes --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect)
vg() {
	local what=$1 log="$TN_TMP/vg.log"
	shift
	rm -f "$log"
	TN_OUT=$("${VG[@]}" --log-file="$log" "$@")
	vg_check "$what" "$log" $?
}

# vg_check WHAT LOG RC: fails on any error in LOG, and on leaks whose stack goes through our code.
vg_check() {
	local what=$1 log=$2 rc=$3
	command python3 - "$log" "$TN_SRCDIR" <<'PY' || tn_fail "$what: valgrind found a problem in tailnet code (log above)"
import glob, os, re, sys
text = open(sys.argv[1]).read()
# Frames are "fn (file.c:LINE)" with debug info, "(in /path/binary)" without: know both forms of ours.
sources = {os.path.basename(f) for d in ("nss", "helper", "tests/tools", "tests/unit")
           for f in glob.glob(os.path.join(sys.argv[2], d, "*.c"))}
ours_re = re.compile(r"libnss_tailnet|tailnet-helper|test_module|resolve_probe|\((%s):\d+\)"
                     % "|".join(re.escape(s) for s in sources))
records = re.split(r"\n==\d+== \n", text)
bad = []
for r in records:
    if not r.strip():
        continue
    leak = re.search(r"(definitely|indirectly) lost", r)
    ours = ours_re.search(r)
    if not leak or ours:
        bad.append(r)
if bad:
    print("\n\n".join(bad))
    sys.exit(1)
PY
	tn_ok "$what: valgrind clean (exit $rc)"
}

vg "helper sync" "$HELPER" sync --status-file "$EXAMPLES/running.json"
vg "helper hosts" "$HELPER" hosts
tn_assert_contains "$TN_OUT" "vault.$S vault" "hosts output under valgrind"
vg "getent hosts vault" getent hosts vault
tn_assert_eq "$TN_OUT" "fd7a:115c:a1e0::c601:2108 vault.$S vault" "answer under valgrind"
vg "getent ahosts vault" getent ahosts vault
vg "getent ahostsv4 vault-1" getent ahostsv4 vault-1
vg "getent hosts (reverse)" getent hosts 100.101.33.8
tn_assert_eq "$TN_OUT" "100.101.33.8    vault.$S vault" "reverse answer under valgrind"
vg "getent hosts (unknown tailnet name)" getent hosts nope.$S
vg "getent hosts (foreign name)" getent hosts example.org
vg "probe gethostbyname2_r ladder name" "$PROBE" ghbn2r vault inet6 64
vg "probe getaddrinfo AF_INET6 v4mapped all" "$PROBE" gai vault inet6 v4mapped all
vg "probe getnameinfo v4-mapped" "$PROBE" gni ::ffff:100.71.5.90
vg "probe threads" "$PROBE" threads vault 4 200
chmod 0666 /var/cache/tailnet/hosts.cache
vg "getent hosts (refused cache)" getent hosts vault
chmod 0644 /var/cache/tailnet/hosts.cache
# The dlopen'ed-module unit test, children included (Check forks every test).
vg "unit test_module" env TN_MODULE="$TN_BUILD/libnss_tailnet.so.2" "$TN_BUILD/tests/test_module"

# The DNS responder: queries of every kind over UDP and TCP, some malformed, then SIGTERM (exit 0).
"$HELPER" sync --status-file "$EXAMPLES/running.json" || tn_fail "sync"
"${VG[@]}" --log-file="$TN_TMP/vg-dns.log" "$HELPER" dns 2>"$TN_TMP/dns.log" &
DNS_PID=$!
for _ in $(seq 200); do
	dig +tries=1 +time=1 @127.100.100.100 vault >/dev/null 2>&1 && break
	sleep 0.1
done
for q in "vault A" "vault.$S AAAA" "nope.$S A" "example.org A" "-x 100.101.33.8" "+tcp vault ANY" "+dnssec grafana.$S AAAA" \
	"+edns=1 +noednsneg vault" "+opcode=notify vault"; do
	# shellcheck disable=SC2086
	dig +tries=1 +time=5 @127.100.100.100 $q >/dev/null || tn_fail "dig $q under valgrind"
done
tn_assert_contains "$(command python3 "$TN_SRCDIR/tests/tools/dns_poke.py" 127.100.100.100 fuzz 200 1)" "alive" \
	"responder under valgrind: malformed packets"
tn_assert_contains "$(command python3 "$TN_SRCDIR/tests/tools/dns_poke.py" 127.100.100.100 pipeline)" "id=3" \
	"responder under valgrind: pipelined TCP"
kill -TERM $DNS_PID
wait $DNS_PID
rc=$?
vg_check "tailnet-helper dns" "$TN_TMP/vg-dns.log" $rc
tn_assert_eq "$rc" 0 "the responder under valgrind exits 0 on SIGTERM"
