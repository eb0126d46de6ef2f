/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_reader.h - validating and querying a cache image (format: cache_format.h).
 *
 * Contract: an image is hostile until proven otherwise. tn_cache_parse_header() checks page 0 alone: magic,
 * version, byte order, its checksum, the suffix, and that every section lies inside the data pages. That is
 * all the work done before the first lookup, the same for 10 peers as for 100,000. Every later read lies
 * inside a section the header check bounded (each index is checked against the header's counts, each offset
 * a record holds against its section) and goes through cache_reader.c's section_bytes(), which makes sure
 * the pages under it are present and verified against their checksums before a byte is read (the image's
 * page loader, see cache_file.h, fetches them on first use); records are checked as they are read (every
 * offset and count, the NUL after each name). So a damaged, truncated or rewritten file gives no answer, never
 * an out-of-bounds read and never a page that is not the one the header describes. tn_cache_parse() takes a
 * whole image held in memory, checks the header the same way and then verifies every page (the writer checks
 * its own output with it; tests and fuzzers use it).
 *
 * Errors: functions return 0 (or 1 = found) on success and -errno on failure: -EBADMSG corrupt, truncated,
 * wrong magic, version or endianness, -EFBIG too large, -ESTALE past valid_until (tn_cache_expired). `*why`,
 * when non-NULL, gets a static English reason for operators (the helper prints it; the module never prints
 * anything). Lookups return 0 both for "not there" and for "a page could not be read"; the loader records the
 * latter (cache_file.h). Nothing here allocates memory, reads the environment or does I/O.
 */
#ifndef TAILNET_CACHE_READER_H
#define TAILNET_CACHE_READER_H

#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cache_format.h"
#include "name.h"
#include "placement.h"

struct tn_cache;

/* Brings page `page` (1 <= page, not page 0) in and verifies it; 0, or -1 when it cannot be had. */
typedef int (*tn_page_loader)(const struct tn_cache *c, uint32_t page);
/* Where the `len` bytes at `off` (inside the data pages) can be read, taken from verified pages; NULL when one
 * cannot be had. */
typedef const uint8_t *(*tn_range_loader)(const struct tn_cache *c, uint64_t off, uint64_t len);

/* A checked header, its fields copied out, and where the image's bytes are: every page at base (page_ready
 * NULL), or each page there once its page_ready byte says so (`load` puts it there). With `borrow` set as
 * well, a page that is not there is not put there: the lookup asks `borrow` for the bytes it reads (a lookup
 * that keeps nothing, see cache_file.h). */
struct tn_cache {
	const uint8_t *base;  /* the image's bytes at their file offsets (only verified pages may be read) */
	size_t len;
	uint8_t *page_ready;    /* per page, nonzero once present at base and verified; NULL: every page is */
	tn_page_loader load;    /* with page_ready: fetches a missing page */
	uint32_t flags, seed, max_probe;
	uint64_t generation;
	int64_t written_at, valid_until;
	const char *suffix; /* NUL-terminated, in page 0; "" when none */
	uint32_t suffix_len;
	uint32_t node_off, node_count;
	uint32_t addr_off, addr_count;
	uint32_t fwd_off, fwd_mask;
	uint32_t rev_off, rev_mask;
	uint32_t str_off, str_len;
	uint32_t name_count;
	uint32_t ts_version; /* the daemon's version (cache_format.h), 0 when unknown */
	uint32_t data_pages, data_end; /* data_end = (1 + data_pages) * TN_PAGE */
	/* Last, to leave the fields every lookup reads where they were. */
	tn_range_loader borrow; /* with page_ready: where bytes on pages that are not there are instead */
	int *suffix_walk;       /* the open file's word for scope.c's memo of the walk above the suffix; or NULL */
};

/* One answer: pointers into the image, valid while it is. */
struct tn_hit {
	uint32_t node;
	const char *fqdn; /* NUL-terminated */
	uint16_t fqdn_len, bare_len;
	uint16_t flags;       /* TN_NODE_F_* */
	const uint8_t *addrs; /* n4 + n6 records of TN_ADDR_SIZE bytes, IPv4 first */
	uint16_t n4, n6;
	int via_bare; /* the key that matched was the bare name */
};

/* Page 0 of an image `len` bytes long (the file's size), checked; `c->base` is set to `page0`, whose first
 * TN_PAGE bytes must be present. The caller sets page_ready and load when the rest is fetched lazily. */
TN_COLD int tn_cache_parse_header(const uint8_t *page0, size_t len, struct tn_cache *out, const char **why);

/* A whole image in memory: the header, then every page's checksum. */
TN_COLD int tn_cache_parse(const uint8_t *base, size_t len, struct tn_cache *out, const char **why);

/* The checksum that page `page` (>= 1) must have, read from page 0 (level-1 pages) or from its level-1 page
 * (data pages), which must be present at base. 0 and *crc set, or -1 when `page` is out of range. */
TN_COLD int tn_cache_expected_crc(const struct tn_cache *c, uint32_t page, uint32_t *crc);
/* The level-1 page that holds a data page's checksum, or 0 when `page` is not a data page. */
TN_COLD uint32_t tn_cache_l1_page(const struct tn_cache *c, uint32_t page);
/* The checksum of data page `page` as its level-1 page, verified and held at `l1`, records it. */
static inline uint32_t tn_cache_crc_in_l1(const uint8_t *l1, uint32_t page)
{
	return tn_le32(l1 + (size_t)((page - 1) % TN_CRCS_PER_PAGE) * 4);
}

/* 1 when `now` (unix seconds) is past the cache's valid_until. */
static inline int tn_cache_expired(const struct tn_cache *c, int64_t now)
{
	return now > c->valid_until;
}

/* Forward lookup of a name already normalised by tn_name_normalize(): 1 found, 0 not found. */
int tn_cache_find_name(const struct tn_cache *c, const char *name, size_t len, struct tn_hit *hit);
/* The same for a name folded by tn_name_fold() (zero-padded: hashed a word at a time). */
int tn_cache_find_key(const struct tn_cache *c, const struct tn_name *n, struct tn_hit *hit);
/* The same for `len` bytes followed by at least 8 zero bytes, such as a name a folded name ends with. */
int tn_cache_find_padded(const struct tn_cache *c, const char *s, size_t len, struct tn_hit *hit);
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
