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
 *
 * Trust: anyone can create a socket at a path tailscaled is not using at the moment (/tmp/tailscaled.sock,
 * the official container image's default, while tailscaled is down), and what the helper reads from it
 * becomes every process's answer for a name. So every connection asks the kernel who serves the socket
 * (SO_PEERCRED, right after connect and before a byte is sent) and goes on only when that is root, or the
 * helper's own uid when the helper runs as a user: the rule of tn_localapi_trusted(). Anything else is
 * an error (TN_EXIT_UNREACHABLE) naming the socket and the uid that serves it; the request is never sent.
 */
#ifndef TAILNET_LOCALAPI_H
#define TAILNET_LOCALAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

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

/* Where tailscaled listens when nobody says otherwise, in the order the helper looks: the Linux default and
 * its /run twin, the Synology, Gokrazy and QNAP defaults (ts:paths/paths.go DefaultTailscaledSocket, the
 * same in 1.98 to 1.103), and the official container image's /tmp/tailscaled.sock (containerboot's TS_SOCKET
 * default). NULL-terminated. */
extern const char *const tn_localapi_default_sockets[];
#define TN_SYSTEM_SOCKET "/var/run/tailscale/tailscaled.sock" /* tailscaled's compiled-in default: the first */
#define TN_CONTAINER_SOCKET "/tmp/tailscaled.sock"              /* containerboot's: the last */

/* The socket named by the environment: $TAILSCALE_SOCKET, else $TS_SOCKET (the container image's
 * variable, ts:cmd/containerboot/settings.go); NULL when neither is set to something. */
const char *tn_localapi_env_socket(void);

/* The socket to use when none is named: the environment's, else the first default that exists as a socket.
 * Only existence is looked at: a socket that is there is the daemon's, and a request to it reports a daemon
 * that is down (connection refused) or one the helper does not trust; the search never moves past it to
 * the next default. `*path` points into the environment or to a constant. */
int tn_localapi_find_socket(const char **path, struct tn_error *err);

/* Who serves a socket, as the kernel says (SO_PEERCRED); pid is 0 when it lives in a pid namespace we do
 * not see. */
struct tn_peer {
	uid_t uid;
	pid_t pid;
};

/* The helper trusts a daemon run by root, and, when the helper itself runs as a user, one run by that
 * user: the same uids tailscaled itself gives write access to without an operator (ts:ipn/ipnauth
 * IsReadonlyConn: uid 0, or the daemon's own non-root uid). */
bool tn_localapi_trusted(uid_t uid);

/* One connection to `path`, to see who serves it: 1 connected (*peer filled: trusted or not, the caller
 * decides what to do); 0 no socket there (ENOENT); TN_PEER_DOWN the socket is there but nothing listens
 * (ECONNREFUSED: a daemon that is down or restarting); -1 anything else (not a socket, no permission, a path
 * too long, SO_PEERCRED failing). *err says why whenever it is not 1. Sends nothing. */
#define TN_PEER_DOWN (-2)
int tn_localapi_probe_peer(const char *path, struct tn_peer *peer, struct tn_error *err);

/* The message for a socket served by a uid the helper does not trust (TN_EXIT_UNREACHABLE: the daemon the
 * helper may talk to is not there), starting with TN_LOCALAPI_REFUSING so callers can tell it apart. Returns -1. */
#define TN_LOCALAPI_REFUSING "refusing the socket "
int tn_localapi_untrusted(const char *path, const struct tn_peer *peer, struct tn_error *err);

/* `path` is relative to /localapi/v0/, query included ("status", "watch-ipn-bus?mask=4098"). */
int tn_localapi_get(const struct tn_localapi *api, const char *path, tn_localapi_body_fn fn, void *ctx,
		    struct tn_error *err);

/* The same with another method and a JSON body (Content-Type application/json), for the few writes the
 * helper makes ("PATCH", "prefs"). `fn` may be NULL to drop the answer. */
int tn_localapi_send(const struct tn_localapi *api, const char *method, const char *path, const char *json,
		     size_t len, tn_localapi_body_fn fn, void *ctx, struct tn_error *err);

/* The whole 200 body of a small document, up to `max` bytes (more is TN_EXIT_BAD_ANSWER), in a malloc'd
 * buffer with a NUL after it (*body, *len); the caller frees it. */
int tn_localapi_get_body(const struct tn_localapi *api, const char *path, size_t max, char **body, size_t *len,
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
