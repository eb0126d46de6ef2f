/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cache.c - the cache builder, validator and reader: lookups, determinism, generations, atomic
 * replacement, and refusal of every kind of damaged or untrustworthy file. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <time.h>

#include "fixture.h"
#include "nss/cache_file.h"
#include "nss/cache_format.h"
#include "nss/cache_reader.h"
#include "nss/crc32c.h"
#include "nss/name.h"
#include "unit.h"

static uint8_t *build(const struct tn_hostset *hs, size_t *len)
{
	struct tn_cache_meta meta = {.generation = 7, .written_at = 1000, .valid_until = 2000};
	struct tn_error err = {0};
	uint8_t *img;
	ck_assert_msg(tn_cache_build(hs, &meta, &img, len, &err) == 0, "%s", err.msg);
	return img;
}

static void addr_key(const char *text, uint8_t key[16])
{
	uint8_t v4[4];
	memset(key, 0, 16);
	if (inet_pton(AF_INET, text, v4) == 1) {
		key[10] = key[11] = 0xff;
		memcpy(key + 12, v4, 4);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, key), 1);
	}
}

START_TEST(lookups)
{
	struct tn_hostset hs;
	struct tn_cache c;
	struct tn_hit h;
	size_t len;
	fixture_tailnet(&hs, true);
	uint8_t *img = build(&hs, &len);
	ck_assert_int_eq(tn_cache_parse(img, len, &c, NULL), 0);
	ck_assert_uint_eq(c.generation, 7);
	ck_assert_int_eq(c.valid_until, 2000);
	ck_assert_str_eq(c.suffix, SUFFIX);
	ck_assert_uint_eq(c.node_count, 8);
	ck_assert(c.flags & TN_FLAG_MAGICDNS);

	ck_assert_int_eq(fixture_find(&c, "vault." SUFFIX, &h), 1);
	ck_assert_str_eq(h.fqdn, "vault." SUFFIX);
	ck_assert_int_eq(h.via_bare, 0);
	ck_assert_uint_eq(h.n4, 1);
	ck_assert_uint_eq(h.n6, 1);
	ck_assert_int_eq(fixture_find(&c, "VAULT", &h), 1);
	ck_assert_int_eq(h.via_bare, 1);
	ck_assert_str_eq(h.fqdn, "vault." SUFFIX);
	ck_assert_uint_eq(h.bare_len, 5);
	ck_assert_int_eq(fixture_find(&c, "vault-1", &h), 1);
	ck_assert_int_eq(fixture_find(&c, "ci-runner-7", &h), 1);
	ck_assert_int_eq(fixture_find(&c, "printer.hedgehog-arcade.ts.net", &h), 1);
	ck_assert_uint_eq(h.bare_len, 0);
	ck_assert_int_eq(fixture_find(&c, "printer", &h), 0);       /* shared-in: FQDN only */
	ck_assert_int_eq(fixture_find(&c, "grafana." SUFFIX, &h), 1); /* ExtraRecords by FQDN */
	ck_assert_int_eq(fixture_find(&c, "grafana", &h), 0);
	ck_assert_int_eq(fixture_find(&c, "se-sto-wg-003", &h), 0);
	ck_assert_int_eq(fixture_find(&c, "nope." SUFFIX, &h), 0);
	ck_assert_int_eq(fixture_find(&c, "vault.magellanic-gondola", &h), 0);

	uint8_t key[16];
	addr_key("100.101.33.8", key);
	ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 1);
	ck_assert_str_eq(h.fqdn, "vault." SUFFIX);
	addr_key("fd7a:115c:a1e0::e201:55a", key);
	ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 1);
	ck_assert_str_eq(h.fqdn, "vault-1." SUFFIX);
	addr_key("100.99.201.17", key);
	ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 1);
	ck_assert_str_eq(h.fqdn, "grafana." SUFFIX);
	addr_key("100.101.33.9", key);
	ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 0);
	free(img);
	tn_hostset_free(&hs);
}
END_TEST

START_TEST(magicdns_off_has_no_bare_names)
{
	struct tn_hostset hs;
	struct tn_cache c;
	struct tn_hit h;
	size_t len;
	fixture_tailnet(&hs, false);
	uint8_t *img = build(&hs, &len);
	ck_assert_int_eq(tn_cache_parse(img, len, &c, NULL), 0);
	ck_assert(!(c.flags & TN_FLAG_MAGICDNS));
	ck_assert_int_eq(fixture_find(&c, "vault", &h), 0);
	ck_assert_int_eq(fixture_find(&c, "vault." SUFFIX, &h), 1);
	free(img);
	tn_hostset_free(&hs);
}
END_TEST

