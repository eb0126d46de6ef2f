#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_watch_incremental.sh - the watcher's incremental path against each version's bus (the LocalAPI double as
# tailscale v1.100.0, v1.102.3 and HEAD, and v1.98 for the fallback), names checked through real glibc:
# - the first cache comes from InitialStatus (no status read), adds, renames and removals from PeersChanged /
#   PeersRemoved;
# - an online/last-seen storm changes nothing: no status read, no rewrite (same file, same generation), and
#   the test fails if either happens; on 1.98 the same storm arrives as PeerChanges and costs nothing either;
# - a full netmap (a DNS change: MagicDNS off, ExtraRecords) re-reads status?peers=false and rewrites once;
# - the dns-subdomain-resolve cap from a full netmap and from a CapMap patch; a patch with a member the watcher
#   does not know makes it subscribe anew;
# - 1.102+ closing a lagging watch, and a daemon restart (NoState, Starting, a full netmap, Running): names
#   keep resolving, what changed meanwhile arrives;
# - a daemon without InitialStatus (1.98): the whole status after each change, as before.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"

SUFFIX=magellanic-gondola.ts.net
STATE="$TN_TMP/state.json"

# storm_changes_nothing WHAT: 300 online/last-seen flips: the cache file, its generation, the number of status
# reads and of InitialStatus documents (a new subscription costs one) must all stay as they are.
storm_changes_nothing() {
	local gen inode reads initial
	gen=$(tn_generation) inode=$(stat -c %i "$TN_CACHE") reads=$(tn_info_field status_reads)
	initial=$(tn_info_field initial_status)
	# 1 ms apart: the double's writer thread must keep up with its producer, or its 128-line queue overflows
	# and a 1.102+ daemon closes the watch (that is tested on its own, with fell-behind)
	tn_ctl "online?count=300&interval_ms=1" >/dev/null || tn_fail "$1: the storm"
	sleep 0.7
	tn_assert_eq "$(tn_generation) $(stat -c %i "$TN_CACHE")" "$gen $inode" "$1: 300 online flips rewrote nothing"
	tn_assert_eq "$(tn_info_field status_reads) $(tn_info_field initial_status)" "$reads $initial" \
		"$1: 300 online flips read no status"
}

