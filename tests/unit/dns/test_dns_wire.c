/* SPDX-License-Identifier: BSD-3-Clause */
/* test_dns_wire.c - the responder's packet parser and builder (helper/dns/dns_wire.c): what is dropped, what is
 * FORMERR / NOTIMP / BADVERS, the question echoed byte for byte, EDNS(0), truncation, name limits and
 * compression. */
#include "dns/dns_wire.h"
#include "dns_msg.h"
#include "unit.h"

static uint8_t pkt[1024], out[TN_DNS_MSG_MAX];

/* Parses pkt and answers it with `n_a` A records; returns the reply read back. */
static size_t respond(size_t len, size_t limit, int n_a, struct tn_dns_query *q)
{
	static const uint8_t addr[4] = {100, 101, 33, 8};
	struct tn_dns_msg m;
	ck_assert_int_eq(tn_dns_parse(pkt, len, q), 0);
	tn_dns_begin(&m, out, limit ? limit : tn_dns_udp_limit(q), q);
	if (q->rcode)
		tn_dns_set_rcode(&m, q->rcode, 0);
	else
		tn_dns_set_rcode(&m, 0, 1);
	for (int i = 0; i < n_a; i++)
		tn_dns_add(&m, TN_DNS_ANSWER, TN_DNS_A, 5, addr, 4);
	return tn_dns_finish(&m);
}

START_TEST(simple_query)
{
	struct tn_dns_query q;
	struct reply r;
	size_t len = q_build(pkt, "VaUlt.Magellanic-Gondola.ts.net", (struct q_opts){.id = 0xbeef, .flags = 0x0110});
	size_t n = respond(len, 0, 2, &q);
	ck_assert_int_eq(q.rcode, 0);
	ck_assert_int_eq(q.host_ok, 1);
	ck_assert_str_eq(q.name, "VaUlt.Magellanic-Gondola.ts.net");
	ck_assert_uint_eq(q.qtype, 1);
	ck_assert_uint_eq(q.qclass, 1);
	ck_assert_int_eq(q.edns, 0);
	r_parse(out, n, &r);
	ck_assert_uint_eq(r.id, 0xbeef);
	ck_assert_uint_eq(r.flags & 0x8000, 0x8000); /* QR */
	ck_assert_uint_eq(r.flags & 0x0110, 0x0110); /* RD and CD copied */
	ck_assert_uint_eq(r.flags & 0x0080, 0);      /* RA: we never recurse */
	ck_assert_uint_eq(R_AA(&r), 1);
	ck_assert_uint_eq(r.qd, 1);
	ck_assert_mem_eq(out + 12, pkt + 12, len - 12); /* the question, case and all */
	ck_assert_uint_eq(r.an, 2);
	ck_assert_uint_eq(r.ar, 0);
	ck_assert_uint_eq(q_get16(out, r.rr[0].owner), 0xc00c); /* owner: a pointer to the question name */
	ck_assert_uint_eq(r.rr[0].ttl, 5);
	ck_assert_uint_eq(r.rr[0].rdlen, 4);
	ck_assert_uint_eq(out[r.rr[0].rdata], 100);
}
END_TEST

START_TEST(dropped)
{
	struct tn_dns_query q;
	size_t len = q_build(pkt, "vault", (struct q_opts){0});
	ck_assert_int_eq(tn_dns_parse(pkt, 11, &q), -1); /* shorter than a header */
	ck_assert_int_eq(tn_dns_parse(pkt, 0, &q), -1);
	pkt[2] |= 0x80; /* a response */
	ck_assert_int_eq(tn_dns_parse(pkt, len, &q), -1);
}
END_TEST

START_TEST(header_errors)
{
	struct tn_dns_query q;
	struct reply r;
	size_t len = q_build(pkt, "vault", (struct q_opts){.id = 7});
	q_put16(pkt, 4, 0); /* no question */
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);
	ck_assert_uint_eq(r.id, 7);
	ck_assert_uint_eq(r.qd, 0);
	ck_assert_uint_eq(R_AA(&r), 0);

	len = q_build(pkt, "vault", (struct q_opts){.id = 8});
	q_put16(pkt, 4, 2); /* two questions */
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);

	len = q_build(pkt, "vault", (struct q_opts){.id = 9, .flags = 0x1100}); /* opcode 2, STATUS */
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_NOTIMP);
	ck_assert_uint_eq((r.flags >> 11) & 0xf, 2); /* opcode echoed */
	ck_assert_uint_eq(r.qd, 1);                  /* and the question too */

	len = q_build(pkt, "vault", (struct q_opts){.id = 10});
	r_parse(out, respond(len - 2, 0, 0, &q), &r); /* the class cut off */
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);
	ck_assert_uint_eq(r.qd, 0);
	r_parse(out, respond(14, 0, 0, &q), &r); /* inside the name */
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);
}
END_TEST

