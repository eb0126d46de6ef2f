/* SPDX-License-Identifier: BSD-3-Clause */
/* privdrop.c - see privdrop.h. */
#include "dns/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Clears every capability set: no libcap for three system calls. */
static int drop_capabilities(struct tn_error *err)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof d);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) != 0 && errno != EINVAL)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot clear the ambient capabilities: %s", strerror(errno));
	if (syscall(SYS_capset, &h, d) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot drop capabilities: %s", strerror(errno));
	return 0;
}

static int no_new_privs(struct tn_error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot set no_new_privs: %s", strerror(errno));
	return 0;
}

int tn_drop_privileges(const char *user, const char **as, int *fallback, struct tn_error *err)
{
	static char name[64];
	*fallback = 0;
	if (geteuid() != 0) {
		struct passwd *self = getpwuid(geteuid());
		snprintf(name, sizeof name, "%s", self ? self->pw_name : "(no name)");
		*as = name;
		return drop_capabilities(err) == 0 ? no_new_privs(err) : -1;
	}
	if (user && strcmp(user, "root") == 0) {
		*as = "root";
		return 0;
	}
	errno = 0;
	struct passwd *pw = getpwnam(user ? user : TN_DNS_USER);
	if (!pw && !user) {
		*fallback = 1;
		errno = 0;
		pw = getpwnam("nobody");
	}
	if (!pw)
		return tn_error_set(err, TN_EXIT_USAGE, "user %s: %s", user ? user : "nobody",
				    errno ? strerror(errno) : "no such user");
	uid_t uid = pw->pw_uid;
	gid_t gid = pw->pw_gid;
	snprintf(name, sizeof name, "%s", pw->pw_name);
	*as = name;
	if (setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot switch to user %s: %s", name, strerror(errno));
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return tn_error_set(err, TN_EXIT_FAIL, "switched to user %s but root could be taken back", name);
	return no_new_privs(err);
}
