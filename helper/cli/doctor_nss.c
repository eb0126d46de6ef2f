/* SPDX-License-Identifier: BSD-3-Clause */
/* doctor_nss.c - the checks on glibc's side: the hosts line of nsswitch.conf, the module as the dynamic
 * loader finds it, and a real lookup through getaddrinfo. */
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <link.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/doctor.h"

void tn_check_set(struct tn_check *out, enum tn_check_status status, const char *fmt, ...)
{
	va_list ap;
	out->status = status;
	va_start(ap, fmt);
	vsnprintf(out->detail, sizeof out->detail, fmt, ap);
	va_end(ap);
}

void tn_check_fix(struct tn_check *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->fix, sizeof out->fix, fmt, ap);
	va_end(ap);
}

void tn_doctor_duration(int64_t s, char *out, size_t size)
{
	int64_t a = s < 0 ? -s : s;
	if (a < 120)
		snprintf(out, size, "%lld s", (long long)a);
	else if (a < 7200)
		snprintf(out, size, "%lld min", (long long)(a / 60));
	else if (a < 2 * 86400)
		snprintf(out, size, "%lld h %lld min", (long long)(a / 3600), (long long)(a % 3600 / 60));
	else
		snprintf(out, size, "%lld days", (long long)(a / 86400));
}

/* ---- nsswitch.conf --------------------------------------------------------------------------------------- */

enum { ST_SUCCESS, ST_NOTFOUND, ST_UNAVAIL, ST_TRYAGAIN, N_ST };
#define MAX_SOURCES 16

struct source {
	char name[32];
	char text[96];    /* as written, action included */
	int ret[N_ST];    /* 1: this status ends the lookup here */
	int has_action;
};

static int status_index(const char *s, size_t n)
{
	static const char *names[N_ST] = {"SUCCESS", "NOTFOUND", "UNAVAIL", "TRYAGAIN"};
	for (int i = 0; i < N_ST; i++)
		if (strlen(names[i]) == n && !strncasecmp(s, names[i], n))
			return i;
	return -1;
}

/* "[NOTFOUND=return !UNAVAIL=continue]" applied to src; -1 when it is not glibc's syntax. */
static int parse_action(const char *p, const char *end, struct source *src)
{
	while (p < end) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p == end)
			break;
		int neg = *p == '!';
		p += neg;
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq)
			return -1;
		int st = status_index(p, (size_t)(eq - p));
		const char *a = eq + 1, *ae = a;
		while (ae < end && !isspace((unsigned char)*ae))
			ae++;
		int ret = (size_t)(ae - a) == 6 && !strncasecmp(a, "return", 6);
		if (st < 0 || (!ret && !((size_t)(ae - a) == 8 && !strncasecmp(a, "continue", 8)) &&
			       !((size_t)(ae - a) == 5 && !strncasecmp(a, "merge", 5))))
			return -1;
		for (int i = 0; i < N_ST; i++)
			if ((i == st) != neg)
				src->ret[i] = ret;
		src->has_action = 1;
		p = ae;
	}
	return 0;
}

/* The sources of a "hosts:" line (after the colon): their count, or -1 on a syntax glibc would not take. */
static int parse_hosts(const char *p, struct source *src, int max)
{
	int n = 0;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (*p == '[') {
			const char *close = strchr(p, ']');
			if (!close || n == 0 || parse_action(p + 1, close, &src[n - 1]) < 0)
				return -1;
			size_t have = strlen(src[n - 1].text);
			snprintf(src[n - 1].text + have, sizeof src[n - 1].text - have, " %.*s", (int)(close - p + 1), p);
			p = close + 1;
			continue;
		}
		if (n == max)
			return -1;
		size_t len = strcspn(p, " \t[");
		memset(&src[n], 0, sizeof src[n]);
		src[n].ret[ST_SUCCESS] = 1; /* glibc's default: SUCCESS=return, everything else continue */
		snprintf(src[n].name, sizeof src[n].name, "%.*s", (int)len, p);
		snprintf(src[n].text, sizeof src[n].text, "%.*s", (int)len, p);
		n++;
		p += len;
	}
	return n;
}

