/* SPDX-License-Identifier: BSD-3-Clause */
/* doctor_runtime.c - the checks on the helper's side: the cache as the module would take it, the watcher,
 * tailscaled, the resolv.conf rewrite and the DNS responder. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/doctor.h"
#include "dns/dns_server.h"
#include "dns/resolv_conf.h"
#include "nss/cache_file.h"
#include "shared/pidfile.h"
#include "shared/secrets.h"
#include "shared/version.h"
#include "up/up.h"

static const char *owner(uid_t uid, char *buf, size_t size)
{
	struct passwd *pw = getpwuid(uid);
	if (pw)
		snprintf(buf, size, "%s", pw->pw_name);
	else
		snprintf(buf, size, "uid %u", (unsigned)uid);
	return buf;
}

/* "owner root, mode 0644" of path, or why not. */
static void describe_file(const char *path, char *out, size_t size)
{
	struct stat st;
	char who[64];
	if (lstat(path, &st) != 0)
		snprintf(out, size, "%s", strerror(errno));
	else
		snprintf(out, size, "owner %s, mode %04o", owner(st.st_uid, who, sizeof who), st.st_mode & 07777);
}

/* ---- the cache ------------------------------------------------------------------------------------------- */

/* The first node with an address: the name the lookup check asks glibc for. */
static void pick_name(struct tn_doctor *d, const struct tn_cache *c)
{
	for (uint32_t i = 0; i < c->node_count; i++) {
		struct tn_hit h;
		if (!tn_cache_node(c, i, &h) || h.n4 + h.n6 == 0)
			continue;
		snprintf(d->name, sizeof d->name, "%s", h.fqdn);
		d->n_addrs = 0;
		for (unsigned a = 0; a < (unsigned)h.n4 + h.n6 && d->n_addrs < 16; a++)
			memcpy(d->addrs[d->n_addrs++], tn_hit_addr(&h, a) + TN_ADDR_BYTES, 16);
		return;
	}
}

void tn_doctor_cache(struct tn_doctor *d, struct tn_check *out)
{
	char file[128], dir_text[128], dir[PATH_MAX];
	const char *slash = strrchr(d->cache, '/');
	snprintf(dir, sizeof dir, "%.*s", slash && slash != d->cache ? (int)(slash - d->cache) : 1, d->cache);
	describe_file(d->cache, file, sizeof file);
	describe_file(dir, dir_text, sizeof dir_text);
	out->name = "cache";

	struct tn_cache_file f;
	const char *why = NULL;
	int rc = tn_cache_open(d->cache, &f, &why);
	if (rc == 0 && tn_cache_expired(&f.c, (int64_t)time(NULL))) {
		rc = -ESTALE;
		why = "past its valid-until";
		tn_cache_close(&f);
	}
	if (rc != 0) {
		tn_check_set(out, TN_CHECK_FAIL, "%s (%s; directory %s: %s) is refused by the module: %s", d->cache,
			     file, dir, dir_text, why ? why : strerror(-rc));
		if (rc == -ENOENT)
			tn_check_fix(out, "write it: 'sudo tailnet-helper sync', and keep it current with "
					  "'systemctl enable --now tailnet-helper' (or tailnet-helper up)");
		else if (rc == -ESTALE)
			tn_check_fix(out, "nothing refreshed it: start the watcher ('systemctl enable --now "
					  "tailnet-helper', or tailnet-helper up), or run 'sudo tailnet-helper sync'");
		else if (rc == -EPERM || rc == -EACCES)
			tn_check_fix(out, "the module trusts only a regular file owned by root and not writable by "
					  "others, in a directory with the same properties: 'sudo tailnet-helper sync' "
					  "writes it so (a sync by another user writes one the module refuses)");
		else /* damaged, or another format: name ours, since the module cannot say which it reads */
			tn_check_fix(out, "write it again with this helper, 'sudo tailnet-helper sync' (tailnet-helper "
					  TN_PACKAGE_VERSION " and its module read and write cache format %u)", TN_VERSION);
		return;
	}
	int64_t now = (int64_t)time(NULL);
	char age[32], left[32];
	d->cache_ok = 1;
	d->generation = f.c.generation;
	d->written_at = f.c.written_at;
	d->valid_until = f.c.valid_until;
	d->names = f.c.name_count;
	snprintf(d->suffix, sizeof d->suffix, "%s", f.c.suffix_len ? f.c.suffix : "");
	pick_name(d, &f.c);
	tn_cache_close(&f);
	tn_doctor_duration(now - d->written_at, age, sizeof age);
	tn_doctor_duration(d->valid_until - now, left, sizeof left);
	tn_check_set(out, TN_CHECK_OK, "%s (%s; directory %s: %s): generation %llu, %u names, suffix %s, "
		     "written %s ago, valid for %s more", d->cache, file, dir, dir_text,
		     (unsigned long long)d->generation, d->names, d->suffix[0] ? d->suffix : "(none)", age, left);
}

/* ---- the watcher ----------------------------------------------------------------------------------------- */

