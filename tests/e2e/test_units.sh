#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_units.sh - `make install` and `make uninstall`, and the systemd units they install: every file where
# PREFIX, LIBDIR, SYSTEMDUNITDIR, CACHE_PATH and STATE_DIR say (the code, the units and the install agree),
# uninstall removing all of it, units that systemd-analyze verify accepts (against a stand-in
# tailscaled.service and the installed man pages) and whose systemd-analyze security exposure stays low,
# Type=notify, the directories systemd creates, RestartPreventExitStatus=, nss-lookup.target, and the
# responder's unit with a user of its own.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"
# The makes below are a packager's, not make check's: nothing of the outer make (its WERROR=1) reaches them.
unset MAKEFLAGS MFLAGS MAKELEVEL WERROR

# install_into DIR MAKE-ARGS...: `make install` of this build into DESTDIR=DIR.
install_into() {
	local dest=$1
	shift
	make -s -C "$TN_SRCDIR" install DESTDIR="$dest" BUILD="$TN_BUILD" SAN="${TN_SAN:-}" "$@" >"$TN_TMP/install.log" 2>&1 ||
		tn_fail "make install $*: $(cat "$TN_TMP/install.log")"
}
MA=$(gcc -print-multiarch)

# --- the default: PREFIX=/usr/local ---------------------------------------------------------------------
ROOT="$TN_TMP/root"
install_into "$ROOT"
for f in usr/local/bin/tailnet-helper usr/local/lib/$MA/libnss_tailnet.so.2 \
	usr/local/share/man/man8/tailnet-helper.8 usr/local/share/man/man8/nss-tailnet.8 \
	usr/local/share/bash-completion/completions/tailnet-helper \
	usr/local/lib/systemd/system/tailnet-helper.service usr/local/lib/systemd/system/tailnet-helper-up.service \
	usr/local/lib/systemd/system/tailnet-helper-dns.service; do
	[ -f "$ROOT/$f" ] || tn_fail "make install did not install /$f"
done
tn_ok "make install: helper, module in the multiarch libdir under PREFIX, man pages, completion, three units"
tn_assert_eq "$(readlink "$ROOT/usr/local/share/man/man8/libnss_tailnet.so.2.8")" "nss-tailnet.8" \
	"libnss_tailnet.so.2(8) is nss-tailnet(8)"
tn_assert_eq "$(stat -c %a "$ROOT/usr/local/lib/$MA/libnss_tailnet.so.2") $(stat -c %a "$ROOT/usr/local/bin/tailnet-helper")" \
	"644 755" "modes: module 0644, helper 0755"
tn_assert_eq "$(stat -c %a "$ROOT/var/cache/tailnet") $(stat -c %a "$ROOT/var/lib/tailnet")" "755 700" \
	"the cache (0755) and state (0700) directories, for use without systemd"
U="$ROOT/usr/local/lib/systemd/system"
tn_assert_eq "$(grep '^ExecStart=' "$U/tailnet-helper.service")" \
	"ExecStart=/usr/local/bin/tailnet-helper watch --cache /var/cache/tailnet/hosts.cache --pidfile /var/lib/tailnet/watch.pid" \
	"the watch unit names the installed helper, the cache and the pidfile doctor looks for"
tn_assert_eq "$(grep '^ExecStart=' "$U/tailnet-helper-up.service")" \
	"ExecStart=/usr/local/bin/tailnet-helper up --foreground --socket /run/tailscale/tailscaled.sock --state-dir /var/lib/tailnet --cache /var/cache/tailnet/hosts.cache" \
	"the up unit: the same paths"
tn_assert_eq "$(grep '^ExecStart=' "$U/tailnet-helper-dns.service")" \
	"ExecStart=/usr/local/bin/tailnet-helper dns --cache /var/cache/tailnet/hosts.cache" "the dns unit"

# What systemd is told, unit by unit.
has() { # has UNIT LINE...: every LINE is in UNIT
	local u=$1
	shift
	for l in "$@"; do grep -qxF "$l" "$U/$u" || tn_fail "$u lacks $l"; done
	tn_ok "$u: $*"
}
has tailnet-helper.service "Type=notify" "WatchdogSec=30" "RestartPreventExitStatus=2" "CacheDirectory=tailnet" \
	"StateDirectory=tailnet" "Before=nss-lookup.target" "Wants=nss-lookup.target" "After=tailscaled.service" \
	"Conflicts=tailnet-helper-up.service" "ProtectSystem=strict" "NoNewPrivileges=yes" "CapabilityBoundingSet=" \
	"RestrictAddressFamilies=AF_UNIX" "PrivateNetwork=yes" "ExecReload=/bin/kill -HUP \$MAINPID"
