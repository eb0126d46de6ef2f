/* SPDX-License-Identifier: BSD-3-Clause */
/* main.c - tailnet-helper: dispatch to one command. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "shared/sd_notify.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{"up", cmd_up, "start tailscaled if needed, log in with a minted key if needed, keep the names live"},
	{"down", cmd_down, "stop what up started (the watcher, the DNS responder, tailscaled); keep the state"},
	{"sync", cmd_sync, "read tailscaled's status once and rewrite the cache from it"},
	{"watch", cmd_watch, "keep the cache current from tailscaled's IPN bus, until stopped"},
	{"status", cmd_status, "what this node serves: node, tailnet, names, cache age, watcher (--json for scripts)"},
	{"doctor", cmd_doctor, "check everything a tailnet name needs to resolve, with the fix for each problem"},
	{"hosts", cmd_hosts, "print the cache as /etc/hosts lines, as the NSS module sees it"},
	{"dns", cmd_dns, "answer tailnet names over DNS on loopback, for programs that never call NSS"},
	{"resolv-conf", cmd_resolv_conf, "put the DNS responder first in /etc/resolv.conf (--apply), or undo it"},
	{"ssh-config", cmd_ssh_config, "print ssh_config blocks for the tailnet's hosts (via tailscale nc in userspace mode)"},
	{"mint-key", cmd_mint_key, "mint a short-lived, tagged auth key through the Tailscale API"},
	{"version", cmd_version, "print the version and the build's paths (also --version)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: tailnet-helper COMMAND [OPTIONS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\n'tailnet-helper COMMAND --help' describes a command, its options and exit codes.\n");
}

int main(int argc, char **argv)
{
	tn_notify_init(); /* before anything can start a child that would inherit NOTIFY_SOCKET */
	if (argc < 2) {
		tn_log_fatal("tailnet-helper: no command given. Try 'tailnet-helper --help'.");
		return TN_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return TN_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(argc - 1, argv + 1);
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	tn_log_fatal("tailnet-helper: unknown %s '%s'. Try 'tailnet-helper --help'.",
		     argv[1][0] == '-' ? "option" : "command", argv[1]);
	return TN_EXIT_USAGE;
}
