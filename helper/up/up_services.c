/* SPDX-License-Identifier: BSD-3-Clause */
/* up_services.c - the helper's own long-running parts that `up` starts and `down` stops: the watcher and the
 * DNS responder, each a detached `tailnet-helper` process with a pidfile in the state directory (see up.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dns/dns_server.h"
#include "dns/resolv_conf.h"
#include "shared/log.h"
#include "shared/monotime.h"
#include "shared/pidfile.h"
#include "up/spawn.h"
#include "up/state_dir.h"
#include "up/up.h"

#define STOP_WAIT_DEFAULT_MS 10000L

/* Starts `tailnet-helper ARGS...` (this very executable) detached, and waits until it has claimed its
 * pidfile - so that the next `up` sees it - or has died. */
static int start_service(const struct tn_up_config *cfg, const char *what, const char **args, const char *pidfile,
			 const char *log_name, pid_t *pid, struct tn_error *err)
{
	char self[PATH_MAX], log_path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot find my own executable: %s", strerror(errno));
	self[n] = 0;
	tn_up_path(cfg->state_dir, log_name, log_path);
	const char *argv[16] = {self};
	for (int i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	if (tn_spawn_daemon(argv, log_path, NULL, pid, err) != 0)
		return -1;
	for (long waited = 0;; waited += 10) {
		pid_t claimed;
		int status;
		char how[80];
		if (tn_pidfile_alive(pidfile, &claimed) && claimed == *pid)
			return 0;
		if (tn_spawn_exited(*pid, &status))
			return tn_error_set(err, TN_EXIT_FAIL, "tailnet-helper %s %s; see %s", what,
					    tn_spawn_describe(status, how, sizeof how), log_path);
		if (waited >= cfg->timeout_ms)
			return tn_error_set(err, TN_EXIT_FAIL, "tailnet-helper %s did not start within %ld s; see %s",
					    what, cfg->timeout_ms / 1000, log_path);
		tn_sleep_ms(10);
	}
}

/* The argument after --socket on a running process's command line; "" when there is none. */
static void socket_argument(pid_t pid, char *out, size_t size)
{
	char path[64], buf[8192];
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	out[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	for (const char *a = buf, *end = buf + n; a < end; a += strlen(a) + 1)
		if (!strcmp(a, "--socket") && a + strlen(a) + 1 < end) {
			snprintf(out, size, "%s", a + strlen(a) + 1);
			return;
		}
}

/* Whether the running watcher `pid` follows `sock` (one without --socket follows whichever it found);
 * `follows` gets the socket it names. */
static bool follows_socket(pid_t pid, const char *sock, char *follows, size_t size)
{
	socket_argument(pid, follows, size);
	return !*follows || !strcmp(follows, sock);
}

bool tn_up_watcher_follows(const struct tn_up_config *cfg, const char *sock, pid_t *pid)
{
	char pidfile[PATH_MAX], follows[PATH_MAX];
	tn_up_path(cfg->state_dir, TN_UP_WATCH_PID, pidfile);
	return tn_pidfile_alive(pidfile, pid) && follows_socket(*pid, sock, follows, sizeof follows);
}

int tn_up_ensure_watcher(const struct tn_up_config *cfg, const char *sock, pid_t *pid, bool *started,
			 struct tn_error *err)
{
	char pidfile[PATH_MAX], follows[PATH_MAX];
	tn_up_path(cfg->state_dir, TN_UP_WATCH_PID, pidfile);
	*started = false;
	if (tn_pidfile_alive(pidfile, pid)) {
		if (follows_socket(*pid, sock, follows, sizeof follows))
			return 0;
		/* One watcher per state directory, and it must follow the daemon up uses now. */
		tn_info("the watcher (pid %ld) follows %s, not %s: replacing it", (long)*pid, follows, sock);
		pid_t old;
		if (tn_pidfile_stop(pidfile, STOP_WAIT_DEFAULT_MS, &old) < 0)
			return tn_error_set(err, TN_EXIT_FAIL, "the watcher (pid %ld) for %s does not stop", (long)old,
					    follows);
	}
	const char *args[] = {"watch", "--socket", sock, "--cache", cfg->cache, "--pidfile", pidfile, NULL};
	if (start_service(cfg, "watch", args, pidfile, TN_UP_WATCH_LOG, pid, err) != 0)
		return -1;
	*started = true;
	return 0;
}

int tn_up_ensure_dns(const struct tn_up_config *cfg, const char *suffix, pid_t *pid, bool *started,
		     struct tn_error *err)
{
	char pidfile[PATH_MAX], applied[PATH_MAX], backup[PATH_MAX + 32];
	tn_up_path(cfg->state_dir, TN_UP_DNS_PID, pidfile);
	tn_up_path(cfg->state_dir, TN_UP_DNS_APPLIED, applied);
	*started = false;
	if (!tn_pidfile_alive(pidfile, pid)) {
		const char *args[] = {"dns", "--cache", cfg->cache, "--pidfile", pidfile, NULL};
		if (start_service(cfg, "dns", args, pidfile, TN_UP_DNS_LOG, pid, err) != 0)
			return -1;
		*started = true;
	}
	/* Recorded before the rewrite, so that down reverts even an apply that failed half-way. */
	int fd = open(applied, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || dprintf(fd, "%s\n", cfg->resolv_conf) < 0) {
		if (fd >= 0)
			close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "cannot write %s: %s", applied, strerror(errno));
	}
	close(fd);
	snprintf(backup, sizeof backup, "%s" TN_RESOLV_BACKUP_SUFFIX, cfg->resolv_conf);
	int changed;
	struct tn_resolv_notes notes = {0};
	if (tn_resolv_apply(cfg->resolv_conf, backup, TN_DNS_DEFAULT_ADDR, suffix, &changed, &notes, err) != 0)
		return -1;
	if (changed)
		tn_info("%s: nameserver %s first, %s searched (original saved as %s)", cfg->resolv_conf,
			TN_DNS_DEFAULT_ADDR, suffix, backup);
	if (notes.dropped)
		tn_warn("%s: %d nameserver line(s) beyond the third are commented out (resolvers read only 3)",
			cfg->resolv_conf, notes.dropped);
	return 0;
}

static int stop_one(const char *state_dir, const char *name, const char *what, long wait_ms, int *stopped)
{
	char pidfile[PATH_MAX];
	tn_up_path(state_dir, name, pidfile);
	pid_t pid;
	int rc = tn_pidfile_stop(pidfile, wait_ms, &pid);
	if (rc == 1) {
		printf("stopped %s (pid %ld)\n", what, (long)pid);
		(*stopped)++;
	} else if (rc < 0) {
		tn_error_log("%s (pid %ld) survived SIGKILL", what, (long)pid);
	}
	return rc < 0 ? -1 : 0;
}

/* The resolv.conf that `up --dns` rewrote, from the note it left: 1 found, 0 none. */
static int applied_resolv_conf(const char *note, char *out, size_t size)
{
	int fd = open(note, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, out, size - 1);
	close(fd);
	if (n <= 1 || out[0] != '/')
		return 0;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	return 1;
}

int tn_up_stop_all(const char *state_dir, long wait_ms, struct tn_error *err)
{
	int stopped = 0, failed = 0;
	if (wait_ms <= 0)
		wait_ms = STOP_WAIT_DEFAULT_MS;
	failed |= stop_one(state_dir, TN_UP_WATCH_PID, "tailnet-helper watch", wait_ms, &stopped);
	failed |= stop_one(state_dir, TN_UP_DNS_PID, "tailnet-helper dns", wait_ms, &stopped);
	char note[PATH_MAX], resolv[PATH_MAX], backup[PATH_MAX + 32];
	tn_up_path(state_dir, TN_UP_DNS_APPLIED, note);
	if (applied_resolv_conf(note, resolv, sizeof resolv)) {
		int changed;
		snprintf(backup, sizeof backup, "%s" TN_RESOLV_BACKUP_SUFFIX, resolv);
		if (tn_resolv_revert(resolv, backup, &changed, err) != 0)
			return -1;
		if (changed)
			printf("restored %s\n", resolv);
		unlink(note);
	}
	failed |= stop_one(state_dir, TN_UP_DAEMON_PID, "tailscaled", wait_ms, &stopped);
	if (!stopped)
		printf("nothing was running (state directory %s)\n", state_dir);
	if (failed)
		return tn_error_set(err, TN_EXIT_FAIL, "something that up started is still running");
	return 0;
}
