#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Builds the Debian packages (libnss-tailnet, tailnet-helper) with `dpkg-buildpackage -us -uc -b` from a copy
# of the source tree in OUTDIR/tailnet-VERSION, so that neither the packages (dpkg-buildpackage writes them
# next to the tree) nor debian/'s build files land in the working tree. The .debs, .buildinfo and .changes
# end up in OUTDIR; the build log in OUTDIR/build.log.
set -euo pipefail
out=${1:?usage: build-deb.sh OUTDIR}
cd "$(dirname "$0")/.."
version=$(scripts/version.sh)
mkdir -p "$out"
out=$(cd "$out" && pwd)
rm -rf "$out/tailnet-$version" "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
mkdir "$out/tailnet-$version"
# The tracked files (and new, not ignored ones) when this is a git checkout; otherwise all but build output.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
		[ -e "$f" ] && printf '%s\0' "$f"
	done | xargs -0 cp --parents -a -t "$out/tailnet-$version"
else
	tar -c --exclude=./build --exclude="./$(basename "$out")" . | tar -x -C "$out/tailnet-$version"
fi
cd "$out/tailnet-$version"
if ! dpkg-buildpackage -us -uc -b >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
	exit 1
fi
ls "$out"/*.deb
