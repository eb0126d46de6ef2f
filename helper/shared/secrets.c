/* SPDX-License-Identifier: BSD-3-Clause */
/* secrets.c - see secrets.h. Secrets are read with read(2) straight into their own page, never through stdio,
 * whose heap buffers would keep a copy that nobody wipes. */
#include "shared/secrets.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/safe_path.h"

static size_t mapping_size(size_t cap)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	return (cap + 1 + page - 1) / page * page;
}

int tn_secret_alloc(struct tn_secret *s, size_t cap, struct tn_error *err)
{
	tn_secret_free(s);
	if (cap > TN_SECRET_MAX)
		return tn_error_set(err, TN_EXIT_FAIL, "secret larger than %d bytes", TN_SECRET_MAX);
	size_t size = mapping_size(cap);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot allocate memory for a secret: %s", strerror(errno));
	/* Both are best effort: a core dump is already off (PR_SET_DUMPABLE), and RLIMIT_MEMLOCK may be 0. */
	(void)madvise(p, size, MADV_DONTDUMP);
	(void)mlock(p, size);
	s->data = p;
	s->cap = cap;
	s->len = 0;
	return 0;
}

int tn_secret_set(struct tn_secret *s, const char *data, size_t len, struct tn_error *err)
{
	if (tn_secret_alloc(s, len, err) != 0)
		return -1;
	memcpy(s->data, data, len);
	s->data[len] = '\0';
	s->len = len;
	return 0;
}

void tn_secret_free(struct tn_secret *s)
{
	if (!s || !s->data)
		return;
	size_t size = mapping_size(s->cap);
	explicit_bzero(s->data, size);
	munlock(s->data, size);
	munmap(s->data, size);
	s->data = NULL;
	s->len = s->cap = 0;
}

int tn_check_private_file(int fd, const char *path, const char *what, int writable_only, struct tn_error *err)
{
	int code = writable_only ? TN_EXIT_USAGE : TN_EXIT_CREDENTIALS;
	struct stat st;
	if (fstat(fd, &st) != 0)
		return tn_error_set(err, code, "cannot stat %s %s: %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return tn_error_set(err, code, "%s %s is not a regular file", what, path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return tn_error_set(err, code, "%s %s belongs to uid %u; it must belong to uid %u or root", what, path,
				    (unsigned)st.st_uid, (unsigned)geteuid());
	mode_t bad = writable_only ? (S_IWGRP | S_IWOTH) : (S_IRWXG | S_IRWXO);
	if (st.st_mode & bad)
		return tn_error_set(err, code,
				    "permissions %04o for %s %s are too open: it must not be %s by group or "
				    "others (chmod %s %s)",
				    (unsigned)(st.st_mode & 07777), what, path,
				    writable_only ? "writable" : "accessible", writable_only ? "go-w" : "600", path);
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Trims in place; refuses control characters inside, which mean a wrong file rather than a credential. */
static int trim_secret(struct tn_secret *s, const char *what, const char *path, struct tn_error *err)
{
	size_t start = 0, end = s->len;
	while (start < end && is_space(s->data[start]))
		start++;
	while (end > start && is_space(s->data[end - 1]))
		end--;
	for (size_t i = start; i < end; i++)
		if ((unsigned char)s->data[i] < 0x20 || s->data[i] == 0x7f)
			return tn_error_set(err, TN_EXIT_CREDENTIALS,
					    "%s %s must hold the credential alone on one line", what, path);
	if (end == start)
		return tn_error_set(err, TN_EXIT_CREDENTIALS, "%s %s is empty", what, path);
	memmove(s->data, s->data + start, end - start);
	explicit_bzero(s->data + (end - start), s->cap + 1 - (end - start));
	s->len = end - start;
	return 0;
}

int tn_secret_read(const char *path, const char *what, struct tn_secret *out, struct tn_error *err)
{
	int fd = tn_safe_open(path, what, TN_EXIT_CREDENTIALS, err);
	if (fd < 0)
		return -1;
	if (tn_check_private_file(fd, path, what, 0, err) != 0 || tn_secret_alloc(out, TN_SECRET_MAX, err) != 0) {
		close(fd);
		return -1;
	}
	size_t got = 0;
	if (tn_read_fd(fd, out->data, out->cap + 1, &got) != 0) {
		tn_error_set(err, TN_EXIT_CREDENTIALS, "cannot read %s %s: %s", what, path, strerror(errno));
		goto fail;
	}
	if (got > out->cap) {
		tn_error_set(err, TN_EXIT_CREDENTIALS, "%s %s is larger than %d bytes", what, path, TN_SECRET_MAX);
		goto fail;
	}
	close(fd);
	out->len = got;
	out->data[got] = '\0';
	if (trim_secret(out, what, path, err) != 0) {
		tn_secret_free(out);
		return -1;
	}
	return 0;
fail:
	close(fd);
	tn_secret_free(out);
	return -1;
}

int tn_read_fd(int fd, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		ssize_t r = read(fd, buf + *len, cap - *len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*len += (size_t)r;
	}
	return 0;
}

int tn_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, p + done, len - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		done += (size_t)w;
	}
	return 0;
}

