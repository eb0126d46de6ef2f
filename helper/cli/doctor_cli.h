/* SPDX-License-Identifier: BSD-3-Clause */
/* doctor_cli.h - the command-line side `doctor` and `status` share.
 *
 * Contract: tn_doctor_options() runs the command's getopt loop over the options both know (--json 'j',
 * --cache 'c', --socket 's', --state-dir 'd') and doctor's own (--nsswitch 'n', --resolv-conf 'r'; only as
 * far as the command's table lists them), checks them, sets up logging and resolves the state directory; it
 * returns TN_EXIT_OK to go on, or the exit code after printing why. tn_doctor_print_json() prints `doc` (and
 * releases it), returning TN_EXIT_OK or, after saying so, TN_EXIT_FAIL.
 */
#ifndef TAILNET_DOCTOR_CLI_H
#define TAILNET_DOCTOR_CLI_H

#include <jansson.h>

#include "cli/commands.h"
#include "cli/doctor.h"

int tn_doctor_options(struct cmd_parser *p, int argc, char **argv, struct tn_doctor *d, int *json);
int tn_doctor_print_json(const char *cmd, json_t *doc);

#endif
