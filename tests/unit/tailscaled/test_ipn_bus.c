/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ipn_bus.c - the IPN bus line splitter and Notify classifier (ipn_bus.c): values decide, not key
 * presence; every change member makes a line dirty; lines come out the same however the stream is chunked;
 * an over-long line is dirty, never buffered past the limit. */
#include <stdlib.h>
#include <string.h>

#include "tailscaled/ipn_bus.h"
#include "unit.h"

/* A Notify line as tailscaled >= 1.100 writes it: the members Go never omits, as explicit nulls. */
#define NULLS "\"Version\":\"1.102.3\",\"ErrMessage\":null,\"LoginFinished\":null,\"State\":null,\"Prefs\":null," \
	      "\"NetMap\":null,\"Engine\":null,\"BrowseToURL\":null,\"DriveShares\":null"

static const struct {
	const char *line;
	int dirty;
	const char *why;
	int state;
} cases[] = {
	{"{" NULLS "}", 0, NULL, TN_NOTIFY_NO_STATE},
	{"{}", 0, NULL, TN_NOTIFY_NO_STATE},
	{"{" NULLS ",\"Engine\":{\"RBytes\":1}}", 0, NULL, TN_NOTIFY_NO_STATE},
	{"{\"ErrMessage\":\"boom\",\"NetMap\":null}", 0, NULL, TN_NOTIFY_NO_STATE},
	{"{\"Health\":{\"Warnings\":{}},\"PeersChanged\":null,\"PeersRemoved\":null}", 0, NULL, TN_NOTIFY_NO_STATE},
	{"{\"NetMap\":{\"Peers\":[]}}", 1, "NetMap", TN_NOTIFY_NO_STATE},
	{"{\"SelfChange\":{\"ID\":1}}", 1, "SelfChange", TN_NOTIFY_NO_STATE},
	{"{" NULLS ",\"PeersChanged\":[{\"ID\":7}]}", 1, "PeersChanged", TN_NOTIFY_NO_STATE},
	{"{\"PeersRemoved\":[7]}", 1, "PeersRemoved", TN_NOTIFY_NO_STATE},
	{"{\"PeerChanges\":[{\"NodeID\":7}]}", 1, "PeerChanges", TN_NOTIFY_NO_STATE},
	{"{\"PeerChangedPatch\":[{\"NodeID\":7,\"Online\":true}]}", 1, "PeerChangedPatch", TN_NOTIFY_NO_STATE},
	{"{\"InitialStatus\":{\"BackendState\":\"Running\"}}", 1, "InitialStatus", TN_NOTIFY_NO_STATE},
	{"{\"Version\":\"1.102.3\",\"State\":6}", 1, "State", 6},
	{"{\"State\":4,\"NetMap\":null}", 1, "State", 4},
	{"{\"State\":0}", 1, "State", 0},
	{"{\"State\":\"Running\"}", 1, "State", TN_NOTIFY_NO_STATE}, /* non-null, though not an integer */
	{"{\"NetMap\":false}", 1, "NetMap", TN_NOTIFY_NO_STATE},
	{"[1,2]", 1, "not a JSON object", TN_NOTIFY_NO_STATE},
	{"\"NetMap\"", 1, "not a JSON object", TN_NOTIFY_NO_STATE},
	{"{\"NetMap\":", 1, "not a JSON object", TN_NOTIFY_NO_STATE},
	{"{} {}", 1, "not a JSON object", TN_NOTIFY_NO_STATE},
	{"<html>", 1, "not a JSON object", TN_NOTIFY_NO_STATE},
};

START_TEST(classify_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tn_notify n;
		tn_notify_classify(cases[i].line, strlen(cases[i].line), &n);
		ck_assert_msg(n.dirty == (cases[i].dirty != 0), "[%s]: dirty %d", cases[i].line, n.dirty);
		ck_assert_msg(n.state == cases[i].state, "[%s]: state %d", cases[i].line, n.state);
		if (cases[i].why)
			ck_assert_str_eq(n.why, cases[i].why);
		else
			ck_assert_ptr_null(n.why);
		ck_assert(!n.overlong);
	}
}
END_TEST

/* ---- the splitter ---------------------------------------------------------------------------------------- */

struct seen {
	char text[4096]; /* one letter per line: d(irty), c(lean), m(alformed), o(ver-long); then the state */
	size_t len;
};

static void record(void *ctx, const struct tn_notify *n)
{
	struct seen *s = ctx;
	char c = n->overlong ? 'o' : n->malformed ? 'm' : n->dirty ? 'd' : 'c';
	s->len += (size_t)snprintf(s->text + s->len, sizeof s->text - s->len, "%c%d ", c, n->state);
}

