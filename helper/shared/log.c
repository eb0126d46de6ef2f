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
static int log_timestamps, log_journal;

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

void tn_log(enum tn_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	static const int syslog_priority[] = {3, 4, 6, 7}; /* LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG */
	if (level > log_threshold)
		return;
	char text[1024], stamp[40] = "", prefix[8] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (log_timestamps) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(stamp + n, sizeof stamp - n, ".%03ldZ ", ts.tv_nsec / 1000000);
	}
	if (log_journal) /* journald reads "<N>" as the line's priority and strips it */
		snprintf(prefix, sizeof prefix, "<%d>", syslog_priority[level]);
	fprintf(stderr, "%s%stailnet-helper[%s]: %s: %s\n", prefix, stamp, log_command, names[level], text);
}

int tn_log_timestamps_env(int fallback)
{
	const char *v = getenv("TN_LOG_TIMESTAMPS");
	if (!v)
		return fallback;
	return *v && strcmp(v, "0") != 0;
}
