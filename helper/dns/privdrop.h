/* SPDX-License-Identifier: BSD-3-Clause */
/* privdrop.h - giving up root once the privileged part of a command is done.
 *
 * Contract: tn_drop_privileges(user) does nothing when the process is not root, or when `user` is "root".
 * Otherwise it switches to `user`'s uid and primary gid with no supplementary groups, sets no_new_privs, and
 * checks that root cannot be taken back; any failure is an error (err.h convention), never a silent
 * half-drop. Meant for long-running servers after they have bound their sockets (the DNS responder on
 * port 53): what they still read must be readable by `user`, as the 0644 cache is.
 */
#ifndef TAILNET_PRIVDROP_H
#define TAILNET_PRIVDROP_H

#include "shared/err.h"

int tn_drop_privileges(const char *user, struct tn_error *err);

#endif
