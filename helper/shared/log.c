/* SPDX-License-Identifier: BSD-3-Clause */
/* log.c - see log.h. One fprintf per line so concurrent writers never interleave inside a line. */
#include "shared/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

static const char *log_command = "tailnet-helper";
static enum tn_log_level log_threshold = TN_LOG_INFO;
static int log_timestamps, log_journal = -1; /* -1: not looked at yet */

int tn_log_to_journal(void)
{
	/* systemd sets JOURNAL_STREAM to "<dev>:<inode>" of the stream it connects stderr to; a match means
	 * stderr still is that stream (not redirected by a shell in between). */
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) != 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void tn_log_setup(const char *command, enum tn_log_level level, int timestamps)
{
	log_command = command;
	log_threshold = level;
	log_timestamps = timestamps;
	log_journal = tn_log_to_journal();
}

enum tn_log_level tn_log_level(void)
{
	return log_threshold;
}

/* "<N>" when stderr is journald's (it reads that as the line's priority and strips it), then the time stamp
 * when they are on. */
static void line_start(int syslog_priority, char *out, size_t size)
{
	size_t n = 0;
	out[0] = '\0';
	if (log_journal < 0)
		log_journal = tn_log_to_journal();
	if (log_journal)
		n = (size_t)snprintf(out, size, "<%d>", syslog_priority);
	if (log_timestamps && n < size) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n += strftime(out + n, size - n, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(out + n, size - n, ".%03ldZ ", ts.tv_nsec / 1000000);
	}
}

void tn_log(enum tn_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	static const int syslog_priority[] = {3, 4, 6, 7}; /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
	if (level > log_threshold)
		return;
	char text[1024], start[48];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	line_start(syslog_priority[level], start, sizeof start);
	fprintf(stderr, "%stailnet-helper[%s]: %s: %s\n", start, log_command, names[level], text);
}

void tn_log_fatal(const char *fmt, ...)
{
	char text[1024], start[48];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	line_start(3, start, sizeof start);
	fprintf(stderr, "%s%s\n", start, text);
}

int tn_log_timestamps_env(int fallback)
{
	const char *v = getenv("TN_LOG_TIMESTAMPS");
	if (!v)
		return fallback;
	return *v && strcmp(v, "0") != 0;
}
