/* SPDX-License-Identifier: BSD-3-Clause */
/* resolv_conf.c - see resolv_conf.h. */
#include "dns/resolv_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include "shared/secrets.h"

struct text {
	char *p;
	size_t len, cap;
	int failed;
};

static void put(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = (t->len + n + 1) * 2;
		char *p = realloc(t->p, cap);
		if (!p) {
			t->failed = 1;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void puts_text(struct text *t, const char *s)
{
	put(t, s, strlen(s));
}

static int blank(char c)
{
	return c == ' ' || c == '\t';
}

/* glibc's rule: the keyword starts the line and a blank follows it. Returns the rest of the line, or NULL. */
static const char *keyword(const char *line, size_t len, const char *kw)
{
	size_t n = strlen(kw);
	return len > n && memcmp(line, kw, n) == 0 && blank(line[n]) ? line + n : NULL;
}

/* The next blank-separated token in [*p, end), or 0 when there is none. */
static size_t token(const char **p, const char *end)
{
	while (*p < end && (blank(**p) || **p == '\r'))
		(*p)++;
	size_t n = 0;
	while (*p + n < end && !blank((*p)[n]) && (*p)[n] != '\r')
		n++;
	return n;
}

static int same_domain(const char *a, size_t an, const char *b)
{
	size_t bn = strlen(b);
	if (an && a[an - 1] == '.')
		an--;
	if (bn && b[bn - 1] == '.')
		bn--;
	return an == bn && strncasecmp(a, b, an) == 0;
}

static int same_address(const char *a, size_t an, const char *b)
{
	char text[INET6_ADDRSTRLEN + 1];
	unsigned char x[16], y[16];
	if (an >= sizeof text)
		return 0;
	memcpy(text, a, an);
	text[an] = '\0';
	int af = strchr(b, ':') ? AF_INET6 : AF_INET;
	return inet_pton(af, text, x) == 1 && inet_pton(af, b, y) == 1 && memcmp(x, y, af == AF_INET ? 4 : 16) == 0;
}

/* The line starting at *p, without its '\n', and its length in *n; *p moves past it. */
static const char *next_line(const char **p, const char *end, size_t *n)
{
	const char *line = *p, *nl = memchr(line, '\n', (size_t)(end - line));
	*n = nl ? (size_t)(nl - line) : (size_t)(end - line);
	*p = line + *n + (nl != NULL);
	return line;
}

/* The last search or domain line (glibc: the last one wins), without its line end, or NULL. */
static const char *last_search(const char *text, size_t len, size_t *line_len)
{
	const char *found = NULL;
	for (const char *p = text, *end = text + len; p < end;) {
		size_t n;
		const char *line = next_line(&p, end, &n);
		if (keyword(line, n, "search") || keyword(line, n, "domain")) {
			found = line;
			*line_len = n;
		}
	}
	return found;
}

static void search_line(struct text *t, const char *orig, size_t len, const char *suffix)
{
	size_t n = 0;
	const char *line = last_search(orig, len, &n);
	puts_text(t, "search ");
	puts_text(t, suffix);
	if (line) {
		const char *p = line + 6, *end = line + n; /* after "search" or "domain" */
		for (size_t k; (k = token(&p, end)) != 0; p += k) {
			if (same_domain(p, k, suffix))
				continue;
			put(t, " ", 1);
			put(t, p, k);
		}
	}
	put(t, "\n", 1);
}

int tn_resolv_applied(const char *text, size_t len)
{
	size_t m = sizeof TN_RESOLV_MARKER - 1;
	for (const char *p = text, *end = text + len; p < end;) {
		size_t n;
		const char *line = next_line(&p, end, &n);
		if (n >= m && memcmp(line, TN_RESOLV_MARKER, m) == 0)
			return 1;
	}
	return 0;
}

char *tn_resolv_rewrite(const char *orig, size_t len, const char *nameserver, const char *suffix, const char *backup,
			size_t *out_len, struct tn_resolv_notes *notes)
{
	struct text t = {0};
	int kept = 0;
	memset(notes, 0, sizeof *notes);
	puts_text(&t, TN_RESOLV_MARKER " the tailnet DNS responder first. The original is in ");
	puts_text(&t, backup);
	puts_text(&t, "; 'tailnet-helper resolv-conf --revert' puts it back.\nnameserver ");
	puts_text(&t, nameserver);
	put(&t, "\n", 1);
	search_line(&t, orig, len, suffix);
	for (const char *p = orig, *end = orig + len; p < end;) {
		size_t n;
		const char *line = next_line(&p, end, &n);
		const char *rest = keyword(line, n, "nameserver"), *opts = keyword(line, n, "options");
		if (keyword(line, n, "search") || keyword(line, n, "domain"))
			continue; /* folded into our search line */
		if (opts) {
			for (size_t k; (k = token(&opts, line + n)) != 0; opts += k)
				notes->rotate |= k == 6 && memcmp(opts, "rotate", 6) == 0;
		}
		if (rest) {
			size_t k = token(&rest, line + n);
			if (same_address(rest, k, nameserver))
				continue; /* ours, already first */
			if (++kept > 2) {
				puts_text(
				    &t, "# tailnet-helper: unused while the responder is first (resolvers use at most "
					"3 nameservers): ");
				notes->dropped++;
			}
		}
		put(&t, line, n);
		put(&t, "\n", 1);
	}
	if (t.failed) {
		free(t.p);
		return NULL;
	}
	*out_len = t.len;
	return t.p;
}

/* The file, opened for rewriting in place and locked, and its content. */
static int open_locked(const char *path, char *buf, size_t *len, struct tn_error *err)
{
	int fd = open(path, O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ELOOP)
		return tn_error_set(err, TN_EXIT_FAIL,
				    "%s is a symbolic link (to systemd-resolved's or resolvconf's file?): it is "
				    "managed elsewhere, so it is left alone; configure that manager instead",
				    path);
	if (fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot open %s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX) != 0 || tn_read_fd(fd, buf, TN_RESOLV_MAX_BYTES + 1, len) != 0) {
		int e = errno;
		close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "cannot read %s: %s", path, strerror(e));
	}
	if (*len > TN_RESOLV_MAX_BYTES) {
		close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "%s is larger than %d bytes: not a resolv.conf", path,
				    TN_RESOLV_MAX_BYTES);
	}
	return fd;
}

