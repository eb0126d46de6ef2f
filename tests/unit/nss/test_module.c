/* SPDX-License-Identifier: BSD-3-Clause */
/* test_module.c - the built libnss_tailnet.so.2, dlopen()ed the way glibc loads it (systemd's
 * test-nss-hosts style): every entry point, the status/errno/h_errno triple of every outcome, the
 * buflen 0..N ladder with exact-size heap buffers and poison bytes, unaligned buffers, *pat non-NULL,
 * ttl/canon, reverse lookups, cache replacement, threads and fork. TN_MODULE names the .so. Check forks
 * every test, so each one loads the module afresh. */
#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

#include "fixture.h"
#include "nss/cache_current.h"
#include "nss/scope.h"
#include "unit.h"

typedef enum nss_status (*by4_fn)(const char *, struct gaih_addrtuple **, char *, size_t, int *, int *, int32_t *);
typedef enum nss_status (*by3_fn)(const char *, int, struct hostent *, char *, size_t, int *, int *, int32_t *,
				  char **);
typedef enum nss_status (*by2_fn)(const char *, int, struct hostent *, char *, size_t, int *, int *);
typedef enum nss_status (*by1_fn)(const char *, struct hostent *, char *, size_t, int *, int *);
typedef enum nss_status (*addr2_fn)(const void *, socklen_t, int, struct hostent *, char *, size_t, int *, int *,
				    int32_t *);
typedef enum nss_status (*addr1_fn)(const void *, socklen_t, int, struct hostent *, char *, size_t, int *, int *);

static struct {
	by4_fn by4;
	by3_fn by3;
	by2_fn by2;
	by1_fn by1;
	addr2_fn addr2;
	addr1_fn addr1;
} m;
static char *dir, *cache;

static void load_module(void)
{
	const char *path = getenv("TN_MODULE");
	void *h = dlopen(path && *path ? path : "build/libnss_tailnet.so.2", RTLD_NOW | RTLD_LOCAL);
	ck_assert_msg(h != NULL, "dlopen: %s", dlerror());
	m.by4 = (by4_fn)dlsym(h, "_nss_tailnet_gethostbyname4_r");
	m.by3 = (by3_fn)dlsym(h, "_nss_tailnet_gethostbyname3_r");
	m.by2 = (by2_fn)dlsym(h, "_nss_tailnet_gethostbyname2_r");
	m.by1 = (by1_fn)dlsym(h, "_nss_tailnet_gethostbyname_r");
	m.addr2 = (addr2_fn)dlsym(h, "_nss_tailnet_gethostbyaddr2_r");
	m.addr1 = (addr1_fn)dlsym(h, "_nss_tailnet_gethostbyaddr_r");
	ck_assert(m.by4 && m.by3 && m.by2 && m.by1 && m.addr2 && m.addr1);
	ck_assert_ptr_null(dlsym(h, "tn_current_query")); /* internals stay hidden */
	ck_assert_ptr_null(dlsym(h, "tn_cache_open"));
}

static void write_tailnet(const char *path, bool magicdns, int64_t max_age)
{
	struct tn_hostset hs;
	fixture_tailnet_many(&hs, magicdns);
	fixture_write_cache(path, &hs, max_age);
	tn_hostset_free(&hs);
}

static void setup(void)
{
	dir = fixture_dir();
	cache = fixture_path(dir, "hosts.cache");
	write_tailnet(cache, true, 3600);
	setenv("TAILNET_NSS_CACHE", cache, 1);
	load_module();
}

static void teardown(void)
{
	free(cache);
	fixture_rmdir(dir);
}

struct result {
	enum nss_status st;
	int err, herr, errno_after;
};

#define POISON 0xa5
#define SLACK 64

/* Calls gethostbyname3_r with exactly `len` bytes (heap, so ASan sees overruns) followed by poison. */
static struct result call3(const char *name, int af, size_t len, struct hostent *he, char **buf_out,
			   int32_t *ttl, char **canon, size_t misalign)
{
	struct result r = {0};
	char *raw = malloc(len + SLACK + misalign);
	memset(raw, POISON, len + SLACK + misalign);
	char *buf = raw + misalign;
	errno = 4242;
	r.st = m.by3(name, af, he, buf, len, &r.err, &r.herr, ttl, canon);
	r.errno_after = errno;
	for (size_t i = len; i < len + SLACK; i++)
		ck_assert_msg((uint8_t)buf[i] == POISON, "%s: wrote past buflen %zu at %zu", name, len, i);
	*buf_out = raw;
	return r;
}

