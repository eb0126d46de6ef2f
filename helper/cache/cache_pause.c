/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_pause.c - see cache_pause.h. */
#include "cache/cache_pause.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache_writer.h"
#include "nss/cache_format.h"
#include "nss/cache_reader.h"

/* The whole file, or NULL (*len 0) when there is none worth reading; -1 only for a read error. */
static int read_cache(const char *path, uint8_t **img, size_t *len, struct tn_error *err)
{
	struct stat st;
	*img = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : tn_error_set(err, TN_EXIT_FAIL, "cannot read %s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < TN_HDR_SIZE ||
	    (uint64_t)st.st_size > TN_MAX_FILE || !(*img = malloc((size_t)st.st_size))) {
		close(fd);
		return 0;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *img + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return 0;
}

int tn_cache_mark_paused(const char *path, bool paused, bool *changed, struct tn_error *err)
{
	uint8_t *img;
	size_t len;
	struct tn_cache c;
	*changed = false;
	if (read_cache(path, &img, &len, err) < 0)
		return -1;
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