int tn_secret_write_file(const char *path, const char *data, size_t len, struct tn_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base)
		return tn_error_set(err, TN_EXIT_USAGE, "output path %s names a directory", path);
	if (!slash)
		snprintf(dir, sizeof dir, ".");
	else
		snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	if (snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, base) >= (int)sizeof tmp)
		return tn_error_set(err, TN_EXIT_USAGE, "output path is too long");

	/* A signal between create and rename would leave a key-bearing temp file behind: hold every signal off
	 * for that moment (SIGKILL cannot be; the temp file it would leave is at least 0600). */
	sigset_t all, old_mask;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old_mask);
	int rc = -1, fd = mkostemp(tmp, O_CLOEXEC); /* created 0600 */
	const char *failed = "create a file in", *what = dir;
	if (fd >= 0) {
		failed = "write";
		what = tmp;
		if (fchmod(fd, 0600) == 0 && tn_write_all(fd, data, len) == 0 && fsync(fd) == 0) {
			failed = "replace";
			what = path;
			rc = rename(tmp, path);
		}
	}
	int saved = errno;
	if (fd >= 0)
		close(fd);
	if (rc != 0) {
		tn_error_set(err, TN_EXIT_FAIL, "cannot %s %s: %s", failed, what, strerror(saved));
		if (fd >= 0)
			unlink(tmp);
	} else {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd); /* the rename itself survives a crash */
			close(dfd);
		}
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return rc;
}

void tn_secret_redact(char *text, size_t cap, const struct tn_secret *secret)
{
	static const char mark[] = "[redacted]";
	const size_t mlen = sizeof mark - 1;
	if (!text || !cap || !secret || !secret->data || !secret->len)
		return;
	char *hit = text;
	while ((hit = strstr(hit, secret->data)) != NULL) {
		size_t tail = strlen(hit + secret->len);
		size_t room = cap - 1 - (size_t)(hit - text); /* bytes available from hit to the last one */
		size_t keep = mlen > room ? room : mlen;
		size_t tail_keep = tail > room - keep ? room - keep : tail;
		memmove(hit + keep, hit + secret->len, tail_keep);
		memcpy(hit, mark, keep);
		hit[keep + tail_keep] = '\0';
		hit += keep;
	}
}

void *tn_wipe_malloc(size_t n)
{
	return malloc(n);
}

void *tn_wipe_calloc(size_t nmemb, size_t size)
{
	return calloc(nmemb, size);
}

void tn_wipe_free(void *p)
{
	if (!p)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

/* Never realloc() in place: a block that moves would leave its old copy unwiped. */
void *tn_wipe_realloc(void *p, size_t n)
{
	if (!p)
		return malloc(n);
	if (!n) {
		tn_wipe_free(p);
		return NULL;
	}
	void *q = malloc(n);
	if (!q)
		return NULL;
	size_t old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	tn_wipe_free(p);
	return q;
}

char *tn_wipe_strdup(const char *s)
{
	return strdup(s);
}
