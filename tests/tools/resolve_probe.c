/* SPDX-License-Identifier: BSD-3-Clause */
/* resolve_probe.c - drives glibc's public resolver APIs the way real programs do, for the end-to-end tests
 * (run inside a namespace whose nsswitch.conf lists `tailnet`). One subcommand per API; output is one line
 * per answer so shell tests can compare it.
 *
 *   gai NAME [inet|inet6|unspec] [FLAGS...]   getaddrinfo; FLAGS: v4mapped all addrconfig canonname
 *   ghbn NAME                                 gethostbyname
 *   ghbn2r NAME inet|inet6 BUFLEN             gethostbyname2_r into a BUFLEN-byte heap buffer
 *   gni ADDR                                  getnameinfo(NI_NAMEREQD)
 *   ghba ADDR                                 gethostbyaddr
 *   errno NAME                                errno before/after a successful getaddrinfo
 *   threads NAME THREADS COUNT                COUNT lookups in each of THREADS threads; prints failures
 *   fds NAME COUNT                            open descriptors before and after COUNT lookups
 *   wait NAME present|absent TIMEOUT_MS       prints "ready", then getaddrinfo every millisecond until NAME
 *                                             resolves (or stops resolving); prints "at <CLOCK_MONOTONIC ns>"
 *                                             of the first lookup that saw it, exit 0; "timeout", exit 1
 *   loop NAME MS                              getaddrinfo(AF_INET) of NAME over and over for MS milliseconds;
 *                                             prints "answered N unanswered M", exit 0 (a fault ends it first)
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

static int family_of(const char *s)
{
	if (!s || !strcmp(s, "unspec"))
		return AF_UNSPEC;
	return !strcmp(s, "inet6") ? AF_INET6 : AF_INET;
}

static void print_addr(int family, const void *addr)
{
	char text[INET6_ADDRSTRLEN];
	inet_ntop(family, addr, text, sizeof text);
	printf("%s", text);
}

static int cmd_gai(int argc, char **argv)
{
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof hints);
	hints.ai_family = family_of(argc > 3 ? argv[3] : NULL);
	hints.ai_socktype = SOCK_STREAM;
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "v4mapped"))
			hints.ai_flags |= AI_V4MAPPED;
		else if (!strcmp(argv[i], "all"))
			hints.ai_flags |= AI_ALL;
		else if (!strcmp(argv[i], "addrconfig"))
			hints.ai_flags |= AI_ADDRCONFIG;
		else if (!strcmp(argv[i], "canonname"))
			hints.ai_flags |= AI_CANONNAME;
	}
	int rc = getaddrinfo(argv[2], NULL, &hints, &res);
	if (rc != 0) {
		printf("error %d %s\n", rc, gai_strerror(rc));
		return 2;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
			print_addr(AF_INET, &((struct sockaddr_in *)(void *)ai->ai_addr)->sin_addr);
		else
			print_addr(AF_INET6, &((struct sockaddr_in6 *)(void *)ai->ai_addr)->sin6_addr);
		if (ai->ai_canonname)
			printf(" %s", ai->ai_canonname);
		putchar('\n');
	}
	freeaddrinfo(res);
	return 0;
}

static void print_hostent(const struct hostent *he)
{
	printf("name %s\n", he->h_name);
	for (char **a = he->h_aliases; *a; a++)
		printf("alias %s\n", *a);
	for (char **a = he->h_addr_list; *a; a++) {
		printf("addr ");
		print_addr(he->h_addrtype, *a);
		putchar('\n');
	}
}

static int cmd_ghbn(char **argv)
{
	struct hostent *he = gethostbyname(argv[2]);
	if (!he) {
		printf("error h_errno %d\n", h_errno);
		return 2;
	}
	print_hostent(he);
	return 0;
}

static int cmd_ghbn2r(char **argv)
{
	struct hostent he, *result = NULL;
	size_t len = strtoul(argv[4], NULL, 10);
	char *buf = malloc(len ? len : 1);
	int herr = 0;
	int rc = gethostbyname2_r(argv[2], family_of(argv[3]), &he, buf, len, &result, &herr);
	if (rc != 0 || !result) {
		printf("error rc %d h_errno %d\n", rc, herr);
		free(buf);
		return 2;
	}
	print_hostent(&he);
	free(buf);
	return 0;
}

static int parse_sockaddr(const char *text, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof *s4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof *s6;
		return 0;
	}
	return -1;
}

static int cmd_gni(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char host[NI_MAXHOST];
	if (parse_sockaddr(argv[2], &ss, &len) != 0)
		return 2;
	int rc = getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0, NI_NAMEREQD);
	if (rc != 0) {
		printf("error %d %s\n", rc, gai_strerror(rc));
		return 2;
	}
	printf("%s\n", host);
	return 0;
}

static int cmd_ghba(char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (parse_sockaddr(argv[2], &ss, &len) != 0)
		return 2;
	struct hostent *he = ss.ss_family == AF_INET
				     ? gethostbyaddr(&((struct sockaddr_in *)&ss)->sin_addr, 4, AF_INET)
				     : gethostbyaddr(&((struct sockaddr_in6 *)&ss)->sin6_addr, 16, AF_INET6);
	if (!he) {
		printf("error h_errno %d\n", h_errno);
		return 2;
	}
	print_hostent(he);
	return 0;
}

static int lookup(const char *name)
{
	struct addrinfo hints, *res;
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(name, NULL, &hints, &res) != 0)
		return -1;
	freeaddrinfo(res);
	return 0;
}

static int cmd_errno(char **argv)
{
	errno = 4321;
	int rc = lookup(argv[2]);
	printf("rc %d errno %d\n", rc, errno);
	return rc == 0 && errno == 4321 ? 0 : 1;
}

struct job {
	const char *name;
	long count, failures;
};

static void *worker(void *arg)
{
	struct job *j = arg;
	for (long i = 0; i < j->count; i++)
		if (lookup(j->name) != 0)
			j->failures++;
	return NULL;
}

static int cmd_threads(char **argv)
{
	int n = atoi(argv[3]);
	pthread_t t[64];
	struct job jobs[64];
	long failures = 0;
	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++) {
		jobs[i] = (struct job){.name = argv[2], .count = atol(argv[4])};
		pthread_create(&t[i], NULL, worker, &jobs[i]);
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		failures += jobs[i].failures;
	}
	printf("failures %ld\n", failures);
	return failures ? 1 : 0;
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int cmd_fds(char **argv)
{
	lookup(argv[2]);
	int before = count_fds();
	for (long i = atol(argv[3]); i > 0; i--)
		lookup(argv[2]);
	int after = count_fds();
	printf("fds %d %d\n", before, after);
	return before == after ? 0 : 1;
}

static long long mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* How a program sees a name appear: one process, polling as fast as a busy client would. */
static int cmd_wait(char **argv)
{
	int want = strcmp(argv[3], "absent") != 0;
	long long deadline = mono_ns() + atoll(argv[4]) * 1000000ll;
	struct timespec pause = {0, 1000000};
	printf("ready\n");
	fflush(stdout);
	for (;;) {
		long long now = mono_ns();
		if ((lookup(argv[2]) == 0) == want) {
			printf("at %lld\n", now);
			return 0;
		}
		if (now > deadline) {
			printf("timeout\n");
			return 1;
		}
		nanosleep(&pause, NULL);
	}
}

