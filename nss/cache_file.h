/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_file.h - a cache file opened for reading, its pages fetched as lookups need them.
 *
 * Contract: tn_cache_open() opens the file without following a final symlink and without blocking (a FIFO is
 * refused, not waited on), refuses anything that is not a regular file owned by root (or TN_CACHE_UID) and
 * unwritable by group and others in a directory with the same properties, reads page 0 and checks it
 * (cache_reader.h), and closes the descriptor again: no descriptor stays open. The file is never mapped. Its
 * bytes are copied with pread(2) into anonymous memory of the process's own, one page at a time when a
 * lookup first touches it (all at once for a small file), each page checked against its checksum first. So
 * whatever happens to the file afterwards - rewritten in place by `cp` or `cat >`, truncated, replaced - no
 * reader can fault: pages already fetched stay as they were, and a page that can no longer be fetched from the
 * same file, unchanged, is refused; the file is then marked stale (tn_cache_file_stale) and the caller opens
 * the new one. Opening costs the same whatever the size; memory grows with the pages actually used.
 *
 * Concurrency: any number of threads may look up through one open file at once; fetching is race-free (a page
 * is installed once, by compare-and-swap on its state). tn_cache_close() must not race with lookups (the
 * caller keeps a reference, see cache_current.h). Errors as in cache_reader.h: -ENOENT missing, -EACCES
 * unreadable, -EPERM wrong type/owner/mode or a symlink, -EFBIG, -EBADMSG, -ENOMEM, -ENAMETOOLONG.
 */
#ifndef TAILNET_CACHE_FILE_H
#define TAILNET_CACHE_FILE_H

#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "cache_reader.h"

struct tn_cache_file {
	struct tn_cache c; /* first: the page loader finds the file from the cache */
	dev_t dev;         /* the identity it was opened with */
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	uint8_t *mem; /* the image's bytes: malloc'd when read whole, else anonymous memory filled by the page */
	size_t mem_len;
	int by_page; /* mem is a mapping, c.page_ready a calloc'd state byte per page */
	int stale;   /* set (atomically) when a page could not be had from the same, unchanged file */
	int suffix_walk; /* c.suffix_walk points here */
	char *path;  /* malloc'd: a lookup touches as few fresh pages as possible (a first touch costs a fault) */
};

TN_COLD int tn_cache_open(const char *path, struct tn_cache_file *out, const char **why);
/* The same, and when the file is read by the page, its descriptor is left open in *keep for the caller's
 * first fetches (tn_cache_file_fetch); else *keep is -1. */
TN_COLD int tn_cache_open_fd(const char *path, struct tn_cache_file *out, const char **why, int *keep);
TN_COLD void tn_cache_close(struct tn_cache_file *f);

/* How tn_cache_open() sets up a large file (page 0 read and checked now, each other page when a lookup first
 * touches it), for the `len` bytes open on `fd`, without looking at who owns it: the fuzzers use it on
 * memory files. With no path to open again, pages come only through a descriptor the caller passes
 * (tn_cache_file_fetch, tn_cache_borrow). The caller closes `f` whatever it returns. */
TN_COLD int tn_cache_read_by_page(struct tn_cache_file *f, int fd, size_t len, const char **why);

/* 1 when `st` (from lstat/stat of the path) still describes the file that was opened. */
int tn_cache_file_same(const struct tn_cache_file *f, const struct stat *st);

/* Fetches page `page` (1 and up), and the level-1 page with its checksum, into the file's memory through *fd,
 * which is first opened when it is -1 (and checked to be the file that was opened, unchanged). The caller
 * closes *fd after a burst of fetches: cache_current.c keeps one per lookup, so a lookup that touches four
 * new pages opens the file once. The default loader opens and closes it per page. 0, or -1 with the file
 * marked stale. */
TN_COLD int tn_cache_file_fetch(struct tn_cache_file *f, int *fd, uint32_t page);

/* A lookup that keeps nothing. The first lookup after a file is opened is often the only one its process
 * makes (curl, ssh, getent), so it should touch as little fresh memory as it can: every page a process touches
 * for the first time costs a fault, and installing pages scattered over the image's mapping costs a
 * page-table page for every 2 MiB as well. A borrowed lookup reads each page it needs into one buffer,
 * checks it the same way (its level-1 page read into that buffer first, unless installed), and copies out
 * only the bytes the lookup asked for; it installs nothing, and uses installed pages where they are. Bytes
 * that do not fit in what it holds are read by installing their pages, as any other lookup does; the lookups
 * after it install as usual. tn_cache_borrow() sets `b` up for one lookup in `f` (read by the page:
 * f->c.page_ready is set), reading through *fd as tn_cache_file_fetch() does; the lookup then goes through
 * b->c, and `b` (about 6 KiB, on the caller's stack) must outlive the answer's pointers. A page that cannot
 * be had marks the file stale, as a fetch does. */
#define TN_BORROW_BYTES 2048u
struct tn_borrow {
	struct tn_cache c; /* first: the loader finds the rest from it */
	struct tn_cache_file *f;
	int *fd;
	uint32_t page; /* the page in buf, checked; 0 when none */
	uint32_t used; /* bytes of `bytes` handed out */
	uint8_t buf[TN_PAGE];
	uint8_t bytes[TN_BORROW_BYTES];
};
TN_COLD void tn_cache_borrow(struct tn_borrow *b, struct tn_cache_file *f, int *fd);

/* 1 once a page could not be fetched (the file changed or went away): the caller should open it anew. */
static inline int tn_cache_file_stale(const struct tn_cache_file *f)
{
	return __atomic_load_n(&f->stale, __ATOMIC_ACQUIRE);
}

#endif
