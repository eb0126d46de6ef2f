/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_current.c - see cache_current.h.
 *
 * Lookups are the hot path of every process on the machine, so they touch only what their thread owns and one
 * read-mostly word: `generation` changes when the process's current view does; a thread whose copy differs
 * takes the new view (and drops its reference to the old one) under `lock`. That lock is never held across
 * I/O and never taken by a lookup that finds nothing new. The look at the file is serialised by
 * `refresh_lock`, which only a thread without any view waits for (the first lookups of a process); the
 * others go on with the view they have. A thread's state is found through a __thread pointer (`mine`) and
 * freed by a pthread key's destructor at thread exit: pthread_getspecific would touch two pages of libc on
 * every lookup (its code and the keys' table), the TLS descriptor one of the loader's (placement.h). It is
 * reached through a TLS descriptor, not the initial-exec model: a module that is dlopen'd must load even
 * when the static TLS block is full (glibc then serves the pointer from dynamic TLS). */
#include "cache_current.h"

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_file.h"

#define RECHECK_NS ((int64_t)TN_RECHECK_MS * 1000000)

struct view {
	struct tn_cache_file f;
	unsigned refs; /* under `lock`: the current slot and each thread that holds it */
};

/* A thread's hold on a view: allocated at its first lookup, freed when it exits; registered so that fork can
 * drop the others'. */
struct reader {
	struct view *v;
	int err;       /* when v is NULL: why there was no view */
	uint64_t gen;  /* the generation v belongs to; 0 never matches */
	int fd;        /* during one lookup: the file the pages of fd_file come from, else -1 */
	const struct tn_cache_file *fd_file;
	int registered;
	struct reader *prev, *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t refresh_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t reader_key; /* its destructor frees a thread's reader */
static int have_key;
static __thread struct reader *mine; /* this thread's reader; NULL before its first lookup */
static int initialised; /* set (release) at the end of init_once: later lookups skip pthread_once */
/* The vDSO's own clock_gettime when it can be found (clock_now); libc's otherwise. */
static int (*vdso_clock_gettime)(clockid_t, struct timespec *);

/* Under `lock`. */
static struct view *cur;
static int cur_err = -ENOENT;
static struct reader *readers;
static char *set_path; /* tn_current_set_path(); NULL in the module */

/* Atomic. */
static uint64_t generation = 1; /* moves with cur; written under `lock` */
static int64_t next_check_ns;   /* CLOCK_REALTIME_COARSE; 0 forces a look at the file */

static void view_free(struct view *v)
{
	if (v) {
		tn_cache_close(&v->f);
		free(v);
	}
}

/* Drops one reference; returns the view when that was the last, for view_free() outside the lock. */
static struct view *unref_locked(struct view *v)
{
	return v && --v->refs == 0 ? v : NULL;
}

static void unregister_locked(struct reader *r)
{
	if (!r->registered)
		return;
	if (r->prev)
		r->prev->next = r->next;
	else
		readers = r->next;
	if (r->next)
		r->next->prev = r->prev;
	r->prev = r->next = NULL;
	r->registered = 0;
}

/* A thread ends: its reference goes, and its state. */
TN_COLD static void thread_exit(void *arg)
{
	struct reader *r = arg;
	mine = NULL; /* a lookup from a later destructor of this thread makes itself a new one */
	pthread_mutex_lock(&lock);
	struct view *dead = unref_locked(r->v);
	unregister_locked(r);
	pthread_mutex_unlock(&lock);
	view_free(dead);
	free(r);
}

TN_COLD static void fork_prepare(void)
{
	pthread_mutex_lock(&refresh_lock);
	pthread_mutex_lock(&lock);
}

TN_COLD static void fork_parent(void)
{
	pthread_mutex_unlock(&lock);
	pthread_mutex_unlock(&refresh_lock);
}

/* In the child only this thread exists: the other readers' references go, and with them any view only they
 * held. Nothing else runs here, so the views can be freed under the lock. */
TN_COLD static void fork_child(void)
{
	for (struct reader *r = readers, *next; r; r = next) {
		next = r->next;
		if (r == mine)
			continue;
		view_free(unref_locked(r->v));
		unregister_locked(r);
		free(r);
	}
	__atomic_store_n(&next_check_ns, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock);
	pthread_mutex_unlock(&refresh_lock);
}

/* The vDSO is an object the dynamic loader already has, so this opens nothing. The loader is asked only when
 * the kernel gave the process a vDSO (valgrind, for one, gives none), under the name the kernel uses on this
 * architecture: a failed dlopen or dlsym would leave a dlerror message allocated. */
static void find_vdso_clock(void)
{
#if defined(__aarch64__) || defined(__powerpc__) || defined(__s390__)
	static const char name[] = "__kernel_clock_gettime";
#else
	static const char name[] = "__vdso_clock_gettime";
#endif
	void *vdso = getauxval(AT_SYSINFO_EHDR) ? dlopen("linux-vdso.so.1", RTLD_NOW | RTLD_NOLOAD) : NULL;
	vdso_clock_gettime = vdso ? (int (*)(clockid_t, struct timespec *))dlsym(vdso, name) : NULL;
}

TN_COLD static void init_once(void)
{
	int saved_errno = errno;
	pthread_atfork(fork_prepare, fork_parent, fork_child);
	have_key = pthread_key_create(&reader_key, thread_exit) == 0;
	find_vdso_clock();
	errno = saved_errno;
	__atomic_store_n(&initialised, 1, __ATOMIC_RELEASE);
}

static void init(void)
{
	if (!__atomic_load_n(&initialised, __ATOMIC_ACQUIRE))
		pthread_once(&once, init_once);
}

int tn_current_set_path(const char *path)
{
	size_t len = path ? strlen(path) : 0;
	if (len == 0 || path[0] != '/')
		return -EINVAL;
	if (len >= PATH_MAX)
		return -ENAMETOOLONG;
	char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	init();
	pthread_mutex_lock(&lock);
	free(set_path);
	set_path = copy;
	pthread_mutex_unlock(&lock);
	__atomic_store_n(&next_check_ns, 0, __ATOMIC_RELEASE);
	return 0;
}

/* Ends a lookup's burst of fetches. */
TN_COLD static void close_fd(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	r->fd_file = NULL;
}

/* The views' page loader: one descriptor per thread and lookup, kept in its reader, so the pages a lookup
 * touches (a bucket, a record, a name, its addresses) cost one open between them. */
TN_COLD static int view_load(const struct tn_cache *c, uint32_t page)
{
	struct tn_cache_file *f = (struct tn_cache_file *)(uintptr_t)c; /* the first member of a view's file */
	struct reader *r = mine;
	int fd = -1, rc, saved_errno = errno;
	if (!r) {
		rc = tn_cache_file_fetch(f, &fd, page);
		if (fd >= 0)
			close(fd);
	} else {
		if (r->fd_file != f)
			close_fd(r);
		r->fd_file = f;
		rc = tn_cache_file_fetch(f, &r->fd, page);
	}
	errno = saved_errno;
	return rc;
}

/* TAILNET_NSS_CACHE, through secure_getenv() (a setuid program ignores it), but only when it is set at all:
 * looking through environ here spares the many processes that do not set it a first call into a page of libc
 * they have not touched, which costs a fault in a process's first lookup. */
static const char *env_cache_path(void)
{
	for (char **e = environ; e && *e; e++) {
		const char *s = *e, *var = "TAILNET_NSS_CACHE=";
		while (*var && *s == *var)
			s++, var++;
		if (!*var)
			return secure_getenv("TAILNET_NSS_CACHE");
	}
	return NULL;
}

static const char *cache_path(void)
{
	if (set_path)
		return set_path;
	const char *p = env_cache_path();
	return p && *p ? p : TN_DEFAULT_CACHE_PATH;
}

static int due(int64_t now)
{
	int64_t next = __atomic_load_n(&next_check_ns, __ATOMIC_ACQUIRE);
	return now >= next || now < next - 2 * RECHECK_NS; /* due, or the clock was set back */
}

/* Looks at the file and opens it anew when it is not the one in view. One thread at a time: with `wait` (it
 * has no view to go on with) a thread waits for the one at work, otherwise it leaves the work to it. The
 * descriptor of a file opened here stays with the thread `r` for its lookup. */
static void refresh(int64_t now, int wait, struct reader *r)
{
	int cancel_state;
	if (wait ? pthread_mutex_lock(&refresh_lock) != 0 : pthread_mutex_trylock(&refresh_lock) != 0)
		return;
	if (!due(now)) { /* another thread has just done it */
		pthread_mutex_unlock(&refresh_lock);
		return;
	}
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	pthread_mutex_lock(&lock);
	const char *path = cache_path();
	struct view *seen = cur;
	if (seen)
		seen->refs++;
	int seen_err = cur_err;
	pthread_mutex_unlock(&lock);

	struct stat st;
	int unchanged = seen && !tn_cache_file_stale(&seen->f) && strcmp(seen->f.path, path) == 0 &&
			lstat(path, &st) == 0 && tn_cache_file_same(&seen->f, &st);
	struct view *fresh = NULL, *dead = NULL;
	int rc = 0;
	if (!unchanged) {
		int keep = -1;
		fresh = calloc(1, sizeof *fresh);
		rc = fresh ? tn_cache_open_fd(path, &fresh->f, NULL, &keep) : -ENOMEM;
		if (rc != 0) {
			free(fresh);
			fresh = NULL;
		} else {
			fresh->f.c.load = view_load;
			close_fd(r);
			r->fd = keep;
			r->fd_file = &fresh->f;
		}
	}
	pthread_mutex_lock(&lock);
	if (!unchanged && (fresh || seen || rc != seen_err)) {
		dead = unref_locked(cur);
		cur = fresh;
		if (fresh)
			fresh->refs = 1;
		cur_err = rc;
		__atomic_store_n(&generation, generation + 1, __ATOMIC_RELEASE);
	}
	struct view *seen_dead = unref_locked(seen);
	pthread_mutex_unlock(&lock);
	view_free(dead);
	view_free(seen_dead);
	__atomic_store_n(&next_check_ns, now + RECHECK_NS, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&refresh_lock);
	pthread_setcancelstate(cancel_state, NULL);
}

/* Ends a lookup's burst of fetches, if it had one. */
static void end_fetches(struct reader *r)
{
	if (r->fd >= 0) {
		int saved_errno = errno;
		close_fd(r);
		errno = saved_errno;
	}
}

/* Drops a hold taken for one lookup only. */
static void release(struct reader *r)
{
	pthread_mutex_lock(&lock);
	struct view *dead = unref_locked(r->v);
	pthread_mutex_unlock(&lock);
	view_free(dead);
	r->v = NULL;
}

/* This thread's state, made at its first lookup; NULL when there is no key or no memory (the lookup then holds
 * a reference for its own duration only, see tn_current_query). */
TN_COLD static struct reader *reader_new(void)
{
	int saved_errno = errno;
	struct reader *r = calloc(1, sizeof *r);
	if (r && pthread_setspecific(reader_key, r) != 0) {
		free(r);
		r = NULL;
	}
	errno = saved_errno;
	if (!r)
		return NULL;
	r->fd = -1;
	pthread_mutex_lock(&lock);
	r->next = readers;
	if (readers)
		readers->prev = r;
	readers = r;
	r->registered = 1;
	pthread_mutex_unlock(&lock);
	return r;
}

static struct reader *reader(void)
{
	if (!have_key)
		return NULL;
	if (!mine)
		mine = reader_new();
	return mine;
}

/* This thread takes the current view in place of the one it held. */
static void adopt(struct reader *r)
{
	pthread_mutex_lock(&lock);
	struct view *dead = unref_locked(r->v);
	r->v = cur;
	if (cur)
		cur->refs++;
	r->err = cur_err ? cur_err : -ENOENT;
	r->gen = __atomic_load_n(&generation, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&lock);
	view_free(dead);
}

/* The lookup of the thread that has just opened a file it reads by the page (it still holds the descriptor):
 * often the only lookup of a one-shot process, so it keeps none of the pages it reads (cache_file.h). */
static int borrowed(tn_query_fn fn, int64_t sec, void *ctx, struct tn_cache_file *f, int *fd)
{
	struct tn_borrow b;
	tn_cache_borrow(&b, f, fd);
	return fn(&b.c, sec, ctx);
}

/* Everything but the common case: the file is due a look, this thread's view is not the current one, there is
 * none, or a page of it could not be had (then `attempt` is 1 and the lookup runs once more on the new one). */
TN_COLD static int query_slow(tn_query_fn fn, void *ctx, struct reader *r, int64_t now, int64_t sec, int attempt)
{
	struct reader own = {.fd = -1};
	int saved_errno = errno;
	if (!r)
		r = &own;
	for (;; attempt++) {
		if (due(now))
			refresh(now, r->v == NULL, r);
		if (r->gen != __atomic_load_n(&generation, __ATOMIC_ACQUIRE))
			adopt(r);
		struct view *v = r->v;
		if (!v) {
			close_fd(r);
			errno = saved_errno;
			return r->err;
		}
		int rc;
		if (tn_cache_expired(&v->f.c, sec))
			rc = -ESTALE;
		else if (r->fd >= 0 && r->fd_file == &v->f) /* this thread opened it just now, by the page */
			rc = borrowed(fn, sec, ctx, &v->f, &r->fd);
		else
			rc = fn(&v->f.c, sec, ctx);
		int stale = tn_cache_file_stale(&v->f);
		close_fd(r);
		if (!stale || attempt) {
			if (r == &own)
				release(r);
			errno = saved_errno;
			return stale ? -EIO : rc;
		}
		/* A page of this file could not be had: it changed or went away. The answer may lack that page, so
		 * it is not given; the file is looked at again at once and the lookup runs once more. */
		__atomic_store_n(&next_check_ns, 0, __ATOMIC_RELEASE);
	}
}

/* The time, coarse (the tick's): all a recheck every TN_RECHECK_MS and a TTL in seconds need. Straight from
 * the vDSO, which touches two pages (its code and its data) where libc's wrapper touched four: each costs a
 * warm lookup a page walk (placement.h). */
static inline void clock_now(struct timespec *ts)
{
	if (!vdso_clock_gettime || vdso_clock_gettime(CLOCK_REALTIME_COARSE, ts) != 0)
		clock_gettime(CLOCK_REALTIME_COARSE, ts);
}

/* Meant to inline into each caller (the module is built with LTO), where the query function then becomes a
 * direct call. Only a hint: forced inlining across files breaks builds without LTO or at -O1. */
inline int tn_current_query(tn_query_fn fn, void *ctx)
{
	struct timespec ts;
	init();
	clock_now(&ts);
	int64_t now = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	struct reader *r = reader();
	/* The common case, kept short because every lookup of every process pays it: this thread holds the
	 * current view, nothing is due, and every page the lookup touched could be had. */
	if (r && r->v && !due(now) && r->gen == __atomic_load_n(&generation, __ATOMIC_ACQUIRE) &&
	    !tn_cache_expired(&r->v->f.c, ts.tv_sec)) {
		int rc = fn(&r->v->f.c, ts.tv_sec, ctx);
		end_fetches(r);
		if (!tn_cache_file_stale(&r->v->f))
			return rc;
		__atomic_store_n(&next_check_ns, 0, __ATOMIC_RELEASE);
		return query_slow(fn, ctx, r, now, ts.tv_sec, 1);
	}
	return query_slow(fn, ctx, r, now, ts.tv_sec, 0);
}

void tn_current_reset(void)
{
	init();
	struct reader *r = reader();
	pthread_mutex_lock(&lock);
	struct view *dead_cur = unref_locked(cur), *dead_mine = r ? unref_locked(r->v) : NULL;
	cur = NULL;
	cur_err = -ENOENT;
	if (r) {
		r->v = NULL;
		r->gen = 0;
	}
	__atomic_store_n(&generation, generation + 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock);
	view_free(dead_cur);
	view_free(dead_mine);
	__atomic_store_n(&next_check_ns, 0, __ATOMIC_RELEASE);
}
