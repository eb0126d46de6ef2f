/* SPDX-License-Identifier: BSD-3-Clause */
/* fuzz_cache.c - the module's parser of hostile input: a cache image, whole (tn_cache_parse) and the way the
 * module reads a large file (tn_cache_parse_header, then pages fetched and checked as lookups touch them,
 * here from the input itself, every third fetch failing as a file changed under the reader would; and with
 * cache_file.c's own reader from a memory file, borrowed lookup first), and when it is accepted, every lookup
 * path over it and scope.c's rules; plus the query-name normaliser on the same bytes. Seeds are
 * real caches from the builder (tests/fuzz/corpus/cache/). Each input is tried as is and again with its
 * length and checksums fixed up, so mutations get past the checksums and reach the structural checks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cache/cache_writer.h"
#include "nss/cache_file.h"
#include "nss/cache_format.h"
#include "nss/cache_reader.h"
#include "nss/crc32c.h"
#include "nss/name.h"
#include "nss/scope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(const struct tn_cache *c, const uint8_t *data, size_t size)
{
	struct tn_hit h;
	struct tn_name n;
	char q[64];
	size_t qlen = size < sizeof q - 1 ? size : sizeof q - 1;
	memcpy(q, data, qlen);
	q[qlen] = '\0';
	if (tn_name_normalize(q, &n) > 0)
		tn_cache_find_name(c, n.s, n.len, &h);
	struct tn_answer a;
	uint8_t key[16] = {0};
	if (tn_name_fold(q, &n) > 0) /* every rule of scope.c: 4via6, subdomain walk, .onion, the apex */
		tn_scope_name(c, &n, &a);
	memcpy(key, data, size < 16 ? size : 16);
	tn_scope_addr(c, key, &a);
	tn_cache_find_name(c, "vault", 5, &h);
	for (uint32_t i = 0; i < c->node_count && i < 4096; i++) {
		if (!tn_cache_node(c, i, &h))
			continue;
		tn_cache_find_name(c, h.fqdn, h.fqdn_len, &h);
		if (h.n4 + h.n6)
			tn_cache_find_addr(c, tn_hit_addr(&h, 0) + TN_ADDR_BYTES, &h);
	}
}

/* The lazy reader's page source: the input itself, in a separate buffer the reader only sees once a page
 * passed its checksum, as cache_file.c does with pread. */
static const uint8_t *source;
static uint8_t *lazy_mem;
static unsigned fetches;

static int fetch(const struct tn_cache *c, uint32_t page)
{
	uint32_t l1 = tn_cache_l1_page(c, page), want;
	if (l1 && c->page_ready[l1] != 1 && fetch(c, l1) != 0)
		return -1;
	if (++fetches % 3 == 0 || tn_cache_expected_crc(c, page, &want) != 0 ||
	    tn_cache_page_crc(c->generation, c->written_at, page, source + (size_t)page * TN_PAGE) != want)
		return -1;
	memcpy(lazy_mem + (size_t)page * TN_PAGE, source + (size_t)page * TN_PAGE, TN_PAGE);
	c->page_ready[page] = 1;
	return 0;
}

/* The module's own reader of a large file, from a memory file holding the image: a borrowed lookup (bytes
 * copied out, pages installed for what does not fit), a normal one after it, then both again once a page in
 * the middle of the file has changed under them. */
static void try_file(const uint8_t *img, size_t size, const uint8_t *data, size_t data_size)
{
	struct tn_cache_file f;
	struct tn_borrow b;
	int fd = memfd_create("fuzz_cache", MFD_CLOEXEC);
	memset(&f, 0, sizeof f);
	if (fd < 0 || write(fd, img, size) != (ssize_t)size || tn_cache_read_by_page(&f, fd, size, NULL) != 0)
		goto out;
	for (int round = 0; round < 2; round++) {
		tn_cache_borrow(&b, &f, &fd);
		exercise(&b.c, data, data_size);
		exercise(&f.c, data, data_size);
		uint8_t junk[64];
		memset(junk, 0xa5, sizeof junk);
		if (pwrite(fd, junk, sizeof junk, (off_t)(size / TN_PAGE / 2) * TN_PAGE + 100) != (ssize_t)sizeof junk)
			break;
	}
out:
	tn_cache_close(&f);
	if (fd >= 0)
		close(fd);
}

static void try_image(const uint8_t *img, size_t size, const uint8_t *data, size_t data_size)
{
	struct tn_cache c;
	if (tn_cache_parse(img, size, &c, NULL) == 0)
		exercise(&c, data, data_size);
	uint8_t *mem = calloc(1, size + size / TN_PAGE + 1); /* exact size: ASan sees any read past it */
	if (!mem)
		return;
	memcpy(mem, img, size < TN_PAGE ? size : TN_PAGE);
	if (tn_cache_parse_header(mem, size, &c, NULL) == 0) {
		source = img;
		lazy_mem = mem;
		c.page_ready = mem + size;
		c.page_ready[0] = 1;
		c.load = fetch;
		exercise(&c, data, data_size);
		try_file(img, size, data, data_size);
	}
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tn_name n;
	uint8_t *img = malloc(size ? size : 1);
	if (!img)
		return 0;
	memcpy(img, data, size);
	try_image(img, size, data, size);
	if (size >= TN_PAGE && size % TN_PAGE == 0) { /* with a valid length and checksums: fuzz the structure */
		tn_put64(img + TN_HDR_TOTAL, size);
		tn_cache_checksum_all(img, size);
		try_image(img, size, data, size);
	}
	free(img);
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
		tn_name_normalize(s, &n);
		free(s);
	}
	return 0;
}
