/* SPDX-License-Identifier: BSD-3-Clause */
/* lookup.c - a musl resolver client for the end-to-end tests, linked statically with musl-gcc at test time,
 * as in an Alpine container: musl has no NSS at all and asks the nameservers in /etc/resolv.conf itself.
 * Same interface as ../go/lookup.go:
 *   lookup host NAME   getaddrinfo(AF_UNSPEC): the addresses, one per line (unsorted)
 *   lookup addr IP     getnameinfo(NI_NAMEREQD): the name
 * A name that does not exist prints "error: no such host" (exit 2); any other failure "error: ..." (exit 3).
 * Not built by the Makefile, which builds only tests/tools/ itself with glibc: this one is musl's. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static int fail(int rc)
{
	if (rc == EAI_NONAME) {
		printf("error: no such host\n");
		return 2;
	}
	printf("error: %s\n", gai_strerror(rc));
	return 3;
}

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "host") && strcmp(argv[1], "addr"))) {
		fprintf(stderr, "usage: lookup host NAME | lookup addr IP\n");
		return 64;
	}
	if (!strcmp(argv[1], "host")) {
		struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res, *ai;
		int rc = getaddrinfo(argv[2], NULL, &hints, &res);
		if (rc)
			return fail(rc);
		for (ai = res; ai; ai = ai->ai_next) {
			char text[INET6_ADDRSTRLEN];
			const void *a = ai->ai_family == AF_INET
					    ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
					    : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
			printf("%s\n", inet_ntop(ai->ai_family, a, text, sizeof text));
		}
		freeaddrinfo(res);
		return 0;
	}
	struct sockaddr_storage ss = {0};
	socklen_t len;
	struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, argv[2], &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		len = sizeof *v4;
	} else if (inet_pton(AF_INET6, argv[2], &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		len = sizeof *v6;
	} else {
		fprintf(stderr, "lookup: %s is not an address\n", argv[2]);
		return 64;
	}
	char host[NI_MAXHOST];
	int rc = getnameinfo((struct sockaddr *)&ss, len, host, sizeof host, NULL, 0, NI_NAMEREQD);
	if (rc)
		return fail(rc);
	printf("%s\n", host);
	return 0;
}
