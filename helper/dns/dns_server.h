/* SPDX-License-Identifier: BSD-3-Clause */
/* dns_server.h - the responder's sockets: one UDP socket and one TCP listener on one address, served by a
 * single-threaded poll loop.
 *
 * Contract: tn_dns_listen_parse() reads "ADDR", "ADDR:PORT", "[IPv6]:PORT" (port default 53) and
 * tn_dns_is_loopback() says whether an address is 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104 - the caller
 * refuses anything else unless told otherwise. tn_dns_server_open() binds both sockets (errors follow err.h),
 * tn_dns_server_run() answers every packet through tn_dns_respond() until SIGTERM or SIGINT, after which it
 * returns 0 (the signals are taken through a signalfd, so they only ever end the loop between
 * two packets). UDP answers that cannot be sent at once are dropped (the client retries). TCP: messages with
 * a 2-byte length prefix, queries up to TN_DNS_TCP_QUERY_MAX bytes (a longer one closes the connection),
 * pipelined queries answered in order one at a time, partial reads and writes resumed. Slow or idle clients
 * cannot hold the TCP side: a connection that does not complete its next query within TN_DNS_TCP_IDLE_MS is
 * closed; one client address holds at most TN_DNS_TCP_PER_CLIENT connections and all together at most
 * TN_DNS_TCP_CLIENTS, and a new connection over either limit closes the least recently active one of that
 * address (or of all) rather than being turned away - on loopback every local user shares 127.0.0.1, so
 * refusing newcomers would let one user lock out the others. UDP never waits for TCP. `tick`, when given,
 * runs between packets at least every tick_ms (at most 1000; the caller notices cache changes there, and
 * pings systemd's watchdog).
 */
#ifndef TAILNET_DNS_SERVER_H
#define TAILNET_DNS_SERVER_H

#include <sys/socket.h>

#include "shared/err.h"

struct tn_dns_server;

#define TN_DNS_DEFAULT_ADDR "127.100.100.100"
#define TN_DNS_DEFAULT_PORT 53
#define TN_DNS_TCP_CLIENTS 64
#define TN_DNS_TCP_PER_CLIENT 8
#define TN_DNS_TCP_QUERY_MAX 4096
#define TN_DNS_TCP_IDLE_MS 3000

struct tn_dns_listen {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64]; /* "127.100.100.100:53", "[::1]:53" */
};

int tn_dns_listen_parse(const char *text, struct tn_dns_listen *out, struct tn_error *err);
int tn_dns_is_loopback(const struct tn_dns_listen *l);

/* Binds both sockets and blocks SIGTERM/SIGINT into a signalfd; NULL on failure (err set). */
struct tn_dns_server *tn_dns_server_open(const struct tn_dns_listen *l, struct tn_error *err);
/* Serves until SIGTERM/SIGINT (returns 0) or a failed poll (-1). */
int tn_dns_server_run(struct tn_dns_server *s, long tick_ms, void (*tick)(void *ctx), void *ctx,
		      struct tn_error *err);
/* Closes everything and restores the signal mask. */
void tn_dns_server_close(struct tn_dns_server *s);

#endif
