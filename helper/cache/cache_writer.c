/* SPDX-License-Identifier: BSD-3-Clause */
/* cache_writer.c - see cache_writer.h. */
#include "cache/cache_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nss/cache_format.h"
#include "nss/cache_reader.h"
#include "nss/crc32c.h"

#define SEED_START 0x7a11e7u
#define SEED_TRIES 32

static size_t align8(size_t x)
{
	return (x + 7) & ~(size_t)7;
}

static uint32_t pow2_at_least(size_t n)
{
	uint32_t p = 8;
	while (p < n && p < (1u << 30))
		p <<= 1;
	return p;
}

struct layout {
	uint32_t node_off, addr_off, fwd_off, fwd_buckets, rev_off, rev_buckets, str_off, str_len;
	size_t total, nodes, addrs, keys;
};

/* Puts (hash, ref) in the first free slot of its probe sequence; returns the distance from home. With
 * `addrs` (the reverse table), an address already present keeps its first owner: UINT32_MAX is returned. */
static uint32_t table_put(uint8_t *tab, uint32_t mask, uint32_t hash, uint32_t ref, const uint8_t *addrs)
{
	for (uint32_t i = 0;; i++) {
		uint8_t *bk = tab + (size_t)((hash + i) & mask) * TN_BUCKET_SIZE;
		uint32_t cur = tn_le32(bk + TN_BUCKET_REF);
		if (cur == 0) {
			tn_put32(bk + TN_BUCKET_HASH, hash);
			tn_put32(bk + TN_BUCKET_REF, ref);
			return i;
		}
		if (addrs && tn_le32(bk + TN_BUCKET_HASH) == hash &&
		    memcmp(addrs + (size_t)(cur - 1) * TN_ADDR_SIZE, addrs + (size_t)(ref - 1) * TN_ADDR_SIZE, 16) == 0)
			return UINT32_MAX;
	}
}

/* Fills both tables with `seed`; returns the longest probe sequence (distance + 1). */
static uint32_t fill_tables(const struct tn_hostset *hs, const struct layout *l, uint8_t *img, uint32_t seed)
{
	uint8_t *fwd = img + l->fwd_off, *rev = img + l->rev_off;
	uint32_t worst = 0, fmask = l->fwd_buckets - 1, rmask = l->rev_buckets - 1, addr = 0;
	memset(fwd, 0, (size_t)l->fwd_buckets * TN_BUCKET_SIZE);
	memset(rev, 0, (size_t)l->rev_buckets * TN_BUCKET_SIZE);
	for (size_t i = 0; i < hs->n; i++) {
		const struct tn_host *h = &hs->hosts[i];
		uint32_t d = table_put(fwd, fmask, tn_hash(seed, h->fqdn, h->fqdn_len), (uint32_t)i + 1, NULL);
		worst = d > worst ? d : worst;
		if (h->bare_len) {
			d = table_put(fwd, fmask, tn_hash(seed, h->fqdn, h->bare_len), ((uint32_t)i + 1) | TN_REF_BARE,
				      NULL);
			worst = d > worst ? d : worst;
		}
	}
	/* Reverse: node addresses before ExtraRecords, so an address shared with a record names the node. */
	for (int pass = 0; pass < 2; pass++) {
		addr = 0;
		for (size_t i = 0; i < hs->n; i++) {
			const struct tn_host *h = &hs->hosts[i];
			for (unsigned a = 0; a < (unsigned)h->n4 + h->n6; a++, addr++) {
				if ((h->kind == TN_HOST_NODE) != (pass == 0))
					continue;
				uint32_t d = table_put(rev, rmask, tn_hash(seed, h->addrs[a].b, 16), addr + 1,
							 img + l->addr_off);
				if (d != UINT32_MAX)
					worst = d > worst ? d : worst;
			}
		}
	}
	return worst + 1;
}