START_TEST(deterministic)
{
	struct tn_hostset a, b;
	size_t la, lb;
	fixture_tailnet(&a, true);
	fixture_tailnet(&b, true);
	uint8_t *ia = build(&a, &la), *ib = build(&b, &lb);
	ck_assert_uint_eq(la, lb);
	ck_assert_int_eq(memcmp(ia, ib, la), 0);
	free(ia);
	free(ib);
	tn_hostset_free(&a);
	tn_hostset_free(&b);
}
END_TEST

static void add(struct tn_hostset *hs, const struct tn_host_in *in, bool want_added)
{
	struct tn_error err;
	bool added = !want_added;
	ck_assert_int_eq(tn_hostset_add(hs, in, &added, &err), 0);
	ck_assert_msg(added == want_added, "%s: added %d", in->name ? in->name : "(null)", added);
}

/* One owner per name, as quad-100 picks it at `version` (hostset.h). Returns the cache, parsed. */
static uint8_t *owners(uint32_t version, struct tn_cache *c)
{
	struct tn_hostset hs;
	struct tn_error err;
	size_t len;
	const char *a1[] = {"100.64.0.1"}, *a2[] = {"100.64.0.2"}, *a3[] = {"100.64.0.3", "fd7a:115c:a1e0::3"},
		   *a4[] = {"100.64.0.4"}, *a5[] = {"100.64.0.5", "bogus", "100.64.0.5", "fd7a:115c:a1e0::5"};
	const char *bad[] = {"not-an-ip", "fe80::1%eth0", "::ffff:100.64.0.9"};
	tn_hostset_init(&hs);
	ck_assert_int_eq(tn_hostset_set_suffix(&hs, "." SUFFIX ".", &err), 0);
	ck_assert_str_eq(hs.suffix, SUFFIX);
	hs.magicdns = true;
	hs.ts_version = version;
	/* db: Self and two peers; the peer with the higher NodeID wins (the last in the netmap's order). */
	add(&hs, &(struct tn_host_in){TN_HOST_NODE, "db." SUFFIX ".", a1, 1, true, 9, "nSelf", false}, true);
	add(&hs, &(struct tn_host_in){TN_HOST_NODE, "db." SUFFIX ".", a2, 1, false, 7, "nB", false}, true);
	add(&hs, &(struct tn_host_in){TN_HOST_NODE, "db." SUFFIX ".", a3, 2, false, 5, "nA", false}, true);
	/* web: no NodeIDs (1.98): the greater StableNodeID. */
	add(&hs, &(struct tn_host_in){TN_HOST_NODE, "web." SUFFIX, a1, 1, false, 0, "nA", false}, true);
	add(&hs, &(struct tn_host_in){TN_HOST_NODE, "web." SUFFIX, a4, 1, false, 0, "nZ", false}, true);
	/* svc: a node and an ExtraRecord of the same name, with a shared address. */
	add(&hs, &(struct tn_host_in){TN_HOST_NODE, "svc." SUFFIX, a3, 2, false, 3, "nS", true}, true);
	add(&hs, &(struct tn_host_in){.kind = TN_HOST_EXTRA, .name = "svc." SUFFIX, .addrs = a5, .n_addrs = 4}, true);
	ck_assert_uint_eq(hs.skipped_addrs, 1);
	/* Invalid names, one-label FQDNs and address-less nodes are skipped, not errors. */
	add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE, .name = "bad_name." SUFFIX, .addrs = a1, .n_addrs = 1}, false);
	add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE, .name = "lonely", .addrs = a1, .n_addrs = 1}, false);
	add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE, .name = "noaddr." SUFFIX, .addrs = bad, .n_addrs = 3}, false);
	add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE, .name = "", .addrs = a1, .n_addrs = 1}, false);
	ck_assert_uint_eq(hs.skipped_names, 4);
	ck_assert_int_eq(tn_hostset_finish(&hs, &err), 0);
	ck_assert_uint_eq(hs.n, version == TN_TS_VERSION(1, 100, 0) ? 3 : 4); /* 1.102+: svc's node stays, hidden */
	uint8_t *img = build(&hs, &len);
	ck_assert_int_eq(tn_cache_parse(img, len, c, NULL), 0);
	ck_assert_uint_eq(c->ts_version, version);
	tn_hostset_free(&hs);
	return img;
}