static const char stream[] = "{" NULLS ",\"State\":6}\n"
			     "{" NULLS "}\r\n"
			     "\n"
			     "   \n"
			     "{\"PeersChanged\":[{\"ID\":1,\"Name\":\"a.b.ts.net.\"}]}\n"
			     "not json\n"
			     "{\"PeersRemoved\":[1]}\n";
static const char expected[] = "d6 c-1 d-1 m-1 d-1 ";

static void feed_in(struct tn_ipn_lines *l, const char *data, size_t len, size_t chunk, unsigned seed, struct seen *s)
{
	for (size_t off = 0; off < len;) {
		size_t n = chunk ? chunk : 1 + (size_t)(rand_r(&seed) % 40);
		n = n < len - off ? n : len - off;
		tn_ipn_lines_feed(l, data + off, n, record, s);
		off += n;
	}
}

START_TEST(split_any_chunking)
{
	for (size_t chunk = 0; chunk < 12; chunk++) {
		for (unsigned seed = 1; seed < (chunk ? 2u : 50u); seed++) {
			struct tn_ipn_lines l;
			struct seen s = {.len = 0};
			tn_ipn_lines_init(&l, 0);
			feed_in(&l, stream, sizeof stream - 1, chunk == 11 ? sizeof stream : chunk, seed, &s);
			ck_assert_msg(!strcmp(s.text, expected), "chunk %zu seed %u: [%s]", chunk, seed, s.text);
			tn_ipn_lines_free(&l);
		}
	}
}
END_TEST

START_TEST(partial_line_waits_and_reset_drops_it)
{
	struct tn_ipn_lines l;
	struct seen s = {.len = 0};
	tn_ipn_lines_init(&l, 0);
	tn_ipn_lines_feed(&l, "{\"State\":", 9, record, &s);
	ck_assert_uint_eq(s.len, 0);
	tn_ipn_lines_reset(&l); /* a new connection: the half line is gone */
	tn_ipn_lines_feed(&l, "{\"Engine\":null}\n", 16, record, &s);
	ck_assert_str_eq(s.text, "c-1 ");
	tn_ipn_lines_free(&l);
}
END_TEST

START_TEST(overlong_line_is_dirty_and_bounded)
{
	struct tn_ipn_lines l;
	struct seen s = {.len = 0};
	char big[1000];
	memset(big, 'x', sizeof big);
	big[0] = '{';
	tn_ipn_lines_init(&l, 64);
	/* in one chunk, and spread over many: either way one over-long line, then the next line is normal */
	tn_ipn_lines_feed(&l, big, sizeof big, record, &s);
	ck_assert(l.cap <= 64);
	tn_ipn_lines_feed(&l, "\n{\"State\":2}\n", 14, record, &s);
	for (size_t off = 0; off < sizeof big; off += 7)
		tn_ipn_lines_feed(&l, big + off, sizeof big - off < 7 ? sizeof big - off : 7, record, &s);
	ck_assert(l.cap <= 64);
	tn_ipn_lines_feed(&l, "\n", 1, record, &s);
	/* exactly at the limit is still parsed */
	char exact[65] = "{\"NetMap\":null,\"pad\":\"";
	size_t n = strlen(exact);
	memset(exact + n, 'p', 64 - n - 2);
	memcpy(exact + 62, "\"}", 2);
	tn_ipn_lines_feed(&l, exact, 64, record, &s);
	tn_ipn_lines_feed(&l, "\n", 1, record, &s);
	ck_assert_str_eq(s.text, "o-1 d2 o-1 c-1 ");
	tn_ipn_lines_free(&l);
}
END_TEST

START_TEST(buffer_shrinks_after_a_large_line)
{
	struct tn_ipn_lines l;
	struct seen s = {.len = 0};
	size_t len = 300 * 1024;
	char *line = malloc(len + 1);
	ck_assert_ptr_nonnull(line);
	snprintf(line, len, "{\"NetMap\":{\"Peers\":\"");
	size_t head = strlen(line);
	memset(line + head, 'a', len - head - 3);
	memcpy(line + len - 3, "\"}}", 3);
	line[len] = '\n';
	tn_ipn_lines_init(&l, 0);
	tn_ipn_lines_feed(&l, "{", 1, record, &s); /* the line starts in an earlier chunk: it is buffered */
	tn_ipn_lines_feed(&l, line + 1, len, record, &s);
	ck_assert_str_eq(s.text, "d-1 ");
	ck_assert_uint_eq(l.cap, 0);
	free(line);
	tn_ipn_lines_free(&l);
}
END_TEST

static Suite *ipn_bus_suite(void)
{
	Suite *s = suite_create("ipn_bus");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, classify_table);
	tcase_add_test(tc, split_any_chunking);
	tcase_add_test(tc, partial_line_waits_and_reset_drops_it);
	tcase_add_test(tc, overlong_line_is_dirty_and_bounded);
	tcase_add_test(tc, buffer_shrinks_after_a_large_line);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(ipn_bus_suite)
