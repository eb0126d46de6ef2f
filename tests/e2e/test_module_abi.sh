# SPDX-License-Identifier: BSD-3-Clause
# test_module_abi.sh - what the module shows the rest of the system: exactly the six glibc entry points,
# libc as its only dependency, the soname glibc asks for, and the link flags that keep it safe to load
# everywhere (never unloaded, no lazy binding, read-only relocations).
. "$TN_SRCDIR/tests/lib.sh"
MODULE="$TN_BUILD/libnss_tailnet.so.2"

tn_assert_eq "$(nm -D --defined-only "$MODULE" | awk '{print $3}' | sort | tr '\n' ' ')" \
	"_nss_tailnet_gethostbyaddr2_r _nss_tailnet_gethostbyaddr_r _nss_tailnet_gethostbyname2_r _nss_tailnet_gethostbyname3_r _nss_tailnet_gethostbyname4_r _nss_tailnet_gethostbyname_r " \
	"exports the six entry points and nothing else"
tn_assert_eq "$(readelf -d "$MODULE" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" "libnss_tailnet.so.2" "soname"
needed=$(readelf -d "$MODULE" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
if [ -n "${TN_SAN:-}" ]; then
	tn_assert_contains "$needed" "libc.so.6" "sanitizer build needs libc (and the sanitizer runtimes)"
else
	tn_assert_eq "$needed" "libc.so.6 " "links libc only"
	tn_assert_eq "$(ldd "$MODULE" | grep -cv -e 'libc.so.6' -e 'ld-linux' -e 'linux-vdso')" "0" "ldd shows libc only"
fi
flags=$(readelf -d "$MODULE" | grep -E 'FLAGS')
tn_assert_contains "$flags" "NOW" "-z now"
tn_assert_contains "$flags" "NODELETE" "-z nodelete"
tn_assert_contains "$(readelf -l "$MODULE")" "GNU_RELRO" "-z relro"
tn_assert_eq "$(readelf -s --wide "$MODULE" | awk '$6 == "TLS"' | wc -l)" "0" "no thread-local storage"
