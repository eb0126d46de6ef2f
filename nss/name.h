/* SPDX-License-Identifier: BSD-3-Clause */
/* name.h - host-name normalisation shared by the module, the cache writer and the DNS responder.
 *
 * Contract: tn_name_normalize() accepts exactly the names a cache can hold: ASCII letters, digits and
 * hyphens in dot-separated labels of 1..63 bytes (no label starts or ends with '-'), at most 253 bytes,
 * optionally followed by ONE trailing dot, and not an IP literal (the last label is not all digits). It
 * writes the lower-cased name without the trailing dot and returns its length, or -EINVAL. No locale is
 * consulted (strcasecmp would be), no memory is allocated, and the input is read at most TN_NAME_MAX + 2
 * bytes, so hostile input costs O(1). It is tn_name_fold() followed by tn_name_labels_ok(). The module runs
 * neither before a lookup: it looks the name up as asked (tn_name_measure), since a name that matches a cache
 * key (all of which are valid) needs no checking, and folds and checks only a name it did not find, before
 * it decides whose it is.
 */
#ifndef TAILNET_NAME_H
#define TAILNET_NAME_H

#include <stddef.h>

#include "cache_format.h"

struct tn_name {
	/* Normalised and NUL-terminated; tn_name_copy() and tn_name_fold() also zero the 8 bytes after it, so
	 * the name, and any name it ends with, can be hashed a word at a time (tn_hash_padded). */
	char s[TN_NAME_MAX + 11];
	size_t len;
	size_t first_label_len; /* == len when the name has a single label (a bare name) */
};

/* Returns the normalised length (> 0) or -EINVAL. */
int tn_name_normalize(const char *in, struct tn_name *out);

/* The byte rules only: letters, digits, '-' and '.', lower-cased, at most TN_NAME_MAX bytes once one trailing
 * dot is dropped. The length (> 0) or -EINVAL; first_label_len is not set. */
int tn_name_fold(const char *in, struct tn_name *out);

/* tn_name_fold() of a name already taken by tn_name_copy() (`in` may be `out`). */
int tn_name_fold_copied(const struct tn_name *in, struct tn_name *out);

/* The name's length with one trailing dot dropped, 1..TN_NAME_MAX, or -EINVAL (no other byte is checked): the
 * module looks the name up as asked, in place, and copies it only when it is not found. */
int tn_name_measure(const char *in);

/* The first `len` bytes of `in` (the length tn_name_measure() gave), as they are, zero-padded like
 * tn_name_fold's output. */
void tn_name_copy(const char *in, size_t len, struct tn_name *out);

/* The label rules on a folded name (labels of 1..63 bytes, no '-' at either end, the last not all digits):
 * 1 when valid, else 0. */
int tn_name_labels_ok(const struct tn_name *n);

/* True when `name` (normalised) lies strictly below `suffix` (normalised, no dots around it). */
int tn_name_under(const char *name, size_t len, const char *suffix, size_t suffix_len);

#endif