START_TEST(question_names)
{
	struct tn_dns_query q;
	struct reply r;
	/* A compression pointer in the question is refused, not followed. */
	size_t len = q_build(pkt, "vault", (struct q_opts){0});
	pkt[12] = 0xc0;
	pkt[13] = 0x0c;
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);
	/* Extended label types (0x40, 0x80) too. */
	len = q_build(pkt, "vault", (struct q_opts){0});
	pkt[12] = 0x45;
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);

	/* 63-byte labels are fine; four of them plus a 61-byte one make 255 wire bytes, the most there is. */
	char name[300], l63[64];
	memset(l63, 'a', 63);
	l63[63] = '\0';
	snprintf(name, sizeof name, "%s.%s.%s.%.61s", l63, l63, l63, l63);
	len = q_build(pkt, name, (struct q_opts){0});
	ck_assert_uint_eq(len - 12 - 4, 255);
	respond(len, 0, 0, &q);
	ck_assert_int_eq(q.rcode, 0);
	ck_assert_uint_eq(q.name_len, 253);
	snprintf(name, sizeof name, "%s.%s.%s.%.62s", l63, l63, l63, l63); /* 256 */
	len = q_build(pkt, name, (struct q_opts){0});
	respond(len, 0, 0, &q);
	ck_assert_int_eq(q.rcode, TN_RCODE_FORMERR);

	/* Labels that are no host-name labels parse, but are not offered as text. */
	len = q_build(pkt, "_sip._tcp.example", (struct q_opts){0});
	respond(len, 0, 0, &q);
	ck_assert_int_eq(q.rcode, 0);
	ck_assert_int_eq(q.host_ok, 0);
	len = q_build(pkt, "vault", (struct q_opts){0});
	pkt[15] = '.'; /* "va.lt" as ONE label must not pass for two */
	respond(len, 0, 0, &q);
	ck_assert_int_eq(q.host_ok, 0);
	len = q_build(pkt, "", (struct q_opts){0}); /* the root */
	respond(len, 0, 0, &q);
	ck_assert_int_eq(q.rcode, 0);
	ck_assert_int_eq(q.host_ok, 0);
}
END_TEST

START_TEST(edns)
{
	struct tn_dns_query q;
	struct reply r;
	size_t len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 4096, .edns_do = 1});
	r_parse(out, respond(len, 0, 1, &q), &r);
	ck_assert_int_eq(q.edns, 1);
	ck_assert_uint_eq(tn_dns_udp_limit(&q), TN_DNS_UDP_MAX);
	ck_assert_int_eq(r.edns, 1);
	ck_assert_uint_eq(r.ar, 1);
	ck_assert_uint_eq(r.edns_udp, TN_DNS_UDP_MAX);
	ck_assert_uint_eq(r.edns_do, 1);
	ck_assert_uint_eq(r.n_rr, 1);

	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 700});
	tn_dns_parse(pkt, len, &q);
	ck_assert_uint_eq(tn_dns_udp_limit(&q), 700);
	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 100}); /* below 512 means 512 */
	tn_dns_parse(pkt, len, &q);
	ck_assert_uint_eq(tn_dns_udp_limit(&q), 512);
	len = q_build(pkt, "vault", (struct q_opts){0});
	tn_dns_parse(pkt, len, &q);
	ck_assert_uint_eq(tn_dns_udp_limit(&q), 512);

	/* Version 1: BADVERS, which only the OPT record can carry (header rcode 0, extended 1). */
	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 1232, .edns_version = 1});
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_int_eq(q.rcode, TN_RCODE_BADVERS);
	ck_assert_uint_eq(r.rcode, 0);
	ck_assert_uint_eq(r.edns_ext_rcode, 1);

	/* Options are walked: lengths that do not add up are FORMERR, and no OPT is trusted back. */
	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 1232});
	q_put16(pkt, len - 2, 4);    /* RDLENGTH 4 */
	len = q_put16(pkt, len, 10); /* option code 10 (cookie) */
	len = q_put16(pkt, len, 8);  /* claims 8 bytes, has none */
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);
	ck_assert_int_eq(r.edns, 0);
	/* ... and a well-formed option is accepted but not echoed. */
	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 1232});
	q_put16(pkt, len - 2, 12);
	len = q_put16(pkt, len, 10);
	len = q_put16(pkt, len, 8);
	memset(pkt + len, 0xab, 8);
	len += 8;
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, 0);
	ck_assert_int_eq(r.edns, 1);

	/* Two OPT records: FORMERR. */
	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 1232});
	memcpy(pkt + len, pkt + len - 11, 11);
	len += 11;
	q_put16(pkt, 10, 2);
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);

	/* OPT owned by anything but the root: FORMERR. */
	len = q_build(pkt, "vault", (struct q_opts){0});
	q_put16(pkt, 10, 1);
	len = q_name(pkt, len, "x");
	len = q_put16(pkt, len, 41);
	len = q_put16(pkt, len, 1232);
	memset(pkt + len, 0, 6);
	len += 6;
	r_parse(out, respond(len, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);
}
END_TEST

