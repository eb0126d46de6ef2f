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

/* tn_name_fold works eight bytes at a time with bit tricks: held against the obvious byte-by-byte rule on
 * 200,000 random strings over an alphabet that crowds every range edge ('@' 'A' 'Z' '[' '`' 'a' 'z' '{' '/'
 * '0' '9' ':' ',' '-' '.' and bytes above 0x7f), of every length up to past the limit, and its zero padding
 * checked (tn_hash_padded relies on it). */
static int fold_reference(const char *in, char *out, size_t *len)
{
	size_t n = strlen(in);
	if (n == 0 || n > TN_NAME_MAX + 1)
		return -1;
	if (in[n - 1] == '.')
		n--;
	if (n == 0 || n > TN_NAME_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c + 32);
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return -1;
		out[i] = (char)c;
	}
	out[n] = '\0';
	*len = n;
	return 0;
}

START_TEST(fold_matches_the_byte_rule)
{
	static const char alphabet[] = "@AZ[`az{/09:,-.\x80\xff\x7fmM5";
	char in[300], want[300];
	srand(7);
	for (int round = 0; round < 200000; round++) {
		size_t n = (size_t)rand() % 260;
		for (size_t i = 0; i < n; i++)
			in[i] = alphabet[(size_t)rand() % (sizeof alphabet - 1)];
		in[n] = '\0';
		struct tn_name got;
		size_t want_len = 0;
		int want_ok = fold_reference(in, want, &want_len) == 0;
		int rc = tn_name_fold(in, &got);
		ck_assert_msg((rc >= 0) == want_ok, "round %d: '%s' fold %d, reference %d", round, in, rc, want_ok);
		if (!want_ok)
			continue;
		ck_assert_uint_eq(got.len, want_len);
		ck_assert_str_eq(got.s, want);
		for (size_t i = want_len; i % 8; i++)
			ck_assert_msg(got.s[i] == 0, "round %d: padding byte %zu is %d", round, i, got.s[i]);
		ck_assert_uint_eq(tn_hash_padded(42, got.s, got.len), tn_hash(42, got.s, got.len));
	}
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
	tcase_add_test(tc, fold_matches_the_byte_rule);
	tcase_add_test(tc, lengths);
	tcase_add_test(tc, under_suffix);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(name_suite)
