/* SPDX-License-Identifier: BSD-3-Clause */
/* resolv_conf.h - putting the DNS responder first in /etc/resolv.conf, and taking it out again exactly.
 *
 * Contract: tn_resolv_rewrite() is pure: from the original text it makes the applied one - a marker comment,
 * `nameserver <ours>` first, `search <suffix> <the original search list>` (the last search/domain line wins,
 * as in glibc; the suffix is not repeated), then every original line in order except the search/domain lines
 * and a `nameserver` line for our own address. glibc, musl and Go use at most 3 nameservers, so with ours
 * first only the first 2 original ones still count: later ones are kept as comments saying why, and come
 * back on revert. A `options rotate` line is kept but noted (with it the responder is not always asked first).
 *
 * tn_resolv_apply() saves the original next to the file (the backup: temp file, fsync, rename) and then
 * rewrites the file IN PLACE (never a rename) because in a container /etc/resolv.conf is a bind mount that
 * cannot be replaced: the new bytes in one write over the old, padded with blank lines to the old length,
 * then cut to size, so that a concurrent reader never finds the file empty or without nameservers. Applying again is a no-op when the result would
 * be the same, and re-derives from the backup when the nameserver or suffix changed; a file someone else
 * rewrote since (no marker) is taken as the new original. tn_resolv_revert() writes the backup back in place,
 * byte for byte, and removes it; without the marker there is nothing to revert. Both refuse a symbolic link
 * (e.g. systemd-resolved's stub-resolv.conf: configure resolved instead) and hold an flock on the file while
 * they work. Errors follow err.h.
 */
#ifndef TAILNET_RESOLV_CONF_H
#define TAILNET_RESOLV_CONF_H

#include <stddef.h>

#include "shared/err.h"

#define TN_RESOLV_MARKER "# tailnet-helper resolv-conf:"
#define TN_RESOLV_BACKUP_SUFFIX ".tailnet-backup"
#define TN_RESOLV_MAX_BYTES (64 * 1024)

struct tn_resolv_notes {
	int dropped; /* nameserver lines commented out */
	int rotate;  /* `options rotate` seen */
};

/* The applied text, malloc'd (caller frees), NUL-terminated; NULL on allocation failure. */
char *tn_resolv_rewrite(const char *orig, size_t len, const char *nameserver, const char *suffix, const char *backup,
			size_t *out_len, struct tn_resolv_notes *notes);
/* 1 when text carries the marker line. */
int tn_resolv_applied(const char *text, size_t len);

/* `*changed` says whether the file was written. */
int tn_resolv_apply(const char *path, const char *backup, const char *nameserver, const char *suffix, int *changed,
		    struct tn_resolv_notes *notes, struct tn_error *err);
int tn_resolv_revert(const char *path, const char *backup, int *changed, struct tn_error *err);

#endif
