/* SPDX-License-Identifier: BSD-3-Clause */
/* dns_server.c - see dns_server.h. */
#include "dns/dns_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns_answer.h"
#include "dns/dns_wire.h"
#include "shared/monotime.h"

#define UDP_BATCH 32       /* datagrams per recvmmsg/sendmmsg: one system call each way for a burst */
#define UDP_ROUNDS 4       /* batches per wake-up before the TCP side gets its turn */
#define UDP_QUERY_MAX 4096 /* a longer datagram is no query of ours: dropped */
#define UDP_RCVBUF (2 << 20)
#define TICK_MS 1000
#define ACCEPT_BATCH 16 /* connections taken per wake-up, so a flood of them never starves UDP */

struct conn {
	int fd;
	int64_t deadline; /* ms, CLOCK_MONOTONIC: the next query must be answered by then */
	struct sockaddr_storage peer;
	size_t in_len, out_len, out_off;
	uint8_t in[2 + TN_DNS_TCP_QUERY_MAX];
	uint8_t out[2 + TN_DNS_MSG_MAX];
};

struct udp_batch {
	struct mmsghdr in[UDP_BATCH], out[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH], out_iov[UDP_BATCH];
	struct sockaddr_storage peer[UDP_BATCH];
	uint8_t query[UDP_BATCH][UDP_QUERY_MAX];
	uint8_t answer[UDP_BATCH][TN_DNS_UDP_MAX];
};

struct tn_dns_server {
	sigset_t stop, old_mask;
	int sig, udp, tcp;
	struct conn *conns[TN_DNS_TCP_CLIENTS];
	size_t n_conns;
	struct udp_batch udp_batch;
};

static int parse_port(const char *text, uint16_t *port)
{
	char *end;
	errno = 0;
	long v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int tn_dns_listen_parse(const char *text, struct tn_dns_listen *out, struct tn_error *err)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *port_text = NULL, *colon = strrchr(text, ':');
	uint16_t port = TN_DNS_DEFAULT_PORT;
	size_t host_len = strlen(text);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (close[1] && close[1] != ':'))
			return tn_error_set(err, TN_EXIT_USAGE, "--listen %s: want ADDR, ADDR:PORT or [IPv6]:PORT",
					    text);
		text++;
		host_len = (size_t)(close - text);
		port_text = close[1] ? close + 2 : NULL;
	} else if (colon && strchr(text, ':') == colon) { /* one colon: IPv4:PORT; more: a bare IPv6 address */
		host_len = (size_t)(colon - text);
		port_text = colon + 1;
	}
	if (host_len >= sizeof host || (port_text && parse_port(port_text, &port) < 0))
		return tn_error_set(err, TN_EXIT_USAGE, "--listen %s: bad address or port", text);
	memcpy(host, text, host_len);
	host[host_len] = '\0';

	memset(out, 0, sizeof *out);
	struct sockaddr_in *v4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons(port);
		out->len = sizeof *v4;
		snprintf(out->text, sizeof out->text, "%s:%u", host, port);
	} else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(port);
		out->len = sizeof *v6;
		snprintf(out->text, sizeof out->text, "[%s]:%u", host, port);
	} else {
		return tn_error_set(err, TN_EXIT_USAGE, "--listen %s: not an IPv4 or IPv6 address", host);
	}
	return 0;
}

int tn_dns_is_loopback(const struct tn_dns_listen *l)
{
	if (l->ss.ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)&l->ss)->sin_addr.s_addr) >> 24) == 127;
	const struct in6_addr *a = &((const struct sockaddr_in6 *)&l->ss)->sin6_addr;
	return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