START_TEST(other_sections)
{
	struct tn_dns_query q;
	struct reply r;
	/* An answer record (compressed owner) before the OPT is skipped; bytes after the last record ignored. */
	size_t len = q_build(pkt, "vault", (struct q_opts){0});
	q_put16(pkt, 6, 1);
	q_put16(pkt, 10, 1);
	len = q_put16(pkt, len, 0xc00c);
	len = q_put16(pkt, len, 1);
	len = q_put16(pkt, len, 1);
	memset(pkt + len, 0, 4);
	len += 4;
	len = q_put16(pkt, len, 4);
	memset(pkt + len, 9, 4);
	len += 4;
	pkt[len++] = 0;
	len = q_put16(pkt, len, 41);
	len = q_put16(pkt, len, 900);
	memset(pkt + len, 0, 6);
	len += 6;
	memcpy(pkt + len, "trailing", 8);
	respond(len + 8, 0, 0, &q);
	ck_assert_int_eq(q.rcode, 0);
	ck_assert_int_eq(q.edns, 1);
	ck_assert_uint_eq(q.edns_udp, 900);
	/* A record running past the end: FORMERR. */
	r_parse(out, respond(len - 3, 0, 0, &q), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_FORMERR);
}
END_TEST

START_TEST(truncation)
{
	struct tn_dns_query q;
	struct reply r;
	/* 512 bytes: header 12 + question 11 + 30 A records of 16 = 503 fit, 31 do not. */
	size_t len = q_build(pkt, "vault", (struct q_opts){0});
	r_parse(out, respond(len, 0, 30, &q), &r);
	ck_assert_uint_eq(R_TC(&r), 0);
	ck_assert_uint_eq(r.an, 30);
	size_t n = respond(len, 0, 31, &q);
	r_parse(out, n, &r);
	ck_assert_uint_eq(R_TC(&r), 1);
	ck_assert_uint_eq(r.an, 0); /* never half an answer */
	ck_assert_uint_eq(r.qd, 1);
	ck_assert_uint_eq(R_AA(&r), 1);
	ck_assert_uint_eq(n, len);

	/* With EDNS the OPT record is kept room for: 29 records + 11 bytes of OPT. */
	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 512});
	r_parse(out, respond(len, 0, 29, &q), &r);
	ck_assert_uint_eq(R_TC(&r), 0);
	r_parse(out, respond(len, 0, 30, &q), &r);
	ck_assert_uint_eq(R_TC(&r), 1);
	ck_assert_int_eq(r.edns, 1);
	/* The client's payload size is honoured up to TN_DNS_UDP_MAX. */
	len = q_build(pkt, "vault", (struct q_opts){.edns_udp = 4096});
	r_parse(out, respond(len, 0, 74, &q), &r); /* 12 + 11 + 74 * 16 + 11 = 1218 */
	ck_assert_uint_eq(R_TC(&r), 0);
	r_parse(out, respond(len, 0, 76, &q), &r);
	ck_assert_uint_eq(R_TC(&r), 1);
	/* TCP's limit is the length prefix's. */
	r_parse(out, respond(len, TN_DNS_MSG_MAX, 150, &q), &r);
	ck_assert_uint_eq(R_TC(&r), 0);
	ck_assert_uint_eq(r.an, 150);
}
END_TEST

