/* SPDX-License-Identifier: BSD-3-Clause */
/* safe_path.h - whether anyone but the caller and root could have put a file where a path leads, as sshd's
 * StrictModes asks of ~/.ssh/authorized_keys (OpenSSH misc.c safe_path), for the files that hold or steer
 * credentials.
 *
 * Contract: tn_safe_open() walks `path` one component at a time from "/" (a relative path from the current
 * directory), following symbolic links itself (at most 40), and requires of every directory it passes,
 * every link it follows and the last component: owned by root or by the caller (euid); and of every
 * directory: not writable by group or others. One exception, where it changes nothing: a directory writable
 * by everyone but sticky (/tmp, a Kubernetes secret volume) is passed when the entry taken from it belongs
 * to root or the caller, because the sticky bit lets no one else rename or remove that entry. So nobody
 * else can have replaced the file, a directory on the way, or where a link points. Then it opens
 * the path the walk ended at, with no link left in it, read-only and without following anything, and checks
 * that it is the very file the walk looked at. What that file is (a regular file, its mode) is the caller's
 * business. Errors follow err.h with the caller's `code`, name the component and say why ("... /home/a/secrets
 * is writable by group or others (chmod go-w /home/a/secrets) ...").
 */
#ifndef TAILNET_SAFE_PATH_H
#define TAILNET_SAFE_PATH_H

#include "shared/err.h"

/* The descriptor (O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), or -1 with err set. `what` names the file
 * in messages ("OAuth client secret file"). */
int tn_safe_open(const char *path, const char *what, int code, struct tn_error *err);

#endif
