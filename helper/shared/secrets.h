/* SPDX-License-Identifier: BSD-3-Clause */
/* secrets.h - holding credentials in memory, reading them from files, and writing an auth key to one.
 *
 * Contract: a secret lives only in a struct tn_secret: a page of its own, locked in RAM when the limit allows,
 * excluded from core dumps, and wiped by tn_secret_free(). tn_secret_read() refuses, as ssh does with private
 * keys, a file that group or others may read or write, or that belongs to someone other than the caller or
 * root, and, as sshd's StrictModes does, a file someone else could have put there: a directory on the way
 * that others may write, or that belongs to someone else, or a link in such a place (safe_path.h). It trims
 * surrounding whitespace (a trailing newline is the usual) and refuses an empty file. Messages name the
 * file, never its content. tn_secret_write_file() replaces a file atomically with mode 0600.
 *
 * The tn_wipe_* functions are a malloc family that zeroes every block before giving it back, so copies that
 * libraries make of secrets (libcurl's Authorization header, jansson's strings) do not outlive their use.
 * Errors follow err.h.
 */
#ifndef TAILNET_SECRETS_H
#define TAILNET_SECRETS_H

#include <stddef.h>

#include "shared/err.h"

/* Largest secret file accepted: Tailscale's keys and tokens are about 100 bytes. */
#define TN_SECRET_MAX 4096

struct tn_secret {
	char *data; /* NUL-terminated; NULL when empty */
	size_t len;
	size_t cap;
};

/* Gives `s` room for `cap` bytes plus a NUL (cap <= TN_SECRET_MAX). */
int tn_secret_alloc(struct tn_secret *s, size_t cap, struct tn_error *err);
/* Copies `len` bytes into a fresh secret. */
int tn_secret_set(struct tn_secret *s, const char *data, size_t len, struct tn_error *err);
/* Wipes and releases; safe on a zeroed or already freed secret. */
void tn_secret_free(struct tn_secret *s);

/* `what` names the credential in messages ("OAuth client secret"). */
int tn_secret_read(const char *path, const char *what, struct tn_secret *out, struct tn_error *err);

/* Checks an open file's owner and mode as tn_secret_read() does; `writable_only` relaxes the rule to "no
 * write access for group or others" (for files that steer where secrets go but hold none, like the config). */
int tn_check_private_file(int fd, const char *path, const char *what, int writable_only, struct tn_error *err);

/* read(2) into buf until EOF or `cap` bytes (EINTR retried); 0 or -1 with errno. Callers pass one byte more
 * than they accept, so that an oversized file is noticed rather than silently cut. */
int tn_read_fd(int fd, char *buf, size_t cap, size_t *len);

/* write(2) until done (EINTR retried); 0 or -1 with errno. Used for secrets so no stdio buffer keeps a copy. */
int tn_write_all(int fd, const void *data, size_t len);

/* Temp file in the same directory, mode 0600, fsync, rename, fsync of the directory. */
int tn_secret_write_file(const char *path, const char *data, size_t len, struct tn_error *err);

/* Replaces every occurrence of `secret` in the NUL-terminated `text` (a buffer of `cap` bytes) with
 * "[redacted]", truncating if needed: the last line of defence for messages that quote an answer. */
void tn_secret_redact(char *text, size_t cap, const struct tn_secret *secret);

void *tn_wipe_malloc(size_t n);
void *tn_wipe_calloc(size_t nmemb, size_t size);
void *tn_wipe_realloc(void *p, size_t n);
char *tn_wipe_strdup(const char *s);
void tn_wipe_free(void *p);

#endif
