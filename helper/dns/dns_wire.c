/* SPDX-License-Identifier: BSD-3-Clause */
/* dns_wire.c - see dns_wire.h. */
#include "dns/dns_wire.h"

#include <string.h>

#define FLAG_QR 0x8000u
#define FLAG_AA 0x0400u
#define FLAG_TC 0x0200u
#define FLAG_RD 0x0100u
#define FLAG_CD 0x0010u
#define OPCODE(flags) (((flags) >> 11) & 0xfu)
#define OPT_SIZE 11u /* root owner, type, class, TTL, RDLENGTH 0 */
#define RR_FIXED 10u /* type, class, TTL, RDLENGTH */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static int is_ldh(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* The question name: plain labels only. A pointer there could only aim at the header or forward, so it is a
 * malformed query, not something to follow. Returns the offset after the name, or 0. */
static size_t parse_qname(const uint8_t *pkt, size_t len, size_t pos, struct tn_dns_query *q)
{
	size_t wire = 0, text = 0;
	q->host_ok = 1;
	for (;;) {
		if (pos >= len)
			return 0;
		uint8_t n = pkt[pos++];
		if (++wire > TN_DNS_NAME_WIRE_MAX)
			return 0;
		if (n == 0)
			break;
		if (n & 0xc0)
			return 0; /* a compression pointer or an extended label type */
		if (n > len - pos || (wire += n) > TN_DNS_NAME_WIRE_MAX)
			return 0;
		if (text)
			q->name[text++] = '.';
		for (size_t i = 0; i < n; i++) {
			uint8_t c = pkt[pos + i];
			if (!is_ldh(c))
				q->host_ok = 0;
			q->name[text++] = (char)c;
		}
		pos += n;
	}
	q->name[text] = '\0';
	q->name_len = text;
	if (text == 0)
		q->host_ok = 0; /* the root is no host */
	return pos;
}

/* Any owner name in the other sections: labels ending in a zero or a pointer (not followed: we only skip). */
static size_t skip_name(const uint8_t *pkt, size_t len, size_t pos)
{
	for (size_t wire = 0; pos < len;) {
		uint8_t n = pkt[pos];
		if ((n & 0xc0) == 0xc0)
			return pos + 2 <= len ? pos + 2 : 0;
		if (n & 0xc0)
			return 0;
		wire += 1u + n;
		if (wire > TN_DNS_NAME_WIRE_MAX || n >= len - pos)
			return 0;
		pos += 1u + n;
		if (n == 0)
			return pos;
	}
	return 0;
}

/* The OPT record at pos (after its root owner). Options are walked only to see that their lengths add up. */
static int parse_opt(const uint8_t *pkt, size_t pos, size_t rdlen, struct tn_dns_query *q)
{
	if (q->edns)
		return -1; /* a second OPT */
	q->edns = 1;
	q->edns_udp = get16(pkt + pos + 2);
	q->edns_version = pkt[pos + 5];
	q->edns_do = (pkt[pos + 6] & 0x80) != 0;
	for (size_t o = pos + RR_FIXED, end = o + rdlen; o < end;) {
		if (end - o < 4 || get16(pkt + o + 2) > end - o - 4)
			return -1;
		o += 4u + get16(pkt + o + 2);
	}
	return 0;
}

/* Answer, authority and additional sections: skipped, except for an OPT record in the additional one. */
static int parse_records(const uint8_t *pkt, size_t len, size_t pos, struct tn_dns_query *q)
{
	unsigned an = get16(pkt + 6), ns = get16(pkt + 8), ar = get16(pkt + 10);
	for (unsigned i = 0; i < an + ns + ar; i++) {
		size_t owner = pos;
		pos = skip_name(pkt, len, pos);
		if (pos == 0 || len - pos < RR_FIXED)
			return -1;
		size_t rdlen = get16(pkt + pos + 8);
		if (rdlen > len - pos - RR_FIXED)
			return -1;
		if (i >= an + ns && get16(pkt + pos) == TN_DNS_OPT) {
			if (pos != owner + 1 || pkt[owner] != 0 || parse_opt(pkt, pos, rdlen, q) < 0)
				return -1; /* OPT belongs to the root only */
		}
		pos += RR_FIXED + rdlen;
	}
	return 0; /* bytes after the last record are ignored */
}