START_TEST(owners_and_skips)
{
	struct tn_cache c;
	struct tn_hit h;
	uint8_t key[16];
	for (int v = 0; v < 3; v++) {
		uint32_t version = v == 0 ? TN_TS_VERSION(1, 103, 0) : v == 1 ? TN_TS_VERSION(1, 100, 0) : 0;
		bool records_first = version != TN_TS_VERSION(1, 100, 0);
		uint8_t *img = owners(version, &c);
		ck_assert_int_eq(fixture_find(&c, "db", &h), 1);
		ck_assert_uint_eq(h.n4, 1);
		ck_assert_uint_eq(tn_hit_addr(&h, 0)[15], 2); /* nB, NodeID 7: above nA's 5 and Self */
		ck_assert_int_eq(fixture_find(&c, "web." SUFFIX, &h), 1);
		ck_assert_uint_eq(tn_hit_addr(&h, 0)[15], 4); /* nZ */
		ck_assert_int_eq(fixture_find(&c, "svc." SUFFIX, &h), 1);
		addr_key("100.64.0.3", key);
		if (records_first) { /* 1.102 and later: the record answers for the FQDN and names its address */
			ck_assert_uint_eq(h.n4, 1);
			ck_assert_uint_eq(tn_hit_addr(&h, 0)[15], 5);
			ck_assert_uint_eq(h.flags, 0);
			addr_key("100.64.0.5", key);
			ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 1);
			ck_assert_str_eq(h.fqdn, "svc." SUFFIX);
			/* while the node keeps its bare name (nodeByName) and its own address's name (nodeByAddr) */
			ck_assert_int_eq(fixture_find(&c, "svc", &h), 1);
			ck_assert_uint_eq(tn_hit_addr(&h, 0)[15], 3);
			ck_assert_uint_eq(h.flags, TN_NODE_F_SUBDOMAINS);
			addr_key("100.64.0.3", key);
			ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 1);
			ck_assert_str_eq(h.fqdn, "svc." SUFFIX);
		} else { /* before: one list, the node's addresses first, the node's name and flags */
			ck_assert_uint_eq(h.n4, 2);
			ck_assert_uint_eq(h.n6, 2);
			ck_assert_uint_eq(tn_hit_addr(&h, 0)[15], 3);
			ck_assert_uint_eq(tn_hit_addr(&h, 1)[15], 5);
			ck_assert_uint_eq(h.flags, TN_NODE_F_SUBDOMAINS);
			ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 1);
			ck_assert_str_eq(h.fqdn, "svc." SUFFIX);
		}
		free(img);
	}
}
END_TEST

