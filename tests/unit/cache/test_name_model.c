/* SPDX-License-Identifier: BSD-3-Clause */
/* test_name_model.c - the watcher's model of names (name_model.c): filled from a status it builds the same
 * cache bytes as the status sync does; deltas report a change exactly when an answer can change (an online
 * flip is no change); removals, sweeps, caps, settings; the NodeID table under churn; daemons without
 * NodeIDs; and the paused flag set on the cache that is there (cache_pause.c). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache/cache_pause.h"
#include "cache/cache_writer.h"
#include "cache/name_model.h"
#include "cache/status_sync.h"
#include "nss/cache_format.h"
#include "nss/cache_file.h"
#include "nss/cache_reader.h"
#include "fixture.h"
#include "unit.h"

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tests/data/status-examples/%s", tn_srcdir(), name);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	return buf;
}

static struct tn_model *model_from(const char *text, size_t len)
{
	struct tn_error err = {0};
	struct tn_model *m = tn_model_new(&err);
	struct tn_status_parser *p = tn_status_new(&tn_model_sink, m, &err);
	ck_assert_ptr_nonnull(p);
	ck_assert_msg(tn_status_feed(p, text, len, &err) == 0 && tn_status_finish(p, &err) == 0, "%s", err.msg);
	tn_status_free(p);
	ck_assert(tn_model_complete(m));
	return m;
}

static struct tn_model *model_of(const char *name)
{
	size_t len;
	char *text = slurp(name, &len);
	struct tn_model *m = model_from(text, len);
	free(text);
	return m;
}

static uint8_t *image(const struct tn_hostset *hs, size_t *len)
{
	struct tn_cache_meta meta = {.generation = 1, .written_at = 10, .valid_until = 20};
	struct tn_error err = {0};
	uint8_t *img;
	ck_assert_msg(tn_cache_build(hs, &meta, &img, len, &err) == 0, "%s", err.msg);
	return img;
}

static uint8_t *model_image(const struct tn_model *m, bool paused, size_t *len)
{
	struct tn_hostset hs;
	struct tn_error err = {0};
	tn_hostset_init(&hs);
	ck_assert_msg(tn_model_build(m, paused, &hs, &err) == 0, "%s", err.msg);
	uint8_t *img = image(&hs, len);
	tn_hostset_free(&hs);
	return img;
}

/* The one test that ties the watcher to sync: the same status gives the same bytes either way. */
START_TEST(same_bytes_as_a_status_sync)
{
	size_t len, a_len, b_len;
	char *text = slurp("running.json", &len);
	struct tn_status_sync s;
	struct tn_error err = {0};
	ck_assert_int_eq(tn_status_sync_begin(&s, &err), 0);
	ck_assert_int_eq(tn_status_sync_feed(&s, text, len, &err), 0);
	ck_assert_int_eq(tn_status_finish(s.parser, &err), 0);
	uint8_t *a = image(&s.hs, &a_len);
	struct tn_model *m = model_from(text, len);
	uint8_t *b = model_image(m, false, &b_len);
	ck_assert_uint_eq(a_len, b_len);
	ck_assert(memcmp(a, b, a_len) == 0);
	ck_assert_uint_eq(tn_model_peers(m), 7);
	ck_assert(tn_model_has_node_ids(m));
	free(b);
	b = model_image(m, true, &b_len); /* paused: the flag, and nothing else, differs */
	struct tn_cache c;
	ck_assert_int_eq(tn_cache_parse(b, b_len, &c, NULL), 0);
	ck_assert(c.flags & TN_FLAG_PAUSED);
	ck_assert_uint_eq(c.node_count, tn_le32(a + TN_HDR_NODE_COUNT));
	free(a);
	free(b);
	free(text);
	tn_status_sync_end(&s);
	tn_model_free(m);
}
END_TEST

static struct tn_status_node peer(const char *name, int64_t id, const char *const *addrs, size_t n);

