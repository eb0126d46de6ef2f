/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_writer.h - turning a finished hostset into a cache file, and replacing the file atomically.
 *
 * Contract: tn_cache_build() is pure and deterministic: the same hostset gives the same bytes (the hash seed
 * starts from a constant and only moves when a probe sequence would exceed TN_MAX_PROBE), so "did the
 * content change?" is a byte comparison of the data pages. tn_cache_update() reads the current cache (if any,
 * with read(2): nobody truncating it can fault the writer), keeps its generation when the content is
 * unchanged and bumps it otherwise, then replaces the file: a new inode in the same directory (O_TMPFILE, so
 * a writer killed halfway leaves nothing; a temp file elsewhere), fsync, rename, fsync of the directory, mode
 * 0644, owned by the caller, signals held off meanwhile. On any failure the old cache is untouched. Readers
 * notice the new file by its identity (cache_current.h). Errors follow err.h.
 */
#ifndef TAILNET_CACHE_WRITER_H
#define TAILNET_CACHE_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache/hostset.h"
#include "shared/err.h"

/* How long, in seconds, the module trusts a cache nobody refreshes (--max-age): default and upper limit. */
#define TN_MAX_AGE_DEFAULT 86400L
#define TN_MAX_AGE_LIMIT (10L * 366 * 86400)

struct tn_cache_meta {
	uint64_t generation;
	int64_t written_at, valid_until;
};

/* Builds an image into a malloc'd buffer (caller frees). */
int tn_cache_build(const struct tn_hostset *hs, const struct tn_cache_meta *meta, uint8_t **out, size_t *out_len,
		   struct tn_error *err);

/* Recomputes every checksum of an image from its header (the pages, then page 0): the last step of a build,
 * and how tests and fuzzers give damaged images valid checksums. */
void tn_cache_checksum_all(uint8_t *img, size_t len);

/* The file's bytes (read(2), so one truncated meanwhile cannot fault us), or NULL when it is missing, not a
 * regular file, or not a size a cache can have. The caller frees them. */
uint8_t *tn_cache_read(const char *path, size_t *len);

/* Replaces `path` with the image (creating its directory, mode 0755, when missing). */
int tn_cache_write(const char *path, const uint8_t *img, size_t len, struct tn_error *err);

/* An image this process wrote and the file it became (identity right after the rename). */
struct tn_cache_image {
	uint8_t *bytes;
	size_t len;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

void tn_cache_image_free(struct tn_cache_image *im);

struct tn_update_opts {
	int64_t max_age;        /* seconds the module may trust the cache: valid_until = now + max_age */
	bool skip_if_unchanged; /* keep the file when the content is the same and it is younger than max_age/2 */
	/* NULL, or the caller's last image (zeroed at first): while the file is still that one, the update compares
	 * with it instead of reading the file back and checking every page (the watcher writes every few seconds);
	 * it is replaced by each image written. */
	struct tn_cache_image *keep;
};

struct tn_update_result {
	bool written;  /* the file was replaced */
	bool changed;  /* its content differs from what was there before */
	uint64_t generation;
	size_t bytes, names, nodes;
};

int tn_cache_update(const char *path, const struct tn_hostset *hs, const struct tn_update_opts *opts,
		    struct tn_update_result *res, struct tn_error *err);

#endif
