# SPDX-License-Identifier: BSD-3-Clause
# test_deb_install.sh - the Debian packages installed into a throwaway root: an overlay over / (changes land in
# a tmpfs; the machine's own files are never written) entered with chroot, inside this test's private mount
# and PID namespaces. Checks the files and directories, the responder's user, nsswitch.conf gaining tailnet
# before dns and losing it on remove, a hand-edited hosts line left alone, getent and doctor answering
# through the installed module (no LD_LIBRARY_PATH), and that purge leaves nothing behind: every file the
# overlay recorded afterwards is dpkg's or adduser's bookkeeping, and none of it names tailnet.
. "$TN_SRCDIR/tests/lib.sh"
. "$TN_SRCDIR/tests/lib_localapi.sh" # tn_wait_until
tn_enter_ns "$0" "$@"
if [ -n "${TN_SAN:-}" ]; then
	echo "skip: the packages are built from source by dpkg-buildpackage, not from this sanitizer build"
	exit 0
fi
DEBS="$TN_BUILD/deb"
if ! ls "$DEBS"/libnss-tailnet_*.deb "$DEBS"/tailnet-helper_*.deb >/dev/null 2>&1; then
	"$TN_SRCDIR/scripts/build-deb.sh" "$DEBS" >/dev/null || tn_fail "cannot build the packages"
fi
MA=$(gcc -print-multiarch)

# The throwaway root: / as the lower layer, a tmpfs for the changes.
mkdir -p "$TN_TMP/ovl" "$TN_TMP/root"
mount -t tmpfs -o mode=0755 tn-ovl "$TN_TMP/ovl" || tn_fail "tmpfs"
mkdir "$TN_TMP/ovl/upper" "$TN_TMP/ovl/work"
R="$TN_TMP/root"
UP="$TN_TMP/ovl/upper"
mount -t overlay tn-root -o "lowerdir=/,upperdir=$UP,workdir=$TN_TMP/ovl/work" "$R" || tn_fail "cannot mount an overlay over /"
# /dev is a tmpfs of its own with the few nodes dpkg and its scripts use, never the machine's /dev; and
# tn_cleanup unmounts all of it before it removes anything.
mount -t proc proc "$R/proc"
mount -t tmpfs -o mode=0755 tn-dev "$R/dev"
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
	set -- $n
	mknod -m 0666 "$R/dev/$1" c "$2" "$3" || tn_fail "mknod $1"
done
ln -s /proc/self/fd "$R/dev/fd"
mount -t tmpfs -o mode=0755 tn-run "$R/run"
mount -t tmpfs -o mode=1777 tn-tmp "$R/tmp"
in_root() { env -u LD_LIBRARY_PATH -u LD_PRELOAD chroot "$R" "$@"; }
cp "$DEBS"/libnss-tailnet_*.deb "$DEBS"/tailnet-helper_*.deb "$EXAMPLES/running.json" "$R/tmp/"
ORIG_HOSTS=$(grep '^hosts:' "$R/etc/nsswitch.conf")
[ -n "$ORIG_HOSTS" ] || tn_fail "the root has no hosts line"
in_root dpkg -s libnss-tailnet >/dev/null 2>&1 && tn_fail "libnss-tailnet is already installed on this machine"
[ -z "$(ls -A "$UP")" ] || tn_fail "the overlay is not empty before the install"

# --- install -----------------------------------------------------------------------------------------------
in_root sh -c 'DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/libnss-tailnet_*.deb /tmp/tailnet-helper_*.deb' \
	>"$TN_TMP/dpkg.log" 2>&1 || tn_fail "dpkg -i: $(cat "$TN_TMP/dpkg.log")"
tn_ok "dpkg -i libnss-tailnet tailnet-helper"
for f in /usr/lib/$MA/libnss_tailnet.so.2 /usr/bin/tailnet-helper /usr/share/man/man8/tailnet-helper.8.gz \
	/usr/share/man/man8/nss-tailnet.8.gz /usr/share/man/man8/libnss_tailnet.so.2.8.gz \
	/usr/share/bash-completion/completions/tailnet-helper /lib/systemd/system/tailnet-helper.service \
	/lib/systemd/system/tailnet-helper-up.service /lib/systemd/system/tailnet-helper-dns.service \
	/usr/share/doc/libnss-tailnet/copyright /usr/share/doc/tailnet-helper/copyright; do
	[ -e "$R$f" ] || tn_fail "the packages did not install $f"