/* The same bytes through the tricky rules too: duplicate names (NodeID decides), an ExtraRecord on a node's
 * name (1.102: the record hides the node's FQDN; 1.98: the addresses merge, which in a build from the model
 * must not touch the model's own copy), an invalid name, a bad address; and a second build from the same
 * model gives the same bytes again. */
START_TEST(same_bytes_with_duplicates_and_records)
{
	static const char *const versions[] = {"1.102.3-t53a0d659a", "1.98.0-tb2f8e2f4e"};
	for (size_t v = 0; v < 2; v++) {
		char doc[2048];
		snprintf(doc, sizeof doc,
			 "{\"Version\":\"%s\",\"BackendState\":\"Running\",\"TUN\":true,"
			 "\"CurrentTailnet\":{\"MagicDNSSuffix\":\"t.ts.net\",\"MagicDNSEnabled\":true},"
			 "\"Self\":{\"DNSName\":\"me.t.ts.net.\",\"TailscaleIPs\":[\"100.64.0.1\"],\"NodeID\":1},"
			 "\"ExtraRecords\":[{\"Name\":\"db.t.ts.net.\",\"Value\":\"100.99.0.9\"},"
			 "{\"Name\":\"x.t.ts.net.\",\"Value\":\"fd7a:115c:a1e0::99\"}],"
			 "\"Peer\":{\"k1\":{\"DNSName\":\"db.t.ts.net.\",\"TailscaleIPs\":[\"100.64.0.2\"],\"NodeID\":7,"
			 "\"ID\":\"nA\",\"InNetworkMap\":true},"
			 "\"k2\":{\"DNSName\":\"DB.t.ts.net\",\"TailscaleIPs\":[\"100.64.0.3\",\"junk\"],\"NodeID\":9,"
			 "\"ID\":\"nB\",\"InNetworkMap\":true},"
			 "\"k3\":{\"DNSName\":\"bad_name.t.ts.net.\",\"TailscaleIPs\":[\"100.64.0.4\"],\"NodeID\":11,"
			 "\"InNetworkMap\":true},"
			 "\"k4\":{\"DNSName\":\"a.t.ts.net.\",\"TailscaleIPs\":[\"100.64.0.5\"],\"NodeID\":12,"
			 "\"CapMap\":{\"dns-subdomain-resolve\":null},\"InNetworkMap\":true}}}",
			 versions[v]);
		struct tn_status_sync s;
		struct tn_error err = {0};
		size_t a_len, b_len, c_len;
		ck_assert_int_eq(tn_status_sync_begin(&s, &err), 0);
		ck_assert_int_eq(tn_status_sync_feed(&s, doc, strlen(doc), &err), 0);
		ck_assert_msg(tn_status_finish(s.parser, &err) == 0, "%s", err.msg);
		uint8_t *a = image(&s.hs, &a_len);
		struct tn_model *m = model_from(doc, strlen(doc));
		uint8_t *b = model_image(m, false, &b_len), *c = model_image(m, false, &c_len);
		ck_assert_msg(a_len == b_len && memcmp(a, b, a_len) == 0, "%s: model and status builds differ", versions[v]);
		ck_assert_msg(b_len == c_len && memcmp(b, c, b_len) == 0, "%s: a second build differs", versions[v]);
		free(a);
		free(b);
		free(c);
		tn_status_sync_end(&s);
		tn_model_free(m);
	}
}
END_TEST

/* After any sequence of deltas (adds, renames, removals, readdressing), a build from the model - its hosts
 * prepared once and lent in its own name order - gives what the same hosts added the ordinary way, in another
 * order, give. */
