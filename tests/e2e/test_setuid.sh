# SPDX-License-Identifier: BSD-3-Clause
# test_setuid.sh - TAILNET_NSS_CACHE is honoured by ordinary programs and ignored by setuid ones (the
# module reads it with secure_getenv). Setuid programs ignore LD_LIBRARY_PATH, so the module is overlaid
# into the multiarch libdir - inside this mount namespace only - exactly where `make install` puts it.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
S=magellanic-gondola.ts.net
if [ -n "${TN_SAN:-}" ]; then
	echo "skip: a setuid program cannot preload the sanitizer runtime; covered by the plain build"
	exit 0
fi
grep -qw overlay /proc/filesystems || { echo "skip: this kernel has no overlayfs"; exit 0; }
libdir=/lib/$(gcc -print-multiarch)
mkdir -p "$TN_TMP/extra"
cp "$TN_BUILD/libnss_tailnet.so.2" "$TN_TMP/extra/"
mount -t overlay tailnet-test -o "lowerdir=$TN_TMP/extra:$libdir" "$libdir" || tn_fail "overlay on $libdir"
unset LD_LIBRARY_PATH

tn_sync_example running # the default cache: vault, no api-worker
"$HELPER" sync --status-file "$EXAMPLES/peers-false-userspace.json" --cache "$TN_TMP/alt/hosts.cache" ||
	tn_fail "sync to the alternative cache"

tn_assert_eq "$(getent hosts vault)" "fd7a:115c:a1e0::c601:2108 vault.$S vault" "module loads from the system libdir"
export TAILNET_NSS_CACHE="$TN_TMP/alt/hosts.cache"
tn_assert_eq "$(getent hosts api-worker.$S | cut -d' ' -f2)" "api-worker.$S" "TAILNET_NSS_CACHE honoured"
tn_expect_rc 2 "vault is not in the alternative cache" getent hosts vault.$S

cp "$(type -P getent)" "$TN_TMP/getent-suid" # type -P: getent is also a shell function (lib.sh)
chown root:root "$TN_TMP/getent-suid"
chmod 4755 "$TN_TMP/getent-suid"
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
tn_assert_eq "$(as_nobody "$TN_TMP/getent-suid" hosts vault.$S)" "fd7a:115c:a1e0::c601:2108 vault.$S" \
	"setuid program ignores TAILNET_NSS_CACHE and reads the default cache"
tn_expect_rc 2 "setuid program does not see the alternative cache" as_nobody "$TN_TMP/getent-suid" hosts api-worker.$S
tn_assert_eq "$(as_nobody getent hosts api-worker.$S | cut -d' ' -f2)" "api-worker.$S" \
	"the same user without setuid honours it (the cache is world-readable)"
