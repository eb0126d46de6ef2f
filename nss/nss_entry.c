/* SPDX-License-Identifier: BSD-3-Clause */
/* nss_entry.c - the six glibc hosts entry points of libnss_tailnet.so.2, and nothing else exported.
 *
 * Every call ends in one of the outcomes of nss-contract.md 3.4, set by finish():
 *   found                          SUCCESS,  errno untouched,       NETDB_SUCCESS
 *   buffer too small               TRYAGAIN, ERANGE,                NETDB_INTERNAL (glibc retries bigger)
 *   unknown name under our suffix  NOTFOUND, ENOENT,                HOST_NOT_FOUND
 *   known name, no such family     NOTFOUND, ENOENT,                NO_DATA
 *   not our name / no usable cache UNAVAIL,  ENOENT/EINVAL/EPERM/.., NO_RECOVERY (never NETDB_INTERNAL)
 * so `hosts: files tailnet [NOTFOUND=return] dns` can never hide a name that is not the tailnet's.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <nss.h>
#include <string.h>
#include <sys/socket.h>

#include "cache_current.h"
#include "hostent_pack.h"
#include "name.h"
#include "scope.h"

#define EXPORT __attribute__((visibility("default")))

/* Query outcomes besides 0 (packed) and -errno. */
enum { R_NOTFOUND = 1, R_NODATA = 2, R_NOT_OURS = 3 };

struct forward {
	const char *asked; /* the name as the caller gave it */
	size_t len;        /* its length without a trailing dot (tn_name_measure) */
	int af; /* AF_INET / AF_INET6, or AF_UNSPEC for gaih tuples */
	struct hostent *he;
	struct gaih_addrtuple **pat;
	char *buf;
	size_t buflen;
	int32_t *ttlp;
	char **canonp;
};

struct reverse {
	uint8_t key[16];
	const void *addr;
	socklen_t len;
	int af;
	struct hostent *he;
	char *buf;
	size_t buflen;
	int32_t *ttlp;
};

static void set_ttl(const struct tn_cache *c, int64_t now, int32_t *ttlp)
{
	if (ttlp)
		*ttlp = tn_scope_ttl(c, now, TN_TTL_POSITIVE);
}

/* Meant to inline into the entry points through tn_current_query (also inline): one function per lookup. A
 * hint only: it is also called through a pointer, which cannot be forced at every optimisation level. */
TN_HOT static inline int forward_query(const struct tn_cache *c, int64_t now, void *vctx)
{
	struct forward *f = vctx;
	struct tn_answer a;
	struct tn_name name; /* copied (and folded) only when needed: a miss, or an alias to give */
	const struct tn_hit *hit = &a.hit;
	/* The name as asked first, in place: a match is a valid name. Only a miss is copied, folded, checked and
	 * sent through the rest of quad-100's rules; a name asked in lower case was the one probed, so not again. */
	int paused = (c->flags & TN_FLAG_PAUSED) != 0;
	if (paused || !tn_cache_find_name(c, f->asked, f->len, &a.hit)) {
		tn_name_copy(f->asked, f->len, &name);
		if (tn_name_fold_copied(&name, &name) < 0)
			return -EINVAL; /* not a host name: never ours */
		int probed = !paused && memcmp(name.s, f->asked, f->len) == 0;
		enum tn_scope scope = probed ? tn_scope_unlisted(c, &name, &a) : tn_scope_name(c, &name, &a);
		if (scope != TN_FOUND)
			return scope == TN_NOT_FOUND ? R_NOTFOUND : scope == TN_INVALID ? -EINVAL : R_NOT_OURS;
	} else if (hit->via_bare) {
		tn_name_copy(f->asked, f->len, &name); /* the alias: the bare name as asked, without a trailing dot */
	}
	int rc;
	if (f->af == AF_UNSPEC) {
		rc = tn_pack_tuples(hit, f->pat, f->buf, f->buflen);
	} else {
		if ((f->af == AF_INET ? hit->n4 : hit->n6) == 0)
			return R_NODATA;
		const char *alias = hit->via_bare ? name.s : NULL;
		rc = tn_pack_hostent(hit, f->af, alias, f->he, f->buf, f->buflen, f->canonp);
	}
	if (rc == 0)
		set_ttl(c, now, f->ttlp);
	return rc;
}

static int reverse_query(const struct tn_cache *c, int64_t now, void *vctx)
{
	struct reverse *r = vctx;
	struct tn_answer a;
	enum tn_scope scope = tn_scope_addr(c, r->key, &a);
	if (scope != TN_FOUND)
		return scope == TN_NOT_FOUND ? R_NOTFOUND : R_NOT_OURS;
	int rc = tn_pack_reverse(&a.hit, r->addr, r->af, r->len, r->he, r->buf, r->buflen);
	if (rc == 0)
		set_ttl(c, now, r->ttlp);
	return rc;
}

/* Maps a query result to glibc's triple. The caller's errno must survive a success (systemd#11321): nothing
 * on the way here changes it (tn_current_query keeps its system calls' errno to itself), so only a failure
 * writes *errnop, which is usually errno. */
