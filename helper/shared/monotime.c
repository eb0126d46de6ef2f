/* SPDX-License-Identifier: BSD-3-Clause */
/* monotime.c - see monotime.h. */
#include "shared/monotime.h"

#include <errno.h>
#include <time.h>

int64_t tn_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void tn_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
