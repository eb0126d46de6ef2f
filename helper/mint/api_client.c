/* SPDX-License-Identifier: BSD-3-Clause */
/* api_client.c - see api_client.h. */
#include "mint/api_client.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/log.h"

int tn_api_global_init(struct tn_error *err)
{
	/* Before curl_global_init: libcurl copies the credentials it is given (and builds the Authorization
	 * header) in memory it frees itself; these allocators zero that memory on the way out. */
	json_set_alloc_funcs(tn_wipe_malloc, tn_wipe_free);
	if (curl_global_init_mem(CURL_GLOBAL_DEFAULT, tn_wipe_malloc, tn_wipe_free, tn_wipe_realloc, tn_wipe_strdup,
				 tn_wipe_calloc) != CURLE_OK)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot initialise libcurl");
	return 0;
}

void tn_api_global_cleanup(void)
{
	curl_global_cleanup();
}

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double deadline_s(const struct tn_api *api)
{
	return (double)api->deadline.tv_sec + (double)api->deadline.tv_nsec / 1e9;
}

static void sleep_s(double s)
{
	if (s <= 0)
		return;
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
	}
}

/* Appends a whole PEM file to api->ca_bundle. */
static int append_ca_file(struct tn_api *api, const char *path, struct tn_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TN_CA_FILE_MAX) {
		int e = fd < 0 ? errno : 0;
		if (fd >= 0)
			close(fd);
		return tn_error_set(err, TN_EXIT_USAGE, "CA file %s: %s", path,
				    e ? strerror(e) : "not a regular file of sane size");
	}
	size_t size = (size_t)st.st_size, got = 0;
	char *grown = realloc(api->ca_bundle, api->ca_bundle_len + size + 2);
	if (!grown) {
		close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	}
	api->ca_bundle = grown;
	int r = tn_read_fd(fd, grown + api->ca_bundle_len, size + 1, &got);
	int e = errno;
	close(fd);
	if (r != 0 || got > size)
		return tn_error_set(err, TN_EXIT_USAGE, "CA file %s: %s", path, r ? strerror(e) : "changed while read");
	api->ca_bundle_len += got;
	api->ca_bundle[api->ca_bundle_len++] = '\n';
	return 0;
}

/* CURLOPT_CAINFO would replace the system's CAs; --ca-file promises to add one. So the handle gets both as a
 * blob: the bundle libcurl would have used (when there is one), then ca_file. */
static int load_ca_bundle(struct tn_api *api, struct tn_error *err)
{
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	if (v->cainfo && access(v->cainfo, R_OK) == 0 && append_ca_file(api, v->cainfo, err) != 0)
		return -1;
	if (append_ca_file(api, api->ca_file, err) != 0)
		return -1;
	struct curl_blob blob = {api->ca_bundle, api->ca_bundle_len, CURL_BLOB_NOCOPY};
	if (curl_easy_setopt(api->curl, CURLOPT_CAINFO_BLOB, &blob) != CURLE_OK)
		return tn_error_set(err, TN_EXIT_FAIL, "this libcurl cannot take a CA bundle from memory");
	return 0;
}

int tn_api_init(struct tn_api *api, struct tn_error *err)
{
	const char *u = api->base_url;
	if (strncasecmp(u, "https://", 8) != 0)
		return tn_error_set(err, TN_EXIT_USAGE,
				    "API URL %s: only https:// is allowed (credentials travel on it)", u);
	const char *host = u + 8, *end = host + strcspn(host, "/?#");
	if (memchr(host, '@', (size_t)(end - host)))
		return tn_error_set(err, TN_EXIT_USAGE,
				    "API URL must not contain user:password@ (use credential files)");
	if (end == host || *end == '?' || *end == '#')
		return tn_error_set(err, TN_EXIT_USAGE, "API URL %s: expected https://HOST[:PORT][/PATH]", u);

	const char *scale = getenv("TAILNET_BACKOFF_SCALE");
	api->backoff_scale = 1.0;
	if (scale && *scale) {
		char *e;
		double v = strtod(scale, &e);
		if (*e || !(v >= 0 && v <= 1))
			return tn_error_set(err, TN_EXIT_USAGE, "TAILNET_BACKOFF_SCALE must be a number from 0 to 1");
		api->backoff_scale = v;
	}
	if (api->max_attempts < 1)
		api->max_attempts = 1;
	double dl = now_mono() + (double)api->timeout_ms / 1000.0;
	api->deadline.tv_sec = (time_t)dl;
	api->deadline.tv_nsec = (long)((dl - (double)api->deadline.tv_sec) * 1e9);
	api->curl = curl_easy_init();
	if (!api->curl)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot create a libcurl handle");
	return api->ca_file ? load_ca_bundle(api, err) : 0;
}

