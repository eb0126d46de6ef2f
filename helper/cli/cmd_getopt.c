/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_getopt.c - the getopt loop every command shares, and its one way to report a usage error (see
 * commands.h). Kept out of main.c so the unit tests and fuzz targets, which link every helper source but
 * main(), get it too. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

static const struct option common[] = {
	{"help", no_argument, NULL, 'h'}, {"verbose", no_argument, NULL, 'v'}, {"quiet", no_argument, NULL, 'q'}};
#define N_COMMON (sizeof common / sizeof common[0])

/* The command's own tables with the common options appended. The leading ':' makes getopt return ':' for a
 * missing value and print nothing itself (opterr = 0): the reason is ours to word. */
static int tables(struct cmd_parser *p)
{
	size_t n = 0;
	while (p->longopts[n].name)
		n++;
	if (n + N_COMMON + 1 > sizeof p->all_long / sizeof p->all_long[0] ||
	    strlen(p->shortopts) + 5 > sizeof p->all_short)
		return -1;
	memcpy(p->all_long, p->longopts, n * sizeof *p->longopts);
	memcpy(p->all_long + n, common, sizeof common);
	memset(&p->all_long[n + N_COMMON], 0, sizeof p->all_long[0]);
	strcpy(p->all_short, ":");
	strcat(p->all_short, p->shortopts);
	strcat(p->all_short, "hvq");
	return 0;
}

/* getopt said '?' about argv[optind - 1]: an unknown (or ambiguous) option, or a value given to a switch. */
static int bad_option(struct cmd_parser *p, int argc, char **argv)
{
	const char *arg = optind > 0 && optind <= argc ? argv[optind - 1] : "";
	if (strncmp(arg, "--", 2) != 0)
		return cmd_usage_error(p, "unknown option '-%c'", optopt);
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	for (const struct option *o = p->all_long; eq && o->name; o++)
		if (o->has_arg == no_argument && strlen(o->name) == len && !strncmp(o->name, arg + 2, len))
			return cmd_usage_error(p, "option '--%s' takes no value", o->name);
	int matches = 0;
	for (const struct option *o = p->all_long; o->name; o++)
		matches += !strncmp(o->name, arg + 2, len);
	return cmd_usage_error(p, "%s option '%.*s'", matches > 1 ? "ambiguous" : "unknown", (int)len + 2, arg);
}

int cmd_getopt(struct cmd_parser *p, int argc, char **argv)
{
	if (!p->started) {
		p->started = 1;
		optind = 1;
		opterr = 0;
		if (tables(p) < 0) { /* a programming error: the tables in cmd_*.c outgrew the buffers */
			cmd_usage_error(p, "internal error: too many options");
			return CMD_EXIT;
		}
	}
	for (;;) {
		int c = getopt_long(argc, argv, p->all_short, p->all_long, NULL);
		switch (c) {
		case 'h':
			p->usage(stdout);
			p->exit = TN_EXIT_OK;
			return CMD_EXIT;
		case 'v':
			p->level = p->verbose;
			continue;
		case 'q':
			p->level = p->quiet;
			continue;
		case '?':
			bad_option(p, argc, argv);
			return CMD_EXIT;
		case ':':
			cmd_usage_error(p, "option '%s' needs a value", argv[optind - 1]);
			return CMD_EXIT;
		case -1:
			if (optind == argc)
				return CMD_END;
			cmd_usage_error(p, "unexpected argument '%s'", argv[optind]);
			return CMD_EXIT;
		default:
			return c;
		}
	}
}

int cmd_usage_error(struct cmd_parser *p, const char *fmt, ...)
{
	struct tn_error err = {.code = TN_EXIT_USAGE};
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof err.msg, fmt, ap);
	va_end(ap);
	return p->exit = cmd_fail(p->name, &err);
}
