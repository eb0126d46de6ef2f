/* SPDX-License-Identifier: BSD-3-Clause */
/* test_sd_notify.c - the sd_notify protocol as systemd reads it: datagrams on $NOTIFY_SOCKET (a path or an
 * abstract '@' name), READY/STATUS/STOPPING/WATCHDOG, the environment cleared for children, the watchdog's
 * period and its WATCHDOG_PID check. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shared/sd_notify.h"
#include "unit.h"

static int listener = -1;
static char name[108];

/* A datagram socket where systemd's would be; `abstract`: in the abstract namespace. */
static void listen_at(int abstract)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(name, sizeof name, "%s/tmp/tn-unit-notify-%d", abstract ? "@" : "", (int)getpid());
	size_t n = strlen(name);
	memcpy(a.sun_path, name, n);
	if (abstract)
		a.sun_path[0] = '\0';
	else
		unlink(name);
	listener = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(listener, 0);
	ck_assert_int_eq(bind(listener, (struct sockaddr *)&a,
			      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + !abstract)),
			 0);
	setenv("NOTIFY_SOCKET", name, 1);
}

/* The next datagram, or "" when none arrives within 100 ms. */
static const char *next_message(void)
{
	static char buf[1024];
	struct timeval tv = {0, 100000};
	setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	ssize_t n = recv(listener, buf, sizeof buf - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static void teardown(void)
{
	if (listener >= 0)
		close(listener);
	listener = -1;
	if (name[0] == '/')
		unlink(name);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

START_TEST(ready_and_status_on_a_path)
{
	listen_at(0);
	tn_notify_init();
	ck_assert_ptr_null(getenv("NOTIFY_SOCKET")); /* children never inherit it */
	tn_notify_status(1, "answering on %s\nfrom %s", "127.100.100.100:53", "cache");
	ck_assert_str_eq(next_message(), "READY=1\nSTATUS=answering on 127.100.100.100:53 from cache");
	tn_notify_status(0, "generation %d", 7);
	ck_assert_str_eq(next_message(), "STATUS=generation 7");
	tn_notify_stopping();
	ck_assert_str_eq(next_message(), "STOPPING=1");
	ck_assert_int_eq(tn_notify_watchdog_ms(), 0);
	tn_notify_watchdog(); /* no watchdog: nothing sent */
	ck_assert_str_eq(next_message(), "");
}
END_TEST

START_TEST(abstract_socket)
{
	listen_at(1);
	tn_notify_init();
	tn_notify_status(1, "x");
	ck_assert_str_eq(next_message(), "READY=1\nSTATUS=x");
}
END_TEST

START_TEST(no_socket_no_harm)
{
	unsetenv("NOTIFY_SOCKET");
	setenv("WATCHDOG_USEC", "1000000", 1);
	tn_notify_init();
	tn_notify_status(1, "x");
	tn_notify_watchdog();
	ck_assert_int_eq(tn_notify_watchdog_ms(), 0);
	ck_assert_ptr_null(getenv("WATCHDOG_USEC"));
}
END_TEST

START_TEST(watchdog)
{
	char pid[16];
	listen_at(0);
	setenv("WATCHDOG_USEC", "400000", 1); /* WatchdogSec=0.4 */
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	tn_notify_init();
	ck_assert_int_eq(tn_notify_watchdog_ms(), 200); /* the loop wakes at least every half period */
	tn_notify_watchdog();
	ck_assert_str_eq(next_message(), "WATCHDOG=1");
	tn_notify_watchdog(); /* again at once: not sent twice within a quarter period */
	ck_assert_str_eq(next_message(), "");
	usleep(120000);
	tn_notify_watchdog();
	ck_assert_str_eq(next_message(), "WATCHDOG=1");
}
END_TEST

START_TEST(watchdog_for_another_pid)
{
	listen_at(0);
	setenv("WATCHDOG_USEC", "400000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	tn_notify_init();
	ck_assert_int_eq(tn_notify_watchdog_ms(), 0);
	tn_notify_watchdog();
	ck_assert_str_eq(next_message(), "");
}
END_TEST

static Suite *sd_notify_suite(void)
{
	Suite *s = suite_create("sd_notify");
	TCase *tc = tcase_create("sd_notify");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, ready_and_status_on_a_path);
	tcase_add_test(tc, abstract_socket);
	tcase_add_test(tc, no_socket_no_harm);
	tcase_add_test(tc, watchdog);
	tcase_add_test(tc, watchdog_for_another_pid);
	suite_add_tcase(s, tc);
	return s;
}

TN_UNIT_MAIN(sd_notify_suite)
