/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_current.c - see cache_current.h. */
#include "cache_current.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define RECHECK_NS 1000000000ll

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
/* Guarded by `lock`. */
static struct tn_cache_file cur;     /* cur.c.base == NULL: no usable view, see cur_err */
static int cur_err = -ENOENT;
static int64_t next_check_ns;        /* CLOCK_MONOTONIC_COARSE; 0 forces a check */
static char cur_path[PATH_MAX];
static char set_path[PATH_MAX]; /* tn_current_set_path(); "" in the module */

static void fork_prepare(void)
{
	pthread_mutex_lock(&lock);
}

static void fork_release(void)
{
	pthread_mutex_unlock(&lock);
}

static void register_fork_handlers(void)
{
	pthread_atfork(fork_prepare, fork_release, fork_release);
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

int tn_current_set_path(const char *path)
{
	size_t len = path ? strlen(path) : 0;
	if (len == 0 || path[0] != '/')
		return -EINVAL;
	if (len >= sizeof set_path)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&lock);
	memcpy(set_path, path, len + 1);
	next_check_ns = 0;
	pthread_mutex_unlock(&lock);
	return 0;
}

static const char *cache_path(void)
{
	if (set_path[0])
		return set_path;
	const char *p = secure_getenv("TAILNET_NSS_CACHE");
	return p && *p ? p : TN_DEFAULT_CACHE_PATH;
}

static int superseded(const struct tn_cache_file *f)
{
	return __atomic_load_n((const uint32_t *)(const void *)(f->c.base + TN_HDR_SUPERSEDED), __ATOMIC_RELAXED) != 0;
}

static int same_identity(const struct tn_cache_file *f, const struct stat *st)
{
	return f->dev == st->st_dev && f->ino == st->st_ino && (size_t)st->st_size == f->c.len &&
	       f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

/* Brings `cur` up to date with the file. I/O happens without the lock; the swap happens under it. */
static void refresh(int64_t now)
{
	int cancel_state;
	struct tn_cache_file seen, fresh, old;
	struct stat st;
	int have, rc;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	const char *path = cache_path();
	size_t path_len = strlen(path);

	pthread_mutex_lock(&lock);
	seen = cur;
	have = cur.c.base && !superseded(&cur) && strcmp(cur_path, path) == 0;
	pthread_mutex_unlock(&lock);

	if (have && lstat(path, &st) == 0 && same_identity(&seen, &st)) {
		pthread_mutex_lock(&lock);
		next_check_ns = now + RECHECK_NS;
		pthread_mutex_unlock(&lock);
		pthread_setcancelstate(cancel_state, NULL);
		return;
	}
	rc = path_len < sizeof cur_path ? tn_cache_open(path, &fresh, NULL) : -ENAMETOOLONG;

	pthread_mutex_lock(&lock);
	old = cur;
	if (rc == 0) {
		cur = fresh;
		cur_err = 0;
		memcpy(cur_path, path, path_len + 1);
	} else {
		memset(&cur, 0, sizeof cur);
		cur_err = rc;
		cur_path[0] = '\0';
	}
	next_check_ns = now + RECHECK_NS;
	pthread_mutex_unlock(&lock);
	/* Every reader touches a view only under the lock, so the replaced one is unreachable now. */
	tn_cache_close(&old);
	pthread_setcancelstate(cancel_state, NULL);
}

static int64_t real_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME_COARSE, &ts);
	return (int64_t)ts.tv_sec;
}

int tn_current_query(tn_query_fn fn, void *ctx)
{
	int rc;
	int64_t now = mono_ns();

	pthread_once(&once, register_fork_handlers);
	pthread_mutex_lock(&lock);
	if (now >= next_check_ns || (cur.c.base && superseded(&cur))) {
		pthread_mutex_unlock(&lock);
		refresh(now);
		pthread_mutex_lock(&lock);
	}
	if (!cur.c.base)
		rc = cur_err ? cur_err : -ENOENT;
	else if (tn_cache_expired(&cur.c, real_now()))
		rc = -ESTALE;
	else
		rc = fn(&cur.c, ctx);
	pthread_mutex_unlock(&lock);
	return rc;
}

void tn_current_reset(void)
{
	struct tn_cache_file old;
	pthread_mutex_lock(&lock);
	old = cur;
	memset(&cur, 0, sizeof cur);
	cur_err = -ENOENT;
	next_check_ns = 0;
	cur_path[0] = '\0';
	pthread_mutex_unlock(&lock);
	tn_cache_close(&old);
}
