/* SPDX-License-Identifier: BSD-3-Clause */
/* test_up.c - the pure and local parts behind `up`: /proc stat lines and pidfiles (parse, alive, claim,
 * stop), the status brief from the reference documents and from hostile ones, the TUN probe, and spawning
 * (exit status, a program that does not exist, the time limit, a detached daemon in its own session). */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shared/pidfile.h"
#include "tailscaled/status_brief.h"
#include "unit.h"
#include "up/spawn.h"
#include "up/tun_probe.h"

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/tn-unit-up.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *name, const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
}

static const char *at(const char *name)
{
	static char p[128];
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return p;
}

static int stat_parse(const char *text, unsigned long long *st)
{
	return tn_proc_stat_parse(text, strlen(text), st);
}

START_TEST(proc_stat_lines)
{
	unsigned long long st = 0;
	const char *fields = " 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 10000 300";
	char line[512];
	snprintf(line, sizeof line, "42 (sleep) S%s\n", fields);
	ck_assert_int_eq(stat_parse(line, &st), 1);
	ck_assert_uint_eq(st, 987654);
	/* A command name with spaces and parentheses: fields count from the last ')'. */
	snprintf(line, sizeof line, "42 (a) (b c) R%s", fields);
	ck_assert_int_eq(stat_parse(line, &st), 1);
	ck_assert_uint_eq(st, 987654);
	snprintf(line, sizeof line, "42 (zombie) Z%s", fields);
	ck_assert_int_eq(stat_parse(line, &st), 0);
	ck_assert_int_eq(stat_parse("42 (short) S 1 1", &st), -1);
	ck_assert_int_eq(stat_parse("42 no parenthesis S 1", &st), -1);
	ck_assert_int_eq(stat_parse("42 (x)", &st), -1);
	snprintf(line, sizeof line, "42 (x) S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 98x7 1");
	ck_assert_int_eq(stat_parse(line, &st), -1);
	snprintf(line, sizeof line, "42 (x) S 1 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 99999999999999999999999 1");
	ck_assert_int_eq(stat_parse(line, &st), -1);
	/* And the real thing. */
	ck_assert_int_eq(tn_proc_alive(getpid(), &st), 1);
	ck_assert_uint_gt(st, 0);
	ck_assert_int_eq(tn_proc_alive(0x3ffffff0, &st), 0);
}
END_TEST

