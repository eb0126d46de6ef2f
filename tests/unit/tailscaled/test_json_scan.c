/* SPDX-License-Identifier: BSD-3-Clause */
/* test_json_scan.c - the incremental scanner on its own: what it reports to its handler (keys, depths,
 * captured text), root scalars, and that a capture split across chunks arrives byte for byte. */
#include <string.h>

#include "tailscaled/json_scan.h"
#include "unit.h"

/* A handler that enters every container, captures every scalar and logs each event as one line. */
struct log {
	char *buf;
	size_t size;
	FILE *f;
	int capture_containers_at; /* depth whose containers are captured instead of entered; -1 none */
};

static int on_member(void *ctx, int depth, const char *key, size_t len, char first, struct tn_error *err)
{
	struct log *l = ctx;
	(void)err;
	fprintf(l->f, "member %d %s%.*s %c\n", depth, key ? "" : "(none)", (int)len, key ? key : "", first);
	if (first == '{' || first == '[')
		return depth == l->capture_containers_at ? TN_SCAN_CAPTURE : TN_SCAN_ENTER;
	return TN_SCAN_CAPTURE;
}

static int on_value(void *ctx, int depth, const char *key, size_t len, const char *json, size_t json_len,
		    struct tn_error *err)
{
	struct log *l = ctx;
	(void)err;
	fprintf(l->f, "value %d %s%.*s [%.*s]\n", depth, key ? "" : "(none)", (int)len, key ? key : "", (int)json_len,
		json);
	return 0;
}

static int on_end(void *ctx, int depth, struct tn_error *err)
{
	struct log *l = ctx;
	(void)err;
	fprintf(l->f, "end %d\n", depth);
	return 0;
}

static const struct tn_scan_handler handler = {on_member, on_value, on_end};

/* Scans `doc` in chunks of `chunk` bytes (0: at once) and returns the event log, or the error message. */
static char *scan(const char *doc, size_t chunk, int capture_containers_at, int *rc)
{
	struct log l = {.capture_containers_at = capture_containers_at};
	l.f = open_memstream(&l.buf, &l.size);
	ck_assert_ptr_nonnull(l.f);
	struct tn_scan s;
	struct tn_error err = {0};
	tn_scan_init(&s, &handler, &l);
	size_t len = strlen(doc);
	*rc = 0;
	for (size_t off = 0; off < len && *rc == 0; off += chunk ? chunk : len)
		*rc = tn_scan_feed(&s, doc + off, chunk && chunk < len - off ? chunk : len - off, &err);
	if (*rc == 0)
		*rc = tn_scan_finish(&s, &err);
	if (*rc != 0)
		fprintf(l.f, "error %d: %s\n", err.code, err.msg);
	tn_scan_free(&s);
	fclose(l.f);
	return l.buf;
}

START_TEST(events)
{
	const char *doc = "{\"a\": [1, \"x\\\"y\", {\"b\": null}], \"c\\u0064\": -0.5e+3, \"\": true}";
	const char *want = "member 0 (none) {\n"
			   "member 1 a [\n"
			   "member 2 (none) 1\n"
			   "value 2 (none) [1]\n"
			   "member 2 (none) \"\n"
			   "value 2 (none) [\"x\\\"y\"]\n"
			   "member 2 (none) {\n"
			   "member 3 b n\n"
			   "value 3 b [null]\n"
			   "end 3\n"
			   "end 2\n"
			   "member 1 cd -\n"
			   "value 1 cd [-0.5e+3]\n"
			   "member 1  t\n"
			   "value 1  [true]\n"
			   "end 1\n";
	for (size_t chunk = 0; chunk < 9; chunk++) {
		int rc;
		char *got = scan(doc, chunk, -1, &rc);
		ck_assert_int_eq(rc, 0);
		ck_assert_str_eq(got, want);
		free(got);
	}
}
END_TEST

START_TEST(captured_container_across_chunks)
{
	const char *doc = "{\"keep\": {\"x\": [1, 2.5, \"s\\u00e9\"], \"y\": {}} , \"next\": 0}";
	for (size_t chunk = 0; chunk < 13; chunk++) {
		int rc;
		char *got = scan(doc, chunk, 1, &rc);
		ck_assert_int_eq(rc, 0);
		ck_assert_msg(strstr(got, "value 1 keep [{\"x\": [1, 2.5, \"s\\u00e9\"], \"y\": {}}]\n") != NULL,
			      "chunk %zu: %s", chunk, got);
		ck_assert_msg(strstr(got, "member 2") == NULL, "a captured value's members were reported: %s", got);
		free(got);
	}
}
END_TEST

START_TEST(root_scalars)
{
	static const struct {
		const char *doc, *want;
	} cases[] = {
		{"123", "value 0 (none) [123]\n"},
		{" -0 ", "value 0 (none) [-0]\n"},
		{"1.5e3", "value 0 (none) [1.5e3]\n"},
		{"\"s\"", "value 0 (none) [\"s\"]\n"},
		{"null", "value 0 (none) [null]\n"},
		{"-", "error 4: truncated JSON"},
		{"1.", "error 4: truncated JSON"},
		{"tr", "error 4: truncated JSON"},
		{"\"abc", "error 4: truncated JSON: the input ends after 4 bytes, inside a string"},
		{"", "error 4: no JSON document"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		for (size_t chunk = 0; chunk < 3; chunk++) {
			int rc;
			char *got = scan(cases[i].doc, chunk, -1, &rc);
			ck_assert_msg(strstr(got, cases[i].want) != NULL, "[%s] chunk %zu: [%s] not in [%s]",
				      cases[i].doc, chunk, cases[i].want, got);
			free(got);
		}
}
END_TEST

START_TEST(unmatchable_keys)
{
	char doc[256];
	/* 65 bytes: too long to be one of ours; a non-ASCII escape; exactly TN_SCAN_MAX_KEY bytes is kept. */
	snprintf(doc, sizeof doc, "{\"%065d\": 1, \"\\u00e9\": 2, \"%064d\": 3}", 0, 0);
	int rc;
	char *got = scan(doc, 1, -1, &rc);
	ck_assert_int_eq(rc, 0);
	ck_assert_msg(strstr(got, "value 1 (none) [1]\n") && strstr(got, "value 1 (none) [2]\n"), "%s", got);
	char want[128];
	snprintf(want, sizeof want, "value 1 %064d [3]\n", 0);
	ck_assert_msg(strstr(got, want) != NULL, "%s", got);
	free(got);
}
END_TEST

START_TEST(fails_after_failure)
{
	struct log l = {.capture_containers_at = -1};
	l.f = open_memstream(&l.buf, &l.size);
	struct tn_scan s;
	struct tn_error err = {0};
	tn_scan_init(&s, &handler, &l);
	ck_assert_int_eq(tn_scan_feed(&s, "{]", 2, &err), -1);
	ck_assert_int_eq(err.code, TN_EXIT_BAD_ANSWER);
	ck_assert_int_eq(tn_scan_feed(&s, "}", 1, &err), -1);
	ck_assert_int_eq(tn_scan_finish(&s, &err), -1);
	tn_scan_free(&s);
	fclose(l.f);
	free(l.buf);
}
END_TEST

static Suite *scan_suite(void)
{
	Suite *s = suite_create("json_scan");
	TCase *tc = tcase_create("scan");
	tcase_add_test(tc, events);
	tcase_add_test(tc, captured_container_across_chunks);
	tcase_add_test(tc, root_scalars);
	tcase_add_test(tc, unmatchable_keys);
	tcase_add_test(tc, fails_after_failure);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(scan_suite)
