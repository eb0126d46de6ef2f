/* SPDX-License-Identifier: BSD-3-Clause */
/* sd_notify.h - telling systemd how a Type=notify service is doing, by the documented protocol (sd_notify(3),
 * "Notes"): one datagram of "KEY=VALUE" lines to the AF_UNIX socket named by $NOTIFY_SOCKET ('@' for the
 * abstract namespace). The protocol is stable and a dozen lines, so the helper does not link libsystemd
 * (nor, through it, liblzma, libzstd, liblz4, libgcrypt), runs unchanged where there is no systemd (containers,
 * entrypoints: no NOTIFY_SOCKET, every call does nothing), and the module never links anything but libc.
 *
 * Contract: tn_notify_init() runs once, first thing in main(): it takes NOTIFY_SOCKET, WATCHDOG_USEC and
 * WATCHDOG_PID out of the environment (as sd_notify(3)'s unset_environment does), so that nothing the helper
 * starts (tailscaled, the watcher, the responder) talks to systemd in its name. After that the calls below
 * send to the saved socket, or do nothing when there is none; they never fail the caller.
 */
#ifndef TAILNET_SD_NOTIFY_H
#define TAILNET_SD_NOTIFY_H

void tn_notify_init(void);
/* "READY=1" when `ready`, and "STATUS=<text>" (one line; systemctl status shows it). */
void tn_notify_status(int ready, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "STOPPING=1". */
void tn_notify_stopping(void);
/* How often a loop must call tn_notify_watchdog() (half of WatchdogSec=), in ms; 0 when there is no
 * watchdog for this process. */
long tn_notify_watchdog_ms(void);
/* "WATCHDOG=1", at most once per tn_notify_watchdog_ms() / 2 however often it is called. */
void tn_notify_watchdog(void);

#endif
