/* localapi.h - GET requests to tailscaled's LocalAPI over its unix socket (libcurl).
 *
 * Contract: tn_localapi_get() sends `GET /localapi/v0/<path>` as HTTP/1.1 over the unix socket, with the one
 * Host tailscaled accepts there (local-tailscaled.sock: "localhost" gets 403), and hands a 200 body to the
 * caller's callback chunk by chunk as it arrives. Nothing is buffered, so the same call serves a 136 MB
 * status document and the never-ending watch-ipn-bus stream (timeout_ms 0; a line consumer splits on '\n'
 * itself, a line may span chunks and a chunk may hold several). Error bodies never reach the callback.
 * Errors follow err.h, one line naming the socket and the cause: no socket, connection refused or lost, or
 * timed out -> TN_EXIT_UNREACHABLE; an HTTP status other than 200 -> TN_EXIT_BAD_ANSWER with the status and
 * the first line of the body ("... answered 403: invalid localapi request"); a callback's own error is
 * passed through unchanged. Not thread-safe on first use (libcurl's global initialisation).
 */
#ifndef TAILNET_LOCALAPI_H
#define TAILNET_LOCALAPI_H

#include <stddef.h>

#include "err.h"

#define TN_LOCALAPI_HOST "local-tailscaled.sock"
#define TN_LOCALAPI_CONNECT_TIMEOUT_MS 2000L
#define TN_LOCALAPI_TIMEOUT_MS 10000L

struct tn_localapi {
	const char *socket;      /* tailscaled's socket, e.g. from tn_localapi_find_socket() */
	long connect_timeout_ms; /* > 0 */
	long timeout_ms;         /* the whole request, body included; 0 = no limit (streams) */
};

/* Receives the next piece of a 200 body. Returns 0 to go on, or -1 after setting err to abort. */
typedef int (*tn_localapi_body_fn)(void *ctx, const char *data, size_t len, struct tn_error *err);

/* The socket to use when none is named: $TAILSCALE_SOCKET, /var/run/tailscale/tailscaled.sock,
 * /run/tailscale/tailscaled.sock, /tmp/tailscaled.sock, the first that exists as a socket. `*path` points
 * into the environment or to a constant. */
int tn_localapi_find_socket(const char **path, struct tn_error *err);

/* `path` is relative to /localapi/v0/, query included ("status", "watch-ipn-bus?mask=4098"). */
int tn_localapi_get(const struct tn_localapi *api, const char *path, tn_localapi_body_fn fn, void *ctx,
		    struct tn_error *err);

#endif
