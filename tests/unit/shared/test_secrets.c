/* SPDX-License-Identifier: BSD-3-Clause */
/* test_secrets.c - secret files (permissions, owner, trimming, limits), the atomic 0600 writer, redaction and
 * the wiping allocator. */
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/secrets.h"
#include "unit.h"

static char dir[64], path[128];

static void setup(void)
{
	strcpy(dir, "/tmp/tn-unit-secrets.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/secret", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *data, size_t len, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
	chmod(path, mode);
}

START_TEST(reads_and_trims)
{
	struct tn_secret s = {0};
	struct tn_error err = {0};
	put("  tskey-client-abc\r\n\n", 21, 0600);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), 0);
	ck_assert_str_eq(s.data, "tskey-client-abc");
	ck_assert_uint_eq(s.len, 16);
	tn_secret_free(&s);
	tn_secret_free(&s); /* twice is harmless */
	put("k", 1, 0400);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), 0);
	ck_assert_str_eq(s.data, "k");
	tn_secret_free(&s);
}
END_TEST

START_TEST(refuses_open_modes)
{
	static const mode_t bad[] = {0640, 0604, 0620, 0602, 0610, 0601, 0644, 0666};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct tn_secret s = {0};
		struct tn_error err = {0};
		put("value", 5, bad[i]);
		ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), -1);
		ck_assert_int_eq(err.code, TN_EXIT_CREDENTIALS);
		ck_assert_msg(strstr(err.msg, "too open") && strstr(err.msg, "chmod 600"), "%s", err.msg);
		ck_assert(!strstr(err.msg, "value"));
		ck_assert_ptr_null(s.data);
	}
}
END_TEST

START_TEST(refuses_other_owner)
{
	struct tn_secret s = {0};
	struct tn_error err = {0};
	put("value", 5, 0600);
	if (geteuid() != 0)
		return; /* only root can give a file away */
	ck_assert_int_eq(chown(path, 65534, 65534), 0);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), -1);
	ck_assert(strstr(err.msg, "belongs to uid 65534"));
}
END_TEST

START_TEST(refuses_bad_content)
{
	struct tn_secret s = {0};
	struct tn_error err = {0};
	put(" \n\t\n", 4, 0600);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), -1);
	ck_assert(strstr(err.msg, "is empty"));
	put("line one\nline two\n", 18, 0600);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), -1);
	ck_assert(strstr(err.msg, "alone on one line"));
	ck_assert(!strstr(err.msg, "line one"));
	static char big[TN_SECRET_MAX + 1];
	memset(big, 'a', sizeof big);
	put(big, sizeof big, 0600);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), -1);
	ck_assert(strstr(err.msg, "larger than"));
	put(big, TN_SECRET_MAX, 0600);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), 0);
	ck_assert_uint_eq(s.len, TN_SECRET_MAX);
	tn_secret_free(&s);
	ck_assert_int_eq(tn_secret_read(dir, "test secret", &s, &err), -1);
	ck_assert(strstr(err.msg, "not a regular file"));
	snprintf(path, sizeof path, "%s/missing", dir);
	ck_assert_int_eq(tn_secret_read(path, "test secret", &s, &err), -1);
	ck_assert_int_eq(err.code, TN_EXIT_CREDENTIALS);
	ck_assert(strstr(err.msg, "No such file"));
}
END_TEST

/* read_at: tn_secret_read of `p`; 0, or -1 with the message in `msg`. */
static int read_at(const char *p, char *msg, size_t size)
{
	struct tn_secret s = {0};
	struct tn_error err = {0};
	int rc = tn_secret_read(p, "test secret", &s, &err);
	snprintf(msg, size, "%s", err.msg);
	if (rc == 0)
		ck_assert_str_eq(s.data, "value");
	else
		ck_assert_int_eq(err.code, TN_EXIT_CREDENTIALS);
	ck_assert(!strstr(err.msg, "value"));
	tn_secret_free(&s);
	return rc;
}

static void mkdir_mode(const char *p, mode_t mode)
{
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(chmod(p, mode), 0);
}

