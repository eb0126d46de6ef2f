#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
# The folder layout is the architecture: a component includes only from itself and from the components
# below it. Fails, naming the include, when a file reaches up or sideways. The order (top first):
#   helper/cli -> helper/up -> helper/watch -> helper/cache, helper/dns -> helper/tailscaled, helper/mint
#   -> helper/shared -> nss
# nss/ is the module and the cache format; it includes nothing but itself.
set -eu
cd "$(dirname "$0")/.."
rank() {
	case $1 in
	cli) echo 7 ;; up) echo 6 ;; watch) echo 5 ;; cache | dns) echo 4 ;; tailscaled | mint) echo 3 ;;
	shared) echo 2 ;; nss) echo 1 ;; *) echo 0 ;;
	esac
}
bad=0
for f in nss/*.[ch] helper/*/*.[ch]; do
	case $f in nss/*) comp=nss ;; *) comp=$(echo "$f" | cut -d/ -f2) ;; esac
	own=$(rank "$comp")
	[ "$own" != 0 ] || { echo "check-layers: $f: $comp is not a known component" >&2; bad=1; continue; }
	for inc in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
		case $comp/$inc in
		nss/*/*) dep=- ;;     # the module names no folder but its own
		nss/*) continue ;;
		*/*/*) dep=$(echo "$inc" | cut -d/ -f1) ;;
		*) dep=- ;;           # every helper include names its folder
		esac
		r=$(rank "$dep")
		if [ "$dep" = - ] || [ "$r" = 0 ]; then
			echo "check-layers: $f includes \"$inc\": name the component's folder" >&2
			bad=1
		elif [ "$dep" != "$comp" ] && [ "$r" -ge "$own" ]; then
			echo "check-layers: $f ($comp) includes \"$inc\" from $dep, which is not below it" >&2
			bad=1
		fi
	done
done
[ $bad = 0 ] && echo "check-layers: every include points down"
exit $bad
