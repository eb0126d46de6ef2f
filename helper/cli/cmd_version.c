/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_version.c - `tailnet-helper version` and `tailnet-helper --version`: the version, and the paths this
 * build was made with, so a packager or a bug report can tell which build answers. */
#include <getopt.h>
#include <stdio.h>

#include "cli/commands.h"
#include "nss/cache_format.h"
#include "shared/version.h"
#include "up/state_dir.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: tailnet-helper version\n       tailnet-helper --version\n\n"
		     "Prints \"tailnet-helper VERSION\", then the licence, the cache format this build reads and\n"
		     "writes, and the default paths it was built with.\n\n"
		     "exit codes: 0 printed; 2 usage\n");
}

int cmd_version(int argc, char **argv)
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};
	int c;
	struct cmd_parser p = CMD_PARSER("version", "", opts, usage, TN_LOG_WARN, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0)
		;
	if (c == CMD_EXIT)
		return p.exit;
	printf("tailnet-helper " TN_PACKAGE_VERSION "\n"
	       "License: BSD-3-Clause\n"
	       "cache format %u, cache " TN_DEFAULT_CACHE_PATH " (trusted owners: uid 0",
	       TN_VERSION);
	if (TN_CACHE_UID != 0)
		printf(" and uid %ld", (long)TN_CACHE_UID);
	printf("), state directory " TN_STATE_DIR_ROOT "\n");
	return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_FAIL;
}
