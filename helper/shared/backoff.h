/* SPDX-License-Identifier: BSD-3-Clause */
/* backoff.h - how long to wait before trying again: the one schedule every retrying helper path uses.
 *
 * Contract: tn_backoff_delay() is pure. Retry 1 waits 0.5-1 s, each further retry doubles that, capped at
 * TN_BACKOFF_CAP_S: "equal jitter", a random point in the upper half of the step, so many clients that failed
 * together do not retry together, and no wait is shorter than half its step. tn_jitter01() supplies the random
 * point (getrandom, rand() when that is not available).
 */
#ifndef TAILNET_BACKOFF_H
#define TAILNET_BACKOFF_H

#define TN_BACKOFF_BASE_S 1.0
#define TN_BACKOFF_CAP_S 30.0

/* The wait before retry number `retry` (1 = the first retry) with `jitter` in [0, 1), in seconds. */
double tn_backoff_delay(int retry, double jitter);

/* A random number in [0, 1). */
double tn_jitter01(void);

#endif
