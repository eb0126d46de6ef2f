#!/bin/bash
# Runs the module under valgrind through real programs (getent, the C resolver probe) and the helper's
# commands, in private namespaces like the end-to-end tests. Fails on any memory error, and on any leak
# whose stack goes through libnss_tailnet or tailnet-helper code. Argument: the (plain) build directory.
export TN_BUILD="${1:-build}" TN_SAN=
. "$(dirname "$0")/lib.sh"
tn_enter_ns "$0" "$@"
command -v valgrind >/dev/null || tn_fail "valgrind is not installed"
S=magellanic-gondola.ts.net
PROBE="$TN_BUILD/tests/resolve_probe"

# vg WHAT CMD...: CMD under memcheck; its stdout in $TN_OUT.
vg() {
	local what=$1 log="$TN_TMP/vg.log"
	shift
	TN_OUT=$(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=none --track-fds=no --log-file="$log" "$@")
	local rc=$?
	[ "$rc" = 99 ] && { cat "$log"; tn_fail "$what: valgrind reported memory errors"; }
	if grep -qE 'libnss_tailnet|tailnet-helper|/helper/|/nss/' "$log" && grep -q 'definitely lost\|indirectly lost' "$log"; then
		cat "$log"
		tn_fail "$what: leak attributed to tailnet code"
	fi
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
vg "unit test_module" env TN_MODULE="$TN_BUILD/libnss_tailnet.so.2" CK_FORK=no "$TN_BUILD/tests/test_module"
