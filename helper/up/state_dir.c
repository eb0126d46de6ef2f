/* SPDX-License-Identifier: BSD-3-Clause */
/* state_dir.c - see state_dir.h. */
#include "up/state_dir.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void tn_up_path(const char *state_dir, const char *name, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", state_dir, name);
}

int tn_up_state_dir(const char *option, char *out, struct tn_error *err)
{
	const size_t size = PATH_MAX;
	if (option) {
		snprintf(out, size, "%s", option);
		return 0;
	}
	if (geteuid() == 0) {
		snprintf(out, size, "%s", TN_STATE_DIR_ROOT);
		return 0;
	}
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	if (xdg && xdg[0] == '/') {
		snprintf(out, size, "%s/tailnet", xdg);
		return 0;
	}
	if (!home || home[0] != '/') {
		struct passwd *pw = getpwuid(geteuid());
		home = pw ? pw->pw_dir : NULL;
	}
	if (!home || home[0] != '/')
		return tn_error_set(err, TN_EXIT_USAGE, "no home directory for the state directory; give --state-dir");
	snprintf(out, size, "%s/.local/state/tailnet", home);
	return 0;
}

/* mkdir -p with 0755 for the parents and 0700 for the last. */
static int make_dirs(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(path, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

int tn_up_prepare_state_dir(const char *dir, struct tn_error *err)
{
	if (dir[0] != '/')
		return tn_error_set(err, TN_EXIT_USAGE, "--state-dir %s: want an absolute path", dir);
	if (make_dirs(dir) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot create the state directory %s: %s", dir,
				    strerror(errno));
	struct stat st;
	if (lstat(dir, &st) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "state directory %s: %s", dir, strerror(errno));
	/* It holds tailscaled's node key and, for a moment, an auth key: nobody else may swap files in it. */
	if (!S_ISDIR(st.st_mode))
		return tn_error_set(err, TN_EXIT_FAIL, "state directory %s is not a directory", dir);
	if (st.st_uid != geteuid())
		return tn_error_set(err, TN_EXIT_FAIL, "state directory %s belongs to uid %u, not to us (uid %u)", dir,
				    (unsigned)st.st_uid, (unsigned)geteuid());
	if (st.st_mode & 022)
		return tn_error_set(err, TN_EXIT_FAIL,
				    "state directory %s is writable by group or others (chmod 700 %s)", dir, dir);
	return 0;
}