static int open_socket(const struct tn_dns_listen *l, int type, struct tn_error *err)
{
	const char *what = type == SOCK_DGRAM ? "UDP" : "TCP";
	int one = 1;
	int fd = socket(l->ss.ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return tn_error_set(err, TN_EXIT_FAIL, "cannot create a %s socket: %s", what, strerror(errno));
	if (l->ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one); /* restart over TIME_WAIT */
	/* Room for a burst that arrives while we are not scheduled (the default holds ~200 small datagrams);
	 * FORCE passes net.core.rmem_max when we may, the plain option is capped by it otherwise. */
	int rcvbuf = UDP_RCVBUF;
	if (type == SOCK_DGRAM && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (bind(fd, (const struct sockaddr *)&l->ss, l->len) < 0 || (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		int e = errno;
		close(fd);
		return tn_error_set(err, TN_EXIT_FAIL, "cannot listen on %s (%s): %s", l->text, what, strerror(e));
	}
	return fd;
}

/* Answers what is queued, a batch at a time. Answers that cannot be sent at once are dropped: UDP clients
 * retry. */
static void serve_udp(struct tn_dns_server *s)
{
	struct udp_batch *b = &s->udp_batch;
	for (int round = 0; round < UDP_ROUNDS; round++) {
		for (int i = 0; i < UDP_BATCH; i++) {
			b->in_iov[i] = (struct iovec){b->query[i], sizeof b->query[i]};
			b->in[i].msg_hdr = (struct msghdr){.msg_name = &b->peer[i],
							   .msg_namelen = sizeof b->peer[i],
							   .msg_iov = &b->in_iov[i],
							   .msg_iovlen = 1};
		}
		int n = recvmmsg(s->udp, b->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return; /* EAGAIN, or an ICMP error from an earlier answer: nothing to do */
		unsigned n_out = 0;
		for (int i = 0; i < n; i++) {
			if (b->in[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue;
			size_t len = tn_dns_respond(b->query[i], b->in[i].msg_len, 0, b->answer[n_out]);
			if (!len)
				continue;
			b->out_iov[n_out] = (struct iovec){b->answer[n_out], len};
			b->out[n_out].msg_hdr = (struct msghdr){.msg_name = &b->peer[i],
								.msg_namelen = b->in[i].msg_hdr.msg_namelen,
								.msg_iov = &b->out_iov[n_out],
								.msg_iovlen = 1};
			n_out++;
		}
		for (unsigned sent = 0; sent < n_out;) {
			int r = sendmmsg(s->udp, b->out + sent, n_out - sent, MSG_DONTWAIT);
			if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
				break;
			sent += r > 0 ? (unsigned)r : 1; /* one answer that cannot be sent must not stop the rest */
		}
		if (n < UDP_BATCH)
			return;
	}
}

static void conn_close(struct tn_dns_server *s, size_t i)
{
	close(s->conns[i]->fd);
	free(s->conns[i]);
	s->conns[i] = s->conns[--s->n_conns];
}

static int same_host(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr == ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr, &((const struct sockaddr_in6 *)b)->sin6_addr,
		       sizeof(struct in6_addr));
}

/* Makes room for a connection from `peer`: past the per-address limit, the least recently active connection
 * of that address goes; past the total, the least recently active of all. (Activity moves the deadline.) */
static void make_room(struct tn_dns_server *s, const struct sockaddr_storage *peer)
{
	size_t mine = 0, oldest_mine = 0, oldest = 0;
	for (size_t i = 0; i < s->n_conns; i++) {
		if (same_host(&s->conns[i]->peer, peer) &&
		    (mine++ == 0 || s->conns[i]->deadline < s->conns[oldest_mine]->deadline))
			oldest_mine = i;
		if (s->conns[i]->deadline < s->conns[oldest]->deadline)
			oldest = i;
	}
	if (mine >= TN_DNS_TCP_PER_CLIENT)
		conn_close(s, oldest_mine);
	else if (s->n_conns >= TN_DNS_TCP_CLIENTS)
		conn_close(s, oldest);
}

/* Takes one connection off the queue: 0, or -1 when there is none. */
static int serve_accept(struct tn_dns_server *s, int64_t now)
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof peer;
	int fd = accept4(s->tcp, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -1;
	struct conn *c = malloc(sizeof *c);
	if (!c) {
		close(fd); /* out of memory: the client sees EOF and tries elsewhere */
		return 0;
	}
	make_room(s, &peer);
	c->peer = peer;
	c->fd = fd;
	c->deadline = now + TN_DNS_TCP_IDLE_MS;
	c->in_len = c->out_len = c->out_off = 0;
	s->conns[s->n_conns++] = c;
	return 0;
}

/* Sends what is pending. -1: the connection is dead. */
static int conn_flush(struct conn *c, int64_t now)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		c->out_off += (size_t)n;
	}
	c->out_len = c->out_off = 0;
	c->deadline = now + TN_DNS_TCP_IDLE_MS;
	return 0;
}

/* Answers buffered queries, one at a time, while nothing is waiting to be sent. -1: close. */
static int conn_process(struct conn *c, int64_t now)
{
	while (c->out_len == 0 && c->in_len >= 2) {
		size_t want = (size_t)(c->in[0] << 8 | c->in[1]);
		if (want > TN_DNS_TCP_QUERY_MAX)
			return -1;
		if (c->in_len < 2 + want)
			return 0;
		size_t len = tn_dns_respond(c->in + 2, want, 1, c->out + 2);
		if (len == 0)
			return -1; /* not a query: nothing sensible follows on this stream */
		c->out[0] = (uint8_t)(len >> 8);
		c->out[1] = (uint8_t)len;
		c->out_len = 2 + len;
		c->in_len -= 2 + want;
		memmove(c->in, c->in + 2 + want, c->in_len);
		if (conn_flush(c, now) < 0)
			return -1;
	}
	return 0;
}

static int conn_event(struct conn *c, short revents, int64_t now)
{
	if (revents & (POLLERR | POLLNVAL))
		return -1;
	if (c->out_len)
		return revents & (POLLOUT | POLLHUP) ? (conn_flush(c, now) < 0 ? -1 : conn_process(c, now)) : 0;
	if (!(revents & (POLLIN | POLLHUP)))
		return 0;
	ssize_t n = recv(c->fd, c->in + c->in_len, sizeof c->in - c->in_len, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return -1;
	if (n > 0)
		c->in_len += (size_t)n;
	return conn_process(c, now);
}

static int poll_timeout(const struct tn_dns_server *s, int64_t now, int64_t next_tick)
{
	int64_t t = next_tick;
	for (size_t i = 0; i < s->n_conns; i++)
		if (s->conns[i]->deadline < t)
			t = s->conns[i]->deadline;
	return t <= now ? 0 : (int)(t - now);
}

static int loop(struct tn_dns_server *s, long tick_ms, void (*tick)(void *ctx), void *ctx, struct tn_error *err)
{
	struct pollfd pfd[3 + TN_DNS_TCP_CLIENTS];
	int64_t next_tick = tn_now_ms() + tick_ms;
	for (;;) {
		int64_t now = tn_now_ms();
		if (now >= next_tick) {
			if (tick)
				tick(ctx);
			next_tick = now + tick_ms;
		}
		for (size_t i = s->n_conns; i-- > 0;)
			if (s->conns[i]->deadline <= now)
				conn_close(s, i);
		pfd[0] = (struct pollfd){.fd = s->sig, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = s->udp, .events = POLLIN};
		pfd[2] = (struct pollfd){.fd = s->tcp, .events = POLLIN};
		size_t n_conns = s->n_conns;
		for (size_t i = 0; i < n_conns; i++)
			pfd[3 + i] =
			    (struct pollfd){.fd = s->conns[i]->fd, .events = s->conns[i]->out_len ? POLLOUT : POLLIN};
		int rc = poll(pfd, 3 + n_conns, poll_timeout(s, now, next_tick));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return tn_error_set(err, TN_EXIT_FAIL, "poll: %s", strerror(errno));
		now = tn_now_ms();
		if (pfd[0].revents) {
			struct signalfd_siginfo si;
			if (read(s->sig, &si, sizeof si) == (ssize_t)sizeof si)
				return 0;
		}
		/* Connections first, from the end, so closing one (which moves the last into its slot) never
		 * touches a slot still to be visited; the new ones accepted below are polled next round. */
		for (size_t i = n_conns; i-- > 0;)
			if (pfd[3 + i].revents && conn_event(s->conns[i], pfd[3 + i].revents, now) < 0)
				conn_close(s, i);
		if (pfd[1].revents)
			serve_udp(s);
		for (int k = 0; pfd[2].revents && k < ACCEPT_BATCH && serve_accept(s, now) == 0; k++) {
		}
	}
}

struct tn_dns_server *tn_dns_server_open(const struct tn_dns_listen *l, struct tn_error *err)
{
	struct tn_dns_server *s = calloc(1, sizeof *s);
	if (!s) {
		tn_error_set(err, TN_EXIT_FAIL, "out of memory");
		return NULL;
	}
	sigemptyset(&s->stop);
	sigaddset(&s->stop, SIGTERM);
	sigaddset(&s->stop, SIGINT);
	s->sig = s->udp = s->tcp = -1;
	if (sigprocmask(SIG_BLOCK, &s->stop, &s->old_mask) < 0) {
		tn_error_set(err, TN_EXIT_FAIL, "sigprocmask: %s", strerror(errno));
		free(s);
		return NULL;
	}
	if ((s->sig = signalfd(-1, &s->stop, SFD_CLOEXEC)) < 0)
		tn_error_set(err, TN_EXIT_FAIL, "signalfd: %s", strerror(errno));
	else if ((s->udp = open_socket(l, SOCK_DGRAM, err)) >= 0 && (s->tcp = open_socket(l, SOCK_STREAM, err)) >= 0)
		return s;
	tn_dns_server_close(s);
	return NULL;
}

int tn_dns_server_run(struct tn_dns_server *s, long tick_ms, void (*tick)(void *ctx), void *ctx,
		      struct tn_error *err)
{
	return loop(s, tick_ms > 0 && tick_ms < TICK_MS ? tick_ms : TICK_MS, tick, ctx, err);
}

void tn_dns_server_close(struct tn_dns_server *s)
{
	if (!s)
		return;
	while (s->n_conns)
		conn_close(s, s->n_conns - 1);
	if (s->sig >= 0)
		close(s->sig);
	if (s->udp >= 0)
		close(s->udp);
	if (s->tcp >= 0)
		close(s->tcp);
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	free(s);
}
