/* commands.h - every tailnet-helper command, each in its own cmd_<name>.c.
 *
 * Contract: a command gets argv starting at its own name, parses its options with getopt_long (every one
 * accepts --help, --verbose, --quiet), prints its one error line through cmd_fail(), and returns an exit code
 * from err.h. Commands never call exit() themselves, so they stay testable.
 */
#ifndef TAILNET_COMMANDS_H
#define TAILNET_COMMANDS_H

#include <stdio.h>

#include "shared/err.h"
#include "shared/log.h"

int cmd_dns(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
int cmd_mint_key(int argc, char **argv);
int cmd_resolv_conf(int argc, char **argv);
int cmd_ssh_config(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* For a getopt loop's default case, the options every command shares: --help prints usage to stdout and
 * returns TN_EXIT_OK; --verbose / --quiet set *level to `verbose` / TN_LOG_ERROR and return -1 (go on);
 * anything else prints usage to stderr and returns TN_EXIT_USAGE. Expects 'h', 'v' and 'q' for them. */
int cmd_common_option(int c, void (*usage)(FILE *out), enum tn_log_level *level, enum tn_log_level verbose);

/* Prints "tailnet-helper <cmd>: <msg>" to stderr and returns err->code (TN_EXIT_FAIL when unset). */
int cmd_fail(const char *cmd, const struct tn_error *err);

#endif
