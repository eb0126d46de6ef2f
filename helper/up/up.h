/* SPDX-License-Identifier: BSD-3-Clause */
/* up.h - `tailnet-helper up` and its companions `down` and `ssh-config`: bringing a node onto the tailnet
 * with one command that is safe to run on every shell entry.
 *
 * Contract: everything `up` manages is named by files in one state directory (0700, ours, not writable by
 * anyone else): tailscaled's state, socket (userspace mode) and log, and a pidfile (pidfile.h) for each
 * process it started - tailscaled, the watcher, the DNS responder. tn_up_run() holds an flock on
 * <state>/up.lock while it works; a second `up` that finds it taken only syncs the cache and returns at once.
 * The steps, each skipped when already done, so that a run on a node that is fully up costs one small
 * LocalAPI read (status?peers=false) whatever the tailnet's size: find a tailscaled that answers and that the
 * helper trusts (localapi.h), else start one (up_daemon.c); only when it says NeedsLogin, and only when we
 * may change its settings, mint a key and run `tailscale up` with it, carrying every setting the node has
 * (up_login.c, up_flags.h); sync the cache, unless a watcher that follows this daemon already keeps it and it
 * serves; make sure one watcher (and with --dns one responder) runs (up_services.c); print the summary. A
 * tailscaled that `up` did not start (a system service) is not ours to reconfigure: its login sets nothing
 * but what the node had and what up's own options ask, and its key is not ephemeral unless --ephemeral says so. Errors follow
 * err.h; the exit codes are the helper's: 3 tailscaled did not come up, does not answer or is not trusted, 5
 * it is not Running (and `up` will not force it), 6 credentials, or no right to change tailscaled's settings,
 * 1 anything local.
 */
#ifndef TAILNET_UP_H
#define TAILNET_UP_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "mint/mint_settings.h"
#include "shared/err.h"
#include "tailscaled/localapi.h"
#include "tailscaled/status_brief.h"
#include "up/state_dir.h"

#define TN_UP_SOCKS5_DEFAULT "127.0.0.1:1055"
#define TN_UP_HTTP_PROXY_DEFAULT "127.0.0.1:1056"
#define TN_UP_TIMEOUT_MS 60000L
#define TN_UP_PROBE_MS 5000L /* how long a tailscaled that listens may take to answer */

enum tn_up_mode { TN_MODE_AUTO, TN_MODE_TUN, TN_MODE_USERSPACE };

struct tn_up_config {
	char state_dir[PATH_MAX];
	const char *socket;   /* --socket; NULL: see tn_up_locate() */
	enum tn_up_mode mode; /* for a tailscaled we start */
	const char *hostname; /* NULL: this machine's */
	const char *log_file; /* tailscaled's; NULL: <state>/tailscaled.log */
	const char *cache;    /* absolute */
	const char *tailscaled, *tailscale; /* the programs: paths, or names looked up on PATH */
	const char *tun_device;
	const char *socks5, *http_proxy; /* userspace mode's proxy listeners */
	const char *resolv_conf;         /* --dns: the file to rewrite */
	long timeout_ms;                 /* for tailscaled's socket, for the login, for our services to start */
	bool foreground, dns;
	bool quiet;    /* no summary */
	int ephemeral; /* --ephemeral 1, --no-ephemeral 0, else -1: ephemeral for a tailscaled we start only */
	struct tn_mint_settings mint;
};

/* The tailscaled `up` works with. */
struct tn_up_daemon {
	char sock[PATH_MAX];
	struct tn_peer peer; /* who serves the socket (localapi.h) */
	bool ours;           /* `up` started it: in this run, or earlier (its pidfile names the peer) */
};

/* up.c */
int tn_up_run(const struct tn_up_config *cfg, struct tn_error *err);

/* up_daemon.c */
/* Finds the tailscaled to use: the socket named by cfg, $TAILSCALE_SOCKET or $TS_SOCKET, else (auto mode)
 * the first of <state>/tailscaled.sock and the default sockets (localapi.h) that has a daemon, else (a
 * forced mode) its own default. A socket with no daemon behind it is said to be down and passed over; a
 * socket served by a uid the helper does not trust ends the search with an error. 1 and its status when one
 * answers; 0 when none does (d->sock then holds the socket to start one on, or "" in auto mode, where that
 * follows the mode chosen); -1 with err when one is not trusted, or accepts connections but does not answer
 * within timeout_ms. */
int tn_up_locate(const struct tn_up_config *cfg, long timeout_ms, struct tn_up_daemon *d, struct tn_brief *b,
		 struct tn_error *err);
/* Starts tailscaled in the mode cfg asks for (auto: TUN when tun_probe.h says it can, and userspace
 * networking once more when it exits at start in TUN mode: a TUN device that opens but will not make an
 * interface, as in an unprivileged LXC container or gVisor) on d->sock (when "", the mode's own: the system
 * socket for TUN, <state>/tailscaled.sock for userspace, written back), waits for it to answer, and returns
 * its status once it has left NoState / Starting. A daemon that dies meanwhile has the end of its log
 * printed (error level) and is an error. */
int tn_up_start_daemon(const struct tn_up_config *cfg, bool userspace, struct tn_up_daemon *d, struct tn_brief *b,
		       struct tn_error *err);
/* Re-reads the status every 100 ms while the backend is NoState or Starting, up to cfg's timeout. */
int tn_up_settle(const struct tn_up_config *cfg, const char *sock, struct tn_brief *b, struct tn_error *err);

/* up_login.c */
/* Whether we may change d's settings, as tailscaled decides it (ts:ipn/ipnauth IsReadonlyConn): as root, as
 * the uid the daemon runs as, or as its operator (the OperatorUser pref). 1 yes; 0 no, with err saying so
 * and naming `tailscale set --operator=$USER`; -1 when the prefs cannot be read. */
int tn_up_may_write(const struct tn_up_daemon *d, struct tn_error *err);
/* Logs a NeedsLogin node in: reads its prefs, mints a single-use key (in process), and hands it to
 * `tailscale up` through a memfd named as file:/dev/fd/N, so that no file holds it, with the flags that keep
 * the node's settings (up_flags.h), waits for Running, and then puts back with one PATCH of the prefs the
 * settings `tailscale up` reverts but has no flag for (prefs.h tn_prefs_restore). Never called for a node
 * that is Running. */
int tn_up_login(const struct tn_up_config *cfg, const struct tn_up_daemon *d, struct tn_brief *b,
		struct tn_error *err);

/* up_services.c */
/* Makes sure one `tailnet-helper watch` keeps cfg->cache current from `sock`: 0 with its pid, and *started
 * when this call started it. */
int tn_up_ensure_watcher(const struct tn_up_config *cfg, const char *sock, pid_t *pid, bool *started,
			 struct tn_error *err);
/* Whether the watcher of the state directory runs and follows `sock` (its pid then in *pid). */
bool tn_up_watcher_follows(const struct tn_up_config *cfg, const char *sock, pid_t *pid);
/* The same for `tailnet-helper dns`, then the responder first in cfg->resolv_conf with `suffix` searched. */
int tn_up_ensure_dns(const struct tn_up_config *cfg, const char *suffix, pid_t *pid, bool *started,
		     struct tn_error *err);
/* What `down` does: stops the watcher, the responder and tailscaled, each when its pidfile names a live
 * process (SIGTERM, then SIGKILL after wait_ms), reverts the resolv.conf that `up --dns` rewrote, and says
 * so on stdout. 0, or -1 when something survived. */
int tn_up_stop_all(const char *state_dir, long wait_ms, struct tn_error *err);

#endif
