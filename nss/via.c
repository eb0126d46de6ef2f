/* SPDX-License-Identifier: BSD-3-Clause */
/* via.c - see via.h. */
#include "via.h"

#include <string.h>

/* TN_TS_VERSION(1, 102, 0), as helper/cache/hostset.h counts: the release that dropped the two older forms. */
#define V1_102_0 ((1u << 24) | (102u << 12))

/* An IPv4 address in netip.ParseAddr's form, `sep` between the four fields. */
static int parse_v4(const char *s, size_t len, char sep, uint8_t out[4])
{
	size_t field = 0, digits = 0;
	unsigned v = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == sep) {
			if (digits == 0 || field == 4)
				return 0;
			out[field++] = (uint8_t)v;
			v = 0;
			digits = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || (digits == 1 && v == 0) || ++digits > 3)
			return 0; /* not a digit, a leading zero, or too long */
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > 255)
			return 0;
	}
	return field == 4;
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return 99;
}

/* strconv.ParseUint(s, 0, 32): a base prefix, digits of that base, '_' only between digits or after the
 * prefix (underscoreOK), and a value that fits in 32 bits. */
static int parse_site(const char *s, size_t len, uint32_t *out)
{
	unsigned base = 10;
	size_t i = 0;
	int prefix = 0;
	if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'o' || s[1] == 'b')) {
		base = s[1] == 'x' ? 16 : s[1] == 'o' ? 8 : 2;
		i = 2;
		prefix = 1;
	} else if (len >= 1 && s[0] == '0') {
		base = 8;
		i = 1;
		prefix = 1;
	}
	uint64_t v = 0;
	int saw_digit = prefix && base == 8 && i == 1; /* "0" itself is a digit of the octal number */
	char last = prefix ? '0' : 0;                 /* what came before: a digit or the prefix */
	for (; i < len; i++) {
		if (s[i] == '_') {
			if (last == '_' || last == 0)
				return 0;
			last = '_';
			continue;
		}
		unsigned d = (unsigned)digit_value(s[i]);
		if (d >= base)
			return 0;
		v = v * base + d;
		if (v > UINT32_MAX)
			return 0;
		saw_digit = 1;
		last = '0';
	}
	if (!saw_digit || last == '_')
		return 0;
	*out = (uint32_t)v;
	return 1;
}

/* dnsname.HasSuffix(name, suffix): name ends with "." + suffix. */
static int ends_with_domain(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len > n && name[len - n - 1] == '.' && memcmp(name + len - n, suffix, n) == 0;
}

/* The first "-via-" in name[0..len), found from its dashes: every unknown name the module is asked about
 * passes here, and host names have few dashes (memmem costs more than the whole rest of a miss). */
static const char *find_via(const char *name, size_t len)
{
	for (const char *p = memchr(name, '-', len), *end = name + len; p && end - p >= 5;
	     p = memchr(p + 1, '-', (size_t)(end - p - 1)))
		if (memcmp(p, "-via-", 5) == 0)
			return p;
	return NULL;
}

static void map_via(uint32_t site, const uint8_t v4[4], uint8_t addr[16])
{
	static const uint8_t via_range[8] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0x0b, 0x1a};
	memcpy(addr, via_range, 8);
	addr[8] = (uint8_t)(site >> 24);
	addr[9] = (uint8_t)(site >> 16);
	addr[10] = (uint8_t)(site >> 8);
	addr[11] = (uint8_t)site;
	memcpy(addr + 12, v4, 4);
}

int tn_via_parse(const char *name, size_t len, uint32_t ts_version, uint8_t addr[16])
{
	uint8_t v4[4];
	uint32_t site;
	int older = ts_version != 0 && ts_version < V1_102_0;
	if (len < sizeof "0-0-0-0-via-0" - 1)
		return 0;
	const char *via = find_via(name, len);
	if (via) {
		const char *dot = memchr(name, '.', len);
		size_t first = dot ? (size_t)(dot - name) : len;
		if (dot && !ends_with_domain(dot + 1, len - first - 1, "ts.net") &&
		    !ends_with_domain(dot + 1, len - first - 1, "tailscale.net"))
			return 0;
		via = find_via(name, first);
		if (!via)
			return 0;
		size_t v4_len = (size_t)(via - name);
		if (!parse_v4(name, v4_len, '-', v4) || !parse_site(via + 5, first - v4_len - 5, &site))
			return 0;
	} else if (older && len > 4 && memcmp(name, "via-", 4) == 0) { /* via-7.10.1.1.16 */
		const char *dot = memchr(name, '.', len);
		if (!dot || !parse_site(name + 4, (size_t)(dot - name) - 4, &site) ||
		    !parse_v4(dot + 1, len - (size_t)(dot + 1 - name), '.', v4))
			return 0;
	} else if (older) { /* 10.1.1.16.via-7 */
		const char *dot = memrchr(name, '.', len);
		if (!dot || len - (size_t)(dot + 1 - name) < 4 || memcmp(dot + 1, "via-", 4) != 0 ||
		    !parse_site(dot + 5, len - (size_t)(dot + 5 - name), &site) ||
		    !parse_v4(name, (size_t)(dot - name), '.', v4))
			return 0;
	} else {
		return 0;
	}
	map_via(site, v4, addr);
	return 1;
}
