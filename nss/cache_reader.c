/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_reader.c - see cache_reader.h. */
#include "cache_reader.h"

#include <errno.h>
#include <string.h>

#include "crc32c.h"

#define FAIL(err, reason)                                                                                  \
	do {                                                                                               \
		if (why)                                                                                   \
			*why = (reason);                                                                   \
		return -(err);                                                                             \
	} while (0)

/* Bytes a stored name may contain: what tn_name_normalize() produces. */
static const uint8_t name_byte[256] = {
	['-'] = 1, ['.'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* A section [off, off + count * size) must be 8-aligned and inside the data pages. */
static int section_ok(uint32_t data_end, uint32_t off, uint64_t count, uint64_t size)
{
	uint64_t bytes = count * size; /* both < 2^32: cannot overflow */
	return off % 8 == 0 && off >= TN_PAGE && off <= data_end && bytes <= data_end - off;
}

static int is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

int tn_cache_parse_header(const uint8_t *base, size_t len, struct tn_cache *c, const char **why)
{
	memset(c, 0, sizeof *c);
	if (len < TN_PAGE)
		FAIL(EBADMSG, "file is shorter than the cache header (truncated)");
	if (memcmp(base + TN_HDR_MAGIC, TN_MAGIC, 8) != 0)
		FAIL(EBADMSG, "not a tailnet cache (bad magic)");
	if (tn_le32(base + TN_HDR_ENDIAN) != TN_ENDIAN_MARK)
		FAIL(EBADMSG, "cache has the wrong byte order");
	if (tn_le32(base + TN_HDR_VERSION) != TN_VERSION)
		FAIL(EBADMSG, "cache format version is not supported by this build (run tailnet-helper sync again)");
	if (tn_le32(base + TN_HDR_HDRLEN) != TN_HDR_SIZE)
		FAIL(EBADMSG, "cache header length is wrong");
	if (tn_le64(base + TN_HDR_TOTAL) != len || len % TN_PAGE != 0)
		FAIL(EBADMSG, "cache length does not match its header (truncated or padded)");
	if (len > TN_MAX_FILE)
		FAIL(EFBIG, "cache is larger than the module accepts");
	if (tn_cache_header_crc(base) != tn_le32(base + TN_HDR_CHECKSUM))
		FAIL(EBADMSG, "cache checksum mismatch (corrupt)");

	c->base = base;
	c->len = len;
	c->flags = tn_le32(base + TN_HDR_FLAGS);
	c->data_pages = tn_le32(base + TN_HDR_DATA_PAGES);
	c->seed = tn_le32(base + TN_HDR_SEED);
	c->max_probe = tn_le32(base + TN_HDR_MAX_PROBE);
	c->generation = tn_le64(base + TN_HDR_GENERATION);
	c->written_at = (int64_t)tn_le64(base + TN_HDR_WRITTEN_AT);
	c->valid_until = (int64_t)tn_le64(base + TN_HDR_VALID_UNTIL);
	c->node_off = tn_le32(base + TN_HDR_NODE_OFF);
	c->node_count = tn_le32(base + TN_HDR_NODE_COUNT);
	c->addr_off = tn_le32(base + TN_HDR_ADDR_OFF);
	c->addr_count = tn_le32(base + TN_HDR_ADDR_COUNT);
	c->fwd_off = tn_le32(base + TN_HDR_FWD_OFF);
	c->rev_off = tn_le32(base + TN_HDR_REV_OFF);
	c->str_off = tn_le32(base + TN_HDR_STR_OFF);
	c->str_len = tn_le32(base + TN_HDR_STR_LEN);
	c->name_count = tn_le32(base + TN_HDR_NAME_COUNT);
	uint32_t fwd_buckets = tn_le32(base + TN_HDR_FWD_BUCKETS), rev_buckets = tn_le32(base + TN_HDR_REV_BUCKETS);
	uint32_t suffix_len = tn_le32(base + TN_HDR_SUFFIX_LEN);

	c->ts_version = tn_le32(base + TN_HDR_TS_VERSION);
	if (c->flags & ~TN_FLAGS_KNOWN || tn_le32(base + TN_HDR_RESERVED) != 0)
		FAIL(EBADMSG, "cache header has unknown flags");
	uint32_t l1 = tn_l1_pages(c->data_pages);
	if (c->data_pages == 0 || l1 > TN_L2_MAX || (uint64_t)(1 + c->data_pages + l1) * TN_PAGE != len)
		FAIL(EBADMSG, "cache page counts do not match its length");
	c->data_end = (1 + c->data_pages) * TN_PAGE;
	if (c->max_probe == 0 || c->max_probe > TN_MAX_PROBE || !is_pow2(fwd_buckets) || !is_pow2(rev_buckets) ||
	    c->node_count > TN_REF_INDEX || c->addr_count > TN_REF_INDEX)
		FAIL(EBADMSG, "cache index parameters are out of range");
	if (!section_ok(c->data_end, c->node_off, c->node_count, TN_NODE_SIZE) ||
	    !section_ok(c->data_end, c->addr_off, c->addr_count, TN_ADDR_SIZE) ||
	    !section_ok(c->data_end, c->fwd_off, fwd_buckets, TN_BUCKET_SIZE) ||
	    !section_ok(c->data_end, c->rev_off, rev_buckets, TN_BUCKET_SIZE) ||
	    !section_ok(c->data_end, c->str_off, c->str_len, 1) || c->str_len == 0)
		FAIL(EBADMSG, "a cache section lies outside the file");
	c->fwd_mask = fwd_buckets - 1;
	c->rev_mask = rev_buckets - 1;
	const char *suffix = (const char *)base + TN_SUFFIX_OFF;
	unsigned ok = suffix_len < TN_SUFFIX_SIZE && suffix_len <= TN_NAME_MAX && suffix[suffix_len] == '\0';
	for (uint32_t i = 0; ok && i < suffix_len; i++)
		ok &= name_byte[(unsigned char)suffix[i]];
	if (!ok)
		FAIL(EBADMSG, "cache suffix is damaged");
	c->suffix = suffix;
	c->suffix_len = suffix_len;
	return 0;
}

uint32_t tn_cache_l1_page(const struct tn_cache *c, uint32_t page)
{
	if (page == 0 || page > c->data_pages)
		return 0;
	return 1 + c->data_pages + (page - 1) / TN_CRCS_PER_PAGE;
}

int tn_cache_expected_crc(const struct tn_cache *c, uint32_t page, uint32_t *crc)
{
	uint32_t total = (uint32_t)(c->len / TN_PAGE);
	if (page == 0 || page >= total)
		return -1;
	if (page > c->data_pages) /* a level-1 page: its checksum is in page 0 */
		*crc = tn_le32(c->base + TN_L2_OFF + (size_t)(page - 1 - c->data_pages) * 4);
	else
		*crc = tn_cache_crc_in_l1(c->base + (size_t)tn_cache_l1_page(c, page) * TN_PAGE, page);
	return 0;
}

int tn_cache_parse(const uint8_t *base, size_t len, struct tn_cache *c, const char **why)
{
	int rc = tn_cache_parse_header(base, len, c, why);
	if (rc != 0)
		return rc;
	/* Level-1 pages first: the data pages' checksums are read from them. */
	uint32_t total = (uint32_t)(len / TN_PAGE);
	for (uint32_t p = total - 1; p >= 1; p--) {
		uint32_t want;
		if (tn_cache_expected_crc(c, p, &want) != 0 ||
		    tn_cache_page_crc(c->generation, c->written_at, p, base + (size_t)p * TN_PAGE) != want) {
			memset(c, 0, sizeof *c);
			FAIL(EBADMSG, "cache checksum mismatch (corrupt)");
		}
	}
	return 0;
}

/* The slow side of section_bytes(): the pages under the range brought in (or the bytes borrowed), and where
 * the bytes are then; NULL when one cannot be had. */
TN_COLD static const uint8_t *fetch_range(const struct tn_cache *c, uint32_t first, uint32_t last, uint64_t off,
				  uint64_t len)
{
	if (c->borrow)
		return c->borrow(c, off, len);
	for (uint32_t p = first; p <= last; p++)
		if (__atomic_load_n(&c->page_ready[p], __ATOMIC_ACQUIRE) != 1 && c->load(c, p) != 0)
			return NULL;
	return c->base + off;
}

/* `len` (> 0) bytes at `off`, a range inside a section tn_cache_parse_header() checked lies within the data
 * pages (the callers bound every index by the header's counts, every record's offsets by their section), with
 * the pages under it present and verified; NULL when one cannot be had. The one way a lookup touches anything
 * past page 0, so it is inline for the common case: a range inside one page that is already here. */
static inline const uint8_t *section_bytes(const struct tn_cache *c, uint64_t off, uint64_t len)
{
	if (c->page_ready) {
		uint32_t first = (uint32_t)(off / TN_PAGE), last = (uint32_t)((off + len - 1) / TN_PAGE);
		if (first != last || __atomic_load_n(&c->page_ready[first], __ATOMIC_ACQUIRE) != 1)
			return fetch_range(c, first, last, off, len);
	}
	return c->base + off;
}

/* Fills a hit from node `idx`, bounds-checking everything the record points at (O(1)). Inline in each lookup:
 * it is most of one. */
static inline __attribute__((always_inline)) int load_node(const struct tn_cache *c, uint32_t idx, struct tn_hit *hit)
{
	if (idx >= c->node_count)
		return 0;
	const uint8_t *n = section_bytes(c, c->node_off + (uint64_t)idx * TN_NODE_SIZE, TN_NODE_SIZE);
	if (!n)
		return 0;
	uint32_t name_off = tn_le32(n + TN_NODE_NAME_OFF), first = tn_le32(n + TN_NODE_ADDR_FIRST);
	uint16_t name_len = n[TN_NODE_NAME_LEN], bare_len = n[TN_NODE_BARE_LEN], flags = tn_le16(n + TN_NODE_FLAGS);
	uint16_t n4 = tn_le16(n + TN_NODE_N4), n6 = tn_le16(n + TN_NODE_N6);
	if (name_len == 0 || bare_len >= name_len || name_off >= c->str_len || name_len >= c->str_len - name_off)
		return 0;
	if (first > c->addr_count || (uint32_t)n4 + n6 > c->addr_count - first || n4 + n6 == 0 ||
	    flags & ~TN_NODE_F_KNOWN)
		return 0;
	const uint8_t *name = section_bytes(c, (uint64_t)c->str_off + name_off, (uint64_t)name_len + 1);
	const uint8_t *addrs = section_bytes(c, c->addr_off + (uint64_t)first * TN_ADDR_SIZE,
					     (uint64_t)(n4 + n6) * TN_ADDR_SIZE);
	if (!name || name[name_len] != '\0' || (bare_len && name[bare_len] != '.') || !addrs)
		return 0;
	hit->node = idx;
	hit->fqdn = (const char *)name;
	hit->fqdn_len = name_len;
	hit->bare_len = bare_len;
	hit->flags = flags;
	hit->addrs = addrs;
	hit->n4 = n4;
	hit->n6 = n6;
	hit->via_bare = 0;
	return 1;
}

/* memcmp() == 0, inline: one page of libc fewer for a hit to touch (placement.h). */
static inline int same_bytes(const char *a, const char *b, size_t len)
{
	uint64_t diff = 0, x, y;
	for (; len >= 8; a += 8, b += 8, len -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		diff |= x ^ y;
	}
	while (len--)
		diff |= (uint8_t)(*a++ ^ *b++);
	return diff == 0;
}

TN_HOT static int find(const struct tn_cache *c, const char *name, size_t len, uint32_t h, struct tn_hit *hit)
{
	for (uint32_t i = 0; i < c->max_probe; i++) {
		const uint8_t *bk = section_bytes(c, c->fwd_off + (uint64_t)((h + i) & c->fwd_mask) * TN_BUCKET_SIZE,
						  TN_BUCKET_SIZE);
		if (!bk)
			return 0;
		uint32_t ref = tn_le32(bk + TN_BUCKET_REF);
		if (ref == 0)
			return 0;
		if (tn_le32(bk + TN_BUCKET_HASH) != h || !load_node(c, (ref & TN_REF_INDEX) - 1, hit))
			continue;
		int bare = (ref & TN_REF_BARE) != 0;
		size_t key_len = bare ? hit->bare_len : hit->fqdn_len;
		if (key_len == len && same_bytes(hit->fqdn, name, len)) {
			hit->via_bare = bare;
			return 1;
		}
	}
	return 0;
}

int tn_cache_find_name(const struct tn_cache *c, const char *name, size_t len, struct tn_hit *hit)
{
	return find(c, name, len, tn_hash(c->seed, name, len), hit);
}

int tn_cache_find_padded(const struct tn_cache *c, const char *s, size_t len, struct tn_hit *hit)
{
	return find(c, s, len, tn_hash_padded(c->seed, s, len), hit);
}

int tn_cache_find_key(const struct tn_cache *c, const struct tn_name *n, struct tn_hit *hit)
{
	return tn_cache_find_padded(c, n->s, n->len, hit);
}

int tn_cache_find_addr(const struct tn_cache *c, const uint8_t addr[16], struct tn_hit *hit)
{
	uint32_t h = tn_hash(c->seed, addr, 16);
	for (uint32_t i = 0; i < c->max_probe; i++) {
		const uint8_t *bk = section_bytes(c, c->rev_off + (uint64_t)((h + i) & c->rev_mask) * TN_BUCKET_SIZE,
						  TN_BUCKET_SIZE);
		if (!bk)
			return 0;
		uint32_t ref = tn_le32(bk + TN_BUCKET_REF);
		if (ref == 0)
			return 0;
		uint32_t idx = (ref & TN_REF_INDEX) - 1;
		if (tn_le32(bk + TN_BUCKET_HASH) != h || idx >= c->addr_count)
			continue;
		const uint8_t *r = section_bytes(c, c->addr_off + (uint64_t)idx * TN_ADDR_SIZE, TN_ADDR_SIZE);
		if (r && memcmp(r + TN_ADDR_BYTES, addr, 16) == 0)
			return load_node(c, tn_le32(r + TN_ADDR_NODE), hit);
	}
	return 0;
}

int tn_cache_node(const struct tn_cache *c, uint32_t idx, struct tn_hit *hit)
{
	return load_node(c, idx, hit);
}
