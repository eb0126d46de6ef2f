/* SPDX-License-Identifier: BSD-3-Clause */
/* spawn.c - see spawn.h. Between fork and exec the child makes only system calls (and snprintf into a
 * buffer, which takes no lock): the helper may have libcurl threads, and a lock one of them held at fork
 * time would never be released in the child. */
#include "up/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/monotime.h"
#include "shared/pidfile.h"

/* The child's side: reports errno through the close-on-exec pipe and ends. */
_Noreturn static void child_fail(int report)
{
	int e = errno;
	ssize_t ignored = write(report, &e, sizeof e);
	(void)ignored;
	_exit(127);
}

static void child_common(int report)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP and the reserved ones */
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0)
		child_fail(report);
}

/* Forks; in the child runs setup(ctx) then execvp. In the parent returns the pid once the exec happened
 * (the pipe closed without a word), or -1 with the child's errno. */
static pid_t start(const char *const argv[], void (*setup)(int report, const void *ctx), const void *ctx, int *child_errno)
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0) {
		*child_errno = errno;
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		*child_errno = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child_common(pipefd[1]);
		setup(pipefd[1], ctx);
		execvp(argv[0], (char *const *)argv);
		child_fail(pipefd[1]);
	}
	close(pipefd[1]);
	int e = 0;
	ssize_t n;
	do
		n = read(pipefd[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(pipefd[0]);
	if (n == (ssize_t)sizeof e) {
		waitpid(pid, NULL, 0);
		*child_errno = e;
		return -1;
	}
	return pid;
}

struct daemon_ctx {
	const char *log_path, *pidfile;
};

static void daemon_setup(int report, const void *ctx)
{
	const struct daemon_ctx *d = ctx;
	if (setsid() < 0)
		child_fail(report);
	int log = open(d->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (log < 0 || dup2(log, STDOUT_FILENO) < 0 || dup2(log, STDERR_FILENO) < 0)
		child_fail(report);
	if (d->pidfile && tn_pidfile_write_self(d->pidfile) != 0)
		child_fail(report);
}

int tn_spawn_daemon(const char *const argv[], const char *log_path, const char *pidfile, pid_t *pid, struct tn_error *err)
{
	struct daemon_ctx d = {log_path, pidfile};
	int e;
	pid_t p = start(argv, daemon_setup, &d, &e);
	if (p < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot start %s (log %s): %s", argv[0], log_path, strerror(e));
	*pid = p;
	return 0;
}

int tn_spawn_exited(pid_t pid, int *status)
{
	pid_t r;
	do
		r = waitpid(pid, status, WNOHANG);
	while (r < 0 && errno == EINTR);
	return r == pid || (r < 0 && errno == ECHILD);
}

static void command_setup(int report, const void *ctx)
{
	const int *keep_fd = ctx;
	if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || (*keep_fd >= 0 && fcntl(*keep_fd, F_SETFD, 0) != 0))
		child_fail(report);
}

int tn_spawn_wait(const char *const argv[], int keep_fd, long timeout_ms, int *status, struct tn_error *err)
{
	int e;
	pid_t p = start(argv, command_setup, &keep_fd, &e);
	if (p < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot run %s: %s", argv[0], strerror(e));
	for (long waited = 0; !tn_spawn_exited(p, status); waited += 20) {
		if (waited >= timeout_ms) {
			kill(p, SIGKILL);
			waitpid(p, NULL, 0);
			return tn_error_set(err, TN_EXIT_FAIL, "%s did not finish within %ld s; killed it", argv[0],
					    timeout_ms / 1000);
		}
		tn_sleep_ms(20);
	}
	return 0;
}

const char *tn_spawn_describe(int status, char *buf, size_t size)
{
	if (WIFEXITED(status))
		snprintf(buf, size, "exited %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, size, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
	else
		snprintf(buf, size, "ended (status %#x)", (unsigned)status);
	return buf;
}
