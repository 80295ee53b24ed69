/* The open client connections of one listener: how many each client
 * address holds (MAX_CONNECTIONS_PER_IP), and since when each connection
 * has been waiting for a request's headers, so that headers trickling in
 * slower than REQUEST_TIMEOUT_MS are cut off (libmicrohttpd's own timeout
 * only measures silence, and a byte every few seconds resets it). */
#ifndef CC_HTTP_CONNS_H
#define CC_HTTP_CONNS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

typedef struct http_conns http_conns;
typedef struct http_conn http_conn;

http_conns *http_conns_new(void);
void http_conns_free(http_conns *cs);

/* A connection accepted at now_ns (from addr; NULL: unknown): it waits for
 * headers. NULL when out of memory (the connection is then not tracked). */
http_conn *http_conns_open(http_conns *cs, int fd, const struct sockaddr *addr, uint64_t now_ns);
void http_conns_close(http_conns *cs, http_conn *c);
/* A request's headers are in: no deadline until it is answered. */
void http_conns_busy(http_conns *cs, http_conn *c);
/* Its request is done: the next one's headers are awaited from now_ns. */
void http_conns_waiting(http_conns *cs, http_conn *c, uint64_t now_ns);
/* Open connections from this connection's address, itself included. */
unsigned http_conns_same_address(const http_conn *c);

/* Shuts down the sockets of the connections that have waited for headers
 * since before `since_ns` (libmicrohttpd then sees them closed and cleans
 * up); returns how many. */
unsigned http_conns_expire(http_conns *cs, uint64_t since_ns);

#endif