static void expect(struct result r, enum nss_status st, int err, int herr, const char *what)
{
	ck_assert_msg(r.st == st && r.err == err && r.herr == herr, "%s: got status %d errno %d h_errno %d", what,
		      r.st, r.err, r.herr);
}

START_TEST(forward_outcomes)
{
	struct hostent he;
	char *buf;
	int32_t ttl = -1;
	char *canon = NULL;
	struct result r;

	r = call3("vault", AF_INET, 1024, &he, &buf, &ttl, &canon, 0);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "bare vault");
	ck_assert_int_eq(r.errno_after, 4242); /* the caller's errno survives a success */
	ck_assert_str_eq(he.h_name, "vault." SUFFIX);
	ck_assert_ptr_eq(canon, he.h_name);
	ck_assert_str_eq(he.h_aliases[0], "vault");
	ck_assert_ptr_null(he.h_aliases[1]);
	ck_assert_int_eq(he.h_addrtype, AF_INET);
	ck_assert_int_eq(he.h_length, 4);
	ck_assert_mem_eq(he.h_addr_list[0], "\x64\x65\x21\x08", 4);
	ck_assert_ptr_null(he.h_addr_list[1]);
	ck_assert_int_eq(ttl, 5);
	free(buf);

	r = call3("VAULT.Magellanic-Gondola.ts.net.", AF_INET6, 1024, &he, &buf, NULL, NULL, 0);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "fqdn, odd case, trailing dot");
	ck_assert_ptr_null(he.h_aliases[0]); /* asked for the FQDN itself */
	ck_assert_int_eq(he.h_length, 16);
	free(buf);

	r = call3("nope." SUFFIX, AF_INET, 1024, &he, &buf, NULL, NULL, 0);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "unknown under the suffix");
	free(buf);
	r = call3("v6only", AF_INET, 1024, &he, &buf, NULL, NULL, 0);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, NO_DATA, "known name, no IPv4");
	free(buf);
	r = call3("v4only." SUFFIX, AF_INET6, 1024, &he, &buf, NULL, NULL, 0);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, NO_DATA, "known name, no IPv6");
	free(buf);

	/* Not the tailnet's: UNAVAIL + NO_RECOVERY, so [NOTFOUND=return] never hides DNS. */
	const char *foreign[] = {"example.com", "nope", "printer", "grafana", "lan-printer", "nope.hedgehog-arcade.ts.net",
				 "ts.net"};
	for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
		r = call3(foreign[i], AF_INET, 1024, &he, &buf, NULL, NULL, 0);
		expect(r, NSS_STATUS_UNAVAIL, ENOENT, NO_RECOVERY, foreign[i]);
		free(buf);
	}
	const char *invalid[] = {"bad_name." SUFFIX, "100.101.33.8", "", ".", "a..b"};
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		r = call3(invalid[i], AF_INET, 1024, &he, &buf, NULL, NULL, 0);
		expect(r, NSS_STATUS_UNAVAIL, EINVAL, NO_RECOVERY, invalid[i]);
		free(buf);
	}
	r = call3("vault", AF_UNIX, 1024, &he, &buf, NULL, NULL, 0);
	expect(r, NSS_STATUS_UNAVAIL, EAFNOSUPPORT, NO_RECOVERY, "AF_UNIX");
	free(buf);
	r = call3("vault", AF_UNSPEC, 1024, &he, &buf, NULL, NULL, 0);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "AF_UNSPEC means AF_INET");
	ck_assert_int_eq(he.h_addrtype, AF_INET);
	free(buf);
}
END_TEST

