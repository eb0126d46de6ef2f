/* SPDX-License-Identifier: BSD-3-Clause */
/* test_ipn_bus.c - the IPN bus parser (ipn_bus.c, bus_node.c): each line's members by value, not key
 * presence; nodes mapped as the status would show them (Addresses filtered as populatePeerStatusLocked does);
 * removals, patches, 1.98's PeerChanges; InitialStatus streamed into a status parser; malformed and blank
 * lines; a callback's error; a line of many megabytes; and the same events however the stream is chunked. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "tailscaled/ipn_bus.h"
#include "unit.h"

/* A Notify line as tailscaled >= 1.100 writes it: the members Go never omits, as explicit nulls. */
#define NULLS "\"Version\":\"1.102.3\",\"ErrMessage\":null,\"LoginFinished\":null,\"State\":null,\"Prefs\":null," \
	      "\"NetMap\":null,\"Engine\":null,\"BrowseToURL\":null,\"DriveShares\":null"

struct trace {
	char *text;
	size_t len, size;
	int fail_on_node; /* the sink fails at this node (1-based), 0: never */
	int nodes;
};

static void put(struct trace *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct trace *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->text + t->len, t->size - t->len, fmt, ap);
		va_end(ap);
		if ((size_t)n < t->size - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->size = t->size ? t->size * 2 : 4096;
		t->text = realloc(t->text, t->size);
		ck_assert_ptr_nonnull(t->text);
	}
}

static void put_node(struct trace *t, const char *tag, const struct tn_status_node *n)
{
	put(t, "%s%s %s id=%s nid=%lld sub=%d ips=", tag, n->self ? " self" : "", n->dns_name, n->id ? n->id : "-",
	    (long long)n->node_id, n->subdomains);
	for (size_t i = 0; i < n->n_addrs; i++)
		put(t, "%s%s", i ? "," : "", n->addrs[i]);
	put(t, "\n");
}

static int on_node(void *ctx, const struct tn_status_node *n, struct tn_error *err)
{
	struct trace *t = ctx;
	if (++t->nodes == t->fail_on_node)
		return tn_error_set(err, TN_EXIT_FAIL, "sink refuses node %d", t->nodes);
	put_node(t, "N", n);
	return 0;
}

static int on_removed(void *ctx, int64_t id, struct tn_error *err)
{
	(void)err;
	put(ctx, "R %lld\n", (long long)id);
	return 0;
}

static int on_patch(void *ctx, const struct tn_bus_patch *p, struct tn_error *err)
{
	(void)err;
	put(ctx, "P %lld cap=%d sub=%d unknown=%d\n", (long long)p->node_id, p->capmap, p->subdomains, p->unknown);
	return 0;
}

static void on_line(void *ctx, const struct tn_bus_line *l)
{
	put(ctx, "L present=%#x state=%d err=[%s] status=%d/%d pcu=%d malformed=%d bytes=%zu\n", l->present, l->state,
	    l->err_message, l->status_rc, l->status_rc ? l->status_err.code : 0, l->peer_changes_unknown, l->malformed,
	    l->bytes);
}

/* The status sink for InitialStatus: its nodes and settings go to the same trace. */
static int st_node(void *ctx, const struct tn_status_node *n, struct tn_error *err)
{
	(void)err;
	put_node(ctx, "S", n);
	return 0;
}

static int st_extra(void *ctx, const char *name, const char *const *values, size_t n, struct tn_error *err)
{
	(void)values;
	(void)err;
	put(ctx, "X %s %zu\n", name, n);
	return 0;
}

static int st_end(void *ctx, const struct tn_status_tailnet *t, struct tn_error *err)
{
	(void)err;
	put(ctx, "E %s magicdns=%d\n", t->suffix ? t->suffix : "-", t->magicdns);
	return 0;
}

static const struct tn_status_sink status_sink = {st_node, st_extra, st_end};

/* Feeds `stream` in pieces of `chunk` bytes (0: random sizes from `seed`); returns the trace (caller frees). */
static char *run(const char *stream, size_t len, size_t chunk, unsigned seed, int fail_on_node)
{
	struct trace t = {.fail_on_node = fail_on_node};
	struct tn_bus_sink sink = {&status_sink, &t, on_node, on_removed, on_patch, on_line};
	struct tn_ipn_bus b;
	put(&t, "%s", "");
	tn_ipn_bus_init(&b, &sink, &t);
	for (size_t off = 0; off < len;) {
		size_t n = chunk ? chunk : 1 + (size_t)(rand_r(&seed) % 97);
		n = n < len - off ? n : len - off;
		tn_ipn_bus_feed(&b, stream + off, n);
		off += n;
	}
	tn_ipn_bus_free(&b);
	return t.text;
}