int tn_dns_parse(const uint8_t *pkt, size_t len, struct tn_dns_query *q)
{
	memset(q, 0, sizeof *q);
	if (len < TN_DNS_HDR)
		return -1;
	q->id = get16(pkt);
	q->flags = get16(pkt + 2);
	if (q->flags & FLAG_QR)
		return -1;
	unsigned qdcount = get16(pkt + 4);
	size_t end = qdcount == 1 ? parse_qname(pkt, len, TN_DNS_HDR, q) : 0;
	if (end && len - end >= 4) {
		q->has_question = 1;
		q->question = pkt + TN_DNS_HDR;
		q->question_len = end + 4 - TN_DNS_HDR;
		q->qtype = get16(pkt + end);
		q->qclass = get16(pkt + end + 2);
	}
	if (OPCODE(q->flags) != 0)
		q->rcode = TN_RCODE_NOTIMP;
	else if (!q->has_question || parse_records(pkt, len, end + 4, q) < 0)
		q->rcode = TN_RCODE_FORMERR;
	else if (q->edns && q->edns_version > 0)
		q->rcode = TN_RCODE_BADVERS;
	if (q->rcode == TN_RCODE_FORMERR)
		q->edns = 0; /* whatever OPT we saw is not to be trusted */
	if (!q->has_question)
		q->host_ok = 0;
	return 0;
}

size_t tn_dns_udp_limit(const struct tn_dns_query *q)
{
	if (!q->edns || q->edns_udp <= 512)
		return 512;
	return q->edns_udp < TN_DNS_UDP_MAX ? q->edns_udp : TN_DNS_UDP_MAX;
}

void tn_dns_begin(struct tn_dns_msg *m, uint8_t *buf, size_t limit, const struct tn_dns_query *q)
{
	memset(m, 0, sizeof *m);
	m->buf = buf;
	m->limit = limit;
	m->edns = q->edns;
	m->edns_do = q->edns_do;
	m->reserve = q->edns ? OPT_SIZE : 0;
	memset(buf, 0, TN_DNS_HDR);
	put16(buf, q->id);
	put16(buf + 2, (uint16_t)(FLAG_QR | (q->flags & (0x7800u | FLAG_RD | FLAG_CD))));
	m->len = TN_DNS_HDR;
	/* A question longer than the limit (a huge name in a 512-byte answer) cannot happen: both are <= 512. */
	if (q->has_question) {
		put16(buf + 4, 1);
		memcpy(buf + m->len, q->question, q->question_len);
		m->len += q->question_len;
	}
	m->records = m->len;
}

void tn_dns_set_rcode(struct tn_dns_msg *m, int rcode, int authoritative)
{
	m->rcode = rcode;
	if (authoritative)
		m->buf[2] |= FLAG_AA >> 8;
	else
		m->buf[2] &= (uint8_t) ~(FLAG_AA >> 8);
}

/* Room for n more bytes; once one record did not fit, no later one is added either. */
static int room(struct tn_dns_msg *m, size_t n)
{
	if (m->truncated || m->len + n + m->reserve > m->limit) {
		m->truncated = 1;
		return 0;
	}
	return 1;
}

static void count(struct tn_dns_msg *m, enum tn_dns_section s)
{
	if (s == TN_DNS_ANSWER)
		m->ancount++;
	else
		m->nscount++;
}

/* Writes type, class IN, TTL and RDLENGTH at m->len (the owner is already there). */
static void put_fields(struct tn_dns_msg *m, uint16_t type, uint32_t ttl, size_t rdlen)
{
	uint8_t *p = m->buf + m->len;
	put16(p, type);
	put16(p + 2, TN_DNS_CLASS_IN);
	put32(p + 4, ttl);
	put16(p + 8, (uint16_t)rdlen);
	m->len += RR_FIXED;
}

static void put_pointer(struct tn_dns_msg *m, size_t target)
{
	put16(m->buf + m->len, (uint16_t)(0xc000u | target));
	m->len += 2;
}

int tn_dns_add(struct tn_dns_msg *m, enum tn_dns_section s, uint16_t type, uint32_t ttl, const void *rdata,
	       size_t rdlen)
{
	if (!room(m, 2 + RR_FIXED + rdlen))
		return -1;
	put_pointer(m, TN_DNS_HDR);
	put_fields(m, type, ttl, rdlen);
	memcpy(m->buf + m->len, rdata, rdlen);
	m->len += rdlen;
	count(m, s);
	return 0;
}

