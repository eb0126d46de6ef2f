/* SPDX-License-Identifier: BSD-3-Clause */
/* config.h - the helper's configuration file: `key = value` lines.
 *
 * Contract: one setting per line, `key = value`, whitespace around both trimmed; blank lines and lines whose
 * first non-blank character is `#` are ignored; no quoting, no inline comments (a path may contain `#`).
 * Keys are lower-case names from a fixed list (config.c), so a typo is an error rather than a silently
 * ignored setting; a key given twice is an error too. Values may be empty. The file holds paths and
 * settings, never secret values; because it decides where the credentials are read from and sent to, a
 * file that group or others may write, or that belongs to someone other than the caller or root, is
 * refused. Which file: --config, else $TAILNET_HELPER_CONFIG, else TN_DEFAULT_CONFIG_PATH, which alone may
 * be absent. Precedence of a setting: command-line option > environment > this file > built-in default.
 * Errors follow err.h and name FILE:LINE.
 */
#ifndef TAILNET_CONFIG_H
#define TAILNET_CONFIG_H

#include <stddef.h>

#include "shared/err.h"

#define TN_DEFAULT_CONFIG_PATH "/etc/tailnet/helper.conf"
#define TN_CONFIG_MAX_BYTES (64 * 1024)

struct tn_config_entry {
	char *key, *value;
	unsigned line;
};

struct tn_config {
	char *path; /* the file read, or NULL when none */
	struct tn_config_entry *entries;
	size_t count;
};

/* Parses `len` bytes of text; `origin` names it in messages. On failure `cfg` is left empty. */
int tn_config_parse(struct tn_config *cfg, const char *origin, const char *text, size_t len, struct tn_error *err);

/* Reads the file chosen by `option` (the --config value or NULL) as the contract says. */
int tn_config_load(struct tn_config *cfg, const char *option, struct tn_error *err);

/* The value of `key`, or NULL when the file does not set it. */
const char *tn_config_get(const struct tn_config *cfg, const char *key);

void tn_config_free(struct tn_config *cfg);

/* Expands a leading "~/" with $HOME (or the passwd entry) into `out`; other paths are copied. */
int tn_expand_home(const char *path, char *out, size_t outlen, struct tn_error *err);

#endif
