/* SPDX-License-Identifier: BSD-3-Clause */
/* pidfile.c - see pidfile.h. */
#include "shared/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/monotime.h"

int tn_proc_stat_parse(const char *text, size_t len, unsigned long long *starttime)
{
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses, so the fields start after the
	 * LAST ')'. STARTTIME is field 22, the 20th after COMM. */
	const char *close = NULL;
	for (size_t i = 0; i < len; i++)
		if (text[i] == ')')
			close = text + i;
	if (!close || (size_t)(close - text) + 3 > len || close[1] != ' ')
		return -1;
	char state = close[2];
	const char *p = close + 2, *end = text + len;
	for (int field = 3; field < 22; field++) {
		while (p < end && *p != ' ')
			p++;
		if (p == end)
			return -1;
		p++;
	}
	unsigned long long v = 0;
	const char *digits = p;
	while (p < end && *p >= '0' && *p <= '9') {
		if (v > (~0ULL - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p++ - '0');
	}
	if (p == digits || (p < end && *p != ' ' && *p != '\n'))
		return -1;
	*starttime = v;
	return state == 'Z' || state == 'X' || state == 'x' ? 0 : 1;
}

int tn_proc_alive(pid_t pid, unsigned long long *starttime)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n;
	do
		n = read(fd, buf, sizeof buf);
	while (n < 0 && errno == EINTR);
	close(fd);
	return n > 0 && tn_proc_stat_parse(buf, (size_t)n, starttime) == 1;
}

int tn_pidfile_parse(const char *text, size_t len, pid_t *pid, unsigned long long *starttime)
{
	char buf[64], *end;
	if (len == 0 || len >= sizeof buf || memchr(text, 0, len))
		return -1;
	memcpy(buf, text, len);
	buf[len] = 0;
	if (buf[0] < '1' || buf[0] > '9')
		return -1;
	errno = 0;
	long p = strtol(buf, &end, 10);
	if (errno || p <= 0 || p > 0x3fffffff || *end != ' ' || end[1] < '0' || end[1] > '9' ||
	    (end[1] == '0' && end[2] >= '0' && end[2] <= '9'))
		return -1;
	unsigned long long st = strtoull(end + 1, &end, 10);
	if (errno || (*end && strcmp(end, "\n") != 0))
		return -1;
	*pid = (pid_t)p;
	*starttime = st;
	return 0;
}

int tn_pidfile_alive(const char *path, pid_t *pid)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	pid_t p;
	unsigned long long want, have;
	if (n <= 0 || tn_pidfile_parse(buf, (size_t)n, &p, &want) != 0 || !tn_proc_alive(p, &have) || have != want)
		return 0;
	if (pid)
		*pid = p;
	return 1;
}

/* "PID STARTTIME\n" of the calling process, without stdio (it also runs between fork and exec). */
static int self_line(char *out, size_t size)
{
	unsigned long long st;
	pid_t pid = getpid();
	if (!tn_proc_alive(pid, &st))
		return -1;
	int n = snprintf(out, size, "%ld %llu\n", (long)pid, st);
	return n > 0 && (size_t)n < size ? n : -1;
}

int tn_pidfile_write_self(const char *path)
{
	char line[64];
	int n = self_line(line, sizeof line);
	if (n < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return -1;
	int rc = write(fd, line, (size_t)n) == n ? 0 : -1;
	close(fd);
	return rc;
}

int tn_pidfile_claim(const char *path, const char *what, int *fd_out, struct tn_error *err)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "pidfile %s: %s", path, strerror(errno));
	struct flock lk = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	if (fcntl(fd, F_OFD_SETLK, &lk) != 0) {
		int e = errno;
		close(fd);
		pid_t other = 0;
		if (e == EAGAIN || e == EACCES) {
			if (tn_pidfile_alive(path, &other))
				return tn_error_set(err, TN_EXIT_FAIL, "%s already runs (pid %ld, %s)", what,
						    (long)other, path);
			return tn_error_set(err, TN_EXIT_FAIL, "%s already runs (%s is locked)", what, path);
		}
		return tn_error_set(err, TN_EXIT_FAIL, "pidfile %s: cannot lock: %s", path, strerror(e));
	}
	char line[64];
	int n = self_line(line, sizeof line);
	if (n < 0 || ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
		close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "pidfile %s: cannot write: %s", path, strerror(errno));
	}
	*fd_out = fd;
	return 0;
}

/* Waits up to wait_ms for the process to be gone: 1 gone, 0 still there. */
static int wait_gone(const char *path, long wait_ms)
{
	for (long waited = 0;; waited += 10) {
		if (!tn_pidfile_alive(path, NULL))
			return 1;
		if (waited >= wait_ms)
			return 0;
		tn_sleep_ms(10);
	}
}

int tn_pidfile_stop(const char *path, long wait_ms, pid_t *pid)
{
	pid_t p;
	if (!tn_pidfile_alive(path, &p))
		return 0;
	*pid = p;
	if (kill(p, SIGTERM) != 0 && errno == ESRCH)
		return 1;
	if (wait_gone(path, wait_ms))
		return 1;
	/* Re-read: the identity check above makes sure the pid still is the process we meant. */
	if (tn_pidfile_alive(path, &p) && p == *pid)
		kill(p, SIGKILL);
	return wait_gone(path, 2000) ? 1 : -1;
}