START_TEST(deltas_build_what_a_fresh_build_builds)
{
	struct tn_error err = {0};
	struct tn_model *m = model_of("running.json");
	unsigned seed = 7;
	char names[64][48];
	static const char *const a[] = {"100.64.3.3", "fd7a:115c:a1e0::3:3"};
	for (int round = 0; round < 400; round++) {
		int k = rand_r(&seed) % 64;
		if (rand_r(&seed) % 4 == 0) {
			tn_model_remove(m, 100 + k);
			continue;
		}
		snprintf(names[k], sizeof names[k], "%c%d.magellanic-gondola.ts.net.", 'a' + rand_r(&seed) % 26, k);
		struct tn_status_node n = peer(names[k], 100 + k, a, 1 + (size_t)(rand_r(&seed) % 2));
		ck_assert_int_ge(tn_model_upsert(m, &n, 1, &err), 0);
	}
	size_t len, fresh_len;
	uint8_t *img = model_image(m, false, &len);
	/* The same nodes, through the sink, in the model's own (arbitrary) order. */
	struct tn_hostset hs;
	tn_hostset_init(&hs);
	ck_assert_int_eq(tn_model_build(m, false, &hs, &err), 0);
	struct tn_host_in in;
	struct tn_hostset fresh;
	tn_hostset_init(&fresh);
	for (size_t i = 0; i < hs.n; i++) { /* every host the build kept, added the ordinary way, backwards */
		const struct tn_host *h = &hs.hosts[hs.n - 1 - i];
		char a4[64], a6[64];
		const char *addrs[2];
		size_t n = 0;
		for (unsigned j = 0; j < (unsigned)h->n4 + h->n6; j++)
			addrs[n++] = inet_ntop(j < h->n4 ? AF_INET : AF_INET6, j < h->n4 ? h->addrs[j].b + 12 : h->addrs[j].b,
					       j < h->n4 ? a4 : a6, 64);
		in = (struct tn_host_in){.kind = h->kind, .name = h->fqdn, .addrs = addrs, .n_addrs = n, .self = h->self,
					 .node_id = h->node_id, .stable_id = h->stable_id, .subdomains = h->subdomains};
		ck_assert_int_eq(tn_hostset_add(&fresh, &in, NULL, &err), 0);
	}
	fresh.magicdns = hs.magicdns;
	fresh.tun = hs.tun;
	fresh.ts_version = hs.ts_version;
	ck_assert_int_eq(tn_hostset_set_suffix(&fresh, hs.suffix, &err), 0);
	ck_assert_int_eq(tn_hostset_finish(&fresh, &err), 0);
	uint8_t *other = image(&fresh, &fresh_len);
	ck_assert(len == fresh_len && memcmp(img, other, len) == 0);
	free(img);
	free(other);
	tn_hostset_free(&hs);
	tn_hostset_free(&fresh);
	tn_model_free(m);
}
END_TEST

static struct tn_status_node peer(const char *name, int64_t id, const char *const *addrs, size_t n)
{
	return (struct tn_status_node){.dns_name = name, .addrs = addrs, .n_addrs = n, .id = "nStable", .node_id = id};
}

