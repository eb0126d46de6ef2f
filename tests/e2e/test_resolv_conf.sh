# SPDX-License-Identifier: BSD-3-Clause
# test_resolv_conf.sh - `tailnet-helper resolv-conf --apply / --revert`: the responder first, the suffix
# searched, idempotent, and the original back byte for byte - on regular files, on a bind-mounted file (as
# Docker's /etc/resolv.conf, which cannot be replaced by rename), and on the namespace's own
# /etc/resolv.conf, which glibc's DNS resolver then really uses.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
S=magellanic-gondola.ts.net
RC=(command "$HELPER" resolv-conf)
F="$TN_TMP/resolv.conf"

# roundtrip WHAT CONTENT: apply twice and revert on a regular file; the result must be the original exactly.
roundtrip() {
	local what=$1
	printf '%b' "$2" >"$F"
	cp -p "$F" "$TN_TMP/orig"
	tn_expect_rc 0 "$what: apply" "${RC[@]}" --apply --file "$F" --search "$S"
	tn_assert_eq "$(sed -n 2p "$F")" "nameserver 127.100.100.100" "$what: the responder first"
	tn_assert_contains "$(grep '^search' "$F")" "search $S" "$what: the suffix first in search"
	cmp -s "$F.tailnet-backup" "$TN_TMP/orig" || tn_fail "$what: the backup is not the original"
	local applied
	applied=$(md5sum <"$F")
	tn_expect_rc 0 "$what: apply again" "${RC[@]}" --apply --file "$F" --search "$S"
	tn_assert_contains "$TN_OUT" "nothing to do" "$what: the second apply changes nothing"
	tn_assert_eq "$(md5sum <"$F")" "$applied" "$what: same bytes after the second apply"
	tn_expect_rc 0 "$what: revert" "${RC[@]}" --revert --file "$F"
	cmp "$F" "$TN_TMP/orig" || tn_fail "$what: not byte-identical after revert"
	tn_ok "$what: byte-identical after revert"
	[ ! -e "$F.tailnet-backup" ] || tn_fail "$what: the backup is left behind"
	tn_expect_rc 0 "$what: revert again" "${RC[@]}" --revert --file "$F"
	tn_assert_contains "$TN_OUT" "nothing to revert" "$what: a second revert has nothing to do"
	cmp -s "$F" "$TN_TMP/orig" || tn_fail "$what: the second revert changed the file"
}

roundtrip "Docker's default" 'nameserver 127.0.0.11\noptions ndots:0\n'
roundtrip "search and domain, no final newline" '# dhcp\ndomain corp.example\nsearch a.example b.example\nnameserver 10.0.0.2'
roundtrip "CRLF and tabs" 'nameserver\t10.0.0.1\r\nsearch\tcorp.example\r\n'
roundtrip "empty file" ''
roundtrip "three nameservers" 'nameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions rotate\n'
tn_expect_rc 0 "three nameservers: apply" "${RC[@]}" --apply --file "$F" --search "$S"
tn_assert_contains "$TN_OUT" "1 nameserver line(s) commented out" "three nameservers: the third is set aside, with a warning"
tn_assert_contains "$TN_OUT" "'options rotate' is set" "and rotate is warned about"
tn_assert_eq "$(grep -c '^nameserver' "$F")" "3" "three nameservers: glibc still sees three"
tn_assert_contains "$(cat "$F")" \
	"# tailnet-helper: unused while the responder is first (resolvers use at most 3 nameservers): nameserver 10.0.0.3" \
	"three nameservers: the third kept as a comment"
"${RC[@]}" --revert --file "$F" 2>/dev/null || tn_fail "revert"
tn_assert_eq "$(grep -c '^nameserver' "$F")" "3" "three nameservers: all three back"

# Mode, owner and inode stay: the file is rewritten in place.
printf 'nameserver 10.0.0.2\n' >"$F"
chmod 0640 "$F"
chown 65534:0 "$F"
before=$(stat -c '%i %a %u' "$F")
"${RC[@]}" --apply --file "$F" --search "$S" 2>/dev/null || tn_fail "apply"
tn_assert_eq "$(stat -c '%i %a %u' "$F")" "$before" "apply keeps inode, mode and owner"
"${RC[@]}" --revert --file "$F" 2>/dev/null || tn_fail "revert"
tn_assert_eq "$(stat -c '%i %a %u' "$F")" "$before" "revert keeps inode, mode and owner"

