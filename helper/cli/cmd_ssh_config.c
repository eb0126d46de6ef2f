/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_ssh_config.c - `tailnet-helper ssh-config`: an ssh_config block for every tailnet host the module
 * resolves, direct in kernel TUN mode and through `tailscale nc` in userspace mode, where the kernel has
 * no route to 100.x (this replaces the seed's render-tailscale-inventory.sh). Names come from the cache
 * through the module's own reader, so ssh and getent agree; the mode comes from tailscaled's status. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_open.h"
#include "cli/commands.h"
#include "up/up.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper ssh-config [--state-dir DIR] [--socket PATH] [--cache PATH] [--tailscale PROG]\n\n"
		"Prints ssh_config(5) Host blocks, one per tailnet host in the cache (its FQDN and bare name as\n"
		"patterns, the FQDN as HostName), this node excepted. When tailscaled runs in userspace-networking\n"
		"mode each block also gets 'ProxyCommand tailscale --socket=SOCKET nc %%h %%p', since this host\n"
		"cannot reach tailnet addresses directly then. For example:\n"
		"  tailnet-helper ssh-config > ~/.ssh/config.d/tailnet   (with 'Include config.d/*' in ~/.ssh/config)\n\n"
		"  --state-dir DIR   as for up, to find its tailscaled (default %s for root)\n"
		"  --socket PATH     tailscaled's socket (default: as up finds it)\n"
		"  --cache PATH      cache file (default " TN_DEFAULT_CACHE_PATH ")\n"
		"  --tailscale PROG  the tailscale CLI named in ProxyCommand (default tailscale)\n\n"
		"exit codes: 0 printed; 1 cache missing, refused or expired; 2 usage; 3 tailscaled does not answer\n",
		TN_STATE_DIR_ROOT);
}

/* ssh hands ProxyCommand to the shell after expanding %-tokens: quote for both. */
static void print_word(const char *w)
{
	if (strspn(w, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/._-") == strlen(w)) {
		fputs(w, stdout);
		return;
	}
	putchar('\'');
	for (; *w; w++) {
		if (*w == '\'')
			fputs("'\\''", stdout);
		else if (*w == '%')
			fputs("%%", stdout);
		else
			putchar(*w);
	}
	putchar('\'');
}

static int print_hosts(const struct tn_cache *c, const struct tn_brief *b, const char *tailscale, const char *sock)
{
	int hosts = 0;
	for (uint32_t i = 0; i < c->node_count; i++) {
		struct tn_hit h;
		if (!tn_cache_node(c, i, &h) || !strcmp(h.fqdn, b->self_fqdn))
			continue;
		printf("\nHost");
		if (h.bare_len)
			printf(" %.*s", (int)h.bare_len, h.fqdn);
		printf(" %s\n\tHostName %s\n", h.fqdn, h.fqdn);
		if (b->tun == 0) {
			printf("\tProxyCommand ");
			print_word(tailscale);
			printf(" --socket=");
			print_word(sock);
			printf(" nc %%h %%p\n");
		}
		hosts++;
	}
	return hosts;
}

int cmd_ssh_config(int argc, char **argv)
{
	static const struct option opts[] = {{"state-dir", required_argument, NULL, 'd'},
					     {"socket", required_argument, NULL, 's'},
					     {"cache", required_argument, NULL, 'c'},
					     {"tailscale", required_argument, NULL, 't'},
					     {NULL, 0, NULL, 0}};
	struct tn_up_config cfg = {.mode = TN_MODE_AUTO, .cache = TN_DEFAULT_CACHE_PATH, .tailscale = "tailscale"};
	const char *state_dir = NULL;
	struct tn_error err = {0};
	int c;
	struct cmd_parser p = CMD_PARSER("ssh-config", "", opts, usage, TN_LOG_WARN, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case 'd':
			state_dir = optarg;
			break;
		case 's':
			cfg.socket = optarg;
			break;
		case 'c':
			cfg.cache = optarg;
			break;
		case 't':
			cfg.tailscale = optarg;
			break;
		}
	}
	if (c == CMD_EXIT)
		return p.exit;
	tn_log_setup("ssh-config", p.level, tn_log_timestamps_env(0));
	if (tn_up_state_dir(state_dir, cfg.state_dir, &err) != 0)
		return cmd_fail("ssh-config", &err);

	struct tn_up_daemon d;
	struct tn_brief b;
	int found = tn_up_locate(&cfg, TN_UP_PROBE_MS, &d, &b, &err);
	const char *sock = d.sock;
	if (found <= 0) {
		if (found == 0)
			tn_error_set(&err, TN_EXIT_UNREACHABLE, "no tailscaled answers%s%s; is 'tailnet-helper up' done?",
				     *sock ? " on " : "", sock);
		return cmd_fail("ssh-config", &err);
	}
	struct tn_cache_file f;
	if (tn_cache_open_usable(cfg.cache, &f, &err) != 0)
		return cmd_fail("ssh-config", &err);
	printf("# tailnet-helper ssh-config: tailnet %s, %s\n", b.tailnet[0] ? b.tailnet : "?",
	       b.tun == 0 ? "userspace networking: through tailscaled's nc" : "kernel TUN: direct connections");
	int hosts = print_hosts(&f.c, &b, cfg.tailscale, sock);
	tn_info("%d hosts from %s (generation %llu)", hosts, cfg.cache, (unsigned long long)f.c.generation);
	tn_cache_close(&f);
	return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_FAIL;
}