/* The same trace whole, byte by byte, and in random pieces. */
static char *run_all_ways(const char *stream)
{
	size_t len = strlen(stream);
	char *whole = run(stream, len, len ? len : 1, 0, 0);
	for (size_t chunk = 0; chunk < 8; chunk++) {
		char *other = run(stream, len, chunk, 7 + (unsigned)chunk, 0);
		ck_assert_msg(!strcmp(whole, other), "chunk %zu:\n%s\nwhole:\n%s", chunk, other, whole);
		free(other);
	}
	return whole;
}

static void expect(const char *stream, const char *want)
{
	char *got = run_all_ways(stream);
	ck_assert_msg(!strcmp(got, want), "stream [%s]\ngot:\n%s\nwant:\n%s", stream, got, want);
	free(got);
}

START_TEST(values_not_keys)
{
	/* Every line carries the always-present members as nulls: nothing is present. */
	expect("{" NULLS "}\n", "L present=0 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=152\n");
	expect("{" NULLS ",\"Engine\":{\"RBytes\":1},\"Health\":{\"Warnings\":{}}}\n",
	       "L present=0 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=199\n");
	expect("{\"NetMap\":{\"Peers\":[]},\"SelfChange\":null,\"PeersChanged\":null}\n",
	       "L present=0x4 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=61\n");
	expect("{\"LoginFinished\":{},\"PeersRemoved\":[],\"PeersChanged\":[]}\n",
	       "L present=0x260 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=56\n");
}
END_TEST

START_TEST(state_and_err_message)
{
	expect("{\"State\":6}\n{\"State\":0}\n{\"State\":4,\"NetMap\":null}\n{\"State\":\"Running\"}\n{\"State\":1000}\n"
	       "{\"State\":06}\n{\"State\":-1}\n",
	       "L present=0x1 state=6 err=[] status=-1/4 pcu=0 malformed=0 bytes=11\n"
	       "L present=0x1 state=0 err=[] status=-1/4 pcu=0 malformed=0 bytes=11\n"
	       "L present=0x1 state=4 err=[] status=-1/4 pcu=0 malformed=0 bytes=25\n"
	       "L present=0x1 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=19\n"
	       "L present=0x1 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=14\n"
	       "L present=0x1 state=0 err=[] status=-1/4 pcu=0 malformed=1 bytes=12\n"
	       "L present=0x1 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=12\n");
}
END_TEST

START_TEST(err_message_decoded_and_printable)
{
	expect("{\"ErrMessage\":\"IPN bus consumer fell behind; closing watch\",\"State\":null}\n",
	       "L present=0x2 state=-1 err=[IPN bus consumer fell behind; closing watch] status=-1/4 pcu=0 "
	       "malformed=0 bytes=73\n");
	expect("{\"ErrMessage\":\"a\\u0026b\\nc\"}\n",
	       "L present=0x2 state=-1 err=[a&b?c] status=-1/4 pcu=0 malformed=0 bytes=28\n");
}
END_TEST

/* SelfChange keeps every single-IP address; peers only Tailscale ones (local.go populatePeerStatusLocked). */
START_TEST(nodes_mapped_like_the_status)
{
	expect("{\"SelfChange\":{\"ID\":6102847519283746,\"StableID\":\"nP2xQ8CNTRL\",\"Name\":\"ci-runner-7.example.ts.net.\","
	       "\"Addresses\":[\"100.88.14.7/32\",\"fd7a:115c:a1e0::5d01:e07/128\",\"192.168.7.7/32\",\"10.0.0.0/8\"],"
	       "\"CapMap\":{\"magicdns-aaaa\":null,\"dns-subdomain-resolve\":[\"x\"]},\"Hostinfo\":{\"OS\":\"linux\"}},"
	       "\"PeersChanged\":[{\"ID\":7,\"StableID\":\"nKv\",\"Name\":\"vault.example.ts.net.\",\"Addresses\":["
	       "\"100.101.33.8/32\",\"fd7a:115c:a1e0::c601:2108/128\",\"192.168.1.9/32\",\"100.115.92.5/32\","
	       "\"100.115.94.5/32\",\"fd7a:115c:a1e1::1/128\",\"100.64.0.0/10\",\"::ffff:100.64.1.2/128\",\"junk\",7],"
	       "\"CapMap\":{\"https://tailscale.com/cap/file-sharing\":null}},"
	       "{\"ID\":8,\"Name\":\"a\\u002eexample.ts.net.\",\"Addresses\":null,\"Online\":false},"
	       "{\"ID\":\"9\",\"Name\":7,\"StableID\":null},[],null]}\n",
	       "N self ci-runner-7.example.ts.net. id=nP2xQ8CNTRL nid=6102847519283746 sub=1 "
	       "ips=100.88.14.7,fd7a:115c:a1e0::5d01:e07,192.168.7.7\n"
	       "N vault.example.ts.net. id=nKv nid=7 sub=0 ips=100.101.33.8,fd7a:115c:a1e0::c601:2108,100.115.94.5,"
	       "::ffff:100.64.1.2\n"
	       "N a.example.ts.net. id=- nid=8 sub=0 ips=\n"
	       "N  id=- nid=0 sub=0 ips=\n"
	       "L present=0x28 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=718\n");
}
END_TEST

