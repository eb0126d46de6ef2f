/* cmd_fail.c - the commands' one way to report failure, and their shared options (see commands.h). Kept out
 * of main.c so the unit tests and fuzz targets, which link every helper source but main(), get it too. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_fail(const char *cmd, const struct tn_error *err)
{
	fprintf(stderr, "tailnet-helper %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
	return err->code ? err->code : TN_EXIT_FAIL;
}

int cmd_common_option(int c, void (*usage)(FILE *out), enum tn_log_level *level, enum tn_log_level verbose)
{
	switch (c) {
	case 'h':
		usage(stdout);
		return TN_EXIT_OK;
	case 'v':
		*level = verbose;
		return -1;
	case 'q':
		*level = TN_LOG_ERROR;
		return -1;
	default:
		usage(stderr);
		return TN_EXIT_USAGE;
	}
}
