/* SPDX-License-Identifier: BSD-3-Clause */
/* api_client.h - HTTPS requests to the Tailscale API (or a compatible control server): one POST, its retries,
 * backoff and time budget.
 *
 * Contract: https only, peer and host always verified (a private CA is added with ca_file, never by turning
 * verification off; the system's CAs stay trusted too), no redirects followed, answers capped at TN_API_MAX_ANSWER.
 * tn_api_post() returns 0 only for a 2xx answer. 429 and 5xx answers and transient transport failures (refused, reset,
 * nothing received) are retried up to max_attempts in all, waiting 1 s, 2 s, 4 s ... (capped at TN_BACKOFF_CAP_S,
 * "equal jitter": a random point in the upper half), or what Retry-After asks (seconds or HTTP-date, capped
 * the same). Other 4xx and TLS failures are final at once. Every attempt and wait shares one budget,
 * timeout_ms from tn_api_init(); a wait that would overrun it ends the call instead. The environment
 * variable TAILNET_BACKOFF_SCALE (0..1) multiplies every wait: a test knob.
 *
 * Credentials go to libcurl in-process only (never an argv, never verbose output). tn_api_global_init() makes
 * libcurl and jansson allocate through the tn_wipe_* family so their copies of secrets are zeroed when
 * freed. Messages: "POST /api/v2/...: HTTP 400: <the API's message>" and the like, one line, exit code
 * TN_EXIT_CREDENTIALS for 401/403, TN_EXIT_BAD_ANSWER for other statuses and unusable answers,
 * TN_EXIT_UNREACHABLE for transport failures and timeouts. Errors follow err.h.
 */
#ifndef TAILNET_API_CLIENT_H
#define TAILNET_API_CLIENT_H

#include <jansson.h>
#include <stddef.h>
#include <time.h>

#include "shared/backoff.h"
#include "shared/err.h"
#include "shared/secrets.h"

#define TN_API_DEFAULT_URL "https://api.tailscale.com"
#define TN_API_MAX_ANSWER (1024 * 1024)
#define TN_CA_FILE_MAX (16 * 1024 * 1024)

struct tn_api {
	/* Set by the caller before tn_api_init(). */
	const char *base_url; /* scheme://host[:port][/prefix], no trailing slash needed */
	const char *ca_file;  /* extra trusted CA certificates (PEM), or NULL */
	long connect_timeout_ms;
	long timeout_ms; /* for everything done through this handle, waits included */
	int max_attempts;
	/* Private. */
	void *curl;
	char *ca_bundle; /* the system's CA bundle followed by ca_file */
	size_t ca_bundle_len;
	double backoff_scale;
	struct timespec deadline;
};

enum tn_auth { TN_AUTH_NONE, TN_AUTH_BASIC, TN_AUTH_BEARER };

struct tn_api_request {
	const char *path; /* "/api/v2/oauth/token" */
	const char *content_type;
	const char *body;
	size_t body_len;
	enum tn_auth auth;
	const struct tn_secret *user;     /* BASIC */
	const struct tn_secret *password; /* BASIC; NULL for an empty one ("key:") */
	const struct tn_secret *token;    /* BEARER */
};

struct tn_api_response {
	long status;
	char *body; /* NUL-terminated; wiped by tn_api_response_free() */
	size_t len;
	char content_type[128];
	int attempts;
	char retry_after[64]; /* the raw header of the last answer */
};

/* Process-wide, once, before any other call (libcurl's own rule). */
int tn_api_global_init(struct tn_error *err);
void tn_api_global_cleanup(void);

/* Checks base_url (https, no user:password@), reads ca_file, and starts the time budget. */
int tn_api_init(struct tn_api *api, struct tn_error *err);
void tn_api_close(struct tn_api *api);

int tn_api_post(struct tn_api *api, const struct tn_api_request *req, struct tn_api_response *resp,
		struct tn_error *err);
void tn_api_response_free(struct tn_api_response *resp);

/* The answer as a JSON object: refuses HTML pages, non-JSON and JSON that is not an object. Parse errors
 * give a position only, because jansson's text quotes the input, which may be a secret. */
int tn_api_json_object(const struct tn_api_response *resp, const char *what, json_t **out, struct tn_error *err);

/* Pure parts, exposed for the unit tests. */

/* Retry-After as delta-seconds or an HTTP-date (IMF-fixdate, RFC 850, asctime) relative to `now`; a date in
 * the past gives 0. Returns -1 when the value is neither. */
int tn_parse_retry_after(const char *value, time_t now, double *seconds);
/* "HTTP 400: <message>" from an error answer: the API's `message`, or OAuth's `error`/`error_description`,
 * made printable and short; or a description of a body that is not JSON. */
void tn_api_error_text(long status, const char *body, size_t len, const char *content_type, char *out, size_t outlen);
/* Whether a body looks like an HTML page (by Content-Type or by its first non-blank character). */
int tn_api_is_html(const char *body, size_t len, const char *content_type);

#endif
