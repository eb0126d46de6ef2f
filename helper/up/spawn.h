/* SPDX-License-Identifier: BSD-3-Clause */
/* spawn.h - starting the programs `up` runs: daemons that outlive it (tailscaled, the watcher, the DNS
 * responder) and commands it waits for (tailscale up).
 *
 * Contract: both take an argv whose argv[0] is a path or a name looked up on PATH, pass the environment on
 * as it is, and give the child stdin from /dev/null, default signal dispositions and an empty signal mask.
 * tn_spawn_daemon() starts it in a session of its own (setsid: no terminal, untouched by the shell's job
 * control and hangups) with stdout and stderr appended to `log_path` (created 0600), writes the child's
 * pidfile line just before the exec when `pidfile` is set, and returns once the exec has happened: a
 * program that cannot be run at all is an error here, not a silent exit later. The child stays ours until
 * we exit; tn_spawn_exited() asks about it without waiting. tn_spawn_wait() runs a command with its
 * stdout and stderr on our stderr (the caller's stdout stays for its own summary) and waits up to
 * timeout_ms, killing it after that. Secrets never go into argv: callers pass file: references.
 * Errors follow err.h (TN_EXIT_FAIL), naming the program.
 */
#ifndef TAILNET_SPAWN_H
#define TAILNET_SPAWN_H

#include <sys/types.h>

#include "shared/err.h"

int tn_spawn_daemon(const char *const argv[], const char *log_path, const char *pidfile, pid_t *pid, struct tn_error *err);

/* 1 when the child has ended (*status as from waitpid, and it is reaped), 0 while it runs. */
int tn_spawn_exited(pid_t pid, int *status);

/* 0 with *status (as from waitpid) once the command ended; -1 when it could not run or took too long.
 * `keep_fd`, when >= 0, is a close-on-exec descriptor the command inherits under the same number (how a
 * key reaches `tailscale up` as file:/dev/fd/N); -1 for none. */
int tn_spawn_wait(const char *const argv[], int keep_fd, long timeout_ms, int *status, struct tn_error *err);

/* "exited 3", "killed by signal 9": what a waitpid status says, for messages. */
const char *tn_spawn_describe(int status, char *buf, size_t size);

#endif
