/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_prefs.c - tailscaled's prefs as `up` reads them (prefs.c) and the flags it builds from them
 * (up_flags.c). The first byte picks: parse, then carry; or restore, with the input split at its first NUL
 * into the prefs before and after a login. Beyond not crashing: a failed parse says TN_EXIT_BAD_ANSWER;
 * every flag carried is "--name" or "--name=value" with printable text only (it goes on a command line);
 * a restore answer is a JSON object whose every <Field>Set is true. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tailscaled/prefs.h"
#include "up/up_flags.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_flags(const struct tn_up_flags *f)
{
	for (int i = 0; i < f->count; i++) {
		const char *a = f->arg[i];
		size_t n = strnlen(a, sizeof f->arg[i]);
		if (n == sizeof f->arg[i] || strncmp(a, "--", 2) != 0 || strncmp(a + 2, f->name[i], strlen(f->name[i])))
			abort();
		for (size_t j = 0; j < n; j++)
			if ((unsigned char)a[j] < 0x20 || a[j] == 0x7f)
				abort();
	}
}

static void parse_and_carry(const char *text, size_t len)
{
	struct tn_prefs p;
	struct tn_error err = {0};
	if (tn_prefs_parse(text, len, &p, &err) != 0) {
		if (err.code != TN_EXIT_BAD_ANSWER || !err.msg[0])
			abort();
		return;
	}
	struct tn_up_flags f = {0};
	if (tn_up_carry_flags(&p, "100.64.0.1", &f, &err) == 0)
		check_flags(&f);
	else if (err.code != TN_EXIT_NOT_RUNNING)
		abort();
}

static void restore(const char *text, size_t len)
{
	char *copy = malloc(len + 2);
	if (!copy)
		return;
	memcpy(copy, text, len);
	copy[len] = copy[len + 1] = '\0';
	const char *before = copy, *after = copy + strlen(copy) + 1;
	if (after > copy + len)
		after = "{}";
	char *masked, names[128];
	struct tn_error err = {0};
	int n = tn_prefs_restore(before, after, &masked, names, sizeof names, &err);
	if (n > 0) {
		json_t *m = json_loads(masked, 0, NULL), *v;
		const char *key;
		if (!json_is_object(m))
			abort();
		json_object_foreach(m, key, v) {
			size_t k = strlen(key);
			if (k > 3 && !strcmp(key + k - 3, "Set") && strcmp(key, "AutoUpdateSet") && !json_is_true(v))
				abort();
		}
		json_decref(m);
		free(masked);
	} else if (n < 0 && err.code != TN_EXIT_BAD_ANSWER && err.code != TN_EXIT_FAIL) {
		abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] % 2)
		restore((const char *)data + 1, size - 1);
	else
		parse_and_carry((const char *)data + 1, size - 1);
	return 0;
}
