/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_file.c - see cache_file.h. */
#include "cache_file.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"

#define FAIL(err, reason)                                                                                  \
	do {                                                                                               \
		if (why)                                                                                   \
			*why = (reason);                                                                   \
		return -(err);                                                                             \
	} while (0)

/* Files up to this size are read whole when opened: one pread instead of one per page, and no fetch later. */
#define WHOLE_MAX (16u * TN_PAGE)

/* Page states. */
enum { ABSENT = 0, READY = 1, FETCHING = 2 };

/* How long a lookup waits for another thread that is installing the page it needs (a 4 KiB copy), in yields,
 * before it gives up on this lookup (only a thread lost to fork() mid-copy can make that happen). */
#define WAIT_YIELDS 1000

/* The directory must be as trustworthy as the file: otherwise whoever can write it can swap files. */
TN_COLD static int dir_ok(const char *path, const char **why)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		FAIL(EPERM, "cache path must be absolute");
	char *dir = strndup(path, slash == path ? 1 : (size_t)(slash - path)); /* "/hosts.cache": "/" */
	if (!dir)
		FAIL(ENOMEM, "no memory for the cache");
	struct stat st;
	int rc = stat(dir, &st);
	free(dir);
	if (rc != 0)
		FAIL(errno == EACCES ? EACCES : ENOENT, "cache directory is missing or unreadable");
	if (!S_ISDIR(st.st_mode) || (st.st_uid != 0 && st.st_uid != (uid_t)TN_CACHE_UID))
		FAIL(EPERM, "cache directory is not owned by root or the cache owner");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		FAIL(EPERM, "cache directory is writable by group or others");
	return 0;
}

/* Opens the path for reading; refuses symlinks, FIFOs and devices without blocking on them. */
TN_COLD static int open_file(const char *path, const char **why)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ENOTDIR)
		FAIL(ENOENT, "cache file does not exist (has tailnet-helper sync run?)");
	if (errno == ELOOP)
		FAIL(EPERM, "cache path is a symbolic link");
	FAIL(EACCES, "cache file cannot be opened");
}

TN_COLD int tn_cache_file_same(const struct tn_cache_file *f, const struct stat *st)
{
	return f->dev == st->st_dev && f->ino == st->st_ino && f->size == st->st_size &&
	       f->mtime.tv_sec == st->st_mtim.tv_sec && f->mtime.tv_nsec == st->st_mtim.tv_nsec &&
	       f->ctime.tv_sec == st->st_ctim.tv_sec && f->ctime.tv_nsec == st->st_ctim.tv_nsec;
}

