/* SPDX-License-Identifier: BSD-3-Clause */
/* options.h - option values and help text that more than one command takes (sync, watch).
 *
 * Contract: the parsers accept exactly what --help promises and nothing else (no trailing junk, no
 * negative or zero values, nothing above the limit); they return 0, or -1 leaving *out alone, and print
 * nothing: the command names the option in its own usage message.
 */
#ifndef TAILNET_OPTIONS_H
#define TAILNET_OPTIONS_H

#include "cache/cache_writer.h" /* TN_MAX_AGE_DEFAULT, TN_MAX_AGE_LIMIT */

/* Help lines shared word for word by the commands that read tailscaled and write the cache. */
#define TN_HELP_SOCKET                                                                                     \
	"  --socket PATH       tailscaled's LocalAPI socket (default: $TAILSCALE_SOCKET, $TS_SOCKET, else\n"   \
	"                      the first that exists of /var/run/tailscale/tailscaled.sock,\n"                \
	"                      /run/tailscale/tailscaled.sock, tailscaled's Synology, Gokrazy and QNAP\n"     \
	"                      paths, /tmp/tailscaled.sock); served by root (or by you), or refused\n"
#define TN_HELP_CACHE "  --cache PATH        cache file (default " TN_DEFAULT_CACHE_PATH ")\n"

/* A whole number of seconds in [1, limit]. */
int tn_parse_seconds(const char *text, long limit, long *out);

/* A decimal number of seconds in (0, limit_s], as milliseconds (at least 1). */
int tn_parse_duration_ms(const char *text, double limit_s, long *out);

#endif
