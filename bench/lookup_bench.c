/* SPDX-License-Identifier: BSD-3-Clause */
/* lookup_bench.c - lookup latency through glibc, several NSS backends interleaved in one process.
 *
 *   lookup_bench warm BACKENDS first=NAME,ADDR last=NAME,ADDR miss=NAME [ROUNDS]
 *   lookup_bench cold BACKEND NAME
 *   lookup_bench threads BACKEND NAME THREADS MS
 *   lookup_bench count BACKEND NAME OP N
 *   lookup_bench direct NAME ROUNDS
 *
 * warm: for every round, operation (getaddrinfo AF_INET, getaddrinfo AF_UNSPEC, gethostbyname2_r AF_INET)
 * and name, each backend (switched with __nss_configure_lookup, so all share one process, one nsswitch and
 * one moment) runs a batch of back-to-back calls sized to about 2 ms; getaddrinfo is followed by
 * freeaddrinfo as every caller pays it. Short batches, many rounds: a load burst on a shared machine hits
 * neighbouring batches of all backends alike, so per-round ratios stay meaningful. Every answer is
 * verified once before timing. The floor module answers, for each name, the IPv6 and IPv4 address the tailnet
 * backend answers for it (learnt first, set with its floor_answer() before each of its batches), so glibc
 * sorts the same pair for both. Prints
 * "backend op name ns_round1 ns_round2 ..." per cell.
 * cold: the first getaddrinfo(AF_INET) of a fresh process, nsswitch parsing and module loading included;
 * prints its nanoseconds, its result and the page faults it took (first touches of memory).
 * threads: THREADS threads call getaddrinfo(AF_INET) for NAME back to back for MS milliseconds (after a
 * warm-up lookup each); prints the total number of lookups per second. The floor answers NAME's pair as the
 * tailnet backend does, as in warm.
 * count: N calls of OP (gai_inet, gai_unspec or gethostbyname2_r) for NAME and nothing else, for a run under
 * callgrind that counts the instructions of each lookup (bench/run.sh); exits 1 when a hit fails.
 * direct: the tailnet and floor modules' gethostbyname3_r(NAME, AF_INET) called straight (dlopen, no glibc
 * around them), in batches of 20,000 calls, each call alone ("warm") or right after a getppid() system call
 * ("syscall"), which on a kernel with PTI and no PCIDs empties the TLB as glibc's own stat of resolv.conf
 * does before every lookup; the syscall's own cost is the same for both modules, so the difference between
 * the two is what the module's code and data cost when their pages must be walked again. Prints
 * "direct backend warm|syscall ns_round1 ..." per cell.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <nss.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int __nss_configure_lookup(const char *db, const char *service_line);

enum op { GAI4, GAI_UNSPEC, GHBN2R, N_OPS };
static const char *op_names[N_OPS] = {"gai_inet", "gai_unspec", "gethostbyname2_r"};

struct target {
	const char *label, *name, *addr; /* addr NULL: a miss */
	int have_pair;                   /* the tailnet backend's answer, for the floor to give */
	unsigned char v4[4], v6[16];
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One call; returns 0 on success, and the first IPv4 address in *got when asked. */
static int call(enum op op, const char *name, char *got, size_t got_len)
{
	if (op == GHBN2R) {
		struct hostent he, *res = NULL;
		char buf[1024];
		int herr;
		if (gethostbyname2_r(name, AF_INET, &he, buf, sizeof buf, &res, &herr) != 0 || !res)
			return -1;
		if (got)
			inet_ntop(AF_INET, he.h_addr_list[0], got, (socklen_t)got_len);
		return 0;
	}
	struct addrinfo hints, *ai;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = op == GAI4 ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &ai) != 0)
		return -1;
	if (got) {
		got[0] = '\0';
		for (struct addrinfo *p = ai; p; p = p->ai_next)
			if (p->ai_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)p->ai_addr)->sin_addr, got,
					  (socklen_t)got_len);
	}
	freeaddrinfo(ai);
	return 0;
}

static void use(const char *backend)
{
	if (__nss_configure_lookup("hosts", backend) != 0) {
		fprintf(stderr, "lookup_bench: cannot configure hosts: %s\n", backend);
		exit(2);
	}
}

/* What the tailnet backend answers for t's name: its first IPv6 and IPv4 address. */
static void learn_pair(struct target *t)
{
	struct addrinfo hints, *ai;
	int have4 = 0, have6 = 0;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	use("tailnet");
	if (!t->addr || getaddrinfo(t->name, NULL, &hints, &ai) != 0)
		return;
	for (struct addrinfo *p = ai; p; p = p->ai_next) {
		if (p->ai_family == AF_INET && !have4++)
			memcpy(t->v4, &((struct sockaddr_in *)(void *)p->ai_addr)->sin_addr, 4);
		if (p->ai_family == AF_INET6 && !have6++)
			memcpy(t->v6, &((struct sockaddr_in6 *)(void *)p->ai_addr)->sin6_addr, 16);
	}
	freeaddrinfo(ai);
	t->have_pair = have4 && have6;
}