TN_COLD static ssize_t pread_all(int fd, uint8_t *buf, size_t len, off_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

/* Copies a checked page into place; only the thread that wins the state does, the others wait for it. */
TN_COLD static int install(struct tn_cache_file *f, uint32_t page, const uint8_t *data)
{
	uint8_t *state = &f->c.page_ready[page];
	uint8_t expect = ABSENT;
	if (__atomic_compare_exchange_n(state, &expect, FETCHING, 0, __ATOMIC_ACQUIRE, __ATOMIC_ACQUIRE)) {
		memcpy(f->mem + (size_t)page * TN_PAGE, data, TN_PAGE);
		__atomic_store_n(state, READY, __ATOMIC_RELEASE);
		return 0;
	}
	for (int i = 0; i < WAIT_YIELDS && expect != READY; i++) {
		sched_yield();
		expect = __atomic_load_n(state, __ATOMIC_ACQUIRE);
	}
	return expect == READY ? 0 : -1;
}

/* Reads page `page` of the open file into buf: 1 when all of it came and its checksum is `want`. */
TN_COLD static int read_checked(const struct tn_cache_file *f, int fd, uint32_t page, uint8_t *buf, uint32_t want)
{
	return pread_all(fd, buf, TN_PAGE, (off_t)page * TN_PAGE) == TN_PAGE &&
	       tn_cache_page_crc(f->c.generation, f->c.written_at, page, buf) == want;
}

/* Reads page `page` from the open file into buf, checks it and installs it. */
TN_COLD static int fetch_checked(struct tn_cache_file *f, int fd, uint32_t page, uint8_t *buf)
{
	uint32_t want;
	if (tn_cache_expected_crc(&f->c, page, &want) != 0 || !read_checked(f, fd, page, buf, want))
		return -1;
	return install(f, page, buf);
}

/* Opens the path again for a fetch: it must still be the file that was opened, unchanged. A file set up by
 * tn_cache_read_by_page() has no path: it is read through its descriptor only. */
TN_COLD static int reopen(struct tn_cache_file *f)
{
	struct stat st;
	if (!f->path)
		return -1;
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd >= 0 && (fstat(fd, &st) != 0 || !tn_cache_file_same(f, &st))) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* 1 when *fd is open on the file, opening it again first when it is not. */
TN_COLD static int have_fd(struct tn_cache_file *f, int *fd)
{
	if (*fd < 0)
		*fd = reopen(f);
	return *fd >= 0;
}

/* tn_cache_file_fetch(), reading through `buf` (a page). */
TN_COLD static int fetch_through(struct tn_cache_file *f, int *fd, uint32_t page, uint8_t *buf)
{
	int cancel_state, rc = -1;
	if (!f->c.page_ready || __atomic_load_n(&f->c.page_ready[page], __ATOMIC_ACQUIRE) == READY)
		return 0;
	if (tn_cache_file_stale(f))
		return -1;
	/* No cancellation point may leave a descriptor open or a page half installed. */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	if (have_fd(f, fd)) {
		uint32_t l1 = tn_cache_l1_page(&f->c, page);
		rc = 0;
		if (l1 && __atomic_load_n(&f->c.page_ready[l1], __ATOMIC_ACQUIRE) != READY)
			rc = fetch_checked(f, *fd, l1, buf);
		if (rc == 0)
			rc = fetch_checked(f, *fd, page, buf);
	}
	if (rc != 0)
		__atomic_store_n(&f->stale, 1, __ATOMIC_RELEASE);
	pthread_setcancelstate(cancel_state, NULL);
	return rc;
}

int tn_cache_file_fetch(struct tn_cache_file *f, int *fd, uint32_t page)
{
	uint8_t buf[TN_PAGE];
	return fetch_through(f, fd, page, buf);
}

/* Reads page `page` into the borrower's buffer and checks it against `want`. */
TN_COLD static int read_page(struct tn_borrow *b, uint32_t page, uint32_t want)
{
	b->page = 0;
	if (!have_fd(b->f, b->fd) || !read_checked(b->f, *b->fd, page, b->buf, want))
		return 0;
	b->page = page;
	return 1;
}

/* Data page `page`, checked: where it is installed, or in the borrower's buffer (its level-1 page read there
 * first and checked against page 0, unless that is installed); NULL when it cannot be had. */
TN_COLD static const uint8_t *borrowed_page(struct tn_borrow *b, uint32_t page)
{
	const struct tn_cache *c = &b->f->c;
	if (__atomic_load_n(&c->page_ready[page], __ATOMIC_ACQUIRE) == READY)
		return c->base + (size_t)page * TN_PAGE;
	if (b->page == page)
		return b->buf;
	uint32_t l1 = tn_cache_l1_page(c, page), want;
	if (__atomic_load_n(&c->page_ready[l1], __ATOMIC_ACQUIRE) == READY)
		want = tn_cache_crc_in_l1(c->base + (size_t)l1 * TN_PAGE, page);
	else if (tn_cache_expected_crc(c, l1, &want) == 0 && read_page(b, l1, want))
		want = tn_cache_crc_in_l1(b->buf, page);
	else
		return NULL;
	return read_page(b, page, want) ? b->buf : NULL;
}

/* The borrower's loader (cache_reader.h): the bytes copied out of their checked pages into `bytes`, or, when
 * they do not fit there, their pages installed. */
TN_COLD static const uint8_t *borrow_bytes(const struct tn_cache *c, uint64_t off, uint64_t len)
{
	struct tn_borrow *b = (struct tn_borrow *)(uintptr_t)c; /* c is b->c */
	struct tn_cache_file *f = b->f;
	uint32_t first = (uint32_t)(off / TN_PAGE), last = (uint32_t)((off + len - 1) / TN_PAGE);
	if (len > sizeof b->bytes - b->used) {
		b->page = 0; /* its buffer serves the fetches: no second page on the stack */
		for (uint32_t p = first; p <= last; p++)
			if (fetch_through(f, b->fd, p, b->buf) != 0)
				return NULL;
		return f->c.base + off;
	}
	uint8_t *dst = b->bytes + b->used;
	const uint8_t *src = dst;
	int cancel_state;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state); /* as in tn_cache_file_fetch */
	for (uint32_t p = first; p <= last && src; p++) {
		uint64_t from = p == first ? off : (uint64_t)p * TN_PAGE;
		uint64_t to = p == last ? off + len : (uint64_t)(p + 1) * TN_PAGE;
		if ((src = borrowed_page(b, p)))
			memcpy(dst + (from - off), src + from % TN_PAGE, to - from);
	}
	pthread_setcancelstate(cancel_state, NULL);
	if (!src) {
		__atomic_store_n(&f->stale, 1, __ATOMIC_RELEASE);
		return NULL;
	}
	b->used += (uint32_t)len;
	return dst;
}

