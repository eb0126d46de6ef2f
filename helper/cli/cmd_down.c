/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_down.c - `tailnet-helper down`: stops what `up` started (the watcher, the DNS responder and the
 * tailscaled it launched), by their pidfiles, and keeps tailscaled's state for the next `up`. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "shared/monotime.h"
#include "up/up.h"

#define WAIT_LIMIT_S 600L

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper down [--state-dir DIR] [--timeout SECONDS] [--verbose] [--quiet]\n\n"
		"Stops what 'tailnet-helper up' started for this state directory - the watcher, the DNS responder\n"
		"(restoring the resolv.conf that 'up --dns' rewrote) and the tailscaled it launched - each with\n"
		"SIGTERM, then SIGKILL if it is still there after --timeout seconds (default 10). A tailscaled that\n"
		"up found running (a system service, say) is left alone. Its state stays, so the next 'up' comes\n"
		"back as the same node without a new login. Waits for an 'up' in progress to finish first.\n\n"
		"  --state-dir DIR     as for up (default %s for root, else ~/.local/state/tailnet)\n\n"
		"exit codes: 0 stopped, or nothing was running; 1 something survived SIGKILL, or the state\n"
		"directory is unusable; 2 usage\n",
		TN_STATE_DIR_ROOT);
}

/* Waits for a running `up` to let go of the lock, so that nothing is started again behind our back. */
static int wait_for_up(const char *state_dir, long wait_ms, int *fd, struct tn_error *err)
{
	char path[PATH_MAX];
	tn_up_path(state_dir, TN_UP_LOCK, path);
	*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (*fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot open %s: %s", path, strerror(errno));
	for (long waited = 0; flock(*fd, LOCK_EX | LOCK_NB) != 0; waited += 50) {
		if (waited >= wait_ms)
			return tn_error_set(err, TN_EXIT_FAIL, "an 'up' still holds %s after %ld s", path, wait_ms / 1000);
		tn_sleep_ms(50);
	}
	return 0;
}

int cmd_down(int argc, char **argv)
{
	static const struct option opts[] = {{"state-dir", required_argument, NULL, 'd'},
					     {"timeout", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	char state_dir[PATH_MAX];
	const char *state_option = NULL;
	long wait_s = 10;
	struct tn_error err = {0};
	int c;
	struct cmd_parser p = CMD_PARSER("down", "", opts, usage, TN_LOG_INFO, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case 'd':
			state_option = optarg;
			break;
		case 't':
			if (tn_parse_seconds(optarg, WAIT_LIMIT_S, &wait_s) < 0)
				return cmd_usage_error(&p, "--timeout wants whole seconds from 1 to %ld", WAIT_LIMIT_S);
			break;
		}
	}
	if (c == CMD_EXIT)
		return p.exit;
	tn_log_setup("down", p.level, tn_log_timestamps_env(0));
	if (tn_up_state_dir(state_option, state_dir, &err) != 0)
		return cmd_fail("down", &err);
	if (access(state_dir, F_OK) != 0 && errno == ENOENT) {
		printf("nothing was running (no state directory %s)\n", state_dir);
		return TN_EXIT_OK;
	}
	int lock = -1;
	int rc = tn_up_prepare_state_dir(state_dir, &err);
	if (rc == 0)
		rc = wait_for_up(state_dir, wait_s * 1000 * 6, &lock, &err);
	if (rc == 0)
		rc = tn_up_stop_all(state_dir, wait_s * 1000, &err);
	if (lock >= 0)
		close(lock);
	return rc == 0 ? TN_EXIT_OK : cmd_fail("down", &err);
}
