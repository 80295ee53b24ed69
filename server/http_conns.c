/* Connections per client address (see http_conns.h): a hash table of
 * counts keyed by the address (IPv4 mapped into 16 bytes). */
#include "server/http_conns.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

typedef struct ip_count {
	unsigned char addr[16];
	unsigned n;
	struct ip_count *next;
} ip_count;
#define IP_BUCKETS 1024

struct http_conns {
	unsigned max;
	ip_count *ips[IP_BUCKETS];
};

http_conns *http_conns_new(unsigned max)
{
	http_conns *t = calloc(1, sizeof *t);
	if (t)
		t->max = max;
	return t;
}

void http_conns_free(http_conns *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < IP_BUCKETS; i++) {
		for (ip_count *e = t->ips[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(t);
}

static void addr_key(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET)
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa && sa->sa_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

static ip_count **bucket(http_conns *t, const unsigned char key[16])
{
	unsigned h = 0;
	for (int i = 0; i < 16; i++)
		h = h * 31 + key[i];
	return &t->ips[h % IP_BUCKETS];
}

/* The count of conn's address, made at 0 when it has none; NULL when
 * out of memory. */
static ip_count *count_of(http_conns *t, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	unsigned char key[16];
	addr_key(ci ? ci->client_addr : NULL, key);
	ip_count **head = bucket(t, key), *e = *head;
	while (e && memcmp(e->addr, key, 16) != 0)
		e = e->next;
	if (!e && (e = calloc(1, sizeof *e))) {
		memcpy(e->addr, key, 16);
		e->next = *head;
		*head = e;
	}
	return e;
}

void http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code)
{
	http_conns *t = cls;
	if (!t || !t->max)
		return;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ip_count *e = count_of(t, conn);
		if (e)
			e->n++;
		*socket_context = e;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		ip_count *e = *socket_context;
		*socket_context = NULL;
		if (--e->n > 0)
			return;
		for (ip_count **p = bucket(t, e->addr); *p; p = &(*p)->next) {
			if (*p == e) {
				*p = e->next;
				free(e);
				break;
			}
		}
	}
}

bool http_conns_over(const http_conns *t, struct MHD_Connection *conn)
{
	if (!t || !t->max)
		return false;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	const ip_count *e = ci ? ci->socket_context : NULL;
	return e && e->n > t->max;
}
