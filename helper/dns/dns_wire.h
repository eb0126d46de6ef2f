/* SPDX-License-Identifier: BSD-3-Clause */
/* dns_wire.h - DNS messages on the wire (RFC 1035, EDNS(0) RFC 6891) for the responder: parsing a query and
 * building its answer.
 *
 * Contract: pure functions over caller buffers - no I/O, no allocation, no globals - so the parser can be
 * fuzzed alone. tn_dns_parse() reads at most `len` bytes of hostile input. It returns -1 for a packet that
 * must be dropped unanswered (shorter than a header, or a response: answering those would make us a loop or
 * a reflector), else 0 with `rcode` saying how to answer: NOERROR (one well-formed question, go on),
 * FORMERR (not exactly one question; a compression pointer, an unknown label type or a name over 255 bytes
 * in the question; a truncated section; a second or damaged OPT), NOTIMP (an opcode other than QUERY) or
 * BADVERS (EDNS version above 0). Whatever parsed of the question is kept, byte for byte, for the echo.
 *
 * The builder writes the header (ID, opcode, RD and CD copied), the question exactly as received, then
 * records whose owner is the question name (a compression pointer to it), and tn_dns_finish() adds an OPT
 * record when the query had one (DO copied, options not echoed). A record that does not fit the message's
 * limit (tn_dns_udp_limit(): 512, or the client's EDNS payload size clamped to [512, TN_DNS_UDP_MAX]; 65535
 * over TCP) turns the whole answer into header + question (+ OPT) with TC set, so the client asks again over
 * TCP instead of using half an answer.
 */
#ifndef TAILNET_DNS_WIRE_H
#define TAILNET_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define TN_DNS_HDR 12
#define TN_DNS_UDP_MAX 1232  /* what we advertise and the most we send over UDP (DNS flag day 2020) */
#define TN_DNS_MSG_MAX 65535 /* over TCP: the length prefix's limit */
#define TN_DNS_NAME_WIRE_MAX 255

enum tn_dns_type {
	TN_DNS_A = 1,
	TN_DNS_NS = 2,
	TN_DNS_SOA = 6,
	TN_DNS_PTR = 12,
	TN_DNS_HINFO = 13,
	TN_DNS_AAAA = 28,
	TN_DNS_OPT = 41,
	TN_DNS_IXFR = 251,
	TN_DNS_AXFR = 252,
	TN_DNS_ANY = 255,
};
#define TN_DNS_CLASS_IN 1

enum tn_dns_rcode {
	TN_RCODE_NOERROR = 0,
	TN_RCODE_FORMERR = 1,
	TN_RCODE_SERVFAIL = 2,
	TN_RCODE_NXDOMAIN = 3,
	TN_RCODE_NOTIMP = 4,
	TN_RCODE_REFUSED = 5,
	TN_RCODE_BADVERS = 16, /* extended: needs an OPT record */
};

struct tn_dns_query {
	uint16_t id, flags; /* flags as received */
	int rcode;          /* enum tn_dns_rcode: how to answer */
	/* The question, when has_question. */
	int has_question;
	const uint8_t *question; /* into the packet: name, type, class */
	size_t question_len;
	uint16_t qtype, qclass;
	/* The name as text without the final dot, when host_ok: every label is letters, digits and hyphens, so
	 * the text means the same labels (a label holding a '.' or a NUL cannot pass for two). */
	int host_ok;
	char name[TN_DNS_NAME_WIRE_MAX + 1];
	size_t name_len;
	/* EDNS(0) */
	int edns, edns_do;
	uint16_t edns_udp;
	uint8_t edns_version;
};

int tn_dns_parse(const uint8_t *pkt, size_t len, struct tn_dns_query *q);

/* The most a UDP answer to q may hold. */
size_t tn_dns_udp_limit(const struct tn_dns_query *q);

struct tn_dns_msg {
	uint8_t *buf;
	size_t limit; /* the message never grows past this; buf holds at least this many bytes */
	size_t len;
	size_t reserve; /* kept free for the OPT record */
	size_t records; /* where the records start (after the question) */
	uint16_t ancount, nscount;
	int truncated, edns, edns_do, rcode;
};

enum tn_dns_section { TN_DNS_ANSWER, TN_DNS_AUTHORITY };

/* Starts the answer to q (rcode NOERROR, not authoritative) in buf, which holds `limit` >= 512 bytes. */
void tn_dns_begin(struct tn_dns_msg *m, uint8_t *buf, size_t limit, const struct tn_dns_query *q);
/* Sets the rcode (enum tn_dns_rcode) and the AA bit. */
void tn_dns_set_rcode(struct tn_dns_msg *m, int rcode, int authoritative);
/* Appends a record owned by the question name. 0, or -1 when it did not fit (the answer is then truncated). */
int tn_dns_add(struct tn_dns_msg *m, enum tn_dns_section s, uint16_t type, uint32_t ttl, const void *rdata,
	       size_t rdlen);
/* A PTR record owned by the question name pointing at `target` (a normalised name, no final dot). */
int tn_dns_add_ptr(struct tn_dns_msg *m, uint32_t ttl, const char *target, size_t target_len);
/* The SOA of `zone` (a normalised name) in the authority section, for negative answers: TTL and MINIMUM are
 * `ttl`; the owner is compressed into the question name when the zone ends it. */
int tn_dns_add_soa(struct tn_dns_msg *m, const char *zone, size_t zone_len, uint32_t serial, uint32_t ttl);
/* Writes the counts and the OPT record; returns the message length. */
size_t tn_dns_finish(struct tn_dns_msg *m);

#endif
