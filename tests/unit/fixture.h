/* SPDX-License-Identifier: BSD-3-Clause */
/* fixture.h - a small tailnet shaped like tests/data/status-examples/running.json, built straight into a
 * hostset (no JSON), and temp-directory helpers, for the cache and module unit tests. */
#ifndef TAILNET_FIXTURE_H
#define TAILNET_FIXTURE_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache_writer.h"
#include "cache/hostset.h"
#include "nss/cache_reader.h"
#include "nss/name.h"

#define SUFFIX "magellanic-gondola.ts.net"

static inline void fixture_add(struct tn_hostset *hs, enum tn_host_kind kind, const char *name, const char *a4,
			       const char *a6)
{
	const char *addrs[2];
	size_t n = 0;
	struct tn_error err;
	if (a4)
		addrs[n++] = a4;
	if (a6)
		addrs[n++] = a6;
	struct tn_host_in in = {.kind = kind, .name = name, .addrs = addrs, .n_addrs = n, .stable_id = name};
	ck_assert_int_eq(tn_hostset_add(hs, &in, NULL, &err), 0);
}

/* The running.json tailnet: Self, vault, vault-1 (offline), a shared-in printer, a Mullvad node, an
 * IPv6-only and an IPv4-only node, and grafana from ExtraRecords. */
static inline void fixture_tailnet(struct tn_hostset *hs, bool magicdns)
{
	struct tn_error err;
	tn_hostset_init(hs);
	ck_assert_int_eq(tn_hostset_set_suffix(hs, SUFFIX, &err), 0);
	hs->magicdns = magicdns;
	hs->tun = true;
	fixture_add(hs, TN_HOST_NODE, "ci-runner-7." SUFFIX ".", "100.88.14.7", "fd7a:115c:a1e0::5d01:e07");
	fixture_add(hs, TN_HOST_NODE, "vault." SUFFIX ".", "100.101.33.8", "fd7a:115c:a1e0::c601:2108");
	fixture_add(hs, TN_HOST_NODE, "vault-1." SUFFIX ".", "100.71.5.90", "fd7a:115c:a1e0::e201:55a");
	fixture_add(hs, TN_HOST_NODE, "printer.hedgehog-arcade.ts.net.", "100.77.3.250", "fd7a:115c:a1e0::b101:3fa");
	fixture_add(hs, TN_HOST_NODE, "se-sto-wg-003.mullvad.ts.net.", "100.116.40.77", "fd7a:115c:a1e0::e901:284d");
	fixture_add(hs, TN_HOST_NODE, "v6only." SUFFIX ".", NULL, "fd7a:115c:a1e0::66");
	fixture_add(hs, TN_HOST_NODE, "v4only." SUFFIX ".", "100.64.0.44", NULL);
	fixture_add(hs, TN_HOST_EXTRA, "grafana." SUFFIX ".", "100.99.201.17", NULL);
	ck_assert_int_eq(tn_hostset_finish(hs, &err), 0);
}

/* The fixture tailnet plus "many", with 60 IPv4 and 60 IPv6 addresses: answers too big for glibc's first
 * buffer or for one datagram. */
static inline void fixture_tailnet_many(struct tn_hostset *hs, bool magicdns)
{
	struct tn_error err;
	char text[120][48];
	const char *addrs[120];
	fixture_tailnet(hs, magicdns);
	hs->finished = false;
	for (int i = 0; i < 60; i++) {
		snprintf(text[i], sizeof text[i], "100.100.1.%d", i + 1);
		snprintf(text[60 + i], sizeof text[60 + i], "fd7a:115c:a1e0::1:%x", i + 1);
	}
	for (int i = 0; i < 120; i++)
		addrs[i] = text[i];
	struct tn_host_in in = {.kind = TN_HOST_NODE, .name = "many." SUFFIX, .addrs = addrs, .n_addrs = 120};
	ck_assert_int_eq(tn_hostset_add(hs, &in, NULL, &err), 0);
	ck_assert_int_eq(tn_hostset_finish(hs, &err), 0);
}

/* A forward lookup of `query` as a program would ask it: 1 found, 0 not. */
static inline int fixture_find(const struct tn_cache *c, const char *query, struct tn_hit *hit)
{
	struct tn_name n;
	ck_assert_int_gt(tn_name_normalize(query, &n), 0);
	return tn_cache_find_name(c, n.s, n.len, hit);
}

/* A private 0755 directory (the reader refuses group/world-writable ones). */
static inline char *fixture_dir(void)
{
	char tmpl[] = "/tmp/tn-unit.XXXXXX";
	char *d = mkdtemp(tmpl);
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(chmod(d, 0755), 0);
	return strdup(d);
}

static inline char *fixture_path(const char *dir, const char *name)
{
	char *p = malloc(strlen(dir) + strlen(name) + 2);
	ck_assert_ptr_nonnull(p);
	sprintf(p, "%s/%s", dir, name);
	return p;
}

static inline void fixture_write_cache(const char *path, const struct tn_hostset *hs, int64_t max_age)
{
	struct tn_update_opts opts = {.max_age = max_age};
	struct tn_update_result res;
	struct tn_error err = {0};
	ck_assert_msg(tn_cache_update(path, hs, &opts, &res, &err) == 0, "%s", err.msg);
}

static inline void fixture_rmdir(char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

#endif
