/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_config.c - the config parser on arbitrary bytes: no crash, no leak, and every accepted entry is a known
 * key with a value free of control characters, readable back through tn_config_get(). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mint/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_config cfg;
	struct tn_error err = {0};
	if (tn_config_parse(&cfg, "fuzz.conf", (const char *)data, size, &err) != 0) {
		if (!err.msg[0] || cfg.count || cfg.entries)
			abort();
		return 0;
	}
	for (size_t i = 0; i < cfg.count; i++) {
		const struct tn_config_entry *e = &cfg.entries[i];
		if (tn_config_get(&cfg, e->key) != e->value)
			abort(); /* keys are unique, so the lookup finds this very entry */
		for (const char *v = e->value; *v; v++)
			if ((unsigned char)*v < 0x20 && *v != '\t')
				abort();
	}
	tn_config_free(&cfg);
	return 0;
}