static int plan(const struct tn_hostset *hs, unsigned scale, struct layout *l, struct tn_error *err)
{
	memset(l, 0, sizeof *l);
	size_t str = 1 + (hs->suffix ? strlen(hs->suffix) + 1 : 0);
	for (size_t i = 0; i < hs->n; i++) {
		l->addrs += (size_t)hs->hosts[i].n4 + hs->hosts[i].n6;
		l->keys += hs->hosts[i].bare_len ? 2 : 1;
		str += (size_t)hs->hosts[i].fqdn_len + 1;
	}
	l->nodes = hs->n;
	l->fwd_buckets = pow2_at_least(2 * l->keys << scale);
	l->rev_buckets = pow2_at_least(2 * l->addrs << scale);
	size_t off = TN_HDR_SIZE;
	l->node_off = (uint32_t)off;
	off = align8(off + l->nodes * TN_NODE_SIZE);
	l->addr_off = (uint32_t)off;
	off = align8(off + l->addrs * TN_ADDR_SIZE);
	l->fwd_off = (uint32_t)off;
	off += (size_t)l->fwd_buckets * TN_BUCKET_SIZE;
	l->rev_off = (uint32_t)off;
	off += (size_t)l->rev_buckets * TN_BUCKET_SIZE;
	l->str_off = (uint32_t)off;
	l->str_len = (uint32_t)str;
	l->total = off + str;
	if (l->total > TN_MAX_FILE || l->nodes > TN_REF_INDEX || l->addrs > TN_REF_INDEX)
		return tn_error_set(err, TN_EXIT_FAIL, "%zu names and %zu addresses do not fit the cache format",
				    l->keys, l->addrs);
	return 0;
}

static void fill_body(const struct tn_hostset *hs, const struct layout *l, uint8_t *img, uint32_t *suffix_off)
{
	uint8_t *str = img + l->str_off;
	size_t s = 1; /* offset 0 holds "" */
	uint32_t addr = 0;
	*suffix_off = 0;
	if (hs->suffix) {
		size_t n = strlen(hs->suffix);
		memcpy(str + s, hs->suffix, n + 1);
		*suffix_off = (uint32_t)s;
		s += n + 1;
	}
	for (size_t i = 0; i < hs->n; i++) {
		const struct tn_host *h = &hs->hosts[i];
		uint8_t *n = img + l->node_off + i * TN_NODE_SIZE;
		memcpy(str + s, h->fqdn, (size_t)h->fqdn_len + 1);
		tn_put32(n + TN_NODE_NAME_OFF, (uint32_t)s);
		tn_put16(n + TN_NODE_NAME_LEN, h->fqdn_len);
		tn_put16(n + TN_NODE_BARE_LEN, h->bare_len);
		tn_put32(n + TN_NODE_ADDR_FIRST, addr);
		tn_put16(n + TN_NODE_N4, h->n4);
		tn_put16(n + TN_NODE_N6, h->n6);
		s += (size_t)h->fqdn_len + 1;
		for (unsigned a = 0; a < (unsigned)h->n4 + h->n6; a++, addr++) {
			uint8_t *r = img + l->addr_off + (size_t)addr * TN_ADDR_SIZE;
			memcpy(r + TN_ADDR_BYTES, h->addrs[a].b, 16);
			tn_put32(r + TN_ADDR_NODE, (uint32_t)i);
		}
	}
}

static void seal(uint8_t *img, size_t len, const struct tn_cache_meta *meta)
{
	tn_put64(img + TN_HDR_GENERATION, meta->generation);
	tn_put64(img + TN_HDR_WRITTEN_AT, (uint64_t)meta->written_at);
	tn_put64(img + TN_HDR_VALID_UNTIL, (uint64_t)meta->valid_until);
	tn_put32(img + TN_HDR_SUPERSEDED, 0);
	tn_put32(img + TN_HDR_CHECKSUM, tn_cache_checksum(img, len));
}

