# SPDX-License-Identifier: BSD-3-Clause
# test_cli.sh - what every command says when its command line is wrong, the version, and the priority of a
# fatal error under journald: a usage error is one line on stderr with the reason and "Try 'tailnet-helper
# COMMAND --help'.", nothing on stdout, exit 2.
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
VERSION=$("$TN_SRCDIR/scripts/version.sh")

# usage_error WANT-REASON ARGS...: the command fails with exit 2, one line on stderr naming the reason and
# the hint for its command, nothing on stdout.
usage_error() {
	local reason=$1 cmd=$2 out err rc
	shift
	out=$("$HELPER" "$@" 2>"$TN_TMP/err")
	rc=$?
	err=$(cat "$TN_TMP/err")
	[ "$rc" = 2 ] || tn_fail "$*: exit $rc, expected 2 ($err)"
	[ -z "$out" ] || tn_fail "$*: printed on stdout: $out"
	[ "$(wc -l <"$TN_TMP/err")" = 1 ] || tn_fail "$*: not one line: $err"
	tn_assert_eq "$err" "tailnet-helper $cmd: $reason. Try 'tailnet-helper $cmd --help'." "$*"
}

for cmd in up down sync watch hosts dns resolv-conf ssh-config mint-key version; do
	usage_error "unknown option '--bogus'" $cmd --bogus
	usage_error "unknown option '-Z'" $cmd -Z
	usage_error "option '--quiet' takes no value" $cmd --quiet=1
	tn_expect_rc 0 "$cmd --help" "$HELPER" $cmd --help
	tn_assert_contains "$TN_OUT" "usage: tailnet-helper $cmd" "$cmd --help prints its usage"
done
for cmd in up down sync watch hosts dns resolv-conf ssh-config mint-key; do
	usage_error "unexpected argument 'extra'" $cmd extra
done
usage_error "option '--cache' needs a value" sync --cache
usage_error "ambiguous option '--s'" sync --s
usage_error "--socket and --status-file exclude each other" sync --socket /x --status-file -
usage_error "--max-age wants whole seconds from 1 to 316224000" sync --max-age 0
usage_error "--timeout wants seconds above 0, at most 3600" sync --timeout -1
usage_error "--poll wants seconds above 0, at most 86400" watch --poll 0
usage_error "--cache wants an absolute path" watch --cache relative
usage_error "--mode wants auto, tun or userspace" up --mode fast
usage_error "--timeout wants whole seconds from 1 to 3600" up --timeout 0
usage_error "--cache and --resolv-conf want absolute paths" up --cache x
usage_error "--timeout wants whole seconds from 1 to 600" down --timeout 601
usage_error "give --apply or --revert" resolv-conf
usage_error "--apply and --revert exclude each other" resolv-conf --apply --revert
usage_error "--nameserver 1.2.3.4:53: want an IPv4 or IPv6 address (no port)" resolv-conf --apply --nameserver 1.2.3.4:53
usage_error "--listen 127.0.0.1:99999: bad address or port" dns --listen 127.0.0.1:99999
usage_error "--expiry must be a whole number from 1 to 7776000" mint-key --expiry 0

tn_expect_rc 2 "no command" "$HELPER"
tn_assert_eq "$TN_OUT" "tailnet-helper: no command given. Try 'tailnet-helper --help'." "no command: one line"
tn_expect_rc 2 "unknown command" "$HELPER" frobnicate
tn_assert_eq "$TN_OUT" "tailnet-helper: unknown command 'frobnicate'. Try 'tailnet-helper --help'." \
	"unknown command: one line"

# The version, from debian/changelog, wherever it is printed.
tn_expect_rc 0 "--version" "$HELPER" --version
tn_assert_eq "$(head -n 1 <<<"$TN_OUT")" "tailnet-helper $VERSION" "--version's first line"
tn_assert_eq "$("$HELPER" version)" "$TN_OUT" "version says the same as --version"
tn_assert_contains "$TN_OUT" "cache /var/cache/tailnet/hosts.cache" "version names the build's cache path"
tn_sync_example running
tn_assert_contains "$("$HELPER" hosts | head -n 1)" "(tailnet-helper $VERSION)" "the header of hosts"

# Under journald (JOURNAL_STREAM names stderr) the fatal line carries <3>, so journalctl -p err shows it;
# elsewhere no prefix.
journal_stderr() {
	local f=$TN_TMP/journal.err
	: >"$f"
	JOURNAL_STREAM="$(stat -c '%d:%i' "$f")" "$@" 2>>"$f"
	cat "$f"
}
tn_assert_eq "$(journal_stderr "$HELPER" sync --socket "$TN_TMP/none.sock")" \
	"<3>tailnet-helper sync: no tailscaled socket at $TN_TMP/none.sock: No such file or directory (is tailscaled running?)" \
	"a fatal error under journald is <3>"
tn_assert_eq "$(journal_stderr "$HELPER" sync --bogus)" \
	"<3>tailnet-helper sync: unknown option '--bogus'. Try 'tailnet-helper sync --help'." \
	"so is a usage error"
"$HELPER" sync --socket "$TN_TMP/none.sock" 2>"$TN_TMP/plain.err"
tn_assert_eq "$(head -c 15 "$TN_TMP/plain.err")" "tailnet-helper " "without journald, no priority prefix"