/* The watcher's periodic check compares the bus's nodes with the status's: both must keep as many addresses
 * per node, or a node with many would differ every time. */
START_TEST(every_address_the_status_keeps)
{
	expect("{\"PeersChanged\":[{\"ID\":7,\"StableID\":\"nKv\",\"Name\":\"many.example.ts.net.\",\"Addresses\":["
	       "\"100.64.0.1/32\",\"100.64.0.2/32\",\"100.64.0.3/32\",\"100.64.0.4/32\",\"100.64.0.5/32\",\"100.64.0.6/32\",\"100.64.0.7/32\",\"100.64.0.8/32\",\"100.64.0.9/32\",\"100.64.0.10/32\",\"100.64.0.11/32\",\"100.64.0.12/32\",\"100.64.0.13/32\",\"100.64.0.14/32\",\"100.64.0.15/32\",\"100.64.0.16/32\",\"100.64.0.17/32\",\"100.64.0.18/32\",\"100.64.0.19/32\",\"100.64.0.20/32\",\"100.64.0.21/32\",\"100.64.0.22/32\",\"100.64.0.23/32\",\"100.64.0.24/32\",\"100.64.0.25/32\",\"100.64.0.26/32\",\"100.64.0.27/32\",\"100.64.0.28/32\",\"100.64.0.29/32\",\"100.64.0.30/32\",\"100.64.0.31/32\",\"100.64.0.32/32\",\"100.64.0.33/32\",\"100.64.0.34/32\",\"100.64.0.35/32\",\"100.64.0.36/32\",\"100.64.0.37/32\",\"100.64.0.38/32\",\"100.64.0.39/32\",\"100.64.0.40/32\"]}]}\n",
	       "N many.example.ts.net. id=nKv nid=7 sub=0 ips=100.64.0.1,100.64.0.2,100.64.0.3,100.64.0.4,100.64.0.5,100.64.0.6,100.64.0.7,100.64.0.8,100.64.0.9,100.64.0.10,100.64.0.11,100.64.0.12,100.64.0.13,100.64.0.14,100.64.0.15,100.64.0.16,100.64.0.17,100.64.0.18,100.64.0.19,100.64.0.20,100.64.0.21,100.64.0.22,100.64.0.23,100.64.0.24,100.64.0.25,100.64.0.26,100.64.0.27,100.64.0.28,100.64.0.29,100.64.0.30,100.64.0.31,100.64.0.32,100.64.0.33,100.64.0.34,100.64.0.35,100.64.0.36,100.64.0.37,100.64.0.38,100.64.0.39,100.64.0.40\n"
	       "L present=0x20 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=759\n");
}
END_TEST

