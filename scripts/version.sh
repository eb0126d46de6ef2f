#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Prints tailnet's version: the upstream part of the newest entry in debian/changelog, the one place it is
# written ("tailnet (0.1.0-1) ..." gives 0.1.0). The Makefile and the fuzz build pass it to the compiler
# as TN_PACKAGE_VERSION; dpkg-buildpackage reads the same line.
set -eu
cd "$(dirname "$0")/.."
v=$(sed -n '1s/^[a-z0-9.+-]* (\([0-9][0-9A-Za-z.+~]*\)\(-[0-9A-Za-z.+~]*\)\{0,1\}).*/\1/p' debian/changelog)
[ -n "$v" ] || { echo "version.sh: no version on the first line of debian/changelog" >&2; exit 1; }
echo "$v"
