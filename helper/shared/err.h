/* SPDX-License-Identifier: BSD-3-Clause */
/* err.h - the helper's one error convention, and its exit codes.
 *
 * Every fallible helper function returns 0 on success and -1 on failure, after writing ONE line (no
 * trailing newline, no secrets) into the caller's struct tn_error with tn_error_set(). The message names the
 * cause ("tailscaled at /run/tailscale/tailscaled.sock answered 403: invalid localapi request"). Only the
 * command layer (cmd_*.c) prints it, once, to stderr, and maps it to an exit code through `code`.
 */
#ifndef TAILNET_ERR_H
#define TAILNET_ERR_H

#include <stddef.h>

/* Exit codes of every tailnet-helper command (documented in README and in --help). */
enum tn_exit {
	TN_EXIT_OK = 0,
	TN_EXIT_FAIL = 1,        /* local failure: cache not writable, out of memory, ... */
	TN_EXIT_USAGE = 2,       /* bad command line */
	TN_EXIT_UNREACHABLE = 3, /* tailscaled / the API could not be reached or timed out */
	TN_EXIT_BAD_ANSWER = 4,  /* an HTTP error status, non-JSON, or JSON missing what we need */
	TN_EXIT_NOT_RUNNING = 5, /* tailscaled answered, but its BackendState is not Running */
	TN_EXIT_CREDENTIALS = 6, /* secrets missing, unreadable or with unsafe permissions */
};

struct tn_error {
	int code; /* enum tn_exit to use if this error ends the command */
	char msg[512];
};

/* Sets the message (printf-style) and the exit code; always returns -1 so callers can `return tn_error_set(..)`. */
int tn_error_set(struct tn_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with more context ("sync: " + msg); returns -1. */
int tn_error_wrap(struct tn_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Copies text someone else sent (a daemon's answer) into `out`, cut to fit, with everything but printable
 * ASCII replaced by '?', so quoting it keeps a message on one line. Returns out. */
const char *tn_error_printable(const char *text, char *out, size_t size);

#endif