/* Past TN_MAX_HOSTS the status is refused, with the reason, before anything is built. */
START_TEST(too_many_hosts)
{
	struct tn_hostset hs;
	struct tn_error err = {0};
	char name[64];
	const char *a[] = {"100.64.0.1"};
	tn_hostset_init(&hs);
	int rc = 0;
	for (unsigned i = 0; i <= TN_MAX_HOSTS && rc == 0; i++) {
		snprintf(name, sizeof name, "h%u." SUFFIX, i);
		rc = tn_hostset_add(&hs, &(struct tn_host_in){.kind = TN_HOST_NODE, .name = name, .addrs = a, .n_addrs = 1},
				    NULL, &err);
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_uint_eq(hs.n, TN_MAX_HOSTS);
	ck_assert_msg(strstr(err.msg, "500000") != NULL, "%s", err.msg);
	tn_hostset_free(&hs);
}
END_TEST

/* Every single-bit flip anywhere is caught: page 0 by its checksum, every other page by its own. */
START_TEST(every_bit_flip_is_refused)
{
	struct tn_hostset hs;
	struct tn_cache c;
	size_t len;
	fixture_tailnet(&hs, true);
	uint8_t *img = build(&hs, &len);
	for (size_t i = 0; i < len; i++) {
		for (int bit = 0; bit < 8; bit += 3) {
			img[i] ^= (uint8_t)(1 << bit);
			int rc = tn_cache_parse(img, len, &c, NULL);
			ck_assert_msg(rc < 0, "flip at byte %zu bit %d accepted", i, bit);
			img[i] ^= (uint8_t)(1 << bit);
		}
	}
	ck_assert_int_eq(tn_cache_parse(img, len, &c, NULL), 0);
	free(img);
	tn_hostset_free(&hs);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
	struct tn_hostset hs;
	struct tn_cache c;
	size_t len;
	fixture_tailnet(&hs, true);
	uint8_t *img = build(&hs, &len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *cut = malloc(n ? n : 1); /* exact size: ASan sees any read past it */
		memcpy(cut, img, n);
		ck_assert_int_eq(tn_cache_parse(cut, n, &c, NULL), -EBADMSG);
		free(cut);
	}
	free(img);
	tn_hostset_free(&hs);
}
END_TEST

/* A damaged file whose checksums were recomputed (a buggy or hostile writer) is refused when its header is
 * inconsistent, and otherwise answers without reading out of bounds (the ASan build and valgrind check that):
 * records are checked as lookups read them, not when the file is opened. */
START_TEST(structural_damage_with_valid_checksum)
{
	struct tn_hostset hs;
	struct tn_cache c;
	struct tn_hit h;
	size_t len;
	fixture_tailnet(&hs, true);
	uint8_t *orig = build(&hs, &len);
	unsigned accepted = 0, refused = 0;
	srand(42);
	for (int round = 0; round < 20000; round++) {
		uint8_t *img = malloc(len);
		memcpy(img, orig, len);
		/* In the header's fields or in the records and strings (the rest of the pages is padding). */
		size_t used = tn_le32(orig + TN_HDR_STR_OFF) + tn_le32(orig + TN_HDR_STR_LEN) - TN_PAGE;
		for (int k = 0; k < 1 + round % 3; k++) {
			size_t r = (size_t)rand() % (TN_HDR_SIZE - TN_HDR_FLAGS + used);
			size_t at = r < TN_HDR_SIZE - TN_HDR_FLAGS ? TN_HDR_FLAGS + r : TN_PAGE + r - (TN_HDR_SIZE - TN_HDR_FLAGS);
			img[at] = (uint8_t)rand();
		}
		tn_put64(img + TN_HDR_TOTAL, len);
		tn_cache_checksum_all(img, len);
		if (tn_cache_parse(img, len, &c, NULL) == 0) {
			accepted++;
			fixture_find(&c, "vault", &h);
			fixture_find(&c, "vault-1." SUFFIX, &h);
			uint8_t key[16];
			addr_key("100.101.33.8", key);
			tn_cache_find_addr(&c, key, &h);
			for (uint32_t i = 0; i < c.node_count; i++)
				tn_cache_node(&c, i, &h);
		} else {
			refused++;
		}
		free(img);
	}
	ck_assert_uint_gt(refused, 500);
	ck_assert_uint_gt(accepted, 500);
	free(orig);
	tn_hostset_free(&hs);
}
END_TEST

/* A record that points outside its table, or a name without its NUL, is no answer; the rest still answers. */
START_TEST(damaged_records_give_no_answer)
{
	struct tn_hostset hs;
	struct tn_cache c;
	struct tn_hit h;
	size_t len;
	fixture_tailnet(&hs, true);
	uint8_t *img = build(&hs, &len);
	ck_assert_int_eq(tn_cache_parse(img, len, &c, NULL), 0);
	ck_assert_int_eq(fixture_find(&c, "vault", &h), 1);
	uint8_t *vault = img + c.node_off + (size_t)h.node * TN_NODE_SIZE;
	const struct {
		size_t at;
		uint32_t value;
		int width;
	} damage[] = {
		{TN_NODE_NAME_LEN, 0xff, 1},         /* runs past the string table */
		{TN_NODE_NAME_LEN, 0, 1},            /* empty */
		{TN_NODE_BARE_LEN, 0xfe, 1},         /* longer than the name */
		{TN_NODE_ADDR_FIRST, 0xfffffff0, 4}, /* past the address table */
		{TN_NODE_N4, 0xffff, 2},             /* more addresses than there are */
		{TN_NODE_FLAGS, 0x8000, 2},          /* a flag this build does not know */
		{TN_NODE_NAME_OFF, 2, 4},            /* inside another name: no NUL where the length ends */
	};
	for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
		uint8_t *copy = malloc(len);
		memcpy(copy, img, len);
		uint8_t *rec = copy + (vault - img) + damage[i].at;
		if (damage[i].width == 1)
			rec[0] = (uint8_t)damage[i].value;
		else if (damage[i].width == 2)
			tn_put16(rec, (uint16_t)damage[i].value);
		else
			tn_put32(rec, damage[i].value);
		tn_cache_checksum_all(copy, len);
		ck_assert_int_eq(tn_cache_parse(copy, len, &c, NULL), 0);
		ck_assert_msg(fixture_find(&c, "vault", &h) == 0, "damage %zu answered", i);
		ck_assert_int_eq(fixture_find(&c, "vault-1", &h), 1);
		free(copy);
	}
	free(img);
	tn_hostset_free(&hs);
}
END_TEST