for version in 1.100.0 1.102.3 1.103.0; do
	echo "== tailscaled $version"
	cp "$EXAMPLES/running.json" "$STATE"
	rm -f "$TN_CACHE"
	tn_localapi_start "$STATE" "$TN_TMP/tailscaled.sock" --version "$version"
	TN_WATCH_LOG="$TN_TMP/watch-$version.log"
	tn_watch_start --verbose --poll 3600
	tn_wait_until 10 "$version: the first cache" tn_resolves vault
	tn_wait_until 5 "$version: the stream" tn_watchers 1
	tn_assert_eq "$(tn_info_field status_reads)" 0 "$version: the first cache came from InitialStatus"
	tn_assert_contains "$(cat "$TN_WATCH_LOG")" "following tailscaled's changes on the bus" "$version: the incremental path"

	ms=$(tn_change_latency "inc-new.$SUFFIX" present "add-peer?name=inc-new")
	tn_assert_fast "$version: PeersChanged adds a peer" "$ms"
	ms=$(tn_change_latency "inc-renamed.$SUFFIX" present "rename-peer?name=inc-new&to=inc-renamed")
	tn_assert_fast "$version: PeersChanged renames it" "$ms"
	tn_wait_until 2 "$version: the old name gone" tn_unresolved "inc-new.$SUFFIX"
	ms=$(tn_change_latency "inc-renamed.$SUFFIX" absent "remove-peer?name=inc-renamed")
	tn_assert_fast "$version: PeersRemoved removes it" "$ms"

	storm_changes_nothing "$version"

	# A DNS change is a full netmap: SelfChange + every peer; the settings come from status?peers=false.
	gen=$(tn_generation)
	tn_ctl "dns?magicdns=0" >/dev/null
	tn_wait_until 2 "$version: bare names gone with MagicDNS off" tn_unresolved vault
	tn_resolves "vault.$SUFFIX" || tn_fail "$version: the FQDN went with MagicDNS"
	tn_assert_eq "$(tn_generation)" $((gen + 1)) "$version: one rewrite for the full netmap"
	tn_assert_eq "$(tn_info_field status_reads)" 0 "$version: still no full status read"
	tn_ctl "dns?magicdns=1" >/dev/null
	tn_wait_until 2 "$version: bare names back" tn_resolves vault
	curl -sS --fail --unix-socket "$TN_SOCKET" -X POST --data '[{"Name":"grafana.'$SUFFIX'.","Value":"100.99.201.17"},{"Name":"loki.'$SUFFIX'.","Type":"A","Value":"100.99.201.18"}]' \
		"http://local-tailscaled.sock/double/extra-records" >/dev/null
	tn_wait_until 2 "$version: a new ExtraRecord" tn_resolves "loki.$SUFFIX"
	tn_ok "$version: ExtraRecords through status?peers=false"

	# The dns-subdomain-resolve cap: a CapMap change is a full netmap (patchifyPeer cannot patch it); a CapMap
	# that arrives in a PeerChangedPatch all the same (tailcfg.PeerChange has the member) is applied too.
	tn_ctl "cap?name=vault&on=1" >/dev/null
	tn_wait_until 2 "$version: a subdomain of a node given the cap" tn_resolves "ci.vault.$SUFFIX"
	tn_ctl "cap?name=vault&on=0" >/dev/null
	tn_wait_until 2 "$version: the cap taken away" tn_unresolved "ci.vault.$SUFFIX"
	tn_emit '{"Version":"'$version'","PeerChangedPatch":[{"NodeID":4410982231170054,"CapMap":{"dns-subdomain-resolve":null}}]}'
	tn_wait_until 2 "$version: the cap from a patch" tn_resolves "ci.vault.$SUFFIX"
	tn_emit '{"Version":"'$version'","PeerChangedPatch":[{"NodeID":4410982231170054,"CapMap":{"other-cap":null}}]}'
	tn_wait_until 2 "$version: a patch's CapMap without it" tn_unresolved "ci.vault.$SUFFIX"
	tn_ok "$version: dns-subdomain-resolve from full netmaps and from patches"

	# A patch with a member the watcher does not know (tailcfg.PeerChange may grow): it subscribes anew, the
	# re-fetch that PeerChangedPatch's doc asks for (ipn/backend.go v1.102.3), and so catches up.
	tn_ctl "add-peer?name=inc-quiet&silent=1" >/dev/null
	tn_emit '{"Version":"'$version'","PeerChangedPatch":[{"NodeID":4410982231170054,"Latency":7}]}'
	tn_wait_until 3 "$version: a patch with an unknown member brings a fresh InitialStatus" tn_resolves inc-quiet
	tn_ok "$version: an unknown patch member means a fresh subscription"

	# 1.102+ closes a lagging watch with an ErrMessage; older daemons drop lines silently (no-op here).
	tn_ctl "add-peer?name=inc-lagged&silent=1" >/dev/null
	tn_ctl fell-behind >/dev/null
	if [ "$version" != 1.100.0 ]; then
		tn_wait_until 5 "$version: the closed watch noticed" grep -q "fell behind" "$TN_WATCH_LOG"
		tn_wait_until 5 "$version: reconnected after falling behind" tn_resolves inc-lagged
		tn_ok "$version: a closed lagging watch reconnects and catches up"
	fi

	# A daemon restart: NoState and Starting for a while, then a full netmap and Running.
	tn_localapi_stop
	tn_state_add_peer "$STATE" "$STATE.new" after-restart 97 100.126.0.97
	mv "$STATE.new" "$STATE"
	tn_localapi_start "$STATE" "$TN_TMP/tailscaled.sock" --version "$version" --nostate-ms 1500
	tn_wait_until 10 "$version: reconnected to the restarted daemon" tn_watchers 1
	tn_resolves vault || tn_fail "$version: names stopped resolving while the daemon was NoState"
	tn_ok "$version: names keep resolving through NoState"
	tn_wait_until 5 "$version: the peer added while it was down" tn_resolves after-restart
	sleep 1 # Running follows that netmap, and with it one more subscription for a whole status: not the storm's
	storm_changes_nothing "$version after the restart"

	tn_watch_stop
	tn_assert_eq "$TN_WATCH_RC" 0 "$version: exit 0"
	tn_localapi_stop
done

# --- a version without the new bits: 1.98 ignores bits 14 and 15 (unknown bits are ignored at every version) ---
echo "== tailscaled 1.98.1"
cp "$EXAMPLES/running.json" "$STATE"
tn_localapi_start "$STATE" "$TN_TMP/tailscaled.sock" --version 1.98.1
TN_WATCH_LOG="$TN_TMP/watch-1.98.log"
tn_watch_start --verbose --poll 3600
tn_wait_until 10 "1.98: the first cache" tn_resolves vault
tn_wait_until 5 "1.98: the stream" tn_watchers 1
tn_assert_contains "$(tn_ctl info)" '"masks": [53250]' "1.98 takes mask 53250"
tn_assert_contains "$(cat "$TN_WATCH_LOG")" "sends no InitialStatus" "1.98: the old path"
tn_assert_eq "$(tn_info_field status_reads)" 1 "1.98: one status read for the first cache"
storm_changes_nothing "1.98 (PeerChanges)"
ms=$(tn_change_latency "old-new.$SUFFIX" present "add-peer?name=old-new")
tn_assert_fast "1.98: a full NetMap line, then the status" "$ms"
tn_assert_eq "$(tn_info_field status_reads)" 2 "1.98: one status read for the change"
ms=$(tn_change_latency "old-new.$SUFFIX" absent "remove-peer?name=old-new")
tn_assert_fast "1.98: a removal" "$ms"
tn_watch_stop
tn_assert_eq "$TN_WATCH_RC" 0 "1.98: exit 0"
echo "test_watch_incremental: all passed"
