/* SPDX-License-Identifier: BSD-3-Clause */
/* safe_path.c - see safe_path.h. */
#include "shared/safe_path.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40 /* as the kernel's path walk */

struct walk {
	const char *path, *what;
	int code;
	struct tn_error *err;
	char done[PATH_MAX]; /* the part walked so far: no links, every component checked; "" is "/" */
	bool parent_sticky;  /* the directory `done` is writable by others but sticky */
	bool root_sticky;    /* so is "/" */
};

static bool trusted_owner(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* The rules for one component, `at` (its full path) with lstat `st`, found in the directory `w->done`. */
static int check(struct walk *w, const char *at, const struct stat *st)
{
	char why[2 * PATH_MAX + 160];
	if (!trusted_owner(st->st_uid)) {
		snprintf(why, sizeof why, "%s belongs to uid %lu%s; it must belong to you (uid %lu) or root", at,
			 (unsigned long)st->st_uid, w->parent_sticky ? ", in a directory others may write" : "",
			 (unsigned long)geteuid());
		return tn_error_set(w->err, w->code, "refusing %s %s: %s", w->what, w->path, why);
	}
	w->parent_sticky = false;
	if (S_ISDIR(st->st_mode) && (st->st_mode & (S_IWGRP | S_IWOTH))) {
		if (!(st->st_mode & S_ISVTX)) {
			snprintf(why, sizeof why,
				 "%s is writable by group or others, who could replace what it holds (chmod go-w %s)", at,
				 at);
			return tn_error_set(w->err, w->code, "refusing %s %s: %s", w->what, w->path, why);
		}
		w->parent_sticky = true; /* the next entry decides: it must be ours or root's */
	}
	return 0;
}

static int too_long(struct walk *w)
{
	return tn_error_set(w->err, w->code, "%s %s: the path is too long", w->what, w->path);
}

/* Walks the path; *last gets the lstat of the final component and w->done its link-free path. */
static int walk(struct walk *w, struct stat *last)
{
	char todo[PATH_MAX * 2]; /* what is left to walk, links spliced in */
	struct stat st;
	int links = 0;
	if (w->path[0] == '/') {
		snprintf(todo, sizeof todo, "%s", w->path);
	} else {
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof cwd))
			return tn_error_set(w->err, w->code, "%s %s: cannot tell the current directory: %s", w->what,
					    w->path, strerror(errno));
		if ((size_t)snprintf(todo, sizeof todo, "%s/%s", cwd, w->path) >= sizeof todo)
			return too_long(w);
	}
	w->done[0] = '\0';
	if (lstat("/", &st) != 0)
		return tn_error_set(w->err, w->code, "cannot stat /: %s", strerror(errno));
	if (check(w, "/", &st) != 0)
		return -1;
	w->root_sticky = w->parent_sticky;
	*last = st;
	char *rest = todo;
	for (;;) {
		while (*rest == '/')
			rest++;
		if (!*rest)
			return 0;
		size_t n = strcspn(rest, "/");
		char name[NAME_MAX + 1];
		if (n > NAME_MAX)
			return too_long(w);
		memcpy(name, rest, n);
		name[n] = '\0';
		rest += n;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			/* `done` has no links in it, so its parent is the real one, checked on the way down. */
			char *slash = strrchr(w->done, '/');
			if (slash)
				*slash = '\0';
			if (lstat(w->done[0] ? w->done : "/", last) != 0)
				return tn_error_set(w->err, w->code, "cannot stat %s: %s", w->done, strerror(errno));
			w->parent_sticky = (last->st_mode & (S_IWGRP | S_IWOTH)) && (last->st_mode & S_ISVTX);
			continue;
		}
		char at[PATH_MAX];
		if ((size_t)snprintf(at, sizeof at, "%s/%s", w->done, name) >= sizeof at)
			return too_long(w);
		if (lstat(at, &st) != 0)
			return tn_error_set(w->err, w->code, "cannot open %s %s: %s", w->what, w->path, strerror(errno));
		bool in_sticky = w->parent_sticky;
		if (check(w, at, &st) != 0)
			return -1;
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX], spliced[PATH_MAX * 2];
			ssize_t len = readlink(at, target, sizeof target - 1);
			if (++links > MAX_LINKS)
				return tn_error_set(w->err, w->code, "cannot open %s %s: %s", w->what, w->path,
						    strerror(ELOOP));
			if (len < 0)
				return tn_error_set(w->err, w->code, "cannot read the link %s: %s", at, strerror(errno));
			target[len] = '\0';
			if ((size_t)snprintf(spliced, sizeof spliced, "%s%s", target, rest) >= sizeof todo)
				return too_long(w);
			memcpy(todo, spliced, strlen(spliced) + 1);
			rest = todo;
			/* A relative link goes on from the directory it lies in: `done`, as it was. */
			w->parent_sticky = in_sticky;
			if (target[0] == '/') {
				w->done[0] = '\0';
				w->parent_sticky = w->root_sticky; /* "/" was checked first */
			}
			continue;
		}
		if (*rest && !S_ISDIR(st.st_mode))
			return tn_error_set(w->err, w->code, "cannot open %s %s: %s", w->what, w->path,
					    strerror(ENOTDIR));
		memcpy(w->done, at, strlen(at) + 1);
		*last = st;
	}
}

int tn_safe_open(const char *path, const char *what, int code, struct tn_error *err)
{
	struct walk w = {.path = path, .what = what, .code = code, .err = err};
	struct stat seen, opened;
	if (walk(&w, &seen) != 0)
		return -1;
	int fd = open(w.done[0] ? w.done : "/", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return tn_error_set(err, code, "cannot open %s %s: %s", what, path, strerror(errno));
	if (fstat(fd, &opened) != 0 || opened.st_dev != seen.st_dev || opened.st_ino != seen.st_ino) {
		close(fd);
		return tn_error_set(err, code, "refusing %s %s: it changed while it was checked", what, path);
	}
	return fd;
}
