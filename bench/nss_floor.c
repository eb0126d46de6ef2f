/* SPDX-License-Identifier: BSD-3-Clause */
/* nss_floor.c - libnss_floor.so.2, the benchmark's floor: a hosts module with no data structure at all.
 * Every name answers one IPv6 and one IPv4 address (IPv6 first in gethostbyname4_r, as the tailnet module
 * answers), except names starting with "nx", which are NOTFOUND. The pair is fd7a:115c:a1e0::c601:2108 and
 * 100.101.33.8 until the benchmark sets it with floor_answer() to the pair the tailnet module answers for the
 * name being measured, so that glibc's sorting (which connects a socket per address) does the same work for
 * both. What remains of a lookup through it is glibc's own cost (nsswitch dispatch, getaddrinfo's sorting and
 * allocation): the lower bound any module can reach. */
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Constants, as a module without data would have them (read-only data: a fresh process's first lookup pays
 * the page they are on, as it pays the tailnet module's); floor_answer() points at its own copy instead. */
static const uint8_t default_v4[4] = {100, 101, 33, 8};
static const uint8_t default_v6[16] = {0xfd, 0x7a, 0x11, 0x5c, 0xa1, 0xe0, 0, 0, 0, 0, 0, 0, 0xc6, 0x01, 0x21, 0x08};
static uint8_t set_v4[4], set_v6[16];
static const uint8_t *v4 = default_v4, *v6 = default_v6;

/* The pair every later answer gives; the benchmark calls it between batches, never during one. */
void floor_answer(const uint8_t answer_v4[4], const uint8_t answer_v6[16]);
void floor_answer(const uint8_t answer_v4[4], const uint8_t answer_v6[16])
{
	memcpy(set_v4, answer_v4, 4);
	memcpy(set_v6, answer_v6, 16);
	v4 = set_v4;
	v6 = set_v6;
}

enum nss_status _nss_floor_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat, char *buf, size_t len,
					    int *errnop, int *h_errnop, int32_t *ttlp);
enum nss_status _nss_floor_gethostbyname3_r(const char *name, int af, struct hostent *he, char *buf, size_t len,
					    int *errnop, int *h_errnop, int32_t *ttlp, char **canonp);
enum nss_status _nss_floor_gethostbyname2_r(const char *name, int af, struct hostent *he, char *buf, size_t len,
					    int *errnop, int *h_errnop);

static enum nss_status miss(int *errnop, int *h_errnop)
{
	*errnop = ENOENT;
	*h_errnop = HOST_NOT_FOUND;
	return NSS_STATUS_NOTFOUND;
}

static enum nss_status erange(int *errnop, int *h_errnop)
{
	*errnop = ERANGE;
	*h_errnop = NETDB_INTERNAL;
	return NSS_STATUS_TRYAGAIN;
}

enum nss_status _nss_floor_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat, char *buf, size_t len,
					    int *errnop, int *h_errnop, int32_t *ttlp)
{
	if (!strncmp(name, "nx", 2))
		return miss(errnop, h_errnop);
	size_t n = strlen(name) + 1, pad = (-(uintptr_t)buf) & 7;
	if (len < pad + 2 * sizeof(struct gaih_addrtuple) + n)
		return erange(errnop, h_errnop);
	struct gaih_addrtuple *t = (void *)(buf + pad);
	char *s = (char *)(t + 2);
	memcpy(s, name, n);
	memset(t, 0, 2 * sizeof *t);
	/* IPv6 first, the order glibc's sort ends with and the cheapest for it (one socket, see
	 * nss/hostent_pack.c): no module can do better, so none can pass the floor by ordering alone. */
	t[0] = (struct gaih_addrtuple){.next = &t[1], .name = s, .family = AF_INET6};
	memcpy(t[0].addr, v6, 16);
	t[1] = (struct gaih_addrtuple){.name = s, .family = AF_INET};
	memcpy(t[1].addr, v4, 4);
	*pat = t;
	if (ttlp)
		*ttlp = 5;
	*h_errnop = NETDB_SUCCESS;
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_floor_gethostbyname3_r(const char *name, int af, struct hostent *he, char *buf, size_t len,
					    int *errnop, int *h_errnop, int32_t *ttlp, char **canonp)
{
	if (!strncmp(name, "nx", 2))
		return miss(errnop, h_errnop);
	if (af == AF_UNSPEC)
		af = AF_INET;
	size_t n = strlen(name) + 1, alen = af == AF_INET ? 4 : 16, pad = (-(uintptr_t)buf) & 7;
	if (len < pad + 3 * sizeof(char *) + alen + n)
		return erange(errnop, h_errnop);
	char **ptrs = (void *)(buf + pad);
	char *addr = (char *)(ptrs + 3), *s = addr + alen;
	memcpy(addr, af == AF_INET ? (const void *)v4 : (const void *)v6, alen);
	memcpy(s, name, n);
	ptrs[0] = NULL;
	ptrs[1] = addr;
	ptrs[2] = NULL;
	*he = (struct hostent){.h_name = s, .h_aliases = ptrs, .h_addrtype = af, .h_length = (int)alen,
			       .h_addr_list = ptrs + 1};
	if (ttlp)
		*ttlp = 5;
	if (canonp)
		*canonp = s;
	*h_errnop = NETDB_SUCCESS;
	return NSS_STATUS_SUCCESS;
}

enum nss_status _nss_floor_gethostbyname2_r(const char *name, int af, struct hostent *he, char *buf, size_t len,
					    int *errnop, int *h_errnop)
{
	return _nss_floor_gethostbyname3_r(name, af, he, buf, len, errnop, h_errnop, NULL, NULL);
}
