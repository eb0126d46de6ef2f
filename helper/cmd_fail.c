/* cmd_fail.c - the one place a command's error reaches the user (see commands.h). */
#include <stdio.h>

#include "commands.h"

int cmd_fail(const char *cmd, const struct tn_error *err)
{
	fprintf(stderr, "tailnet-helper %s: %s\n", cmd, err->msg[0] ? err->msg : "failed");
	return err->code ? err->code : TN_EXIT_FAIL;
}
