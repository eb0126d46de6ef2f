# SPDX-License-Identifier: BSD-3-Clause
# test_inplace.sh - the cache written over in place while processes resolve through it: `cp` over it, `cat >`
# into it, `truncate` (an admin or a config-management tool will do these, root only). Four processes look
# up names in a loop, each its own getaddrinfo loop through the real module, while the file is rewritten in
# place hundreds of times: none may die (a module that maps the file would take SIGBUS here), and once the
# writes stop they all answer again. Then a superseded cache put back by hand (ln; sync; mv) is an ordinary
# file to the module: a loop of lookups does not open it again and again (counted with strace).
. "$TN_SRCDIR/tests/lib.sh"
tn_enter_ns "$0" "$@"
PROBE="$TN_BUILD/tests/resolve_probe"
S=magellanic-gondola.ts.net
DIR=/var/cache/tailnet

# Two tailnets large enough that lookups fetch pages after the file was opened (20,000 peers, about 3 MB).
command python3 "$TN_SRCDIR/tests/tools/gen_status.py" 20000 >"$TN_TMP/a.json" || tn_fail "generate a"
command python3 "$TN_SRCDIR/tests/tools/gen_status.py" 20000 --seed 7 >"$TN_TMP/b.json" || tn_fail "generate b"
"$HELPER" sync --status-file "$TN_TMP/b.json" --cache "$TN_TMP/b.cache" || tn_fail "sync b"
"$HELPER" sync --status-file "$TN_TMP/a.json" || tn_fail "sync a"
cp "$DIR/hosts.cache" "$TN_TMP/a.cache"
names=$("$HELPER" hosts | awk '!/^#/ && $2 ~ /^vault|^web|^db/ {print $2}' | head -n 4)
[ "$(echo "$names" | wc -l)" = 4 ] || tn_fail "four names to look up: got [$names]"

pids=()
i=0
for name in $names; do
	"$PROBE" loop "$name" 6000 >"$TN_TMP/loop-$i.out" 2>&1 &
	pids+=($!)
	i=$((i + 1))
done
sleep 0.5
writes=0
end=$((SECONDS + 4))
while [ $SECONDS -lt $end ]; do
	cp "$TN_TMP/b.cache" "$DIR/hosts.cache"      # same inode, truncated, then written
	cat "$TN_TMP/a.cache" >"$DIR/hosts.cache"    # the same with the shell
	truncate -s 4096 "$DIR/hosts.cache"          # shrunk under the readers
	truncate -s 0 "$DIR/hosts.cache"
	cp "$TN_TMP/a.cache" "$DIR/hosts.cache"
	writes=$((writes + 5))
done
i=0
for pid in "${pids[@]}"; do
	wait "$pid"
	rc=$?
	[ "$rc" = 0 ] || tn_fail "lookup loop $i died with exit $rc ($( [ $rc -gt 128 ] && kill -l $((rc - 128)))) after $writes in-place writes"
	read -r _ answered _ unanswered <"$TN_TMP/loop-$i.out"
	[ "$answered" -gt 100 ] || tn_fail "lookup loop $i answered only $answered times"
	i=$((i + 1))
done
tn_ok "4 lookup loops lived through $writes in-place writes of the cache ($(cat "$TN_TMP"/loop-*.out | tr '\n' ' '))"

# After the storm, the file is whole again and every process that opens it, or keeps looking, answers.
first=$(echo "$names" | head -n 1)
"$PROBE" loop "$first" 200 >"$TN_TMP/after.out"
read -r _ answered _ unanswered <"$TN_TMP/after.out"
[ "$answered" -gt 0 ] && [ "$unanswered" = 0 ] || tn_fail "after the writes: $(cat "$TN_TMP/after.out")"
tn_ok "answers again once the file is whole"

# A superseded cache put back by hand: ln cache keep; sync; mv keep cache. The module knows files by their
# identity, not by anything written into them, so the old file is just another file: a loop of lookups opens
# it once, plus once for each page it fetches (and looks at the path every few milliseconds), never once per
# lookup.
ln "$DIR/hosts.cache" "$DIR/keep"
"$HELPER" sync --status-file "$TN_TMP/b.json" || tn_fail "sync b"
mv "$DIR/keep" "$DIR/hosts.cache"
# (LeakSanitizer cannot run under ptrace: sanitizer builds leave leak checks to the other tests here.)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" command strace -f -qq -e trace=openat \
	-o "$TN_TMP/strace.out" "$PROBE" loop "$first" 500 >"$TN_TMP/put-back.out" || tn_fail "strace the loop"
read -r _ answered _ unanswered <"$TN_TMP/put-back.out"
opens=$(grep -c 'hosts.cache' "$TN_TMP/strace.out")
[ "$answered" -gt 500 ] || tn_fail "put back: only $answered answers"
[ "$opens" -le 20 ] || tn_fail "put back: $opens opens of the cache for $answered lookups"
tn_ok "a superseded cache put back: $answered lookups, $opens opens of the file"
