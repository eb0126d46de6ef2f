/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_reader.h - opening, validating and querying a cache file (format: cache_format.h).
 *
 * Contract: the file is hostile until proven otherwise. tn_cache_open() opens it without following a final
 * symlink and without blocking (a FIFO is refused, not waited on), refuses anything that is not a regular
 * file owned by root (or TN_CACHE_UID) and unwritable by group and others in a directory with the same
 * properties, maps it read-only, closes the descriptor at once, and validates EVERY offset, count and record
 * plus the checksum: that O(size) work happens once per open. After it, tn_cache_find_name/_addr cost O(1)
 * (at most max_probe <= TN_MAX_PROBE buckets) and still bounds-check each record they touch, so a file
 * changed in place after validation can give wrong answers but never an out-of-bounds read.
 *
 * Errors: functions return 0 (or 1 = found) on success and -errno on failure: -ENOENT missing, -EACCES
 * unreadable, -EPERM wrong type/owner/mode, -EFBIG too large, -EBADMSG corrupt, truncated, wrong magic,
 * version or endianness, -ESTALE past valid_until (tn_cache_expired), -ENOMEM. `*why`, when non-NULL, gets a
 * static English reason for operators (the helper prints it; the module never prints anything).
 * Nothing here allocates memory, reads the environment, or keeps state: it is safe in any process.
 */
#ifndef TAILNET_CACHE_READER_H
#define TAILNET_CACHE_READER_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache_format.h"

/* A validated image: header fields copied out (so a later in-place change cannot move the bounds). */
struct tn_cache {
	const uint8_t *base;
	size_t len;
	uint32_t flags, seed, max_probe;
	uint64_t generation;
	int64_t written_at, valid_until;
	const char *suffix; /* NUL-terminated, in the string table; "" when none */
	uint32_t suffix_len;
	uint32_t node_off, node_count;
	uint32_t addr_off, addr_count;
	uint32_t fwd_off, fwd_mask;
	uint32_t rev_off, rev_mask;
	uint32_t str_off, str_len;
	uint32_t name_count;
};

/* An opened, mapped, validated file and the identity it was opened with. */
struct tn_cache_file {
	struct tn_cache c;
	dev_t dev;
	ino_t ino;
	struct timespec mtime, ctime;
};

/* One answer: pointers into the mapping, valid until the file is closed. */
struct tn_hit {
	uint32_t node;
	const char *fqdn; /* NUL-terminated */
	uint16_t fqdn_len, bare_len;
	const uint8_t *addrs; /* n4 + n6 records of TN_ADDR_SIZE bytes, IPv4 first */
	uint16_t n4, n6;
	int via_bare; /* the key that matched was the bare name */
};

/* Validates a whole image in memory (the writer uses it to check its own output). */
int tn_cache_parse(const uint8_t *base, size_t len, struct tn_cache *out, const char **why);

int tn_cache_open(const char *path, struct tn_cache_file *out, const char **why);
void tn_cache_close(struct tn_cache_file *f);

/* 1 when `now` (unix seconds) is past the cache's valid_until. */
int tn_cache_expired(const struct tn_cache *c, int64_t now);

/* Forward lookup of a name already normalised by tn_name_normalize(): 1 found, 0 not found. */
int tn_cache_find_name(const struct tn_cache *c, const char *name, size_t len, struct tn_hit *hit);
/* Reverse lookup of a 16-byte address (IPv4 as ::ffff:a.b.c.d): 1 found, 0 not found. */
int tn_cache_find_addr(const struct tn_cache *c, const uint8_t addr[16], struct tn_hit *hit);
/* Node by index, for enumeration (0 <= idx < node_count): 1 ok, 0 out of range or damaged. */
int tn_cache_node(const struct tn_cache *c, uint32_t idx, struct tn_hit *hit);

/* The i-th address of a hit (16 bytes). */
static inline const uint8_t *tn_hit_addr(const struct tn_hit *h, unsigned i)
{
	return h->addrs + (size_t)i * TN_ADDR_SIZE;
}

#endif
