/* SPDX-License-Identifier: BSD-3-Clause */
/* crc32c.c - see crc32c.h. */
#include "crc32c.h"

#include <string.h>

#include "cache_format.h"
#include "crc32c_table.h"

#if defined(__x86_64__)
#if __has_include(<sys/platform/x86.h>)
#include <sys/platform/x86.h> /* glibc 2.33 and later */
#else
#include <cpuid.h>
#endif

/* SSE4.2's crc32 instruction computes CRC32C directly, about 8x faster than the tables: it is what keeps a
 * large cache's once-per-process validation short. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t v;
		memcpy(&v, p, sizeof v);
		c = __builtin_ia32_crc32di(c, v);
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}

/* glibc has asked the CPU already, at startup: reading its answer is free, while the cpuid instruction traps
 * to the hypervisor in a virtual machine (about 4 us, most of a one-shot process's checksum work). */
#ifdef CPU_FEATURE_ACTIVE
static int have_sse42(void)
{
	return CPU_FEATURE_ACTIVE(SSE4_2);
}
#else
/* 0 unknown, 1 no, 2 yes. Racing first calls store the same value: no lock needed, fork-safe. */
static int have_sse42(void)
{
	static int known;
	int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
	if (k == 0) {
		unsigned a, b, c, d;
		k = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_SSE4_2) ? 2 : 1;
		__atomic_store_n(&known, k, __ATOMIC_RELAXED);
	}
	return k == 2;
}
#endif
#endif

static uint32_t crc32c_tables(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint32_t lo = crc ^ tn_le32(p);
		uint32_t hi = tn_le32(p + 4);
		crc = crc32c_table[7][lo & 0xff] ^ crc32c_table[6][(lo >> 8) & 0xff] ^
		      crc32c_table[5][(lo >> 16) & 0xff] ^ crc32c_table[4][lo >> 24] ^
		      crc32c_table[3][hi & 0xff] ^ crc32c_table[2][(hi >> 8) & 0xff] ^
		      crc32c_table[1][(hi >> 16) & 0xff] ^ crc32c_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc32c_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

uint32_t tn_crc32c(uint32_t crc, const void *data, size_t len)
{
#if defined(__x86_64__)
	if (have_sse42())
		return ~crc32c_sse42(~crc, data, len);
#endif
	return ~crc32c_tables(~crc, data, len);
}

uint32_t tn_crc32c_portable(uint32_t crc, const void *data, size_t len)
{
	return ~crc32c_tables(~crc, data, len);
}

uint32_t tn_cache_header_crc(const uint8_t *page0)
{
	static const uint8_t zeros[4];
	uint32_t crc = tn_crc32c(0, page0, TN_HDR_CHECKSUM);
	crc = tn_crc32c(crc, zeros, sizeof zeros);
	return tn_crc32c(crc, page0 + TN_HDR_CHECKSUM + 4, TN_PAGE - (TN_HDR_CHECKSUM + 4));
}

uint32_t tn_cache_page_crc(uint64_t generation, int64_t written_at, uint32_t page, const uint8_t *data)
{
	return tn_crc32c(tn_page_seed(generation, written_at, page), data, TN_PAGE);
}
