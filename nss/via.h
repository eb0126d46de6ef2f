/* SPDX-License-Identifier: BSD-3-Clause */
/* via.h - 4via6 names: "10-1-1-16-via-7", bare or under a *.ts.net or *.tailscale.net domain, name the IPv6
 * address through which a Tailscale subnet router with site ID 7 reaches 10.1.1.16.
 *
 * Contract: tn_via_parse() is quad-100's resolveViaDomain (tailscale net/dns/resolver/tsdns.go, v1.98.0 to
 * 1.103) on a folded name: at least 13 bytes; "-via-" in it; the first label split at its first "-via-" into
 * an IPv4 address with '-' for '.' (four decimal fields of 0..255 without leading zeros, as netip.ParseAddr)
 * and a site ID (strconv.ParseUint(s, 0, 32): decimal, 0x, 0o, 0b or a leading 0, '_' between digits, at most
 * 4294967295); after the first label nothing, or a domain ending in .ts.net or .tailscale.net with at least one
 * label before it. Daemons before 1.102.0 also took two older forms, "via-7.10.1.1.16" and "10.1.1.16.via-7"
 * (whole names), when `ts_version` says so. The address is tsaddr.MapVia's: fd7a:115c:a1e0:b1a: (the /64 of
 * TailscaleViaRange), the site ID as 32 bits big-endian, then the IPv4 address. Returns 1 with *addr set, or 0.
 * Pure: no I/O, no state.
 */
#ifndef TAILNET_VIA_H
#define TAILNET_VIA_H

#include <stddef.h>
#include <stdint.h>

#include "placement.h"

TN_HOT int tn_via_parse(const char *name, size_t len, uint32_t ts_version, uint8_t addr[16]);

#endif
