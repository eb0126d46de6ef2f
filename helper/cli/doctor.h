/* SPDX-License-Identifier: BSD-3-Clause */
/* doctor.h - the checks behind `tailnet-helper doctor`, and the facts `status` shares with them.
 *
 * Contract: each check fills one struct tn_check: a status, one line of detail (what was found), and for a
 * failure or warning one line saying what fixes it. Checks never print, never change anything, and never
 * fail themselves: whatever goes wrong (a file that cannot be read, a daemon that does not answer) is what
 * they report. A check that needs what an earlier one found (the cache, the responder's address) takes it
 * from struct tn_doctor, which the checks fill in order.
 */
#ifndef TAILNET_DOCTOR_H
#define TAILNET_DOCTOR_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>

#include "tailscaled/status_brief.h"

enum tn_check_status { TN_CHECK_OK, TN_CHECK_SKIP, TN_CHECK_WARN, TN_CHECK_FAIL };

struct tn_check {
	const char *name;
	enum tn_check_status status;
	char detail[768];
	char fix[384];
};

struct tn_doctor {
	/* settings */
	const char *nsswitch, *cache, *resolv_conf, *socket;
	char state_dir[PATH_MAX];
	/* found by the checks, for the later ones and for status */
	int cache_ok;             /* the module would answer from it */
	char name[256];           /* a name from the cache, for the lookup */
	uint8_t addrs[16][16];    /* its addresses (IPv4 as ::ffff:a.b.c.d) */
	unsigned n_addrs;
	uint64_t generation;
	int64_t written_at, valid_until;
	uint32_t names;
	char suffix[256];
	pid_t watcher;            /* 0: none found */
	char watcher_socket[PATH_MAX];
	int daemon_ok;            /* tailscaled answered */
	char daemon_socket[PATH_MAX];
	struct tn_brief brief;
	int resolv_applied;       /* resolv.conf carries our marker */
	char nameserver[64];      /* the responder's address: from resolv.conf, else the default */
};

/* The nsswitch check of one hosts line (the text after "hosts:", from `file`; `several`: the file has more
 * than one): a pure function of its text, for the fuzz target. */
void tn_doctor_hosts_line(const char *line, const char *file, int several, struct tn_check *out);
/* Each fills `out` (its name included). */
void tn_doctor_nsswitch(struct tn_doctor *d, struct tn_check *out);
void tn_doctor_module(struct tn_doctor *d, struct tn_check *out);
void tn_doctor_cache(struct tn_doctor *d, struct tn_check *out);
void tn_doctor_watcher(struct tn_doctor *d, struct tn_check *out);
void tn_doctor_tailscaled(struct tn_doctor *d, struct tn_check *out);
void tn_doctor_resolv_conf(struct tn_doctor *d, struct tn_check *out);
void tn_doctor_responder(struct tn_doctor *d, struct tn_check *out);
void tn_doctor_lookup(struct tn_doctor *d, struct tn_check *out);

/* For the checks' text: "3 min", "2 h 5 min", "41 s". */
void tn_doctor_duration(int64_t seconds, char *out, size_t size);
/* printf into out->detail / out->fix, with the status. */
void tn_check_set(struct tn_check *out, enum tn_check_status status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void tn_check_fix(struct tn_check *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
