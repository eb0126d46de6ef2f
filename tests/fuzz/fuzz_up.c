/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_up.c - what `up` reads that others wrote: tailscaled's status brief (status_brief.c), /proc stat
 * lines and pidfiles (pidfile.c). The first byte picks the parser. Beyond not crashing: every brief field
 * is NUL-terminated printable ASCII, a failed brief says TN_EXIT_BAD_ANSWER, and an accepted pidfile line
 * is exactly what the writer would have written for those numbers. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/pidfile.h"
#include "tailscaled/status_brief.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void printable(const char *s, size_t cap)
{
	size_t n = strnlen(s, cap);
	if (n == cap)
		abort();
	for (size_t i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	switch (data[0] % 3) {
	case 0: {
		struct tn_brief b;
		struct tn_error err = {0};
		if (tn_brief_parse(text, len, &b, &err) != 0) {
			if (err.code != TN_EXIT_BAD_ANSWER || !err.msg[0])
				abort();
			break;
		}
		if (!b.backend_state[0] || b.tun < -1 || b.tun > 1)
			abort();
		printable(b.backend_state, sizeof b.backend_state);
		printable(b.version, sizeof b.version);
		printable(b.tailnet, sizeof b.tailnet);
		printable(b.suffix, sizeof b.suffix);
		printable(b.self_fqdn, sizeof b.self_fqdn);
		printable(b.self_host, sizeof b.self_host);
		printable(b.self_ip, sizeof b.self_ip);
		printable(b.auth_url, sizeof b.auth_url);
		break;
	}
	case 1: {
		unsigned long long st;
		int rc = tn_proc_stat_parse(text, len, &st);
		if (rc < -1 || rc > 1)
			abort();
		break;
	}
	default: {
		pid_t pid;
		unsigned long long st;
		if (tn_pidfile_parse(text, len, &pid, &st) != 0)
			break;
		char again[64];
		int n = snprintf(again, sizeof again, "%ld %llu\n", (long)pid, st);
		if (pid <= 0 || !((size_t)n == len || (size_t)n == len + 1) || memcmp(again, text, len) != 0)
			abort();
	}
	}
	return 0;
}