START_TEST(deltas_report_answer_changes_only)
{
	struct tn_error err = {0};
	struct tn_model *m = model_of("running.json");
	static const char *const a1[] = {"100.64.7.1", "fd7a:115c:a1e0::7:1"}, *const a2[] = {"100.64.7.2"};
	struct tn_status_node n = peer("new.magellanic-gondola.ts.net.", 42, a1, 2);
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 1);
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 0); /* the same node again: an online/last-seen flip */
	n.dns_name = "renamed.magellanic-gondola.ts.net.";
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 1);
	n.addrs = a2;
	n.n_addrs = 1;
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 1);
	n.id = "nOther";
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 1); /* the StableID breaks duplicate ties */
	n.subdomains = true;
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 1);
	ck_assert_int_eq(tn_model_set_subdomains(m, 42, true), 0);
	ck_assert_int_eq(tn_model_set_subdomains(m, 42, false), 1);
	ck_assert_int_eq(tn_model_set_subdomains(m, 4242, true), 0); /* unknown node: nothing */
	ck_assert_uint_eq(tn_model_peers(m), 8);
	n.node_id = 0; /* no NodeID: cannot be told apart, ignored */
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 0);
	n.node_id = 42;
	n.dns_name = ""; /* a node without a name leaves the names */
	ck_assert_int_eq(tn_model_upsert(m, &n, 1, &err), 1);
	ck_assert_int_eq(tn_model_remove(m, 42), 0);
	ck_assert_int_eq(tn_model_remove(m, 4410982231170054), 1); /* vault */
	ck_assert_int_eq(tn_model_remove(m, 4410982231170054), 0);
	ck_assert_uint_eq(tn_model_peers(m), 6);

	/* What a cache built now answers: vault gone, the self node still there. */
	size_t len;
	uint8_t *img = model_image(m, false, &len);
	struct tn_cache c;
	struct tn_hit hit;
	ck_assert_int_eq(tn_cache_parse(img, len, &c, NULL), 0);
	ck_assert_int_eq(tn_cache_find_name(&c, "vault.magellanic-gondola.ts.net", 31, &hit), 0);
	ck_assert_int_eq(tn_cache_find_name(&c, "ci-runner-7.magellanic-gondola.ts.net", 37, &hit), 1);
	free(img);

	/* Self: an equal SelfChange is no change, a new address is. */
	struct tn_status_node self = {.self = true, .dns_name = "ci-runner-7.magellanic-gondola.ts.net.",
				      .addrs = (const char *const[]){"100.88.14.7", "fd7a:115c:a1e0::5d01:e07"},
				      .n_addrs = 2, .id = "nFIXaLbUKUiCNTRL", .node_id = 5518820142393117};
	ck_assert_int_eq(tn_model_upsert(m, &self, 1, &err), 0);
	self.n_addrs = 1;
	ck_assert_int_eq(tn_model_upsert(m, &self, 1, &err), 1);
	tn_model_free(m);
}
END_TEST

START_TEST(sweep_after_a_full_peer_list)
{
	struct tn_error err = {0};
	struct tn_model *m = model_of("running.json");
	static const char *const a[] = {"100.64.9.9"};
	struct tn_status_node n = peer("vault.magellanic-gondola.ts.net.", 4410982231170054, a, 1);
	ck_assert_int_eq(tn_model_upsert(m, &n, 77, &err), 1);
	n = peer("pixel-7.magellanic-gondola.ts.net.", 3391107750029911, a, 1);
	tn_model_upsert(m, &n, 77, &err);
	ck_assert_uint_eq(tn_model_sweep(m, 77), 5);
	ck_assert_uint_eq(tn_model_peers(m), 2);
	ck_assert_uint_eq(tn_model_sweep(m, 77), 0);
	ck_assert_uint_eq(tn_model_sweep(m, 78), 2);
	tn_model_free(m);
}
END_TEST

