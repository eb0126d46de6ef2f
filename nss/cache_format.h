/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_format.h - the on-disk layout of the tailnet hosts cache, shared by writer and reader.
 *
 * Contract: the cache is ONE file, written only by tailnet-helper (temp file, fsync, rename) and read by
 * libnss_tailnet.so.2 and by the helper's own `hosts`/`dns` commands. Every integer is little-endian and
 * fixed-width; every section starts on an 8-byte boundary; every offset is counted from the start of the
 * file; every string is lower-case LDH, NUL-terminated inside the string table. Nothing here is a native
 * struct: readers go through the tn_le* accessors, so the layout means the same on every host.
 *
 *   header      TN_HDR_SIZE bytes (fields below)
 *   nodes       node_count   x TN_NODE_SIZE   one per name owner (peer, Self, ExtraRecords name)
 *   addrs       addr_count   x TN_ADDR_SIZE   IPv4 stored v4-mapped (::ffff:a.b.c.d); a node's IPv4s first
 *   forward     fwd_buckets  x TN_BUCKET_SIZE open addressing on tn_hash(seed, lower-case name)
 *   reverse     rev_buckets  x TN_BUCKET_SIZE open addressing on tn_hash(seed, 16 address bytes)
 *   strings     str_len bytes
 *
 * The checksum (CRC32C) covers the whole file with the checksum and superseded words read as zero.
 * "superseded" is the one word a writer may change in place: after it renames a new cache over this one it
 * sets it to 1 in the old inode, so processes that still map the old file notice at the cost of one load.
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
#define TN_VERSION 1u
#define TN_ENDIAN_MARK 0x01020304u /* reads back as 0x04030201 on a byte-swapped reader */

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
	TN_HDR_TOTAL = 24,        /* u64 file length */
	TN_HDR_CHECKSUM = 32,     /* u32 CRC32C */
	TN_HDR_SUPERSEDED = 36,   /* u32, 0 or 1; outside the checksum */
	TN_HDR_GENERATION = 40,   /* u64, moves only when the content changes */
	TN_HDR_WRITTEN_AT = 48,   /* i64 unix seconds */
	TN_HDR_VALID_UNTIL = 56,  /* i64 unix seconds; past it the module answers UNAVAIL */
	TN_HDR_SEED = 64,         /* u32 hash seed */
	TN_HDR_MAX_PROBE = 68,    /* u32 longest probe sequence in either table, <= TN_MAX_PROBE */
	TN_HDR_SUFFIX_OFF = 72,   /* u32 string-table offset of the tailnet's MagicDNS suffix */
	TN_HDR_SUFFIX_LEN = 76,   /* u32, 0 when the status had no suffix */
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
	TN_HDR_SIZE = 128
};

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
	TN_NODE_NAME_LEN = 4,   /* u16 */
	TN_NODE_BARE_LEN = 6,   /* u16 length of the first label when it is a bare name, else 0 */
	TN_NODE_ADDR_FIRST = 8, /* u32 index of the first address */
	TN_NODE_N4 = 12,        /* u16 IPv4 addresses, stored first */
	TN_NODE_N6 = 14,        /* u16 IPv6 addresses, after the IPv4 ones */
	TN_NODE_SIZE = 16
};

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
	if (len) {
		uint64_t w = 0;
		for (size_t i = 0; i < len; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = (h ^ w) * 0x9fb21c651e98df25ull;
		h ^= h >> 29;
	}
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return (uint32_t)h;
}

#endif
