/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_nsswitch.c - arbitrary bytes as the hosts line of nsswitch.conf, as `tailnet-helper doctor` reads it
 * (doctor_nss.c): sources, [STATUS=ACTION] blocks, negations, anything. No crash, no read past the line, a
 * status that is one of the four, and a verdict that never passes a line without "tailnet" in it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/doctor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1023)
		return 0;
	char line[1024];
	memcpy(line, data, size);
	line[size] = '\0';
	struct tn_check c;
	memset(&c, 0, sizeof c);
	tn_doctor_hosts_line(line, "nsswitch.conf", size & 1, &c);
	if (c.status != TN_CHECK_OK && c.status != TN_CHECK_WARN && c.status != TN_CHECK_FAIL)
		abort();
	if (c.status != TN_CHECK_FAIL && !strstr(line, "tailnet"))
		abort();
	if (!memchr(c.detail, '\0', sizeof c.detail) || !memchr(c.fix, '\0', sizeof c.fix))
		abort();
	return 0;
}
