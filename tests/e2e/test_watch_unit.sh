#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_watch_unit.sh - the systemd units, tailnet-helper.service (`tailnet-helper watch`) and
# tailnet-helper-up.service (`tailnet-helper up --foreground`): `make install` puts them (and the helper they
# name) where systemd looks, with PREFIX and the cache directory filled in, and creates the directories they
# may write; systemd-analyze verify finds nothing to say about them (skipped when systemd-analyze is not
# installed); the hardening is in place.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"

# install_into DIR MAKE-ARGS...: `make install` of this build into DESTDIR=DIR.
install_into() {
	local dest=$1
	shift
	make -s -C "$TN_SRCDIR" install DESTDIR="$dest" BUILD="$TN_BUILD" SAN="${TN_SAN:-}" "$@" >"$TN_TMP/install.log" 2>&1 ||
		tn_fail "make install: $(cat "$TN_TMP/install.log")"
}

ROOT="$TN_TMP/root"
install_into "$ROOT"
UNIT="$ROOT/usr/local/lib/systemd/system/tailnet-helper.service"
[ -f "$UNIT" ] || tn_fail "no unit at $UNIT"
tn_assert_eq "$(stat -c %a "$UNIT")" 644 "the unit is installed mode 0644 in /usr/local/lib/systemd/system"
[ -x "$ROOT/usr/local/bin/tailnet-helper" ] || tn_fail "the helper is not installed"
tn_assert_eq "$(grep '^ExecStart=' "$UNIT")" "ExecStart=/usr/local/bin/tailnet-helper watch" "ExecStart runs watch"
tn_assert_eq "$(grep '^ReadWritePaths=' "$UNIT")" "ReadWritePaths=/var/cache/tailnet" "the cache directory is writable"
[ -d "$ROOT/var/cache/tailnet" ] || tn_fail "make install did not create the cache directory"
tn_ok "make install creates the cache directory ReadWritePaths names"
for d in "ProtectSystem=strict" "NoNewPrivileges=yes" "ProtectHome=yes" "PrivateTmp=yes" "PrivateDevices=yes" \
	"RestrictAddressFamilies=AF_UNIX" "CapabilityBoundingSet=" "After=tailscaled.service" "Restart=on-failure" \
	"ExecReload=/bin/kill -HUP \$MAINPID" "WantedBy=multi-user.target"; do
	grep -qxF "$d" "$UNIT" || tn_fail "the unit lacks $d"
done
tn_ok "hardening and restart policy in place"

UP_UNIT="$ROOT/usr/local/lib/systemd/system/tailnet-helper-up.service"
[ -f "$UP_UNIT" ] || tn_fail "no unit at $UP_UNIT"
tn_assert_eq "$(stat -c %a "$UP_UNIT")" 644 "the up unit is installed mode 0644"
tn_assert_eq "$(grep '^ExecStart=' "$UP_UNIT")" \
	"ExecStart=/usr/local/bin/tailnet-helper up --foreground --socket /run/tailscale/tailscaled.sock" \
	"the up unit runs up --foreground against tailscaled.service's socket"
tn_assert_eq "$(grep '^ReadWritePaths=' "$UP_UNIT")" "ReadWritePaths=/var/cache/tailnet /var/lib/tailnet" \
	"the up unit may write the cache and state directories"
tn_assert_eq "$(stat -c %a "$ROOT/var/lib/tailnet")" 700 "make install creates the state directory, mode 0700"
for d in "ProtectSystem=strict" "NoNewPrivileges=yes" "ProtectHome=read-only" "PrivateTmp=yes" "PrivateDevices=yes" \
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "CapabilityBoundingSet=" "Requires=tailscaled.service" \
	"Conflicts=tailnet-helper.service" "Restart=on-failure" "WantedBy=multi-user.target"; do
	grep -qxF "$d" "$UP_UNIT" || tn_fail "the up unit lacks $d"
done
tn_ok "the up unit: hardening, ordering after tailscaled, not beside the watch unit"

install_into "$TN_TMP/root-usr" PREFIX=/usr CACHE_PATH=/var/lib/tailnet-cache/hosts.cache
UNIT2="$TN_TMP/root-usr/usr/lib/systemd/system/tailnet-helper.service"
tn_assert_eq "$(grep -E '^(ExecStart|ReadWritePaths)=' "$UNIT2" | tr '\n' ' ')" \
	"ExecStart=/usr/bin/tailnet-helper watch ReadWritePaths=/var/lib/tailnet-cache " "PREFIX and CACHE_PATH reach the unit"
tn_assert_eq "$(grep -E '^(ExecStart|ReadWritePaths)=' "$TN_TMP/root-usr/usr/lib/systemd/system/tailnet-helper-up.service" | tr '\n' ' ')" \
	"ExecStart=/usr/bin/tailnet-helper up --foreground --socket /run/tailscale/tailscaled.sock ReadWritePaths=/var/lib/tailnet-cache /var/lib/tailnet " \
	"PREFIX and CACHE_PATH reach the up unit"

if command -v systemd-analyze >/dev/null; then
	# verify insists that ExecStart exists: point it at the staged binary
	# The up unit requires Tailscale's own tailscaled.service, which verify must be able to load: a stand-in
	# with the shape of the one Tailscale ships (ts:cmd/tailscaled/tailscaled.service), on the unit path.
	mkdir -p "$TN_TMP/units"
	printf '%s\n' "[Unit]" "Description=Tailscale node agent (stand-in)" "[Service]" \
		"ExecStart=/bin/sleep infinity" "Type=simple" "RuntimeDirectory=tailscale" >"$TN_TMP/units/tailscaled.service"
	export SYSTEMD_UNIT_PATH="$TN_TMP/units:"
	for u in "$UNIT" "$UP_UNIT"; do
		sed "s|^ExecStart=/usr/local/bin/|ExecStart=$ROOT/usr/local/bin/|" "$u" >"$TN_TMP/$(basename "$u")"
		out=$(systemd-analyze verify "$TN_TMP/$(basename "$u")" 2>&1) || tn_fail "systemd-analyze verify $u: $out"
		tn_assert_eq "$out" "" "systemd-analyze verify $(basename "$u"): no complaint"
	done
else
	echo "skip: systemd-analyze is not installed"
fi
echo "test_watch_unit: all passed"