done
tn_ok "the module in /usr/lib/$MA, the helper, three units, man pages, completion, copyright"
tn_assert_eq "$(stat -c '%U %a' "$R/var/cache/tailnet") $(stat -c '%U %a' "$R/var/lib/tailnet")" "root 755 root 700" \
	"/var/cache/tailnet (root 0755) and /var/lib/tailnet (root 0700)"
tn_assert_eq "$(in_root getent passwd tailnet-dns | cut -d: -f6,7)" "/nonexistent:/usr/sbin/nologin" \
	"the responder's system user tailnet-dns, no home, no shell"
[ -L "$R/etc/systemd/system/multi-user.target.wants/tailnet-helper.service" ] || tn_fail "tailnet-helper.service not enabled"
[ -e "$R/etc/systemd/system/multi-user.target.wants/tailnet-helper-up.service" ] &&
	tn_fail "tailnet-helper-up.service enabled without credentials"
tn_ok "tailnet-helper.service enabled; the up and dns units left to the administrator"
tn_assert_eq "$(grep '^hosts:' "$R/etc/nsswitch.conf")" "$(sed -E 's/(\s)(dns)(\s|$)/\1tailnet dns\3/' <<<"$ORIG_HOSTS")" \
	"nsswitch.conf gains tailnet before dns"
tn_assert_eq "$(in_root tailnet-helper --version | head -n 1)" "tailnet-helper $("$TN_SRCDIR/scripts/version.sh")" \
	"the installed helper's version"

# --- names through the installed module ---------------------------------------------------------------
in_root tailnet-helper sync --status-file /tmp/running.json || tn_fail "sync in the root"
tn_assert_eq "$(in_root getent hosts vault)" "fd7a:115c:a1e0::c601:2108 vault.magellanic-gondola.ts.net vault" \
	"getent hosts vault answers through the installed module"
tn_assert_eq "$(in_root getent ahostsv4 vault.magellanic-gondola.ts.net | head -n 1)" \
	"100.101.33.8    STREAM vault.magellanic-gondola.ts.net" "getaddrinfo too"
mkdir -p "$R/run/tailscale"
# The root's /tmp is a tmpfs of its own, which hides a checkout under /tmp: the doubles go into the root.
cp -r "$TN_SRCDIR/tests/doubles" "$R/tmp/doubles"
in_root python3 /tmp/doubles/localapi_double.py --socket /run/tailscale/tailscaled.sock \
	--state /tmp/running.json 2>"$TN_TMP/double.log" &
DOUBLE=$!
tn_wait_until 10 "the LocalAPI double in the root" test -S "$R/run/tailscale/tailscaled.sock"
in_root tailnet-helper watch --pidfile /var/lib/tailnet/watch.pid 2>"$TN_TMP/watch.log" &
WATCH=$!
tn_wait_until 10 "the watcher in the root" test -s "$R/var/lib/tailnet/watch.pid"
tn_expect_rc 0 "doctor in the root: exit 0" in_root tailnet-helper doctor
for c in nsswitch module cache watcher tailscaled lookup; do
	grep -qE "^ok +$c " <<<"$TN_OUT" || tn_fail "doctor in the root: $c is not ok: $TN_OUT"
done
tn_assert_contains "$(grep '^ok   module' <<<"$TN_OUT")" "/lib/$MA/libnss_tailnet.so.2 loads, with all 6 entry points" \
	"the module as glibc finds it (through ld.so.cache), without LD_LIBRARY_PATH"
kill "$DOUBLE" "$WATCH"
wait "$DOUBLE" "$WATCH" 2>/dev/null

