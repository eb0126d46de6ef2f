/* SPDX-License-Identifier: BSD-3-Clause */
/* localapi.c - see localapi.h. */
#include "tailscaled/localapi.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#define DEFAULT_SOCKETS "/var/run/tailscale/tailscaled.sock", "/run/tailscale/tailscaled.sock", "/tmp/tailscaled.sock"

int tn_localapi_find_socket(const char **path, struct tn_error *err)
{
	const char *env = getenv("TAILSCALE_SOCKET");
	const char *candidates[] = {env && *env ? env : NULL, DEFAULT_SOCKETS};
	for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
		struct stat st;
		if (candidates[i] && stat(candidates[i], &st) == 0 && S_ISSOCK(st.st_mode)) {
			*path = candidates[i];
			return 0;
		}
	}
	char from_env[200] = "";
	if (candidates[0])
		snprintf(from_env, sizeof from_env, "$TAILSCALE_SOCKET (%s), ", env);
	return tn_error_set(err, TN_EXIT_UNREACHABLE,
			    "no tailscaled socket at %s%s, %s or %s: is tailscaled running? Name it with --socket",
			    from_env, DEFAULT_SOCKETS);
}

struct tn_localapi_req {
	struct tn_localapi api;
	CURL *curl;
	tn_localapi_body_fn fn;
	void *ctx;
	struct tn_error cb_err; /* the callback's own error, passed through by tn_localapi_req_finish() */
	long status;            /* 0 until the first body byte */
	int callback_failed;
	uint64_t received;      /* body bytes of a 200 answer */
	char body[160];         /* the start of an error body, for the message */
	size_t body_len;
	char version[64];       /* the Tailscale-Version header */
	char detail[CURL_ERROR_SIZE];
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct tn_localapi_req *t = userp;
	size_t len = size * nmemb;
	if (!t->status)
		curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->status);
	if (t->status != 200) {
		/* Keep the first line of an error body; stop reading once we have it (a stream may never end). */
		size_t n = sizeof t->body - 1 - t->body_len;
		n = len < n ? len : n;
		memcpy(t->body + t->body_len, data, n);
		t->body_len += n;
		t->body[t->body_len] = '\0';
		return strchr(t->body, '\n') || t->body_len == sizeof t->body - 1 ? 0 : len;
	}
	t->received += len;
	if (t->fn(t->ctx, data, len, &t->cb_err) < 0) {
		t->callback_failed = 1;
		return 0; /* any count other than len aborts the transfer */
	}
	return len;
}

/* "403: invalid localapi request" from the status and the body's first line. */
static int http_error(const struct tn_localapi *api, struct tn_localapi_req *t, struct tn_error *err)
{
	char line[sizeof t->body];
	t->body[strcspn(t->body, "\r\n")] = '\0';
	tn_error_printable(t->body, line, sizeof line);
	return tn_error_set(err, TN_EXIT_BAD_ANSWER, "tailscaled at %s answered %ld: %s", api->socket, t->status,
			    *line ? line : "(no explanation)");
}

static int transport_error(const struct tn_localapi *api, const struct tn_localapi_req *t, CURLcode rc,
			   const char *detail, struct tn_error *err)
{
	long os_errno = 0;
	curl_off_t connected = 0;
	curl_easy_getinfo(t->curl, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(t->curl, CURLINFO_CONNECT_TIME_T, &connected);
	const char *s = api->socket;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "cannot connect to tailscaled at %s: %s%s", s,
				    os_errno ? strerror((int)os_errno) : detail,
				    os_errno == ECONNREFUSED ? " (is tailscaled running?)" : "");
	case CURLE_OPERATION_TIMEDOUT:
		if (!connected)
			return tn_error_set(err, TN_EXIT_UNREACHABLE, "cannot connect to tailscaled at %s in %.3g s", s,
					    (double)api->connect_timeout_ms / 1000);
		if (t->received)
			return tn_error_set(err, TN_EXIT_UNREACHABLE,
					    "tailscaled at %s stopped sending after %llu bytes: timed out after %.3g s",
					    s, (unsigned long long)t->received, (double)api->timeout_ms / 1000);
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "tailscaled at %s did not answer within %.3g s", s,
				    (double)api->timeout_ms / 1000);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_BAD_CONTENT_ENCODING:
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "tailscaled at %s answered something that is not HTTP: %s",
				    s, detail);
	case CURLE_GOT_NOTHING:
		return tn_error_set(err, TN_EXIT_UNREACHABLE,
				    "tailscaled at %s closed the connection without answering", s);
	default:
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "lost tailscaled at %s after %llu bytes: %s", s,
				    (unsigned long long)t->received, detail);
	}
}

