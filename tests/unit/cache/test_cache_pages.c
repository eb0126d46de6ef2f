/* SPDX-License-Identifier: BSD-3-Clause */
/* test_cache_pages.c - a large cache read by the page: what a lookup fetches, what a borrowed lookup (the
 * first after opening) reads without keeping it, and what either does when the file changes under it. */
#include <fcntl.h>
#include <time.h>

#include "fixture.h"
#include "nss/cache_file.h"
#include "nss/cache_format.h"
#include "nss/cache_reader.h"
#include "unit.h"

/* A big tailnet: 5,000 hosts, about 100 pages. */
static void big_tailnet(struct tn_hostset *hs, int first)
{
	struct tn_error err;
	char name[64], a4[20];
	tn_hostset_init(hs);
	ck_assert_int_eq(tn_hostset_set_suffix(hs, SUFFIX, &err), 0);
	hs->magicdns = true;
	for (int i = first; i < first + 5000; i++) {
		snprintf(name, sizeof name, "big-host-number-%d." SUFFIX, i);
		snprintf(a4, sizeof a4, "100.%d.%d.%d", 64 + (i >> 16), (i >> 8) & 255, i & 255);
		fixture_add(hs, TN_HOST_NODE, name, a4, NULL);
	}
	ck_assert_int_eq(tn_hostset_finish(hs, &err), 0);
}

static unsigned ready_pages(const struct tn_cache_file *f)
{
	unsigned n = 0;
	for (size_t p = 0; p < f->c.len / TN_PAGE; p++)
		n += f->c.page_ready[p] == 1;
	return n;
}

/* big_tailnet() written to a private directory and opened by the page, its descriptor kept (for borrowing). */
struct big {
	struct tn_hostset hs;
	struct tn_cache_file f;
	int fd;
	char *dir, *path;
};

static void big_open(struct big *t)
{
	t->dir = fixture_dir();
	t->path = fixture_path(t->dir, "hosts.cache");
	big_tailnet(&t->hs, 0);
	fixture_write_cache(t->path, &t->hs, 3600);
	ck_assert_int_eq(tn_cache_open_fd(t->path, &t->f, NULL, &t->fd), 0);
	ck_assert_int_ge(t->fd, 0);
}

static void big_close(struct big *t)
{
	close(t->fd);
	tn_cache_close(&t->f);
	free(t->path);
	fixture_rmdir(t->dir);
	tn_hostset_free(&t->hs);
}

/* Opening reads page 0 only; a lookup fetches the few pages it touches, each checked. */
START_TEST(large_file_is_read_by_the_page)
{
	struct big t;
	struct tn_cache_file *f = &t.f;
	struct tn_hit h;
	big_open(&t);
	ck_assert_uint_gt(f->c.len / TN_PAGE, 50);
	ck_assert_uint_eq(ready_pages(f), 1);
	ck_assert_int_eq(fixture_find(&f->c, "big-host-number-4242", &h), 1);
	ck_assert_str_eq(h.fqdn, "big-host-number-4242." SUFFIX);
	unsigned after_one = ready_pages(f);
	ck_assert_uint_le(after_one, 8); /* header, bucket, node, name, address and their level-1 pages */
	for (int i = 0; i < 5000; i += 97) {
		char name[64];
		snprintf(name, sizeof name, "big-host-number-%d", i);
		ck_assert_int_eq(fixture_find(&f->c, name, &h), 1);
	}
	ck_assert(!tn_cache_file_stale(f));
	big_close(&t);
}
END_TEST

/* The key of big_tailnet()'s host i: its IPv4 address, v4-mapped. */
static void big_key(int i, uint8_t key[16])
{
	memset(key, 0, 16);
	key[10] = key[11] = 0xff;
	key[12] = 100;
	key[13] = (uint8_t)(64 + (i >> 16));
	key[14] = (uint8_t)((i >> 8) & 255);
	key[15] = (uint8_t)(i & 255);
}

/* The first lookup after opening answers like any other, forward and reverse, from the bytes it copied out,
 * and installs nothing; the lookups after it install what they read, as before. */
START_TEST(borrowed_lookup_keeps_nothing)
{
	struct big t;
	struct tn_cache_file *f = &t.f;
	struct tn_borrow b;
	struct tn_hit h;
	uint8_t key[16];
	big_open(&t);
	tn_cache_borrow(&b, f, &t.fd);
	ck_assert_int_eq(fixture_find(&b.c, "big-host-number-4242", &h), 1);
	ck_assert_str_eq(h.fqdn, "big-host-number-4242." SUFFIX);
	big_key(4242, key);
	ck_assert_uint_eq(h.n4, 1);
	ck_assert_mem_eq(tn_hit_addr(&h, 0) + TN_ADDR_BYTES, key, 16);
	big_key(17, key);
	ck_assert_int_eq(tn_cache_find_addr(&b.c, key, &h), 1);
	ck_assert_str_eq(h.fqdn, "big-host-number-17." SUFFIX);
	ck_assert_int_eq(fixture_find(&b.c, "big-host-number-5000", &h), 0);
	ck_assert_uint_gt(b.used, 0);
	ck_assert_uint_le(b.used, TN_BORROW_BYTES);
	ck_assert_uint_eq(ready_pages(f), 1);
	ck_assert(!tn_cache_file_stale(f));

	ck_assert_int_eq(fixture_find(&f->c, "big-host-number-4242", &h), 1);
	ck_assert_str_eq(h.fqdn, "big-host-number-4242." SUFFIX);
	ck_assert_uint_gt(ready_pages(f), 1);
	big_close(&t);
}
END_TEST

