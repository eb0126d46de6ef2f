/* SPDX-License-Identifier: BSD-3-Clause */
/* test_name.c - the name-normalisation matrix (nss/name.c). */
#include <errno.h>
#include <string.h>

#include "nss/name.h"
#include "unit.h"

static void expect_ok(const char *in, const char *want, size_t first)
{
	struct tn_name n;
	int rc = tn_name_normalize(in, &n);
	ck_assert_msg(rc == (int)strlen(want), "'%s' -> rc %d", in, rc);
	ck_assert_str_eq(n.s, want);
	ck_assert_uint_eq(n.len, strlen(want));
	ck_assert_uint_eq(n.first_label_len, first);
}

static void expect_bad(const char *in)
{
	struct tn_name n;
	ck_assert_msg(tn_name_normalize(in, &n) == -EINVAL, "'%s' should be refused", in);
}

START_TEST(accepts_and_folds)
{
	expect_ok("vault", "vault", 5);
	expect_ok("VAULT", "vault", 5);
	expect_ok("vault.", "vault", 5);
	expect_ok("VAULT.Magellanic-Gondola.ts.net.", "vault.magellanic-gondola.ts.net", 5);
	expect_ok("vault-1.magellanic-gondola.ts.net", "vault-1.magellanic-gondola.ts.net", 7);
	expect_ok("a.b", "a.b", 1);
	expect_ok("0day.example", "0day.example", 4);
	expect_ok("100-x.ts.net", "100-x.ts.net", 5); /* digits inside labels are fine, only a numeric TLD is not */
}
END_TEST

START_TEST(refuses)
{
	expect_bad("");
	expect_bad(".");
	expect_bad("..");
	expect_bad("vault..");
	expect_bad(".vault");
	expect_bad("a..b");
	expect_bad("-vault");
	expect_bad("vault-");
	expect_bad("vault-.ts.net");
	expect_bad("va_ult");
	expect_bad("va ult");
	expect_bad("vault\n");
	expect_bad("v\xc3\xa4ult");     /* IDN in raw UTF-8: not ours */
	expect_bad("100.101.33.8");    /* IP literal */
	expect_bad("100.101.33.8.");
	expect_bad("x.100");
	expect_bad("::1");
	expect_bad("fd7a:115c:a1e0::1");
	expect_bad(NULL);
}
END_TEST

START_TEST(lengths)
{
	char label[80], name[300];
	memset(label, 'a', 63);
	label[63] = '\0';
	expect_ok(label, label, 63);
	label[63] = 'a';
	label[64] = '\0';
	expect_bad(label);
	/* 253 characters: four 62-char labels and dots, minus the overflow. */
	memset(name, 'b', sizeof name);
	for (int i = 62; i < 253; i += 63)
		name[i] = '.';
	name[253] = '\0';
	struct tn_name n;
	ck_assert_int_eq(tn_name_normalize(name, &n), 253);
	name[253] = '.';
	name[254] = '\0';
	ck_assert_int_eq(tn_name_normalize(name, &n), 253); /* one trailing dot allowed */
	name[254] = 'c';
	name[255] = '\0';
	expect_bad(name);
}
END_TEST

START_TEST(under_suffix)
{
	const char *s = "magellanic-gondola.ts.net";
	size_t sl = strlen(s);
	ck_assert(tn_name_under("vault.magellanic-gondola.ts.net", 31, s, sl));
	ck_assert(tn_name_under("a.b.magellanic-gondola.ts.net", 29, s, sl));
	ck_assert(!tn_name_under("magellanic-gondola.ts.net", 25, s, sl));
	ck_assert(!tn_name_under("xmagellanic-gondola.ts.net", 26, s, sl));
	ck_assert(!tn_name_under("printer.hedgehog-arcade.ts.net", 30, s, sl));
	ck_assert(!tn_name_under("vault.magellanic-gondola.ts.net", 31, "", 0));
}
END_TEST

static Suite *name_suite(void)
{
	Suite *s = suite_create("name");
	TCase *tc = tcase_create("normalize");
	tcase_add_test(tc, accepts_and_folds);
	tcase_add_test(tc, refuses);
	tcase_add_test(tc, lengths);
	tcase_add_test(tc, under_suffix);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(name_suite)
