/* name.c - see name.h. */
#include "name.h"

#include <errno.h>

static int is_ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int tn_name_normalize(const char *in, struct tn_name *out)
{
	size_t len = 0, label = 0, first = 0;
	int label_all_digits = 1, seen_dot = 0;

	if (!in || !out)
		return -EINVAL;
	for (;; len++) {
		unsigned char c = (unsigned char)in[len];
		if (c == '\0' || (c == '.' && in[len + 1] == '\0')) {
			/* End of name (the trailing dot, if any, is dropped). */
			if (label == 0 || out->s[len - 1] == '-' || label_all_digits)
				return -EINVAL;
			break;
		}
		if (len >= TN_NAME_MAX)
			return -EINVAL;
		if (c == '.') {
			if (label == 0 || out->s[len - 1] == '-')
				return -EINVAL;
			if (!seen_dot)
				first = len;
			seen_dot = 1;
			label = 0;
			label_all_digits = 1;
			out->s[len] = '.';
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		if (!is_ldh(c) || (label == 0 && c == '-') || ++label > TN_LABEL_MAX)
			return -EINVAL;
		if (c < '0' || c > '9')
			label_all_digits = 0;
		out->s[len] = (char)c;
	}
	out->s[len] = '\0';
	out->len = len;
	out->first_label_len = seen_dot ? first : len;
	return (int)len;
}

int tn_name_under(const char *name, size_t len, const char *suffix, size_t suffix_len)
{
	if (suffix_len == 0 || len <= suffix_len + 1)
		return 0;
	return name[len - suffix_len - 1] == '.' && memcmp(name + len - suffix_len, suffix, suffix_len) == 0;
}
