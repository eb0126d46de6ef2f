#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Runs every tests/e2e/test_*.sh (each one self-contained: it enters its own private namespaces through
# tests/lib.sh) and prints one line per test. TN_BUILD names the build to test; TN_SAN is set for sanitizer
# builds. Needs root (unshare -m / -n). Exits non-zero when any test fails.
set -u
cd "$(dirname "$0")/.."
: "${TN_BUILD:=build}"
export TN_BUILD TN_SAN="${TN_SAN:-}" TN_SRCDIR="$PWD"
if [ "$(id -u)" != 0 ]; then
	echo "run-e2e: the end-to-end tests need root (private mount and network namespaces)" >&2
	exit 1
fi
pass=0 failed=""
for t in tests/e2e/test_*.sh; do
	[ -n "${TN_ONLY:-}" ] && case "$t" in *"$TN_ONLY"*) ;; *) continue ;; esac
	log="$TN_BUILD/e2e-logs/$(basename "$t" .sh).log"
	mkdir -p "$(dirname "$log")"
	start=$(date +%s)
	if timeout 600 bash "$t" >"$log" 2>&1; then
		pass=$((pass + 1))
		echo "ok   $t ($(($(date +%s) - start)) s)"
	else
		failed="$failed $t"
		echo "FAIL $t ($(($(date +%s) - start)) s) -- last lines of $log:"
		tail -n 25 "$log" | sed 's/^/    /'
	fi
done
echo "e2e ($TN_BUILD): $pass passed${failed:+, failed:$failed}"
[ -z "$failed" ]
