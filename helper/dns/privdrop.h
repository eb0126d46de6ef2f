/* SPDX-License-Identifier: BSD-3-Clause */
/* privdrop.h - giving up root, and every capability, once the privileged part of a command is done.
 *
 * Contract: tn_drop_privileges(user) is meant for long-running servers after they have bound their sockets
 * (the DNS responder on port 53): what they still read must be readable by the user they end up as, as the
 * 0644 cache is. Any failure is an error (err.h convention), never a silent half-drop.
 * - As root: it switches to `user`'s uid and primary gid with no supplementary groups, and checks that root
 *   cannot be taken back. `user` NULL means TN_DNS_USER, the system user the package creates for the
 *   responder alone, so that no other process shares its uid and can signal or ptrace it; where that user
 *   does not exist (a plain `make install` without root, a container image without the package) it falls
 *   back to `nobody` and says so in *fallback. "root" keeps root.
 * - As any other user (systemd's DynamicUser= with AmbientCapabilities=CAP_NET_BIND_SERVICE): it stays that
 *   user and clears every capability, ambient, effective, permitted and inheritable.
 * Both end with no_new_privs set. `*as` names the user it runs as afterwards (static storage).
 */
#ifndef TAILNET_PRIVDROP_H
#define TAILNET_PRIVDROP_H

#include "shared/err.h"

#ifndef TN_DNS_USER
#define TN_DNS_USER "tailnet-dns"
#endif

int tn_drop_privileges(const char *user, const char **as, int *fallback, struct tn_error *err);

#endif