START_TEST(large_tailnet_probes_stay_short)
{
	struct tn_hostset hs;
	struct tn_error err;
	struct tn_cache c;
	struct tn_hit h;
	size_t len;
	char name[64], a4[20], a6[48];
	tn_hostset_init(&hs);
	ck_assert_int_eq(tn_hostset_set_suffix(&hs, SUFFIX, &err), 0);
	hs.magicdns = true;
	for (int i = 0; i < 50000; i++) {
		snprintf(name, sizeof name, "host-%d." SUFFIX, i);
		snprintf(a4, sizeof a4, "100.%d.%d.%d", 64 + (i >> 16), (i >> 8) & 255, i & 255);
		snprintf(a6, sizeof a6, "fd7a:115c:a1e0::%x", i);
		fixture_add(&hs, TN_HOST_NODE, name, a4, a6);
	}
	ck_assert_int_eq(tn_hostset_finish(&hs, &err), 0);
	uint8_t *img = build(&hs, &len);
	ck_assert_int_eq(tn_cache_parse(img, len, &c, NULL), 0);
	ck_assert_uint_le(c.max_probe, TN_MAX_PROBE);
	for (int i = 0; i < 50000; i += 7) {
		snprintf(name, sizeof name, "host-%d", i);
		ck_assert_int_eq(fixture_find(&c, name, &h), 1);
		snprintf(a6, sizeof a6, "fd7a:115c:a1e0::%x", i);
		uint8_t key[16];
		addr_key(a6, key);
		ck_assert_int_eq(tn_cache_find_addr(&c, key, &h), 1);
		snprintf(name, sizeof name, "host-%d." SUFFIX, i);
		ck_assert_str_eq(h.fqdn, name);
	}
	free(img);
	tn_hostset_free(&hs);
}
END_TEST

static int count_entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	for (struct dirent *e; (e = readdir(d));)
		n += e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."));
	closedir(d);
	return n;
}

START_TEST(update_generations_and_atomic_replace)
{
	struct tn_hostset hs, other;
	struct tn_update_opts opts = {.max_age = 3600};
	struct tn_update_result res;
	struct tn_error err = {0};
	struct tn_cache_file f;
	struct stat st;
	char *dir = fixture_dir(), *path = fixture_path(dir, "sub/hosts.cache");
	fixture_tailnet(&hs, true);
	fixture_tailnet(&other, false);

	ck_assert_int_eq(tn_cache_update(path, &hs, &opts, &res, &err), 0); /* creates sub/ */
	ck_assert(res.written && res.changed);
	ck_assert_uint_eq(res.generation, 1);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_int_eq(tn_cache_open(path, &f, NULL), 0);
	ck_assert_int_le(f.c.valid_until - (int64_t)time(NULL), 3600);
	ck_assert_int_ge(f.c.valid_until - (int64_t)time(NULL), 3590);

	/* Same content: rewritten (fresh valid-until) under the same generation. */
	ck_assert_int_eq(tn_cache_update(path, &hs, &opts, &res, &err), 0);
	ck_assert(res.written && !res.changed);
	ck_assert_uint_eq(res.generation, 1);
	/* The file opened before still answers, from its own copy of the pages. */
	struct tn_hit h;
	ck_assert_int_eq(tn_cache_node(&f.c, 0, &h), 1);
	tn_cache_close(&f);

	/* Same content and young: skipped when asked. */
	opts.skip_if_unchanged = true;
	ck_assert_int_eq(tn_cache_update(path, &hs, &opts, &res, &err), 0);
	ck_assert(!res.written && !res.changed);
	/* Different content: generation moves. */
	ck_assert_int_eq(tn_cache_update(path, &other, &opts, &res, &err), 0);
	ck_assert(res.written && res.changed);
	ck_assert_uint_eq(res.generation, 2);
	char *sub = fixture_path(dir, "sub");
	ck_assert_int_eq(count_entries(sub), 1); /* no temp file left behind */

	/* A failed write leaves the old cache alone: make the directory unwritable for the temp file. */
	if (geteuid() != 0) {
		ck_assert_int_eq(chmod(sub, 0555), 0);
		ck_assert_int_eq(tn_cache_update(path, &hs, &opts, &res, &err), -1);
		ck_assert_int_eq(chmod(sub, 0755), 0);
		ck_assert_int_eq(tn_cache_open(path, &f, NULL), 0);
		ck_assert_uint_eq(f.c.generation, 2);
		tn_cache_close(&f);
	}
	free(sub);
	free(path);
	fixture_rmdir(dir);
	tn_hostset_free(&hs);
	tn_hostset_free(&other);
}
END_TEST

