#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs what building and testing tailnet needs on Debian 12, when it is missing. Runs apt-get only as
# root and only for packages that are not installed, so a prepared machine pays nothing.
set -eu

# bind9-dnsutils (dig), dnsmasq-base, golang-go and musl-tools: the DNS responder's clients in the e2e tests;
# openssh-client: ssh -G reads what ssh-config prints.
PACKAGES="gcc make pkg-config libc6-dev libcurl4-openssl-dev libjansson-dev check valgrind python3 curl
iproute2 util-linux clang libclang-rt-14-dev openssl procps bind9-dnsutils dnsmasq-base golang-go musl-tools
openssh-client strace"
[ -n "${TN_EXTRA_PACKAGES:-}" ] && PACKAGES="$PACKAGES $TN_EXTRA_PACKAGES"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or: apt-get install$missing)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