/* In place: the same inode, so a bind mount (Docker's /etc/resolv.conf) sees the change. Resolvers read the
 * file at any moment and take no lock, so its size never changes while its bytes do, and never before they
 * are right: a reader must not find it empty (truncate first, and it resolves with no nameserver at all), nor
 * the new bytes cut at the old size (write past the end, and for a moment the size is the old one). So:
 * 1. when it grows, blank lines (which every resolver skips) are appended first: the old content, longer;
 * 2. the new content, padded with blank lines to the size the file has now, goes over it in one write;
 * 3. the file is cut to the new content's size: only blank lines go.
 * A reader sees the old or the new content, with or without trailing blank lines. (What no in-place write
 * can rule out is a read that overlaps step 2's copy into the page cache itself; the test counts those.) */
static int write_in_place(int fd, const char *path, const char *data, size_t len, size_t old_len,
			  struct tn_error *err)
{
	static char padded[TN_RESOLV_MAX_BYTES * 2 + 2];
	size_t n = len < old_len ? old_len : len;
	if (n > sizeof padded)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot rewrite %s: too large", path);
	memset(padded, '\n', n);
	if (len > old_len && pwrite(fd, padded, len - old_len, (off_t)old_len) != (ssize_t)(len - old_len))
		return tn_error_set(err, TN_EXIT_FAIL, "cannot grow %s: %s", path, strerror(errno));
	memcpy(padded, data, len);
	ssize_t w = pwrite(fd, padded, n, 0);
	if (w != (ssize_t)n || ftruncate(fd, (off_t)len) != 0 || fsync(fd) != 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot rewrite %s in place: %s", path,
				    w >= 0 && w != (ssize_t)n ? "short write" : strerror(errno));
	return 0;
}

static int read_backup(const char *backup, char *buf, size_t *len, struct tn_error *err)
{
	int fd = open(backup, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return tn_error_set(
		    err, TN_EXIT_FAIL,
		    "the file was rewritten by tailnet-helper but its original %s cannot be opened (%s); "
		    "edit it by hand",
		    backup, strerror(errno));
	int rc = tn_read_fd(fd, buf, TN_RESOLV_MAX_BYTES + 1, len);
	int e = errno;
	close(fd);
	if (rc != 0 || *len > TN_RESOLV_MAX_BYTES)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot read the original %s: %s", backup,
				    rc ? strerror(e) : "too large");
	return 0;
}

/* The file as found and the original, for apply and revert (one at a time: the helper is single-threaded). */
static char cur[TN_RESOLV_MAX_BYTES + 1], orig[TN_RESOLV_MAX_BYTES + 1];

int tn_resolv_apply(const char *path, const char *backup, const char *nameserver, const char *suffix, int *changed,
		    struct tn_resolv_notes *notes, struct tn_error *err)
{
	size_t cur_len, orig_len;
	int rc = 0, fd = open_locked(path, cur, &cur_len, err);
	*changed = 0;
	if (fd < 0)
		return -1;
	if (tn_resolv_applied(cur, cur_len)) {
		rc = read_backup(backup, orig, &orig_len, err);
	} else {
		memcpy(orig, cur, cur_len);
		orig_len = cur_len;
		rc = tn_secret_write_file(backup, orig, orig_len, err); /* first, so a crash can still revert */
	}
	size_t new_len = 0;
	char *applied = rc == 0 ? tn_resolv_rewrite(orig, orig_len, nameserver, suffix, backup, &new_len, notes) : NULL;
	if (rc == 0 && !applied)
		rc = tn_error_set(err, TN_EXIT_FAIL, "out of memory");
	if (rc == 0 && (new_len != cur_len || memcmp(applied, cur, cur_len) != 0)) {
		rc = write_in_place(fd, path, applied, new_len, cur_len, err);
		*changed = rc == 0;
	}
	free(applied);
	close(fd);
	return rc;
}

int tn_resolv_revert(const char *path, const char *backup, int *changed, struct tn_error *err)
{
	size_t cur_len, orig_len;
	int rc = 0, fd = open_locked(path, cur, &cur_len, err);
	*changed = 0;
	if (fd < 0)
		return -1;
	if (tn_resolv_applied(cur, cur_len)) {
		rc = read_backup(backup, orig, &orig_len, err);
		if (rc == 0)
			rc = write_in_place(fd, path, orig, orig_len, cur_len, err);
		*changed = rc == 0;
		if (rc == 0 && unlink(backup) != 0)
			rc = tn_error_set(err, TN_EXIT_FAIL, "%s is restored, but its backup %s cannot be removed: %s",
					  path, backup, strerror(errno));
	}
	close(fd);
	return rc;
}