void tn_api_close(struct tn_api *api)
{
	if (api->curl)
		curl_easy_cleanup(api->curl);
	api->curl = NULL;
	free(api->ca_bundle);
	api->ca_bundle = NULL;
	api->ca_bundle_len = 0;
}

void tn_api_response_free(struct tn_api_response *resp)
{
	tn_wipe_free(resp->body);
	resp->body = NULL;
	resp->len = 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
	struct tn_api_response *r = userp;
	size_t n = size * nmemb;
	if (r->len + n > TN_API_MAX_ANSWER)
		return 0; /* curl reports CURLE_WRITE_ERROR */
	char *grown = tn_wipe_realloc(r->body, r->len + n + 1);
	if (!grown)
		return 0;
	memcpy(grown + r->len, data, n);
	r->body = grown;
	r->len += n;
	r->body[r->len] = '\0';
	return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp)
{
	struct tn_api_response *r = userp;
	size_t n = size * nmemb;
	static const char name[] = "retry-after:";
	if (n >= 5 && !memcmp(data, "HTTP/", 5)) {
		r->retry_after[0] = '\0'; /* a new status line: forget an interim answer's headers */
	} else if (n > sizeof name - 1 && !strncasecmp(data, name, sizeof name - 1)) {
		const char *v = data + sizeof name - 1;
		size_t vlen = n - (sizeof name - 1);
		while (vlen && (*v == ' ' || *v == '\t')) {
			v++;
			vlen--;
		}
		while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
			vlen--;
		if (vlen >= sizeof r->retry_after)
			vlen = sizeof r->retry_after - 1;
		memcpy(r->retry_after, v, vlen);
		r->retry_after[vlen] = '\0';
	}
	return n;
}

enum outcome { DONE, RETRY, FINAL };

/* What a transport failure means for the next attempt. */
static enum outcome classify_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return RETRY;
	default:
		return FINAL;
	}
}

static int transport_error(const struct tn_api *api, const char *url, CURLcode rc, const char *detail,
			   struct tn_error *err)
{
	const char *why = detail && *detail ? detail : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CERTPROBLEM:
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "TLS with %s failed: %s (a private CA needs --ca-file)",
				    api->base_url, why);
	case CURLE_WRITE_ERROR:
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s: answer larger than %d bytes", url, TN_API_MAX_ANSWER);
	case CURLE_OPERATION_TIMEDOUT:
		if (now_mono() >= deadline_s(api) - 0.05)
			return tn_error_set(err, TN_EXIT_UNREACHABLE, "%s: no answer within %.3g s (--timeout)", url,
					    (double)api->timeout_ms / 1000.0);
		/* A connect timeout inside the budget. */
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "cannot reach %s: %s", url, why);
	default:
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "cannot reach %s: %s", url, why);
	}
}

static void set_auth(CURL *c, const struct tn_api_request *req)
{
	/* Clear what an earlier request on this handle set, so credentials never leak into the next one. */
	curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
	curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, NULL);
	curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
	if (req->auth == TN_AUTH_BASIC) {
		curl_easy_setopt(c, CURLOPT_USERNAME, req->user->data);
		curl_easy_setopt(c, CURLOPT_PASSWORD, req->password ? req->password->data : "");
	} else if (req->auth == TN_AUTH_BEARER) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
		curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, req->token->data);
	}
}