START_TEST(settings_and_equality)
{
	struct tn_error err = {0};
	struct tn_model *a = model_of("running.json"), *b = model_of("running.json");
	ck_assert(tn_model_equal(a, b));
	size_t len;
	char *text = slurp("running.json", &len), *at = strstr(text, "\"MagicDNSEnabled\": true");
	ck_assert_ptr_nonnull(at);
	memcpy(at + 19, "   1", 4); /* true -> 1: not true, so MagicDNS off, and the same length */
	struct tn_model *off = model_from(text, len);
	ck_assert(!tn_model_equal(a, off));
	ck_assert_int_eq(tn_model_take_settings(a, off, &err), 1);
	ck_assert_int_eq(tn_model_take_settings(a, off, &err), 0);
	ck_assert(tn_model_equal(a, off));
	ck_assert_int_eq(tn_model_take_settings(a, b, &err), 1);
	ck_assert(tn_model_equal(a, b));
	ck_assert_int_eq(tn_model_remove(b, 3391107750029911), 1);
	ck_assert(!tn_model_equal(a, b));
	free(text);
	tn_model_free(a);
	tn_model_free(b);
	tn_model_free(off);

	/* A daemon before 1.100 has no NodeIDs: the model holds its peers all the same. */
	const char *old = "{\"BackendState\":\"Running\",\"Self\":{\"DNSName\":\"me.t.ts.net.\",\"TailscaleIPs\":[\"100.64.0.1\"]},"
			  "\"Peer\":{\"k1\":{\"DNSName\":\"a.t.ts.net.\",\"TailscaleIPs\":[\"100.64.0.2\"],\"InNetworkMap\":true},"
			  "\"k2\":{\"DNSName\":\"b.t.ts.net.\",\"TailscaleIPs\":[\"100.64.0.3\"],\"InNetworkMap\":true}}}";
	struct tn_model *o = model_from(old, strlen(old));
	ck_assert_uint_eq(tn_model_peers(o), 2);
	ck_assert(!tn_model_has_node_ids(o));
	tn_model_free(o);
}
END_TEST

/* The NodeID table against a plain array, through inserts, replacements and removals in random order. */
START_TEST(table_under_churn)
{
	struct tn_error err = {0};
	struct tn_model *m = tn_model_new(&err);
	enum { N = 5000 };
	static bool in[N];
	static const char *const a[] = {"100.64.1.1"};
	char name[64];
	unsigned seed = 1;
	size_t count = 0;
	memset(in, 0, sizeof in);
	for (int round = 0; round < 60000; round++) {
		int id = 1 + rand_r(&seed) % (N - 1);
		int64_t key = (int64_t)id * 1000003; /* spread like real NodeIDs */
		if (rand_r(&seed) % 3) {
			snprintf(name, sizeof name, "n%d-%d.t.ts.net.", id, rand_r(&seed) % 2);
			struct tn_status_node n = peer(name, key, a, 1);
			int r = tn_model_upsert(m, &n, 1, &err);
			ck_assert_int_ge(r, 0);
			ck_assert(in[id] || r == 1);
			count += !in[id];
			in[id] = true;
		} else {
			ck_assert_int_eq(tn_model_remove(m, key), in[id]);
			count -= in[id];
			in[id] = false;
		}
		ck_assert_uint_eq(tn_model_peers(m), count);
	}
	for (int id = 1; id < N; id++)
		ck_assert_int_eq(tn_model_set_subdomains(m, (int64_t)id * 1000003, true), in[id]);
	tn_model_free(m);
}
END_TEST

START_TEST(pausing_the_cache_that_is_there)
{
	char *dir = fixture_dir(), *path = fixture_path(dir, "hosts.cache");
	struct tn_error err = {0};
	bool changed;
	ck_assert_int_eq(tn_cache_mark_paused(path, true, &changed, &err), 0); /* no cache: nothing to pause */
	ck_assert(!changed);
	struct tn_model *m = model_of("running.json");
	struct tn_hostset hs;
	struct tn_update_opts opts = {.max_age = 3600};
	struct tn_update_result res;
	tn_hostset_init(&hs);
	ck_assert_int_eq(tn_model_build(m, false, &hs, &err), 0);
	ck_assert_int_eq(tn_cache_update(path, &hs, &opts, &res, &err), 0);
	struct tn_cache_file f;
	ck_assert_int_eq(tn_cache_mark_paused(path, true, &changed, &err), 0);
	ck_assert(changed);
	ck_assert_int_eq(tn_cache_open(path, &f, NULL), 0);
	ck_assert(f.c.flags & TN_FLAG_PAUSED);
	ck_assert_uint_eq(f.c.generation, res.generation + 1);
	ck_assert_uint_eq(f.c.node_count, res.nodes);
	tn_cache_close(&f);
	ck_assert_int_eq(tn_cache_mark_paused(path, true, &changed, &err), 0);
	ck_assert(!changed);
	ck_assert_int_eq(tn_cache_mark_paused(path, false, &changed, &err), 0);
	ck_assert(changed);
	ck_assert_int_eq(tn_cache_open(path, &f, NULL), 0);
	ck_assert(!(f.c.flags & TN_FLAG_PAUSED));
	tn_cache_close(&f);
	/* A damaged cache is left alone: the module refuses it anyway. */
	FILE *fp = fopen(path, "r+");
	fseek(fp, 200, SEEK_SET);
	fputc('x', fp);
	fclose(fp);
	ck_assert_int_eq(tn_cache_mark_paused(path, true, &changed, &err), 0);
	ck_assert(!changed);
	free(path);
	fixture_rmdir(dir);
	tn_hostset_free(&hs);
	tn_model_free(m);
}
END_TEST

