/* SPDX-License-Identifier: BSD-3-Clause */
/* test_crc32c.c - the generated slicing tables against a bitwise CRC32C, and the standard check value. */
#include <stdint.h>
#include <string.h>

#include "nss/crc32c.h"
#include "unit.h"

static uint32_t bitwise(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	while (n--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82f63b78u & -(c & 1));
	}
	return ~c;
}

START_TEST(check_value)
{
	ck_assert_uint_eq(tn_crc32c(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(tn_crc32c_portable(0, "123456789", 9), 0xe3069283u);
	ck_assert_uint_eq(tn_crc32c(0, "", 0), 0);
}
END_TEST

START_TEST(matches_bitwise_and_chains)
{
	uint8_t buf[1031];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n <= sizeof buf; n += 13) {
		ck_assert_uint_eq(tn_crc32c(0, buf, n), bitwise(buf, n));
		ck_assert_uint_eq(tn_crc32c_portable(0, buf + 1, n - (n > 0)), bitwise(buf + 1, n - (n > 0)));
	}
	for (size_t cut = 0; cut <= 64; cut++) /* chaining pieces = CRC of the whole, at any split */
		ck_assert_uint_eq(tn_crc32c(tn_crc32c(0, buf, cut), buf + cut, sizeof buf - cut), bitwise(buf, sizeof buf));
	for (size_t cut = 0; cut <= 64; cut++)
		ck_assert_uint_eq(tn_crc32c_portable(tn_crc32c_portable(0, buf, cut), buf + cut, sizeof buf - cut),
				  bitwise(buf, sizeof buf));
}
END_TEST

static Suite *crc_suite(void)
{
	Suite *s = suite_create("crc32c");
	TCase *tc = tcase_create("crc32c");
	tcase_add_test(tc, check_value);
	tcase_add_test(tc, matches_bitwise_and_chains);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(crc_suite)