void tn_cache_borrow(struct tn_borrow *b, struct tn_cache_file *f, int *fd)
{
	b->c = f->c;
	b->c.borrow = borrow_bytes;
	b->f = f;
	b->fd = fd;
	b->page = 0;
	b->used = 0;
}

/* The page loader (cache_reader.h) when nobody keeps a descriptor across fetches. */
TN_COLD static int load_page(const struct tn_cache *c, uint32_t page)
{
	struct tn_cache_file *f = (struct tn_cache_file *)(uintptr_t)c; /* c is f->c, and f is writable memory */
	int fd = -1, rc = tn_cache_file_fetch(f, &fd, page);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* A small file: read whole into the heap and checked, every page at once. */
TN_COLD static int read_whole(struct tn_cache_file *f, int fd, size_t len, const char **why)
{
	if (!(f->mem = malloc(len)))
		FAIL(ENOMEM, "no memory for the cache");
	f->mem_len = len;
	if (pread_all(fd, f->mem, len, 0) != (ssize_t)len)
		FAIL(EBADMSG, "cache file is shorter than its header says (truncated)");
	int rc = tn_cache_parse(f->mem, len, &f->c, why); /* page_ready stays NULL: every page is here */
	f->c.suffix_walk = &f->suffix_walk;
	return rc;
}

int tn_cache_read_by_page(struct tn_cache_file *f, int fd, size_t len, const char **why)
{
	void *mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		FAIL(ENOMEM, "no memory for the cache");
	f->mem = mem;
	f->mem_len = len;
	f->by_page = 1;
	if (pread_all(fd, f->mem, TN_PAGE, 0) != TN_PAGE)
		FAIL(EBADMSG, "file is shorter than the cache header (truncated)");
	int rc = tn_cache_parse_header(f->mem, len, &f->c, why);
	if (rc != 0)
		return rc;
	if (!(f->c.page_ready = calloc(len / TN_PAGE, 1)))
		FAIL(ENOMEM, "no memory for the cache");
	f->c.page_ready[0] = READY;
	f->c.load = load_page;
	f->c.suffix_walk = &f->suffix_walk;
	return 0;
}

TN_COLD static int open_checked(const char *path, int fd, struct tn_cache_file *out, const char **why)
{
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		FAIL(EPERM, "cache is not a regular file");
	if (st.st_uid != 0 && st.st_uid != (uid_t)TN_CACHE_UID)
		FAIL(EPERM, "cache file is not owned by root or the cache owner");
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		FAIL(EPERM, "cache file is writable by group or others");
	if (st.st_size < (off_t)TN_PAGE)
		FAIL(EBADMSG, "file is shorter than the cache header (truncated)");
	if ((uint64_t)st.st_size > TN_MAX_FILE)
		FAIL(EFBIG, "cache is larger than the module accepts");
	int rc = dir_ok(path, why);
	if (rc != 0)
		return rc;
	out->dev = st.st_dev;
	out->ino = st.st_ino;
	out->size = st.st_size;
	out->mtime = st.st_mtim;
	out->ctime = st.st_ctim;
	size_t len = (size_t)st.st_size;
	return len <= WHOLE_MAX ? read_whole(out, fd, len, why) : tn_cache_read_by_page(out, fd, len, why);
}

int tn_cache_open(const char *path, struct tn_cache_file *out, const char **why)
{
	return tn_cache_open_fd(path, out, why, NULL);
}

int tn_cache_open_fd(const char *path, struct tn_cache_file *out, const char **why, int *keep)
{
	if (keep)
		*keep = -1;
	memset(out, 0, sizeof *out);
	if (!path || path[0] != '/')
		FAIL(EPERM, "cache path must be absolute");
	if (strlen(path) >= PATH_MAX)
		FAIL(ENAMETOOLONG, "cache path is too long");
	if (!(out->path = strdup(path)))
		FAIL(ENOMEM, "no memory for the cache");
	int fd = open_file(path, why);
	if (fd < 0) {
		tn_cache_close(out);
		return fd;
	}
	int rc = open_checked(path, fd, out, why);
	if (rc == 0 && keep && out->c.page_ready)
		*keep = fd; /* read by the page: the caller's first fetches can use it */
	else
		close(fd);
	if (rc != 0)
		tn_cache_close(out);
	return rc;
}

void tn_cache_close(struct tn_cache_file *f)
{
	if (!f)
		return;
	if (f->by_page) {
		munmap(f->mem, f->mem_len);
		free(f->c.page_ready);
	} else {
		free(f->mem);
	}
	free(f->path);
	memset(f, 0, sizeof *f);
}
