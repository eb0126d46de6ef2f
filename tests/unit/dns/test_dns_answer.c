/* SPDX-License-Identifier: BSD-3-Clause */
/* test_dns_answer.c - the responder's policy (helper/dns/dns_answer.c): every outcome on the fixture tailnet, TTLs,
 * SOAs, reverse names; then, name by name, that the DNS answer and the NSS module's answer agree (the module's
 * entry points are called directly, on the same cache file, through the same process view). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <nss.h>
#include <time.h>

#include "dns/dns_answer.h"
#include "dns_msg.h"
#include "fixture.h"
#include "nss/cache_current.h"
#include "nss/cache_reader.h"
#include "unit.h"

#define NOW 1000000
static uint8_t pkt[600], out[TN_DNS_MSG_MAX];
static struct tn_cache cache;
static uint8_t *image;

static void build_cache(bool magicdns, int64_t valid_until, bool paused)
{
	struct tn_hostset hs;
	struct tn_error err = {0};
	struct tn_cache_meta meta = {.generation = 77, .written_at = NOW - 10, .valid_until = valid_until};
	size_t len;
	fixture_tailnet_many(&hs, magicdns);
	hs.paused = paused;
	ck_assert_msg(tn_cache_build(&hs, &meta, &image, &len, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(tn_cache_parse(image, len, &cache, NULL), 0);
	tn_hostset_free(&hs);
}

static void build(bool magicdns, int64_t valid_until)
{
	build_cache(magicdns, valid_until, false);
}

static void setup(void)
{
	build(true, NOW + 3600);
}

static void teardown(void)
{
	free(image);
}

/* Asks `name` for `type` (UDP limits, EDNS when udp > 0) and reads the answer back. */
static void ask(const char *name, unsigned type, int udp, struct reply *r)
{
	struct tn_dns_query q;
	struct tn_dns_msg m;
	size_t len = q_build(pkt, name, (struct q_opts){.type = (uint16_t)type, .edns_udp = udp});
	ck_assert_int_eq(tn_dns_parse(pkt, len, &q), 0);
	ck_assert_int_eq(q.rcode, 0);
	tn_dns_begin(&m, out, tn_dns_udp_limit(&q), &q);
	tn_dns_answer(&cache, &q, NOW, &m);
	r_parse(out, tn_dns_finish(&m), r);
}

static void expect_rcode(const char *name, unsigned type, unsigned rcode, unsigned an)
{
	struct reply r;
	ask(name, type, 0, &r);
	ck_assert_msg(r.rcode == rcode && r.an == an, "%s type %u: rcode %u with %u answers, expected %u with %u", name,
		      type, r.rcode, r.an, rcode, an);
	ck_assert_uint_eq(R_AA(&r), rcode != TN_RCODE_REFUSED); /* the cache's answers are authoritative */
}

static void rdata_text(const struct reply *r, size_t i, char *text)
{
	int af = r->rr[i].rdlen == 4 ? AF_INET : AF_INET6;
	ck_assert_ptr_nonnull(inet_ntop(af, out + r->rr[i].rdata, text, INET6_ADDRSTRLEN));
}

/* The SOA in the authority section: owner, TTL, serial. */
static void expect_soa(const struct reply *r, const char *zone, uint32_t ttl)
{
	char owner[300];
	ck_assert_uint_eq(r->ns, 1);
	ck_assert_uint_eq(r->rr[r->n_rr - 1].type, TN_DNS_SOA);
	r_name(out, r->rr[r->n_rr - 1].owner, owner);
	ck_assert_str_eq(owner, zone);
	ck_assert_uint_eq(r->rr[r->n_rr - 1].ttl, ttl);
	ck_assert_uint_eq(q_get32(out, r->rr[r->n_rr - 1].rdata + 2 + 16), 77); /* serial: the generation */
}

