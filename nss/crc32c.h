/* SPDX-License-Identifier: BSD-3-Clause */
/* crc32c.h - CRC32C (Castagnoli), the cache checksum.
 *
 * Contract: tn_crc32c(crc, data, len) extends `crc` (start with 0) over `len` bytes; chaining calls over
 * consecutive pieces gives the CRC of the concatenation. Thread-safe and libc-free: the SSE4.2 crc32
 * instruction where the CPU has it (checked once with cpuid), software slicing-by-8 tables otherwise.
 */
#ifndef TAILNET_CRC32C_H
#define TAILNET_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t tn_crc32c(uint32_t crc, const void *data, size_t len);
/* The table implementation alone, so tests can hold both paths to the same answers. */
uint32_t tn_crc32c_portable(uint32_t crc, const void *data, size_t len);

/* Page 0's checksum: the page with its checksum word read as zero. */
uint32_t tn_cache_header_crc(const uint8_t *page0);
/* Any other page's checksum (cache_format.h): seeded with its generation and its place. */
uint32_t tn_cache_page_crc(uint64_t generation, int64_t written_at, uint32_t page, const uint8_t *data);

#endif