START_TEST(other_forward_entry_points)
{
	struct hostent he;
	char buf[1024];
	int err = 0, herr = 0;
	ck_assert_int_eq(m.by2("vault-1", AF_INET6, &he, buf, sizeof buf, &err, &herr), NSS_STATUS_SUCCESS);
	ck_assert_str_eq(he.h_name, "vault-1." SUFFIX);
	ck_assert_int_eq(m.by1("vault-1", &he, buf, sizeof buf, &err, &herr), NSS_STATUS_SUCCESS);
	ck_assert_int_eq(he.h_addrtype, AF_INET);
	ck_assert_mem_eq(he.h_addr_list[0], "\x64\x47\x05\x5a", 4);
	ck_assert_int_eq(m.by1("v6only", &he, buf, sizeof buf, &err, &herr), NSS_STATUS_NOTFOUND);
	ck_assert_int_eq(herr, NO_DATA);
}
END_TEST

/* glibc's retry contract: too small is TRYAGAIN/ERANGE/NETDB_INTERNAL for every buflen below the first
 * that works, at any alignment, and nothing is written past buflen. */
START_TEST(hostent_ladder)
{
	const char *names[] = {"vault", "many." SUFFIX, "v6only"};
	const int afs[] = {AF_INET, AF_INET6};
	for (size_t misalign = 0; misalign < 3; misalign++)
		for (size_t n = 0; n < 3; n++)
			for (size_t a = 0; a < 2; a++) {
				if (n == 2 && afs[a] == AF_INET)
					continue;
				size_t len;
				for (len = 0; len < 8192; len++) {
					struct hostent he;
					char *buf, *canon = NULL;
					struct result r = call3(names[n], afs[a], len, &he, &buf, NULL, &canon, misalign);
					if (r.st == NSS_STATUS_SUCCESS) {
						ck_assert_uint_eq((uintptr_t)he.h_addr_list % alignof(char *), 0);
						ck_assert_uint_eq((uintptr_t)he.h_aliases % alignof(char *), 0);
						ck_assert_ptr_eq(canon, he.h_name);
						unsigned cnt = 0;
						while (he.h_addr_list[cnt])
							cnt++;
						ck_assert_uint_eq(cnt, n == 1 ? 60 : 1);
						free(buf);
						break;
					}
					expect(r, NSS_STATUS_TRYAGAIN, ERANGE, NETDB_INTERNAL, names[n]);
					free(buf);
				}
				ck_assert_uint_lt(len, 8192);
				ck_assert_uint_gt(len, 16);
			}
}
END_TEST

static struct result call4(const char *name, size_t len, struct gaih_addrtuple **pat, char **buf_out, int32_t *ttl)
{
	struct result r = {0};
	char *raw = malloc(len + SLACK);
	memset(raw, POISON, len + SLACK);
	errno = 4343;
	r.st = m.by4(name, pat, raw, len, &r.err, &r.herr, ttl);
	r.errno_after = errno;
	for (size_t i = len; i < len + SLACK; i++)
		ck_assert_msg((uint8_t)raw[i] == POISON, "4_r wrote past buflen %zu", len);
	*buf_out = raw;
	return r;
}

START_TEST(tuples)
{
	struct gaih_addrtuple *pat = NULL;
	char *buf;
	int32_t ttl = -1;
	struct result r = call4("vault", 1024, &pat, &buf, &ttl);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "4_r vault");
	ck_assert_int_eq(r.errno_after, 4343);
	ck_assert_int_eq(ttl, 5);
	ck_assert_ptr_nonnull(pat);
	ck_assert_str_eq(pat->name, "vault." SUFFIX);
	ck_assert_int_eq(pat->family, AF_INET6); /* IPv6 first: one socket serves glibc's sort (hostent_pack.c) */
	ck_assert_uint_eq(pat->scopeid, 0);
	ck_assert_ptr_nonnull(pat->next);
	ck_assert_int_eq(pat->next->family, AF_INET);
	ck_assert_ptr_null(pat->next->next);
	free(buf);

	/* Older nscd hands in its own tuple: the first answer must land there. */
	struct gaih_addrtuple mine;
	memset(&mine, 0, sizeof mine);
	pat = &mine;
	r = call4("vault-1", 1024, &pat, &buf, NULL);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "4_r with *pat");
	ck_assert_ptr_eq(pat, &mine);
	ck_assert_str_eq(mine.name, "vault-1." SUFFIX);
	ck_assert_ptr_nonnull(mine.next);
	ck_assert_ptr_null(mine.next->next);
	free(buf);

	r = call4("nope." SUFFIX, 1024, &pat, &buf, NULL);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "4_r unknown");
	free(buf);
	r = call4("example.org", 1024, &pat, &buf, NULL);
	expect(r, NSS_STATUS_UNAVAIL, ENOENT, NO_RECOVERY, "4_r foreign");
	free(buf);
}
END_TEST

