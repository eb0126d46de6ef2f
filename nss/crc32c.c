/* crc32c.c - see crc32c.h. */
#include "crc32c.h"

#include "cache_format.h"
#include "crc32c_table.h"

uint32_t tn_crc32c(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	crc = ~crc;
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
	return ~crc;
}

uint32_t tn_cache_checksum(const uint8_t *file, size_t len)
{
	static const uint8_t zeros[8];
	if (len < TN_HDR_SIZE)
		return 0;
	uint32_t crc = tn_crc32c(0, file, TN_HDR_CHECKSUM);
	crc = tn_crc32c(crc, zeros, 8); /* checksum + superseded */
	return tn_crc32c(crc, file + TN_HDR_SUPERSEDED + 4, len - (TN_HDR_SUPERSEDED + 4));
}
