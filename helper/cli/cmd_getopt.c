/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_getopt.c - the getopt loop every command shares (see commands.h). Kept out of main.c so the unit tests
 * and fuzz targets, which link every helper source but main(), get it too. */
#include <getopt.h>
#include <string.h>

#include "cli/commands.h"

static const struct option common[] = {
	{"help", no_argument, NULL, 'h'}, {"verbose", no_argument, NULL, 'v'}, {"quiet", no_argument, NULL, 'q'}};
#define N_COMMON (sizeof common / sizeof common[0])

/* The command's own tables with the common options appended. */
static int tables(struct cmd_parser *p)
{
	size_t n = 0;
	while (p->longopts[n].name)
		n++;
	if (n + N_COMMON + 1 > sizeof p->all_long / sizeof p->all_long[0] ||
	    strlen(p->shortopts) + 4 > sizeof p->all_short)
		return -1;
	memcpy(p->all_long, p->longopts, n * sizeof *p->longopts);
	memcpy(p->all_long + n, common, sizeof common);
	memset(&p->all_long[n + N_COMMON], 0, sizeof p->all_long[0]);
	strcpy(p->all_short, p->shortopts);
	strcat(p->all_short, "hvq");
	return 0;
}

int cmd_getopt(struct cmd_parser *p, int argc, char **argv)
{
	if (!p->started) {
		p->started = 1;
		optind = 1;
		if (tables(p) < 0) { /* a programming error: the tables in cmd_*.c outgrew the buffers */
			cmd_usage_error(p);
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
		case ':':
			cmd_usage_error(p);
			return CMD_EXIT;
		case -1:
			if (optind == argc)
				return CMD_END;
			cmd_usage_error(p);
			return CMD_EXIT;
		default:
			return c;
		}
	}
}

int cmd_usage_error(struct cmd_parser *p)
{
	p->usage(stderr);
	return p->exit = TN_EXIT_USAGE;
}
