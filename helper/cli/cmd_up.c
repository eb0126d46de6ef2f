/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_up.c - `tailnet-helper up`: the command line around up.c. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/options.h"
#include "mint/api_client.h"
#include "shared/log.h"
#include "up/tun_probe.h"
#include "up/up.h"

#define TIMEOUT_LIMIT_S 3600L

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper up [--state-dir DIR] [--socket PATH] [--mode auto|tun|userspace]\n"
		"                         [--hostname NAME] [--tags LIST] [--log-file PATH] [--foreground] [--dns]\n"
		"                         [OPTIONS]\n\n"
		"Brings this machine onto the tailnet, doing only what is not done yet, so it is safe to run from\n"
		"every shell: starts tailscaled when none answers (kernel TUN mode when the TUN device opens and\n"
		"CAP_NET_ADMIN is held, userspace networking otherwise); only when it needs a login, mints a\n"
		"short-lived single-use auth key (as mint-key does) and runs 'tailscale up' with it, keeping every\n"
		"setting the node has; writes the cache; makes sure one 'tailnet-helper watch' keeps it current;\n"
		"prints a summary. A second 'up' while one is busy only syncs the cache and returns.\n\n"
		"  --state-dir DIR     where tailscaled's state, its log and socket (userspace mode) and the\n"
		"                      pidfiles live (default %s for root, else ~/.local/state/tailnet)\n"
		"  --socket PATH       tailscaled's socket (default $TAILSCALE_SOCKET or $TS_SOCKET, else the first\n"
		"                      of <state-dir>/tailscaled.sock and the system ones with a daemon behind it,\n"
		"                      which must run as root (or as you); a tailscaled we start listens on\n"
		"                      %s in TUN mode, <state-dir>/tailscaled.sock\n"
		"                      in userspace mode)\n"
		"  --mode MODE         auto (default), tun or userspace, for a tailscaled we start\n"
		"  --hostname NAME     the node's name (default: the node's own, else this machine's hostname)\n"
		"  --tags LIST         tags for the minted key and --advertise-tags (default: the node's own, else\n"
		"                      " TN_DEFAULT_TAGS ")\n"
		"  --ephemeral, --no-ephemeral\n"
		"                      whether the node leaves the tailnet when it goes offline (default: yes for a\n"
		"                      tailscaled we start, no for one we find running)\n"
		"  --log-file PATH     tailscaled's output (default <state-dir>/tailscaled.log)\n"
		"  --foreground        run the watcher in this process after the summary, until SIGTERM (for\n"
		"                      systemd units and container entrypoints)\n"
		"  --dns               also run 'tailnet-helper dns' and put it first in --resolv-conf\n"
		"  --resolv-conf FILE  the file --dns rewrites (default /etc/resolv.conf)\n"
		"  --cache PATH        cache file (default " TN_DEFAULT_CACHE_PATH ")\n"
		"  --timeout SECONDS   for tailscaled to answer, for the login, for the watcher (default %ld)\n"
		"  --tailscaled PROG, --tailscale PROG\n"
		"                      the programs to run (default: found on PATH)\n"
		"  --tun-device PATH   the TUN device auto mode tries (default " TN_TUN_DEVICE ")\n"
		"  --socks5 ADDR       userspace mode's SOCKS5 proxy (default " TN_UP_SOCKS5_DEFAULT ")\n"
		"  --http-proxy ADDR   userspace mode's HTTP proxy (default " TN_UP_HTTP_PROXY_DEFAULT ")\n"
		"minting (see 'tailnet-helper mint-key --help'):\n"
		"  --config FILE, --api-url URL, --ca-file FILE, --oauth-client-id-file FILE,\n"
		"  --oauth-client-secret-file FILE, --api-key-file FILE\n"
		"  --verbose, --quiet (errors only, no summary), --help\n\n"
		"exit codes: 0 up; 1 local failure (state directory, cache, a service that would not start); 2 usage;\n"
		"3 tailscaled did not come up, does not answer or is not trusted; 4 bad answer (tailscaled or the API);\n"
		"5 not Running (Stopped, awaiting approval, or 'tailscale up' failed); 6 credentials missing, unsafe or\n"
		"refused, or no right to change tailscaled's settings\n",
		TN_STATE_DIR_ROOT, TN_SYSTEM_SOCKET, TN_UP_TIMEOUT_MS / 1000);
}

