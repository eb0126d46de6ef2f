/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_reader.c - see cache_reader.h. */
#include "cache_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"

#define FAIL(err, reason)                                                                                  \
	do {                                                                                               \
		if (why)                                                                                   \
			*why = (reason);                                                                   \
		return -(err);                                                                             \
	} while (0)

/* ::ffff:0:0/96, the prefix IPv4 addresses are stored under: first 8 bytes zero, then 00 00 ff ff. */
static int is_v4_mapped(const uint8_t *a)
{
	return tn_le64(a) == 0 && tn_le32(a + 8) == 0xffff0000u;
}

/* Bytes a stored name may contain: what tn_name_normalize() produces. A table, because validation walks
 * every name of the file once per process and per-byte branches would dominate it. */
static const uint8_t name_byte[256] = {
	['-'] = 1, ['.'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	['7'] = 1, ['8'] = 1, ['9'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1,
	['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1,
	['y'] = 1, ['z'] = 1,
};

/* A section [off, off + count * size) must be 8-aligned, after the header and inside the file. */
static int section_ok(size_t len, uint32_t off, uint64_t count, uint64_t size)
{
	uint64_t bytes = count * size; /* both < 2^32: cannot overflow */
	return off % 8 == 0 && off >= TN_HDR_SIZE && off <= len && bytes <= len - off;
}

static int is_pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

/* A stored name: in bounds, NUL-terminated, and exactly what tn_name_normalize() would produce. */
static int stored_name_ok(const struct tn_cache *c, uint32_t off, uint32_t len)
{
	const char *s = (const char *)c->base + c->str_off;
	if (len == 0 || len > TN_NAME_MAX || off >= c->str_len || len >= c->str_len - off || s[off + len] != '\0')
		return 0;
	unsigned ok = 1;
	for (uint32_t i = 0; i < len; i++)
		ok &= name_byte[(unsigned char)s[off + i]];
	return ok;
}

static const uint8_t *node_rec(const struct tn_cache *c, uint32_t idx)
{
	return c->base + c->node_off + (size_t)idx * TN_NODE_SIZE;
}

static const uint8_t *addr_rec(const struct tn_cache *c, uint32_t idx)
{
	return c->base + c->addr_off + (size_t)idx * TN_ADDR_SIZE;
}

/* Fills a hit from node `idx`, bounds-checking everything the record points at (O(1)). */
static int load_node(const struct tn_cache *c, uint32_t idx, struct tn_hit *hit)
{
	if (idx >= c->node_count)
		return 0;
	const uint8_t *n = node_rec(c, idx);
	uint32_t name_off = tn_le32(n + TN_NODE_NAME_OFF), first = tn_le32(n + TN_NODE_ADDR_FIRST);
	uint16_t name_len = tn_le16(n + TN_NODE_NAME_LEN), bare_len = tn_le16(n + TN_NODE_BARE_LEN);
	uint16_t n4 = tn_le16(n + TN_NODE_N4), n6 = tn_le16(n + TN_NODE_N6);
	if (name_len == 0 || name_off >= c->str_len || name_len >= c->str_len - name_off)
		return 0;
	if (bare_len >= name_len || first > c->addr_count || (uint32_t)n4 + n6 > c->addr_count - first)
		return 0;
	hit->node = idx;
	hit->fqdn = (const char *)c->base + c->str_off + name_off;
	hit->fqdn_len = name_len;
	hit->bare_len = bare_len;
	hit->addrs = addr_rec(c, first);
	hit->n4 = n4;
	hit->n6 = n6;
	hit->via_bare = 0;
	return 1;
}

static int validate_nodes(const struct tn_cache *c)
{
	for (uint32_t i = 0; i < c->node_count; i++) {
		struct tn_hit h;
		const uint8_t *n = node_rec(c, i);
		if (!load_node(c, i, &h) || !stored_name_ok(c, tn_le32(n + TN_NODE_NAME_OFF), h.fqdn_len))
			return 0;
		if (h.bare_len && h.fqdn[h.bare_len] != '.')
			return 0;
		if (h.n4 + h.n6 == 0)
			return 0;
		for (unsigned a = 0; a < (unsigned)h.n4 + h.n6; a++) {
			const uint8_t *r = tn_hit_addr(&h, a);
			int is4 = is_v4_mapped(r + TN_ADDR_BYTES);
			if (is4 != (a < h.n4) || tn_le32(r + TN_ADDR_NODE) != i)
				return 0;
		}
	}
	return 1;
}

/* Every occupied bucket points at a real record and sits within max_probe of its home slot, so a lookup
 * that gives up after max_probe buckets never misses a key that is present. */
static int validate_table(const struct tn_cache *c, uint32_t off, uint32_t mask, int forward)
{
	/* Branch-free: half the buckets are empty at random, and a branch per bucket would mispredict. */
	uint32_t used = 0, bad = 0, limit = forward ? c->node_count : c->addr_count;
	uint32_t flag_mask = forward ? 0 : TN_REF_BARE;
	for (uint32_t b = 0; b <= mask; b++) {
		const uint8_t *bk = c->base + off + (size_t)b * TN_BUCKET_SIZE;
		uint32_t ref = tn_le32(bk + TN_BUCKET_REF), hash = tn_le32(bk + TN_BUCKET_HASH);
		uint32_t occupied = ref != 0, idx = (ref & TN_REF_INDEX) - 1;
		bad |= occupied & ((idx >= limit) | ((ref & flag_mask) != 0) | (((b - hash) & mask) >= c->max_probe));
		used += occupied;
	}
	return !bad && used <= mask; /* at least one empty bucket: every probe sequence terminates */
}

int tn_cache_parse(const uint8_t *base, size_t len, struct tn_cache *c, const char **why)
{
	if (len < TN_HDR_SIZE)
		FAIL(EBADMSG, "file is shorter than the cache header (truncated)");
	if (memcmp(base + TN_HDR_MAGIC, TN_MAGIC, 8) != 0)
		FAIL(EBADMSG, "not a tailnet cache (bad magic)");
	if (tn_le32(base + TN_HDR_ENDIAN) != TN_ENDIAN_MARK)
		FAIL(EBADMSG, "cache has the wrong byte order");
	if (tn_le32(base + TN_HDR_VERSION) != TN_VERSION)
		FAIL(EBADMSG, "cache format version is not supported by this build");
	if (tn_le32(base + TN_HDR_HDRLEN) != TN_HDR_SIZE)
		FAIL(EBADMSG, "cache header length is wrong");
	if (tn_le64(base + TN_HDR_TOTAL) != len)
		FAIL(EBADMSG, "cache length does not match its header (truncated or padded)");
	if (len > TN_MAX_FILE)
		FAIL(EFBIG, "cache is larger than the module accepts");

	memset(c, 0, sizeof *c);
	c->base = base;
	c->len = len;
	c->flags = tn_le32(base + TN_HDR_FLAGS);
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
	uint32_t suffix_off = tn_le32(base + TN_HDR_SUFFIX_OFF), suffix_len = tn_le32(base + TN_HDR_SUFFIX_LEN);

	if (c->flags & ~TN_FLAGS_KNOWN || tn_le32(base + TN_HDR_RESERVED) != 0)
		FAIL(EBADMSG, "cache header has unknown flags");
	if (tn_cache_checksum(base, len) != tn_le32(base + TN_HDR_CHECKSUM))
		FAIL(EBADMSG, "cache checksum mismatch (corrupt)");
	if (c->max_probe == 0 || c->max_probe > TN_MAX_PROBE || !is_pow2(fwd_buckets) || !is_pow2(rev_buckets) ||
	    c->node_count > TN_REF_INDEX || c->addr_count > TN_REF_INDEX)
		FAIL(EBADMSG, "cache index parameters are out of range");
	if (!section_ok(len, c->node_off, c->node_count, TN_NODE_SIZE) ||
	    !section_ok(len, c->addr_off, c->addr_count, TN_ADDR_SIZE) ||
	    !section_ok(len, c->fwd_off, fwd_buckets, TN_BUCKET_SIZE) ||
	    !section_ok(len, c->rev_off, rev_buckets, TN_BUCKET_SIZE) || !section_ok(len, c->str_off, c->str_len, 1))
		FAIL(EBADMSG, "a cache section lies outside the file");
	c->fwd_mask = fwd_buckets - 1;
	c->rev_mask = rev_buckets - 1;
	if (c->str_len == 0 || base[c->str_off + c->str_len - 1] != '\0')
		FAIL(EBADMSG, "cache string table is not terminated");
	if (suffix_len == 0) {
		c->suffix = (const char *)base + c->str_off + c->str_len - 1; /* the final NUL: "" */
	} else {
		if (!stored_name_ok(c, suffix_off, suffix_len))
			FAIL(EBADMSG, "cache suffix is damaged");
		c->suffix = (const char *)base + c->str_off + suffix_off;
		c->suffix_len = suffix_len;
	}
	if (!validate_nodes(c))
		FAIL(EBADMSG, "a cache node record is damaged");
	if (!validate_table(c, c->fwd_off, c->fwd_mask, 1) || !validate_table(c, c->rev_off, c->rev_mask, 0))
		FAIL(EBADMSG, "a cache index is damaged");
	return 0;
}

/* The directory must be as trustworthy as the file: otherwise whoever can write it can swap files. */
static int dir_ok(const char *path, const char **why)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;
	if (!slash || n >= sizeof dir)
		FAIL(EPERM, "cache path must be absolute");
	if (n == 0)
		n = 1; /* "/hosts.cache" */
	memcpy(dir, path, n);
	dir[n] = '\0';
	struct stat st;
	if (stat(dir, &st) != 0)
		FAIL(errno == EACCES ? EACCES : ENOENT, "cache directory is missing or unreadable");
	if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != (uid_t)TN_CACHE_UID))
		FAIL(EPERM, "cache directory is not owned by root or the cache owner");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		FAIL(EPERM, "cache directory is writable by group or others");
	return 0;
}

