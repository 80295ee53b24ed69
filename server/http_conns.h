/* Open connections per client address (MAX_CONNECTIONS_PER_IP) for the
 * HTTP layer: libmicrohttpd reports each connection's start and end
 * (http_conns_notify), and a request's headers are checked against the
 * count of its connection's address (http_conns_over). */
#ifndef CC_HTTP_CONNS_H
#define CC_HTTP_CONNS_H
#include <microhttpd.h>
#include <stdbool.h>

typedef struct http_conns http_conns;

/* A table for at most max connections per address; max 0 counts nothing.
 * NULL when out of memory. */
http_conns *http_conns_new(unsigned max);
void http_conns_free(http_conns *t);

/* MHD_OPTION_NOTIFY_CONNECTION's callback, cls the table: counts the
 * connection under its address (its socket context) and forgets it when
 * it closes. */
void http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code);

/* True when the address of conn has more open connections than allowed. */
bool http_conns_over(const http_conns *t, struct MHD_Connection *conn);

#endif