START_TEST(tuples_ladder)
{
	for (int with_pat = 0; with_pat < 2; with_pat++) {
		size_t len;
		for (len = 0; len < 16384; len++) {
			struct gaih_addrtuple mine, *pat = with_pat ? &mine : NULL;
			char *buf;
			struct result r = call4("many", len, &pat, &buf, NULL);
			if (r.st == NSS_STATUS_SUCCESS) {
				unsigned n = 0;
				for (struct gaih_addrtuple *t = pat; t; t = t->next) {
					ck_assert_uint_eq((uintptr_t)t % alignof(struct gaih_addrtuple), 0);
					n++;
				}
				ck_assert_uint_eq(n, 120);
				free(buf);
				break;
			}
			expect(r, NSS_STATUS_TRYAGAIN, ERANGE, NETDB_INTERNAL, "4_r many");
			ck_assert_ptr_eq(pat, with_pat ? &mine : NULL); /* untouched on ERANGE */
			free(buf);
		}
		ck_assert_uint_lt(len, 16384);
	}
}
END_TEST

static struct result call_addr(const char *text, int af, socklen_t alen, size_t len, struct hostent *he, char **out)
{
	uint8_t a[16] = {0};
	struct result r = {0};
	ck_assert_int_eq(inet_pton(af, text, a), 1);
	char *buf = malloc(len + SLACK);
	memset(buf, POISON, len + SLACK);
	errno = 4444;
	r.st = m.addr2(a, alen, af, he, buf, len, &r.err, &r.herr, NULL);
	r.errno_after = errno;
	for (size_t i = len; i < len + SLACK; i++)
		ck_assert((uint8_t)buf[i] == POISON);
	*out = buf;
	return r;
}

START_TEST(reverse)
{
	struct hostent he;
	char *buf;
	struct result r = call_addr("100.101.33.8", AF_INET, 4, 512, &he, &buf);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "PTR 100.101.33.8");
	ck_assert_int_eq(r.errno_after, 4444);
	ck_assert_str_eq(he.h_name, "vault." SUFFIX);
	ck_assert_str_eq(he.h_aliases[0], "vault");
	ck_assert_int_eq(he.h_addrtype, AF_INET);
	ck_assert_mem_eq(he.h_addr_list[0], "\x64\x65\x21\x08", 4);
	free(buf);
	r = call_addr("::ffff:100.101.33.8", AF_INET6, 16, 512, &he, &buf);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "PTR v4-mapped");
	ck_assert_str_eq(he.h_name, "vault." SUFFIX);
	ck_assert_int_eq(he.h_addrtype, AF_INET6); /* as the caller asked */
	ck_assert_int_eq(he.h_length, 16);
	free(buf);
	r = call_addr("fd7a:115c:a1e0::b101:3fa", AF_INET6, 16, 512, &he, &buf);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "PTR shared-in IPv6");
	ck_assert_str_eq(he.h_name, "printer.hedgehog-arcade.ts.net");
	ck_assert_ptr_null(he.h_aliases[0]);
	free(buf);
	r = call_addr("100.101.33.9", AF_INET, 4, 512, &he, &buf);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "unknown tailnet address");
	free(buf);
	r = call_addr("fd7a:115c:a1e0::dead", AF_INET6, 16, 512, &he, &buf);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "unknown tailnet IPv6");
	free(buf);
	r = call_addr("192.0.2.1", AF_INET, 4, 512, &he, &buf);
	expect(r, NSS_STATUS_UNAVAIL, ENOENT, NO_RECOVERY, "address outside the tailnet");
	free(buf);
	r = call_addr("100.101.33.8", AF_INET, 16, 512, &he, &buf);
	expect(r, NSS_STATUS_UNAVAIL, EINVAL, NO_RECOVERY, "bad length");
	free(buf);
	for (size_t len = 0;; len++) {
		r = call_addr("100.101.33.8", AF_INET, 4, len, &he, &buf);
		free(buf);
		if (r.st == NSS_STATUS_SUCCESS)
			break;
		expect(r, NSS_STATUS_TRYAGAIN, ERANGE, NETDB_INTERNAL, "reverse ladder");
	}
	uint8_t a[4] = {100, 71, 5, 90};
	char small[256];
	int err, herr;
	ck_assert_int_eq(m.addr1(a, 4, AF_INET, &he, small, sizeof small, &err, &herr), NSS_STATUS_SUCCESS);
	ck_assert_str_eq(he.h_name, "vault-1." SUFFIX);
	ck_assert_int_eq(m.addr1(a, 4, AF_UNIX, &he, small, sizeof small, &err, &herr), NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(err, EAFNOSUPPORT);
}
END_TEST

