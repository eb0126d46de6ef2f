/* SPDX-License-Identifier: BSD-3-Clause */
/* up_login.c - logging a NeedsLogin node in with a freshly minted key (see up.h).
 *
 * The key travels only through a 0600 file in the 0700 state directory, named to `tailscale up` as
 * --auth-key=file:PATH (the CLI reads it and hands it to tailscaled over the LocalAPI), so it is in no argv,
 * no environment and no log. SIGINT, SIGTERM and SIGHUP are held off from writing the file to removing it:
 * a Ctrl-C still stops the CLI (it has the default disposition), and ends us once the file is gone. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "shared/log.h"
#include "shared/secrets.h"
#include "tailscaled/localapi.h"
#include "up/spawn.h"
#include "up/state_dir.h"
#include "up/up.h"

#define CLI_GRACE_MS 15000L

static int run_tailscale_up(const struct tn_up_config *cfg, const char *sock, const char *key_file,
			    const char *hostname, const char *tags, struct tn_error *err)
{
	char socket_arg[PATH_MAX + 16], key_arg[PATH_MAX + 16], host_arg[300], tags_arg[1100], timeout_arg[40];
	snprintf(socket_arg, sizeof socket_arg, "--socket=%s", sock);
	snprintf(key_arg, sizeof key_arg, "--auth-key=file:%s", key_file);
	snprintf(host_arg, sizeof host_arg, "--hostname=%s", hostname);
	snprintf(tags_arg, sizeof tags_arg, "--advertise-tags=%s", tags);
	snprintf(timeout_arg, sizeof timeout_arg, "--timeout=%lds", cfg->timeout_ms / 1000);
	const char *argv[] = {cfg->tailscale,	      socket_arg, "up",	       key_arg, "--accept-dns=false",
			"--stateful-filtering=false", host_arg,	  timeout_arg, NULL,	NULL};
	/* Untagged keys (an API token with --tags "") advertise nothing; tagged ones must advertise their tags
	 * (tailscale up refuses a tagged key otherwise). */
	if (*tags)
		argv[8] = tags_arg;
	tn_info("logging in: %s %s up --auth-key=file:%s --accept-dns=false --stateful-filtering=false %s %s%s%s",
		cfg->tailscale, socket_arg, key_file, host_arg, timeout_arg, *tags ? " " : "", *tags ? tags_arg : "");
	int status;
	if (tn_spawn_wait(argv, cfg->timeout_ms + CLI_GRACE_MS, &status, err) != 0)
		return -1;
	if (status != 0) {
		char how[80];
		return tn_error_set(err, TN_EXIT_NOT_RUNNING,
				    "%s up %s (its messages are above); the node is not logged in", cfg->tailscale,
				    tn_spawn_describe(status, how, sizeof how));
	}
	return 0;
}

static int with_key(const struct tn_up_config *cfg, const char *sock, const char *hostname,
		    const struct tn_mint_outcome *got, struct tn_error *err)
{
	char key_file[PATH_MAX];
	tn_up_path(cfg->state_dir, TN_UP_AUTH_KEY, key_file);
	sigset_t hold, old;
	sigemptyset(&hold);
	sigaddset(&hold, SIGINT);
	sigaddset(&hold, SIGTERM);
	sigaddset(&hold, SIGHUP);
	sigprocmask(SIG_BLOCK, &hold, &old);
	int rc = tn_secret_write_file(key_file, got->minted.key.data, got->minted.key.len, err);
	if (rc == 0)
		rc = run_tailscale_up(cfg, sock, key_file, hostname, got->tags, err);
	if (unlink(key_file) != 0 && errno != ENOENT && rc == 0)
		rc = tn_error_set(err, TN_EXIT_FAIL, "cannot remove the key file %s: %s", key_file, strerror(errno));
	sigprocmask(SIG_SETMASK, &old, NULL);
	return rc;
}

int tn_up_login(const struct tn_up_config *cfg, const char *sock, struct tn_brief *b, struct tn_error *err)
{
	char hostname[256] = "", desc[TN_DESCRIPTION_MAX + 1];
	if (cfg->hostname)
		snprintf(hostname, sizeof hostname, "%s", cfg->hostname);
	else
		gethostname(hostname, sizeof hostname - 1);
	struct tn_mint_settings settings = cfg->mint;
	if (!settings.description) {
		tn_default_description(hostname, desc);
		settings.description = desc;
	}

	/* No core dump and no ptrace by other users while the credentials and the key are in memory. */
	int dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	struct tn_mint_outcome got;
	tn_info("tailscaled at %s needs a login: minting an auth key", sock);
	int rc = tn_mint_with_settings(&settings, &got, err);
	if (rc == 0) {
		const char *id = json_string_value(json_object_get(got.minted.info, "id"));
		tn_info("minted auth key %s (%s, tags %s)", id ? id : "(no id)",
			got.kind == TN_CRED_OAUTH ? "OAuth client" : "API access token", *got.tags ? got.tags : "none");
		rc = with_key(cfg, sock, hostname, &got, err);
	}
	tn_mint_outcome_free(&got);
	if (dumpable > 0)
		prctl(PR_SET_DUMPABLE, dumpable, 0, 0, 0);
	if (rc != 0)
		return -1;

	/* tailscale up returns once the node is Running; read it back rather than take its word. */
	struct tn_localapi api = {sock, TN_LOCALAPI_CONNECT_TIMEOUT_MS, TN_LOCALAPI_TIMEOUT_MS};
	if (tn_brief_read(&api, b, err) != 0 || tn_up_settle(cfg, sock, b, err) != 0)
		return -1;
	if (strcmp(b->backend_state, "Running") != 0)
		return tn_error_set(err, TN_EXIT_NOT_RUNNING, "after tailscale up, tailscaled at %s is %s, not Running",
				    sock, b->backend_state);
	return 0;
}
