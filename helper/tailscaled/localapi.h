/* SPDX-License-Identifier: BSD-3-Clause */
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

#include "shared/err.h"

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

/* The same request, driven by the caller: tn_localapi_get() is new + curl_easy_perform + finish + free. A
 * caller that must wait on more than one transfer, on timers and on signals at once (watch) adds the easy
 * handle to its own curl multi handle instead, and calls finish with the CURLcode its CURLMSG_DONE carried.
 * The request keeps copies of everything in `api` but the socket string, which must outlive it. */
struct tn_localapi_req;
struct tn_localapi_req *tn_localapi_req_new(const struct tn_localapi *api, const char *path, tn_localapi_body_fn fn,
					    void *ctx, struct tn_error *err);
void *tn_localapi_req_easy(struct tn_localapi_req *req); /* the CURL * */
/* The HTTP status once the status line has arrived, else 0: tells a daemon that answered from one that hangs. */
long tn_localapi_req_status(struct tn_localapi_req *req);
/* The daemon's Tailscale-Version header, printable ASCII; "" until it arrives or when it is absent. */
const char *tn_localapi_req_version(const struct tn_localapi_req *req);
/* Maps the transfer's end (curl_code is a CURLcode) to 0, or to -1 and the error tn_localapi_get() reports. */
int tn_localapi_req_finish(struct tn_localapi_req *req, int curl_code, struct tn_error *err);
void tn_localapi_req_free(struct tn_localapi_req *req);

#endif
