/* SPDX-License-Identifier: BSD-3-Clause */
/* up.c - `tailnet-helper up`: the steps in order, the singleton lock and the summary (see up.h). */
#include "up/up.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cache/cache_open.h"
#include "cache/status_sync.h"
#include "shared/log.h"
#include "shared/pidfile.h"
#include "shared/version.h"
#include "tailscaled/localapi.h"
#include "up/state_dir.h"
#include "watch/watch.h"

/* The singleton: an flock on <state>/up.lock, our pid in it for the message of the one that waits. Returns
 * the descriptor, -2 when another up holds it (*holder read from the file), -1 on error. */
static int take_lock(const char *state_dir, long *holder, struct tn_error *err)
{
	char path[PATH_MAX], buf[32] = "";
	tn_up_path(state_dir, TN_UP_LOCK, path);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
		close(fd);
		if (e != EWOULDBLOCK)
			return tn_error_set(err, TN_EXIT_FAIL, "cannot lock %s: %s", path, strerror(e));
		buf[n > 0 ? n : 0] = 0;
		*holder = strtol(buf, NULL, 10);
		return -2;
	}
	int n = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		tn_debug("cannot note our pid in %s: %s", path, strerror(errno));
	return fd;
}

/* The cache from the status, rewritten only when its content changed (a second shell's `up` stays cheap).
 * *peers gets the number of peers in the status. */