has tailnet-helper-up.service "Type=notify" "WatchdogSec=30" "RestartPreventExitStatus=2 6" "CacheDirectory=tailnet" \
	"StateDirectory=tailnet" "StateDirectoryMode=0700" "Requires=tailscaled.service" "Conflicts=tailnet-helper.service" \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "CapabilityBoundingSet="
has tailnet-helper-dns.service "Type=notify" "WatchdogSec=10" "DynamicUser=yes" "User=tailnet-dns" \
	"AmbientCapabilities=CAP_NET_BIND_SERVICE" "CapabilityBoundingSet=CAP_NET_BIND_SERVICE" "Before=nss-lookup.target" \
	"IPAddressAllow=localhost" "IPAddressDeny=any" \
	"ExecStartPost=-+/usr/local/bin/tailnet-helper resolv-conf --apply --cache /var/cache/tailnet/hosts.cache" \
	"ExecStopPost=+/usr/local/bin/tailnet-helper resolv-conf --revert"
grep -q '^Before=nss-lookup.target' "$U/tailnet-helper-up.service" &&
	tn_fail "the up unit must not hold nss-lookup.target back while it logs in"
tn_ok "the up unit is not ordered before nss-lookup.target"

if command -v systemd-analyze >/dev/null; then
	# The up unit requires Tailscale's own tailscaled.service: a stand-in of the shape Tailscale ships
	# (cmd/tailscaled/tailscaled.service), on the unit path. verify wants ExecStart to exist and man: pages
	# to be found: the staged helper and the installed pages.
	mkdir -p "$TN_TMP/units"
	printf '%s\n' "[Unit]" "Description=Tailscale node agent (stand-in)" "[Service]" \
		"ExecStart=/bin/sleep infinity" "Type=notify" "RuntimeDirectory=tailscale" >"$TN_TMP/units/tailscaled.service"
	for u in tailnet-helper tailnet-helper-up tailnet-helper-dns; do
		sed "s|/usr/local/bin/tailnet-helper|$ROOT/usr/local/bin/tailnet-helper|g" "$U/$u.service" >"$TN_TMP/units/$u.service"
	done
	export SYSTEMD_UNIT_PATH="$TN_TMP/units:" MANPATH="$ROOT/usr/local/share/man"
	for u in tailnet-helper tailnet-helper-up tailnet-helper-dns; do
		out=$(cd "$TN_TMP/units" && systemd-analyze verify "$u.service" 2>&1) || tn_fail "systemd-analyze verify $u: $out"
		tn_assert_eq "$out" "" "systemd-analyze verify $u.service: no complaint"
		exposure=$(systemd-analyze security --offline=yes "$u.service" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
		echo "systemd-analyze security $u.service: $exposure"
		awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 2.0) }' || tn_fail "$u: exposure $exposure (want at most 2.0)"
		tn_ok "systemd-analyze security $u.service: exposure $exposure"
	done
	unset SYSTEMD_UNIT_PATH MANPATH
else
	tn_fail "systemd-analyze is not installed (make deps installs systemd)"
fi

# --- uninstall undoes install ---------------------------------------------------------------------------
make -s -C "$TN_SRCDIR" uninstall DESTDIR="$ROOT" BUILD="$TN_BUILD" >"$TN_TMP/uninstall.log" 2>&1 ||
	tn_fail "make uninstall: $(cat "$TN_TMP/uninstall.log")"
tn_assert_eq "$(find "$ROOT" ! -type d | wc -l)" 0 "make uninstall removes every file make install put there"
[ -e "$ROOT/var/cache/tailnet" ] || [ -e "$ROOT/var/lib/tailnet" ] && tn_fail "the empty cache and state directories stay"
tn_ok "and the empty cache and state directories"

