/* SPDX-License-Identifier: BSD-3-Clause */
/* pidfile.h - which process runs a service that `up` manages, told so that a recycled pid is never taken
 * for it.
 *
 * Contract: a pidfile holds one line, "PID STARTTIME", STARTTIME being the process's start time in clock
 * ticks since boot (field 22 of /proc/PID/stat), which a process that later gets the same pid does not share.
 * tn_pidfile_alive() says whether the process a pidfile names still runs (a zombie does not count); a
 * missing, empty, garbled or stale file simply means "no". tn_pidfile_claim() is for a service that names
 * itself (watch, dns): it takes an OFD write lock on the file, held for as long as the descriptor stays open
 * (the whole life of the process), so a second claimant fails instead of running beside the first.
 * tn_pidfile_write_self() writes the line without a lock, from a forked child just before it execs a
 * program that knows nothing of pidfiles (tailscaled): the start time survives exec. tn_pidfile_stop() sends
 * SIGTERM, waits, and sends SIGKILL only when the process outlives the wait.
 * Errors: tn_pidfile_claim follows err.h; the others return what they say, never print.
 */
#ifndef TAILNET_PIDFILE_H
#define TAILNET_PIDFILE_H

#include <sys/types.h>

#include "shared/err.h"

/* Parses the text of /proc/PID/stat: 1 and *starttime when the process is alive (not a zombie or dead), 0
 * when it is not, -1 when the text is not a stat line. */
int tn_proc_stat_parse(const char *text, size_t len, unsigned long long *starttime);

/* 1 and *starttime when process `pid` exists and is not a zombie, else 0. */
int tn_proc_alive(pid_t pid, unsigned long long *starttime);

/* Parses a pidfile's text: 0 with pid and starttime, -1 when it is not one "PID STARTTIME" line. */
int tn_pidfile_parse(const char *text, size_t len, pid_t *pid, unsigned long long *starttime);

/* 1 when the process named in `path` still runs (*pid set, when pid is not NULL), 0 otherwise. */
int tn_pidfile_alive(const char *path, pid_t *pid);

/* Takes the lock and writes our own line. *fd stays open (close-on-exec) and must not be closed before the
 * service ends. When another live process holds it: TN_EXIT_FAIL, "... already runs (pid N)". */
int tn_pidfile_claim(const char *path, const char *what, int *fd, struct tn_error *err);

/* For a forked child, before exec: 0, or -1 with errno. */
int tn_pidfile_write_self(const char *path);

/* Stops the process the pidfile names: 1 stopped (*pid set), 0 nothing ran, -1 it survived SIGKILL too. */
int tn_pidfile_stop(const char *path, long wait_ms, pid_t *pid);

#endif