int tn_cache_open(const char *path, struct tn_cache_file *out, const char **why)
{
	struct stat st;
	memset(out, 0, sizeof *out);
	if (!path || path[0] != '/')
		FAIL(EPERM, "cache path must be absolute");
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			FAIL(ENOENT, "cache file does not exist (has tailnet-helper sync run?)");
		if (errno == ELOOP)
			FAIL(EPERM, "cache path is a symbolic link");
		FAIL(EACCES, "cache file cannot be opened");
	}
	int rc = fstat(fd, &st);
	if (rc != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		FAIL(EPERM, "cache is not a regular file");
	}
	if (st.st_uid != 0 && st.st_uid != (uid_t)TN_CACHE_UID) {
		close(fd);
		FAIL(EPERM, "cache file is not owned by root or the cache owner");
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		FAIL(EPERM, "cache file is writable by group or others");
	}
	if (st.st_size < TN_HDR_SIZE) {
		close(fd);
		FAIL(EBADMSG, "file is shorter than the cache header (truncated)");
	}
	if ((uint64_t)st.st_size > TN_MAX_FILE) {
		close(fd);
		FAIL(EFBIG, "cache is larger than the module accepts");
	}
	rc = dir_ok(path, why);
	if (rc != 0) {
		close(fd);
		return rc;
	}
	void *map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		FAIL(ENOMEM, "cache file cannot be mapped");
	rc = tn_cache_parse(map, (size_t)st.st_size, &out->c, why);
	if (rc != 0) {
		munmap(map, (size_t)st.st_size);
		memset(out, 0, sizeof *out);
		return rc;
	}
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->mtime = st.st_mtim;
	out->ctime = st.st_ctim;
	return 0;
}

