# SPDX-License-Identifier: BSD-3-Clause
# lib.sh - shared setup and assertions for the end-to-end tests (bash).
#
# A test starts with:   . "$TN_SRCDIR/tests/lib.sh"; tn_enter_ns "$0" "$@"
# tn_enter_ns re-executes the script inside private mount, network and PID namespaces (unshare -m -n -p: any
# process a test leaves behind is killed with it), then gives it a private world: a tmpfs on /var/cache (so
# the module's real default cache path is private), and bind-mounted /etc/nsswitch.conf ("hosts: files
# tailnet dns"), /etc/hosts and /etc/resolv.conf (a loopback resolver). The machine's own /etc is never
# written. The module is found through LD_LIBRARY_PATH.
# Everything a test creates lives under $TN_TMP and disappears with it.

set -u
: "${TN_SRCDIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"
: "${TN_BUILD:=build}"
case "$TN_BUILD" in /*) ;; *) TN_BUILD="$TN_SRCDIR/$TN_BUILD" ;; esac
export TN_SRCDIR TN_BUILD
HELPER="$TN_BUILD/tailnet-helper"
TN_CACHE=/var/cache/tailnet/hosts.cache
EXAMPLES="$TN_SRCDIR/tests/data/status-examples" # copies of ../shared/reference/status-examples

tn_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

tn_ok() {
	echo "ok: $*"
}

# tn_assert_eq ACTUAL EXPECTED WHAT
tn_assert_eq() {
	[ "$1" = "$2" ] || tn_fail "$3: expected [$2], got [$1]"
	tn_ok "$3"
}

# tn_assert_contains HAYSTACK NEEDLE WHAT
tn_assert_contains() {
	case "$1" in *"$2"*) tn_ok "$3" ;; *) tn_fail "$3: [$2] not in [$1]" ;; esac
}

# tn_assert_not_contains HAYSTACK NEEDLE WHAT
tn_assert_not_contains() {
	case "$1" in *"$2"*) tn_fail "$3: [$2] unexpectedly in [$1]" ;; *) tn_ok "$3" ;; esac
}

# tn_expect_rc RC WHAT CMD...   runs CMD, requires exit status RC; its output lands in $TN_OUT
tn_expect_rc() {
	local want=$1 what=$2
	shift 2
	TN_OUT=$("$@" 2>&1)
	local rc=$?
	[ "$rc" = "$want" ] || tn_fail "$what: exit $rc, expected $want; output: $TN_OUT"
	tn_ok "$what"
}

tn_cleanup() {
	local pids m
	pids=$(jobs -p)
	[ -n "$pids" ] && kill $pids 2>/dev/null
	wait 2>/dev/null
	[ -n "${TN_TMP:-}" ] || return 0
	# Whatever a test mounted below TN_TMP goes first, deepest first, and rm never crosses into another
	# filesystem: a chroot with the machine's /dev bind-mounted into it must not cost the machine its /dev.
	for m in $(awk -v t="$TN_TMP" 'index($2, t) == 1 {print $2}' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	rm -rf --one-file-system "$TN_TMP"
}

# Sanitizer builds: programs we did not build (getent, python3) need the ASan runtime preloaded to load the
# instrumented module, and their own leaks are not ours to report. Only those programs get it: the shell
# functions below wrap getent and python3, and "env "${TN_MODULE_ENV[@]}" PROGRAM" does it anywhere else
# (after timeout, say). Our own instrumented binaries keep leak detection on.
TN_MODULE_ENV=()
tn_sanitizer_env() {
	[ -n "${TN_SAN:-}" ] || return 0
	export ASAN_OPTIONS="abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
	TN_MODULE_ENV=("LD_PRELOAD=$(gcc -print-file-name=libasan.so)"
		"ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:verify_asan_link_order=0")
}

getent() {
	env "${TN_MODULE_ENV[@]}" getent "$@"
}

python3() {
	env "${TN_MODULE_ENV[@]}" python3 "$@"
}

# Makes the namespace look like a tailnet host: a tailscale0-like interface (one end of a veth pair) with
# Self's addresses and routes for 100.64.0.0/10 and fd7a:115c:a1e0::/48. Without a non-loopback address of
# each family, AI_ADDRCONFIG (getent ahosts*, curl) would drop that family before NSS is even asked.
tn_tailnet_iface() {
	ip link add tailscale0 type veth peer name tn-peer || tn_fail "cannot create a veth pair"
	ip addr add 100.88.14.7/32 dev tailscale0
	ip -6 addr add fd7a:115c:a1e0::5d01:e07/128 dev tailscale0 nodad
	ip link set tailscale0 up
	ip link set tn-peer up
	ip route add 100.64.0.0/10 dev tailscale0
	ip -6 route add fd7a:115c:a1e0::/48 dev tailscale0
}

tn_enter_ns() {
	if [ -z "${TN_IN_NS:-}" ]; then
		[ "$(id -u)" = 0 ] || tn_fail "end-to-end tests need root"
		# A PID namespace too: whatever a test starts, detached daemons included, dies with it.
		TN_IN_NS=1 exec unshare --mount --net --pid --kill-child --mount-proc --propagation private bash "$@"
	fi
	TN_TMP=$(mktemp -d /tmp/tn-e2e.XXXXXX)
	chmod 0755 "$TN_TMP"
	trap tn_cleanup EXIT
	mount -t tmpfs -o mode=0755 tailnet-test /var/cache || tn_fail "cannot mount a private /var/cache"
	mkdir -p "$TN_TMP/etc"
	printf 'passwd: files\ngroup: files\nhosts: files tailnet dns\n' >"$TN_TMP/etc/nsswitch.conf"
	printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n192.0.2.10 lan-printer\n' \
		>"$TN_TMP/etc/hosts"
	printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$TN_TMP/etc/resolv.conf"
	for f in nsswitch.conf hosts resolv.conf; do
		mount --bind "$TN_TMP/etc/$f" "/etc/$f" || tn_fail "cannot bind-mount /etc/$f"
	done
	ip link set lo up
	tn_tailnet_iface
	export LD_LIBRARY_PATH="$TN_BUILD"
	tn_sanitizer_env
}

# tn_private_run_tmp: private /run and /tmp, so that a test may put sockets at tailscaled's default paths
# (/var/run/tailscale/tailscaled.sock, /tmp/tailscaled.sock) without touching the machine's; the test's own
# files, the build and the sources stay where they are when they live under /tmp.
tn_private_run_tmp() {
	mount -t tmpfs -o mode=0755 tailnet-run /run || tn_fail "cannot mount a private /run"
	mkdir -p /run/tn-oldtmp && mount --bind /tmp /run/tn-oldtmp
	mount -t tmpfs -o mode=1777 tailnet-tmp /tmp || tn_fail "cannot mount a private /tmp"
	local keep
	for keep in "$TN_TMP" "$TN_BUILD" "$TN_SRCDIR"; do
		case "$keep" in /tmp/*) mkdir -p "$keep" && mount --bind "/run/tn-oldtmp/${keep#/tmp/}" "$keep" ;; esac
	done
}

# tn_sync_example NAME: writes the default cache from one of the reference status documents.
tn_sync_example() {
	"$HELPER" sync --status-file "$EXAMPLES/$1.json" || tn_fail "sync from $1.json"
}

# tn_dns_start [--answer NAME=ADDR ...]: a recording DNS server on 127.0.0.1:53 (the resolv.conf of the
# namespace points there). Questions land in $TN_DNS_LOG.
tn_dns_start() {
	TN_DNS_LOG="$TN_TMP/dns-queries.log"
	: >"$TN_DNS_LOG"
	command python3 "$TN_SRCDIR/tests/doubles/dns_recorder.py" --log "$TN_DNS_LOG" --ready "$TN_TMP/dns.ready" "$@" &
	for _ in $(seq 100); do [ -e "$TN_TMP/dns.ready" ] && return 0; sleep 0.05; done
	tn_fail "DNS recorder did not start"
}

# tn_dns_queries: the questions DNS got so far, one per line.
tn_dns_queries() {
	cat "$TN_DNS_LOG"
}
