# SPDX-License-Identifier: BSD-3-Clause
# test_man.sh - the manual pages: tailnet-helper(8) and nss-tailnet(8) render without a single warning
# (groff -ww, and man -l as a user reads them), and tailnet-helper(8) documents every command and every
# option that the commands' own --help lists, so the page cannot fall behind the code. (lintian's manual
# page checks run on the package, in make check.)
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
PAGE="$TN_SRCDIR/man/tailnet-helper.8"
command -v groff >/dev/null || tn_fail "groff is not installed (make deps)"

for p in "$TN_SRCDIR"/man/*.8; do
	out=$(groff -ww -man -z "$p" 2>&1)
	tn_assert_eq "$out" "" "groff -ww -man: $(basename "$p") without warnings"
	out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=w -l "$p" 2>&1 >"$TN_TMP/page.txt")
	tn_assert_eq "$out" "" "man -l: $(basename "$p") without warnings"
	[ "$(wc -l <"$TN_TMP/page.txt")" -gt 40 ] || tn_fail "$(basename "$p") renders to almost nothing"
	tn_assert_contains "$(head -n 1 "$TN_TMP/page.txt")" "(8)" "$(basename "$p"): section 8"
done

# Every command in `tailnet-helper --help`, and every long option in each command's --help.
rendered=$(MANWIDTH=200 man -l "$PAGE" 2>/dev/null)
commands=$("$HELPER" --help | sed -n 's/^  \([a-z-]*\) .*/\1/p')
[ "$(wc -w <<<"$commands")" -ge 12 ] || tn_fail "too few commands in --help: $commands"
for c in $commands; do
	grep -qE "^   $c( |$)" <<<"$rendered" || tn_fail "tailnet-helper(8) has no section for the command $c"
	for o in $("$HELPER" "$c" --help | grep -oE -- '--[a-z0-9-]+' | sort -u); do
		grep -qF -- "$o" <<<"$rendered" || tn_fail "tailnet-helper(8) does not document $c $o"
	done
done
tn_ok "tailnet-helper(8) documents every command and every option their --help lists"
for code in 0 1 2 3 4 5 6; do
	grep -qE "^       $code +[a-z]" <<<"$rendered" || tn_fail "tailnet-helper(8) does not list exit status $code"
done
tn_ok "and every exit status"
for v in TAILSCALE_SOCKET TAILNET_NSS_CACHE TAILNET_HELPER_CONFIG TAILNET_API_URL TN_LOG_TIMESTAMPS NOTIFY_SOCKET; do
	grep -qF "$v" <<<"$rendered" || tn_fail "tailnet-helper(8) does not document $v"
done
tn_ok "and the environment"
nss=$(MANWIDTH=200 man -l "$TN_SRCDIR/man/nss-tailnet.8" 2>/dev/null)
for s in "hosts: files tailnet dns" "[NOTFOUND=return]" "NOTFOUND" "UNAVAIL" "owned by root" "valid-until" "TAILNET_NSS_CACHE" "nscd"; do
	grep -qF -- "$s" <<<"$nss" || tn_fail "nss-tailnet(8) does not mention $s"
done
tn_ok "nss-tailnet(8): what the module answers, the cache rules, the nsswitch.conf lines"
