/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_format.h - the on-disk layout of the tailnet hosts cache, shared by writer and reader.
 *
 * Contract: the cache is ONE file, written only by tailnet-helper (a new inode, fsync, rename) and read by
 * libnss_tailnet.so.2 and by the helper's own `hosts`/`dns` commands. Every integer is little-endian and
 * fixed-width; every section starts on an 8-byte boundary; every offset is counted from the start of the
 * file; every string is lower-case LDH, NUL-terminated inside the string table. Nothing here is a native
 * struct: readers go through the tn_le* accessors, so the layout means the same on every host.
 *
 * The file is a sequence of TN_PAGE-byte pages, so that a reader can fetch and check only the pages a lookup
 * touches (pread into its own memory: an in-place write by someone else can never fault it) and opening
 * costs the same for 10 peers as for 100,000:
 *
 *   page 0          header (TN_HDR_SIZE bytes), the tailnet's MagicDNS suffix (TN_SUFFIX_SIZE bytes, NUL-padded),
 *                   then the level-2 checksums: one u32 per level-1 page
 *   pages 1..D      the sections, back to back (D = data_pages):
 *                     nodes    node_count  x TN_NODE_SIZE   one per name owner (peer, Self, ExtraRecords name)
 *                     addrs    addr_count  x TN_ADDR_SIZE   IPv4 stored v4-mapped; a node's IPv4s first
 *                     forward  fwd_buckets x TN_BUCKET_SIZE open addressing on tn_hash(seed, lower-case name)
 *                     reverse  rev_buckets x TN_BUCKET_SIZE open addressing on tn_hash(seed, 16 address bytes)
 *                     strings  str_len bytes
 *   pages D+1..     level 1: one u32 checksum per data page (TN_PAGE / 4 per page)
 *
 * Checksums are CRC32C. Page 0 carries its own (with the checksum word read as zero). Every other page's
 * checksum starts from tn_page_seed(generation, written-at, page number), so a page of another file, or a page
 * in another place, fails: a reader that fetches pages one at a time from a file someone rewrites in place
 * notices the mixture instead of serving it.
 */
#ifndef TAILNET_CACHE_FORMAT_H
#define TAILNET_CACHE_FORMAT_H

#include <stdint.h>
#include <string.h>

#ifndef TN_DEFAULT_CACHE_PATH
#define TN_DEFAULT_CACHE_PATH "/var/cache/tailnet/hosts.cache"
#endif
/* Besides root, the uid whose caches the module trusts (a build setting; 0 means root only). */
#ifndef TN_CACHE_UID
#define TN_CACHE_UID 0
#endif

#define TN_MAGIC "TNETHOST" /* 8 bytes, no NUL */
#define TN_VERSION 2u
#define TN_ENDIAN_MARK 0x01020304u /* reads back as 0x04030201 on a byte-swapped reader */

#define TN_PAGE 4096u
#define TN_MAX_FILE (256u << 20)  /* a cache larger than this is refused */
#define TN_MAX_PROBE 64u          /* the writer re-seeds until every key is this close to its slot */
#define TN_NAME_MAX 253u          /* RFC 1035 presentation length without the trailing dot */
#define TN_LABEL_MAX 63u
#define TN_MAX_ADDRS_PER_NODE 1024u

/* Header field offsets. */
enum {
	TN_HDR_MAGIC = 0,         /* char[8] */
	TN_HDR_VERSION = 8,       /* u32 */
	TN_HDR_ENDIAN = 12,       /* u32 TN_ENDIAN_MARK */
	TN_HDR_HDRLEN = 16,       /* u32 TN_HDR_SIZE */
	TN_HDR_FLAGS = 20,        /* u32 TN_FLAG_* */
	TN_HDR_TOTAL = 24,        /* u64 file length: (1 + data_pages + level-1 pages) * TN_PAGE */
	TN_HDR_CHECKSUM = 32,     /* u32 CRC32C of page 0, this word read as zero */
	TN_HDR_DATA_PAGES = 36,   /* u32 D: pages 1..D hold the sections */
	TN_HDR_GENERATION = 40,   /* u64, moves only when the content changes */
	TN_HDR_WRITTEN_AT = 48,   /* i64 unix seconds */
	TN_HDR_VALID_UNTIL = 56,  /* i64 unix seconds; past it the module answers UNAVAIL */
	TN_HDR_SEED = 64,         /* u32 hash seed */
	TN_HDR_MAX_PROBE = 68,    /* u32 longest probe sequence in either table, <= TN_MAX_PROBE */
	TN_HDR_TS_VERSION = 72,   /* u32 the daemon's version, major << 24 | minor << 12 | patch; 0 unknown */
	TN_HDR_SUFFIX_LEN = 76,   /* u32 length of the suffix at TN_SUFFIX_OFF, 0 when the status had none */
	TN_HDR_NODE_OFF = 80,     /* u32 */
	TN_HDR_NODE_COUNT = 84,   /* u32 */
	TN_HDR_ADDR_OFF = 88,     /* u32 */
	TN_HDR_ADDR_COUNT = 92,   /* u32 */
	TN_HDR_FWD_OFF = 96,      /* u32 */
	TN_HDR_FWD_BUCKETS = 100, /* u32, a power of two */
	TN_HDR_REV_OFF = 104,     /* u32 */
	TN_HDR_REV_BUCKETS = 108, /* u32, a power of two */
	TN_HDR_STR_OFF = 112,     /* u32 */
	TN_HDR_STR_LEN = 116,     /* u32 */
	TN_HDR_NAME_COUNT = 120,  /* u32 keys in the forward table */
	TN_HDR_RESERVED = 124,    /* u32, zero */
	TN_HDR_SIZE = 128,
	TN_SUFFIX_OFF = TN_HDR_SIZE, /* char[TN_SUFFIX_SIZE]: the suffix, lower-case, NUL-terminated and -padded */
	TN_SUFFIX_SIZE = 256,
	TN_L2_OFF = TN_SUFFIX_OFF + TN_SUFFIX_SIZE /* u32[level-1 pages], the rest of page 0 */
};

