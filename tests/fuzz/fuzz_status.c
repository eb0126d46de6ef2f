/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_status.c - arbitrary bytes through the status parser (json_scan + status_parse + hostset), fed whole
 * and again in chunk sizes derived from the input. Neither may crash, leak or trip a sanitizer, and both
 * must agree: the same success and the same hostset, or the same exit code with a one-line message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/hostset.h"
#include "cache/status_sync.h"
#include "tailscaled/status_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct outcome {
	int rc;
	struct tn_error err;
	struct tn_hostset hs;
};

static void parse(const uint8_t *data, size_t size, int split, struct outcome *o)
{
	uint32_t state = 2166136261u; /* FNV-1a of the input seeds the chunk sizes */
	for (size_t i = 0; i < size; i++)
		state = (state ^ data[i]) * 16777619u;
	memset(o, 0, sizeof *o);
	tn_hostset_init(&o->hs);
	struct tn_status_parser *sp = tn_status_new(&tn_hostset_sink, &o->hs, &o->err);
	if (!sp) {
		o->rc = -1;
		return;
	}
	for (size_t off = 0; off < size && o->rc == 0;) {
		size_t n = size - off;
		if (split) {
			state = state * 1103515245u + 12345u;
			n = 1 + (state >> 16) % (state & 0x100 ? 3 : 97);
			n = n < size - off ? n : size - off;
		}
		o->rc = tn_status_feed(sp, (const char *)data + off, n, &o->err);
		off += n;
	}
	if (o->rc == 0)
		o->rc = tn_status_finish(sp, &o->err);
	tn_status_free(sp);
}

static int same_hosts(const struct tn_hostset *a, const struct tn_hostset *b)
{
	if (a->n != b->n || a->magicdns != b->magicdns || a->tun != b->tun || !a->suffix != !b->suffix ||
	    (a->suffix && strcmp(a->suffix, b->suffix)))
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct tn_host *x = &a->hosts[i], *y = &b->hosts[i];
		if (strcmp(x->fqdn, y->fqdn) || x->bare_len != y->bare_len || x->kind != y->kind || x->n4 != y->n4 ||
		    x->n6 != y->n6 || memcmp(x->addrs, y->addrs, sizeof *x->addrs * (x->n4 + x->n6)))
			return 0;
	}
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct outcome whole, split;
	parse(data, size, 0, &whole);
	parse(data, size, 1, &split);
	if (whole.rc != split.rc)
		abort();
	if (whole.rc == 0 && !same_hosts(&whole.hs, &split.hs))
		abort();
	if (whole.rc != 0) {
		if (whole.err.code != split.err.code || !whole.err.msg[0] || strchr(whole.err.msg, '\n'))
			abort();
		if (whole.err.code != TN_EXIT_BAD_ANSWER && whole.err.code != TN_EXIT_NOT_RUNNING)
			abort();
	}
	tn_hostset_free(&whole.hs);
	tn_hostset_free(&split.hs);
	return 0;
}