/* The floor gives t's pair from now on (nothing when the floor is not loaded yet or t has none). */
static void floor_gives(const char *backend, const struct target *t)
{
	static void (*set)(const unsigned char *, const unsigned char *);
	if (strcmp(backend, "floor") != 0 || !t->have_pair)
		return;
	if (!set) {
		call(GHBN2R, "nx-load-the-floor", NULL, 0); /* nsswitch loads the module at its first call */
		void *h = dlopen("libnss_floor.so.2", RTLD_NOW | RTLD_NOLOAD);
		set = h ? (void (*)(const unsigned char *, const unsigned char *))dlsym(h, "floor_answer") : NULL;
		if (!set) {
			fprintf(stderr, "lookup_bench: the floor module has no floor_answer()\n");
			exit(2);
		}
	}
	set(t->v4, t->v6);
}

static void verify(const char *backend, const struct target *t)
{
	for (int op = 0; op < N_OPS; op++) {
		char got[INET6_ADDRSTRLEN] = "";
		int rc = call(op, t->name, got, sizeof got);
		const char *want = t->addr && !t->have_pair && !strcmp(backend, "floor") ? "100.101.33.8" : t->addr;
		if (want ? (rc != 0 || strcmp(got, want) != 0) : rc == 0) {
			fprintf(stderr, "lookup_bench: %s %s %s: got rc %d addr '%s', want %s\n", backend, op_names[op],
				t->name, rc, got, want ? want : "a miss");
			exit(1);
		}
	}
}

static int parse_target(const char *arg, struct target *t)
{
	static char bufs[3][512];
	static int used;
	const char *eq = strchr(arg, '=');
	if (!eq || used == 3)
		return -1;
	char *b = bufs[used++];
	snprintf(b, sizeof bufs[0], "%s", arg);
	b[eq - arg] = '\0';
	t->label = b;
	t->name = b + (eq - arg) + 1;
	char *comma = strchr(b + (eq - arg) + 1, ',');
	t->addr = NULL;
	if (comma) {
		*comma = '\0';
		t->addr = comma + 1;
	}
	return 0;
}

static int warm(int argc, char **argv)
{
	char *backends[8], *list = strdup(argv[2]);
	int nb = 0, rounds = argc > 6 ? atoi(argv[6]) : 41;
	struct target targets[3] = {{0}};
	for (char *s = strtok(list, ","); s && nb < 8; s = strtok(NULL, ","))
		backends[nb++] = s;
	int have_tailnet = 0;
	for (int b = 0; b < nb; b++)
		have_tailnet |= !strcmp(backends[b], "tailnet");
	for (int i = 0; i < 3; i++) {
		if (parse_target(argv[3 + i], &targets[i]) != 0)
			return 2;
		if (have_tailnet)
			learn_pair(&targets[i]);
	}
	static int64_t samples[8][N_OPS][3][256];
	int64_t batch[8][N_OPS][3];
	rounds = rounds < 1 ? 1 : rounds > 256 ? 256 : rounds;
	for (int b = 0; b < nb; b++) {
		use(backends[b]);
		for (int t = 0; t < 3; t++) {
			floor_gives(backends[b], &targets[t]);
			verify(backends[b], &targets[t]);
			for (int op = 0; op < N_OPS; op++) { /* calibrate: about 2 ms per batch */
				int64_t t0 = now_ns();
				for (int i = 0; i < 10; i++)
					call(op, targets[t].name, NULL, 0);
				int64_t one = (now_ns() - t0) / 10;
				batch[b][op][t] = one > 0 ? 2000000 / one : 1000;
				if (batch[b][op][t] < 1)
					batch[b][op][t] = 1;
				if (batch[b][op][t] > 200000)
					batch[b][op][t] = 200000;
			}
		}
	}
	for (int r = 0; r < rounds; r++)
		for (int op = 0; op < N_OPS; op++)
			for (int t = 0; t < 3; t++)
				for (int b = 0; b < nb; b++) {
					use(backends[b]);
					floor_gives(backends[b], &targets[t]);
					int64_t n = batch[b][op][t], t0 = now_ns();
					for (int64_t i = 0; i < n; i++)
						call(op, targets[t].name, NULL, 0);
					samples[b][op][t][r] = (now_ns() - t0) / n;
				}
	for (int b = 0; b < nb; b++)
		for (int op = 0; op < N_OPS; op++)
			for (int t = 0; t < 3; t++) {
				printf("%s %s %s", backends[b], op_names[op], targets[t].label);
				for (int r = 0; r < rounds; r++)
					printf(" %lld", (long long)samples[b][op][t][r]);
				putchar('\n');
			}
	free(list);
	return 0;
}

static long page_faults(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt + ru.ru_majflt;
}

static int cold(char **argv)
{
	use(argv[2]);
	long faults = page_faults();
	int64_t t0 = now_ns();
	int rc = call(GAI4, argv[3], NULL, 0);
	int64_t ns = now_ns() - t0;
	printf("%lld %d %ld\n", (long long)ns, rc, page_faults() - faults);
	return 0;
}

