/* SPDX-License-Identifier: BSD-3-Clause */
/* commands.h - every tailnet-helper command, each in its own cmd_<name>.c.
 *
 * Contract: a command gets argv starting at its own name, parses its options with cmd_getopt() (every one
 * accepts --help, --verbose, --quiet), prints its one error line through cmd_fail() or cmd_usage_error(), and
 * returns an exit code from err.h. Commands never call exit() themselves, so they stay testable.
 */
#ifndef TAILNET_COMMANDS_H
#define TAILNET_COMMANDS_H

#include <getopt.h>
#include <stdio.h>

#include "shared/err.h"
#include "shared/log.h"

int cmd_dns(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_down(int argc, char **argv);
int cmd_hosts(int argc, char **argv);
int cmd_mint_key(int argc, char **argv);
int cmd_resolv_conf(int argc, char **argv);
int cmd_ssh_config(int argc, char **argv);
int cmd_sync(int argc, char **argv);
int cmd_up(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_watch(int argc, char **argv);

/* One command's command line. The command fills name..quiet; cmd_getopt() adds --help, --verbose and --quiet
 * to its tables and handles them, so a command's switch holds only its own options:
 *
 *	struct cmd_parser p = CMD_PARSER("sync", "s:c:", opts, usage, TN_LOG_WARN, TN_LOG_INFO, TN_LOG_ERROR);
 *	int c;
 *	while ((c = cmd_getopt(&p, argc, argv)) > 0)
 *		switch (c) { ... }
 *	if (c == CMD_EXIT)
 *		return p.exit;
 */
struct cmd_parser {
	const char *name;
	const char *shortopts;         /* the command's own, without "hvq" */
	const struct option *longopts; /* the command's own, ending in {NULL, 0, NULL, 0} */
	void (*usage)(FILE *out);
	enum tn_log_level level;   /* the command's default; --verbose / --quiet change it */
	enum tn_log_level verbose; /* what --verbose sets */
	enum tn_log_level quiet;   /* what --quiet sets */
	int exit;                  /* after CMD_EXIT: what the command returns */
	int started;
	char all_short[64];
	struct option all_long[40];
};

#define CMD_PARSER(name_, short_, long_, usage_, level_, verbose_, quiet_)                                  \
	{.name = name_, .shortopts = short_, .longopts = long_, .usage = usage_, .level = level_,               \
	 .verbose = verbose_, .quiet = quiet_}

#define CMD_END 0   /* every option read, no operand left: go on */
#define CMD_EXIT -1 /* return p->exit: --help was printed (0), or a usage error (2) */

/* The next of the command's own options (getopt_long's value, optarg set), or CMD_END, or CMD_EXIT after
 * --help (usage on stdout) or an unknown option, a missing value or an operand (cmd_usage_error). */
int cmd_getopt(struct cmd_parser *p, int argc, char **argv);

/* Every usage error, those cmd_getopt() finds and those the command finds itself (a bad value, options that
 * exclude each other): one line on stderr, "tailnet-helper <cmd>: <reason>. Try 'tailnet-helper <cmd>
 * --help'." Returns (and sets p->exit to) TN_EXIT_USAGE. */
int cmd_usage_error(struct cmd_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prints "tailnet-helper <cmd>: <msg>" to stderr (at LOG_ERR under journald; with the --help hint when
 * err->code is TN_EXIT_USAGE) and returns err->code (TN_EXIT_FAIL when unset). */
int cmd_fail(const char *cmd, const struct tn_error *err);

#endif