START_TEST(pidfile_lines)
{
	pid_t pid;
	unsigned long long st;
	ck_assert_int_eq(tn_pidfile_parse("123 456\n", 8, &pid, &st), 0);
	ck_assert_int_eq(pid, 123);
	ck_assert_uint_eq(st, 456);
	ck_assert_int_eq(tn_pidfile_parse("123 456", 7, &pid, &st), 0);
	const char *bad[] = {"", "0 1", "-1 2", "12", "12 ", "12 x", "12 3 4", " 12 3", "12  3", "012 3",
			     "99999999999 3", "12 3\n\n", "12\t3", "4 04", "12 +3"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(tn_pidfile_parse(bad[i], strlen(bad[i]), &pid, &st) == -1, "accepted [%s]", bad[i]);
	ck_assert_int_eq(tn_pidfile_parse("12 3\0\0", 6, &pid, &st), -1);
	char longer[80];
	memset(longer, '1', sizeof longer);
	ck_assert_int_eq(tn_pidfile_parse(longer, sizeof longer, &pid, &st), -1);
}
END_TEST

START_TEST(pidfile_alive_and_claim)
{
	unsigned long long st;
	ck_assert_int_eq(tn_proc_alive(getpid(), &st), 1);
	char line[64];
	pid_t pid = 0;
	ck_assert_int_eq(tn_pidfile_alive(at("missing.pid"), &pid), 0);
	put("stale.pid", "1073741000 5\n");
	ck_assert_int_eq(tn_pidfile_alive(at("stale.pid"), &pid), 0);
	/* Our pid with another start time: a recycled pid, not us. */
	snprintf(line, sizeof line, "%ld %llu\n", (long)getpid(), st + 1);
	put("recycled.pid", line);
	ck_assert_int_eq(tn_pidfile_alive(at("recycled.pid"), &pid), 0);
	put("garbage.pid", "hello\n");
	ck_assert_int_eq(tn_pidfile_alive(at("garbage.pid"), &pid), 0);

	struct tn_error err = {0};
	int fd = -1, fd2 = -1;
	put("claimed.pid", "stale content that is longer than a pid line\n");
	ck_assert_int_eq(tn_pidfile_claim(at("claimed.pid"), "the test", &fd, &err), 0);
	ck_assert_int_eq(tn_pidfile_alive(at("claimed.pid"), &pid), 1);
	ck_assert_int_eq(pid, getpid());
	/* OFD locks conflict between open file descriptions, even in one process. */
	ck_assert_int_eq(tn_pidfile_claim(at("claimed.pid"), "the test", &fd2, &err), -1);
	snprintf(line, sizeof line, "the test already runs (pid %ld", (long)getpid());
	ck_assert_msg(strstr(err.msg, line) != NULL, "message: %s", err.msg);
	close(fd);
	ck_assert_int_eq(tn_pidfile_claim(at("claimed.pid"), "the test", &fd2, &err), 0);
	close(fd2);
}
END_TEST

/* A child that writes its pidfile and then waits for signals: `ignore_term` makes it outlive SIGTERM. */
static pid_t child_with_pidfile(const char *path, int ignore_term)
{
	int ready[2];
	ck_assert_int_eq(pipe(ready), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Not Check's handler, which would pass the signal on to the whole process group. */
		signal(SIGTERM, ignore_term ? SIG_IGN : SIG_DFL);
		if (tn_pidfile_write_self(path) != 0)
			_exit(1);
		ssize_t ignored = write(ready[1], "x", 1);
		(void)ignored;
		for (;;)
			pause();
	}
	char c;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	close(ready[0]);
	close(ready[1]);
	return pid;
}

START_TEST(pidfile_stop)
{
	pid_t pid = child_with_pidfile(at("polite.pid"), 0), stopped = 0;
	ck_assert_int_eq(tn_pidfile_alive(at("polite.pid"), NULL), 1);
	ck_assert_int_eq(tn_pidfile_stop(at("polite.pid"), 5000, &stopped), 1);
	ck_assert_int_eq(stopped, pid);
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);

	pid = child_with_pidfile(at("stubborn.pid"), 1);
	ck_assert_int_eq(tn_pidfile_stop(at("stubborn.pid"), 200, &stopped), 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(tn_pidfile_stop(at("stubborn.pid"), 200, &stopped), 0);
}
END_TEST

static char *example(const char *name, size_t *len)
{
	char p[512];
	snprintf(p, sizeof p, "%s/tests/data/status-examples/%s", tn_srcdir(), name);
	FILE *f = fopen(p, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", p);
	static char buf[1 << 20];
	*len = fread(buf, 1, sizeof buf, f);
	fclose(f);
	return buf;
}

START_TEST(brief_examples)
{
	struct tn_brief b;
	struct tn_error err = {0};
	size_t len;
	char *text = example("running.json", &len);
	ck_assert_int_eq(tn_brief_parse(text, len, &b, &err), 0);
	ck_assert_str_eq(b.backend_state, "Running");
	ck_assert_int_eq(b.tun, 1);
	ck_assert_str_eq(b.tailnet, "example.com");
	ck_assert_str_eq(b.suffix, "magellanic-gondola.ts.net");
	ck_assert_str_eq(b.self_fqdn, "ci-runner-7.magellanic-gondola.ts.net");
	ck_assert_str_eq(b.self_host, "ci-runner-7");
	ck_assert_str_eq(b.self_ip, "100.88.14.7");
	ck_assert_str_eq(b.version, "1.102.3-t7dc695f92-g1a2b3c4d5");

	text = example("needs-login.json", &len);
	ck_assert_int_eq(tn_brief_parse(text, len, &b, &err), 0);
	ck_assert_str_eq(b.backend_state, "NeedsLogin");
	ck_assert_str_eq(b.tailnet, "");
	ck_assert_str_eq(b.self_fqdn, "");
	ck_assert_str_eq(b.self_ip, "");

	text = example("peers-false-userspace.json", &len);
	ck_assert_int_eq(tn_brief_parse(text, len, &b, &err), 0);
	ck_assert_int_eq(b.tun, 0);
}
END_TEST

START_TEST(brief_hostile)
{
	struct tn_brief b;
	struct tn_error err = {0};
	const char *bad[] = {"", "not json", "[]", "{}", "{\"BackendState\": 6}", "{\"BackendState\": \"\"}",
			     "{\"BackendState\": \"Running\", \"BackendState\": \"Stopped\"}", "{\"BackendState\": \"Run"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err.code = 0;
		ck_assert_msg(tn_brief_parse(bad[i], strlen(bad[i]), &b, &err) == -1, "accepted [%s]", bad[i]);
		ck_assert_int_eq(err.code, TN_EXIT_BAD_ANSWER);
	}
	/* Wrong types and control characters: empty or '?', never a crash or a raw escape on a terminal. */
	const char *odd = "{\"BackendState\": \"Run\\u001b[2Jning\", \"TUN\": \"yes\", \"CurrentTailnet\": [1],"
			  " \"Self\": {\"DNSName\": 7, \"TailscaleIPs\": \"100.1.2.3\", \"HostName\": null}}";
	ck_assert_int_eq(tn_brief_parse(odd, strlen(odd), &b, &err), 0);
	ck_assert_str_eq(b.backend_state, "Run?[2Jning");
	ck_assert_int_eq(b.tun, -1);
	ck_assert_str_eq(b.tailnet, "");
	ck_assert_str_eq(b.self_fqdn, "");
	ck_assert_str_eq(b.self_ip, "");
	/* Over-long values are cut to fit. */
	char big[2000];
	int n = snprintf(big, sizeof big, "{\"BackendState\": \"Running\", \"Self\": {\"DNSName\": \"");
	memset(big + n, 'a', 1500);
	strcpy(big + n + 1500, ".\"}}");
	ck_assert_int_eq(tn_brief_parse(big, strlen(big), &b, &err), 0);
	ck_assert_uint_eq(strlen(b.self_fqdn), sizeof b.self_fqdn - 1);
}
END_TEST

START_TEST(tun_probe)
{
	char why[200] = "";
	ck_assert_int_eq(tn_tun_usable(at("no-such-device"), why, sizeof why), 0);
	ck_assert_msg(strstr(why, "cannot be opened") != NULL, "why: %s", why);
	if (geteuid() == 0) /* root holds CAP_NET_ADMIN; its absence is tested end to end (setpriv) */
		ck_assert_int_eq(tn_tun_usable("/dev/null", why, sizeof why), 1);
}
END_TEST

START_TEST(spawn_wait)
{
	struct tn_error err = {0};
	int status = -1;
	char how[80];
	const char *ok[] = {"sh", "-c", "exit 3", NULL};
	ck_assert_int_eq(tn_spawn_wait(ok, -1, 5000, &status, &err), 0);
	ck_assert_str_eq(tn_spawn_describe(status, how, sizeof how), "exited 3");
	const char *missing[] = {"/nonexistent/program", NULL};
	ck_assert_int_eq(tn_spawn_wait(missing, -1, 5000, &status, &err), -1);
	ck_assert_msg(strstr(err.msg, "cannot run /nonexistent/program: No such file") != NULL, "%s", err.msg);
	const char *slow[] = {"sleep", "10", NULL};
	ck_assert_int_eq(tn_spawn_wait(slow, -1, 100, &status, &err), -1);
	ck_assert_msg(strstr(err.msg, "did not finish") != NULL, "%s", err.msg);
	/* keep_fd: a close-on-exec descriptor the command reads as /dev/fd/N; others stay closed. */
	int fd = memfd_create("spawn-test", MFD_CLOEXEC), other = memfd_create("other", MFD_CLOEXEC);
	ck_assert_int_eq(write(fd, "value\n", 6), 6);
	char script[200];
	snprintf(script, sizeof script, "test \"$(cat /dev/fd/%d)\" = value && ! test -e /dev/fd/%d", fd, other);
	const char *reads[] = {"sh", "-c", script, NULL};
	ck_assert_int_eq(tn_spawn_wait(reads, fd, 5000, &status, &err), 0);
	ck_assert_str_eq(tn_spawn_describe(status, how, sizeof how), "exited 0");
	ck_assert_int_eq(tn_spawn_wait(reads, -1, 5000, &status, &err), 0);
	ck_assert_str_eq(tn_spawn_describe(status, how, sizeof how), "exited 1");
	close(fd);
	close(other);
}
END_TEST

START_TEST(spawn_daemon)
{
	struct tn_error err = {0};
	char log[128], script[400];
	snprintf(log, sizeof log, "%s/daemon.log", dir);
	/* Fields 1 and 6 of its stat line: pid and session, equal for a session leader. */
	snprintf(script, sizeof script, "cut -d' ' -f1,6 /proc/$$/stat; cat; exit 4");
	const char *argv[] = {"sh", "-c", script, NULL};
	pid_t pid;
	ck_assert_int_eq(tn_spawn_daemon(argv, log, at("daemon.pid"), &pid, &err), 0);
	int status;
	while (!tn_spawn_exited(pid, &status))
		usleep(10000);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 4);
	FILE *f = fopen(log, "r");
	ck_assert_ptr_nonnull(f);
	long a = 0, b = 0;
	ck_assert_int_eq(fscanf(f, "%ld %ld", &a, &b), 2);
	fclose(f);
	ck_assert_int_eq(a, pid);
	ck_assert_int_eq(b, pid); /* its own session; `cat` got /dev/null, so it did not wait for a terminal */
	struct stat st;
	ck_assert_int_eq(stat(log, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	FILE *pf = fopen(at("daemon.pid"), "r");
	ck_assert_ptr_nonnull(pf);
	ck_assert_int_eq(fscanf(pf, "%ld", &a), 1);
	fclose(pf);
	ck_assert_int_eq(a, pid);
	const char *missing[] = {"/nonexistent/daemon", NULL};
	ck_assert_int_eq(tn_spawn_daemon(missing, log, NULL, &pid, &err), -1);
	ck_assert_msg(strstr(err.msg, "No such file") != NULL, "%s", err.msg);
}
END_TEST

static Suite *up_suite(void)
{
	Suite *s = suite_create("up");
	TCase *tc = tcase_create("up");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, proc_stat_lines);
	tcase_add_test(tc, pidfile_lines);
	tcase_add_test(tc, pidfile_alive_and_claim);
	tcase_add_test(tc, pidfile_stop);
	tcase_add_test(tc, brief_examples);
	tcase_add_test(tc, brief_hostile);
	tcase_add_test(tc, tun_probe);
	tcase_add_test(tc, spawn_wait);
	tcase_add_test(tc, spawn_daemon);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(up_suite)
