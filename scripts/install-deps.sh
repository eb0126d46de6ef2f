#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# Installs what building and testing tailnet needs on Debian 12, when it is missing. Runs apt-get only as
# root and only for packages that are not installed, so a prepared machine pays nothing.
set -eu

# bind9-dnsutils (dig), dnsmasq-base, golang-go and musl-tools: the DNS responder's clients in the e2e tests;
# openssh-client: ssh -G reads what ssh-config prints. The packages and their checks: dpkg-dev, debhelper,
# dh-nss, fakeroot, lintian (make deb, make lintian), adduser (their maintainer scripts), groff and man-db
# (the man page checks), systemd (systemd-analyze verify and security), nscd (its cache time, measured).
PACKAGES="gcc make pkg-config libc6-dev libcurl4-openssl-dev libjansson-dev check valgrind python3 curl
iproute2 util-linux clang libclang-rt-14-dev openssl procps bind9-dnsutils dnsmasq-base golang-go musl-tools
openssh-client strace dpkg-dev debhelper dh-nss fakeroot lintian adduser groff man-db systemd nscd"
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
# Nothing installed here may start as a service on this machine (nscd would answer every lookup on it,
# the tests' too): invoke-rc.d asks policy-rc.d, which says no for the length of the install.
policy=/usr/sbin/policy-rc.d
own_policy=
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# install-deps.sh: no service starts while it installs\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	own_policy=1
fi
trap '[ -n "$own_policy" ] && rm -f "$policy"' EXIT
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
