#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Builds every fuzz target given (tests/fuzz/fuzz_<name>.c, each defining LLVMFuzzerTestOneInput) with
# clang's libFuzzer + ASan + UBSan against all product sources but main(), then runs each for FUZZ_SECONDS
# starting from tests/fuzz/corpus/<name>/ (if present). Any crash, leak or sanitizer report fails.
set -eu
cd "$(dirname "$0")/.."
: "${BUILD:=build}" "${FUZZ_SECONDS:=60}"
out="$BUILD/fuzz"
mkdir -p "$out"
# Library code only: the commands (helper/cli/cmd_*.c) are command-line glue, not what a target fuzzes.
srcs=$(ls nss/*.c helper/*/*.c | grep -v -e '^helper/cli/main.c$' -e '^helper/cli/cmd_')
libs=$(pkg-config --libs libcurl jansson)
flags="-g -O1 -std=c11 -D_GNU_SOURCE -DTN_PACKAGE_VERSION=\"$(scripts/version.sh)\" -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -Ihelper -I."
for t in "$@"; do
	name=$(basename "$t" .c)
	echo "== $name: building"
	# shellcheck disable=SC2086
	clang $flags -o "$out/$name" "$t" $srcs $libs
	corpus="$out/corpus-$name"
	mkdir -p "$corpus"
	seeds="tests/fuzz/corpus/${name#fuzz_}"
	[ -d "$seeds" ] && cp -n "$seeds"/* "$corpus"/ 2>/dev/null || true
	echo "== $name: running ${FUZZ_SECONDS}s"
	"$out/$name" -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/$name-" "$corpus" 2>"$out/$name.log" || {
		tail -n 40 "$out/$name.log"
		exit 1
	}
	grep -E '^(stat::number_of_executed_units|Done)' "$out/$name.log" | tail -n 2 || true
done
