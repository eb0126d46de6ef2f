/* SPDX-License-Identifier: BSD-3-Clause */
/* options.c - see options.h. */
#include "cli/options.h"

#include <errno.h>
#include <stdlib.h>

int tn_parse_seconds(const char *text, long limit, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > limit)
		return -1;
	*out = v;
	return 0;
}

int tn_parse_duration_ms(const char *text, double limit_s, long *out)
{
	char *end;
	errno = 0;
	double v = strtod(text, &end);
	if (errno || end == text || *end || !(v > 0) || v > limit_s)
		return -1;
	*out = (long)(v * 1000) > 0 ? (long)(v * 1000) : 1;
	return 0;
}
