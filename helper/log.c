/* log.c - see log.h. One fprintf per line so concurrent writers never interleave inside a line. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static const char *log_command = "tailnet-helper";
static enum tn_log_level log_threshold = TN_LOG_INFO;
static int log_timestamps;

void tn_log_setup(const char *command, enum tn_log_level level, int timestamps)
{
	log_command = command;
	log_threshold = level;
	log_timestamps = timestamps;
}

enum tn_log_level tn_log_level(void)
{
	return log_threshold;
}

void tn_log(enum tn_log_level level, const char *fmt, ...)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	if (level > log_threshold)
		return;
	char text[1024], stamp[40] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (log_timestamps) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	fprintf(stderr, "%stailnet-helper[%s]: %s: %s\n", stamp, log_command, names[level], text);
}