void tn_cache_close(struct tn_cache_file *f)
{
	if (f && f->c.base)
		munmap((void *)f->c.base, f->c.len);
	if (f)
		memset(f, 0, sizeof *f);
}

int tn_cache_expired(const struct tn_cache *c, int64_t now)
{
	return now > c->valid_until;
}

int tn_cache_find_name(const struct tn_cache *c, const char *name, size_t len, struct tn_hit *hit)
{
	uint32_t h = tn_hash(c->seed, name, len);
	for (uint32_t i = 0; i < c->max_probe; i++) {
		const uint8_t *bk = c->base + c->fwd_off + (size_t)((h + i) & c->fwd_mask) * TN_BUCKET_SIZE;
		uint32_t ref = tn_le32(bk + TN_BUCKET_REF);
		if (ref == 0)
			return 0;
		if (tn_le32(bk + TN_BUCKET_HASH) != h || !load_node(c, (ref & TN_REF_INDEX) - 1, hit))
			continue;
		int bare = (ref & TN_REF_BARE) != 0;
		size_t key_len = bare ? hit->bare_len : hit->fqdn_len;
		if (key_len == len && memcmp(hit->fqdn, name, len) == 0) {
			hit->via_bare = bare;
			return 1;
		}
	}
	return 0;
}

int tn_cache_find_addr(const struct tn_cache *c, const uint8_t addr[16], struct tn_hit *hit)
{
	uint32_t h = tn_hash(c->seed, addr, 16);
	for (uint32_t i = 0; i < c->max_probe; i++) {
		const uint8_t *bk = c->base + c->rev_off + (size_t)((h + i) & c->rev_mask) * TN_BUCKET_SIZE;
		uint32_t ref = tn_le32(bk + TN_BUCKET_REF);
		if (ref == 0)
			return 0;
		uint32_t idx = (ref & TN_REF_INDEX) - 1;
		if (tn_le32(bk + TN_BUCKET_HASH) != h || idx >= c->addr_count)
			continue;
		const uint8_t *r = addr_rec(c, idx);
		if (memcmp(r + TN_ADDR_BYTES, addr, 16) == 0)
			return load_node(c, tn_le32(r + TN_ADDR_NODE), hit);
	}
	return 0;
}

int tn_cache_node(const struct tn_cache *c, uint32_t idx, struct tn_hit *hit)
{
	return load_node(c, idx, hit);
}