/* A missing or wrong socket is worth naming before libcurl turns it into a bare errno. */
static int check_socket(const char *path, struct tn_error *err)
{
	struct stat st;
	if (strlen(path) >= sizeof ((struct sockaddr_un *)NULL)->sun_path)
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "socket path %.200s... is too long for a socket", path);
	if (stat(path, &st) != 0) {
		int e = errno;
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "%s %s: %s%s",
				    e == ENOENT ? "no tailscaled socket at" : "cannot use tailscaled's socket", path,
				    strerror(e), e == ENOENT ? " (is tailscaled running?)" : "");
	}
	if (!S_ISSOCK(st.st_mode))
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "%s is not a socket", path);
	return 0;
}

/* Keeps the daemon's version, for the caller's log line; every other header is of no interest. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct tn_localapi_req *t = userp;
	size_t len = size * nmemb;
	static const char name[] = "tailscale-version:";
	if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
		/* The line is not NUL-terminated: copy what fits, then cut at the line end. */
		char raw[sizeof t->version];
		size_t skip = sizeof name - 1, n;
		while (skip < len && (data[skip] == ' ' || data[skip] == '\t'))
			skip++;
		n = len - skip < sizeof raw - 1 ? len - skip : sizeof raw - 1;
		memcpy(raw, data + skip, n);
		raw[n] = '\0';
		raw[strcspn(raw, "\r\n")] = '\0';
		tn_error_printable(raw, t->version, sizeof t->version);
	}
	return len;
}

struct tn_localapi_req *tn_localapi_req_new(const struct tn_localapi *api, const char *path, tn_localapi_body_fn fn,
					    void *ctx, struct tn_error *err)
{
	static int initialised;
	if (check_socket(api->socket, err) < 0)
		return NULL;
	if (!initialised) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			tn_error_set(err, TN_EXIT_FAIL, "cannot initialise libcurl");
			return NULL;
		}
		initialised = 1;
	}
	char url[512];
	if ((size_t)snprintf(url, sizeof url, "http://" TN_LOCALAPI_HOST "/localapi/v0/%s", path) >= sizeof url) {
		tn_error_set(err, TN_EXIT_FAIL, "LocalAPI path too long: %.64s...", path);
		return NULL;
	}
	struct tn_localapi_req *t = calloc(1, sizeof *t);
	if (t)
		t->curl = curl_easy_init();
	if (!t || !t->curl) {
		free(t);
		tn_error_set(err, TN_EXIT_FAIL, "cannot initialise libcurl");
		return NULL;
	}
	*t = (struct tn_localapi_req){.api = *api, .curl = t->curl, .fn = fn, .ctx = ctx};
	CURL *c = t->curl;
	curl_easy_setopt(c, CURLOPT_UNIX_SOCKET_PATH, api->socket);
	curl_easy_setopt(c, CURLOPT_URL, url); /* libcurl copies both strings */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(c, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*"); /* an http_proxy in the environment must not reroute us */
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tailnet-helper");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, api->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, api->timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024); /* fewer, larger callbacks for big bodies */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, t->detail);
	return t;
}

void *tn_localapi_req_easy(struct tn_localapi_req *t)
{
	return t->curl;
}

long tn_localapi_req_status(struct tn_localapi_req *t)
{
	long status = 0;
	curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

const char *tn_localapi_req_version(const struct tn_localapi_req *t)
{
	return t->version;
}

int tn_localapi_req_finish(struct tn_localapi_req *t, int curl_code, struct tn_error *err)
{
	CURLcode rc = (CURLcode)curl_code;
	if (!t->detail[0])
		snprintf(t->detail, sizeof t->detail, "%s", curl_easy_strerror(rc));
	t->status = tn_localapi_req_status(t);
	if (t->callback_failed) {
		*err = t->cb_err; /* the callback's message stands */
		return -1;
	}
	if (t->status && t->status != 200)
		return http_error(&t->api, t, err);
	if (rc != CURLE_OK)
		return transport_error(&t->api, t, rc, t->detail, err);
	return 0;
}

void tn_localapi_req_free(struct tn_localapi_req *t)
{
	if (!t)
		return;
	curl_easy_cleanup(t->curl);
	free(t);
}

int tn_localapi_get(const struct tn_localapi *api, const char *path, tn_localapi_body_fn fn, void *ctx,
		    struct tn_error *err)
{
	struct tn_localapi_req *t = tn_localapi_req_new(api, path, fn, ctx, err);
	if (!t)
		return -1;
	int rc = tn_localapi_req_finish(t, curl_easy_perform(t->curl), err);
	tn_localapi_req_free(t);
	return rc;
}
