/* SPDX-License-Identifier: BSD-3-Clause */
/* tun_probe.h - can tailscaled run in kernel TUN mode here?
 *
 * Contract: kernel TUN mode needs the TUN device (normally /dev/net/tun; containers have it only when it
 * is mapped in) to open read-write, and CAP_NET_ADMIN in the effective set to configure the interface it
 * creates. tn_tun_usable() checks exactly those two, creating nothing (no interface is made to find out),
 * and says why not in `why` when the answer is no. Nothing is printed.
 */
#ifndef TAILNET_TUN_PROBE_H
#define TAILNET_TUN_PROBE_H

#include <stddef.h>

#define TN_TUN_DEVICE "/dev/net/tun"

/* 1 usable, 0 not (why set). */
int tn_tun_usable(const char *device, char *why, size_t size);

#endif
