/* SPDX-License-Identifier: BSD-3-Clause */
/* test_via.c - 4via6 names (nss/via.c) held to tailscale's own test vectors: net/dns/resolver/tsdns_test.go
 * TestResolveLocal, the via_* cases at v1.100.0 (three forms) and v1.102.3 / 1.103 (the hyphenated form only),
 * plus the edges of netip.ParseAddr and strconv.ParseUint(s, 0, 32) that the parser copies. */
#include <arpa/inet.h>
#include <string.h>

#include "nss/via.h"
#include "unit.h"

#define V1_100 ((1u << 24) | (100u << 12))
#define V1_102 ((1u << 24) | (102u << 12) | 3u)

static void expect(const char *name, uint32_t version, const char *want)
{
	uint8_t got[16], w[16];
	int rc = tn_via_parse(name, strlen(name), version, got);
	if (!want) {
		ck_assert_msg(rc == 0, "%s (version %x) should not be a 4via6 name", name, version);
		return;
	}
	ck_assert_msg(rc == 1, "%s (version %x) should be a 4via6 name", name, version);
	ck_assert_int_eq(inet_pton(AF_INET6, want, w), 1);
	char text[INET6_ADDRSTRLEN];
	inet_ntop(AF_INET6, got, text, sizeof text);
	ck_assert_msg(memcmp(got, w, 16) == 0, "%s: got %s, want %s", name, text, want);
}

START_TEST(tailscale_vectors)
{
	/* v1.102.3 / HEAD tsdns_test.go */
	uint32_t versions[] = {V1_100, V1_102, 0};
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
		uint32_t v = versions[i];
		expect("via-", v, NULL);
		expect("2-3-4-5-via-", v, NULL);
		expect("1-2-3-4-via-0xff", v, "fd7a:115c:a1e0:b1a:0:ff:1.2.3.4");
		expect("1-2-3-4-via-1", v, "fd7a:115c:a1e0:b1a:0:1:1.2.3.4");
		expect("1-2-3-4-via-1.foo.ts.net", v, "fd7a:115c:a1e0:b1a:0:1:1.2.3.4");
		expect("1-2-3-4-via-1.foo.tailscale.net", v, "fd7a:115c:a1e0:b1a:0:1:1.2.3.4");
		expect("1-2-3-4-via-1.example.com", v, NULL);
		expect("1-2-3-4-via-1.examplets.net", v, NULL);
		expect("1-2-3-4-via-.", v, NULL);
	}
	/* v1.100.0 only: the two older forms */
	expect("via-0xff.1.2.3.4", V1_100, "fd7a:115c:a1e0:b1a:0:ff:1.2.3.4");
	expect("via-1.10.0.0.1", V1_100, "fd7a:115c:a1e0:b1a:0:1:10.0.0.1");
	expect("4.3.2.1.via-0xff", V1_100, "fd7a:115c:a1e0:b1a:0:ff:4.3.2.1");
	expect("1.0.0.10.via-1", V1_100, "fd7a:115c:a1e0:b1a:0:1:1.0.0.10");
	expect("2.3.4.5.via-", V1_100, NULL);
	expect("via-0xff.1.2.3.4", V1_102, NULL);
	expect("4.3.2.1.via-0xff", V1_102, NULL);
	expect("4.3.2.1.via-0xff", 0, NULL); /* unknown version: the newest rules */
}
END_TEST

START_TEST(edges)
{
	expect("10-1-1-16-via-7.magellanic-gondola.ts.net", 0, "fd7a:115c:a1e0:b1a:0:7:a01:110");
	expect("10-1-1-16-via-7.ts.net", 0, NULL);       /* a label before ts.net is needed */
	expect("10-1-1-16-via-7.x.ts.net.org", 0, NULL); /* ts.net must end the name */
	expect("10-1-1-16-via-4294967295", 0, "fd7a:115c:a1e0:b1a:ffff:ffff:a01:110");
	expect("10-1-1-16-via-4294967296", 0, NULL); /* over 32 bits */
	expect("10-1-1-16-via-0b101", 0, "fd7a:115c:a1e0:b1a:0:5:a01:110");
	expect("10-1-1-16-via-0o17", 0, "fd7a:115c:a1e0:b1a:0:f:a01:110");
	expect("10-1-1-16-via-017", 0, "fd7a:115c:a1e0:b1a:0:f:a01:110"); /* a leading 0 is octal */
	expect("10-1-1-16-via-08", 0, NULL);
	expect("10-1-1-16-via-0x", 0, NULL);
	expect("10-1-1-16-via-0", 0, "fd7a:115c:a1e0:b1a::a01:110");
	expect("10-1-1-16-via-1a", 0, NULL);
	expect("10-1-1-016-via-7", 0, NULL); /* netip refuses leading zeros */
	expect("10-1-1-256-via-7", 0, NULL);
	expect("10-1-1-via-7", 0, NULL);
	expect("10-1-1-1-1-via-7", 0, NULL);
	expect("10-1-1-16-via-7-via-8", 0, NULL); /* the site ID would be "7-via-8" */
	expect("vault.10-1-1-16-via-7.ts.net", 0, NULL); /* "-via-" not in the first label */
	expect("0-0-0-0-via-0", 0, "fd7a:115c:a1e0:b1a::");
	expect("0-0-0-0-via-", 0, NULL);
}
END_TEST

static Suite *via_suite(void)
{
	Suite *s = suite_create("via");
	TCase *tc = tcase_create("via");
	tcase_add_test(tc, tailscale_vectors);
	tcase_add_test(tc, edges);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(via_suite)