/* The hosts line of `path` (without "hosts:" and any comment) into line; 0 found, -1 none, -2 unreadable. */
static int hosts_line(const char *path, char *line, size_t size, int *several)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -2;
	char buf[1024];
	int found = -1;
	*several = 0;
	while (fgets(buf, sizeof buf, f)) {
		buf[strcspn(buf, "#\n")] = '\0';
		const char *p = buf;
		while (isspace((unsigned char)*p))
			p++;
		if (strncmp(p, "hosts", 5) != 0)
			continue;
		p += 5;
		while (isspace((unsigned char)*p))
			p++;
		if (*p != ':')
			continue;
		if (found == 0) { /* glibc takes the first */
			*several = 1;
			continue;
		}
		snprintf(line, size, "%s", p + 1);
		found = 0;
	}
	fclose(f);
	return found;
}

/* mDNS's minimal sources answer NOTFOUND only for .local names, so their [NOTFOUND=return] stops nothing else. */
static int local_only(const char *name)
{
	return !strcmp(name, "mdns4_minimal") || !strcmp(name, "mdns6_minimal") || !strcmp(name, "mdns_minimal");
}

void tn_doctor_hosts_line(const char *line, const char *file, int several, struct tn_check *out)
{
	struct source src[MAX_SOURCES];
	char shown[1100];
	out->name = "nsswitch";
	tn_check_fix(out, "put tailnet before dns in the hosts line of %s, e.g. 'hosts: files tailnet dns' (the "
			  "libnss-tailnet package does it on install)", file);
	int n = parse_hosts(line, src, MAX_SOURCES);
	snprintf(shown, sizeof shown, "hosts:%.1000s", line);
	if (n < 0) {
		tn_check_set(out, TN_CHECK_FAIL, "%s: glibc cannot parse '%s'", file, shown);
		return;
	}
	int t = -1, dns = -1;
	for (int i = 0; i < n; i++) {
		if (t < 0 && !strcmp(src[i].name, "tailnet"))
			t = i;
		if (dns < 0 && (!strcmp(src[i].name, "dns") || !strcmp(src[i].name, "resolve")))
			dns = i;
	}
	if (t < 0) {
		tn_check_set(out, TN_CHECK_FAIL, "'%s' has no tailnet: glibc never asks the module", shown);
		return;
	}
	if (dns >= 0 && dns < t) {
		tn_check_set(out, TN_CHECK_FAIL, "'%s': %s comes before tailnet, so DNS answers (or fails) first",
			     shown, src[dns].name);
		return;
	}
	for (int i = 0; i < t; i++)
		if (!local_only(src[i].name) && (src[i].ret[ST_NOTFOUND] || src[i].ret[ST_UNAVAIL])) {
			tn_check_set(out, TN_CHECK_FAIL, "'%s': '%s' ends lookups it cannot answer before tailnet is asked",
				     shown, src[i].text);
			tn_check_fix(out, "remove the action after %s, or put tailnet before it", src[i].name);
			return;
		}
	if (src[t].ret[ST_UNAVAIL]) {
		tn_check_set(out, TN_CHECK_FAIL, "'%s': '%s' ends every lookup that is not the tailnet's (the module "
			     "answers UNAVAIL for them)", shown, src[t].text);
		tn_check_fix(out, "drop the action after tailnet, or use [NOTFOUND=return], which is safe");
		return;
	}
	out->fix[0] = '\0';
	tn_check_set(out, several ? TN_CHECK_WARN : TN_CHECK_OK, "'%s': tailnet %s%s%s", shown,
		     dns >= 0 ? "before " : "asked", dns >= 0 ? src[dns].name : "",
		     src[t].ret[ST_NOTFOUND] ? "; its [NOTFOUND=return] is safe: the module says NOTFOUND only "
					       "under the tailnet's own suffix and its address ranges" : "");
	if (several)
		tn_check_fix(out, "%s has more than one hosts line; glibc reads the first, shown here", file);
}

void tn_doctor_nsswitch(struct tn_doctor *d, struct tn_check *out)
{
	char line[1024];
	int several = 0, rc = hosts_line(d->nsswitch, line, sizeof line, &several);
	out->name = "nsswitch";
	tn_check_fix(out, "put tailnet before dns in the hosts line of %s, e.g. 'hosts: files tailnet dns'",
		     d->nsswitch);
	if (rc == -2)
		tn_check_set(out, TN_CHECK_FAIL, "cannot read %s", d->nsswitch);
	else if (rc == -1)
		tn_check_set(out, TN_CHECK_FAIL, "%s has no hosts line: glibc uses 'files dns', without tailnet",
			     d->nsswitch);
	else
		tn_doctor_hosts_line(line, d->nsswitch, several, out);
}

/* ---- the module ------------------------------------------------------------------------------------------ */

