/* SPDX-License-Identifier: BSD-3-Clause */
/* log.h - the helper's diagnostics on stderr.
 *
 * One line per event, "tailnet-helper[<cmd>]: <level>: <text>", readable both by journald (which adds its
 * own timestamp) and in a plain log file (set TN_LOG_TIMESTAMPS / --timestamps to prefix an ISO-8601 UTC time
 * with milliseconds). When stderr is journald's stream (JOURNAL_STREAM matches it), each line starts with the
 * "<N>" syslog priority journald files it under. Nothing secret is ever passed here. Levels below the
 * configured one are dropped.
 */
#ifndef TAILNET_LOG_H
#define TAILNET_LOG_H

enum tn_log_level { TN_LOG_ERROR = 0, TN_LOG_WARN = 1, TN_LOG_INFO = 2, TN_LOG_DEBUG = 3 };

void tn_log_setup(const char *command, enum tn_log_level level, int timestamps);
/* 1 when stderr is connected to journald (which timestamps lines itself). */
int tn_log_to_journal(void);
/* TN_LOG_TIMESTAMPS as every command reads it: "0" or empty means off, any other value on; unset gives
 * `fallback`. */
int tn_log_timestamps_env(int fallback);
enum tn_log_level tn_log_level(void);
void tn_log(enum tn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The line that ends a command ("tailnet-helper sync: <why>"), whatever the level: with the timestamp when
 * they are on, and "<3>" (LOG_ERR) when stderr is journald's, so `journalctl -p err` shows why a unit failed.
 * Works before tn_log_setup() too (usage errors come first). */
void tn_log_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define tn_error_log(...) tn_log(TN_LOG_ERROR, __VA_ARGS__)
#define tn_warn(...) tn_log(TN_LOG_WARN, __VA_ARGS__)
#define tn_info(...) tn_log(TN_LOG_INFO, __VA_ARGS__)
#define tn_debug(...) tn_log(TN_LOG_DEBUG, __VA_ARGS__)

#endif