/* The watcher's kept image: compared with instead of the file while the file is still the one it wrote; a
 * file someone else replaced is read back, so the generation never goes backwards. */
START_TEST(a_kept_image_stands_for_the_file)
{
	char *dir = fixture_dir(), *path = fixture_path(dir, "hosts.cache");
	struct tn_error err = {0};
	struct tn_model *m = model_of("running.json"), *less = model_of("running.json");
	struct tn_hostset one, two; /* each borrows from its model, which must not change meanwhile */
	tn_hostset_init(&one);
	tn_hostset_init(&two);
	ck_assert_int_eq(tn_model_remove(less, 4410982231170054), 1);
	ck_assert_int_eq(tn_model_build(m, false, &one, &err), 0);
	ck_assert_int_eq(tn_model_build(less, false, &two, &err), 0);
	struct tn_cache_image keep = {0};
	struct tn_update_opts opts = {.max_age = 3600, .skip_if_unchanged = true, .keep = &keep}, plain = opts;
	plain.keep = NULL;
	struct tn_update_result res;
	ck_assert_int_eq(tn_cache_update(path, &one, &opts, &res, &err), 0);
	ck_assert(res.written && res.generation == 1 && keep.bytes);
	ck_assert_int_eq(tn_cache_update(path, &one, &opts, &res, &err), 0);
	ck_assert(!res.written && res.generation == 1);
	ck_assert_int_eq(tn_cache_update(path, &two, &opts, &res, &err), 0);
	ck_assert(res.written && res.changed && res.generation == 2);
	ck_assert_int_eq(tn_cache_update(path, &one, &plain, &res, &err), 0); /* someone else: generation 3 */
	ck_assert_int_eq(res.generation, 3);
	ck_assert_int_eq(tn_cache_update(path, &two, &opts, &res, &err), 0);
	ck_assert_msg(res.written && res.generation == 4, "the kept image of generation 2 was taken for the file");
	struct tn_cache_file f;
	ck_assert_int_eq(tn_cache_open(path, &f, NULL), 0);
	ck_assert_uint_eq(f.c.generation, 4);
	tn_cache_close(&f);
	tn_cache_image_free(&keep);
	tn_hostset_free(&one);
	tn_hostset_free(&two);
	tn_model_free(m);
	tn_model_free(less);
	free(path);
	fixture_rmdir(dir);
}
END_TEST

static Suite *model_suite(void)
{
	Suite *s = suite_create("name_model");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, same_bytes_as_a_status_sync);
	tcase_add_test(tc, same_bytes_with_duplicates_and_records);
	tcase_add_test(tc, deltas_build_what_a_fresh_build_builds);
	tcase_add_test(tc, deltas_report_answer_changes_only);
	tcase_add_test(tc, sweep_after_a_full_peer_list);
	tcase_add_test(tc, settings_and_equality);
	tcase_add_test(tc, table_under_churn);
	tcase_add_test(tc, pausing_the_cache_that_is_there);
	tcase_add_test(tc, a_kept_image_stands_for_the_file);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(model_suite)
