/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_dns_wire.c - hostile packets through the responder's whole answer path: tn_dns_parse(), then the
 * answer policy against a small tailnet cache built in memory once (a node with 60 addresses included, so
 * truncation is reached), under both the UDP limit the query asks for and TCP's. Besides crashes, leaks and
 * sanitizer reports, it checks what every answer must keep: no more bytes than the limit, QR set, the ID and
 * the question echoed exactly, and at most one OPT record, there only when the query had one. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_writer.h"
#include "cache/hostset.h"
#include "dns/dns_answer.h"
#include "dns/dns_wire.h"
#include "nss/cache_reader.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SUFFIX "magellanic-gondola.ts.net"

static struct tn_cache cache;
static uint8_t out[TN_DNS_MSG_MAX];

static void add(struct tn_hostset *hs, enum tn_host_kind kind, const char *name, const char *const *addrs, size_t n)
{
	struct tn_error err;
	struct tn_host_in in = {.kind = kind, .name = name, .addrs = addrs, .n_addrs = n, .stable_id = name};
	if (tn_hostset_add(hs, &in, NULL, &err) != 0)
		abort();
}

static void build_cache(void)
{
	static const char *vault[] = {"100.101.33.8", "fd7a:115c:a1e0::c601:2108"};
	static const char *printer[] = {"100.77.3.250"};
	static const char *v6[] = {"fd7a:115c:a1e0::66"};
	static char text[60][48];
	static const char *many[60];
	struct tn_hostset hs;
	struct tn_error err;
	struct tn_cache_meta meta = {.generation = 3, .written_at = 900, .valid_until = 2000};
	uint8_t *img;
	size_t len;
	tn_hostset_init(&hs);
	tn_hostset_set_suffix(&hs, SUFFIX, &err);
	hs.magicdns = true;
	for (int i = 0; i < 60; i++) {
		snprintf(text[i], sizeof text[i], "fd7a:115c:a1e0::1:%x", i + 1);
		many[i] = text[i];
	}
	add(&hs, TN_HOST_NODE, "vault." SUFFIX, vault, 2);
	add(&hs, TN_HOST_NODE, "printer.hedgehog-arcade.ts.net", printer, 1);
	add(&hs, TN_HOST_NODE, "v6." SUFFIX, v6, 1);
	add(&hs, TN_HOST_NODE, "many." SUFFIX, many, 60);
	if (tn_hostset_finish(&hs, &err) != 0 || tn_cache_build(&hs, &meta, &img, &len, &err) != 0 ||
	    tn_cache_parse(img, len, &cache, NULL) != 0)
		abort();
	tn_hostset_free(&hs); /* img stays: the cache points into it for the whole run */
}

static void check(const struct tn_dns_query *q, size_t len, size_t limit, const uint8_t *data)
{
	unsigned ar = (unsigned)(out[10] << 8 | out[11]);
	if (len > limit || len < TN_DNS_HDR || !(out[2] & 0x80) || memcmp(out, data, 2) != 0)
		abort();
	if (q->has_question && memcmp(out + TN_DNS_HDR, q->question, q->question_len) != 0)
		abort();
	if (ar != (q->edns ? 1u : 0u))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_dns_query q;
	struct tn_dns_msg m;
	if (!cache.base)
		build_cache();
	if (tn_dns_parse(data, size, &q) < 0)
		return 0;
	for (int tcp = 0; tcp < 2; tcp++) {
		size_t limit = tcp ? TN_DNS_MSG_MAX : tn_dns_udp_limit(&q);
		tn_dns_begin(&m, out, limit, &q);
		if (q.rcode)
			tn_dns_set_rcode(&m, q.rcode, 0);
		else
			tn_dns_answer(&cache, &q, 1000, &m);
		check(&q, tn_dns_finish(&m), limit, data);
	}
	return 0;
}
