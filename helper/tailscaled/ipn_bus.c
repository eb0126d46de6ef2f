/* SPDX-License-Identifier: BSD-3-Clause */
/* ipn_bus.c - see ipn_bus.h. */
#include "tailscaled/ipn_bus.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define SHRINK_ABOVE (64 * 1024) /* a buffer grown past this is given back after its line */

/* Every Notify member whose non-null value can mean a name appeared, went or changed address, or that the
 * backend changed state. Old daemons send NetMap; 1.98 PeerChanges; 1.100+ PeersChanged, PeersRemoved,
 * SelfChange and (with bit 15) PeerChangedPatch; InitialStatus answers bit 14. */
static const char *const change_members[] = {"NetMap",           "SelfChange", "PeersChanged", "PeersRemoved",
					     "PeerChanges",      "PeerChangedPatch", "State",    "InitialStatus"};

void tn_notify_classify(const char *line, size_t len, struct tn_notify *out)
{
	memset(out, 0, sizeof *out);
	out->state = TN_NOTIFY_NO_STATE;
	json_t *root = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
	if (!json_is_object(root)) {
		out->dirty = out->malformed = true;
		out->why = "not a JSON object";
		json_decref(root);
		return;
	}
	for (size_t i = 0; i < sizeof change_members / sizeof change_members[0]; i++) {
		json_t *v = json_object_get(root, change_members[i]);
		if (v && !json_is_null(v) && !out->dirty) {
			out->dirty = true;
			out->why = change_members[i];
		}
	}
	json_t *state = json_object_get(root, "State");
	if (json_is_integer(state) && json_integer_value(state) >= 0 && json_integer_value(state) < 1000)
		out->state = (int)json_integer_value(state);
	json_decref(root);
}

void tn_ipn_lines_init(struct tn_ipn_lines *l, size_t max)
{
	memset(l, 0, sizeof *l);
	l->max = max ? max : TN_IPN_LINE_MAX;
}

void tn_ipn_lines_free(struct tn_ipn_lines *l)
{
	free(l->buf);
	l->buf = NULL;
	l->len = l->cap = 0;
	l->overlong = false;
}

void tn_ipn_lines_reset(struct tn_ipn_lines *l)
{
	l->len = 0;
	l->overlong = false;
	if (l->cap > SHRINK_ABOVE)
		tn_ipn_lines_free(l);
}

/* Appends to the line being received, or gives up on buffering it (over the limit, or out of memory). */
static void append(struct tn_ipn_lines *l, const char *data, size_t n)
{
	if (l->overlong || n == 0)
		return;
	if (n > l->max - l->len) {
		l->overlong = true;
		l->len = 0;
		return;
	}
	if (l->len + n > l->cap) {
		size_t cap = l->cap ? l->cap : 4096;
		while (cap < l->len + n)
			cap *= 2;
		cap = cap < l->max ? cap : l->max;
		char *b = realloc(l->buf, cap);
		if (!b) {
			l->overlong = true;
			l->len = 0;
			return;
		}
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, data, n);
	l->len += n;
}

static void deliver(const char *line, size_t len, bool overlong, tn_notify_fn fn, void *ctx)
{
	struct tn_notify n;
	if (overlong) {
		memset(&n, 0, sizeof n);
		n.dirty = n.overlong = true;
		n.state = TN_NOTIFY_NO_STATE;
		n.why = "over-long line";
		fn(ctx, &n);
		return;
	}
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	size_t lead = 0;
	while (lead < len && (line[lead] == ' ' || line[lead] == '\t' || line[lead] == '\r'))
		lead++;
	if (lead == len)
		return; /* blank */
	tn_notify_classify(line + lead, len - lead, &n);
	fn(ctx, &n);
}

void tn_ipn_lines_feed(struct tn_ipn_lines *l, const char *data, size_t len, tn_notify_fn fn, void *ctx)
{
	while (len) {
		const char *nl = memchr(data, '\n', len);
		size_t n = nl ? (size_t)(nl - data) : len;
		if (nl && l->len == 0 && !l->overlong && n <= l->max) {
			deliver(data, n, false, fn, ctx); /* the whole line is in this chunk: no copy */
		} else {
			append(l, data, n);
			if (!nl)
				return;
			deliver(l->buf, l->len, l->overlong, fn, ctx);
			tn_ipn_lines_reset(l);
		}
		data += n + 1;
		len -= n + 1;
	}
}
