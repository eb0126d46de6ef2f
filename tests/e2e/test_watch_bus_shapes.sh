#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# test_watch_bus_shapes.sh - the LocalAPI double's IPN bus against what tailscale's source says each version
# sends (tests/tools/bus_shapes.py, each check beside the file it copies): headers, the 400 texts, the first
# message per mask bit, the all-null lines, the promotion of patches for 4096-only watchers, full netmaps,
# UserProfiles once per session, PeerChanges on 1.98, and closing a lagging watch from 1.102. The watcher's
# own tests trust these shapes, so they are tested too.
. "$(dirname "$0")/../lib.sh"
tn_enter_ns "$0" "$@"
. "$TN_SRCDIR/tests/lib_localapi.sh"

for version in 1.98.1 1.100.0 1.102.3 1.103.0; do
	cp "$EXAMPLES/running.json" "$TN_TMP/state.json"
	tn_localapi_start "$TN_TMP/state.json" "$TN_TMP/tailscaled.sock" --version "$version" 2>>"$TN_TMP/double.log"
	out=$(command python3 "$TN_SRCDIR/tests/tools/bus_shapes.py" "$TN_SOCKET" "$version") || tn_fail "$out"
	tn_ok "$out"
	tn_localapi_stop
done
echo "test_watch_bus_shapes: all passed"
