/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_pause.c - see cache_pause.h. */
#include "cache/cache_pause.h"

#include <stdlib.h>

#include "cache/cache_writer.h"
#include "nss/cache_format.h"
#include "nss/cache_reader.h"

int tn_cache_mark_paused(const char *path, bool paused, bool *changed, struct tn_error *err)
{
	size_t len = 0;
	struct tn_cache c;
	*changed = false;
	uint8_t *img = tn_cache_read(path, &len);
	if (!img || tn_cache_parse(img, len, &c, NULL) != 0 || !!(c.flags & TN_FLAG_PAUSED) == paused) {
		free(img);
		return 0;
	}
	tn_put32(img + TN_HDR_FLAGS, c.flags ^ TN_FLAG_PAUSED);
	tn_put64(img + TN_HDR_GENERATION, c.generation + 1);
	tn_cache_checksum_all(img, len); /* the pages' checksums start from the generation */
	int rc = tn_cache_write(path, img, len, err);
	free(img);
	*changed = rc == 0;
	return rc;
}