START_TEST(forward)
{
	struct reply r;
	char text[INET6_ADDRSTRLEN];
	ask("vault", TN_DNS_A, 0, &r);
	ck_assert_uint_eq(r.rcode, 0);
	ck_assert_uint_eq(r.an, 1);
	ck_assert_uint_eq(r.rr[0].ttl, 5);
	rdata_text(&r, 0, text);
	ck_assert_str_eq(text, "100.101.33.8");
	ask("VAULT.Magellanic-Gondola.ts.net", TN_DNS_AAAA, 0, &r);
	ck_assert_uint_eq(r.an, 1);
	rdata_text(&r, 0, text);
	ck_assert_str_eq(text, "fd7a:115c:a1e0::c601:2108");
	ask("vault", TN_DNS_ANY, 0, &r);
	ck_assert_uint_eq(r.an, 2);

	expect_rcode("vault-1." SUFFIX, TN_DNS_A, 0, 1);
	expect_rcode("printer.hedgehog-arcade.ts.net", TN_DNS_AAAA, 0, 1); /* shared-in: by FQDN */
	expect_rcode("se-sto-wg-003.mullvad.ts.net", TN_DNS_A, 0, 1);
	expect_rcode("grafana." SUFFIX, TN_DNS_A, 0, 1); /* ExtraRecords */

	/* NODATA: known, but not that family or type; the SOA only inside the tailnet's own zone. */
	ask("grafana." SUFFIX, TN_DNS_AAAA, 0, &r);
	ck_assert_uint_eq(r.rcode, 0);
	ck_assert_uint_eq(r.an, 0);
	expect_soa(&r, SUFFIX, 10);
	expect_rcode("v6only", TN_DNS_A, 0, 0);
	expect_rcode("v4only." SUFFIX, TN_DNS_AAAA, 0, 0);
	expect_rcode("vault", 15 /* MX */, 0, 0);
	expect_rcode("vault." SUFFIX, TN_DNS_PTR, 0, 0);
	/* A name that exists, asked for NS, SOA or HINFO: NOTIMP, as quad-100. */
	expect_rcode("vault." SUFFIX, TN_DNS_NS, TN_RCODE_NOTIMP, 0);
	expect_rcode("vault", TN_DNS_SOA, TN_RCODE_NOTIMP, 0);
	expect_rcode("grafana." SUFFIX, TN_DNS_HINFO, TN_RCODE_NOTIMP, 0);
	/* 4via6 names: AAAA from the name, A is NODATA; .onion is NXDOMAIN. */
	ask("10-1-1-16-via-7." SUFFIX, TN_DNS_AAAA, 0, &r);
	ck_assert_uint_eq(r.an, 1);
	rdata_text(&r, 0, text);
	ck_assert_str_eq(text, "fd7a:115c:a1e0:b1a:0:7:a01:110");
	expect_rcode("10-1-1-16-via-7", TN_DNS_A, 0, 0);
	expect_rcode("hidden.onion", TN_DNS_A, TN_RCODE_NXDOMAIN, 0);
	ask("vault", 16 /* TXT */, 0, &r);
	ck_assert_uint_eq(r.ns, 0); /* a bare name lies in no zone we own */
	ask("printer.hedgehog-arcade.ts.net", 16, 0, &r);
	ck_assert_uint_eq(r.ns, 0);

	/* NXDOMAIN: unknown, under our own suffix, or the suffix itself (its zone's apex, as quad-100 says). */
	ask(SUFFIX, TN_DNS_A, 0, &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_NXDOMAIN);
	expect_soa(&r, SUFFIX, 10);
	ask("nope." SUFFIX, TN_DNS_A, 0, &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_NXDOMAIN);
	expect_soa(&r, SUFFIX, 10);
	expect_rcode("a.b.c." SUFFIX, TN_DNS_AAAA, TN_RCODE_NXDOMAIN, 0);
	expect_rcode("x.vault." SUFFIX, TN_DNS_A, TN_RCODE_NXDOMAIN, 0);
	expect_rcode("printer.hedgehog-arcade.ts.net." SUFFIX, TN_DNS_A, TN_RCODE_NXDOMAIN, 0); /* search list */

	/* REFUSED: not the tailnet's to answer. */
	expect_rcode("example.org", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("nas", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("printer", TN_DNS_A, TN_RCODE_REFUSED, 0); /* shared-in: no bare name */
	expect_rcode("grafana", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("nope.hedgehog-arcade.ts.net", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("x.example." SUFFIX, 16, TN_RCODE_NXDOMAIN, 0);
	expect_rcode("ts.net", TN_DNS_SOA, TN_RCODE_REFUSED, 0);
	expect_rcode("_http._tcp.vault." SUFFIX, 33 /* SRV */, TN_RCODE_REFUSED, 0);
	expect_rcode("100.101.33.8", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("", TN_DNS_SOA, TN_RCODE_REFUSED, 0);
	expect_rcode(SUFFIX, TN_DNS_AXFR, TN_RCODE_REFUSED, 0);
	struct tn_dns_query q;
	struct tn_dns_msg m;
	size_t len = q_build(pkt, "vault", (struct q_opts){.qclass = 3}); /* CHAOS */
	tn_dns_parse(pkt, len, &q);
	tn_dns_begin(&m, out, 512, &q);
	tn_dns_answer(&cache, &q, NOW, &m);
	r_parse(out, tn_dns_finish(&m), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_REFUSED);
}
END_TEST

START_TEST(many_addresses)
{
	struct reply r;
	ask("many." SUFFIX, TN_DNS_AAAA, 0, &r); /* 60 x 28 bytes: not in 512 */
	ck_assert_uint_eq(R_TC(&r), 1);
	ck_assert_uint_eq(r.an, 0);
	ask("many." SUFFIX, TN_DNS_AAAA, 4096, &r); /* nor in 1232 */
	ck_assert_uint_eq(R_TC(&r), 1);
	ask("many." SUFFIX, TN_DNS_A, 4096, &r); /* 60 x 16 fits in 1232 */
	ck_assert_uint_eq(R_TC(&r), 0);
	ck_assert_uint_eq(r.an, 60);
	ask("many." SUFFIX, TN_DNS_A, 0, &r); /* but not in 512 */
	ck_assert_uint_eq(R_TC(&r), 1);
}
END_TEST

START_TEST(reverse)
{
	struct reply r;
	char name[300];
	ask("8.33.101.100.in-addr.arpa", TN_DNS_PTR, 0, &r);
	ck_assert_uint_eq(r.rcode, 0);
	ck_assert_uint_eq(r.an, 1);
	ck_assert_uint_eq(r.rr[0].ttl, 5);
	r_name(out, r.rr[0].rdata, name);
	ck_assert_str_eq(name, "vault." SUFFIX);
	ask("3.0.9.c.1.0.a.a.0.0.0.0.0.0.0.0.0.0.0.0.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa", TN_DNS_PTR, 0, &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_NXDOMAIN); /* alice-laptop's address: not in this fixture */
	expect_soa(&r, "0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa", 10);
	expect_rcode("3.0.9.c.1.0.a.a.0.0.0.0.0.0.0.0.0.0.0.0.0.E.1.A.C.5.1.1.A.7.D.F.IP6.ARPA", TN_DNS_ANY,
		     TN_RCODE_NXDOMAIN, 0);
	expect_rcode("8.0.1.2.1.0.6.c.0.0.0.0.0.0.0.0.0.0.0.0.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa", TN_DNS_PTR, 0, 1);
	expect_rcode("90.5.71.100.in-addr.arpa", TN_DNS_ANY, 0, 1);
	ask("9.9.64.100.in-addr.arpa", TN_DNS_PTR, 0, &r); /* in 100.64.0.0/10, unknown */
	ck_assert_uint_eq(r.rcode, TN_RCODE_NXDOMAIN);
	expect_soa(&r, "64.100.in-addr.arpa", 10);
	expect_rcode("1.1.127.100.in-addr.arpa", TN_DNS_PTR, TN_RCODE_NXDOMAIN, 0); /* 100.127.1.1 */
	/* Outside the tailnet's ranges, or not one whole address: not ours. */
	expect_rcode("1.0.0.10.in-addr.arpa", TN_DNS_PTR, TN_RCODE_REFUSED, 0);
	expect_rcode("9.9.128.100.in-addr.arpa", TN_DNS_PTR, TN_RCODE_REFUSED, 0);
	expect_rcode("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa", TN_DNS_PTR,
		     TN_RCODE_REFUSED, 0);
	expect_rcode("33.101.100.in-addr.arpa", TN_DNS_PTR, TN_RCODE_REFUSED, 0);
	expect_rcode("08.33.101.100.in-addr.arpa", TN_DNS_PTR, TN_RCODE_REFUSED, 0);
	expect_rcode("256.33.101.100.in-addr.arpa", TN_DNS_PTR, TN_RCODE_REFUSED, 0);
	expect_rcode("8.33.101.100.x.in-addr.arpa", TN_DNS_PTR, TN_RCODE_REFUSED, 0);
	expect_rcode("g.0.1.2.1.0.6.c.0.0.0.0.0.0.0.0.0.0.0.0.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa", TN_DNS_PTR,
		     TN_RCODE_REFUSED, 0);
	expect_rcode("0.1.2.1.0.6.c.0.0.0.0.0.0.0.0.0.0.0.0.0.e.1.a.c.5.1.1.a.7.d.f.ip6.arpa", TN_DNS_PTR,
		     TN_RCODE_REFUSED, 0);
	/* Other questions about reverse names go the forward way: not the tailnet's. */
	expect_rcode("8.33.101.100.in-addr.arpa", TN_DNS_A, TN_RCODE_REFUSED, 0);
}
END_TEST

START_TEST(bare_names_follow_magicdns)
{
	free(image);
	build(false, NOW + 3600);
	expect_rcode("vault", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("vault." SUFFIX, TN_DNS_A, 0, 1);
}
END_TEST

/* tailscaled Stopped or logged out: quad-100 serves nothing, so neither does the responder (REFUSED: the
 * next nameserver decides), not even NXDOMAIN under the suffix. */
START_TEST(paused_is_refused)
{
	free(image);
	build_cache(true, NOW + 3600, true);
	expect_rcode("vault." SUFFIX ".", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("nope." SUFFIX ".", TN_DNS_A, TN_RCODE_REFUSED, 0);
	expect_rcode("8.33.101.100.in-addr.arpa.", TN_DNS_PTR, TN_RCODE_REFUSED, 0);
}
END_TEST

START_TEST(ttl_follows_the_cache)
{
	struct reply r;
	free(image);
	build(true, NOW + 3);
	ask("vault", TN_DNS_A, 0, &r);
	ck_assert_uint_eq(r.rr[0].ttl, 3);
	ask("nope." SUFFIX, TN_DNS_A, 0, &r);
	expect_soa(&r, SUFFIX, 3);
}
END_TEST

/* The module and the responder, on one cache file, through the process's one view. */
enum nss_status _nss_tailnet_gethostbyname3_r(const char *name, int af, struct hostent *host, char *buffer,
					      size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp, char **canonp);
enum nss_status _nss_tailnet_gethostbyaddr2_r(const void *addr, socklen_t len, int af, struct hostent *host,
					      char *buffer, size_t buflen, int *errnop, int *h_errnop, int32_t *ttlp);

static char *dir;

static void file_setup(void)
{
	struct tn_hostset hs;
	dir = fixture_dir();
	char *path = fixture_path(dir, "hosts.cache");
	fixture_tailnet_many(&hs, true);
	fixture_write_cache(path, &hs, 3600);
	tn_hostset_free(&hs);
	ck_assert_int_eq(tn_current_set_path(path), 0);
	tn_current_reset();
	free(path);
}

static void file_teardown(void)
{
	tn_current_reset();
	fixture_rmdir(dir);
}

/* What the module's outcome means in DNS terms. */
static unsigned module_rcode(enum nss_status st, int h_errno_value, unsigned *an, const struct hostent *he)
{
	*an = 0;
	if (st == NSS_STATUS_SUCCESS) {
		while (he->h_addr_list[*an])
			(*an)++;
		return TN_RCODE_NOERROR;
	}
	if (st == NSS_STATUS_NOTFOUND)
		return h_errno_value == NO_DATA ? TN_RCODE_NOERROR : TN_RCODE_NXDOMAIN;
	return TN_RCODE_REFUSED;
}

static void respond(const char *name, unsigned type, struct reply *r)
{
	size_t len = q_build(pkt, name, (struct q_opts){.type = (uint16_t)type, .edns_udp = 1232});
	size_t n = tn_dns_respond(pkt, len, 1, out);
	ck_assert_uint_gt(n, 0);
	r_parse(out, n, r);
}

START_TEST(agrees_with_the_module)
{
	static const char *names[] = {"vault",
				      "VAULT.",
				      "vault." SUFFIX,
				      "vault-1",
				      "ci-runner-7." SUFFIX,
				      "v6only",
				      "v4only." SUFFIX,
				      "many." SUFFIX,
				      "grafana",
				      "grafana." SUFFIX,
				      "printer",
				      "printer.hedgehog-arcade.ts.net",
				      "bobs-thinkpad.hedgehog-arcade.ts.net",
				      "se-sto-wg-003",
				      "se-sto-wg-003.mullvad.ts.net",
				      "nope",
				      "nope." SUFFIX,
				      "x.vault." SUFFIX,
				      SUFFIX,
				      "ts.net",
				      "example.org",
				      "nope.hedgehog-arcade.ts.net",
				      "1.2.3.4",
				      "8.33.101.100.in-addr.arpa",
				      "vault." SUFFIX ".example.org",
				      "localhost"};
	static char buf[65536];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		for (int af = AF_INET; af <= AF_INET6; af += AF_INET6 - AF_INET) {
			struct hostent he;
			struct reply r;
			int e = 0, h = 0;
			unsigned an;
			enum nss_status st =
			    _nss_tailnet_gethostbyname3_r(names[i], af, &he, buf, sizeof buf, &e, &h, NULL, NULL);
			unsigned want = module_rcode(st, h, &an, &he);
			respond(names[i], af == AF_INET ? TN_DNS_A : TN_DNS_AAAA, &r);
			ck_assert_msg(r.rcode == want && r.an == an,
				      "%s %s: DNS rcode %u with %u answers, module %u with %u", names[i],
				      af == AF_INET ? "A" : "AAAA", r.rcode, r.an, want, an);
			for (unsigned a = 0; a < an; a++)
				ck_assert_mem_eq(out + r.rr[a].rdata, he.h_addr_list[a], (size_t)he.h_length);
		}
	}
	static const char *addrs[] = {
	    "100.101.33.8",       "100.71.5.90",       "100.64.0.44", "100.64.9.9",
	    "100.127.255.255",    "100.128.0.1",       "10.0.0.1",    "fd7a:115c:a1e0::c601:2108",
	    "fd7a:115c:a1e0::99", "fd7a:115c:a1e1::1", "::1"};
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		uint8_t a[16];
		char name[80];
		int af = strchr(addrs[i], ':') ? AF_INET6 : AF_INET;
		ck_assert_int_eq(inet_pton(af, addrs[i], a), 1);
		size_t o = 0;
		if (af == AF_INET)
			o = (size_t)snprintf(name, sizeof name, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2], a[1], a[0]);
		else
			for (int n = 31; n >= 0; n--)
				o += (size_t)snprintf(name + o, sizeof name - o, "%x.",
						      (a[n / 2] >> (n % 2 ? 0 : 4)) & 0xf);
		if (af == AF_INET6)
			snprintf(name + o, sizeof name - o, "ip6.arpa");
		struct hostent he;
		struct reply r;
		int e = 0, h = 0;
		unsigned an;
		enum nss_status st =
		    _nss_tailnet_gethostbyaddr2_r(a, af == AF_INET ? 4 : 16, af, &he, buf, sizeof buf, &e, &h, NULL);
		unsigned want = module_rcode(st, h, &an, &he);
		respond(name, TN_DNS_PTR, &r);
		ck_assert_msg(r.rcode == want && r.an == (st == NSS_STATUS_SUCCESS), "%s: DNS rcode %u, module %u",
			      addrs[i], r.rcode, want);
		if (st == NSS_STATUS_SUCCESS) {
			char target[300];
			r_name(out, r.rr[0].rdata, target);
			ck_assert_str_eq(target, he.h_name);
		}
	}
}
END_TEST

START_TEST(no_usable_cache_is_refused)
{
	struct reply r;
	respond("vault", TN_DNS_A, &r);
	ck_assert_uint_eq(r.rcode, 0);
	chmod(dir, 0777); /* a directory others could swap files in: the reader refuses the cache */
	tn_current_reset();
	respond("vault", TN_DNS_A, &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_REFUSED);
	respond("nope." SUFFIX, TN_DNS_A, &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_REFUSED); /* even our own names: the next nameserver decides */
	chmod(dir, 0755);
	tn_current_reset();
	respond("vault", TN_DNS_A, &r);
	ck_assert_uint_eq(r.rcode, 0);

	/* Expired: REFUSED as well. */
	struct tn_hostset hs;
	char *path = fixture_path(dir, "hosts.cache");
	fixture_tailnet(&hs, true);
	fixture_write_cache(path, &hs, 1);
	tn_hostset_free(&hs);
	free(path);
	struct timespec ts = {2, 100000000};
	nanosleep(&ts, NULL);
	respond("vault", TN_DNS_A, &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_REFUSED);
}
END_TEST

START_TEST(errors_answered_without_a_cache)
{
	struct reply r;
	tn_current_set_path("/nonexistent/hosts.cache");
	size_t len = q_build(pkt, "vault", (struct q_opts){.flags = 0x2100}); /* opcode 4, NOTIFY */
	r_parse(out, tn_dns_respond(pkt, len, 0, out), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_NOTIMP);
	len = q_build(pkt, "vault", (struct q_opts){0});
	pkt[2] |= 0x80;
	ck_assert_uint_eq(tn_dns_respond(pkt, len, 0, out), 0); /* a response: dropped */
	ck_assert_uint_eq(tn_dns_respond(pkt, 5, 0, out), 0);
	ck_assert_int_eq(tn_current_set_path("relative"), -EINVAL);
}
END_TEST

static Suite *answer_suite(void)
{
	Suite *s = suite_create("dns_answer");
	TCase *tc = tcase_create("policy");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, forward);
	tcase_add_test(tc, many_addresses);
	tcase_add_test(tc, reverse);
	tcase_add_test(tc, bare_names_follow_magicdns);
	tcase_add_test(tc, paused_is_refused);
	tcase_add_test(tc, ttl_follows_the_cache);
	suite_add_tcase(s, tc);
	tc = tcase_create("module");
	tcase_set_timeout(tc, 20);
	tcase_add_checked_fixture(tc, file_setup, file_teardown);
	tcase_add_test(tc, agrees_with_the_module);
	tcase_add_test(tc, no_usable_cache_is_refused);
	tcase_add_test(tc, errors_answered_without_a_cache);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(answer_suite)