/* argv of a process, NUL-separated, and its length; 0 when it cannot be read. */
static size_t cmdline(pid_t pid, char *buf, size_t size)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%ld/cmdline", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	if (fd >= 0 && tn_read_fd(fd, buf, size - 1, &n) != 0)
		n = 0;
	if (fd >= 0)
		close(fd);
	buf[n] = '\0';
	return n;
}

/* A tailnet-helper that keeps the cache: `watch`, or `up --foreground`, its --socket into sock. */
static int is_watcher(pid_t pid, char *sock, size_t size)
{
	char buf[4096];
	size_t n = cmdline(pid, buf, sizeof buf);
	const char *arg0 = buf, *cmd = n ? buf + strlen(buf) + 1 : NULL;
	const char *base = strrchr(arg0, '/');
	if (!cmd || cmd >= buf + n || strcmp(base ? base + 1 : arg0, "tailnet-helper") != 0)
		return 0;
	int fg = 0, watch = !strcmp(cmd, "watch");
	sock[0] = '\0';
	for (const char *a = cmd; a < buf + n; a += strlen(a) + 1) {
		fg |= !strcmp(a, "--foreground");
		if (!strcmp(a, "--socket") && a + strlen(a) + 1 < buf + n)
			snprintf(sock, size, "%s", a + strlen(a) + 1);
	}
	return watch || (!strcmp(cmd, "up") && fg);
}