static int cmd_loop(char **argv)
{
	struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
	struct timespec start, now;
	long answered = 0, unanswered = 0, ms = atol(argv[3]);
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		if (getaddrinfo(argv[2], NULL, &hints, &res) == 0) {
			answered++;
			freeaddrinfo(res);
		} else {
			unanswered++;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 < ms);
	printf("answered %ld unanswered %ld\n", answered, unanswered);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: resolve_probe gai|ghbn|ghbn2r|gni|ghba|errno|threads|fds|wait|loop ARGS\n");
		return 2;
	}
	const char *c = argv[1];
	if (!strcmp(c, "gai"))
		return cmd_gai(argc, argv);
	if (!strcmp(c, "ghbn"))
		return cmd_ghbn(argv);
	if (!strcmp(c, "ghbn2r") && argc == 5)
		return cmd_ghbn2r(argv);
	if (!strcmp(c, "gni"))
		return cmd_gni(argv);
	if (!strcmp(c, "ghba"))
		return cmd_ghba(argv);
	if (!strcmp(c, "errno"))
		return cmd_errno(argv);
	if (!strcmp(c, "threads") && argc == 5)
		return cmd_threads(argv);
	if (!strcmp(c, "fds") && argc == 4)
		return cmd_fds(argv);
	if (!strcmp(c, "wait") && argc == 5)
		return cmd_wait(argv);
	if (!strcmp(c, "loop") && argc == 4)
		return cmd_loop(argv);
	fprintf(stderr, "resolve_probe: bad arguments\n");
	return 2;
}
