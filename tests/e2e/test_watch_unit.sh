#!/bin/bash
# test_watch_unit.sh - the systemd unit that runs `tailnet-helper watch`: `make install` puts it (and the
# helper it names) where systemd looks, with PREFIX and the cache directory filled in; systemd-analyze verify
# finds nothing to say about it (skipped when systemd-analyze is not installed); the hardening is in place.
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

install_into "$TN_TMP/root-usr" PREFIX=/usr CACHE_PATH=/var/lib/tailnet-cache/hosts.cache
UNIT2="$TN_TMP/root-usr/usr/lib/systemd/system/tailnet-helper.service"
tn_assert_eq "$(grep -E '^(ExecStart|ReadWritePaths)=' "$UNIT2" | tr '\n' ' ')" \
	"ExecStart=/usr/bin/tailnet-helper watch ReadWritePaths=/var/lib/tailnet-cache " "PREFIX and CACHE_PATH reach the unit"

if command -v systemd-analyze >/dev/null; then
	# verify insists that ExecStart exists: point it at the staged binary
	sed "s|^ExecStart=/usr/local/bin/|ExecStart=$ROOT/usr/local/bin/|" "$UNIT" >"$TN_TMP/tailnet-helper.service"
	out=$(systemd-analyze verify "$TN_TMP/tailnet-helper.service" 2>&1) || tn_fail "systemd-analyze verify: $out"
	tn_assert_eq "$out" "" "systemd-analyze verify: no complaint"
else
	echo "skip: systemd-analyze is not installed"
fi
echo "test_watch_unit: all passed"