# A bind-mounted file, as Docker's /etc/resolv.conf: a rename cannot replace it, an in-place write can.
printf 'nameserver 10.0.0.2\nsearch corp.example\n' >"$TN_TMP/host-side"
cp "$TN_TMP/host-side" "$TN_TMP/host-orig"
mkdir -p "$TN_TMP/container/etc"
touch "$TN_TMP/container/etc/resolv.conf"
mount --bind "$TN_TMP/host-side" "$TN_TMP/container/etc/resolv.conf" || tn_fail "bind mount"
B="$TN_TMP/container/etc/resolv.conf"
echo x >"$TN_TMP/container/etc/new"
tn_expect_rc 1 "a rename onto a bind-mounted file fails (why apply writes in place)" mv "$TN_TMP/container/etc/new" "$B"
tn_assert_contains "$TN_OUT" "busy" "EBUSY"
tn_expect_rc 0 "bind mount: apply" "${RC[@]}" --apply --file "$B" --search "$S"
tn_assert_contains "$(cat "$TN_TMP/host-side")" "nameserver 127.100.100.100" "bind mount: the mounted file itself changed"
tn_assert_contains "$(findmnt -n -o TARGET "$B")" "$B" "bind mount: still mounted"
tn_expect_rc 0 "bind mount: revert" "${RC[@]}" --revert --file "$B"
cmp "$TN_TMP/host-side" "$TN_TMP/host-orig" || tn_fail "bind mount: not byte-identical after revert"
tn_ok "bind mount: byte-identical after revert"
umount "$B"

# The suffix comes from the cache when --search is not given.
printf 'nameserver 10.0.0.2\n' >"$F"
tn_expect_rc 1 "no cache and no --search" "${RC[@]}" --apply --file "$F"
tn_assert_contains "$TN_OUT" "no --search given and the cache /var/cache/tailnet/hosts.cache is unusable" "says why"
tn_assert_eq "$(cat "$F")" "nameserver 10.0.0.2" "and leaves the file alone"
tn_sync_example running
tn_expect_rc 0 "suffix from the cache" "${RC[@]}" --apply --file "$F"
tn_assert_eq "$(grep '^search' "$F")" "search $S" "search line from the cache's suffix"
# Applying with another suffix or nameserver starts again from the original, not from the applied file.
tn_expect_rc 0 "apply with another suffix and nameserver" "${RC[@]}" --apply --file "$F" --search other.example --nameserver ::1
tn_assert_eq "$(grep -v '^#' "$F")" "nameserver ::1
search other.example
nameserver 10.0.0.2" "re-derived from the original"
"${RC[@]}" --revert --file "$F" 2>/dev/null || tn_fail "revert"
tn_assert_eq "$(cat "$F")" "nameserver 10.0.0.2" "back to the original"

# Someone else rewrote the file after apply (dhclient, NetworkManager): revert leaves their file alone, and
# the next apply takes it as the new original.
"${RC[@]}" --apply --file "$F" 2>/dev/null || tn_fail "apply"
printf 'nameserver 10.9.9.9\n' >"$F"
tn_expect_rc 0 "revert after someone else rewrote the file" "${RC[@]}" --revert --file "$F"
tn_assert_eq "$(cat "$F")" "nameserver 10.9.9.9" "their file stays"
"${RC[@]}" --apply --file "$F" 2>/dev/null || tn_fail "apply"
tn_assert_eq "$(cat "$F.tailnet-backup")" "nameserver 10.9.9.9" "the next apply saved their file as the original"
"${RC[@]}" --revert --file "$F" 2>/dev/null || tn_fail "revert"
# The marker without its backup: revert refuses to guess.
"${RC[@]}" --apply --file "$F" 2>/dev/null || tn_fail "apply"
rm "$F.tailnet-backup"
applied=$(cat "$F")
tn_expect_rc 1 "revert without the backup" "${RC[@]}" --revert --file "$F"
tn_assert_contains "$TN_OUT" "cannot be opened" "says the original is gone"
tn_assert_eq "$(cat "$F")" "$applied" "and changes nothing"
# --backup elsewhere.
printf 'nameserver 10.0.0.2\n' >"$F"
tn_expect_rc 0 "--backup PATH" "${RC[@]}" --apply --file "$F" --backup "$TN_TMP/saved" --search "$S"
tn_assert_eq "$(cat "$TN_TMP/saved")" "nameserver 10.0.0.2" "the original is kept where asked"
tn_expect_rc 0 "--backup PATH: revert" "${RC[@]}" --revert --file "$F" --backup "$TN_TMP/saved"
tn_assert_eq "$(cat "$F")" "nameserver 10.0.0.2" "and restored from there"

