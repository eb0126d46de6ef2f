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
#include <unistd.h>

const char *const tn_localapi_default_sockets[] = {
    TN_SYSTEM_SOCKET,                              "/run/tailscale/tailscaled.sock",
    "/var/packages/Tailscale/var/tailscaled.sock", /* Synology DSM 7 */
    "/var/packages/Tailscale/etc/tailscaled.sock", /* Synology DSM 6 */
    "/perm/tailscaled/tailscaled.sock",            /* Gokrazy */
    "/tmp/tailscale/tailscaled.sock",              /* QNAP */
    TN_CONTAINER_SOCKET,                           /* the container image (containerboot) */
    NULL};

const char *tn_localapi_env_socket(void)
{
	const char *names[] = {"TAILSCALE_SOCKET", "TS_SOCKET"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		const char *v = getenv(names[i]);
		if (v && *v)
			return v;
	}
	return NULL;
}

int tn_localapi_find_socket(const char **path, struct tn_error *err)
{
	const char *env = tn_localapi_env_socket();
	if (env) {
		*path = env; /* named: that one or none, as with --socket */
		return 0;
	}
	for (size_t i = 0; tn_localapi_default_sockets[i]; i++) {
		struct stat st;
		if (stat(tn_localapi_default_sockets[i], &st) == 0 && S_ISSOCK(st.st_mode)) {
			*path = tn_localapi_default_sockets[i];
			return 0;
		}
	}
	return tn_error_set(err, TN_EXIT_UNREACHABLE,
			    "no tailscaled socket at %s, %s, %s or the Synology, Gokrazy and QNAP paths: is tailscaled "
			    "running? Name it with --socket or $TAILSCALE_SOCKET",
			    TN_SYSTEM_SOCKET, tn_localapi_default_sockets[1], TN_CONTAINER_SOCKET);
}

bool tn_localapi_trusted(uid_t uid)
{
	uid_t me = geteuid();
	return uid == 0 || (me != 0 && uid == me);
}

int tn_localapi_untrusted(const char *path, const struct tn_peer *peer, struct tn_error *err)
{
	char who[64] = "";
	if (geteuid() != 0)
		snprintf(who, sizeof who, " or by uid %u (the helper's own)", (unsigned)geteuid());
	return tn_error_set(err, TN_EXIT_UNREACHABLE,
			    TN_LOCALAPI_REFUSING "%s: it is served by uid %u (pid %ld), and the helper trusts only "
			    "a tailscaled run by root%s",
			    path, (unsigned)peer->uid, (long)peer->pid, who);
}

static int peer_of(int fd, struct tn_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof cred;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 || len != sizeof cred)
		return -1;
	peer->uid = cred.uid;
	peer->pid = cred.pid;
	return 0;
}

int tn_localapi_probe_peer(const char *path, struct tn_peer *peer, struct tn_error *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof sa.sun_path)
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "socket path %.200s... is too long for a socket", path);
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot create a socket: %s", strerror(errno));
	int rc;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		int e = errno;
		rc = e == ENOENT ? 0 : e == ECONNREFUSED ? TN_PEER_DOWN : -1;
		tn_error_set(err, TN_EXIT_UNREACHABLE, "%s %s: %s",
			     e == ECONNREFUSED ? "tailscaled is down: nothing listens on" : "cannot connect to", path,
			     strerror(e));
	} else if (peer_of(fd, peer) != 0) {
		rc = tn_error_set(err, TN_EXIT_FAIL, "cannot ask who serves %s: %s", path, strerror(errno));
	} else {
		rc = 1;
	}
	close(fd);
	return rc;
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
	struct tn_peer peer;    /* who serves the socket, once connected */
	int untrusted;          /* the peer check stopped the request */
	int peer_errno;         /* why SO_PEERCRED failed, when it did */
	int fd;                 /* the socket libcurl connects (open_socket) */
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

