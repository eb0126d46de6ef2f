# SPDX-License-Identifier: BSD-3-Clause
# lib_localapi.sh - the LocalAPI test double (tests/doubles/localapi_double.py) in end-to-end tests (bash).
#
# Source it after lib.sh and call the functions inside tn_enter_ns. The double runs as a background job of
# the test shell, so lib.sh's tn_cleanup ends it with the test. Its request log goes to the test's stderr.

TN_LOCALAPI_DOUBLE="$TN_SRCDIR/tests/doubles/localapi_double.py"

# tn_localapi_start STATEFILE [SOCKET [DOUBLE-ARGS...]]: serves STATEFILE (re-read when it changes) on
# SOCKET (default $TN_TMP/tailscaled.sock) and returns once the socket accepts connections. Sets TN_SOCKET,
# TN_LOCALAPI_PID and TN_LOCALAPI_MODE (the mode file tn_localapi_mode writes). DOUBLE-ARGS: e.g.
# --version 1.96.4 for an old daemon's IPN bus.
tn_localapi_start() {
	local state=$1
	TN_SOCKET=${2:-$TN_TMP/tailscaled.sock}
	shift $(($# < 2 ? $# : 2))
	TN_LOCALAPI_MODE=$TN_TMP/localapi.mode
	rm -f "$TN_LOCALAPI_MODE"
	command python3 "$TN_LOCALAPI_DOUBLE" --socket "$TN_SOCKET" --state "$state" --mode-file "$TN_LOCALAPI_MODE" "$@" &
	TN_LOCALAPI_PID=$!
	command python3 - "$TN_SOCKET" "$TN_LOCALAPI_PID" <<'EOF' || tn_fail "the LocalAPI double did not come up on $TN_SOCKET"
import os, socket, sys, time
path, pid, deadline = sys.argv[1], int(sys.argv[2]), time.monotonic() + 20
while time.monotonic() < deadline:
    os.kill(pid, 0)  # the double died: fail at once
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        sys.exit(0)
    except OSError:
        time.sleep(0.05)
    finally:
        s.close()
sys.exit(1)
EOF
}

# tn_localapi_mode MODE: how the double answers from the next request on (ok, forbidden, garbage,
# truncated, hang, error500).
tn_localapi_mode() {
	printf '%s\n' "$1" >"$TN_LOCALAPI_MODE.new" && mv "$TN_LOCALAPI_MODE.new" "$TN_LOCALAPI_MODE"
}

# tn_localapi_stop: kills the double the way a crash would: its socket file stays behind.
tn_localapi_stop() {
	kill "$TN_LOCALAPI_PID" 2>/dev/null
	wait "$TN_LOCALAPI_PID" 2>/dev/null
	return 0
}

# tn_localapi_state FILE STATEFILE: replaces what the double serves, atomically (rename).
tn_localapi_state() {
	cp "$1" "$2.new" && mv "$2.new" "$2"
}

# tn_ctl COMMAND[?QUERY]: a control request to the double (see localapi_double.py); prints its JSON answer.
tn_ctl() {
	curl -sS --fail --unix-socket "$TN_SOCKET" -X POST "http://local-tailscaled.sock/double/$1"
}

# tn_json_field JSON NAME: a number or string member of a one-line JSON object.
tn_json_field() {
	sed -n 's/.*"'"$2"'": "\{0,1\}\([^",}]*\).*/\1/p' <<<"$1"
}

# tn_wait_until SECONDS WHAT CMD...: runs CMD every 50 ms until it succeeds; fails after SECONDS.
tn_wait_until() {
	local limit=$1 what=$2 i
	shift 2
	for ((i = 0; i < limit * 20; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	tn_fail "$what: not within $limit s"
}

# tn_watchers N: the double has N open watch streams (for tn_wait_until).
tn_watchers() {
	[ "$(tn_json_field "$(tn_ctl info)" watchers)" = "$1" ]
}

# tn_watch_start ARGS...: `tailnet-helper watch --socket $TN_SOCKET ARGS...` in the background, logging to
# $TN_WATCH_LOG (appended). Sets TN_WATCH_PID.
tn_watch_start() {
	TN_WATCH_LOG=${TN_WATCH_LOG:-$TN_TMP/watch.log}
	"$HELPER" watch --socket "$TN_SOCKET" "$@" 2>>"$TN_WATCH_LOG" &
	TN_WATCH_PID=$!
}

# tn_watch_stop [SIGNAL]: stops the watcher (default SIGTERM); TN_WATCH_RC gets its exit status and
# TN_WATCH_STOP_MS how long it took to exit.
tn_watch_stop() {
	local start
	start=$(date +%s%N)
	kill -"${1:-TERM}" "$TN_WATCH_PID"
	wait "$TN_WATCH_PID"
	TN_WATCH_RC=$?
	TN_WATCH_STOP_MS=$((($(date +%s%N) - start) / 1000000))
}

# tn_log_count PATTERN: how many lines of the watcher's log match PATTERN (grep -E).
tn_log_count() {
	grep -cE "$1" "$TN_WATCH_LOG"
}

# tn_log_count_is N PATTERN: whether N lines of the watcher's log match PATTERN (for tn_wait_until).
tn_log_count_is() {
	[ "$(tn_log_count "$2")" = "$1" ]
}

# tn_change_latency_us NAME present|absent CONTROL: starts a C program polling getaddrinfo(NAME) every
# millisecond, sends CONTROL to the double, and prints the microseconds from the double announcing the change
# to the first lookup that saw NAME present (or absent). Fails when that does not happen within 3 s.
tn_change_latency_us() {
	local out="$TN_TMP/probe.out" pid answer at emitted
	: >"$out"
	"$TN_BUILD/tests/resolve_probe" wait "$1" "$2" 3000 >"$out" &
	pid=$!
	tn_wait_until 5 "resolve_probe start" grep -q ready "$out"
	answer=$(tn_ctl "$3") || tn_fail "control request $3"
	wait "$pid" || tn_fail "$1 not $2 within 3 s of $3 ($(cat "$out"))"
	at=$(sed -n 's/^at //p' "$out")
	emitted=$(tn_json_field "$answer" emitted_ns)
	echo $(((at - emitted) / 1000))
}

# tn_change_latency NAME present|absent CONTROL: the same in milliseconds.
tn_change_latency() {
	local us
	us=$(tn_change_latency_us "$@") || exit 1
	echo $((us / 1000))
}

# --- helpers of the watcher's tests ---------------------------------------------------------------------------

# tn_resolves NAME / tn_unresolved NAME: whether getent finds NAME (for tn_wait_until and ||).
tn_resolves() {
	getent hosts "$1" >/dev/null
}

tn_unresolved() {
	! getent hosts "$1" >/dev/null
}

# tn_generation: the cache's generation, as `tailnet-helper hosts` tells it.
tn_generation() {
	"$HELPER" hosts | sed -n 's/.*generation \([0-9]*\),.*/\1/p'
}

# tn_info_field NAME: a number of the double's /double/info (watchers, status_reads, initial_status, ...).
tn_info_field() {
	tn_json_field "$(tn_ctl info)" "$1"
}

# tn_emit LINE: LINE and a newline to every stream, as they are.
tn_emit() {
	printf '%s\n' "$1" | curl -sS --fail --unix-socket "$TN_SOCKET" -X POST --data-binary @- \
		"http://local-tailscaled.sock/double/emit" >/dev/null || tn_fail "emit $1"
}

# tn_assert_fast WHAT MS: a notification-to-resolve time within ${TN_FAST_MS:-1000} ms.
tn_assert_fast() {
	[ "$2" -ge 0 ] && [ "$2" -lt "${TN_FAST_MS:-1000}" ] || tn_fail "$1: $2 ms (limit ${TN_FAST_MS:-1000} ms)"
	tn_ok "$1 in $2 ms"
}

# tn_assert_log_count PATTERN N WHAT: N lines of the watcher's log match PATTERN.
tn_assert_log_count() {
	local n
	n=$(tn_log_count "$1")
	[ "$n" = "$2" ] || tn_fail "$3: $n log lines match [$1], expected $2; log:
$(cat "$TN_WATCH_LOG")"
	tn_ok "$3"
}

# tn_state_add_peer FILE OUT NAME NODEID IP: writes to OUT the status FILE with one more peer in the netmap, NAME
# under the example tailnet's suffix (a change made while nobody announces it, or a daemon that restarts with it).
tn_state_add_peer() {
	command python3 - "$@" <<'EOF'
import json, sys
src, out, name, node_id, ip = sys.argv[1:]
doc = json.load(open(src))
p = dict(next(iter(doc["Peer"].values())))
p.update(PublicKey="nodekey:%064x" % int(node_id), ID="n%sCNTRL" % node_id, NodeID=int(node_id),
         DNSName="%s.magellanic-gondola.ts.net." % name, HostName=name, TailscaleIPs=[ip], InNetworkMap=True)
doc["Peer"][p["PublicKey"]] = p
json.dump(doc, open(out, "w"), indent="\t")
EOF
}
