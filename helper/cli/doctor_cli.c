/* SPDX-License-Identifier: BSD-3-Clause */
/* doctor_cli.c - what `doctor` and `status` share on the command line: their options and their JSON output. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/doctor_cli.h"
#include "up/up.h"

int tn_doctor_options(struct cmd_parser *p, int argc, char **argv, struct tn_doctor *d, int *json)
{
	const char *state_option = NULL;
	struct tn_error err = {0};
	int c;
	while ((c = cmd_getopt(p, argc, argv)) > 0) {
		switch (c) {
		case 'j':
			*json = 1;
			break;
		case 'c':
			d->cache = optarg;
			break;
		case 's':
			d->socket = optarg;
			break;
		case 'd':
			state_option = optarg;
			break;
		case 'n':
			d->nsswitch = optarg;
			break;
		case 'r':
			d->resolv_conf = optarg;
			break;
		}
	}
	if (c == CMD_EXIT)
		return p->exit;
	if (d->cache[0] != '/')
		return cmd_usage_error(p, "--cache wants an absolute path");
	tn_log_setup(p->name, p->level, tn_log_timestamps_env(0));
	if (tn_up_state_dir(state_option, d->state_dir, &err) != 0)
		return cmd_fail(p->name, &err);
	return TN_EXIT_OK;
}

int tn_doctor_print_json(const char *cmd, json_t *doc)
{
	char *text = doc ? json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	int rc = text && puts(text) >= 0 ? TN_EXIT_OK : -1;
	free(text);
	if (rc != TN_EXIT_OK) {
		struct tn_error err = {0};
		tn_error_set(&err, TN_EXIT_FAIL, "cannot write the JSON output");
		return cmd_fail(cmd, &err);
	}
	return TN_EXIT_OK;
}