static pid_t find_watcher(char *sock, size_t size)
{
	DIR *proc = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;
	while (proc && !found && (e = readdir(proc)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9' && atol(e->d_name) != (long)getpid() &&
		    is_watcher((pid_t)atol(e->d_name), sock, size))
			found = (pid_t)atol(e->d_name);
	if (proc)
		closedir(proc);
	return found;
}

void tn_doctor_watcher(struct tn_doctor *d, struct tn_check *out)
{
	char pidfile[PATH_MAX], sock[PATH_MAX] = "";
	pid_t pid = 0;
	tn_up_path(d->state_dir, TN_UP_WATCH_PID, pidfile);
	out->name = "watcher";
	int have_file = access(pidfile, F_OK) == 0, alive = have_file && tn_pidfile_alive(pidfile, &pid);
	if (alive)
		is_watcher(pid, sock, sizeof sock);
	else if ((pid = find_watcher(sock, sizeof sock)) == 0 && have_file) {
		tn_check_set(out, TN_CHECK_FAIL, "%s names no live process: the watcher died", pidfile);
		tn_check_fix(out, "see its log (journalctl -u tailnet-helper, or %s/%s) and start it again "
				  "(systemctl restart tailnet-helper, or tailnet-helper up)", d->state_dir, TN_UP_WATCH_LOG);
		return;
	}
	if (!pid) {
		char until[32];
		tn_doctor_duration(d->valid_until - (int64_t)time(NULL), until, sizeof until);
		tn_check_set(out, TN_CHECK_WARN, "no tailnet-helper watch runs (no %s): the cache changes only when "
			     "someone syncs it%s%s", pidfile, d->cache_ok ? ", and expires in " : "",
			     d->cache_ok ? until : "");
		tn_check_fix(out, "systemctl enable --now tailnet-helper (or tailnet-helper-up), or tailnet-helper up");
		return;
	}
	d->watcher = pid;
	snprintf(d->watcher_socket, sizeof d->watcher_socket, "%s", sock);
	tn_check_set(out, TN_CHECK_OK, "pid %ld%s%s, following %s", (long)pid, alive ? ", from " : " (no pidfile)",
		     alive ? pidfile : "", sock[0] ? sock : "the first tailscaled socket found");
}

/* ---- tailscaled ------------------------------------------------------------------------------------------ */

void tn_doctor_tailscaled(struct tn_doctor *d, struct tn_check *out)
{
	struct tn_up_config cfg = {.socket = d->socket, .cache = d->cache};
	struct tn_error err = {0};
	snprintf(cfg.state_dir, sizeof cfg.state_dir, "%s", d->state_dir);
	struct tn_up_daemon daemon = {0};
	out->name = "tailscaled";
	int found = tn_up_locate(&cfg, 2000, &daemon, &d->brief, &err);
	snprintf(d->daemon_socket, sizeof d->daemon_socket, "%s", daemon.sock);
	if (found <= 0) {
		if (found == 0)
			tn_check_set(out, TN_CHECK_FAIL, "no tailscaled answers%s%s", d->daemon_socket[0] ? " on " : "",
				     d->daemon_socket);
		else
			tn_check_set(out, TN_CHECK_FAIL, "%s", err.msg);
		tn_check_fix(out, "start it: systemctl start tailscaled, or tailnet-helper up");
		return;
	}
	d->daemon_ok = 1;
	const struct tn_brief *b = &d->brief;
	int running = !strcmp(b->backend_state, "Running");
	tn_check_set(out, running ? TN_CHECK_OK : TN_CHECK_FAIL, "%s, version %s, at %s%s%s%s", b->backend_state,
		     b->version[0] ? b->version : "?", d->daemon_socket, b->tailnet[0] ? ", tailnet " : "", b->tailnet,
		     b->tun == 0 ? " (userspace networking)" : b->tun == 1 ? " (kernel TUN)" : "");
	if (!running)
		tn_check_fix(out, "%s", !strcmp(b->backend_state, "NeedsLogin")
					    ? "log in: tailnet-helper up (mints a key), or tailscale up"
					    : "bring it up: tailscale up (or tailnet-helper up)");
}

/* ---- resolv.conf and the responder ----------------------------------------------------------------------- */

void tn_doctor_resolv_conf(struct tn_doctor *d, struct tn_check *out)
{
	static char text[TN_RESOLV_MAX_BYTES + 1];
	size_t len = 0;
	out->name = "resolv.conf";
	snprintf(d->nameserver, sizeof d->nameserver, "%s", TN_DNS_DEFAULT_ADDR);
	int fd = open(d->resolv_conf, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || tn_read_fd(fd, text, sizeof text - 1, &len) != 0) {
		tn_check_set(out, TN_CHECK_WARN, "cannot read %s: %s", d->resolv_conf, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	close(fd);
	text[len] = '\0';
	if (!tn_resolv_applied(text, len)) {
		tn_check_set(out, TN_CHECK_SKIP, "%s does not name the DNS responder (only static Go, musl and dig "
			     "need it)", d->resolv_conf);
		return;
	}
	d->resolv_applied = 1;
	const char *ns = strstr(text, "\nnameserver ");
	if (ns)
		sscanf(ns + 12, "%63s", d->nameserver);
	char backup[PATH_MAX];
	snprintf(backup, sizeof backup, "%s" TN_RESOLV_BACKUP_SUFFIX, d->resolv_conf);
	if (access(backup, F_OK) != 0) {
		tn_check_set(out, TN_CHECK_FAIL, "%s was rewritten for the responder, but its original %s is gone",
			     d->resolv_conf, backup);
		tn_check_fix(out, "edit %s by hand: remove the tailnet-helper lines", d->resolv_conf);
		return;
	}
	tn_check_set(out, TN_CHECK_OK, "%s asks the responder %s first; the original is in %s", d->resolv_conf,
		     d->nameserver, backup);
}

/* One UDP query for `name` A to addr:53; 1 when any answer with our id comes back within timeout_ms. */
static int dns_answers(const char *addr, const char *name, int timeout_ms)
{
	uint8_t q[300] = {0x7a, 0x11, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0}, r[512];
	size_t n = 12;
	for (const char *p = name; *p && n < sizeof q - 70;) {
		size_t l = strcspn(p, ".");
		if (l == 0 || l > 63)
			break;
		q[n++] = (uint8_t)l;
		memcpy(q + n, p, l);
		n += l;
		p += l + (p[l] == '.');
	}
	q[n++] = 0;
	q[n++] = 0, q[n++] = 1, q[n++] = 0, q[n++] = 1; /* A, IN */
	struct tn_dns_listen to; /* an address alone: port 53 */
	struct tn_error parse_err = {0};
	if (tn_dns_listen_parse(addr, &to, &parse_err) != 0)
		return 0;
	int fd = socket(to.ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0), ok = 0;
	if (fd < 0)
		return 0;
	if (connect(fd, (struct sockaddr *)&to.ss, to.len) == 0 && send(fd, q, n, 0) == (ssize_t)n) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t got;
		if (poll(&p, 1, timeout_ms) == 1 && (got = recv(fd, r, sizeof r, 0)) >= 12)
			ok = r[0] == q[0] && r[1] == q[1];
	}
	close(fd);
	return ok;
}

void tn_doctor_responder(struct tn_doctor *d, struct tn_check *out)
{
	char pidfile[PATH_MAX];
	pid_t pid = 0;
	tn_up_path(d->state_dir, TN_UP_DNS_PID, pidfile);
	out->name = "responder";
	int have_file = access(pidfile, F_OK) == 0, alive = have_file && tn_pidfile_alive(pidfile, &pid);
	int answers = dns_answers(d->nameserver, d->name[0] ? d->name : "tailnet-doctor.invalid", 1000);
	if (answers) {
		tn_check_set(out, TN_CHECK_OK, "answers on %s:53%s", d->nameserver,
			     alive ? "" : have_file ? " (its pidfile names no live process)" : "");
		if (alive)
			snprintf(out->detail + strlen(out->detail), sizeof out->detail - strlen(out->detail),
				 ", pid %ld from %s", (long)pid, pidfile);
		return;
	}
	if (d->resolv_applied || alive) {
		tn_check_set(out, TN_CHECK_FAIL, "does not answer on %s:53%s%s, though %s", d->nameserver,
			     have_file ? "; " : "", have_file ? (alive ? "its process runs" : "its process died") : "",
			     d->resolv_applied ? "resolv.conf names it first" : "it was started");
		tn_check_fix(out, "start it (systemctl restart tailnet-helper-dns, or tailnet-helper up --dns), or "
				  "take it out of resolv.conf: tailnet-helper resolv-conf --revert");
		return;
	}
	tn_check_set(out, TN_CHECK_SKIP, "not running (only static Go, musl and dig need it)");
}
