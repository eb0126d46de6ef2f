/* SPDX-License-Identifier: BSD-3-Clause */
/* backoff.c - see backoff.h. */
#include "shared/backoff.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

double tn_backoff_delay(int retry, double jitter)
{
	double d = TN_BACKOFF_BASE_S;
	for (int i = 1; i < retry && d < TN_BACKOFF_CAP_S; i++)
		d *= 2;
	if (d > TN_BACKOFF_CAP_S)
		d = TN_BACKOFF_CAP_S;
	if (jitter < 0)
		jitter = 0;
	if (jitter >= 1)
		jitter = 0.999999;
	return d / 2 + d / 2 * jitter;
}

double tn_jitter01(void)
{
	uint32_t r = 0;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (uint32_t)rand();
	return (double)r / 4294967296.0;
}