/* One attempt. Returns the curl result; fills resp (status, body, headers). */
static CURLcode attempt(struct tn_api *api, const char *url, const struct tn_api_request *req,
			struct curl_slist *headers, struct tn_api_response *resp, char *errbuf)
{
	CURL *c = api->curl;
	double left = deadline_s(api) - now_mono();
	long left_ms = left > 0.001 ? (long)(left * 1000.0) : 1;
	tn_api_response_free(resp);
	resp->status = 0;
	resp->retry_after[0] = resp->content_type[0] = '\0';
	errbuf[0] = '\0';

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_VERBOSE, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "tailnet-helper");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 api->connect_timeout_ms < left_ms ? api->connect_timeout_ms : left_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, left_ms);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	set_auth(c, req);

	CURLcode rc = curl_easy_perform(c);
	resp->attempts++;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	char *ct = NULL;
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		snprintf(resp->content_type, sizeof resp->content_type, "%s", ct);
	/* Drop the credentials from the handle now rather than at cleanup. */
	curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
	curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
	curl_easy_setopt(c, CURLOPT_XOAUTH2_BEARER, NULL);
	return rc;
}

int tn_api_post(struct tn_api *api, const struct tn_api_request *req, struct tn_api_response *resp,
		struct tn_error *err)
{
	char url[2048], errbuf[CURL_ERROR_SIZE], ctype[160];
	size_t blen = strlen(api->base_url);
	while (blen && api->base_url[blen - 1] == '/')
		blen--;
	if (snprintf(url, sizeof url, "%.*s%s", (int)blen, api->base_url, req->path) >= (int)sizeof url)
		return tn_error_set(err, TN_EXIT_USAGE, "API URL too long");
	snprintf(ctype, sizeof ctype, "Content-Type: %s", req->content_type);
	struct curl_slist *headers = NULL, *h;
	/* No "Expect: 100-continue": it only adds a round trip for bodies this small. */
	const char *lines[] = {ctype, "Accept: application/json", "Expect:"};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		if (!(h = curl_slist_append(headers, lines[i]))) {
			curl_slist_free_all(headers);
			return tn_error_set(err, TN_EXIT_FAIL, "out of memory");
		}
		headers = h;
	}

	memset(resp, 0, sizeof *resp);
	int rc = -1;
	for (int n = 1;; n++) {
		CURLcode cr = attempt(api, url, req, headers, resp, errbuf);
		enum outcome o;
		if (cr != CURLE_OK) {
			o = classify_curl(cr);
			transport_error(api, url, cr, errbuf, err);
		} else if (resp->status >= 200 && resp->status < 300) {
			rc = 0;
			break;
		} else {
			char text[400];
			tn_api_error_text(resp->status, resp->body, resp->len, resp->content_type, text, sizeof text);
			o = resp->status == 429 || resp->status >= 500 ? RETRY : FINAL;
			tn_error_set(
			    err, resp->status == 401 || resp->status == 403 ? TN_EXIT_CREDENTIALS : TN_EXIT_BAD_ANSWER,
			    "POST %s: %s", req->path, text);
		}
		tn_debug("attempt %d: %s", n, err->msg);
		if (o == FINAL || now_mono() >= deadline_s(api))
			break;
		if (n >= api->max_attempts) {
			tn_error_wrap(err, "gave up after %d attempt%s: ", n, n == 1 ? "" : "s");
			break;
		}
		double wait, ra;
		if (resp->retry_after[0] && tn_parse_retry_after(resp->retry_after, time(NULL), &ra) == 0)
			wait = ra < TN_BACKOFF_CAP_S ? ra : TN_BACKOFF_CAP_S;
		else
			wait = tn_backoff_delay(n, tn_jitter01());
		wait *= api->backoff_scale;
		if (now_mono() + wait >= deadline_s(api)) {
			tn_error_wrap(
			    err, "gave up after %d attempt%s (the next, in %.3g s, would start after --timeout): ", n,
			    n == 1 ? "" : "s", wait);
			break;
		}
		tn_warn("%s; retrying in %.3g s (attempt %d of %d)", err->msg, wait, n + 1, api->max_attempts);
		sleep_s(wait);
	}
	curl_slist_free_all(headers);
	return rc;
}

