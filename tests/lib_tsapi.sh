# SPDX-License-Identifier: BSD-3-Clause
# lib_tsapi.sh - the Tailscale API double (tests/doubles/tsapi_double.py) for end-to-end tests (bash).
#
# Source after lib.sh and tn_enter_ns. tsapi_start makes a CA and a server certificate for localhost and
# 127.0.0.1 with openssl in $TN_TMP/tsapi, starts the double on a free loopback port and sets:
#   TSAPI_URL      https://127.0.0.1:PORT
#   TSAPI_CA       the CA certificate to give the helper with --ca-file
#   TSAPI_CONTROL  the double's control file (tsapi_control writes it), re-read on every request
#   TSAPI_LOG      one JSON line per request the double got (tsapi_py queries it)
# The double is a background job of the test, ended by lib.sh's tn_cleanup.

TSAPI_DIR=
TSAPI_PID=

# tsapi_control JSON: replaces the control file atomically (fault counters restart).
tsapi_control() {
	printf '%s\n' "$1" >"$TSAPI_CONTROL.tmp" && mv "$TSAPI_CONTROL.tmp" "$TSAPI_CONTROL"
}

# tsapi_reset_log: start a fresh request log; the old entries move to $TSAPI_LOG.all (for whole-test scans).
tsapi_reset_log() {
	cat "$TSAPI_LOG" >>"$TSAPI_LOG.all"
	: >"$TSAPI_LOG"
}

# tsapi_py EXPR: prints the value of a Python expression over `reqs` (the recorded requests, a list of dicts
# with method, path, headers, body, status, response), `json`, `base64` and `KEYS`/`TOKEN` (the two paths).
tsapi_py() {
	python3 - "$TSAPI_LOG" "$1" <<'EOF'
import base64, json, sys
reqs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
KEYS, TOKEN = "/api/v2/tailnet/-/keys", "/api/v2/oauth/token"
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
EOF
}

# tsapi_count [PATH]: how many requests (to PATH) the double recorded.
tsapi_count() {
	tsapi_py "len([r for r in reqs if ${1:+r['path'] == '$1' and }True])"
}

tsapi_make_certs() {
	local d=$1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=tailnet test CA" -keyout "$d/ca.key" -out "$d/ca.pem" \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		2>"$d/openssl.log" || tn_fail "openssl: cannot make the test CA: $(cat "$d/openssl.log")"
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/CN=localhost" \
		-keyout "$d/server.key" -out "$d/server.csr" 2>>"$d/openssl.log" || tn_fail "openssl: server key"
	printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 1 \
		-extfile "$d/server.ext" -out "$d/server.pem" 2>>"$d/openssl.log" ||
		tn_fail "openssl: cannot sign the server certificate: $(cat "$d/openssl.log")"
}

tsapi_start() {
	TSAPI_DIR="$TN_TMP/tsapi"
	mkdir -p "$TSAPI_DIR"
	tsapi_make_certs "$TSAPI_DIR"
	TSAPI_CA="$TSAPI_DIR/ca.pem"
	TSAPI_CONTROL="$TSAPI_DIR/control.json"
	TSAPI_LOG="$TSAPI_DIR/requests.jsonl"
	[ -f "$TSAPI_CONTROL" ] || tsapi_control '{}'
	: >"$TSAPI_LOG"
	python3 "$TN_SRCDIR/tests/doubles/tsapi_double.py" --cert "$TSAPI_DIR/server.pem" --key "$TSAPI_DIR/server.key" \
		--control "$TSAPI_CONTROL" --log "$TSAPI_LOG" --port-file "$TSAPI_DIR/port" \
		2>"$TSAPI_DIR/double.log" &
	TSAPI_PID=$!
	local i
	for i in $(seq 100); do
		[ -s "$TSAPI_DIR/port" ] && break
		kill -0 "$TSAPI_PID" 2>/dev/null || tn_fail "the API double died: $(cat "$TSAPI_DIR/double.log")"
		sleep 0.1
	done
	[ -s "$TSAPI_DIR/port" ] || tn_fail "the API double did not start"
	TSAPI_URL="https://127.0.0.1:$(cat "$TSAPI_DIR/port")"
	# Nothing of the machine's may steer the helper: no proxy, no config file of its own.
	unset https_proxy HTTPS_PROXY http_proxy HTTP_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
	export TAILNET_HELPER_CONFIG="$TSAPI_DIR/empty-helper.conf"
	: >"$TAILNET_HELPER_CONFIG"
	export TSAPI_URL TSAPI_CA TSAPI_CONTROL TSAPI_LOG
}