/* A normalised name (<= 253 bytes, labels <= 63) in wire form: 2 bytes longer than the text. */
static size_t name_to_wire(const char *name, size_t len, uint8_t *out)
{
	size_t o = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			out[o++] = (uint8_t)(i - start);
			memcpy(out + o, name + start, i - start);
			o += i - start;
			start = i + 1;
		}
	}
	out[o++] = 0;
	return o;
}

int tn_dns_add_ptr(struct tn_dns_msg *m, uint32_t ttl, const char *target, size_t target_len)
{
	uint8_t wire[TN_DNS_NAME_WIRE_MAX + 2];
	size_t n = name_to_wire(target, target_len, wire);
	return tn_dns_add(m, TN_DNS_ANSWER, TN_DNS_PTR, ttl, wire, n);
}

static int label_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];
		if ((x >= 'A' && x <= 'Z' ? x + 32 : x) != (y >= 'A' && y <= 'Z' ? y + 32 : y))
			return 0;
	}
	return 1;
}

/* Offset in the message of the question name's tail equal to `zone` (wire form), or 0 when it has none. */
static size_t zone_in_qname(const struct tn_dns_msg *m, const uint8_t *zone, size_t zone_len)
{
	if (m->records == TN_DNS_HDR)
		return 0;
	for (size_t off = TN_DNS_HDR; m->buf[off] != 0; off += 1u + m->buf[off]) {
		size_t tail = m->records - 4 - off; /* bytes from here to the end of the name */
		if (tail == zone_len && label_eq(m->buf + off, zone, zone_len))
			return off;
	}
	return 0;
}

int tn_dns_add_soa(struct tn_dns_msg *m, const char *zone, size_t zone_len, uint32_t serial, uint32_t ttl)
{
	/* RFC 6303's SOA for locally served zones: MNAME the zone itself, RNAME nobody.invalid. */
	static const uint8_t rname[] = "\6nobody\7invalid"; /* with its final zero */
	uint8_t wire[TN_DNS_NAME_WIRE_MAX + 2];
	size_t zlen = name_to_wire(zone, zone_len, wire);
	size_t owner = zone_in_qname(m, wire, zlen);
	size_t rdlen = 2 + sizeof rname + 20;
	if (!room(m, (owner ? 2 : zlen) + RR_FIXED + rdlen))
		return -1;
	if (owner) {
		put_pointer(m, owner);
	} else {
		owner = m->len;
		memcpy(m->buf + m->len, wire, zlen);
		m->len += zlen;
	}
	put_fields(m, TN_DNS_SOA, ttl, rdlen);
	put_pointer(m, owner); /* MNAME */
	uint8_t *p = m->buf + m->len;
	memcpy(p, rname, sizeof rname);
	p += sizeof rname;
	put32(p, serial);
	put32(p + 4, 3600);    /* refresh */
	put32(p + 8, 1200);    /* retry */
	put32(p + 12, 604800); /* expire */
	put32(p + 16, ttl);    /* minimum: the negative TTL */
	m->len += sizeof rname + 20;
	count(m, TN_DNS_AUTHORITY);
	return 0;
}

size_t tn_dns_finish(struct tn_dns_msg *m)
{
	uint8_t *b = m->buf;
	if (m->truncated) {
		m->len = m->records;
		m->ancount = m->nscount = 0;
		b[2] |= FLAG_TC >> 8;
	}
	put16(b + 6, m->ancount);
	put16(b + 8, m->nscount);
	b[3] = (uint8_t)((b[3] & 0xf0) | (m->rcode & 0xf));
	if (m->edns) {
		uint8_t *p = b + m->len;
		p[0] = 0; /* root owner */
		put16(p + 1, TN_DNS_OPT);
		put16(p + 3, TN_DNS_UDP_MAX);
		p[5] = (uint8_t)(m->rcode >> 4); /* extended rcode: BADVERS */
		p[6] = 0;                        /* version 0 */
		p[7] = m->edns_do ? 0x80 : 0;
		p[8] = 0;
		put16(p + 9, 0);
		m->len += OPT_SIZE;
		put16(b + 10, 1);
	} else {
		put16(b + 10, 0);
	}
	return m->len;
}