START_TEST(removed_and_patches)
{
	expect("{\"PeersRemoved\":[7203948126453210,\"8\",0,-1,1.5,9]}\n"
	       "{" NULLS ",\"PeerChangedPatch\":[{\"NodeID\":7,\"Online\":false,\"LastSeen\":\"2026-08-20T10:15:30Z\"},"
	       "{\"NodeID\":8,\"CapMap\":{\"dns-subdomain-resolve\":null}},{\"NodeID\":9,\"CapMap\":{\"x\":null}},"
	       "{\"NodeID\":10,\"DERPRegion\":4,\"Endpoints\":[\"1.2.3.4:5\"],\"Key\":\"nodekey:00\",\"KeyExpiry\":null},"
	       "{\"NodeID\":11,\"Latency\":5},{\"Online\":true},null]}\n"
	       "{\"PeerChanges\":[{\"NodeID\":7,\"Online\":true,\"LastSeen\":\"x\",\"DERPRegion\":1,\"Endpoints\":null}]}\n"
	       "{\"PeerChanges\":[{\"NodeID\":7,\"Key\":\"nodekey:00\"}]}\n",
	       "R 7203948126453210\nR 9\n"
	       "L present=0x40 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=50\n"
	       "P 7 cap=0 sub=0 unknown=0\nP 8 cap=1 sub=1 unknown=0\nP 9 cap=1 sub=0 unknown=0\n"
	       "P 10 cap=0 sub=0 unknown=0\nP 11 cap=0 sub=0 unknown=1\nP 0 cap=0 sub=0 unknown=0\n"
	       "L present=0x80 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=459\n"
	       "L present=0x100 state=-1 err=[] status=-1/4 pcu=0 malformed=0 bytes=91\n"
	       "L present=0x100 state=-1 err=[] status=-1/4 pcu=1 malformed=0 bytes=49\n");
}
END_TEST

START_TEST(malformed_blank_and_crlf)
{
	expect("not json\n\n  \r\n[1,2]\n{\"State\":6\n{\"State\":2}\r\n{} {}\n\"State\"\n{\"State\":5}",
	       "L present=0 state=-1 err=[] status=-1/4 pcu=0 malformed=1 bytes=8\n"
	       "L present=0 state=-1 err=[] status=-1/4 pcu=0 malformed=1 bytes=5\n"
	       "L present=0x1 state=-1 err=[] status=-1/4 pcu=0 malformed=1 bytes=10\n"
	       "L present=0x1 state=2 err=[] status=-1/4 pcu=0 malformed=0 bytes=12\n"
	       "L present=0 state=-1 err=[] status=-1/4 pcu=0 malformed=1 bytes=5\n"
	       "L present=0 state=-1 err=[] status=-1/4 pcu=0 malformed=1 bytes=7\n");
}
END_TEST

/* running.json as one compact line, the way json.Encoder writes InitialStatus inside a Notify. */
static char *compact_status(const char *name)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tests/data/status-examples/%s", tn_srcdir(), name);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f), k = 0;
	fclose(f);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != '\n' && buf[i] != '\t')
			buf[k++] = buf[i];
	buf[k] = '\0';
	return buf;
}

static char *initial_line(const char *status)
{
	size_t size = strlen(status) + 512;
	char *line = malloc(size);
	snprintf(line, size, "{\"Version\":\"1.102.3\",\"SessionID\":\"99af5f7b09dc4a10\",\"ErrMessage\":null,"
			     "\"LoginFinished\":null,\"State\":6,\"Prefs\":null,\"InitialStatus\":%s,\"NetMap\":null,"
			     "\"Engine\":null,\"BrowseToURL\":null,\"DriveShares\":null}\n{\"State\":4}\n",
		 status);
	return line;
}

START_TEST(initial_status_streams_into_the_status_parser)
{
	char *status = compact_status("running.json");
	char *line = initial_line(status);
	char *got = run_all_ways(line);
	ck_assert_msg(strstr(got, "S self ci-runner-7.magellanic-gondola.ts.net. id=nFIXaLbUKUiCNTRL nid=5518820142393117"),
		      "%s", got);
	ck_assert_msg(strstr(got, "S vault.magellanic-gondola.ts.net. id="), "%s", got);
	ck_assert_msg(strstr(got, "E magellanic-gondola.ts.net magicdns=1\n"
				  "L present=0x11 state=6 err=[] status=0/0 pcu=0 malformed=0"),
		      "%s", got);
	ck_assert_msg(strstr(got, "L present=0x1 state=4 err=[] status=-1/4"), "%s", got);
	free(got);
	free(line);
	free(status);

	/* A daemon that is not Running: its status is refused, the line goes on (its State is still read). */
	status = compact_status("needs-login.json");
	line = initial_line(status);
	got = run_all_ways(line);
	ck_assert_msg(strstr(got, "L present=0x11 state=6 err=[] status=-1/5 pcu=0 malformed=0"), "%s", got);
	ck_assert_msg(!strstr(got, "E "), "%s", got);
	free(got);
	free(line);
	free(status);

	/* Only the first InitialStatus of a line counts, however the line is cut into chunks. */
	got = run_all_ways("{\"InitialStatus\":{\"BackendState\":\"Stopped\",\"Self\":{\"DNSName\":\"a.b.\"}},"
			   "\"InitialStatus\":{\"BackendState\":\"Running\",\"Self\":{\"DNSName\":\"c.d.\"},"
			   "\"ExtraRecords\":[{\"Name\":\"x.b.\",\"Value\":\"100.64.0.1\"}]}}\n");
	ck_assert_msg(!strstr(got, "c.d.") && !strstr(got, "X ") && strstr(got, "status=-1/5"), "%s", got);
	free(got);

	/* Broken inside: the line is malformed, and InitialStatus did not complete. */
	got = run_all_ways("{\"InitialStatus\":{\"BackendState\":\"Running\",\"Self\":{\"DNSName\":\"a.b.\"]},\"State\":6}\n");
	ck_assert_msg(strstr(got, "status=-1/4 pcu=0 malformed=1"), "%s", got);
	free(got);
}
END_TEST

