/* SPDX-License-Identifier: BSD-3-Clause */
/* node_text.c - see node_text.h. */
#include "tailscaled/node_text.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "tailscaled/json_scan.h"

/* Appends text[0..n); *off is where it starts. */
static int put(struct tn_node_text *t, const char *text, size_t n, size_t *off, struct tn_error *err)
{
	if (n >= TN_SCAN_MAX_VALUE - t->len)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s is larger than %u bytes", t->what, TN_SCAN_MAX_VALUE);
	if (t->len + n + 1 > t->size) {
		size_t size = t->size ? t->size : 1024;
		while (size < t->len + n + 1)
			size *= 2;
		char *grown = realloc(t->text, size);
		if (!grown)
			return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
		t->text = grown;
		t->size = size;
	}
	*off = t->len;
	memcpy(t->text + t->len, text, n);
	t->text[t->len + n] = '\0';
	t->len += n + 1;
	return 0;
}

int tn_node_text_string(struct tn_node_text *t, const char *json, size_t len, size_t *off, struct tn_error *err)
{
	*off = TN_TEXT_NONE;
	if (!memchr(json, '\\', len))
		return put(t, json + 1, len - 2, off, err);
	json_t *v = json_loadb(json, len, JSON_DECODE_ANY, NULL);
	int rc = json_is_string(v) ? put(t, json_string_value(v), json_string_length(v), off, err) : 0;
	json_decref(v);
	return rc;
}

void tn_node_text_free(struct tn_node_text *t)
{
	free(t->text);
	t->text = NULL;
	t->len = t->size = 0;
}
