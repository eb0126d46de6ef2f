/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_hosts.c - `tailnet-helper hosts`: the cache as /etc/hosts lines, read through the module's own reader,
 * so what it prints (or refuses) is exactly what libnss_tailnet.so.2 answers (or refuses). */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cache/cache_open.h"
#include "cli/commands.h"
#include "shared/version.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: tailnet-helper hosts [--cache PATH]\n\n"
		     "Prints every name the NSS module answers, as /etc/hosts lines: address, FQDN, bare name.\n"
		     "The cache is read with the module's own checks (owner, mode, checksum, expiry).\n\n"
		     "  --cache PATH  cache file (default " TN_DEFAULT_CACHE_PATH ")\n\n"
		     "exit codes: 0 printed; 1 cache missing, refused or expired; 2 usage\n");
}

static void print_time(const char *label, int64_t t)
{
	char buf[40];
	time_t tt = (time_t)t;
	struct tm tm;
	if (gmtime_r(&tt, &tm) && strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm))
		printf("# %s %s\n", label, buf);
}

int cmd_hosts(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cache", required_argument, NULL, 'c'}, {NULL, 0, NULL, 0}};
	const char *path = TN_DEFAULT_CACHE_PATH;
	struct tn_error err = {0};
	int c;
	struct cmd_parser p = CMD_PARSER("hosts", "c:", opts, usage, TN_LOG_WARN, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case 'c':
			path = optarg;
			break;
		}
	}
	if (c == CMD_EXIT)
		return p.exit;

	struct tn_cache_file f;
	if (tn_cache_open_usable(path, &f, &err) != 0)
		return cmd_fail("hosts", &err);
	printf("# tailnet cache %s, generation %llu, suffix %s, MagicDNS %s (tailnet-helper " TN_PACKAGE_VERSION ")\n",
	       path,
	       (unsigned long long)f.c.generation, f.c.suffix_len ? f.c.suffix : "(none)",
	       (f.c.flags & TN_FLAG_MAGICDNS) ? "on" : "off");
	if (f.c.flags & TN_FLAG_PAUSED)
		printf("# paused: tailscaled is stopped or logged out, so the module and the responder answer none of "
		       "these names\n");
	print_time("written", f.c.written_at);
	print_time("valid-until", f.c.valid_until);
	for (uint32_t i = 0; i < f.c.node_count; i++) {
		struct tn_hit h;
		if (!tn_cache_node(&f.c, i, &h))
			continue;
		for (unsigned a = 0; a < (unsigned)h.n4 + h.n6; a++) {
			char text[INET6_ADDRSTRLEN];
			const uint8_t *b = tn_hit_addr(&h, a) + TN_ADDR_BYTES;
			if (a < h.n4)
				inet_ntop(AF_INET, b + 12, text, sizeof text);
			else
				inet_ntop(AF_INET6, b, text, sizeof text);
			printf("%-40s %s", text, h.fqdn);
			if (h.bare_len)
				printf(" %.*s", (int)h.bare_len, h.fqdn);
			putchar('\n');
		}
	}
	tn_cache_close(&f);
	return fflush(stdout) == 0 ? TN_EXIT_OK : TN_EXIT_FAIL;
}
