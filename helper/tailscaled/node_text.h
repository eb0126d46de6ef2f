/* SPDX-License-Identifier: BSD-3-Clause */
/* node_text.h - the strings kept of one node while the status or a bus message is scanned.
 *
 * Contract: strings are appended, NUL-terminated, to one buffer that grows (so they are named by offset, not
 * pointer, until the node is complete) and is emptied for the next node, never freed between nodes. A node's
 * strings together stay under TN_SCAN_MAX_VALUE bytes, as the scanner's captured values do. Errors follow
 * err.h: TN_EXIT_BAD_ANSWER for a node over the limit (`what` names where it came from), TN_EXIT_FAIL for no
 * memory.
 */
#ifndef TAILNET_NODE_TEXT_H
#define TAILNET_NODE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "shared/err.h"

#define TN_TEXT_NONE SIZE_MAX /* the offset of a string that is absent */

struct tn_node_text {
	char *text;
	size_t len, size;
	const char *what; /* "a node in the status", for the error over the limit */
};

/* A captured JSON string (quotes included). One without escapes is taken as it is (the scanner has checked
 * it); any other goes through jansson, and one it refuses ("\u0000", bad UTF-8) is absent (*off NONE). */
int tn_node_text_string(struct tn_node_text *t, const char *json, size_t len, size_t *off, struct tn_error *err);
/* The string at `off`, or NULL for TN_TEXT_NONE. */
static inline char *tn_node_text_at(const struct tn_node_text *t, size_t off)
{
	return off == TN_TEXT_NONE ? NULL : t->text + off;
}
/* Forgets the strings for the next node; the buffer stays. */
static inline void tn_node_text_clear(struct tn_node_text *t)
{
	t->len = 0;
}
void tn_node_text_free(struct tn_node_text *t);

#endif
