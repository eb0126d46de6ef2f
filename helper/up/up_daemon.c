/* SPDX-License-Identifier: BSD-3-Clause */
/* up_daemon.c - finding tailscaled, or starting it in kernel TUN or userspace-networking mode (see up.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/monotime.h"
#include "shared/pidfile.h"
#include "shared/secrets.h"
#include "tailscaled/localapi.h"
#include "up/spawn.h"
#include "up/state_dir.h"
#include "up/tun_probe.h"
#include "up/up.h"

#define PROBE_CONNECT_MS 1000L
#define PROBE_TIMEOUT_MS 5000L
#define LOG_TAIL_LINES 15

#define PROBE_UNTRUSTED (-2)

/* 1 answered (b filled, d->peer set), 0 no daemon there (said to be down when a socket refuses),
 * PROBE_UNTRUSTED it is served by a uid we do not trust, -1 it listens but gives no usable answer. */
static int probe(const char *sock, long timeout_ms, struct tn_up_daemon *d, struct tn_brief *b,
		 struct tn_error *err)
{
	struct tn_error why = {0};
	int rc = tn_localapi_probe_peer(sock, &d->peer, &why);
	if (rc == TN_PEER_DOWN || rc < 0)
		tn_info("%s", why.msg); /* a daemon that is down, or a socket we cannot use: said, and passed over */
	if (rc != 1)
		return 0;
	if (!tn_localapi_trusted(d->peer.uid)) {
		tn_localapi_untrusted(sock, &d->peer, err);
		return PROBE_UNTRUSTED;
	}
	struct tn_localapi api = {sock, PROBE_CONNECT_MS, timeout_ms};
	if (tn_brief_read(&api, b, err) != 0)
		return tn_error_wrap(err, "a tailscaled listens on %s but does not answer: ", sock);
	return 1;
}

/* Whether the daemon behind d->peer is the one whose pidfile is in the state directory. */
static bool started_by_up(const struct tn_up_config *cfg, const struct tn_up_daemon *d)
{
	char pidfile[PATH_MAX];
	pid_t pid;
	tn_up_path(cfg->state_dir, TN_UP_DAEMON_PID, pidfile);
	return d->peer.pid > 0 && tn_pidfile_alive(pidfile, &pid) && pid == d->peer.pid;
}

int tn_up_locate(const struct tn_up_config *cfg, long timeout_ms, struct tn_up_daemon *d, struct tn_brief *b,
		 struct tn_error *err)
{
	char own[PATH_MAX];
	tn_up_path(cfg->state_dir, TN_UP_DAEMON_SOCKET, own);
	const char *list[16] = {own};
	size_t n = 1;
	const char *named = cfg->socket ? cfg->socket : tn_localapi_env_socket();
	if (named && *named)
		list[0] = named;
	else if (cfg->mode == TN_MODE_TUN)
		list[0] = TN_SYSTEM_SOCKET;
	else if (cfg->mode == TN_MODE_AUTO)
		for (size_t i = 0; tn_localapi_default_sockets[i] && n < sizeof list / sizeof list[0]; i++)
			list[n++] = tn_localapi_default_sockets[i];
	memset(d, 0, sizeof *d);
	for (size_t i = 0; i < n; i++) {
		int rc = probe(list[i], timeout_ms, d, b, err);
		if (rc != 0) {
			snprintf(d->sock, sizeof d->sock, "%s", list[i]);
			d->ours = rc == 1 && started_by_up(cfg, d);
			return rc == 1 ? 1 : -1;
		}
	}
	/* Nobody answers. In auto mode the socket to start one on follows the mode it will run in. */
	snprintf(d->sock, sizeof d->sock, "%s", n == 1 ? list[0] : "");
	return 0;
}

/* Kernel TUN or userspace networking: forced by --mode, else TUN exactly when the device and the
 * capability are there. */
static int choose_userspace(const struct tn_up_config *cfg, char *why, size_t size)
{
	if (cfg->mode != TN_MODE_AUTO) {
		snprintf(why, size, "--mode %s", cfg->mode == TN_MODE_TUN ? "tun" : "userspace");
		return cfg->mode == TN_MODE_USERSPACE;
	}
	if (tn_tun_usable(cfg->tun_device, why, size)) {
		snprintf(why, size, "%s opens and CAP_NET_ADMIN is held", cfg->tun_device);
		return 0;
	}
	return 1;
}