int tn_cache_build(const struct tn_hostset *hs, const struct tn_cache_meta *meta, uint8_t **out, size_t *out_len,
		   struct tn_error *err)
{
	struct layout l;
	*out = NULL;
	*out_len = 0;
	if (!hs->finished)
		return tn_error_set(err, TN_EXIT_FAIL, "internal error: hostset not finished");
	for (unsigned scale = 0; scale < 4; scale++) {
		if (plan(hs, scale, &l, err) != 0)
			return -1;
		uint8_t *img = calloc(1, l.total);
		if (!img)
			return tn_error_set(err, TN_EXIT_FAIL, "out of memory building a %zu-byte cache", l.total);
		uint32_t suffix_off, seed = SEED_START, probe = 0;
		fill_body(hs, &l, img, &suffix_off);
		for (int t = 0; t < SEED_TRIES; t++, seed++)
			if ((probe = fill_tables(hs, &l, img, seed)) <= TN_MAX_PROBE)
				break;
		if (probe > TN_MAX_PROBE) {
			free(img);
			continue;
		}
		memcpy(img + TN_HDR_MAGIC, TN_MAGIC, 8);
		tn_put32(img + TN_HDR_VERSION, TN_VERSION);
		tn_put32(img + TN_HDR_ENDIAN, TN_ENDIAN_MARK);
		tn_put32(img + TN_HDR_HDRLEN, TN_HDR_SIZE);
		tn_put32(img + TN_HDR_FLAGS, (hs->magicdns ? TN_FLAG_MAGICDNS : 0) | (hs->tun ? TN_FLAG_TUN : 0) |
						     (hs->paused ? TN_FLAG_PAUSED : 0));
		tn_put64(img + TN_HDR_TOTAL, l.total);
		tn_put32(img + TN_HDR_SEED, seed);
		tn_put32(img + TN_HDR_MAX_PROBE, probe);
		tn_put32(img + TN_HDR_SUFFIX_OFF, suffix_off);
		tn_put32(img + TN_HDR_SUFFIX_LEN, hs->suffix ? (uint32_t)strlen(hs->suffix) : 0);
		tn_put32(img + TN_HDR_NODE_OFF, l.node_off);
		tn_put32(img + TN_HDR_NODE_COUNT, (uint32_t)l.nodes);
		tn_put32(img + TN_HDR_ADDR_OFF, l.addr_off);
		tn_put32(img + TN_HDR_ADDR_COUNT, (uint32_t)l.addrs);
		tn_put32(img + TN_HDR_FWD_OFF, l.fwd_off);
		tn_put32(img + TN_HDR_FWD_BUCKETS, l.fwd_buckets);
		tn_put32(img + TN_HDR_REV_OFF, l.rev_off);
		tn_put32(img + TN_HDR_REV_BUCKETS, l.rev_buckets);
		tn_put32(img + TN_HDR_STR_OFF, l.str_off);
		tn_put32(img + TN_HDR_STR_LEN, l.str_len);
		tn_put32(img + TN_HDR_NAME_COUNT, (uint32_t)l.keys);
		seal(img, l.total, meta);
		*out = img;
		*out_len = l.total;
		return 0;
	}
	return tn_error_set(err, TN_EXIT_FAIL, "could not build a cache index within %u probes", TN_MAX_PROBE);
}

