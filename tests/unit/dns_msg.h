/* SPDX-License-Identifier: BSD-3-Clause */
/* dns_msg.h - building queries and reading answers in the DNS unit tests, written from RFC 1035 rather than
 * from helper/dns/dns_wire.c, so the two check each other. */
#ifndef TAILNET_DNS_MSG_H
#define TAILNET_DNS_MSG_H

#include <check.h>
#include <stdint.h>
#include <string.h>

struct q_opts {
	uint16_t id, type, qclass, flags; /* flags 0: RD only */
	int edns_udp;                     /* > 0: add an OPT record with this payload size */
	int edns_version, edns_do;
};

static inline size_t q_put16(uint8_t *p, size_t at, unsigned v)
{
	p[at] = (uint8_t)(v >> 8);
	p[at + 1] = (uint8_t)v;
	return at + 2;
}

static inline unsigned q_get16(const uint8_t *p, size_t at)
{
	return (unsigned)(p[at] << 8 | p[at + 1]);
}

static inline uint32_t q_get32(const uint8_t *p, size_t at)
{
	return (uint32_t)q_get16(p, at) << 16 | q_get16(p, at + 2);
}

/* A dotted name in wire form (no escapes; "" is the root). */
static inline size_t q_name(uint8_t *p, size_t at, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t n = dot ? (size_t)(dot - name) : strlen(name);
		p[at++] = (uint8_t)n;
		memcpy(p + at, name, n);
		at += n;
		name += n + (dot != NULL);
	}
	p[at++] = 0;
	return at;
}

static inline size_t q_build(uint8_t *p, const char *name, struct q_opts o)
{
	memset(p, 0, 12);
	q_put16(p, 0, o.id ? o.id : 0x1234);
	q_put16(p, 2, o.flags ? o.flags : 0x0100);
	q_put16(p, 4, 1);
	size_t at = q_name(p, 12, name);
	at = q_put16(p, at, o.type ? o.type : 1);
	at = q_put16(p, at, o.qclass ? o.qclass : 1);
	if (o.edns_udp > 0) {
		q_put16(p, 10, 1);
		p[at++] = 0;
		at = q_put16(p, at, 41);
		at = q_put16(p, at, (unsigned)o.edns_udp);
		p[at++] = 0;
		p[at++] = (uint8_t)o.edns_version;
		at = q_put16(p, at, o.edns_do ? 0x8000 : 0);
		at = q_put16(p, at, 0);
	}
	return at;
}

/* An answer, read back. */
struct r_rr {
	unsigned type, rdlen;
	uint32_t ttl;
	size_t owner, rdata; /* offsets in the message */
};

struct reply {
	unsigned id, flags, rcode, qd, an, ns, ar;
	struct r_rr rr[200];
	size_t n_rr, question_end;
	int edns;
	unsigned edns_udp, edns_ext_rcode, edns_do;
};

#define R_AA(r) (((r)->flags >> 10) & 1)
#define R_TC(r) (((r)->flags >> 9) & 1)

static inline size_t r_skip_name(const uint8_t *p, size_t len, size_t at)
{
	while (at < len) {
		if ((p[at] & 0xc0) == 0xc0)
			return at + 2;
		if (p[at] == 0)
			return at + 1;
		at += 1u + p[at];
	}
	ck_abort_msg("name runs off the message");
	return 0;
}

/* Writes the dotted name at `at` (following pointers) into out. */
static inline void r_name(const uint8_t *p, size_t at, char *out)
{
	size_t o = 0;
	for (int hops = 0; p[at] && hops < 64;) {
		if ((p[at] & 0xc0) == 0xc0) {
			at = (size_t)q_get16(p, at) & 0x3fff;
			hops++;
			continue;
		}
		if (o)
			out[o++] = '.';
		memcpy(out + o, p + at + 1, p[at]);
		o += p[at];
		at += 1u + p[at];
	}
	out[o] = '\0';
}

static inline void r_parse(const uint8_t *p, size_t len, struct reply *r)
{
	memset(r, 0, sizeof *r);
	ck_assert_uint_ge(len, 12);
	r->id = q_get16(p, 0);
	r->flags = q_get16(p, 2);
	r->rcode = r->flags & 0xf;
	r->qd = q_get16(p, 4);
	r->an = q_get16(p, 6);
	r->ns = q_get16(p, 8);
	r->ar = q_get16(p, 10);
	size_t at = 12;
	for (unsigned i = 0; i < r->qd; i++)
		at = r_skip_name(p, len, at) + 4;
	r->question_end = at;
	for (unsigned i = 0; i < r->an + r->ns + r->ar; i++) {
		struct r_rr rr = {.owner = at};
		at = r_skip_name(p, len, at);
		ck_assert_uint_le(at + 10, len);
		rr.type = q_get16(p, at);
		rr.ttl = q_get32(p, at + 4);
		rr.rdlen = q_get16(p, at + 8);
		rr.rdata = at + 10;
		at += 10 + rr.rdlen;
		ck_assert_uint_le(at, len);
		if (rr.type == 41) {
			r->edns = 1;
			r->edns_udp = q_get16(p, rr.rdata - 8);
			r->edns_ext_rcode = p[rr.rdata - 6];
			r->edns_do = p[rr.rdata - 4] >> 7;
			continue;
		}
		ck_assert_uint_lt(r->n_rr, sizeof r->rr / sizeof r->rr[0]);
		r->rr[r->n_rr++] = rr;
	}
	ck_assert_uint_eq(at, len); /* nothing after the last record */
}

#endif
