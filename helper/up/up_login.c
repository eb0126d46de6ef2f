/* SPDX-License-Identifier: BSD-3-Clause */
/* up_login.c - logging a NeedsLogin node in with a freshly minted key (see up.h).
 *
 * The key never touches a file system: it goes into a sealed memfd that `tailscale up` inherits and reads as
 * --auth-key=file:/dev/fd/N (the CLI reads file: values with os.ReadFile and strings.TrimSpace,
 * ts:cmd/tailscale/cli/up.go resolveValueFromFile, 1.98.0 to 1.103), and hands to tailscaled over the
 * LocalAPI. So it is in no argv, no environment, no log and no file, and a SIGKILL at any moment leaves
 * nothing behind: the memfd goes with the last process that holds it. The key is single-use: the one
 * `tailscale up` that reads it is all it is for. */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "shared/log.h"
#include "shared/secrets.h"
#include "tailscaled/localapi.h"
#include "tailscaled/prefs.h"
#include "up/spawn.h"
#include "up/state_dir.h"
#include "up/up.h"
#include "up/up_flags.h"

#define CLI_GRACE_MS 15000L
#define STATUS_MAX_BYTES (64L * 1024 * 1024)

static const char *my_name(char *buf, size_t size)
{
	struct passwd *pw = getpwuid(geteuid());
	snprintf(buf, size, "%s", pw ? pw->pw_name : "");
	return buf;
}