void tn_doctor_module(struct tn_doctor *d, struct tn_check *out)
{
	static const char *entry[] = {"_nss_tailnet_gethostbyname4_r", "_nss_tailnet_gethostbyname3_r",
				      "_nss_tailnet_gethostbyname2_r", "_nss_tailnet_gethostbyname_r",
				      "_nss_tailnet_gethostbyaddr2_r", "_nss_tailnet_gethostbyaddr_r"};
	(void)d;
	out->name = "module";
	tn_check_fix(out, "install libnss_tailnet.so.2 into the multiarch library directory (the libnss-tailnet "
			  "package, or make install PREFIX=/usr), then run ldconfig");
	/* As glibc loads it: by soname, through the loader's search path and cache. */
	void *h = dlopen("libnss_tailnet.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();
		tn_check_set(out, TN_CHECK_FAIL, "glibc cannot load libnss_tailnet.so.2: %s", e ? e : "?");
		return;
	}
	struct link_map *map = NULL;
	const char *path = dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name ? map->l_name : "?";
	for (size_t i = 0; i < sizeof entry / sizeof entry[0]; i++)
		if (!dlsym(h, entry[i])) {
			tn_check_set(out, TN_CHECK_FAIL, "%s loads but lacks %s: not this project's module, or too old",
				     path, entry[i]);
			dlclose(h);
			return;
		}
	/* Found only because of LD_LIBRARY_PATH: setuid programs ignore it, and services do not have it. */
	const char *llp = getenv("LD_LIBRARY_PATH"), *slash = strrchr(path, '/');
	int via_env = 0;
	if (llp && slash) {
		size_t dl = (size_t)(slash - path);
		for (const char *p = llp; *p;) {
			size_t n = strcspn(p, ":");
			via_env |= n == dl && !strncmp(p, path, dl);
			p += n + (p[n] == ':');
		}
	}
	out->fix[0] = '\0';
	tn_check_set(out, via_env ? TN_CHECK_WARN : TN_CHECK_OK, "%s loads, with all %zu entry points%s", path,
		     sizeof entry / sizeof entry[0], via_env ? ", but only through LD_LIBRARY_PATH" : "");
	if (via_env)
		tn_check_fix(out, "setuid programs and services ignore LD_LIBRARY_PATH: install the module into the "
				  "multiarch library directory and run ldconfig");
	dlclose(h);
}

/* ---- a real lookup --------------------------------------------------------------------------------------- */

static int known_address(const struct tn_doctor *d, const struct sockaddr *sa)
{
	uint8_t a[16] = {0};
	if (sa->sa_family == AF_INET) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
	for (unsigned i = 0; i < d->n_addrs; i++)
		if (!memcmp(a, d->addrs[i], 16))
			return 1;
	return 0;
}

void tn_doctor_lookup(struct tn_doctor *d, struct tn_check *out)
{
	out->name = "lookup";
	if (!d->name[0]) {
		tn_check_set(out, TN_CHECK_FAIL, "no name to look up: %s",
			     d->cache_ok ? "the cache has no node with an address" : "the cache is unusable (above)");
		tn_check_fix(out, "fix the cache first");
		return;
	}
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int rc = getaddrinfo(d->name, NULL, &hints, &res);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (rc != 0) {
		tn_check_set(out, TN_CHECK_FAIL, "getaddrinfo(%s): %s, after %.2f ms", d->name, gai_strerror(rc), ms);
		tn_check_fix(out, "fix what the checks above report");
		return;
	}
	char text[400] = "", one[INET6_ADDRSTRLEN];
	int foreign = 0;
	for (struct addrinfo *a = res; a; a = a->ai_next) {
		const void *bytes = a->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)a->ai_addr)->sin_addr
							    : (const void *)&((struct sockaddr_in6 *)a->ai_addr)->sin6_addr;
		inet_ntop(a->ai_family, bytes, one, sizeof one);
		if (!strstr(text, one) && strlen(text) + strlen(one) + 3 < sizeof text) {
			strcat(text, text[0] ? ", " : "");
			strcat(text, one);
		}
		foreign |= !known_address(d, a->ai_addr);
	}
	freeaddrinfo(res);
	if (foreign) {
		tn_check_set(out, TN_CHECK_FAIL, "getaddrinfo(%s) gives %s, not the cache's addresses: another source "
			     "answered first", d->name, text);
		tn_check_fix(out, "see the hosts line above; /etc/hosts may name it too");
		return;
	}
	tn_check_set(out, TN_CHECK_OK, "getaddrinfo(%s) gives %s in %.2f ms", d->name, text, ms);
}