static void expect_unavail(int errno_want, const char *what)
{
	struct hostent he;
	char buf[1024];
	int err = 0, herr = 0;
	enum nss_status st = m.by2("vault", AF_INET, &he, buf, sizeof buf, &err, &herr);
	ck_assert_msg(st == NSS_STATUS_UNAVAIL && err == errno_want && herr == NO_RECOVERY,
		      "%s: status %d errno %d h_errno %d", what, st, err, herr);
}

START_TEST(missing_cache)
{
	ck_assert_int_eq(unlink(cache), 0);
	expect_unavail(ENOENT, "missing");
}
END_TEST

START_TEST(foreign_owned_cache)
{
	if (geteuid() != 0)
		return; /* chown needs root; the e2e tests cover this too */
	ck_assert_int_eq(chown(cache, 65534, 65534), 0);
	expect_unavail(EPERM, "owned by nobody");
}
END_TEST

START_TEST(world_writable_cache)
{
	ck_assert_int_eq(chmod(cache, 0666), 0);
	expect_unavail(EPERM, "world-writable");
}
END_TEST

START_TEST(corrupt_cache)
{
	FILE *f = fopen(cache, "r+");
	ck_assert_int_eq(fseek(f, 200, SEEK_SET), 0);
	fputc(0x5a, f);
	fclose(f);
	expect_unavail(EBADMSG, "corrupt");
}
END_TEST

START_TEST(expired_cache)
{
	write_tailnet(cache, true, -1); /* valid_until in the past */
	expect_unavail(ESTALE, "expired");
}
END_TEST

START_TEST(ttl_follows_valid_until)
{
	struct hostent he;
	char buf[1024], *canon;
	int err, herr;
	int32_t ttl = -1;
	write_tailnet(cache, true, 2);
	ck_assert_int_eq(m.by3("vault", AF_INET, &he, buf, sizeof buf, &err, &herr, &ttl, &canon), NSS_STATUS_SUCCESS);
	ck_assert_int_le(ttl, 2);
	ck_assert_int_ge(ttl, 0);
}
END_TEST

/* Long enough for the module's next look at the file's identity (TN_RECHECK_MS, on a coarse clock). */
static void settle(void)
{
	struct timespec pause = {0, 3 * TN_RECHECK_MS * 1000000L};
	nanosleep(&pause, NULL);
}

static int lookup_ok(const char *name)
{
	struct hostent he;
	char buf[2048];
	int err, herr;
	return m.by2(name, AF_INET, &he, buf, sizeof buf, &err, &herr) == NSS_STATUS_SUCCESS;
}

/* Stopped or logged out on purpose: every name and address falls through (UNAVAIL, never NOTFOUND), also
 * the ones that would be NOTFOUND, and the next Running cache serves them again at once. */
START_TEST(paused_cache_steps_aside)
{
	struct tn_hostset hs;
	fixture_tailnet_many(&hs, true);
	hs.paused = true;
	fixture_write_cache(cache, &hs, 3600);
	tn_hostset_free(&hs);
	struct hostent he;
	char buf[1024];
	int err, herr;
	settle();
	ck_assert_int_eq(m.by2("vault", AF_INET, &he, buf, sizeof buf, &err, &herr), NSS_STATUS_UNAVAIL);
	ck_assert_int_eq(herr, NO_RECOVERY);
	ck_assert_int_eq(m.by2("nope." SUFFIX, AF_INET, &he, buf, sizeof buf, &err, &herr), NSS_STATUS_UNAVAIL);
	uint8_t a[4] = {100, 101, 33, 8};
	ck_assert_int_eq(m.addr1(a, 4, AF_INET, &he, buf, sizeof buf, &err, &herr), NSS_STATUS_UNAVAIL);
	uint8_t unknown[4] = {100, 64, 9, 9};
	ck_assert_int_eq(m.addr1(unknown, 4, AF_INET, &he, buf, sizeof buf, &err, &herr), NSS_STATUS_UNAVAIL);
	write_tailnet(cache, true, 3600);
	settle();
	ck_assert(lookup_ok("vault"));
}
END_TEST