/* A borrowed lookup that reads more than it can hold installs the pages of the rest, and every answer is
 * right. */
START_TEST(borrowed_lookup_beyond_what_it_holds)
{
	struct big t;
	struct tn_cache_file *f = &t.f;
	struct tn_borrow b;
	struct tn_hit h;
	big_open(&t);
	tn_cache_borrow(&b, f, &t.fd);
	for (int i = 0; i < 5000; i += 97) {
		char name[64], want[128];
		snprintf(name, sizeof name, "big-host-number-%d", i);
		snprintf(want, sizeof want, "%s." SUFFIX, name);
		ck_assert_int_eq(fixture_find(&b.c, name, &h), 1);
		ck_assert_str_eq(h.fqdn, want);
	}
	ck_assert_uint_gt(b.used, TN_BORROW_BYTES / 2);
	ck_assert_uint_le(b.used, TN_BORROW_BYTES);
	ck_assert_uint_gt(ready_pages(f), 1);
	ck_assert(!tn_cache_file_stale(f));
	big_close(&t);
}
END_TEST

/* Written over in place after it was opened - truncated, or another cache copied over it - the file gives no
 * answer from pages it no longer has (and says it is stale), never a fault, and never an answer from the other
 * file's pages; pages already read still answer. A borrowed lookup keeps no pages, but the answer it gave is
 * its own. */
static void changed_in_place(int borrowed)
{
	struct tn_hostset hs, other;
	struct tn_cache_file f;
	struct tn_borrow b;
	struct tn_hit h;
	int fd;
	char *dir = fixture_dir(), *path = fixture_path(dir, "hosts.cache"), *copy = fixture_path(dir, "other.cache");
	big_tailnet(&hs, 0);
	big_tailnet(&other, 100000);
	fixture_write_cache(copy, &other, 3600);
	for (int how = 0; how < 2; how++) {
		fixture_write_cache(path, &hs, 3600);
		ck_assert_int_eq(tn_cache_open_fd(path, &f, NULL, &fd), 0);
		tn_cache_borrow(&b, &f, &fd);
		const struct tn_cache *c = borrowed ? &b.c : &f.c;
		ck_assert_int_eq(fixture_find(c, "big-host-number-7", &h), 1);
		struct timespec tick = {0, 20000000};
		nanosleep(&tick, NULL); /* a new mtime on filesystems with coarse timestamps */
		if (how == 0) {
			ck_assert_int_eq(truncate(path, 0), 0);
		} else {
			char cmd[512];
			snprintf(cmd, sizeof cmd, "cat '%s' > '%s'", copy, path); /* same inode, new bytes */
			ck_assert_int_eq(system(cmd), 0);
		}
		ck_assert_str_eq(h.fqdn, "big-host-number-7." SUFFIX);
		if (!borrowed)
			ck_assert_int_eq(fixture_find(c, "big-host-number-7", &h), 1); /* read before: still there */
		int found = 0;
		for (int i = 0; i < 5000; i += 13) {
			char name[64], want[128];
			snprintf(name, sizeof name, "big-host-number-%d", i);
			snprintf(want, sizeof want, "%s." SUFFIX, name);
			if (fixture_find(c, name, &h)) {
				ck_assert_str_eq(h.fqdn, want);
				found++;
			}
			snprintf(name, sizeof name, "big-host-number-%d", 100000 + i);
			ck_assert_int_eq(fixture_find(c, name, &h), 0);
		}
		ck_assert_uint_lt(found, 5000 / 13);
		ck_assert(tn_cache_file_stale(&f));
		close(fd);
		tn_cache_close(&f);
	}
	free(path);
	free(copy);
	fixture_rmdir(dir);
	tn_hostset_free(&hs);
	tn_hostset_free(&other);
}

START_TEST(file_changed_in_place_under_the_reader)
{
	changed_in_place(0);
}
END_TEST

START_TEST(borrowed_lookup_of_a_file_changed_in_place)
{
	changed_in_place(1);
}
END_TEST

static Suite *pages_suite(void)
{
	Suite *s = suite_create("cache pages");
	TCase *tc = tcase_create("pages");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, large_file_is_read_by_the_page);
	tcase_add_test(tc, file_changed_in_place_under_the_reader);
	tcase_add_test(tc, borrowed_lookup_keeps_nothing);
	tcase_add_test(tc, borrowed_lookup_beyond_what_it_holds);
	tcase_add_test(tc, borrowed_lookup_of_a_file_changed_in_place);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(pages_suite)
