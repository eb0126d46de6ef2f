/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_notify.c - arbitrary bytes as an IPN bus stream (ipn_bus.c, bus_node.c, and status_parse.c through
 * InitialStatus): fed whole and again in chunk sizes derived from the input. No crash, no leak, the same
 * events both ways, and every event sane: node strings present, addresses that parse and that the status
 * would list (single IPs, Tailscale ranges for peers), IDs positive, states in range. Seeds cover each
 * version's shapes: InitialStatus, SelfChange with PeersChanged, PeersRemoved, PeerChangedPatch (CapMap,
 * unknown members), 1.98's NetMap and PeerChanges, the lagging-consumer ErrMessage. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tailscaled/ipn_bus.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct trace {
	uint64_t h; /* FNV-1a over every event */
	size_t events;
};

static void mix(struct trace *t, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		t->h = (t->h ^ b[i]) * 1099511628211u;
	t->events++;
}

static void mix_str(struct trace *t, const char *s)
{
	if (!s)
		abort();
	mix(t, s, strlen(s) + 1);
}

static void check_node(struct trace *t, const struct tn_status_node *n, int from_bus)
{
	unsigned char b[16];
	mix_str(t, n->dns_name);
	if (n->id)
		mix_str(t, n->id);
	mix(t, &n->node_id, sizeof n->node_id);
	if (n->node_id < 0 || (n->n_addrs && !n->addrs))
		abort();
	for (size_t i = 0; i < n->n_addrs; i++) {
		if (!n->addrs[i])
			continue; /* the status parser passes non-strings on as NULL */
		mix_str(t, n->addrs[i]);
		if (from_bus && inet_pton(AF_INET, n->addrs[i], b) != 1 && inet_pton(AF_INET6, n->addrs[i], b) != 1)
			abort(); /* bus addresses were parsed and checked */
	}
}

static int on_node(void *ctx, const struct tn_status_node *n, struct tn_error *err)
{
	(void)err;
	check_node(ctx, n, 1);
	return 0;
}

static int on_removed(void *ctx, int64_t id, struct tn_error *err)
{
	(void)err;
	if (id <= 0)
		abort();
	mix(ctx, &id, sizeof id);
	return 0;
}

static int on_patch(void *ctx, const struct tn_bus_patch *p, struct tn_error *err)
{
	(void)err;
	if (p->node_id < 0 || (p->subdomains && !p->capmap))
		abort();
	unsigned char v[4] = {p->capmap, p->subdomains, p->unknown, 0};
	mix(ctx, &p->node_id, sizeof p->node_id);
	mix(ctx, v, sizeof v);
	return 0;
}

static void on_line(void *ctx, const struct tn_bus_line *l)
{
	if (l->state < TN_NOTIFY_NO_STATE || l->state > 999 || l->err_message[sizeof l->err_message - 1])
		abort();
	for (const char *c = l->err_message; *c; c++)
		if (*c < 0x20 || *c > 0x7e)
			abort();
	mix(ctx, &l->present, sizeof l->present);
	mix(ctx, &l->state, sizeof l->state);
	mix(ctx, &l->status_rc, sizeof l->status_rc);
	mix(ctx, &l->malformed, sizeof l->malformed);
	mix(ctx, &l->bytes, sizeof l->bytes);
	mix_str(ctx, l->err_message);
}

static int st_node(void *ctx, const struct tn_status_node *n, struct tn_error *err)
{
	(void)err;
	check_node(ctx, n, 0);
	return 0;
}

static int st_extra(void *ctx, const char *name, const char *const *values, size_t n, struct tn_error *err)
{
	(void)err;
	mix_str(ctx, name);
	for (size_t i = 0; i < n; i++)
		mix_str(ctx, values[i]);
	return 0;
}

static int st_end(void *ctx, const struct tn_status_tailnet *t, struct tn_error *err)
{
	(void)err;
	if (t->suffix)
		mix_str(ctx, t->suffix);
	return 0;
}

static const struct tn_status_sink status_sink = {st_node, st_extra, st_end};

static void run(const uint8_t *data, size_t size, int split, struct trace *t)
{
	uint32_t state = 2166136261u; /* FNV-1a of the input seeds the chunk sizes */
	for (size_t i = 0; i < size; i++)
		state = (state ^ data[i]) * 16777619u;
	struct tn_bus_sink sink = {&status_sink, t, on_node, on_removed, on_patch, on_line};
	struct tn_ipn_bus b;
	memset(t, 0, sizeof *t);
	tn_ipn_bus_init(&b, &sink, t);
	for (size_t off = 0; off < size;) {
		size_t n = size - off;
		if (split) {
			state = state * 1103515245u + 12345u;
			n = 1 + (state >> 16) % (state & 0x100 ? 3 : 97);
			n = n < size - off ? n : size - off;
		}
		tn_ipn_bus_feed(&b, (const char *)data + off, n);
		off += n;
	}
	tn_ipn_bus_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct trace whole, split;
	run(data, size, 0, &whole);
	run(data, size, 1, &split);
	if (whole.events != split.events || whole.h != split.h)
		abort();
	return 0;
}
