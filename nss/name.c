/* SPDX-License-Identifier: BSD-3-Clause */
/* name.c - see name.h. */
#include "name.h"

#include <errno.h>
#include <string.h>

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* For each byte of w (all below 0x80), 0x80 where it lies in [lo, hi], else 0. */
static inline uint64_t in_range(uint64_t w, unsigned lo, unsigned hi)
{
	uint64_t above_lo = w + ONES * (0x80u - lo);       /* high bit set when byte >= lo */
	uint64_t above_hi = w + ONES * (0x80u - (hi + 1)); /* high bit set when byte > hi */
	return above_lo & ~above_hi & HIGHS;
}

/* A name the module did not find is folded and checked, so this works eight bytes at a time on the copy
 * (zero-padded, so every load is a whole word): per word an ASCII lower-casing and one check that every byte
 * is a letter, a digit, '-' or '.', with no table and no branch per byte. `in` may be `out`. */
int tn_name_fold_copied(const struct tn_name *in, struct tn_name *out)
{
	size_t len = in->len;
	uint64_t bad = 0;
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w;
		size_t n = len - i < 8 ? len - i : 8;
		memcpy(&w, in->s + i, 8); /* the bytes past the name are zero */
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
		uint64_t keep = n == 8 ? HIGHS : HIGHS & ~((1ull << (8 * (8 - n))) - 1);
#else
		uint64_t keep = n == 8 ? HIGHS : HIGHS & ((1ull << (8 * n)) - 1);
#endif
		bad |= w & HIGHS; /* no byte at or above 0x80 */
		uint64_t upper = in_range(w, 'A', 'Z');
		w |= upper >> 2; /* 0x80 >> 2 = 0x20: 'A' becomes 'a' */
		uint64_t ok = in_range(w, 'a', 'z') | in_range(w, '0', '9') | in_range(w, '-', '.');
		bad |= keep & ~ok;
		memcpy(out->s + i, &w, 8);
	}
	if (bad)
		return -EINVAL;
	memset(out->s + len, 0, 8);
	out->len = len;
	return (int)len;
}

int tn_name_fold(const char *in, struct tn_name *out)
{
	int len = tn_name_measure(in);
	if (len < 0 || !out)
		return -EINVAL;
	tn_name_copy(in, (size_t)len, out);
	return tn_name_fold_copied(out, out);
}

int tn_name_measure(const char *in)
{
	if (!in)
		return -EINVAL;
	/* strlen, not strnlen: glibc has just run strlen on the name, so that page of libc is at hand
	 * (placement.h); a caller's name is a C string either way. */
	size_t len = strlen(in);
	if (len > 0 && in[len - 1] == '.')
		len--;
	return len == 0 || len > TN_NAME_MAX ? -EINVAL : (int)len;
}

void tn_name_copy(const char *in, size_t len, struct tn_name *out)
{
	memcpy(out->s, in, len);
	memset(out->s + len, 0, 8); /* the NUL and the padding up to the next multiple of 8 */
	out->len = len;
}

int tn_name_labels_ok(const struct tn_name *n)
{
	const char *label = n->s, *end = n->s + n->len;
	for (;;) {
		const char *dot = memchr(label, '.', (size_t)(end - label));
		const char *stop = dot ? dot : end;
		size_t len = (size_t)(stop - label);
		if (len == 0 || len > TN_LABEL_MAX || label[0] == '-' || stop[-1] == '-')
			return 0;
		if (!dot) {
			/* An all-digit last label makes it an IP literal, not a host name. */
			size_t digits = 0;
			while (digits < len && label[digits] <= '9' && label[digits] >= '0')
				digits++;
			return digits != len;
		}
		label = dot + 1;
	}
}

int tn_name_normalize(const char *in, struct tn_name *out)
{
	int len = tn_name_fold(in, out);
	if (len < 0 || !tn_name_labels_ok(out))
		return -EINVAL;
	const char *dot = memchr(out->s, '.', out->len);
	out->first_label_len = dot ? (size_t)(dot - out->s) : out->len;
	return len;
}

int tn_name_under(const char *name, size_t len, const char *suffix, size_t suffix_len)
{
	if (suffix_len == 0 || len <= suffix_len + 1)
		return 0;
	return name[len - suffix_len - 1] == '.' && memcmp(name + len - suffix_len, suffix, suffix_len) == 0;
}