START_TEST(soa)
{
	struct tn_dns_query q;
	struct tn_dns_msg m;
	struct reply r;
	char owner[300], mname[300], rname[300];
	size_t len = q_build(pkt, "Nope.Magellanic-Gondola.ts.net", (struct q_opts){0});
	tn_dns_parse(pkt, len, &q);
	tn_dns_begin(&m, out, 512, &q);
	tn_dns_set_rcode(&m, TN_RCODE_NXDOMAIN, 1);
	ck_assert_int_eq(tn_dns_add_soa(&m, "magellanic-gondola.ts.net", 25, 42, 10), 0);
	r_parse(out, tn_dns_finish(&m), &r);
	ck_assert_uint_eq(r.rcode, TN_RCODE_NXDOMAIN);
	ck_assert_uint_eq(r.an, 0);
	ck_assert_uint_eq(r.ns, 1);
	ck_assert_uint_eq(r.rr[0].type, TN_DNS_SOA);
	ck_assert_uint_eq(r.rr[0].ttl, 10);
	ck_assert_uint_eq(q_get16(out, r.rr[0].owner), 0xc000 | 17); /* compressed into the question name */
	r_name(out, r.rr[0].owner, owner);
	ck_assert_str_eq(owner, "Magellanic-Gondola.ts.net");
	size_t rd = r.rr[0].rdata;
	r_name(out, rd, mname);
	ck_assert_str_eq(mname, "Magellanic-Gondola.ts.net");
	r_name(out, rd + 2, rname);
	ck_assert_str_eq(rname, "nobody.invalid");
	size_t nums = r_skip_name(out, sizeof out, rd + 2);
	ck_assert_uint_eq(q_get32(out, nums), 42);      /* serial */
	ck_assert_uint_eq(q_get32(out, nums + 16), 10); /* minimum */

	/* A zone the question name does not end in is written out in full. */
	len = q_build(pkt, "vault", (struct q_opts){0});
	tn_dns_parse(pkt, len, &q);
	tn_dns_begin(&m, out, 512, &q);
	ck_assert_int_eq(tn_dns_add_soa(&m, "64.100.in-addr.arpa", 19, 1, 10), 0);
	r_parse(out, tn_dns_finish(&m), &r);
	r_name(out, r.rr[0].owner, owner);
	ck_assert_str_eq(owner, "64.100.in-addr.arpa");
	r_name(out, r.rr[0].rdata, mname);
	ck_assert_str_eq(mname, "64.100.in-addr.arpa");
	/* A label that merely ends like the zone is no match ("xmagellanic-gondola.ts.net"). */
	len = q_build(pkt, "a.xmagellanic-gondola.ts.net", (struct q_opts){0});
	tn_dns_parse(pkt, len, &q);
	tn_dns_begin(&m, out, 512, &q);
	tn_dns_add_soa(&m, "magellanic-gondola.ts.net", 25, 1, 10);
	r_parse(out, tn_dns_finish(&m), &r);
	ck_assert_uint_ne(out[r.rr[0].owner] & 0xc0, 0xc0);
}
END_TEST

START_TEST(ptr)
{
	struct tn_dns_query q;
	struct tn_dns_msg m;
	struct reply r;
	char target[300];
	size_t len = q_build(pkt, "8.33.101.100.in-addr.arpa", (struct q_opts){.type = 12});
	tn_dns_parse(pkt, len, &q);
	tn_dns_begin(&m, out, 512, &q);
	ck_assert_int_eq(tn_dns_add_ptr(&m, 5, "vault.magellanic-gondola.ts.net", 31), 0);
	r_parse(out, tn_dns_finish(&m), &r);
	ck_assert_uint_eq(r.rr[0].type, TN_DNS_PTR);
	r_name(out, r.rr[0].rdata, target);
	ck_assert_str_eq(target, "vault.magellanic-gondola.ts.net");
	ck_assert_uint_eq(r.rr[0].rdlen, 33);
}
END_TEST

static Suite *wire_suite(void)
{
	Suite *s = suite_create("dns_wire");
	TCase *tc = tcase_create("wire");
	tcase_add_test(tc, simple_query);
	tcase_add_test(tc, dropped);
	tcase_add_test(tc, header_errors);
	tcase_add_test(tc, question_names);
	tcase_add_test(tc, edns);
	tcase_add_test(tc, other_sections);
	tcase_add_test(tc, truncation);
	tcase_add_test(tc, soa);
	tcase_add_test(tc, ptr);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(wire_suite)