/* ---- pure parts ---- */

int tn_parse_retry_after(const char *value, time_t now, double *seconds)
{
	while (*value == ' ' || *value == '\t')
		value++;
	if (*value >= '0' && *value <= '9') {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(value, &end, 10);
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end)
			return -1;
		*seconds = errno == ERANGE || v > 86400ULL * 365 ? 86400.0 * 365 : (double)v;
		return 0;
	}
	static const char *const formats[] = {
	    "%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate */
	    "%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850 */
	    "%a %b %e %H:%M:%S %Y",      /* asctime */
	};
	for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		const char *end = strptime(value, formats[i], &tm);
		if (!end)
			continue;
		while (*end == ' ' || *end == '\t')
			end++;
		if (*end)
			continue;
		time_t t = timegm(&tm);
		if (t == (time_t)-1)
			return -1;
		*seconds = t > now ? difftime(t, now) : 0.0;
		return 0;
	}
	return -1;
}

int tn_api_is_html(const char *body, size_t len, const char *content_type)
{
	if (content_type && strcasestr(content_type, "html"))
		return 1;
	size_t i = 0;
	while (i < len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' || body[i] == '\n'))
		i++;
	return i < len && body[i] == '<';
}

/* Copies printable ASCII only, so an answer cannot inject lines or terminal escapes into our one-line message. */
static void printable(const char *s, char *out, size_t outlen, size_t max)
{
	size_t o = 0, n = strlen(s);
	if (max > outlen - 1)
		max = outlen - 1;
	for (size_t i = 0; i < n && o < max; i++)
		out[o++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (o == max && n > max && max > 3)
		memcpy(out + max - 3, "...", 3);
	out[o] = '\0';
}

void tn_api_error_text(long status, const char *body, size_t len, const char *content_type, char *out, size_t outlen)
{
	char msg[240] = "";
	json_t *root = NULL;
	if (body && len && !tn_api_is_html(body, len, content_type))
		root = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
	if (json_is_object(root)) {
		const char *m = json_string_value(json_object_get(root, "message"));
		const char *e = json_string_value(json_object_get(root, "error"));
		const char *d = json_string_value(json_object_get(root, "error_description"));
		char joined[512];
		if (m && *m)
			snprintf(joined, sizeof joined, "%s", m);
		else if (e && d && *d)
			snprintf(joined, sizeof joined, "%s: %s", e, d);
		else if (e)
			snprintf(joined, sizeof joined, "%s", e);
		else
			snprintf(joined, sizeof joined, "JSON answer without a message");
		printable(joined, msg, sizeof msg, 200);
	} else if (!body || !len) {
		snprintf(msg, sizeof msg, "empty answer");
	} else if (tn_api_is_html(body, len, content_type)) {
		snprintf(msg, sizeof msg, "an HTML page, not the API's JSON (is the API URL right?)");
	} else {
		char ct[64];
		printable(content_type && *content_type ? content_type : "no content type", ct, sizeof ct, 60);
		snprintf(msg, sizeof msg, "an answer that is not JSON (%s)", ct);
	}
	json_decref(root);
	snprintf(out, outlen, "HTTP %ld: %s", status, msg);
}

int tn_api_json_object(const struct tn_api_response *resp, const char *what, json_t **out, struct tn_error *err)
{
	*out = NULL;
	if (!resp->body || !resp->len)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s: empty answer (HTTP %ld)", what, resp->status);
	if (tn_api_is_html(resp->body, resp->len, resp->content_type))
		return tn_error_set(err, TN_EXIT_BAD_ANSWER,
				    "%s: HTTP %ld with an HTML page instead of JSON (is the API URL right?)", what,
				    resp->status);
	json_error_t je;
	json_t *root = json_loadb(resp->body, resp->len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s: malformed JSON (line %d, column %d)", what, je.line,
				    je.column);
	if (!json_is_object(root)) {
		json_decref(root);
		return tn_error_set(err, TN_EXIT_BAD_ANSWER, "%s: answer is JSON but not an object", what);
	}
	*out = root;
	return 0;
}