/* libcurl creates the socket through us and we keep its number, because libcurl 7.88 cannot show it to the
 * check below (CURLINFO_ACTIVESOCKET is set only once a transfer is done). Every request gets a connection
 * of its own (FRESH_CONNECT, FORBID_REUSE), so the socket checked is the socket used. */
static curl_socket_t open_socket(void *userp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct tn_localapi_req *t = userp;
	if (purpose != CURLSOCKTYPE_IPCXN || a->family != AF_UNIX)
		return CURL_SOCKET_BAD;
	t->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	return t->fd < 0 ? CURL_SOCKET_BAD : t->fd;
}

/* Between connect and the first byte sent (CURLOPT_PREREQFUNCTION, libcurl 7.80+): who serves the socket? */
static int on_connected(void *userp, char *primary_ip, char *local_ip, int primary_port, int local_port)
{
	(void)primary_ip, (void)local_ip, (void)primary_port, (void)local_port;
	struct tn_localapi_req *t = userp;
	if (t->fd < 0 || peer_of(t->fd, &t->peer) != 0) {
		t->peer_errno = t->fd < 0 ? EBADF : errno;
		t->peer.uid = (uid_t)-1;
		t->untrusted = 1;
	} else if (!tn_localapi_trusted(t->peer.uid)) {
		t->untrusted = 1;
	}
	return t->untrusted ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
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
	*t = (struct tn_localapi_req){.api = *api, .curl = t->curl, .fn = fn, .ctx = ctx, .peer = {(uid_t)-1, 0}, .fd = -1};
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
	curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, open_socket);
	curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, t);
	curl_easy_setopt(c, CURLOPT_PREREQFUNCTION, on_connected);
	curl_easy_setopt(c, CURLOPT_PREREQDATA, t);
	curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, 1L);
	curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
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
	if (t->untrusted) {
		if (t->peer.uid == (uid_t)-1)
			return tn_error_set(err, TN_EXIT_FAIL, "cannot ask who serves %s: %s", t->api.socket,
					    strerror(t->peer_errno));
		return tn_localapi_untrusted(t->api.socket, &t->peer, err);
	}
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
	return tn_localapi_send(api, NULL, path, NULL, 0, fn, ctx, err);
}

static int drop(void *ctx, const char *data, size_t len, struct tn_error *err)
{
	(void)ctx, (void)data, (void)len, (void)err;
	return 0;
}

int tn_localapi_send(const struct tn_localapi *api, const char *method, const char *path, const char *json,
		     size_t len, tn_localapi_body_fn fn, void *ctx, struct tn_error *err)
{
	struct tn_localapi_req *t = tn_localapi_req_new(api, path, fn ? fn : drop, ctx, err);
	if (!t)
		return -1;
	struct curl_slist *headers = NULL;
	if (method) {
		headers = curl_slist_append(NULL, "Content-Type: application/json");
		curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, json);
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE, (long)len);
		curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, headers);
	}
	int rc = tn_localapi_req_finish(t, curl_easy_perform(t->curl), err);
	tn_localapi_req_free(t);
	curl_slist_free_all(headers);
	return rc;
}

struct body {
	char *data;
	size_t len, max;
	const char *path;
};

static int collect(void *ctx, const char *data, size_t len, struct tn_error *err)
{
	struct body *b = ctx;
	if (b->len + len > b->max)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s is larger than %zu bytes", b->path, b->max);
	char *p = realloc(b->data, b->len + len + 1);
	if (!p)
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	memcpy(p + b->len, data, len);
	b->data = p;
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int tn_localapi_get_body(const struct tn_localapi *api, const char *path, size_t max, char **body, size_t *len,
			 struct tn_error *err)
{
	struct body b = {.max = max, .path = path};
	if (tn_localapi_get(api, path, collect, &b, err) != 0) {
		free(b.data);
		return -1;
	}
	if (!b.data && !(b.data = calloc(1, 1)))
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	*body = b.data;
	*len = b.len;
	return 0;
}
