# lib_localapi.sh - the LocalAPI test double (tests/doubles/localapi_double.py) in end-to-end tests (bash).
#
# Source it after lib.sh and call the functions inside tn_enter_ns. The double runs as a background job of
# the test shell, so lib.sh's tn_cleanup ends it with the test. Its request log goes to the test's stderr.

TN_LOCALAPI_DOUBLE="$TN_SRCDIR/tests/doubles/localapi_double.py"

# tn_localapi_start STATEFILE [SOCKET]: serves STATEFILE (re-read when it changes) on SOCKET (default
# $TN_TMP/tailscaled.sock) and returns once the socket accepts connections. Sets TN_SOCKET,
# TN_LOCALAPI_PID and TN_LOCALAPI_MODE (the mode file tn_localapi_mode writes).
tn_localapi_start() {
	TN_SOCKET=${2:-$TN_TMP/tailscaled.sock}
	TN_LOCALAPI_MODE=$TN_TMP/localapi.mode
	rm -f "$TN_LOCALAPI_MODE"
	command python3 "$TN_LOCALAPI_DOUBLE" --socket "$TN_SOCKET" --state "$1" --mode-file "$TN_LOCALAPI_MODE" &
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
