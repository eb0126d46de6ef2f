/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_fail.c - the commands' one way to report failure (see commands.h). Kept out of main.c so the unit
 * tests and fuzz targets, which link every helper source but main(), get it too. */
#include <stdio.h>

#include "cli/commands.h"

int cmd_fail(const char *cmd, const struct tn_error *err)
{
	const char *msg = err->msg[0] ? err->msg : "failed";
	if (err->code == TN_EXIT_USAGE) {
		tn_log_fatal("tailnet-helper %s: %s. Try 'tailnet-helper %s --help'.", cmd, msg, cmd);
		return TN_EXIT_USAGE;
	}
	tn_log_fatal("tailnet-helper %s: %s", cmd, msg);
	return err->code ? err->code : TN_EXIT_FAIL;
}
