/* SPDX-License-Identifier: BSD-3-Clause */
/* read_race.c - a test tool: reads FILE over and over from several processes, as resolvers read resolv.conf
 * (open, read, close, no lock), while something rewrites it, and counts what each read saw: exactly A, exactly
 * B, A or B followed by blank lines only, nothing at all, or anything else.
 *
 *   read_race FILE SECONDS A-FILE B-FILE [PROCESSES]
 *
 * prints "reads N empty N a N b N padded N other N" and, for the first read of each kind that is "other",
 * its bytes on stderr. Never part of the product. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { READS, EMPTY, SAME_A, SAME_B, PADDED, OTHER, N_COUNTS };
#define MAX 65536

static size_t slurp(const char *path, char *buf)
{
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, MAX) : -1;
	if (fd >= 0)
		close(fd);
	if (n < 0) {
		perror(path);
		exit(2);
	}
	return (size_t)n;
}

/* x, then only '\n' up to len */
static int padded(const char *got, size_t len, const char *x, size_t xlen)
{
	if (len <= xlen || memcmp(got, x, xlen) != 0)
		return 0;
	for (size_t i = xlen; i < len; i++)
		if (got[i] != '\n')
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 5)
		return fprintf(stderr, "usage: read_race FILE SECONDS A-FILE B-FILE [PROCESSES]\n"), 2;
	static char a[MAX], b[MAX], got[MAX];
	size_t alen = slurp(argv[3], a), blen = slurp(argv[4], b);
	int procs = argc > 5 ? atoi(argv[5]) : 4;
	double seconds = atof(argv[2]);
	long *counts = mmap(NULL, sizeof(long) * N_COUNTS * (size_t)procs, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return perror("mmap"), 2;
	memset(counts, 0, sizeof(long) * N_COUNTS * (size_t)procs);
	for (int p = 0; p < procs; p++) {
		if (fork() != 0)
			continue;
		long *c = counts + p * N_COUNTS;
		struct timespec start, now;
		clock_gettime(CLOCK_MONOTONIC, &start);
		int shown = 0;
		do {
			for (int k = 0; k < 256; k++) {
				int fd = open(argv[1], O_RDONLY);
				ssize_t n = fd >= 0 ? read(fd, got, sizeof got) : -1;
				if (fd >= 0)
					close(fd);
				size_t len = n > 0 ? (size_t)n : 0;
				c[READS]++;
				if (len == 0)
					c[EMPTY]++;
				else if (len == alen && !memcmp(got, a, alen))
					c[SAME_A]++;
				else if (len == blen && !memcmp(got, b, blen))
					c[SAME_B]++;
				else if (padded(got, len, a, alen) || padded(got, len, b, blen))
					c[PADDED]++;
				else {
					c[OTHER]++;
					if (!shown++)
						fprintf(stderr, "other read (%zu bytes): %.*s\n", len, (int)len, got);
				}
			}
			clock_gettime(CLOCK_MONOTONIC, &now);
		} while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
		_exit(0);
	}
	while (wait(NULL) > 0) {
	}
	long total[N_COUNTS] = {0};
	for (int p = 0; p < procs; p++)
		for (int i = 0; i < N_COUNTS; i++)
			total[i] += counts[p * N_COUNTS + i];
	printf("reads %ld empty %ld a %ld b %ld padded %ld other %ld\n", total[READS], total[EMPTY], total[SAME_A],
	       total[SAME_B], total[PADDED], total[OTHER]);
	return 0;
}