int tn_up_may_write(const struct tn_up_daemon *d, struct tn_error *err)
{
	uid_t me = geteuid();
	/* ts:ipn/ipnauth/ipnauth.go IsReadonlyConn (1.98 to 1.103): root; the daemon's own uid when that is not
	 * root; the operator. (isLocalAdmin is for macOS and QNAP only.) */
	if (me == 0 || (d->peer.uid != 0 && d->peer.uid == me))
		return 1;
	struct tn_localapi api = {d->sock, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	struct tn_prefs prefs;
	char name[256];
	if (tn_prefs_read(&api, &prefs, NULL, err) != 0)
		return -1;
	if (prefs.operator_user[0] && !strcmp(prefs.operator_user, my_name(name, sizeof name)))
		return 1;
	tn_error_set(err, TN_EXIT_CREDENTIALS,
		     "tailscaled at %s needs a login, and runs as uid %u, which lets uid %u (%s) only read it: "
		     "run 'sudo tailscale --socket=%s set --operator=$USER' once, then up again",
		     d->sock, (unsigned)d->peer.uid, (unsigned)me, *name ? name : "no name", d->sock);
	return 0;
}

/* The IP of the peer with StableNodeID `id` in the full status ("" when it is not there): what prefsToFlags
 * shows for an exit node held by its ID (ts:cmd/tailscale/cli/up.go exitNodeIP). */
static void exit_node_ip(const char *sock, const char *id, char *out, size_t size)
{
	struct tn_localapi api = {sock, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	struct tn_error ignored;
	char *body;
	size_t len;
	out[0] = '\0';
	if (tn_localapi_get_body(&api, "status", STATUS_MAX_BYTES, &body, &len, &ignored) != 0)
		return;
	json_t *doc = json_loadb(body, len, 0, NULL), *peer;
	const char *key;
	json_object_foreach(json_object_get(doc, "Peer"), key, peer) {
		const char *ip = json_string_value(json_array_get(json_object_get(peer, "TailscaleIPs"), 0));
		const char *peer_id = json_string_value(json_object_get(peer, "ID"));
		if (peer_id && ip && !strcmp(peer_id, id)) {
			char clean[64];
			snprintf(out, size, "%s", tn_error_printable(ip, clean, sizeof clean));
			break;
		}
	}
	json_decref(doc);
	free(body);
}

/* The flags for `tailscale up`: what the node has, then what this `up` asks. */
static int login_flags(const struct tn_up_config *cfg, const struct tn_up_daemon *d, const struct tn_prefs *cur,
		       struct tn_up_flags *f, struct tn_error *err)
{
	char ip[64] = "";
	if (cur->exit_node_id[0] && !cur->exit_node_ip[0] && !cur->auto_exit_node[0])
		exit_node_ip(d->sock, cur->exit_node_id, ip, sizeof ip);
	if (tn_up_carry_flags(cur, ip, f, err) != 0)
		return -1;
	bool fresh = !cur->control_url[0];
	if (fresh && d->ours) {
		/* A daemon of our own, logging in for the first time: the container defaults. Later logins carry
		 * whatever the node has by then. */
		tn_up_flag_bool(f, "accept-dns", false);
		tn_up_flag_bool(f, "stateful-filtering", false);
	}
	char host[256] = "";
	if (cfg->hostname)
		snprintf(host, sizeof host, "%s", cfg->hostname);
	else if (fresh && d->ours)
		gethostname(host, sizeof host - 1);
	if (*host)
		tn_up_flag_set(f, "hostname", host);
	return 0;
}

/* The key in a sealed memfd, at offset 0, inheritable under its number once the child clears CLOEXEC. */
static int key_memfd(const struct tn_secret *key, struct tn_error *err)
{
	int fd = memfd_create("tailnet-auth-key", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot create a memfd for the key: %s", strerror(errno));
	if (tn_write_all(fd, key->data, key->len) != 0 || tn_write_all(fd, "\n", 1) != 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0 ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		int e = errno;
		close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "cannot put the key in a memfd: %s", strerror(e));
	}
	return fd;
}

/* `tailscale up` connects by itself, after our checks: the path it is given must lead to the daemon we
 * checked. Where only root (or we) can change the socket's directory, its own path does. In a directory others
 * may write (/tmp, the container image's), someone could put their socket there the moment tailscaled
 * stops; so the CLI gets a hard link to the socket, made in a directory of our own beside it and checked
 * again (same uid, same pid): it leads to that socket and no other, and refuses connections if the daemon
 * goes. *dir is "" when nothing was made, else what unpin() removes. */
static int pin_socket(const struct tn_up_daemon *d, char *dir, char *out, struct tn_error *err)
{
	char parent[PATH_MAX];
	const char *slash = strrchr(d->sock, '/');
	struct stat st;
	dir[0] = '\0';
	snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash == d->sock ? 1 : slash - d->sock) : 1,
		 slash ? d->sock : ".");
	if (stat(parent, &st) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot stat %s: %s", parent, strerror(errno));
	if (!(st.st_mode & (S_IWGRP | S_IWOTH)) && (st.st_uid == 0 || st.st_uid == geteuid())) {
		snprintf(out, PATH_MAX, "%s", d->sock);
		return 0;
	}
	struct tn_peer peer;
	if ((size_t)snprintf(dir, PATH_MAX, "%.*s/.tailnet-up.XXXXXX", PATH_MAX - 64, parent) >= PATH_MAX - 32 ||
	    !mkdtemp(dir)) {
		int e = errno;
		dir[0] = '\0';
		return tn_error_set(err, TN_EXIT_FAIL, "cannot make a directory of our own in %s, which others may "
				    "write, to hand tailscale up its socket safely: %s", parent, strerror(e));
	}
	snprintf(out, PATH_MAX, "%.*s/tailscaled.sock", PATH_MAX - 32, dir);
	if (link(d->sock, out) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot link %s to %s: %s", d->sock, out, strerror(errno));
	if (tn_localapi_probe_peer(out, &peer, err) != 1 || peer.uid != d->peer.uid || peer.pid != d->peer.pid)
		return tn_error_set(err, TN_EXIT_UNREACHABLE, "the tailscaled at %s changed or went while up logged it "
				    "in; nothing was handed over", d->sock);
	return 0;
}

static void unpin(const char *dir, const char *sock)
{
	if (!dir[0])
		return;
	unlink(sock);
	rmdir(dir);
}

static int run_tailscale_up(const struct tn_up_config *cfg, const struct tn_up_daemon *d, const struct tn_up_flags *f,
			    const struct tn_secret *key, struct tn_error *err)
{
	char socket_arg[PATH_MAX + 16], key_arg[64], timeout_arg[40], shown[4096], dir[PATH_MAX], sock[PATH_MAX];
	if (pin_socket(d, dir, sock, err) != 0) {
		unpin(dir, sock);
		return -1;
	}
	int fd = key_memfd(key, err);
	if (fd < 0) {
		unpin(dir, sock);
		return -1;
	}
	snprintf(socket_arg, sizeof socket_arg, "--socket=%s", sock);
	snprintf(key_arg, sizeof key_arg, "--auth-key=file:/dev/fd/%d", fd);
	snprintf(timeout_arg, sizeof timeout_arg, "--timeout=%lds", cfg->timeout_ms / 1000);
	const char *argv[TN_UP_FLAGS_MAX + 8] = {cfg->tailscale, socket_arg, "up", key_arg};
	int argc = 4;
	size_t used = (size_t)snprintf(shown, sizeof shown, "%s %s up %s", cfg->tailscale, socket_arg, key_arg);
	for (int i = 0; i < f->count; i++) {
		argv[argc++] = f->arg[i];
		if (used < sizeof shown)
			used += (size_t)snprintf(shown + used, sizeof shown - used, " %s", f->arg[i]);
	}
	argv[argc++] = timeout_arg;
	if (used < sizeof shown)
		snprintf(shown + used, sizeof shown - used, " %s", timeout_arg);
	tn_info("logging in: %s", shown);
	int status;
	int rc = tn_spawn_wait(argv, fd, cfg->timeout_ms + CLI_GRACE_MS, &status, err);
	close(fd);
	unpin(dir, sock);
	if (rc != 0)
		return -1;
	if (status != 0) {
		char how[80];
		return tn_error_set(err, TN_EXIT_NOT_RUNNING,
				    "%s up %s (its messages are above); the node is not logged in", cfg->tailscale,
				    tn_spawn_describe(status, how, sizeof how));
	}
	return 0;
}

static int login(const struct tn_up_config *cfg, const struct tn_up_daemon *d, const struct tn_prefs *cur,
		 struct tn_brief *b, struct tn_error *err)
{
	struct tn_localapi api = {d->sock, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	struct tn_up_flags flags = {0};

	struct tn_mint_settings settings = cfg->mint;
	char host[256] = "", desc[TN_DESCRIPTION_MAX + 1];
	if (cfg->hostname)
		snprintf(host, sizeof host, "%s", cfg->hostname);
	else if (cur->hostname[0])
		snprintf(host, sizeof host, "%s", cur->hostname);
	else
		gethostname(host, sizeof host - 1);
	if (!settings.description) {
		tn_default_description(host, desc);
		settings.description = desc;
	}
	/* The node keeps its tags unless --tags says otherwise: they are who it is in the tailnet's policy. */
	if (!settings.tags && cur->tags[0])
		settings.tags = cur->tags;
	/* An ephemeral node leaves the tailnet when it goes offline: right for a container's tailscaled, not
	 * for a host's. One key, one login: single-use. */
	settings.ephemeral = cfg->ephemeral >= 0 ? cfg->ephemeral : d->ours;
	settings.reusable = false;
	/* Settings that cannot be carried fail here, before a key is minted for nothing. */
	if (login_flags(cfg, d, cur, &flags, err) != 0)
		return -1;
	if (d->ours)
		tn_info("tailscaled at %s (started by up) needs a login: minting a single-use%s auth key", d->sock,
			settings.ephemeral ? ", ephemeral" : "");
	else
		tn_info("tailscaled at %s (not started by up: its settings are kept as they are) needs a login: "
			"minting a single-use%s auth key",
			d->sock, settings.ephemeral ? ", ephemeral" : "");

	/* No core dump and no ptrace by other users while the credentials and the key are in memory. */
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct tn_mint_outcome got;
	int rc = tn_mint_with_settings(&settings, &got, err);
	if (rc == 0) {
		const char *id = json_string_value(json_object_get(got.minted.info, "id"));
		tn_info("minted auth key %s (%s, tags %s)", id ? id : "(no id)",
			got.kind == TN_CRED_OAUTH ? "OAuth client" : "API access token", *got.tags ? got.tags : "none");
		/* A tagged key is advertised with its tags (control refuses others); an untagged one (an API token
		 * with --tags "") advertises nothing. */
		if (*got.tags)
			tn_up_flag_set(&flags, "advertise-tags", got.tags);
		rc = run_tailscale_up(cfg, d, &flags, &got.minted.key, err);
	}
	tn_mint_outcome_free(&got);
	if (dumpable > 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	if (rc != 0)
		return -1;

	/* tailscale up returns once the node is Running; read it back rather than take its word. */
	if (tn_brief_read(&api, b, err) != 0 || tn_up_settle(cfg, d->sock, b, err) != 0)
		return -1;
	if (strcmp(b->backend_state, "Running") != 0)
		return tn_error_set(err, TN_EXIT_NOT_RUNNING, "after tailscale up, tailscaled at %s is %s, not Running",
				    d->sock, b->backend_state);
	return 0;
}

/* The settings `tailscale up` has no flag for, as they were before the login (tn_prefs_restore). The node
 * is logged in by now: a failure here is said, and is the command's error. */
static int put_back(const struct tn_up_daemon *d, const char *before, struct tn_error *err)
{
	struct tn_localapi api = {d->sock, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	char *after = NULL, *masked = NULL, names[512];
	size_t after_len;
	/* Only the text: tn_prefs_restore() reads it as it compares. */
	int n = tn_localapi_get_body(&api, "prefs", TN_PREFS_MAX_BYTES, &after, &after_len, err);
	if (n == 0)
		n = tn_prefs_restore(before, after, &masked, names, sizeof names, err);
	if (n > 0) {
		if (tn_localapi_send(&api, "PATCH", "prefs", masked, strlen(masked), NULL, NULL, err) == 0)
			tn_info("put back what tailscale up reverted and has no flag for: %s", names);
		else
			n = tn_error_wrap(err, "the node is logged in, but its %s could not be put back: ", names);
	}
	free(after);
	free(masked);
	return n < 0 ? -1 : 0;
}

int tn_up_login(const struct tn_up_config *cfg, const struct tn_up_daemon *d, struct tn_brief *b,
		struct tn_error *err)
{
	struct tn_localapi api = {d->sock, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	struct tn_prefs cur;
	char *before = NULL;
	if (tn_prefs_read(&api, &cur, &before, err) != 0)
		return -1;
	int rc = login(cfg, d, &cur, b, err);
	if (rc == 0)
		rc = put_back(d, before, err);
	free(before);
	return rc;
}
