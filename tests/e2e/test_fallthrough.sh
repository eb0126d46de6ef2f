# SPDX-License-Identifier: BSD-3-Clause
# test_fallthrough.sh - a cache the module must not trust (missing, foreign-owned, group/world-writable,
# truncated, corrupt, foreign format, symlinked, a FIFO, expired, in an unsafe directory) makes it answer
# UNAVAIL, so glibc moves on to `dns` on every path (gethostbyname2, getaddrinfo 3_r and 4_r, Python) and
# never reports EAI_SYSTEM. `tailnet-helper hosts` names the reason. Each case starts from a good cache.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
PROBE="$TN_BUILD/tests/resolve_probe"
S=magellanic-gondola.ts.net
DIR=/var/cache/tailnet

tn_dns_start --answer vault.$S=192.0.2.99 --answer vault=192.0.2.98

good() {
	rm -rf "$DIR"
	tn_sync_example running
	tn_assert_eq "$(getent hosts vault.$S)" "fd7a:115c:a1e0::c601:2108 vault.$S" "good cache answers"
}

# falls_through CASE [REASON]: the module refuses, DNS answers, on every glibc path.
falls_through() {
	tn_assert_eq "$(timeout 5 env "${TN_MODULE_ENV[@]}" getent hosts vault.$S)" "192.0.2.99      vault.$S" "$1: getent falls through to DNS"
	tn_assert_eq "$(timeout 5 "$PROBE" gai vault.$S inet)" "192.0.2.99" "$1: getaddrinfo AF_INET (3_r/2_r path)"
	tn_assert_eq "$(timeout 5 "$PROBE" gai vault.$S unspec)" "192.0.2.99" "$1: getaddrinfo AF_UNSPEC (4_r path)"
	tn_assert_eq "$(timeout 5 "$PROBE" gai vault inet)" "192.0.2.98" "$1: bare name falls through too"
	tn_assert_eq "$(timeout 5 env "${TN_MODULE_ENV[@]}" python3 -c 'import socket; print(socket.gethostbyname("vault.'$S'"))')" "192.0.2.99" \
		"$1: Python"
	if [ $# -gt 1 ]; then
		tn_expect_rc 1 "$1: tailnet-helper hosts refuses it" "$HELPER" hosts
		tn_assert_contains "$TN_OUT" "$2" "$1: and says why"
	fi
}

good
rm "$DIR/hosts.cache"
falls_through "missing cache" "does not exist"

good
chown 65534:65534 "$DIR/hosts.cache"
falls_through "cache owned by nobody" "not owned by root"

good
chmod 0664 "$DIR/hosts.cache"
falls_through "group-writable cache" "writable by group or others"

good
chmod 0646 "$DIR/hosts.cache"
falls_through "world-writable cache" "writable by group or others"

good
truncate -s 300 "$DIR/hosts.cache"
falls_through "truncated cache" "truncated"

good
printf '\x5a' | dd of="$DIR/hosts.cache" bs=1 seek=700 conv=notrunc status=none
falls_through "one corrupt byte" "checksum"

good
size=$(stat -c %s "$DIR/hosts.cache")
head -c "$size" /dev/urandom >"$DIR/hosts.cache"
falls_through "random bytes" "bad magic"

good
mv "$DIR/hosts.cache" "$DIR/real.cache"
ln -s "$DIR/real.cache" "$DIR/hosts.cache"
falls_through "symlinked cache" "symbolic link"

good
rm "$DIR/hosts.cache"
mkfifo -m 0644 "$DIR/hosts.cache"
falls_through "a FIFO instead of a file (no hang)" "not a regular file"

good
chmod 0777 "$DIR"
falls_through "world-writable cache directory" "directory is writable"
chmod 0755 "$DIR"

good
"$HELPER" sync --status-file "$EXAMPLES/running.json" --max-age 1 || tn_fail "sync --max-age 1"
sleep 2.1
falls_through "expired cache (valid-until passed)" "expired"

good
tn_assert_eq "$(getent hosts vault)" "fd7a:115c:a1e0::c601:2108 vault.$S vault" "and a good cache answers again"
