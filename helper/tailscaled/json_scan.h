/* SPDX-License-Identifier: BSD-3-Clause */
/* json_scan.h - an incremental JSON scanner that looks at a few members of a huge document.
 *
 * Contract: feed the document in chunks of any size, split anywhere (mid-string, mid-escape, mid-number);
 * then call tn_scan_finish(). The scanner checks the whole grammar (RFC 8259 structure, strings, escapes,
 * numbers, literals, a single root value, nothing but white space after it) while keeping no more than one
 * decoded key and at most one captured value: memory is bounded by TN_SCAN_MAX_DEPTH and TN_SCAN_MAX_VALUE
 * whatever the input. Bytes >= 0x80 are not UTF-8-checked outside captured values (jansson checks those).
 *
 * The caller steers it with three callbacks. member() is asked, for the root value and for each member (or
 * element) of a container it chose to ENTER, what to do with that value: SKIP it (validated, not kept),
 * CAPTURE it (its exact JSON text is handed to value() once complete) or ENTER it (containers only: its
 * members or elements are offered to member() in turn; a scalar is skipped). end() tells that an entered
 * container closed. `depth` is the number of containers around the value (root value 0, a root member 1,
 * ...); `key` is the member's decoded name, or NULL for the root value, for array elements and for names
 * that cannot be one of ours (longer than TN_SCAN_MAX_KEY bytes or with non-ASCII characters). A callback
 * returning -1 (after setting err) stops the scan; every later call then fails too. Errors follow err.h:
 * TN_EXIT_BAD_ANSWER for bad JSON.
 */
#ifndef TAILNET_JSON_SCAN_H
#define TAILNET_JSON_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "shared/err.h"

#define TN_SCAN_MAX_DEPTH 512           /* nesting deeper than this is refused */
#define TN_SCAN_MAX_VALUE (1u << 20)    /* a captured value larger than this is refused */
#define TN_SCAN_MAX_KEY 64              /* longer member names are passed as NULL */

enum tn_scan_action { TN_SCAN_SKIP = 0, TN_SCAN_CAPTURE, TN_SCAN_ENTER };

struct tn_scan_handler {
	/* `first` is the value's first byte: '{', '[', '"', 't', 'f', 'n', '-' or a digit. Returns an action,
	 * or -1 to stop. */
	int (*member)(void *ctx, int depth, const char *key, size_t key_len, char first, struct tn_error *err);
	int (*value)(void *ctx, int depth, const char *key, size_t key_len, const char *json, size_t len,
		     struct tn_error *err);
	/* An entered container closed; `depth` is that of its members. May be NULL. */
	int (*end)(void *ctx, int depth, struct tn_error *err);
};

/* Private state; allocate it anywhere, set it up with tn_scan_init(). */
struct tn_scan {
	const struct tn_scan_handler *h;
	void *ctx;
	uint64_t offset;         /* bytes consumed before the current chunk */
	uint64_t at;             /* during member() and end(): the offset of the value's first byte or of the
				  * closing bracket (so a caller can hand that stretch of input on as it is);
				  * after a syntax or nesting error, the offending byte's */
	uint8_t state, sub;      /* grammar state; number or literal or \u progress */
	uint32_t code_point;     /* of the \uXXXX escape being read */
	uint8_t after_string;    /* what a closing quote completes: key or value */
	uint8_t failed, done;
	int depth;               /* open containers */
	int capture_depth;       /* depth at which the captured value started; -1 when not capturing */
	const char *literal;     /* the literal being matched ("true", ...) */
	uint8_t frames[TN_SCAN_MAX_DEPTH]; /* per open container: array? entered? */
	char key[TN_SCAN_MAX_KEY];
	size_t key_len;
	int key_ok;              /* the key is decoded in full and plain ASCII */
	int decode_key;          /* the current string is a key of an entered object */
	char *cap;               /* captured bytes carried over from earlier chunks */
	size_t cap_len, cap_size;
};

void tn_scan_init(struct tn_scan *s, const struct tn_scan_handler *h, void *ctx);
void tn_scan_free(struct tn_scan *s);

/* Feeds the next chunk. */
int tn_scan_feed(struct tn_scan *s, const char *buf, size_t len, struct tn_error *err);

/* The input ended: fails unless exactly one complete root value was seen. */
int tn_scan_finish(struct tn_scan *s, struct tn_error *err);

/* A captured JSON number that is a positive integer of at most 63 bits without fraction or exponent, as
 * tailscaled's IDs are (tailcfg.NodeID, UserID): 0 and *out, else -1. */
int tn_json_id(const char *json, size_t len, int64_t *out);

#endif