struct worker {
	const char *name;
	int64_t until, count;
	int failed;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	while (now_ns() < w->until)
		for (int i = 0; i < 64; i++, w->count++)
			w->failed |= call(GAI4, w->name, NULL, 0) != 0;
	return NULL;
}

static int threads(char **argv)
{
	int n = atoi(argv[4]);
	int64_t ms = atoll(argv[5]);
	pthread_t t[64];
	struct worker w[64];
	if (n < 1 || n > 64 || ms < 1)
		return 2;
	struct target pair = {.name = argv[3], .addr = argv[3]};
	if (!strcmp(argv[2], "floor"))
		learn_pair(&pair);
	use(argv[2]);
	floor_gives(argv[2], &pair); /* nothing for another backend */
	if (call(GAI4, argv[3], NULL, 0) != 0) {
		fprintf(stderr, "lookup_bench: %s does not answer %s\n", argv[2], argv[3]);
		return 1;
	}
	int64_t start = now_ns();
	for (int i = 0; i < n; i++) {
		w[i] = (struct worker){.name = argv[3], .until = start + ms * 1000000};
		pthread_create(&t[i], NULL, work, &w[i]);
	}
	int64_t total = 0;
	int failed = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += w[i].count;
		failed |= w[i].failed;
	}
	printf("%.0f\n", (double)total * 1e9 / (double)(now_ns() - start));
	return failed;
}

static int count(char **argv)
{
	int op = -1, n = atoi(argv[5]), failed = 0;
	for (int i = 0; i < N_OPS; i++)
		if (!strcmp(argv[4], op_names[i]))
			op = i;
	if (op < 0 || n < 1)
		return 2;
	use(argv[2]);
	for (int i = 0; i < n; i++)
		failed |= call(op, argv[3], NULL, 0);
	return strncmp(argv[3], "nx", 2) != 0 && failed;
}

typedef enum nss_status (*by3_fn)(const char *, int, struct hostent *, char *, size_t, int *, int *, int32_t *,
				   char **);

static int direct(char **argv)
{
	static const char *backends[2] = {"tailnet", "floor"};
	static int64_t samples[2][2][256];
	by3_fn fn[2];
	int rounds = atoi(argv[3]);
	rounds = rounds < 1 ? 1 : rounds > 256 ? 256 : rounds;
	for (int b = 0; b < 2; b++) {
		char lib[64], sym[64];
		snprintf(lib, sizeof lib, "libnss_%s.so.2", backends[b]);
		snprintf(sym, sizeof sym, "_nss_%s_gethostbyname3_r", backends[b]);
		void *h = dlopen(lib, RTLD_NOW);
		if (!h || !(fn[b] = (by3_fn)dlsym(h, sym))) {
			fprintf(stderr, "lookup_bench: %s\n", dlerror());
			return 2;
		}
	}
	struct hostent he;
	char buf[1024];
	int err, herr;
	int32_t ttl;
	for (int b = 0; b < 2; b++)
		if (fn[b](argv[2], AF_INET, &he, buf, sizeof buf, &err, &herr, &ttl, NULL) != NSS_STATUS_SUCCESS) {
			fprintf(stderr, "lookup_bench: %s does not answer %s\n", backends[b], argv[2]);
			return 1;
		}
	for (int r = 0; r < rounds; r++)
		for (int sys = 0; sys < 2; sys++)
			for (int b = 0; b < 2; b++) {
				int64_t t0 = now_ns();
				for (int i = 0; i < 20000; i++) {
					if (sys)
						syscall(SYS_getppid);
					fn[b](argv[2], AF_INET, &he, buf, sizeof buf, &err, &herr, &ttl, NULL);
				}
				samples[b][sys][r] = (now_ns() - t0) / 20000;
			}
	for (int b = 0; b < 2; b++)
		for (int sys = 0; sys < 2; sys++) {
			printf("direct %s %s", backends[b], sys ? "syscall" : "warm");
			for (int r = 0; r < rounds; r++)
				printf(" %lld", (long long)samples[b][sys][r]);
			putchar('\n');
		}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 6 && !strcmp(argv[1], "warm"))
		return warm(argc, argv);
	if (argc == 4 && !strcmp(argv[1], "cold"))
		return cold(argv);
	if (argc == 6 && !strcmp(argv[1], "threads"))
		return threads(argv);
	if (argc == 6 && !strcmp(argv[1], "count"))
		return count(argv);
	if (argc == 4 && !strcmp(argv[1], "direct"))
		return direct(argv);
	fprintf(stderr, "usage: lookup_bench warm BACKENDS first=NAME,ADDR last=NAME,ADDR miss=NAME [ROUNDS]\n"
			"       lookup_bench cold BACKEND NAME\n"
			"       lookup_bench threads BACKEND NAME THREADS MS\n"
			"       lookup_bench count BACKEND NAME OP N\n"
			"       lookup_bench direct NAME ROUNDS\n");
	return 2;
}