/* As sshd's StrictModes: nobody but root and the caller may have put the file where the path leads. */
START_TEST(strict_modes)
{
	char sub[160], file[200], link[200], msg[1024];
	put("value\n", 6, 0600);
	ck_assert_int_eq(read_at(path, msg, sizeof msg), 0); /* in a 0700 directory under the sticky /tmp */

	snprintf(sub, sizeof sub, "%s/open", dir);
	mkdir_mode(sub, 0777);
	snprintf(file, sizeof file, "%s/secret", sub);
	ck_assert_int_eq(rename(path, file), 0);
	ck_assert_int_eq(read_at(file, msg, sizeof msg), -1);
	ck_assert_msg(strstr(msg, sub) && strstr(msg, "writable by group or others") && strstr(msg, "chmod go-w"),
		      "%s", msg);
	chmod(sub, 0770);
	ck_assert_int_eq(read_at(file, msg, sizeof msg), -1);
	ck_assert_msg(strstr(msg, "writable by group or others"), "%s", msg);
	chmod(sub, 0755);
	ck_assert_int_eq(read_at(file, msg, sizeof msg), 0);

	/* A link to a good file, from a place others may write: they could point it elsewhere. */
	snprintf(link, sizeof link, "%s/link", dir);
	ck_assert_int_eq(symlink("open/secret", link), 0);
	ck_assert_int_eq(read_at(link, msg, sizeof msg), 0); /* ours, in our directory */
	chmod(dir, 0777);
	ck_assert_int_eq(read_at(link, msg, sizeof msg), -1);
	ck_assert_msg(strstr(msg, dir) && strstr(msg, "writable by group or others"), "%s", msg);
	chmod(dir, 0700);

	/* A sticky directory everyone may write (/tmp, a Kubernetes secret volume): only its own entries count. */
	snprintf(sub, sizeof sub, "%s/sticky", dir);
	mkdir_mode(sub, 01777);
	snprintf(link, sizeof link, "%s/sticky/link", dir);
	ck_assert_int_eq(symlink("../open/secret", link), 0);
	ck_assert_int_eq(read_at(link, msg, sizeof msg), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(lchown(link, 65534, 65534), 0);
		ck_assert_int_eq(read_at(link, msg, sizeof msg), -1);
		ck_assert_msg(strstr(msg, link) && strstr(msg, "uid 65534, in a directory others may write"), "%s",
			      msg);
		/* A directory on the way that belongs to someone else. */
		snprintf(sub, sizeof sub, "%s/open", dir);
		ck_assert_int_eq(chown(sub, 65534, 65534), 0);
		ck_assert_int_eq(read_at(file, msg, sizeof msg), -1);
		ck_assert_msg(strstr(msg, sub) && strstr(msg, "belongs to uid 65534"), "%s", msg);
		ck_assert_int_eq(chown(sub, 0, 0), 0);
	}

	/* Relative paths, "." and "..", and a loop of links. */
	char cwd[PATH_MAX];
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
	ck_assert_int_eq(chdir(dir), 0);
	ck_assert_int_eq(read_at("open/../open/./secret", msg, sizeof msg), 0);
	ck_assert_int_eq(symlink("loop2", "loop1"), 0);
	ck_assert_int_eq(symlink("loop1", "loop2"), 0);
	ck_assert_int_eq(read_at("loop1", msg, sizeof msg), -1);
	ck_assert_msg(strstr(msg, "Too many levels of symbolic links"), "%s", msg);
	ck_assert_int_eq(chdir(cwd), 0);
}
END_TEST

START_TEST(writes_0600_atomically)
{
	struct tn_error err = {0};
	struct stat st;
	char buf[32] = "";
	put("old", 3, 0644);
	ck_assert_int_eq(tn_secret_write_file(path, "tskey-auth-x\n", 13, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	int fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, sizeof buf), 13);
	close(fd);
	ck_assert_str_eq(buf, "tskey-auth-x\n");
	snprintf(path, sizeof path, "%s/no/such/dir/key", dir);
	ck_assert_int_eq(tn_secret_write_file(path, "x", 1, &err), -1);
	ck_assert_int_eq(err.code, TN_EXIT_FAIL);
	snprintf(path, sizeof path, "%s/", dir);
	ck_assert_int_eq(tn_secret_write_file(path, "x", 1, &err), -1);
}
END_TEST

START_TEST(redacts)
{
	struct tn_secret s = {0};
	struct tn_error err = {0};
	char text[64];
	ck_assert_int_eq(tn_secret_set(&s, "hunter2", 7, &err), 0);
	strcpy(text, "a hunter2 b hunter2");
	tn_secret_redact(text, sizeof text, &s);
	ck_assert_str_eq(text, "a [redacted] b [redacted]");
	char small[12] = "xx hunter2";
	tn_secret_redact(small, sizeof small, &s);
	ck_assert_str_eq(small, "xx [redacte");
	strcpy(text, "nothing here");
	tn_secret_redact(text, sizeof text, &s);
	ck_assert_str_eq(text, "nothing here");
	tn_secret_free(&s);
	tn_secret_redact(text, sizeof text, &s); /* an empty secret changes nothing */
	ck_assert_str_eq(text, "nothing here");
}
END_TEST

START_TEST(wiping_allocator)
{
	char *p = tn_wipe_strdup("secret-value");
	ck_assert_str_eq(p, "secret-value");
	p = tn_wipe_realloc(p, 4096);
	ck_assert_str_eq(p, "secret-value");
	p = tn_wipe_realloc(p, 4);
	ck_assert(!memcmp(p, "secr", 4));
	tn_wipe_free(p);
	ck_assert_ptr_null(tn_wipe_realloc(tn_wipe_malloc(8), 0));
	int *z = tn_wipe_calloc(4, sizeof *z);
	ck_assert(z[0] == 0 && z[3] == 0);
	tn_wipe_free(z);
	tn_wipe_free(NULL);
}
END_TEST

static Suite *secrets_suite(void)
{
	Suite *s = suite_create("secrets");
	TCase *tc = tcase_create("secrets");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, reads_and_trims);
	tcase_add_test(tc, refuses_open_modes);
	tcase_add_test(tc, refuses_other_owner);
	tcase_add_test(tc, refuses_bad_content);
	tcase_add_test(tc, strict_modes);
	tcase_add_test(tc, writes_0600_atomically);
	tcase_add_test(tc, redacts);
	tcase_add_test(tc, wiping_allocator);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(secrets_suite)