static int sync_cache(const struct tn_up_config *cfg, const char *sock, size_t *peers, struct tn_error *err)
{
	struct tn_localapi api = {sock, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	struct tn_status_sync src;
	struct tn_update_opts uopts = {.max_age = TN_MAX_AGE_DEFAULT, .skip_if_unchanged = true};
	struct tn_update_result res = {0};
	int rc = tn_status_sync_begin(&src, err);
	if (rc == 0)
		rc = tn_status_sync_localapi(&src, &api, err);
	if (rc == 0)
		rc = tn_status_sync_commit(&src, cfg->cache, &uopts, &res, err);
	if (rc == 0) {
		tn_status_sync_report(&src, cfg->cache, &res, TN_LOG_DEBUG);
		*peers = tn_status_stats(src.parser)->peers;
	}
	tn_status_sync_end(&src);
	return rc;
}

/* Another up holds the lock: sync what can be synced, say who is busy, and succeed. */
static int while_another_runs(const struct tn_up_config *cfg, long holder)
{
	struct tn_up_daemon d;
	struct tn_brief b;
	struct tn_error ignored = {0};
	size_t peers;
	if (tn_up_locate(cfg, 500, &d, &b, &ignored) == 1 && !strcmp(b.backend_state, "Running"))
		sync_cache(cfg, d.sock, &peers, &ignored);
	tn_info("another tailnet-helper up (pid %ld) is bringing the node up; state directory %s", holder,
		cfg->state_dir);
	return 0;
}

/* The second shell's case, with a watcher that follows this daemon running: the cache is there, trusted and
 * serving. Then the full status (66 ms at 10,000 peers) is not read again: the cost stays flat in the
 * tailnet's size. *names gets the cache's name count. */
static bool cache_kept(const char *cache, uint32_t *names)
{
	struct tn_cache_file f;
	struct tn_error ignored = {0};
	if (tn_cache_open_usable(cache, &f, &ignored) != 0)
		return false;
	bool serving = !(f.c.flags & TN_FLAG_PAUSED);
	*names = f.c.name_count;
	tn_cache_close(&f);
	return serving;
}

/* peers: from the status read now, or SIZE_MAX when the cache was left to the watcher (names: its count). */
static void print_summary(const struct tn_up_config *cfg, const struct tn_up_daemon *d, const struct tn_brief *b,
			  size_t peers, uint32_t names, pid_t watcher, pid_t dns)
{
	const char *mode = b->tun == 1 ? "kernel TUN mode" : b->tun == 0 ? "userspace-networking mode" : "unknown mode";
	printf("tailnet-helper " TN_PACKAGE_VERSION " up: Running in %s; tailscaled %s at %s\n", mode, b->version,
	       d->sock);
	if (d->ours)
		printf("  tailscaled started by tailnet-helper up (pid %ld); 'tailnet-helper down' stops it\n",
		       (long)d->peer.pid);
	else
		printf("  tailscaled not started by tailnet-helper up (pid %ld, uid %u): its settings are its own, and "
		       "'tailnet-helper down' leaves it alone\n",
		       (long)d->peer.pid, (unsigned)d->peer.uid);
	printf("  tailnet    %s (%s)\n", b->tailnet[0] ? b->tailnet : "?",
	       b->suffix[0] ? b->suffix : "no MagicDNS suffix");
	printf("  this node  %s %s\n", b->self_fqdn[0] ? b->self_fqdn : b->self_host, b->self_ip);
	if (peers != SIZE_MAX)
		printf("  peers      %zu\n", peers);
	else
		printf("  names      %u in the cache\n", names);
	printf("  cache      %s, kept current by tailnet-helper watch (pid %ld)\n", cfg->cache, (long)watcher);
	if (dns)
		printf("  DNS        tailnet-helper dns (pid %ld) on 127.100.100.100:53, first in %s\n", (long)dns,
		       cfg->resolv_conf);
	if (b->tun != 0)
		return;
	char env[PATH_MAX];
	tn_up_path(cfg->state_dir, TN_UP_PROXY_ENV, env);
	printf("  proxies    in userspace mode this host reaches tailnet addresses only through tailscaled's\n");
	if (access(env, R_OK) == 0)
		printf("             SOCKS5 (%s) and HTTP (%s) proxies: `. %s` sets ALL_PROXY and\n"
		       "             HTTP(S)_PROXY for curl, Go programs and most tools;",
		       cfg->socks5, cfg->http_proxy, env);
	else
		printf("             --socks5-server / --outbound-http-proxy-listen proxies, if it was started with "
		       "them;");
	printf(" ssh: tailnet-helper ssh-config\n");
}

/* After the summary: the watcher in this process, for systemd units and container entrypoints. */
static int run_foreground(const struct tn_up_config *cfg, const char *sock, int pidfile_fd, struct tn_error *err)
{
	struct tn_watch_config w = {.socket = sock,
				    .cache = cfg->cache,
				    .poll_ms = TN_WATCH_POLL_MS,
				    .debounce_ms = TN_WATCH_DEBOUNCE_MS,
				    .header_ms = TN_WATCH_HEADER_MS,
				    .max_age = TN_MAX_AGE_DEFAULT};
	fflush(stdout);
	tn_log_setup("watch", tn_log_level(), tn_log_timestamps_env(!tn_log_to_journal()));
	int rc = tn_watch_run(&w, err);
	close(pidfile_fd);
	return rc;
}

/* A tailscaled of our own is started only when the pidfile names none that is still alive: one that
 * lives but does not answer is not doubled. */
static int start_ours(const struct tn_up_config *cfg, bool userspace, struct tn_up_daemon *d, struct tn_brief *b,
		      struct tn_error *err)
{
	char pidfile[PATH_MAX];
	pid_t other;
	tn_up_path(cfg->state_dir, TN_UP_DAEMON_PID, pidfile);
	if (tn_pidfile_alive(pidfile, &other))
		return tn_error_set(err, TN_EXIT_UNREACHABLE,
				    "the tailscaled started earlier (pid %ld) does not answer on %s; "
				    "'tailnet-helper down' stops it",
				    (long)other, d->sock[0] ? d->sock : "its socket");
	return tn_up_start_daemon(cfg, userspace, d, b, err);
}

static int bring_up(const struct tn_up_config *cfg, int *watch_fd, struct tn_up_daemon *d, struct tn_error *err)
{
	struct tn_brief b;
	int found = tn_up_locate(cfg, TN_UP_PROBE_MS, d, &b, err);
	if (found < 0)
		return -1;
	if (found == 0 ? start_ours(cfg, false, d, &b, err) != 0 : tn_up_settle(cfg, d->sock, &b, err) != 0)
		return -1;

	if (!strcmp(b.backend_state, "NeedsLogin")) {
		int may = tn_up_may_write(d, err);
		if (may < 0)
			return -1;
		if (!may) {
			/* Checked before anything is minted. In auto mode a user who may only read the system's
			 * tailscaled gets one of their own, in userspace mode in their state directory. */
			if (cfg->mode != TN_MODE_AUTO || cfg->socket || tn_localapi_env_socket())
				return -1;
			tn_info("%s; instead, starting a tailscaled of our own in %s", err->msg, cfg->state_dir);
			struct tn_up_daemon own = {0};
			if (start_ours(cfg, true, &own, &b, err) != 0)
				return -1;
			*d = own;
		}
	}
	if (!strcmp(b.backend_state, "NeedsLogin")) {
		if (tn_up_login(cfg, d, &b, err) != 0)
			return -1;
	} else if (strcmp(b.backend_state, "Running") != 0) {
		/* Stopped is someone's `tailscale down`, NeedsMachineAuth an admin's decision: not ours to undo. */
		return tn_error_set(err, TN_EXIT_NOT_RUNNING,
				    "tailscaled at %s is %s; up logs in only a node that needs a login "
				    "(run 'tailscale --socket=%s up' to start a stopped one)",
				    d->sock, b.backend_state, d->sock);
	}

	size_t peers = SIZE_MAX;
	uint32_t names = 0;
	pid_t watcher = getpid(), dns = 0;
	bool started = false;
	bool kept = !cfg->foreground && tn_up_watcher_follows(cfg, d->sock, &watcher) && cache_kept(cfg->cache, &names);
	if (!kept && sync_cache(cfg, d->sock, &peers, err) != 0)
		return -1;
	if (kept) {
		/* the watcher runs and keeps the cache */
	} else if (cfg->foreground) {
		char pidfile[PATH_MAX];
		tn_up_path(cfg->state_dir, TN_UP_WATCH_PID, pidfile);
		if (tn_pidfile_claim(pidfile, "a watcher for this state directory", watch_fd, err) != 0)
			return -1;
	} else if (tn_up_ensure_watcher(cfg, d->sock, &watcher, &started, err) != 0) {
		return -1;
	} else if (started) {
		tn_info("started tailnet-helper watch (pid %ld) for %s", (long)watcher, cfg->cache);
	}
	if (cfg->dns && tn_up_ensure_dns(cfg, b.suffix, &dns, &started, err) != 0)
		return -1;
	if (!cfg->quiet)
		print_summary(cfg, d, &b, peers, names, watcher, dns);
	return 0;
}

int tn_up_run(const struct tn_up_config *cfg, struct tn_error *err)
{
	if (tn_up_prepare_state_dir(cfg->state_dir, err) != 0)
		return -1;
	long holder = 0;
	int lock = take_lock(cfg->state_dir, &holder, err);
	if (lock == -2)
		return while_another_runs(cfg, holder);
	if (lock < 0)
		return -1;
	/* An older version handed the key over in this file; one a crash left behind goes now. */
	char stale_key[PATH_MAX];
	tn_up_path(cfg->state_dir, TN_UP_OLD_AUTH_KEY, stale_key);
	if (unlink(stale_key) == 0)
		tn_info("removed %s, an auth key an earlier version left behind", stale_key);
	struct tn_up_daemon d;
	int watch_fd = -1;
	int rc = bring_up(cfg, &watch_fd, &d, err);
	close(lock);
	if (rc == 0 && cfg->foreground)
		rc = run_foreground(cfg, d.sock, watch_fd, err);
	return rc;
}