/* Finishes the hostset and makes it the cache the module reads. */
static void write_finished(struct tn_hostset *hs)
{
	struct tn_error err;
	ck_assert_int_eq(tn_hostset_finish(hs, &err), 0);
	fixture_write_cache(cache, hs, 3600);
	tn_hostset_free(hs);
	settle();
}

/* A cache whose "app" node has dns-subdomain-resolve, and a node literally named like a 4via6 name. */
static void write_quad100_tailnet(bool magicdns, uint32_t version)
{
	struct tn_hostset hs;
	struct tn_error err;
	fixture_tailnet(&hs, magicdns);
	hs.finished = false;
	hs.ts_version = version;
	const char *app[] = {"100.64.7.7", "fd7a:115c:a1e0::707"}, *odd[] = {"100.64.8.8"};
	ck_assert_int_eq(tn_hostset_add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE, .name = "app." SUFFIX,
								 .addrs = app, .n_addrs = 2, .subdomains = true},
					NULL, &err),
			 0);
	ck_assert_int_eq(tn_hostset_add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE,
								 .name = "10-1-1-16-via-7." SUFFIX, .addrs = odd, .n_addrs = 1},
					NULL, &err),
			 0);
	write_finished(&hs);
}

static struct result look(const char *name, int af, struct hostent *he, char *buf, size_t len)
{
	struct result r = {0};
	r.st = m.by3(name, af, he, buf, len, &r.err, &r.herr, NULL, NULL);
	return r;
}

/* What quad-100 answers besides the cache's names, and what it leaves to others (tsdns.go resolveLocal). */
START_TEST(quad100_names)
{
	struct hostent he;
	char buf[1024], text[INET6_ADDRSTRLEN];
	struct result r;
	write_quad100_tailnet(true, 0);

	/* 4via6: AAAA from the name, an A question is "exists, no such data"; under our suffix, any *.ts.net,
	 * or bare; and a node named like one is shadowed, as quad-100 tries 4via6 first. */
	const char *vias[] = {"10-1-1-16-via-7", "10-1-1-16-via-7." SUFFIX, "10-1-1-16-via-7.other-tailnet.ts.net"};
	for (size_t i = 0; i < 3; i++) {
		r = look(vias[i], AF_INET6, &he, buf, sizeof buf);
		expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, vias[i]);
		inet_ntop(AF_INET6, he.h_addr_list[0], text, sizeof text);
		ck_assert_str_eq(text, "fd7a:115c:a1e0:b1a:0:7:a01:110");
		r = look(vias[i], AF_INET, &he, buf, sizeof buf);
		expect(r, NSS_STATUS_NOTFOUND, ENOENT, NO_DATA, vias[i]);
	}
	r = look("10-1-1-16-via-7.example.com", AF_INET6, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_UNAVAIL, ENOENT, NO_RECOVERY, "a via name under a foreign domain");

	/* Subdomains of a node with dns-subdomain-resolve, at any depth, under the name asked; not of others. */
	const char *subs[] = {"www.app." SUFFIX, "a.b.c.app." SUFFIX, "www.app"};
	for (size_t i = 0; i < 3; i++) {
		r = look(subs[i], AF_INET, &he, buf, sizeof buf);
		expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, subs[i]);
		ck_assert_mem_eq(he.h_addr_list[0], "\x64\x40\x07\x07", 4);
	}
	r = look("www.vault." SUFFIX, AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "below a node without the capability");

	/* .onion is NXDOMAIN (RFC 7686); quad-100's own name answers its addresses; the suffix itself is its
	 * zone's apex: no such host. */
	r = look("secret.onion", AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, ".onion");
	r = look(TN_SYMBOLIC_NAME, AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, TN_SYMBOLIC_NAME);
	ck_assert_mem_eq(he.h_addr_list[0], "\x64\x64\x64\x64", 4);
	r = look(SUFFIX, AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "the suffix itself");
	char *rbuf;
	r = call_addr("100.100.100.100", AF_INET, 4, 512, &he, &rbuf);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "PTR 100.100.100.100");
	ck_assert_str_eq(he.h_name, TN_SYMBOLIC_NAME);
	free(rbuf);
	r = call_addr("fd7a:115c:a1e0:ab12:4843:cd96:6265:2108", AF_INET6, 16, 512, &he, &rbuf); /* 4to6 of vault */
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "PTR of a 4to6 address");
	ck_assert_str_eq(he.h_name, "vault." SUFFIX);
	free(rbuf);

	/* With MagicDNS off quad-100 is authoritative for nothing: unknown names and addresses go to DNS. */
	write_quad100_tailnet(false, 0);
	r = look("nope." SUFFIX, AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_UNAVAIL, ENOENT, NO_RECOVERY, "unknown name, MagicDNS off");
	r = call_addr("100.64.9.9", AF_INET, 4, 512, &he, &rbuf);
	expect(r, NSS_STATUS_UNAVAIL, ENOENT, NO_RECOVERY, "unknown address, MagicDNS off");
	free(rbuf);

	/* Before 1.102 a bare name does not lead to a subdomain host, and the older 4via6 forms work. */
	write_quad100_tailnet(true, (1u << 24) | (100u << 12));
	r = look("www.app", AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_UNAVAIL, ENOENT, NO_RECOVERY, "www.app before 1.102");
	r = look("www.app." SUFFIX, AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "www.app.<suffix> before 1.102");
	r = look("10.1.1.16.via-7", AF_INET6, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "10.1.1.16.via-7 before 1.102");
}
END_TEST

