/* SPDX-License-Identifier: BSD-3-Clause */
/* config.c - see config.h. */
#include "mint/config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/safe_path.h"
#include "shared/secrets.h"

/* Every key any command reads; add yours here so that a misspelt key stays an error. */
static const char *const known_keys[] = {
    "api_url", "oauth_client_id_file", "oauth_client_secret_file", "api_key_file", "tags", "ca_file",
};

static int known_key(const char *key, size_t len)
{
	for (size_t i = 0; i < sizeof known_keys / sizeof known_keys[0]; i++)
		if (strlen(known_keys[i]) == len && !memcmp(known_keys[i], key, len))
			return 1;
	return 0;
}

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

void tn_config_free(struct tn_config *cfg)
{
	for (size_t i = 0; i < cfg->count; i++) {
		free(cfg->entries[i].key);
		free(cfg->entries[i].value);
	}
	free(cfg->entries);
	free(cfg->path);
	cfg->entries = NULL;
	cfg->path = NULL;
	cfg->count = 0;
}

static int add_entry(struct tn_config *cfg, const char *key, size_t klen, const char *value, size_t vlen, unsigned line)
{
	struct tn_config_entry *grown = realloc(cfg->entries, (cfg->count + 1) * sizeof *grown);
	if (!grown)
		return -1;
	cfg->entries = grown;
	struct tn_config_entry *e = &cfg->entries[cfg->count];
	e->key = strndup(key, klen);
	e->value = strndup(value, vlen);
	e->line = line;
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		return -1;
	}
	cfg->count++;
	return 0;
}

/* Parses one line (without its newline) into cfg; blank and comment lines add nothing. */
static int parse_line(struct tn_config *cfg, const char *origin, unsigned lineno, const char *p, size_t n,
		      struct tn_error *err)
{
	while (n && blank(*p)) {
		p++;
		n--;
	}
	while (n && blank(p[n - 1]))
		n--;
	if (!n || *p == '#')
		return 0;
	const char *eq = memchr(p, '=', n);
	if (!eq)
		return tn_error_set(err, TN_EXIT_USAGE, "%s:%u: expected 'key = value'", origin, lineno);
	size_t klen = (size_t)(eq - p);
	while (klen && blank(p[klen - 1]))
		klen--;
	if (!klen)
		return tn_error_set(err, TN_EXIT_USAGE, "%s:%u: missing key before '='", origin, lineno);
	for (size_t i = 0; i < klen; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || c == '_' || (i && c >= '0' && c <= '9')))
			return tn_error_set(err, TN_EXIT_USAGE, "%s:%u: invalid key (lower-case letters, digits, '_')",
					    origin, lineno);
	}
	if (!known_key(p, klen))
		return tn_error_set(err, TN_EXIT_USAGE, "%s:%u: unknown key '%.*s'", origin, lineno, (int)klen, p);
	for (size_t i = 0; i < cfg->count; i++)
		if (strlen(cfg->entries[i].key) == klen && !memcmp(cfg->entries[i].key, p, klen))
			return tn_error_set(err, TN_EXIT_USAGE, "%s:%u: '%.*s' already set on line %u", origin, lineno,
					    (int)klen, p, cfg->entries[i].line);
	const char *v = eq + 1;
	size_t vlen = n - (size_t)(v - p);
	while (vlen && blank(*v)) {
		v++;
		vlen--;
	}
	for (size_t i = 0; i < vlen; i++)
		if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
			return tn_error_set(err, TN_EXIT_USAGE, "%s:%u: control character in value", origin, lineno);
	if (add_entry(cfg, p, klen, v, vlen, lineno) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "%s: out of memory", origin);
	return 0;
}

int tn_config_parse(struct tn_config *cfg, const char *origin, const char *text, size_t len, struct tn_error *err)
{
	unsigned lineno = 0;
	memset(cfg, 0, sizeof *cfg);
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		int bad = memchr(text + pos, '\0', n)
			      ? tn_error_set(err, TN_EXIT_USAGE, "%s:%u: NUL byte (not a text file?)", origin, lineno)
			      : parse_line(cfg, origin, lineno, text + pos, n, err);
		if (bad) {
			tn_config_free(cfg);
			return -1;
		}
		pos += n + (nl ? 1 : 0);
	}
	return 0;
}

int tn_config_load(struct tn_config *cfg, const char *option, struct tn_error *err)
{
	const char *env = getenv("TAILNET_HELPER_CONFIG");
	const char *path = option ? option : env && *env ? env : TN_DEFAULT_CONFIG_PATH;
	int optional = !option && !(env && *env);
	memset(cfg, 0, sizeof *cfg);

	struct stat st;
	if (optional && lstat(path, &st) != 0 && errno == ENOENT)
		return 0;
	/* It says where credentials are read from and sent to: nobody else may have put it there. */
	int fd = tn_safe_open(path, "config file", TN_EXIT_USAGE, err);
	if (fd < 0)
		return -1;
	if (tn_check_private_file(fd, path, "config file", 1, err) != 0) {
		close(fd);
		return -1;
	}
	char *text = malloc(TN_CONFIG_MAX_BYTES + 1);
	size_t len = 0;
	int r = text ? tn_read_fd(fd, text, TN_CONFIG_MAX_BYTES + 1, &len) : 0;
	int saved = errno, rc = -1;
	close(fd);
	if (!text)
		tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	else if (r < 0)
		tn_error_set(err, TN_EXIT_USAGE, "cannot read config file %s: %s", path, strerror(saved));
	else if (len > TN_CONFIG_MAX_BYTES)
		tn_error_set(err, TN_EXIT_USAGE, "config file %s is larger than %d bytes", path, TN_CONFIG_MAX_BYTES);
	else if (tn_config_parse(cfg, path, text, len, err) == 0) {
		cfg->path = strdup(path);
		rc = cfg->path ? 0 : tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	}
	free(text);
	if (rc != 0)
		tn_config_free(cfg);
	return rc;
}

const char *tn_config_get(const struct tn_config *cfg, const char *key)
{
	for (size_t i = 0; cfg && i < cfg->count; i++)
		if (!strcmp(cfg->entries[i].key, key))
			return cfg->entries[i].value;
	return NULL;
}

int tn_expand_home(const char *path, char *out, size_t outlen, struct tn_error *err)
{
	if (strncmp(path, "~/", 2) != 0) {
		if (snprintf(out, outlen, "%s", path) >= (int)outlen)
			return tn_error_set(err, TN_EXIT_USAGE, "path too long: %.64s...", path);
		return 0;
	}
	const char *home = getenv("HOME");
	if (!home || !*home) {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home)
		return tn_error_set(err, TN_EXIT_USAGE, "cannot expand %s: no HOME", path);
	if (snprintf(out, outlen, "%s/%s", home, path + 2) >= (int)outlen)
		return tn_error_set(err, TN_EXIT_USAGE, "path too long: %.64s...", path);
	return 0;
}
