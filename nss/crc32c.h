/* crc32c.h - CRC32C (Castagnoli), the cache checksum.
 *
 * Contract: tn_crc32c(crc, data, len) extends `crc` (start with 0) over `len` bytes; chaining calls over
 * consecutive pieces gives the CRC of the concatenation. Pure, thread-safe, libc-free, software
 * slicing-by-8 (no CPU dispatch, so it runs the same in every process that loads the module).
 */
#ifndef TAILNET_CRC32C_H
#define TAILNET_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t tn_crc32c(uint32_t crc, const void *data, size_t len);

/* The CRC a cache file must carry: the whole buffer with the checksum and superseded words read as zero. */
uint32_t tn_cache_checksum(const uint8_t *file, size_t len);

#endif