/* In userspace mode, what a shell needs to reach the tailnet through tailscaled's proxies, as a file it can
 * source; removed in TUN mode, where nothing is needed. */
static int write_proxy_env(const struct tn_up_config *cfg, int userspace, struct tn_error *err)
{
	char path[PATH_MAX], text[2048];
	tn_up_path(cfg->state_dir, TN_UP_PROXY_ENV, path);
	if (!userspace) {
		if (unlink(path) != 0 && errno != ENOENT)
			return tn_error_set(err, TN_EXIT_FAIL, "cannot remove %s: %s", path, strerror(errno));
		return 0;
	}
	int n = snprintf(text, sizeof text,
			 "# tailscaled runs in userspace-networking mode: programs reach tailnet addresses only\n"
			 "# through its proxies. Written by tailnet-helper up; use: . %s\n"
			 "export ALL_PROXY=socks5h://%s all_proxy=socks5h://%s\n"
			 "export HTTP_PROXY=http://%s http_proxy=http://%s\n"
			 "export HTTPS_PROXY=http://%s https_proxy=http://%s\n"
			 "export NO_PROXY=localhost,127.0.0.1,::1 no_proxy=localhost,127.0.0.1,::1\n",
			 path, cfg->socks5, cfg->socks5, cfg->http_proxy, cfg->http_proxy, cfg->http_proxy,
			 cfg->http_proxy);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0 || tn_write_all(fd, text, (size_t)n) != 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "cannot write %s: %s", path, strerror(e));
	}
	close(fd);
	return 0;
}

