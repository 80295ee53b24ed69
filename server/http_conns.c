/* Open client connections (see http_conns.h). The connections waiting for
 * headers are kept in a list ordered by the time they began to wait (each
 * is appended when it begins), so expiring them looks only at its head. */
#include "server/http_conns.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#define IP_BUCKETS 1024

typedef struct ip_count {
	unsigned char addr[16];
	unsigned n;
	struct ip_count *next;
} ip_count;

struct http_conn {
	int fd;
	ip_count *ip;
	uint64_t since_ns;
	bool waiting;
	http_conn *prev, *next; /* the waiting list */
};

struct http_conns {
	ip_count *ips[IP_BUCKETS];
	http_conn *head, *tail;
};

http_conns *http_conns_new(void)
{
	return calloc(1, sizeof(http_conns));
}

void http_conns_free(http_conns *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < IP_BUCKETS; i++) {
		for (ip_count *e = cs->ips[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(cs);
}

static void addr_key(const struct sockaddr *sa, unsigned char out[16])
{
	memset(out, 0, 16);
	if (sa && sa->sa_family == AF_INET)
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa && sa->sa_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

static ip_count **bucket(http_conns *cs, const unsigned char key[16])
{
	unsigned h = 0;
	for (int i = 0; i < 16; i++)
		h = h * 31 + key[i];
	return &cs->ips[h % IP_BUCKETS];
}

static void unlink_waiting(http_conns *cs, http_conn *c)
{
	if (!c->waiting)
		return;
	*(c->prev ? &c->prev->next : &cs->head) = c->next;
	*(c->next ? &c->next->prev : &cs->tail) = c->prev;
	c->prev = c->next = NULL;
	c->waiting = false;
}

void http_conns_waiting(http_conns *cs, http_conn *c, uint64_t now_ns)
{
	if (!c)
		return;
	unlink_waiting(cs, c);
	c->since_ns = now_ns;
	c->waiting = true;
	c->prev = cs->tail;
	*(cs->tail ? &cs->tail->next : &cs->head) = c;
	cs->tail = c;
}

void http_conns_busy(http_conns *cs, http_conn *c)
{
	if (c)
		unlink_waiting(cs, c);
}

http_conn *http_conns_open(http_conns *cs, int fd, const struct sockaddr *addr, uint64_t now_ns)
{
	http_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	unsigned char key[16];
	addr_key(addr, key);
	ip_count **head = bucket(cs, key), *e = *head;
	while (e && memcmp(e->addr, key, 16) != 0)
		e = e->next;
	if (!e && (e = calloc(1, sizeof *e))) {
		memcpy(e->addr, key, 16);
		e->next = *head;
		*head = e;
	}
	if (!e) {
		free(c);
		return NULL;
	}
	e->n++;
	c->ip = e;
	c->fd = fd;
	http_conns_waiting(cs, c, now_ns);
	return c;
}

void http_conns_close(http_conns *cs, http_conn *c)
{
	if (!c)
		return;
	unlink_waiting(cs, c);
	ip_count *e = c->ip;
	free(c);
	if (--e->n > 0)
		return;
	for (ip_count **p = bucket(cs, e->addr); *p; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			free(e);
			return;
		}
	}
}

unsigned http_conns_same_address(const http_conn *c)
{
	return c ? c->ip->n : 0;
}

unsigned http_conns_expire(http_conns *cs, uint64_t since_ns)
{
	unsigned n = 0;
	while (cs->head && cs->head->since_ns < since_ns) {
		http_conn *c = cs->head;
		unlink_waiting(cs, c);
		shutdown(c->fd, SHUT_RDWR);
		n++;
	}
	return n;
}