START_TEST(open_refuses_untrusted_files)
{
	struct tn_hostset hs;
	struct tn_cache_file f;
	const char *why;
	char *dir = fixture_dir(), *path = fixture_path(dir, "hosts.cache"), *link = fixture_path(dir, "link"),
	     *fifo = fixture_path(dir, "fifo");
	const char *rel = "hosts.cache";
	fixture_tailnet(&hs, true);
	fixture_write_cache(path, &hs, 3600);
	ck_assert_int_eq(tn_cache_open(path, &f, &why), 0);
	tn_cache_close(&f);

	ck_assert_int_eq(tn_cache_open(rel, &f, &why), -EPERM);
	ck_assert_int_eq(chmod(path, 0664), 0);
	ck_assert_int_eq(tn_cache_open(path, &f, &why), -EPERM);
	ck_assert_int_eq(chmod(path, 0646), 0);
	ck_assert_int_eq(tn_cache_open(path, &f, &why), -EPERM);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert_int_eq(symlink(path, link), 0);
	ck_assert_int_eq(tn_cache_open(link, &f, &why), -EPERM);
	ck_assert_int_eq(mkfifo(fifo, 0644), 0);
	ck_assert_int_eq(tn_cache_open(fifo, &f, &why), -EPERM); /* refused without waiting for a writer */
	ck_assert_int_eq(tn_cache_open(dir, &f, &why), -EPERM);
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(tn_cache_open(path, &f, &why), -EPERM);
	ck_assert_str_eq(why, "cache directory is writable by group or others");
	ck_assert_int_eq(chmod(dir, 0755), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(path, 65534, 65534), 0);
		ck_assert_int_eq(tn_cache_open(path, &f, &why), -EPERM);
		ck_assert_int_eq(chown(path, 0, 0), 0);
	}
	ck_assert_int_eq(truncate(path, 100), 0);
	ck_assert_int_eq(tn_cache_open(path, &f, &why), -EBADMSG);
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(tn_cache_open(path, &f, &why), -ENOENT);
	free(path);
	free(link);
	free(fifo);
	fixture_rmdir(dir);
	tn_hostset_free(&hs);
}
END_TEST

START_TEST(expiry)
{
	struct tn_hostset hs;
	struct tn_cache c;
	size_t len;
	fixture_tailnet(&hs, true);
	uint8_t *img = build(&hs, &len);
	ck_assert_int_eq(tn_cache_parse(img, len, &c, NULL), 0);
	ck_assert(!tn_cache_expired(&c, 2000));
	ck_assert(tn_cache_expired(&c, 2001));
	free(img);
	tn_hostset_free(&hs);
}
END_TEST

static Suite *cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, lookups);
	tcase_add_test(tc, magicdns_off_has_no_bare_names);
	tcase_add_test(tc, deterministic);
	tcase_add_test(tc, owners_and_skips);
	tcase_add_test(tc, too_many_hosts);
	tcase_add_test(tc, every_bit_flip_is_refused);
	tcase_add_test(tc, every_truncation_is_refused);
	tcase_add_test(tc, structural_damage_with_valid_checksum);
	tcase_add_test(tc, damaged_records_give_no_answer);
	tcase_add_test(tc, large_tailnet_probes_stay_short);
	tcase_add_test(tc, update_generations_and_atomic_replace);
	tcase_add_test(tc, open_refuses_untrusted_files);
	tcase_add_test(tc, expiry);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(cache_suite)