#define TN_CRCS_PER_PAGE (TN_PAGE / 4u)
#define TN_L2_MAX ((TN_PAGE - TN_L2_OFF) / 4u)

/* Level-1 pages that cover `data_pages` pages. */
static inline uint32_t tn_l1_pages(uint32_t data_pages)
{
	return (data_pages + TN_CRCS_PER_PAGE - 1) / TN_CRCS_PER_PAGE;
}

/* Where the checksum of a page other than page 0 starts: the file's generation and time of writing, and the
 * page's place. */
static inline uint32_t tn_page_seed(uint64_t generation, int64_t written_at, uint32_t page)
{
	uint64_t g = generation ^ ((uint64_t)written_at * 0x9e3779b97f4a7c15ull);
	return (uint32_t)(g ^ (g >> 32)) ^ (page * 0x9e3779b9u);
}

/* Header flags. */
#define TN_FLAG_MAGICDNS 0x1u /* MagicDNS was enabled: bare names are indexed */
#define TN_FLAG_TUN 0x2u      /* tailscaled ran in kernel TUN mode (informational) */
/* tailscaled was deliberately taken down (Stopped) or logged out (NeedsLogin): quad-100 serves nothing then,
 * so every lookup is "not ours" (UNAVAIL / REFUSED) while the data stays for the next Running. */
#define TN_FLAG_PAUSED 0x4u
#define TN_FLAGS_KNOWN (TN_FLAG_MAGICDNS | TN_FLAG_TUN | TN_FLAG_PAUSED)

/* Node record: who owns a name and which addresses it has. */
enum {
	TN_NODE_NAME_OFF = 0,   /* u32 string-table offset of the FQDN (lower-case, no trailing dot) */
	TN_NODE_NAME_LEN = 4,   /* u8, 1..TN_NAME_MAX */
	TN_NODE_BARE_LEN = 5,   /* u8 length of the first label when it is a bare name, else 0 */
	TN_NODE_FLAGS = 6,      /* u16 TN_NODE_F_* */
	TN_NODE_ADDR_FIRST = 8, /* u32 index of the first address */
	TN_NODE_N4 = 12,        /* u16 IPv4 addresses, stored first */
	TN_NODE_N6 = 14,        /* u16 IPv6 addresses, after the IPv4 ones */
	TN_NODE_SIZE = 16
};

/* Node flags. */
#define TN_NODE_F_SUBDOMAINS 0x1u /* the node has dns-subdomain-resolve: any name below it answers its addresses */
#define TN_NODE_F_KNOWN TN_NODE_F_SUBDOMAINS

/* Address record. */
enum {
	TN_ADDR_BYTES = 0, /* u8[16], IPv4 as ::ffff:a.b.c.d */
	TN_ADDR_NODE = 16, /* u32 owning node */
	TN_ADDR_SIZE = 20
};

/* Hash bucket (both tables). ref 0 = empty. Forward: node index + 1, TN_REF_BARE set when the key is the
 * node's bare name. Reverse: address index + 1. */
enum { TN_BUCKET_HASH = 0, TN_BUCKET_REF = 4, TN_BUCKET_SIZE = 8 };
#define TN_REF_BARE 0x80000000u
#define TN_REF_INDEX 0x7fffffffu

static inline uint16_t tn_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t tn_le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

static inline uint64_t tn_le64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void tn_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void tn_put32(uint8_t *p, uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, sizeof v);
}

static inline void tn_put64(uint8_t *p, uint64_t v)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, sizeof v);
}

/* The murmur3 64-bit finaliser, so the low bits (the bucket index) depend on every input byte. */
static inline uint32_t tn_hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

/* The one hash both tables use: 8 bytes at a time (multiply and xor-shift per word, the tail zero-padded),
 * then the murmur3 64-bit finaliser so the low bits (the bucket index) depend on every input byte. Seeded,
 * and the writer re-seeds until every probe sequence is short. Callers pass names already lower-cased. */
static inline uint32_t tn_hash(uint32_t seed, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = (0x9e3779b97f4a7c15ull ^ seed) + len;
	for (; len >= 8; p += 8, len -= 8) {
		h = (h ^ tn_le64(p)) * 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	if (len) { /* the 1..7 last bytes as a little-endian word, in at most three loads */
		uint64_t w = 0;
		unsigned shift = 0;
		if (len & 4) {
			w = tn_le32(p);
			p += 4;
			shift = 32;
		}
		if (len & 2) {
			w |= (uint64_t)tn_le16(p) << shift;
			p += 2;
			shift += 16;
		}
		if (len & 1)
			w |= (uint64_t)p[0] << shift;
		h = (h ^ w) * 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	return tn_hash_final(h);
}

/* tn_hash() of `len` bytes that are followed by zeros up to the next multiple of 8 (a folded query name):
 * the same value, without the byte-by-byte tail. */
static inline uint32_t tn_hash_padded(uint32_t seed, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t h = (0x9e3779b97f4a7c15ull ^ seed) + len;
	for (size_t done = 0; done < len; done += 8) {
		h = (h ^ tn_le64(p + done)) * 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	return tn_hash_final(h);
}

#endif
