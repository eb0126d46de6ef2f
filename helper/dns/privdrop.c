/* SPDX-License-Identifier: BSD-3-Clause */
/* privdrop.c - see privdrop.h. */
#include "dns/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

int tn_drop_privileges(const char *user, struct tn_error *err)
{
	if (geteuid() != 0 || strcmp(user, "root") == 0)
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return tn_error_set(err, TN_EXIT_USAGE, "user %s: %s", user, errno ? strerror(errno) : "no such user");
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot switch to user %s: %s", user, strerror(errno));
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return tn_error_set(err, TN_EXIT_FAIL, "switched to user %s but root could be taken back", user);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot set no_new_privs: %s", strerror(errno));
	return 0;
}