static inline __attribute__((always_inline)) enum nss_status finish(int rc, int *errnop, int *h_errnop)
{
	switch (rc) {
	case 0:
		*h_errnop = NETDB_SUCCESS;
		return NSS_STATUS_SUCCESS;
	case -ERANGE:
		*h_errnop = NETDB_INTERNAL;
		*errnop = ERANGE;
		return NSS_STATUS_TRYAGAIN;
	case R_NOTFOUND:
		*h_errnop = HOST_NOT_FOUND;
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	case R_NODATA:
		*h_errnop = NO_DATA;
		*errnop = ENOENT;
		return NSS_STATUS_NOTFOUND;
	case R_NOT_OURS:
		*h_errnop = NO_RECOVERY;
		*errnop = ENOENT;
		return NSS_STATUS_UNAVAIL;
	default:
		*h_errnop = NO_RECOVERY;
		*errnop = rc < 0 ? -rc : EINVAL;
		return NSS_STATUS_UNAVAIL;
	}
}

/* Inline in each entry point: the calls in between cost more than the lookup's own steps. */
static inline __attribute__((always_inline)) enum nss_status forward(const char *name, struct forward *f, int *errnop,
								   int *h_errnop)
{
	int len = tn_name_measure(name);
	if (len < 0)
		return finish(-EINVAL, errnop, h_errnop); /* too long or empty: never ours, no I/O */
	f->asked = name;
	f->len = (size_t)len;
	return finish(tn_current_query(forward_query, f), errnop, h_errnop);
}

EXPORT enum nss_status _nss_tailnet_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat, char *buffer,
						     size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp);
EXPORT enum nss_status _nss_tailnet_gethostbyname3_r(const char *name, int af, struct hostent *host, char *buffer,
						     size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp,
						     char **canonp);
EXPORT enum nss_status _nss_tailnet_gethostbyname2_r(const char *name, int af, struct hostent *host, char *buffer,
						     size_t buflen, int *errnop, int *h_errnop);
EXPORT enum nss_status _nss_tailnet_gethostbyname_r(const char *name, struct hostent *host, char *buffer,
						    size_t buflen, int *errnop, int *h_errnop);
EXPORT enum nss_status _nss_tailnet_gethostbyaddr2_r(const void *addr, socklen_t len, int af, struct hostent *host,
						     char *buffer, size_t buflen, int *errnop, int *h_errnop,
						     int32_t *ttlp);
EXPORT enum nss_status _nss_tailnet_gethostbyaddr_r(const void *addr, socklen_t len, int af, struct hostent *host,
						    char *buffer, size_t buflen, int *errnop, int *h_errnop);

TN_HOT enum nss_status _nss_tailnet_gethostbyname4_r(const char *name, struct gaih_addrtuple **pat, char *buffer,
					      size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp)
{
	struct forward f = {.af = AF_UNSPEC, .pat = pat, .buf = buffer, .buflen = buflen, .ttlp = ttlp};
	return forward(name, &f, errnop, h_errnop);
}

TN_HOT enum nss_status _nss_tailnet_gethostbyname3_r(const char *name, int af, struct hostent *host, char *buffer,
					      size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp, char **canonp)
{
	if (af == AF_UNSPEC)
		af = AF_INET;
	if (af != AF_INET && af != AF_INET6) {
		*errnop = EAFNOSUPPORT;
		*h_errnop = NO_RECOVERY;
		return NSS_STATUS_UNAVAIL;
	}
	struct forward f = {.af = af, .he = host, .buf = buffer, .buflen = buflen, .ttlp = ttlp, .canonp = canonp};
	return forward(name, &f, errnop, h_errnop);
}

enum nss_status _nss_tailnet_gethostbyname2_r(const char *name, int af, struct hostent *host, char *buffer,
					      size_t buflen, int *errnop, int *h_errnop)
{
	return _nss_tailnet_gethostbyname3_r(name, af, host, buffer, buflen, errnop, h_errnop, NULL, NULL);
}

enum nss_status _nss_tailnet_gethostbyname_r(const char *name, struct hostent *host, char *buffer, size_t buflen,
					     int *errnop, int *h_errnop)
{
	return _nss_tailnet_gethostbyname3_r(name, AF_INET, host, buffer, buflen, errnop, h_errnop, NULL, NULL);
}

enum nss_status _nss_tailnet_gethostbyaddr2_r(const void *addr, socklen_t len, int af, struct hostent *host,
					      char *buffer, size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp)
{
	struct reverse r = {.addr = addr, .len = len, .af = af, .he = host, .buf = buffer, .buflen = buflen,
			    .ttlp = ttlp};
	if (!addr || (af != AF_INET && af != AF_INET6)) {
		*errnop = EAFNOSUPPORT;
		*h_errnop = NO_RECOVERY;
		return NSS_STATUS_UNAVAIL;
	}
	if ((af == AF_INET && len != 4) || (af == AF_INET6 && len != 16))
		return finish(-EINVAL, errnop, h_errnop);
	if (af == AF_INET) {
		r.key[10] = r.key[11] = 0xff; /* the cache keeps IPv4 v4-mapped, so ::ffff:a.b.c.d matches too */
		memcpy(r.key + 12, addr, 4);
	} else {
		memcpy(r.key, addr, 16);
	}
	return finish(tn_current_query(reverse_query, &r), errnop, h_errnop);
}

enum nss_status _nss_tailnet_gethostbyaddr_r(const void *addr, socklen_t len, int af, struct hostent *host,
					     char *buffer, size_t buflen, int *errnop, int *h_errnop)
{
	return _nss_tailnet_gethostbyaddr2_r(addr, len, af, host, buffer, buflen, errnop, h_errnop, NULL);
}