/* A cache with one more node, "net", with dns-subdomain-resolve: its bare name is an ancestor of the suffix. */
static void write_net_tailnet(void)
{
	struct tn_hostset hs;
	struct tn_error err;
	fixture_tailnet(&hs, true);
	hs.finished = false;
	const char *net[] = {"100.64.9.9"};
	ck_assert_int_eq(tn_hostset_add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE, .name = "net." SUFFIX,
								 .addrs = net, .n_addrs = 1, .subdomains = true},
					NULL, &err),
			 0);
	write_finished(&hs);
}

/* What the suffix and its ancestors answer below them is learnt once per file (scope.c): a miss under the suffix
 * stays a miss however often it is asked, a host that answers from above the suffix does so the first time and
 * every time after, and a new file learns anew. */
START_TEST(walk_above_the_suffix)
{
	struct hostent he;
	char buf[1024];
	struct result r;
	write_quad100_tailnet(true, 0);
	for (int i = 0; i < 3; i++) {
		r = look("nope." SUFFIX, AF_INET, &he, buf, sizeof buf);
		expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "a miss under the suffix");
	}
	write_net_tailnet();
	for (int i = 0; i < 3; i++) {
		r = look("nope." SUFFIX, AF_INET, &he, buf, sizeof buf);
		expect(r, NSS_STATUS_SUCCESS, 0, NETDB_SUCCESS, "under the suffix, answered by \"net\"");
		ck_assert_mem_eq(he.h_addr_list[0], "\x64\x40\x09\x09", 4);
	}
	write_quad100_tailnet(true, 0);
	r = look("nope." SUFFIX, AF_INET, &he, buf, sizeof buf);
	expect(r, NSS_STATUS_NOTFOUND, ENOENT, HOST_NOT_FOUND, "a miss again in the next file");
}
END_TEST

/* A writer's rename is seen within the re-check interval, both ways. */
START_TEST(replacement_is_seen_within_the_recheck)
{
	ck_assert(lookup_ok("vault"));
	write_tailnet(cache, false, 3600); /* MagicDNS off: bare names gone */
	settle();
	ck_assert(!lookup_ok("vault"));
	ck_assert(lookup_ok("vault." SUFFIX));
	write_tailnet(cache, true, 3600);
	settle();
	ck_assert(lookup_ok("vault"));
}
END_TEST

/* A copy renamed into place by hand is the same to the module. */
START_TEST(replacement_without_flag)
{
	char *other = fixture_path(dir, "other.cache");
	ck_assert(lookup_ok("vault"));
	write_tailnet(other, false, 3600);
	ck_assert_int_eq(rename(other, cache), 0);
	settle();
	ck_assert(!lookup_ok("vault"));
	free(other);
}
END_TEST

