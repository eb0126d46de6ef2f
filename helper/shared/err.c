/* SPDX-License-Identifier: BSD-3-Clause */
/* err.c - formatting for struct tn_error (see err.h). */
#include "shared/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int tn_error_set(struct tn_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
	err->code = code;
	return -1;
}

int tn_error_wrap(struct tn_error *err, const char *fmt, ...)
{
	if (!err)
		return -1;
	char prefix[256], old[sizeof err->msg];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	size_t n = strlen(prefix);
	if (n >= sizeof err->msg)
		n = sizeof err->msg - 1;
	memcpy(err->msg, prefix, n);
	size_t rest = strnlen(old, sizeof old - 1);
	if (rest > sizeof err->msg - 1 - n)
		rest = sizeof err->msg - 1 - n;
	memcpy(err->msg + n, old, rest);
	err->msg[n + rest] = '\0';
	return -1;
}

const char *tn_error_printable(const char *text, char *out, size_t size)
{
	size_t i = 0;
	for (; text[i] && i + 1 < size; i++)
		out[i] = text[i] >= 0x20 && text[i] < 0x7f ? text[i] : '?';
	out[i] = '\0';
	return out;
}
