/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_notify.c - arbitrary bytes as an IPN bus stream (ipn_bus.c): split into lines and classified, fed
 * whole and again in chunk sizes derived from the input, with a small line limit so over-long lines happen.
 * No crash, no leak, the same classifications both ways, the buffer never past the limit, and every line
 * that could carry a change (malformed, over-long, a change member) is dirty with a reason. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tailscaled/ipn_bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT 256
#define MAX_LINES 4096

struct trace {
	size_t n;
	uint32_t sig[MAX_LINES];
};

static void check(const struct tn_notify *n)
{
	if ((n->malformed || n->overlong) && !n->dirty)
		abort();
	if (n->dirty != (n->why != NULL))
		abort();
	if (n->state != TN_NOTIFY_NO_STATE && (n->state < 0 || n->state >= 1000))
		abort();
}

static void record(void *ctx, const struct tn_notify *n)
{
	struct trace *t = ctx;
	check(n);
	if (t->n < MAX_LINES)
		t->sig[t->n++] = (uint32_t)n->dirty | (uint32_t)n->malformed << 1 | (uint32_t)n->overlong << 2 |
				 (uint32_t)(n->state + 1) << 3;
}

static void run(const uint8_t *data, size_t size, int split, struct trace *t)
{
	uint32_t state = 2166136261u; /* FNV-1a of the input seeds the chunk sizes */
	for (size_t i = 0; i < size; i++)
		state = (state ^ data[i]) * 16777619u;
	struct tn_ipn_lines l;
	tn_ipn_lines_init(&l, LIMIT);
	memset(t, 0, sizeof *t);
	for (size_t off = 0; off < size;) {
		size_t n = size - off;
		if (split) {
			state = state * 1103515245u + 12345u;
			n = 1 + (state >> 16) % (state & 0x100 ? 3 : 97);
			n = n < size - off ? n : size - off;
		}
		tn_ipn_lines_feed(&l, (const char *)data + off, n, record, t);
		if (l.cap > LIMIT || l.len > LIMIT)
			abort();
		off += n;
	}
	tn_ipn_lines_free(&l);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trace whole, split;
	run(data, size, 0, &whole);
	run(data, size, 1, &split);
	if (whole.n != split.n || memcmp(whole.sig, split.sig, whole.n * sizeof whole.sig[0]))
		abort();
	struct tn_notify n;
	tn_notify_classify((const char *)data, size, &n);
	check(&n);
	return 0;
}