# --- a packager's build: flags and paths reach the code, the units and the install -----------------------
# Its own build directory: these paths are compiled in. CFLAGS as the issue's packager gave them, and a
# CPPFLAGS and LDFLAGS of our own that must show up next to the project's flags, never instead of them.
PB="$TN_TMP/build-packager"
R="$TN_TMP/usr"
make -C "$TN_SRCDIR" install V=1 BUILD="$PB" DESTDIR="$R" PREFIX=/usr CACHE_PATH=/var/cache/tn/names.cache \
	STATE_DIR=/var/lib/tn-state CFLAGS="-O2 -g" CPPFLAGS="-DTN_PACKAGER_PROBE=1" LDFLAGS="-Wl,--build-id=sha1" \
	>"$TN_TMP/packager.log" 2>&1 || tn_fail "a packager's make install: $(tail -n 20 "$TN_TMP/packager.log")"
cc_line=$(grep -m1 -- ' -c helper/cli/main.c ' "$TN_TMP/packager.log")
for f in "-O2 -g" "-DTN_PACKAGER_PROBE=1" "-std=c11" "-Wall" "-fPIC" "-D_GNU_SOURCE"; do
	tn_assert_contains "$cc_line" " $f" "the compiler gets $f"
done
tn_assert_not_contains "$cc_line" "-Werror" "no -Werror outside make check"
tn_assert_contains "$(grep -m1 -- '-o '"$PB"'/tailnet-helper ' "$TN_TMP/packager.log")" "-Wl,--build-id=sha1" "the linker gets LDFLAGS"
tn_assert_contains "$(make -s -n -C "$TN_SRCDIR" BUILD="$PB" WERROR=1 "$PB/helper/cli/main.o" -W helper/cli/main.c)" "-Werror" \
	"WERROR=1 (make check) adds -Werror"
UNITDIR=$(pkg-config --variable=systemdsystemunitdir systemd)
[ -f "$R/usr/lib/$MA/libnss_tailnet.so.2" ] || tn_fail "PREFIX=/usr: the module is not in /usr/lib/$MA"
[ -f "$R$UNITDIR/tailnet-helper.service" ] || tn_fail "PREFIX=/usr: the units are not in $UNITDIR"
tn_ok "PREFIX=/usr: module in /usr/lib/$MA, units in $UNITDIR"
tn_assert_eq "$(grep -E '^(ExecStart|CacheDirectory|StateDirectory)=' "$R$UNITDIR/tailnet-helper-up.service" | tr '\n' ' ')" \
	"ExecStart=/usr/bin/tailnet-helper up --foreground --socket /run/tailscale/tailscaled.sock --state-dir /var/lib/tn-state --cache /var/cache/tn/names.cache CacheDirectory=tn StateDirectory=tn-state " \
	"CACHE_PATH and STATE_DIR reach the units"
tn_assert_contains "$("$R/usr/bin/tailnet-helper" version)" \
	"cache /var/cache/tn/names.cache (trusted owners: uid 0), state directory /var/lib/tn-state" "and the code"
tn_assert_contains "$("$R/usr/bin/tailnet-helper" up --help)" "(default /var/lib/tn-state for root" "and its help"
[ -d "$R/var/cache/tn" ] && [ -d "$R/var/lib/tn-state" ] || tn_fail "the install did not create the configured directories"
tn_ok "and the install creates them"
install_into "$TN_TMP/opt" PREFIX=/opt/tailnet
[ -f "$TN_TMP/opt/etc/systemd/system/tailnet-helper.service" ] || tn_fail "PREFIX=/opt/tailnet: units not in /etc/systemd/system"
tn_assert_eq "$(grep '^ExecStart=' "$TN_TMP/opt/etc/systemd/system/tailnet-helper-dns.service")" \
	"ExecStart=/opt/tailnet/bin/tailnet-helper dns --cache /var/cache/tailnet/hosts.cache" "naming the helper under /opt"
tn_ok "PREFIX=/opt/tailnet: units in /etc/systemd/system, which systemd reads (it never reads /opt)"
tn_expect_rc 2 "CACHE_PATH outside /var/cache is refused before anything is built" \
	make -s -C "$TN_SRCDIR" install DESTDIR="$TN_TMP/bad" BUILD="$TN_TMP/build-bad" CACHE_PATH=/srv/hosts.cache
tn_assert_contains "$TN_OUT" "CACHE_PATH must lie under /var/cache/" "and says why"
[ -e "$TN_TMP/build-bad/tailnet-helper" ] && tn_fail "it built anyway"
echo "test_units: all passed"
