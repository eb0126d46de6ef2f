#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# make demo: a sample tailnet answering through the real module and real glibc, in private mount and
# network namespaces (the machine's own /etc is never touched). A stand-in tailscaled (the LocalAPI test
# double) serves the sample tailnet of tests/data/status-examples/running.json on a unix socket;
# tailnet-helper sync reads it the way it reads a real tailscaled, and glibc programs resolve the names.
set -u
: "${TN_SRCDIR:=$(cd "$(dirname "$0")/.." && pwd)}" "${BUILD:=build}"
export TN_SRCDIR TN_BUILD="$BUILD"
. "$TN_SRCDIR/tests/lib.sh"
. "$TN_SRCDIR/tests/lib_localapi.sh"
tn_enter_ns "$0" "$@"

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }

cp "$EXAMPLES/running.json" "$TN_TMP/tailnet.json"
tn_localapi_start "$TN_TMP/tailnet.json" 2>/dev/null
echo "A stand-in tailscaled serves a sample tailnet (magellanic-gondola.ts.net) on $TN_SOCKET."
echo "This namespace's /etc/nsswitch.conf says: $(grep ^hosts: /etc/nsswitch.conf)"
run "$HELPER" sync --socket "$TN_SOCKET" --verbose
run "$HELPER" hosts
run getent hosts vault
run getent ahosts vault.magellanic-gondola.ts.net
run getent hosts 100.71.5.90
say "python3 -c 'import socket; print(socket.getaddrinfo(\"vault\", 8200)[0][4])'"
python3 -c 'import socket; print(socket.getaddrinfo("vault", 8200)[0][4])'
say "getent hosts example.org   # not a tailnet name: the module steps aside and DNS (none here) decides"
getent hosts example.org || echo "(not found: no DNS in this namespace)"
echo
echo "Everything above ran in a private namespace; the machine's /etc is unchanged."
