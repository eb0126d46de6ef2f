/* SPDX-License-Identifier: BSD-3-Clause */
/* test_config.c - the key = value config file: syntax, refusals, loading rules, ~ expansion. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mint/config.h"
#include "unit.h"

static int parse(struct tn_config *cfg, const char *text, struct tn_error *err)
{
	return tn_config_parse(cfg, "t.conf", text, strlen(text), err);
}

START_TEST(parses_settings)
{
	struct tn_config cfg;
	struct tn_error err = {0};
	const char *text = "# comment\n"
			   "\n"
			   "  api_url = https://api.example.com/ \r\n"
			   "tags=tag:a,tag:b\n"
			   "\t# indented comment\n"
			   "ca_file = /etc/ssl/with # hash and  spaces\n"
			   "api_key_file =\n"
			   "oauth_client_id_file = ~/id"; /* no final newline */
	ck_assert_int_eq(parse(&cfg, text, &err), 0);
	ck_assert_str_eq(tn_config_get(&cfg, "api_url"), "https://api.example.com/");
	ck_assert_str_eq(tn_config_get(&cfg, "tags"), "tag:a,tag:b");
	ck_assert_str_eq(tn_config_get(&cfg, "ca_file"), "/etc/ssl/with # hash and  spaces");
	ck_assert_str_eq(tn_config_get(&cfg, "api_key_file"), "");
	ck_assert_str_eq(tn_config_get(&cfg, "oauth_client_id_file"), "~/id");
	ck_assert_ptr_null(tn_config_get(&cfg, "oauth_client_secret_file"));
	ck_assert_uint_eq(cfg.count, 5);
	ck_assert_uint_eq(cfg.entries[0].line, 3);
	tn_config_free(&cfg);
	ck_assert_int_eq(parse(&cfg, "", &err), 0);
	ck_assert_uint_eq(cfg.count, 0);
	tn_config_free(&cfg);
}
END_TEST

START_TEST(refuses_bad_lines)
{
	static const struct {
		const char *text, *says;
	} cases[] = {
	    {"api_url\n", "t.conf:1: expected 'key = value'"},
	    {"\n= x\n", "t.conf:2: missing key"},
	    {"Api_Url = x\n", "t.conf:1: invalid key"},
	    {"api-url = x\n", "t.conf:1: invalid key"},
	    {"1tags = x\n", "t.conf:1: invalid key"},
	    {"oauth_client_secret = hunter2\n", "t.conf:1: unknown key 'oauth_client_secret'"},
	    {"tags = a\n# again\ntags = b\n", "t.conf:3: 'tags' already set on line 1"},
	    {"tags = a\x01 b\n", "t.conf:1: control character"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct tn_config cfg;
		struct tn_error err = {0};
		ck_assert_msg(parse(&cfg, cases[i].text, &err) == -1, "accepted %s", cases[i].text);
		ck_assert_msg(strstr(err.msg, cases[i].says), "[%s] lacks [%s]", err.msg, cases[i].says);
		ck_assert_int_eq(err.code, TN_EXIT_USAGE);
		ck_assert_uint_eq(cfg.count, 0);
		ck_assert_ptr_null(cfg.entries);
	}
	struct tn_config cfg;
	struct tn_error err = {0};
	ck_assert_int_eq(tn_config_parse(&cfg, "t.conf", "tags = a\0b\n", 11, &err), -1);
	ck_assert(strstr(err.msg, "NUL byte"));
}
END_TEST

static char dir[64];

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, mode);
}

START_TEST(loads_files)
{
	char path[128];
	struct tn_config cfg;
	struct tn_error err = {0};
	strcpy(dir, "/tmp/tn-unit-config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/helper.conf", dir);
	write_file(path, "api_url = https://x\n", 0644);

	ck_assert_int_eq(tn_config_load(&cfg, path, &err), 0);
	ck_assert_str_eq(cfg.path, path);
	ck_assert_str_eq(tn_config_get(&cfg, "api_url"), "https://x");
	tn_config_free(&cfg);

	setenv("TAILNET_HELPER_CONFIG", path, 1);
	ck_assert_int_eq(tn_config_load(&cfg, NULL, &err), 0);
	ck_assert_str_eq(tn_config_get(&cfg, "api_url"), "https://x");
	tn_config_free(&cfg);

	chmod(path, 0620);
	ck_assert_int_eq(tn_config_load(&cfg, NULL, &err), -1);
	ck_assert(strstr(err.msg, "chmod go-w"));
	chmod(path, 0602);
	ck_assert_int_eq(tn_config_load(&cfg, path, &err), -1);
	chmod(path, 0644);

	/* Named (by option or environment) but missing is an error; only the default may be absent. */
	snprintf(path, sizeof path, "%s/none.conf", dir);
	ck_assert_int_eq(tn_config_load(&cfg, path, &err), -1);
	setenv("TAILNET_HELPER_CONFIG", path, 1);
	ck_assert_int_eq(tn_config_load(&cfg, NULL, &err), -1);
	unsetenv("TAILNET_HELPER_CONFIG");

	char big[TN_CONFIG_MAX_BYTES + 2];
	memset(big, '#', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	snprintf(path, sizeof path, "%s/big.conf", dir);
	write_file(path, big, 0644);
	ck_assert_int_eq(tn_config_load(&cfg, path, &err), -1);
	ck_assert(strstr(err.msg, "larger than"));
	unlink(path);
	snprintf(path, sizeof path, "%s/helper.conf", dir);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(expands_home)
{
	char out[64];
	struct tn_error err = {0};
	setenv("HOME", "/home/op", 1);
	ck_assert_int_eq(tn_expand_home("~/secrets/x", out, sizeof out, &err), 0);
	ck_assert_str_eq(out, "/home/op/secrets/x");
	ck_assert_int_eq(tn_expand_home("/abs/x", out, sizeof out, &err), 0);
	ck_assert_str_eq(out, "/abs/x");
	ck_assert_int_eq(tn_expand_home("~other/x", out, sizeof out, &err), 0);
	ck_assert_str_eq(out, "~other/x");
	ck_assert_int_eq(
	    tn_expand_home("~/a-path-that-is-far-too-long-for-this-small-buffer-to-hold-it", out, sizeof out, &err),
	    -1);
}
END_TEST

static Suite *config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("config");
	tcase_add_test(tc, parses_settings);
	tcase_add_test(tc, refuses_bad_lines);
	tcase_add_test(tc, loads_files);
	tcase_add_test(tc, expands_home);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(config_suite)