START_TEST(a_failing_sink_ends_the_line_only)
{
	const char *stream = "{\"PeersChanged\":[{\"ID\":1,\"Name\":\"a.b.\"},{\"ID\":2,\"Name\":\"c.b.\"},"
			     "{\"ID\":3,\"Name\":\"d.b.\"}],\"State\":4}\n{\"State\":6}\n";
	char *got = run(stream, strlen(stream), 5, 0, 2);
	ck_assert_str_eq(got, "N a.b. id=- nid=1 sub=0 ips=\n"
			      "L present=0x20 state=-1 err=[] status=-1/4 pcu=0 malformed=1 bytes=97\n"
			      "L present=0x1 state=6 err=[] status=-1/4 pcu=0 malformed=0 bytes=11\n");
	free(got);
}
END_TEST

/* 20,000 peers in one line (some 2 MB): streamed, never buffered whole, every node delivered. */
START_TEST(a_huge_line)
{
	size_t size = 20000 * 128 + 64, len = 0;
	char *s = malloc(size);
	len += (size_t)snprintf(s + len, size - len, "{\"SelfChange\":{\"ID\":1,\"Name\":\"self.b.\"},\"PeersChanged\":[");
	for (int i = 0; i < 20000; i++)
		len += (size_t)snprintf(s + len, size - len, "%s{\"ID\":%d,\"Name\":\"p%d.b.\",\"Addresses\":[\"100.64.%d.%d/32\"]}",
					i ? "," : "", i + 2, i, i / 250, i % 250);
	len += (size_t)snprintf(s + len, size - len, "]}\n");
	char *got = run(s, len, 65536, 0, 0);
	size_t nodes = 0;
	for (const char *p = got; (p = strstr(p, "\nN ")); p++)
		nodes++;
	ck_assert_uint_eq(nodes, 20000);
	ck_assert_ptr_nonnull(strstr(got, "N p19999.b. id=- nid=20001 sub=0 ips=100.64.79.249\n"));
	ck_assert_ptr_nonnull(strstr(got, "L present=0x28 state=-1"));
	free(got);
	free(s);
}
END_TEST

START_TEST(reset_drops_a_partial_line)
{
	struct trace t = {0};
	struct tn_bus_sink sink = {NULL, NULL, on_node, on_removed, on_patch, on_line};
	struct tn_ipn_bus b;
	put(&t, "%s", "");
	tn_ipn_bus_init(&b, &sink, &t);
	tn_ipn_bus_feed(&b, "{\"PeersRemoved\":[5", 18);
	tn_ipn_bus_reset(&b); /* a new connection: the half line is gone */
	tn_ipn_bus_feed(&b, "{\"State\":2}\n", 12);
	tn_ipn_bus_free(&b);
	ck_assert_str_eq(t.text, "L present=0x1 state=2 err=[] status=-1/4 pcu=0 malformed=0 bytes=11\n");
	free(t.text);
}
END_TEST

static Suite *ipn_bus_suite(void)
{
	Suite *s = suite_create("ipn_bus");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, values_not_keys);
	tcase_add_test(tc, state_and_err_message);
	tcase_add_test(tc, err_message_decoded_and_printable);
	tcase_add_test(tc, nodes_mapped_like_the_status);
	tcase_add_test(tc, every_address_the_status_keeps);
	tcase_add_test(tc, removed_and_patches);
	tcase_add_test(tc, malformed_blank_and_crlf);
	tcase_add_test(tc, initial_status_streams_into_the_status_parser);
	tcase_add_test(tc, a_failing_sink_ends_the_line_only);
	tcase_add_test(tc, a_huge_line);
	tcase_add_test(tc, reset_drops_a_partial_line);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(ipn_bus_suite)