# Refusals.
ln -s "$F" "$TN_TMP/link.conf"
tn_expect_rc 1 "a symbolic link (systemd-resolved's stub file) is refused" "${RC[@]}" --apply --file "$TN_TMP/link.conf"
tn_assert_contains "$TN_OUT" "symbolic link" "and says why"
tn_expect_rc 1 "a missing file" "${RC[@]}" --apply --file "$TN_TMP/none" --search "$S"
tn_expect_rc 2 "--nameserver wants an address" "${RC[@]}" --apply --file "$F" --nameserver 127.0.0.1:53
tn_expect_rc 2 "--search wants a domain" "${RC[@]}" --apply --file "$F" --search 'a b'
tn_expect_rc 2 "--apply or --revert" "${RC[@]}" --file "$F"
tn_expect_rc 2 "not both" "${RC[@]}" --apply --revert --file "$F"

# The namespace's own /etc/resolv.conf (bind-mounted, like a container's), and glibc's DNS resolver using it:
# with `hosts: files dns` (no module), `vault` resolves through the responder and the search line.
"$HELPER" dns 2>"$TN_TMP/dns.log" &
for _ in $(seq 100); do
	dig +tries=1 +time=1 @127.100.100.100 vault >/dev/null 2>&1 && break
	sleep 0.05
done
printf 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' >"$TN_TMP/etc/resolv.conf"
cp "$TN_TMP/etc/resolv.conf" "$TN_TMP/etc-orig"
tn_expect_rc 2 "before apply, glibc's DNS does not know vault" getent -s hosts:dns hosts vault
tn_expect_rc 0 "apply to /etc/resolv.conf (the default --file)" "${RC[@]}" --apply
tn_assert_eq "$(getent -s hosts:dns ahostsv4 vault | head -n1)" "100.101.33.8    STREAM vault.$S" \
	"glibc's DNS resolver: vault through the search line and the responder"
tn_assert_eq "$(getent -s hosts:dns hosts 100.101.33.8)" "100.101.33.8    vault.$S" "and the PTR"
tn_expect_rc 0 "revert /etc/resolv.conf" "${RC[@]}" --revert
cmp /etc/resolv.conf "$TN_TMP/etc-orig" || tn_fail "/etc/resolv.conf not byte-identical after revert"
tn_ok "/etc/resolv.conf byte-identical after revert"

# Never empty: resolvers read resolv.conf at any moment without a lock. Two processes read it in a loop while
# apply and revert take turns; every read must be the original, the applied file, or one of them followed by
# blank lines only (the padding written before the file is cut to size) - never nothing, never a mix.
printf 'nameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch corp.example\noptions timeout:1\n' >"$F"
cp "$F" "$TN_TMP/race-a"
"${RC[@]}" --apply --quiet --file "$F" --search "$S" || tn_fail "apply"
cp "$F" "$TN_TMP/race-b"
"${RC[@]}" --revert --quiet --file "$F" || tn_fail "revert"
"$TN_BUILD/tests/read_race" "$F" 4 "$TN_TMP/race-a" "$TN_TMP/race-b" 2 >"$TN_TMP/race.out" 2>"$TN_TMP/race.err" &
RACE=$!
cycles=0
while kill -0 "$RACE" 2>/dev/null; do
	"${RC[@]}" --apply --quiet --file "$F" --search "$S" && "${RC[@]}" --revert --quiet --file "$F" || tn_fail "apply/revert"
	cycles=$((cycles + 1))
done
wait "$RACE"
counts=$(cat "$TN_TMP/race.out")
echo "$cycles apply/revert cycles against concurrent readers: $counts"
read -r _ reads _ empty _ a _ b _ padded _ other <<<"$counts"
[ "$cycles" -ge 5 ] && [ "$a" -gt 0 ] && [ "$b" -gt 0 ] || tn_fail "no race happened ($cycles cycles, $counts)"
tn_assert_eq "$empty $other" "0 0" "$reads concurrent reads during $cycles apply/revert cycles: none empty, none mixed ($padded padded)"
cmp "$F" "$TN_TMP/race-a" || tn_fail "not the original after the last revert"