static int open_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

struct worker {
	int failures;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	for (int i = 0; i < 2000; i++) {
		struct hostent he;
		int err, herr;
		size_t len = i % 2 ? 4096 : 128; /* "many" in 128 bytes forces ERANGE every other time */
		char *buf = malloc(len);
		enum nss_status st = m.by2(i % 2 ? "many." SUFFIX : "vault-1." SUFFIX, i % 3 ? AF_INET : AF_INET6, &he, buf, len, &err, &herr);
		if (st != NSS_STATUS_SUCCESS && !(st == NSS_STATUS_TRYAGAIN && err == ERANGE && herr == NETDB_INTERNAL))
			w->failures++;
		free(buf);
	}
	return NULL;
}

START_TEST(threads_while_rewriting)
{
	pthread_t t[8];
	struct worker w[8] = {0};
	ck_assert(lookup_ok("vault")); /* map once, then count descriptors */
	int fds = open_fds();
	for (int i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, hammer, &w[i]);
	for (int i = 0; i < 30; i++)
		write_tailnet(cache, i % 2, 3600);
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(w[i].failures, 0);
	}
	ck_assert_int_eq(open_fds(), fds);
}
END_TEST

static volatile int stop_writer;

static void *rewrite_forever(void *arg)
{
	(void)arg;
	for (int i = 0; !stop_writer; i++)
		write_tailnet(cache, i % 2, 3600);
	return NULL;
}

static void *cancellable_lookups(void *arg)
{
	(void)arg;
	for (;;) {
		lookup_ok("vault." SUFFIX);
		pthread_testcancel();
	}
	return NULL;
}

/* pthread_cancel lands while lookups keep re-opening a cache that is replaced under them: no descriptor
 * leaks and the module is never left locked (its I/O runs with cancellation disabled). */
START_TEST(cancellation)
{
	pthread_t writer, t;
	ck_assert(lookup_ok("vault"));
	int fds = open_fds();
	pthread_create(&writer, NULL, rewrite_forever, NULL);
	for (int i = 0; i < 200; i++) {
		pthread_create(&t, NULL, cancellable_lookups, NULL);
		struct timespec pause = {0, (i % 10) * 100000};
		nanosleep(&pause, NULL);
		pthread_cancel(t);
		pthread_join(t, NULL);
	}
	stop_writer = 1;
	pthread_join(writer, NULL);
	ck_assert(lookup_ok("vault." SUFFIX));
	ck_assert_int_eq(open_fds(), fds);
}
END_TEST

static void *fork_child_lookups(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++)
		lookup_ok(i % 2 ? "vault" : "many");
	return NULL;
}

/* fork() while other threads are inside the module: the child can still resolve (no inherited lock). */
START_TEST(fork_while_busy)
{
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, fork_child_lookups, NULL);
	for (int i = 0; i < 40; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(5);
			_exit(lookup_ok("vault") ? 0 : 1);
		}
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", i);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
}
END_TEST

static Suite *module_suite(void)
{
	Suite *s = suite_create("module");
	TCase *tc = tcase_create("entry points");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, forward_outcomes);
	tcase_add_test(tc, other_forward_entry_points);
	tcase_add_test(tc, hostent_ladder);
	tcase_add_test(tc, tuples);
	tcase_add_test(tc, tuples_ladder);
	tcase_add_test(tc, reverse);
	tcase_add_test(tc, missing_cache);
	tcase_add_test(tc, foreign_owned_cache);
	tcase_add_test(tc, world_writable_cache);
	tcase_add_test(tc, corrupt_cache);
	tcase_add_test(tc, expired_cache);
	tcase_add_test(tc, ttl_follows_valid_until);
	tcase_add_test(tc, paused_cache_steps_aside);
	tcase_add_test(tc, quad100_names);
	tcase_add_test(tc, walk_above_the_suffix);
	tcase_add_test(tc, replacement_is_seen_within_the_recheck);
	tcase_add_test(tc, replacement_without_flag);
	tcase_add_test(tc, threads_while_rewriting);
	tcase_add_test(tc, fork_while_busy);
	tcase_add_test(tc, cancellation);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(module_suite)
