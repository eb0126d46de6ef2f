/* SPDX-License-Identifier: BSD-3-Clause */
/* name.h - host-name normalisation shared by the module, the cache writer and the DNS responder.
 *
 * Contract: tn_name_normalize() accepts exactly the names a cache can hold: ASCII letters, digits and
 * hyphens in dot-separated labels of 1..63 bytes (no label starts or ends with '-'), at most 253 bytes,
 * optionally followed by ONE trailing dot, and not an IP literal (the last label is not all digits). It
 * writes the lower-cased name without the trailing dot and returns its length, or -EINVAL. No locale is
 * consulted (strcasecmp would be), no memory is allocated, and the input is read at most TN_NAME_MAX + 2
 * bytes, so hostile input costs O(1).
 */
#ifndef TAILNET_NAME_H
#define TAILNET_NAME_H

#include <stddef.h>

#include "cache_format.h"

struct tn_name {
	char s[TN_NAME_MAX + 1]; /* normalised, NUL-terminated */
	size_t len;
	size_t first_label_len; /* == len when the name has a single label (a bare name) */
};

/* Returns the normalised length (> 0) or -EINVAL. */
int tn_name_normalize(const char *in, struct tn_name *out);

/* True when `name` (normalised) lies strictly below `suffix` (normalised, no dots around it). */
int tn_name_under(const char *name, size_t len, const char *suffix, size_t suffix_len);

#endif
