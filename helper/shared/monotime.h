/* SPDX-License-Identifier: BSD-3-Clause */
/* monotime.h - reading and spending time in the helper's waiting loops and timeouts.
 *
 * Contract: tn_now_ms() is CLOCK_MONOTONIC in milliseconds, so deadlines never move with the wall clock;
 * tn_sleep_ms() sleeps the whole duration, resuming after a signal handler interrupts it (loops that must
 * wake on signals wait on a descriptor instead, as watch and dns do).
 */
#ifndef TAILNET_MONOTIME_H
#define TAILNET_MONOTIME_H

#include <stdint.h>

int64_t tn_now_ms(void);
void tn_sleep_ms(long ms);

#endif
