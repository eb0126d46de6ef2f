/* SPDX-License-Identifier: BSD-3-Clause */
/* status_brief.h - what `up`, `ssh-config` and the summary need to know of tailscaled: its backend state,
 * whether it runs a kernel TUN, the tailnet and this node's name, from GET /localapi/v0/status?peers=false.
 *
 * Contract: tn_brief_parse() reads a status document (peers or not) into fixed-size fields, every string
 * cut to fit and reduced to printable ASCII (they end up on a terminal), Self.DNSName without its trailing
 * dot. Only BackendState is required (a string); everything else may be absent or null in some states
 * (logged out: CurrentTailnet null, DNSName "", TailscaleIPs null) and is then empty, TUN -1. tn_brief_read()
 * fetches the peer-less document (a few kB whatever the tailnet's size) with the LocalAPI's timeouts.
 * Errors follow err.h: TN_EXIT_BAD_ANSWER for a document that is not JSON, too large, or has no string
 * BackendState; the LocalAPI's own codes otherwise.
 */
#ifndef TAILNET_STATUS_BRIEF_H
#define TAILNET_STATUS_BRIEF_H

#include <stddef.h>

#include "shared/err.h"
#include "tailscaled/localapi.h"

#define TN_BRIEF_MAX_BYTES (4 * 1024 * 1024)

struct tn_brief {
	char backend_state[32]; /* "Running", "NeedsLogin", "Starting", "NoState", "Stopped", ... */
	int tun;                /* 1 kernel TUN, 0 userspace networking, -1 not said */
	char version[64];
	char tailnet[256];   /* CurrentTailnet.Name */
	char suffix[256];    /* CurrentTailnet.MagicDNSSuffix */
	char self_fqdn[256]; /* Self.DNSName, no trailing dot */
	char self_host[256]; /* Self.HostName */
	char self_ip[64];    /* the first of Self.TailscaleIPs */
	char auth_url[512];
};

int tn_brief_parse(const char *text, size_t len, struct tn_brief *out, struct tn_error *err);
int tn_brief_read(const struct tn_localapi *api, struct tn_brief *out, struct tn_error *err);

#endif