# --- remove, reinstall, a hand-edited hosts line -----------------------------------------------------
in_root dpkg -r libnss-tailnet >"$TN_TMP/dpkg.log" 2>&1 || tn_fail "dpkg -r: $(cat "$TN_TMP/dpkg.log")"
tn_assert_eq "$(grep '^hosts:' "$R/etc/nsswitch.conf")" "$ORIG_HOSTS" "dpkg -r libnss-tailnet: tailnet leaves nsswitch.conf"
[ -e "$R/usr/lib/$MA/libnss_tailnet.so.2" ] && tn_fail "the module stays after remove"
in_root sh -c 'dpkg -i /tmp/libnss-tailnet_*.deb' >"$TN_TMP/dpkg.log" 2>&1 || tn_fail "reinstall: $(cat "$TN_TMP/dpkg.log")"
tn_assert_contains "$(grep '^hosts:' "$R/etc/nsswitch.conf")" " tailnet dns" "reinstalled after remove: tailnet is back"
sed -i 's/^hosts:.*/hosts: files mdns4_minimal [NOTFOUND=return] tailnet [NOTFOUND=return] dns # mine/' "$R/etc/nsswitch.conf"
in_root sh -c 'dpkg -i /tmp/libnss-tailnet_*.deb' >"$TN_TMP/dpkg.log" 2>&1 || tn_fail "upgrade: $(cat "$TN_TMP/dpkg.log")"
tn_assert_eq "$(grep '^hosts:' "$R/etc/nsswitch.conf")" \
	"hosts: files mdns4_minimal [NOTFOUND=return] tailnet [NOTFOUND=return] dns # mine" \
	"reinstalling over a hand-edited line that names tailnet leaves it alone"
in_root dpkg -r libnss-tailnet >/dev/null 2>&1 || tn_fail "dpkg -r"
tn_assert_eq "$(grep '^hosts:' "$R/etc/nsswitch.conf")" "hosts: files mdns4_minimal [NOTFOUND=return] dns # mine" \
	"remove takes tailnet and its action out of a hand-edited line, and keeps the rest"
sed -i "s/^hosts:.*/$ORIG_HOSTS/" "$R/etc/nsswitch.conf"
in_root sh -c 'dpkg -i /tmp/libnss-tailnet_*.deb' >/dev/null 2>&1 || tn_fail "install again"

# --- purge leaves nothing behind -------------------------------------------------------------------------
in_root dpkg --purge libnss-tailnet tailnet-helper >"$TN_TMP/dpkg.log" 2>&1 || tn_fail "dpkg --purge: $(cat "$TN_TMP/dpkg.log")"
tn_ok "dpkg --purge libnss-tailnet tailnet-helper"
tn_assert_eq "$(grep '^hosts:' "$R/etc/nsswitch.conf")" "$ORIG_HOSTS" "nsswitch.conf's hosts line as before"
# What the overlay recorded: bookkeeping of dpkg, adduser, ldconfig, debconf and man-db only, none naming
# tailnet.
left=$(cd "$UP" && find . ! -type d | sed 's|^\./||' | grep -vE '^(var/lib/dpkg/|var/log/|var/cache/debconf/|var/cache/ldconfig/|var/cache/man/|etc/\.pwd\.lock$|etc/ld\.so\.cache$|etc/(passwd|group|shadow|gshadow|subuid|subgid)-?$|etc/nsswitch\.conf$|var/lib/systemd/deb-systemd-helper-)')
tn_assert_eq "$left" "" "purge leaves no file but the package manager's bookkeeping"
named=$(cd "$UP" && grep -rlI tailnet . 2>/dev/null | grep -vE '^\./(var/log/|etc/[a-z]+-$|var/lib/dpkg/[a-z]+-old$)' || true)
tn_assert_eq "$named" "" "and nothing names tailnet any more (logs and the tools' previous-version backups aside)"
for d in var/cache/tailnet var/lib/tailnet; do
	[ -e "$R/$d" ] && tn_fail "/$d is still there after purge"
done
tn_ok "/var/cache/tailnet and /var/lib/tailnet are gone"
in_root getent passwd tailnet-dns >/dev/null && tn_fail "the user tailnet-dns is still there after purge"
tn_ok "and so is the user tailnet-dns"
echo "test_deb_install: all passed"
