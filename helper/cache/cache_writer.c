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
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "nss/cache_format.h"
#include "nss/cache_reader.h"
#include "nss/crc32c.h"
#include "nss/via.h"

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
	uint32_t node_off, addr_off, fwd_off, fwd_buckets, rev_off, rev_buckets, str_off, str_len, data_pages;
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

static int shadowed(const struct tn_hostset *hs, const char *name, size_t len)
{
	uint8_t addr[16];
	return tn_via_parse(name, len, hs->ts_version, addr);
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
		uint32_t d = 0;
		/* Not indexed: an FQDN an ExtraRecord answers for (only the bare name leads to the node), and a name
		 * shaped like a 4via6 name, which quad-100 answers as one before it looks at any host (tsdns.go). */
		if (!h->fqdn_hidden && !shadowed(hs, h->fqdn, h->fqdn_len))
			d = table_put(fwd, fmask, tn_hash(seed, h->fqdn, h->fqdn_len), (uint32_t)i + 1, NULL);
		worst = d > worst ? d : worst;
		if (h->bare_len && !shadowed(hs, h->fqdn, h->bare_len)) {
			d = table_put(fwd, fmask, tn_hash(seed, h->fqdn, h->bare_len), ((uint32_t)i + 1) | TN_REF_BARE,
				      NULL);
			worst = d > worst ? d : worst;
		}
	}
	/* Reverse: an address shared by a node and an ExtraRecord names the record from 1.102.0 (quad-100 asks
	 * Config.Hosts, the records, before the node index: tsdns.go fqdnForIPLocked), the node before (its
	 * winner was random there, map order; the node is the steadier answer). The first pass claims. */
	bool extra_first = hs->ts_version == 0 || hs->ts_version >= TN_TS_VERSION(1, 102, 0);
	for (int pass = 0; pass < 2; pass++) {
		addr = 0;
		for (size_t i = 0; i < hs->n; i++) {
			const struct tn_host *h = &hs->hosts[i];
			for (unsigned a = 0; a < (unsigned)h->n4 + h->n6; a++, addr++) {
				if ((h->kind == TN_HOST_EXTRA) != (extra_first == (pass == 0)))
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

static size_t page_up(size_t x)
{
	return (x + TN_PAGE - 1) / TN_PAGE * TN_PAGE;
}

static int plan(const struct tn_hostset *hs, unsigned scale, struct layout *l, struct tn_error *err)
{
	memset(l, 0, sizeof *l);
	size_t str = 1;
	for (size_t i = 0; i < hs->n; i++) {
		l->addrs += (size_t)hs->hosts[i].n4 + hs->hosts[i].n6;
		l->keys += (hs->hosts[i].bare_len ? 1 : 0) + (hs->hosts[i].fqdn_hidden ? 0 : 1);
		str += (size_t)hs->hosts[i].fqdn_len + 1;
	}
	l->nodes = hs->n;
	l->fwd_buckets = pow2_at_least(2 * l->keys << scale);
	l->rev_buckets = pow2_at_least(2 * l->addrs << scale);
	size_t off = TN_PAGE; /* page 0 is the header's */
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
	size_t data_pages = page_up(off + str) / TN_PAGE - 1;
	l->data_pages = (uint32_t)(data_pages < UINT32_MAX ? data_pages : UINT32_MAX);
	l->total = (1 + data_pages + tn_l1_pages(l->data_pages)) * (size_t)TN_PAGE;
	if (l->total > TN_MAX_FILE || tn_l1_pages(l->data_pages) > TN_L2_MAX || l->nodes > TN_REF_INDEX ||
	    l->addrs > TN_REF_INDEX)
		return tn_error_set(err, TN_EXIT_FAIL,
				    "%zu names and %zu addresses need a cache of %zu MiB, more than the %u MiB the module "
				    "reads; nothing was written",
				    l->keys, l->addrs, l->total >> 20, TN_MAX_FILE >> 20);
	return 0;
}

static void fill_body(const struct tn_hostset *hs, const struct layout *l, uint8_t *img)
{
	uint8_t *str = img + l->str_off;
	size_t s = 1; /* offset 0 holds "" */
	uint32_t addr = 0;
	if (hs->suffix)
		memcpy(img + TN_SUFFIX_OFF, hs->suffix, strlen(hs->suffix)); /* NUL-padded: calloc */
	for (size_t i = 0; i < hs->n; i++) {
		const struct tn_host *h = &hs->hosts[i];
		uint8_t *n = img + l->node_off + i * TN_NODE_SIZE;
		memcpy(str + s, h->fqdn, (size_t)h->fqdn_len + 1);
		tn_put32(n + TN_NODE_NAME_OFF, (uint32_t)s);
		n[TN_NODE_NAME_LEN] = (uint8_t)h->fqdn_len;
		n[TN_NODE_BARE_LEN] = (uint8_t)h->bare_len;
		tn_put16(n + TN_NODE_FLAGS, h->subdomains ? TN_NODE_F_SUBDOMAINS : 0);
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

void tn_cache_checksum_all(uint8_t *img, size_t len)
{
	uint64_t generation = tn_le64(img + TN_HDR_GENERATION);
	int64_t written_at = (int64_t)tn_le64(img + TN_HDR_WRITTEN_AT);
	uint32_t data_pages = tn_le32(img + TN_HDR_DATA_PAGES), total = (uint32_t)(len / TN_PAGE);
	if (data_pages >= total || tn_l1_pages(data_pages) > TN_L2_MAX ||
	    1 + data_pages + tn_l1_pages(data_pages) > total)
		data_pages = 0; /* a damaged header: only page 0's own checksum */
	for (uint32_t p = 1; data_pages && p < 1 + data_pages + tn_l1_pages(data_pages); p++) {
		uint32_t crc = tn_cache_page_crc(generation, written_at, p, img + (size_t)p * TN_PAGE);
		if (p > data_pages) /* a level-1 page, once its data pages are done: they come first */
			tn_put32(img + TN_L2_OFF + (size_t)(p - 1 - data_pages) * 4, crc);
		else
			tn_put32(img + (size_t)(1 + data_pages + (p - 1) / TN_CRCS_PER_PAGE) * TN_PAGE +
					 (size_t)((p - 1) % TN_CRCS_PER_PAGE) * 4,
				 crc);
	}
	tn_put32(img + TN_HDR_CHECKSUM, tn_cache_header_crc(img));
}

/* Stamps generation and times, then the checksums. */
static void seal(uint8_t *img, size_t len, const struct tn_cache_meta *meta)
{
	tn_put64(img + TN_HDR_GENERATION, meta->generation);
	tn_put64(img + TN_HDR_WRITTEN_AT, (uint64_t)meta->written_at);
	tn_put64(img + TN_HDR_VALID_UNTIL, (uint64_t)meta->valid_until);
	tn_cache_checksum_all(img, len);
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
		uint32_t seed = SEED_START, probe = 0;
		fill_body(hs, &l, img);
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
		tn_put32(img + TN_HDR_SUFFIX_LEN, hs->suffix ? (uint32_t)strlen(hs->suffix) : 0);
		tn_put32(img + TN_HDR_DATA_PAGES, l.data_pages);
		tn_put32(img + TN_HDR_TS_VERSION, hs->ts_version);
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

/* A new inode with the image, not yet linked anywhere (O_TMPFILE), so a writer killed halfway leaves nothing
 * behind; on a filesystem without O_TMPFILE, a temp file that is removed on every failure. *tmp gets the
 * name to rename from. */
static int write_new_inode(const char *dir, const char *templ, const uint8_t *img, size_t len, char *tmp,
			   struct tn_error *err)
{
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644), linked = 0;
	if (fd < 0 && errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot create a file in %s: %s", dir, strerror(errno));
	strcpy(tmp, templ);
	if (fd < 0) {
		fd = mkostemp(tmp, O_CLOEXEC);
		linked = 1;
		if (fd < 0)
			return tn_error_set(err, TN_EXIT_FAIL, "cannot create a temporary file in %s: %s", dir,
					    strerror(errno));
	}
	if (write_all(fd, img, len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
		tn_error_set(err, TN_EXIT_FAIL, "cannot write a new cache in %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (!linked) {
		/* Give the finished inode a name: the same unique name mkostemp would, by linking /proc/self/fd/N
		 * (linkat with AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH). */
		char proc[64];
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
		for (int tries = 0;; tries++) {
			int t = mkstemp(tmp); /* reserves a fresh name ... */
			if (t < 0 || (close(t), unlink(tmp)) != 0) {
				tn_error_set(err, TN_EXIT_FAIL, "cannot name a new cache in %s: %s", dir, strerror(errno));
				goto fail;
			}
			if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0) /* ... and links to it */
				break;
			if (errno != EEXIST || tries == 8) {
				tn_error_set(err, TN_EXIT_FAIL, "cannot link a new cache into %s: %s", dir, strerror(errno));
				goto fail;
			}
			strcpy(tmp, templ);
		}
	}
	close(fd);
	return 0;
fail:
	close(fd);
	if (linked)
		unlink(tmp);
	return -1;
}

int tn_cache_write(const char *path, const uint8_t *img, size_t len, struct tn_error *err)
{
	char templ[PATH_MAX], tmp[PATH_MAX], dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	if (!slash || path[0] != '/')
		return tn_error_set(err, TN_EXIT_USAGE, "cache path must be absolute: %s", path);
	snprintf(dir, sizeof dir, "%.*s", (int)(slash == path ? 1 : slash - path), path);
	if (snprintf(templ, sizeof templ, "%s/.%s.XXXXXX", dir, slash + 1) >= (int)sizeof templ)
		return tn_error_set(err, TN_EXIT_FAIL, "cache path is too long");
	if (make_parent_dirs(path, err) != 0)
		return -1;

	/* Hold off the signals that end us between naming the new file and renaming it. */
	sigset_t block, old_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGQUIT);
	sigprocmask(SIG_BLOCK, &block, &old_mask);
	int rc = write_new_inode(dir, templ, img, len, tmp, err);
	if (rc == 0 && rename(tmp, path) != 0) {
		rc = tn_error_set(err, TN_EXIT_FAIL, "cannot replace %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	if (rc == 0) {
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	sigprocmask(SIG_SETMASK, &old_mask, NULL);
	return rc;
}

/* Reads the current cache for comparison, with read(2) into our own memory: someone truncating it meanwhile
 * cannot fault us. Its structure is checked, its ownership is not (it is ours). NULL when there is none. */
uint8_t *tn_cache_read(const char *path, size_t *len)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return NULL;
	uint8_t *buf = NULL;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= (off_t)TN_PAGE &&
	    (uint64_t)st.st_size <= TN_MAX_FILE && (buf = malloc((size_t)st.st_size)) != NULL) {
		size_t got = 0;
		while (got < (size_t)st.st_size) {
			ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			got += (size_t)n;
		}
		*len = got;
	}
	close(fd);
	return buf;
}

/* Same names, addresses, flags and index: the header's layout fields and the data pages are the same bytes
 * (the checksums, times and generation are not compared: they differ by design). */
static bool same_content(const uint8_t *old, size_t old_len, const uint8_t *img, size_t len)
{
	size_t data_end = (1 + (size_t)tn_le32(img + TN_HDR_DATA_PAGES)) * TN_PAGE;
	return old_len == len && tn_le32(old + TN_HDR_FLAGS) == tn_le32(img + TN_HDR_FLAGS) &&
	       memcmp(old + TN_HDR_SEED, img + TN_HDR_SEED, TN_HDR_SIZE - TN_HDR_SEED) == 0 &&
	       memcmp(old + TN_SUFFIX_OFF, img + TN_SUFFIX_OFF, TN_SUFFIX_SIZE) == 0 &&
	       memcmp(old + TN_PAGE, img + TN_PAGE, data_end - TN_PAGE) == 0;
}

void tn_cache_image_free(struct tn_cache_image *im)
{
	free(im->bytes);
	memset(im, 0, sizeof *im);
}

/* The kept image is what the file holds: it is still the file written then. */
static bool still_current(const char *path, const struct tn_cache_image *im)
{
	struct stat st;
	return im && im->bytes && stat(path, &st) == 0 && st.st_dev == im->dev && st.st_ino == im->ino &&
	       st.st_size == im->size && st.st_mtim.tv_sec == im->mtime.tv_sec && st.st_mtim.tv_nsec == im->mtime.tv_nsec;
}

/* Hands the image written to the caller's keep, with the file's identity now. */
static void keep_image(const char *path, struct tn_cache_image *keep, uint8_t *img, size_t len)
{
	struct stat st;
	tn_cache_image_free(keep);
	if (stat(path, &st) != 0) {
		free(img);
		return;
	}
	*keep = (struct tn_cache_image){img, len, st.st_dev, st.st_ino, st.st_size, st.st_mtim};
}

int tn_cache_update(const char *path, const struct tn_hostset *hs, const struct tn_update_opts *opts,
		    struct tn_update_result *res, struct tn_error *err)
{
	int64_t now = (int64_t)time(NULL);
	memset(res, 0, sizeof *res);
	/* What the file holds: the caller's own last image while it is still that file, else read back and every
	 * page checked. */
	size_t old_len = 0;
	uint8_t *read = NULL;
	const uint8_t *old = NULL;
	struct tn_cache oc;
	bool old_ok = false;
	if (still_current(path, opts->keep)) {
		old = opts->keep->bytes;
		old_len = opts->keep->len;
		old_ok = tn_cache_parse_header(old, old_len, &oc, NULL) == 0;
	} else if ((old = read = tn_cache_read(path, &old_len))) {
		old_ok = tn_cache_parse(old, old_len, &oc, NULL) == 0;
	}
	/* Built as the next generation, which it is unless nothing changed. */
	struct tn_cache_meta meta = {.generation = 1, .written_at = now, .valid_until = now + opts->max_age};
	if (old_ok)
		meta.generation = oc.generation + 1;
	else if (old && old_len >= 16 && memcmp(old, TN_MAGIC, 8) == 0)
		meta.generation = tn_le64(old + TN_HDR_GENERATION) + 1; /* never go backwards */
	uint8_t *img;
	size_t len;
	if (tn_cache_build(hs, &meta, &img, &len, err) != 0) {
		free(read);
		return -1;
	}
	res->changed = !old_ok || !same_content(old, old_len, img, len);
	if (!res->changed) {
		if (opts->skip_if_unchanged && oc.valid_until - now > opts->max_age / 2) {
			res->generation = oc.generation;
			free(read);
			free(img);
			return 0;
		}
		meta.generation = oc.generation; /* renewed, not changed */
		seal(img, len, &meta);
	}
	free(read);
	res->generation = meta.generation;
	res->bytes = len;
	res->nodes = hs->n;
	res->names = tn_le32(img + TN_HDR_NAME_COUNT);
	int rc = tn_cache_write(path, img, len, err);
	res->written = rc == 0;
	if (rc == 0 && opts->keep)
		keep_image(path, opts->keep, img, len);
	else
		free(img);
	return rc;
}