/* The last lines of tailscaled's log, at `level`: why it did not come up. */
static void show_log_tail(const char *log_path, enum tn_log_level level)
{
	static char buf[16384];
	int fd = open(log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	off_t size = lseek(fd, 0, SEEK_END);
	off_t from = size > (off_t)sizeof buf - 1 ? size - (off_t)sizeof buf + 1 : 0;
	ssize_t n = pread(fd, buf, sizeof buf - 1, from);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = 0;
	char *start = buf + n;
	int lines = 0;
	if (start > buf && start[-1] == '\n')
		start--;
	while (start > buf && lines < LOG_TAIL_LINES)
		if (*--start == '\n')
			lines++;
	if (*start == '\n')
		start++;
	tn_log(level, "the last lines of %s:", log_path);
	for (char *line = strtok(start, "\n"); line; line = strtok(NULL, "\n")) {
		char clean[400];
		tn_log(level, "  %s", tn_error_printable(line, clean, sizeof clean));
	}
}

int tn_up_settle(const struct tn_up_config *cfg, const char *sock, struct tn_brief *b, struct tn_error *err)
{
	int64_t deadline = tn_now_ms() + cfg->timeout_ms;
	struct tn_localapi api = {sock, PROBE_CONNECT_MS, PROBE_TIMEOUT_MS};
	while (!strcmp(b->backend_state, "NoState") || !strcmp(b->backend_state, "Starting")) {
		if (tn_now_ms() >= deadline)
			return tn_error_set(err, TN_EXIT_NOT_RUNNING, "tailscaled at %s is still %s after %ld s", sock,
					    b->backend_state, cfg->timeout_ms / 1000);
		tn_sleep_ms(100);
		if (tn_brief_read(&api, b, err) != 0)
			return -1;
	}
	return 0;
}

/* One start: 0 and its status once it answers and has settled; -1 with err otherwise, *exited when the
 * daemon ended before it answered. */
static int start_once(const struct tn_up_config *cfg, bool userspace, const char *why, bool retry_follows,
		      struct tn_up_daemon *d, struct tn_brief *b, bool *exited, struct tn_error *err)
{
	char state_arg[PATH_MAX + 16], socket_arg[PATH_MAX + 16], log_path[PATH_MAX], pidfile[PATH_MAX];
	char socks_arg[300], http_arg[300], state_path[PATH_MAX];
	*exited = false;
	if (!d->sock[0]) {
		if (userspace)
			tn_up_path(cfg->state_dir, TN_UP_DAEMON_SOCKET, d->sock);
		else
			snprintf(d->sock, sizeof d->sock, "%s", TN_SYSTEM_SOCKET);
	}
	tn_up_path(cfg->state_dir, TN_UP_DAEMON_STATE, state_path);
	tn_up_path(cfg->state_dir, TN_UP_DAEMON_PID, pidfile);
	if (cfg->log_file)
		snprintf(log_path, sizeof log_path, "%s", cfg->log_file);
	else
		tn_up_path(cfg->state_dir, TN_UP_DAEMON_LOG, log_path);
	snprintf(state_arg, sizeof state_arg, "--state=%s", state_path);
	snprintf(socket_arg, sizeof socket_arg, "--socket=%s", d->sock);
	snprintf(socks_arg, sizeof socks_arg, "--socks5-server=%s", cfg->socks5);
	snprintf(http_arg, sizeof http_arg, "--outbound-http-proxy-listen=%s", cfg->http_proxy);
	const char *argv[8] = {cfg->tailscaled, state_arg, socket_arg};
	int argc = 3;
	argv[argc++] = userspace ? "--tun=userspace-networking" : "--tun=tailscale0";
	if (userspace) {
		argv[argc++] = socks_arg;
		argv[argc++] = http_arg;
	}

	if (write_proxy_env(cfg, userspace, err) != 0)
		return -1;
	pid_t pid;
	if (tn_spawn_daemon(argv, log_path, pidfile, &pid, err) != 0)
		return -1;
	tn_info("started %s (pid %ld) in %s mode (%s) on %s; its log: %s", cfg->tailscaled, (long)pid,
		userspace ? "userspace-networking" : "kernel TUN", why, d->sock, log_path);

	int64_t deadline = tn_now_ms() + cfg->timeout_ms;
	for (;;) {
		int status;
		if (tn_spawn_exited(pid, &status)) {
			char how[80];
			*exited = true;
			show_log_tail(log_path, retry_follows ? TN_LOG_WARN : TN_LOG_ERROR);
			return tn_error_set(err, TN_EXIT_UNREACHABLE, "%s %s at start (its log %s ends as shown above)",
					    cfg->tailscaled, tn_spawn_describe(status, how, sizeof how), log_path);
		}
		/* tailscaled holds LocalAPI requests until its backend exists: a short read timeout, retried. */
		int rc = probe(d->sock, 1000, d, b, err);
		if (rc == 1)
			break;
		if (rc == PROBE_UNTRUSTED)
			return -1;
		if (tn_now_ms() >= deadline) {
			show_log_tail(log_path, TN_LOG_ERROR);
			return tn_error_set(err, TN_EXIT_UNREACHABLE, "%s (pid %ld) does not answer on %s after %ld s",
					    cfg->tailscaled, (long)pid, d->sock, cfg->timeout_ms / 1000);
		}
		tn_sleep_ms(20);
	}
	d->ours = true;
	return tn_up_settle(cfg, d->sock, b, err);
}

int tn_up_start_daemon(const struct tn_up_config *cfg, bool userspace, struct tn_up_daemon *d, struct tn_brief *b,
		       struct tn_error *err)
{
	char why[300] = "asked for", named[PATH_MAX];
	bool exited;
	snprintf(named, sizeof named, "%s", d->sock);
	if (!userspace)
		userspace = choose_userspace(cfg, why, sizeof why);
	bool retry = !userspace && cfg->mode == TN_MODE_AUTO;
	int rc = start_once(cfg, userspace, why, retry, d, b, &exited, err);
	if (rc != 0 && exited && retry) {
		/* The device opened and CAP_NET_ADMIN is held, yet no interface could be made: an unprivileged LXC
		 * container, gVisor. tailscaled's own answer is --tun=tailscale0,userspace-networking (createEngine
		 * tries each name, ts:cmd/tailscaled/tailscaled.go, 1.98 to 1.103), but the daemon would then keep
		 * the system socket and have no proxies: started again in userspace mode it gets both. */
		tn_warn("%s; starting it in userspace-networking mode instead", err->msg);
		snprintf(d->sock, sizeof d->sock, "%s", named);
		rc = start_once(cfg, true, "kernel TUN mode failed", false, d, b, &exited, err);
	}
	return rc;
}
