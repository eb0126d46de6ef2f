/* SPDX-License-Identifier: BSD-3-Clause */
/* sd_notify.c - see sd_notify.h. */
#include "shared/sd_notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shared/monotime.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len; /* 0: no NOTIFY_SOCKET */
static long watchdog_ms;
static int64_t watchdog_last;

void tn_notify_init(void)
{
	notify_len = 0;
	watchdog_ms = 0;
	watchdog_last = 0;
	const char *sock = getenv("NOTIFY_SOCKET");
	size_t n = sock ? strlen(sock) : 0;
	if (n >= 2 && n < sizeof notify_addr.sun_path && (sock[0] == '/' || sock[0] == '@')) {
		notify_addr.sun_family = AF_UNIX;
		memcpy(notify_addr.sun_path, sock, n);
		if (sock[0] == '@')
			notify_addr.sun_path[0] = '\0'; /* abstract: no terminating NUL counts */
		notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (sock[0] == '/'));
	}
	/* WATCHDOG_PID, when set, names the process the watchdog is for (sd_watchdog_enabled(3)). */
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;
	long long us = usec ? strtoll(usec, &end, 10) : 0;
	if (notify_len && us > 0 && !*end && (!pid || atol(pid) == (long)getpid()))
		watchdog_ms = (long)(us / 1000 / 2 > 0 ? us / 1000 / 2 : 1);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

static void send_text(const char *text)
{
	if (!notify_len)
		return;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	/* Best effort, as sd_notify(3): a systemd that does not listen changes nothing for the service. */
	ssize_t rc;
	do
		rc = sendto(fd, text, strlen(text), MSG_NOSIGNAL, (const struct sockaddr *)&notify_addr, notify_len);
	while (rc < 0 && errno == EINTR);
	close(fd);
}

void tn_notify_status(int ready, const char *fmt, ...)
{
	if (!notify_len)
		return;
	char text[600];
	int n = snprintf(text, sizeof text, "%sSTATUS=", ready ? "READY=1\n" : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text + n, sizeof text - (size_t)n, fmt, ap);
	va_end(ap);
	for (char *p = text + n; *p; p++) /* STATUS= is one line */
		if (*p == '\n')
			*p = ' ';
	send_text(text);
}

void tn_notify_stopping(void)
{
	send_text("STOPPING=1");
}

long tn_notify_watchdog_ms(void)
{
	return watchdog_ms;
}

void tn_notify_watchdog(void)
{
	if (!watchdog_ms)
		return;
	int64_t now = tn_now_ms();
	if (watchdog_last && now - watchdog_last < watchdog_ms / 2)
		return;
	watchdog_last = now;
	send_text("WATCHDOG=1");
}
