/* SPDX-License-Identifier: BSD-3-Clause */
/* name.c - see name.h. */
#include "name.h"

#include <errno.h>
#include <string.h>

/* Each byte a host name may contain, lower-cased; 0 for every other byte. */
static const unsigned char fold[256] = {
	['-'] = '-', ['.'] = '.', ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4', ['5'] = '5',
	['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9', ['A'] = 'a', ['a'] = 'a', ['B'] = 'b', ['b'] = 'b',
	['C'] = 'c', ['c'] = 'c', ['D'] = 'd', ['d'] = 'd', ['E'] = 'e', ['e'] = 'e', ['F'] = 'f', ['f'] = 'f',
	['G'] = 'g', ['g'] = 'g', ['H'] = 'h', ['h'] = 'h', ['I'] = 'i', ['i'] = 'i', ['J'] = 'j', ['j'] = 'j',
	['K'] = 'k', ['k'] = 'k', ['L'] = 'l', ['l'] = 'l', ['M'] = 'm', ['m'] = 'm', ['N'] = 'n', ['n'] = 'n',
	['O'] = 'o', ['o'] = 'o', ['P'] = 'p', ['p'] = 'p', ['Q'] = 'q', ['q'] = 'q', ['R'] = 'r', ['r'] = 'r',
	['S'] = 's', ['s'] = 's', ['T'] = 't', ['t'] = 't', ['U'] = 'u', ['u'] = 'u', ['V'] = 'v', ['v'] = 'v',
	['W'] = 'w', ['w'] = 'w', ['X'] = 'x', ['x'] = 'x', ['Y'] = 'y', ['y'] = 'y', ['Z'] = 'z', ['z'] = 'z',
};

/* Two passes: a straight fold-and-copy loop with one branch per byte (the NUL), then the label rules at the
 * dots only. Interleaving both cost three times as much: this runs on every lookup. */
int tn_name_normalize(const char *in, struct tn_name *out)
{
	size_t len = 0;
	unsigned bad = 0;

	if (!in || !out)
		return -EINVAL;
	for (;; len++) {
		unsigned char c = (unsigned char)in[len];
		if (c == '\0')
			break;
		if (len > TN_NAME_MAX) /* room for 253 bytes and a trailing dot, no more */
			return -EINVAL;
		out->s[len] = (char)fold[c];
		bad |= fold[c] == 0;
	}
	if (len > 0 && out->s[len - 1] == '.')
		len--; /* one trailing dot */
	if (bad || len == 0 || len > TN_NAME_MAX)
		return -EINVAL;
	out->s[len] = '\0';

	const char *label = out->s, *end = out->s + len;
	for (;;) {
		const char *dot = memchr(label, '.', (size_t)(end - label));
		const char *stop = dot ? dot : end;
		size_t n = (size_t)(stop - label);
		if (n == 0 || n > TN_LABEL_MAX || label[0] == '-' || stop[-1] == '-')
			return -EINVAL;
		if (label == out->s)
			out->first_label_len = n;
		if (!dot) {
			/* An all-digit last label makes it an IP literal, not a host name. */
			size_t digits = 0;
			while (digits < n && label[digits] <= '9' && label[digits] >= '0')
				digits++;
			if (digits == n)
				return -EINVAL;
			break;
		}
		label = dot + 1;
	}
	out->len = len;
	return (int)len;
}

int tn_name_under(const char *name, size_t len, const char *suffix, size_t suffix_len)
{
	if (suffix_len == 0 || len <= suffix_len + 1)
		return 0;
	return name[len - suffix_len - 1] == '.' && memcmp(name + len - suffix_len, suffix, suffix_len) == 0;
}