/* mkdir -p for the cache's directory (0755: the cache must be readable by every uid, nscd's included). */
static int make_parent_dirs(const char *path, struct tn_error *err)
{
	char dir[PATH_MAX];
	if (snprintf(dir, sizeof dir, "%s", path) >= (int)sizeof dir)
		return tn_error_set(err, TN_EXIT_FAIL, "cache path is too long");
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST)
			return tn_error_set(err, TN_EXIT_FAIL, "cannot create %s: %s", dir, strerror(errno));
		*p = '/';
	}
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int tn_cache_write(const char *path, const uint8_t *img, size_t len, struct tn_error *err)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash || path[0] != '/')
		return tn_error_set(err, TN_EXIT_USAGE, "cache path must be absolute: %s", path);
	snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	if (snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, slash + 1) >= (int)sizeof tmp)
		return tn_error_set(err, TN_EXIT_FAIL, "cache path is too long");
	if (make_parent_dirs(path, err) != 0)
		return -1;

	/* Hold off the signals that end us until the temp file is renamed or removed. */
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old_mask);

	int rc = -1, fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		tn_error_set(err, TN_EXIT_FAIL, "cannot create a temporary file in %s: %s", dir, strerror(errno));
		goto out;
	}
	if (write_all(fd, img, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		tn_error_set(err, TN_EXIT_FAIL, "cannot write %s: %s", tmp, strerror(errno));
		close(fd);
		unlink(tmp);
		goto out;
	}
	close(fd);
	/* The inode being replaced, so it can be flagged superseded once the new one is in place. */
	int old = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (old >= 0 && (fstat(old, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < TN_HDR_SIZE ||
			 st.st_uid != geteuid())) {
		close(old);
		old = -1;
	}
	if (rename(tmp, path) != 0) {
		tn_error_set(err, TN_EXIT_FAIL, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
		if (old >= 0)
			close(old);
		goto out;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	if (old >= 0) {
		uint8_t one[4];
		tn_put32(one, 1);
		/* Best effort: if this fails, readers still notice within their re-check interval. */
		(void)!pwrite(old, one, sizeof one, TN_HDR_SUPERSEDED);
		close(old);
	}
	rc = 0;
out:
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return rc;
}

/* Maps the current cache for comparison; structure is checked, ownership is not (it is ours). */
static int map_old(const char *path, const uint8_t **img, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < TN_HDR_SIZE ||
	    (uint64_t)st.st_size > TN_MAX_FILE) {
		close(fd);
		return -1;
	}
	void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -1;
	*img = m;
	*len = (size_t)st.st_size;
	return 0;
}

int tn_cache_update(const char *path, const struct tn_hostset *hs, const struct tn_update_opts *opts,
		    struct tn_update_result *res, struct tn_error *err)
{
	int64_t now = (int64_t)time(NULL);
	struct tn_cache_meta meta = {.generation = 1, .written_at = now, .valid_until = now + opts->max_age};
	uint8_t *img;
	size_t len;
	memset(res, 0, sizeof *res);
	if (tn_cache_build(hs, &meta, &img, &len, err) != 0)
		return -1;

	const uint8_t *old;
	size_t old_len;
	struct tn_cache oc;
	res->changed = true;
	if (map_old(path, &old, &old_len) == 0) {
		if (tn_cache_parse(old, old_len, &oc, NULL) == 0) {
			/* Same flags and same bytes from the seed on: same names, addresses and index. */
			res->changed = old_len != len || oc.flags != tn_le32(img + TN_HDR_FLAGS) ||
				       memcmp(old + TN_HDR_SEED, img + TN_HDR_SEED, len - TN_HDR_SEED) != 0;
			meta.generation = oc.generation + (res->changed ? 1 : 0);
			if (!res->changed && opts->skip_if_unchanged && oc.valid_until - now > opts->max_age / 2) {
				res->generation = oc.generation;
				munmap((void *)old, old_len);
				free(img);
				return 0;
			}
		} else if (memcmp(old, TN_MAGIC, 8) == 0) {
			meta.generation = tn_le64(old + TN_HDR_GENERATION) + 1; /* never go backwards */
		}
		munmap((void *)old, old_len);
	}
	seal(img, len, &meta);
	res->generation = meta.generation;
	res->bytes = len;
	res->nodes = hs->n;
	res->names = tn_le32(img + TN_HDR_NAME_COUNT);
	int rc = tn_cache_write(path, img, len, err);
	free(img);
	res->written = rc == 0;
	return rc;
}
