/* SPDX-License-Identifier: BSD-3-Clause */
/* cmd_resolv_conf.c - `tailnet-helper resolv-conf --apply|--revert`: make /etc/resolv.conf ask the DNS
 * responder first (and search the tailnet's suffix), or put the original back byte for byte. */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/commands.h"
#include "dns/dns_server.h"
#include "dns/resolv_conf.h"
#include "nss/cache_file.h"
#include "nss/name.h"
#include "shared/log.h"

#define DEFAULT_FILE "/etc/resolv.conf"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: tailnet-helper resolv-conf --apply|--revert [--file PATH] [--backup PATH]\n"
		"                                  [--nameserver ADDR] [--search SUFFIX] [--cache PATH]\n\n"
		"--apply puts the DNS responder ('tailnet-helper dns') first in resolv.conf and the tailnet's suffix\n"
		"first in its search list, keeping the other nameservers after it; the original is saved next to\n"
		"the file. Applying twice changes nothing. --revert restores the original byte for byte. The file is\n"
		"rewritten in place, never replaced, so a bind-mounted /etc/resolv.conf (Docker) works; a symbolic\n"
		"link (systemd-resolved, resolvconf) is refused. Resolvers use at most 3 nameservers: with the\n"
		"responder first, a third original one is kept as a comment until --revert.\n\n"
		"  --file PATH        the file to change (default " DEFAULT_FILE ")\n"
		"  --backup PATH      where the original is kept (default PATH" TN_RESOLV_BACKUP_SUFFIX ")\n"
		"  --nameserver ADDR  the responder's address (default " TN_DNS_DEFAULT_ADDR "; resolv.conf has\n"
		"                     no ports, so the responder must listen on port 53)\n"
		"  --search SUFFIX    the search domain to add (default: the tailnet suffix in the cache)\n"
		"  --cache PATH       the cache to read the suffix from (default " TN_DEFAULT_CACHE_PATH ")\n\n"
		"exit codes: 0 done (or nothing to do); 1 the file or its backup cannot be read or written, no\n"
		"suffix known; 2 usage\n");
}

static int suffix_from_cache(const char *path, char *out, size_t size, struct tn_error *err)
{
	struct tn_cache_file f;
	const char *why = NULL;
	if (tn_cache_open(path, &f, &why) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "no --search given and the cache %s is unusable (%s)", path,
				    why ? why : "?");
	int rc = 0;
	if (tn_cache_expired(&f.c, (int64_t)time(NULL)))
		rc = tn_error_set(err, TN_EXIT_FAIL, "no --search given and the cache %s has expired", path);
	else if (f.c.suffix_len == 0)
		rc = tn_error_set(err, TN_EXIT_FAIL, "no --search given and the cache %s names no suffix", path);
	else
		snprintf(out, size, "%s", f.c.suffix);
	tn_cache_close(&f);
	return rc;
}

static int valid_nameserver(const char *text)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1;
}

int cmd_resolv_conf(int argc, char **argv)
{
	static const struct option opts[] = {{"apply", no_argument, NULL, 'a'},
					     {"revert", no_argument, NULL, 'r'},
					     {"file", required_argument, NULL, 'f'},
					     {"backup", required_argument, NULL, 'b'},
					     {"nameserver", required_argument, NULL, 'n'},
					     {"search", required_argument, NULL, 's'},
					     {"cache", required_argument, NULL, 'c'},
					     {NULL, 0, NULL, 0}};
	const char *file = DEFAULT_FILE, *backup = NULL, *nameserver = TN_DNS_DEFAULT_ADDR, *search = NULL;
	const char *cache = TN_DEFAULT_CACHE_PATH;
	int mode = 0, c;
	struct cmd_parser p = CMD_PARSER("resolv-conf", "arf:b:n:s:c:", opts, usage, TN_LOG_INFO, TN_LOG_DEBUG, TN_LOG_ERROR);
	while ((c = cmd_getopt(&p, argc, argv)) > 0) {
		switch (c) {
		case 'a':
		case 'r':
			if (mode && mode != c)
				return cmd_usage_error(&p, "--apply and --revert exclude each other");
			mode = c;
			break;
		case 'f':
			file = optarg;
			break;
		case 'b':
			backup = optarg;
			break;
		case 'n':
			nameserver = optarg;
			break;
		case 's':
			search = optarg;
			break;
		case 'c':
			cache = optarg;
			break;
		}
	}
	if (c == CMD_EXIT)
		return p.exit;
	if (!mode)
		return cmd_usage_error(&p, "give --apply or --revert");
	tn_log_setup("resolv-conf", p.level, tn_log_timestamps_env(0));
	struct tn_error err = {0};
	char backup_buf[4096], suffix[TN_NAME_MAX + 1];
	if (!backup) {
		if (snprintf(backup_buf, sizeof backup_buf, "%s" TN_RESOLV_BACKUP_SUFFIX, file) >=
		    (int)sizeof backup_buf) {
			tn_error_set(&err, TN_EXIT_USAGE, "--file is too long");
			return cmd_fail("resolv-conf", &err);
		}
		backup = backup_buf;
	}
	int changed = 0;
	if (mode == 'r') {
		if (tn_resolv_revert(file, backup, &changed, &err) < 0)
			return cmd_fail("resolv-conf", &err);
		tn_info(changed ? "%s restored from %s" : "%s was not changed by tailnet-helper: nothing to revert",
			file, backup);
		return TN_EXIT_OK;
	}

	if (!valid_nameserver(nameserver)) {
		tn_error_set(&err, TN_EXIT_USAGE, "--nameserver %s: want an IPv4 or IPv6 address (no port)",
			     nameserver);
		return cmd_fail("resolv-conf", &err);
	}
	struct tn_name n;
	if (search && tn_name_normalize(search, &n) < 0) {
		tn_error_set(&err, TN_EXIT_USAGE, "--search %s: not a domain name", search);
		return cmd_fail("resolv-conf", &err);
	}
	if (search)
		snprintf(suffix, sizeof suffix, "%.*s", (int)n.len, n.s);
	else if (suffix_from_cache(cache, suffix, sizeof suffix, &err) < 0)
		return cmd_fail("resolv-conf", &err);
	struct tn_resolv_notes notes;
	if (tn_resolv_apply(file, backup, nameserver, suffix, &changed, &notes, &err) < 0)
		return cmd_fail("resolv-conf", &err);
	if (notes.dropped)
		tn_warn("%d nameserver line(s) commented out: resolvers use only the first 3, and the responder is "
			"first now (--revert brings them back)",
			notes.dropped);
	if (notes.rotate)
		tn_warn("'options rotate' is set: resolvers will not always ask the responder first, and another "
			"nameserver's answer for a tailnet name may win");
	if (changed)
		tn_info("%s: nameserver %s first, search %s first (original in %s)", file, nameserver, suffix, backup);
	else
		tn_info("%s already asks %s first with search %s: nothing to do", file, nameserver, suffix);
	return TN_EXIT_OK;
}
