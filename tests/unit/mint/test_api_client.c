/* SPDX-License-Identifier: BSD-3-Clause */
/* test_api_client.c - the pure parts of the API layer: Retry-After, the backoff schedule, error messages. */
#include <string.h>

#include "mint/api_client.h"
#include "unit.h"

/* 2026-11-28T12:00:00Z */
#define NOW ((time_t)1795867200)

START_TEST(retry_after)
{
	static const struct {
		const char *value;
		int rc;
		double seconds;
	} cases[] = {
	    {"7", 0, 7},
	    {" 0 ", 0, 0},
	    {"99999999999999999999999", 0, 86400.0 * 365}, /* capped, not wrapped */
	    {"Sat, 28 Nov 2026 12:00:30 GMT", 0, 30},      /* IMF-fixdate */
	    {"Saturday, 28-Nov-26 12:01:00 GMT", 0, 60},   /* RFC 850 */
	    {"Sat Nov 28 12:00:05 2026", 0, 5},            /* asctime */
	    {"Fri, 27 Nov 2026 12:00:00 GMT", 0, 0},       /* in the past: at once */
	    {"-1", -1, 0},
	    {"1.5", -1, 0},
	    {"5s", -1, 0},
	    {"", -1, 0},
	    {"soon", -1, 0},
	    {"Sat, 28 Nov 2026 12:00:30 GMT trailing", -1, 0},
	    {"Sat, 28 Nov 2026", -1, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		double s = -1;
		int rc = tn_parse_retry_after(cases[i].value, NOW, &s);
		ck_assert_msg(rc == cases[i].rc, "[%s]: rc %d", cases[i].value, rc);
		ck_assert_msg(rc != 0 || s == cases[i].seconds, "[%s]: %g s", cases[i].value, s);
	}
}
END_TEST

START_TEST(backoff_schedule)
{
	static const double full[] = {1, 2, 4, 8, 16, 30, 30, 30};
	for (int r = 1; r <= 8; r++) {
		double lo = tn_backoff_delay(r, 0.0), hi = tn_backoff_delay(r, 0.999999);
		ck_assert_msg(lo == full[r - 1] / 2, "retry %d: low end %g", r, lo);
		ck_assert_msg(hi <= full[r - 1] && hi > full[r - 1] * 0.999, "retry %d: high end %g", r, hi);
		double mid = tn_backoff_delay(r, 0.5);
		ck_assert(mid > lo && mid < hi);
	}
	ck_assert(tn_backoff_delay(1000, 0.5) <= TN_BACKOFF_CAP_S);
	ck_assert(tn_backoff_delay(3, -5) == 2.0);
	ck_assert(tn_backoff_delay(3, 7) < 4.0);
}
END_TEST

static void expect_text(long status, const char *ctype, const char *body, const char *want)
{
	char out[400];
	tn_api_error_text(status, body, body ? strlen(body) : 0, ctype, out, sizeof out);
	ck_assert_msg(!strcmp(out, want), "got [%s], want [%s]", out, want);
}

START_TEST(error_texts)
{
	expect_text(400, "application/json", "{\"message\":\"requested tags [tag:x] are invalid or not permitted\"}",
		    "HTTP 400: requested tags [tag:x] are invalid or not permitted");
	expect_text(401, "application/json", "{\"error\":\"invalid_client\",\"error_description\":\"bad secret\"}",
		    "HTTP 401: invalid_client: bad secret");
	expect_text(400, "application/json", "{\"error\":\"unsupported_grant_type\"}",
		    "HTTP 400: unsupported_grant_type");
	expect_text(404, "application/json", "{\"data\":[]}", "HTTP 404: JSON answer without a message");
	expect_text(502, "text/html", "<html>Bad gateway</html>",
		    "HTTP 502: an HTML page, not the API's JSON (is the API URL right?)");
	expect_text(503, "text/plain", "upstream connect error", "HTTP 503: an answer that is not JSON (text/plain)");
	expect_text(500, "", NULL, "HTTP 500: empty answer");
	expect_text(400, "application/json", "{\"message\":\"line one\\nline two\\u001b[31m\"}",
		    "HTTP 400: line one?line two?[31m");
}
END_TEST

START_TEST(error_text_is_short)
{
	char body[2000], out[400];
	strcpy(body, "{\"message\":\"");
	memset(body + strlen(body), 'x', 1000);
	strcpy(body + 12 + 1000, "\"}");
	tn_api_error_text(400, body, strlen(body), "application/json", out, sizeof out);
	ck_assert_uint_eq(strlen(out), strlen("HTTP 400: ") + 200);
	ck_assert(!strcmp(out + strlen(out) - 3, "..."));
}
END_TEST

START_TEST(html_detection)
{
	ck_assert(tn_api_is_html("{}", 2, "text/html; charset=utf-8"));
	ck_assert(tn_api_is_html(" \n<!DOCTYPE html>", 16, "application/json"));
	ck_assert(!tn_api_is_html("{\"a\":\"<b>\"}", 11, "application/json"));
	ck_assert(!tn_api_is_html("", 0, NULL));
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("api_client");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, retry_after);
	tcase_add_test(tc, backoff_schedule);
	tcase_add_test(tc, error_texts);
	tcase_add_test(tc, error_text_is_short);
	tcase_add_test(tc, html_detection);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(api_suite)