int cmd_up(int argc, char **argv)
{
	enum {
		O_STATE = 256,
		O_SOCKET,
		O_MODE,
		O_HOSTNAME,
		O_TAGS,
		O_LOG,
		O_FG,
		O_DNS,
		O_RESOLV,
		O_CACHE,
		O_TIMEOUT,
		O_TAILSCALED,
		O_TAILSCALE,
		O_TUN,
		O_SOCKS,
		O_HTTP,
		O_CONFIG,
		O_API_URL,
		O_CA,
		O_OID,
		O_OSECRET,
		O_APIKEY,
		O_EPH,
		O_NOEPH
	};
	static const struct option opts[] = {{"state-dir", required_argument, NULL, O_STATE},
					     {"socket", required_argument, NULL, O_SOCKET},
					     {"mode", required_argument, NULL, O_MODE},
					     {"hostname", required_argument, NULL, O_HOSTNAME},
					     {"tags", required_argument, NULL, O_TAGS},
					     {"log-file", required_argument, NULL, O_LOG},
					     {"foreground", no_argument, NULL, O_FG},
					     {"dns", no_argument, NULL, O_DNS},
					     {"resolv-conf", required_argument, NULL, O_RESOLV},
					     {"cache", required_argument, NULL, O_CACHE},
					     {"timeout", required_argument, NULL, O_TIMEOUT},
					     {"tailscaled", required_argument, NULL, O_TAILSCALED},
					     {"tailscale", required_argument, NULL, O_TAILSCALE},
					     {"tun-device", required_argument, NULL, O_TUN},
					     {"socks5", required_argument, NULL, O_SOCKS},
					     {"http-proxy", required_argument, NULL, O_HTTP},
					     {"config", required_argument, NULL, O_CONFIG},
					     {"api-url", required_argument, NULL, O_API_URL},
					     {"ca-file", required_argument, NULL, O_CA},
					     {"oauth-client-id-file", required_argument, NULL, O_OID},
					     {"oauth-client-secret-file", required_argument, NULL, O_OSECRET},
					     {"api-key-file", required_argument, NULL, O_APIKEY},
					     {"ephemeral", no_argument, NULL, O_EPH},
					     {"no-ephemeral", no_argument, NULL, O_NOEPH},
					     {NULL, 0, NULL, 0}};
	struct tn_up_config cfg = {.mode = TN_MODE_AUTO,
				   .ephemeral = -1,
				   .cache = TN_DEFAULT_CACHE_PATH,
				   .tailscaled = "tailscaled",
				   .tailscale = "tailscale",
				   .tun_device = TN_TUN_DEVICE,
				   .socks5 = TN_UP_SOCKS5_DEFAULT,
				   .http_proxy = TN_UP_HTTP_PROXY_DEFAULT,
				   .resolv_conf = "/etc/resolv.conf",
				   .timeout_ms = TN_UP_TIMEOUT_MS,
				   .mint = TN_MINT_SETTINGS_DEFAULT};
	const char *state_dir = NULL;
	struct tn_error err = {0};
	long seconds;
	int c;
	struct cmd_parser p = CMD_PARSER("up", "", opts, usage, TN_LOG_INFO, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case O_STATE:
			state_dir = optarg;
			break;
		case O_SOCKET:
			cfg.socket = optarg;
			break;
		case O_MODE:
			if (!strcmp(optarg, "auto") || !strcmp(optarg, "tun") || !strcmp(optarg, "userspace")) {
				cfg.mode = optarg[0] == 'a'   ? TN_MODE_AUTO
					   : optarg[0] == 't' ? TN_MODE_TUN
							      : TN_MODE_USERSPACE;
				break;
			}
			return cmd_usage_error(&p, "--mode wants auto, tun or userspace");
		case O_HOSTNAME:
			cfg.hostname = optarg;
			break;
		case O_TAGS:
			cfg.mint.tags = optarg;
			break;
		case O_LOG:
			cfg.log_file = optarg;
			break;
		case O_FG:
			cfg.foreground = true;
			break;
		case O_DNS:
			cfg.dns = true;
			break;
		case O_RESOLV:
			cfg.resolv_conf = optarg;
			break;
		case O_CACHE:
			cfg.cache = optarg;
			break;
		case O_TIMEOUT:
			if (tn_parse_seconds(optarg, TIMEOUT_LIMIT_S, &seconds) < 0)
				return cmd_usage_error(&p, "--timeout wants whole seconds from 1 to %ld", TIMEOUT_LIMIT_S);
			cfg.timeout_ms = seconds * 1000;
			break;
		case O_TAILSCALED:
			cfg.tailscaled = optarg;
			break;
		case O_TAILSCALE:
			cfg.tailscale = optarg;
			break;
		case O_TUN:
			cfg.tun_device = optarg;
			break;
		case O_SOCKS:
			cfg.socks5 = optarg;
			break;
		case O_HTTP:
			cfg.http_proxy = optarg;
			break;
		case O_CONFIG:
			cfg.mint.config = optarg;
			break;
		case O_API_URL:
			cfg.mint.api_url = optarg;
			break;
		case O_CA:
			cfg.mint.ca_file = optarg;
			break;
		case O_OID:
			cfg.mint.oauth_id = optarg;
			break;
		case O_OSECRET:
			cfg.mint.oauth_secret = optarg;
			break;
		case O_APIKEY:
			cfg.mint.api_key = optarg;
			break;
		case O_EPH:
		case O_NOEPH:
			cfg.ephemeral = c == O_EPH;
			break;
		}
	}
	if (c == CMD_EXIT)
		return p.exit;
	if (cfg.cache[0] != '/' || cfg.resolv_conf[0] != '/')
		return cmd_usage_error(&p, "--cache and --resolv-conf want absolute paths");
	tn_log_setup("up", p.level, tn_log_timestamps_env(0));
	cfg.quiet = p.level == TN_LOG_ERROR;
	if (tn_up_state_dir(state_dir, cfg.state_dir, &err) != 0)
		return cmd_fail("up", &err);
	/* First, before anything uses libcurl or jansson: their copies of the credentials get wiped. */
	if (tn_api_global_init(&err) != 0)
		return cmd_fail("up", &err);
	int rc = tn_up_run(&cfg, &err) == 0 ? TN_EXIT_OK : cmd_fail("up", &err);
	tn_api_global_cleanup();
	return rc;
}
