/* Host names of a conninfo looked up off the loop (see pg_resolve.h). */
#include "store/pg_resolve.h"

#include <libpq-fe.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_HOSTS 64
#define MAX_ADDRS 16 /* per name */

typedef struct lookup {
	uv_getaddrinfo_t req;
	struct pg_resolve *r;
	char *addrs[MAX_ADDRS];
	size_t naddrs;
	int status;
} lookup;

struct pg_resolve {
	pg_resolve_cb cb;
	void *ud;
	bool cancelled;
	unsigned pending;
	pg_params *base;      /* every option but host, hostaddr and port */
	char *hosts[MAX_HOSTS];
	char *ports[MAX_HOSTS]; /* per host, or all NULL (one port or none: port_all) */
	char *port_all;
	size_t nhosts;
	lookup *lk[MAX_HOSTS]; /* NULL: no lookup (socket or numeric) */
};

void pg_params_free(pg_params *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free((char *)p->keys[i]);
		free((char *)p->vals[i]);
	}
	free(p->keys);
	free(p->vals);
	free(p);
}

/* Sets key to val (copied), replacing an earlier value. */
static int params_set(pg_params *p, const char *key, const char *val)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->keys[i], key) == 0) {
			char *v = strdup(val);
			if (!v)
				return -1;
			free((char *)p->vals[i]);
			p->vals[i] = v;
			return 0;
		}
	}
	const char **k = realloc(p->keys, (p->n + 2) * sizeof *k);
	if (k)
		p->keys = k;
	const char **v = realloc(p->vals, (p->n + 2) * sizeof *v);
	if (v)
		p->vals = v;
	char *kk = strdup(key), *vv = strdup(val);
	if (!k || !v || !kk || !vv) {
		free(kk);
		free(vv);
		return -1;
	}
	p->keys[p->n] = kk;
	p->vals[p->n] = vv;
	p->n++;
	p->keys[p->n] = NULL;
	p->vals[p->n] = NULL;
	return 0;
}

static pg_params *params_new(void)
{
	pg_params *p = calloc(1, sizeof *p);
	if (p && (!(p->keys = calloc(1, sizeof *p->keys)) || !(p->vals = calloc(1, sizeof *p->vals)))) {
		pg_params_free(p);
		return NULL;
	}
	return p;
}

static bool numeric_address(const char *h)
{
	unsigned char buf[16];
	return uv_inet_pton(AF_INET, h, buf) == 0 || uv_inet_pton(AF_INET6, h, buf) == 0;
}

static bool socket_path(const char *h)
{
	return !*h || *h == '/' || *h == '@';
}

/* Splits a comma-separated list into out (copies); the count, or -1. */
static long split(const char *list, char **out, size_t max)
{
	size_t n = 0;
	for (const char *s = list;; n++) {
		size_t len = strcspn(s, ",");
		if (n == max || !(out[n] = strndup(s, len))) {
			for (size_t i = 0; i < n; i++)
				free(out[i]);
			return -1;
		}
		if (!s[len])
			return (long)n + 1;
		s += len + 1;
	}
}

static void resolve_free(pg_resolve *r)
{
	for (size_t i = 0; i < r->nhosts; i++) {
		free(r->hosts[i]);
		free(r->ports[i]);
		if (r->lk[i])
			for (size_t k = 0; k < r->lk[i]->naddrs; k++)
				free(r->lk[i]->addrs[k]);
		free(r->lk[i]);
	}
	free(r->port_all);
	pg_params_free(r->base);
	free(r);
}

typedef struct strbuf {
	char *s;
	size_t len, cap;
	bool oom;
} strbuf;

static void sb_add(strbuf *b, const char *s)
{
	size_t n = strlen(s) + 1; /* a comma before all but the first */
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *ns = b->oom ? NULL : realloc(b->s, cap);
		if (!ns) {
			b->oom = true;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	if (b->len)
		b->s[b->len++] = ',';
	memcpy(b->s + b->len, s, n - 1);
	b->len += n - 1;
	b->s[b->len] = '\0';
}

/* The lists once every lookup is done: each host once per address. NULL
 * with err set when no host is left. */
static pg_params *resolved_params(pg_resolve *r, char *err, size_t errlen)
{
	strbuf host = {0}, addr = {0}, port = {0};
	size_t entries = 0;
	for (size_t i = 0; i < r->nhosts; i++) {
		const lookup *l = r->lk[i];
		size_t n = l ? l->naddrs : 1;
		if (l && n == 0)
			snprintf(err, errlen, "could not translate host name \"%s\" to an address: %s", r->hosts[i],
				 uv_strerror(l->status ? l->status : UV_EAI_NONAME));
		for (size_t k = 0; k < n; k++, entries++) {
			sb_add(&host, r->hosts[i]);
			sb_add(&addr, l ? l->addrs[k] : socket_path(r->hosts[i]) ? "" : r->hosts[i]);
			if (r->ports[i])
				sb_add(&port, r->ports[i]);
		}
	}
	pg_params *p = NULL;
	if (entries && !host.oom && !addr.oom && !port.oom) {
		p = r->base;
		if (params_set(p, "host", host.s) < 0 || params_set(p, "hostaddr", addr.s) < 0 ||
		    (port.s && params_set(p, "port", port.s) < 0) ||
		    (!port.s && r->port_all && params_set(p, "port", r->port_all) < 0))
			p = NULL;
		else
			r->base = NULL;
		if (!p)
			snprintf(err, errlen, "out of memory");
	} else if (entries) {
		snprintf(err, errlen, "out of memory");
	}
	free(host.s);
	free(addr.s);
	free(port.s);
	return p;
}

static void on_lookup(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
	lookup *l = req->data;
	pg_resolve *r = l->r;
	l->status = status;
	for (struct addrinfo *a = status == 0 ? res : NULL; a && l->naddrs < MAX_ADDRS; a = a->ai_next) {
		char name[64];
		if (a->ai_family == AF_INET)
			uv_ip4_name((const struct sockaddr_in *)a->ai_addr, name, sizeof name);
		else if (a->ai_family == AF_INET6)
			uv_ip6_name((const struct sockaddr_in6 *)a->ai_addr, name, sizeof name);
		else
			continue;
		bool dup = false;
		for (size_t k = 0; k < l->naddrs; k++)
			dup = dup || strcmp(l->addrs[k], name) == 0;
		if (!dup && (l->addrs[l->naddrs] = strdup(name)))
			l->naddrs++;
	}
	uv_freeaddrinfo(res);
	if (--r->pending > 0)
		return;
	if (!r->cancelled) {
		char err[256] = "";
		pg_params *p = resolved_params(r, err, sizeof err);
		r->cb(r->ud, p, p ? NULL : err);
	}
	resolve_free(r);
}

void pg_resolve_cancel(pg_resolve *r)
{
	if (!r)
		return;
	r->cancelled = true;
	for (size_t i = 0; i < r->nhosts; i++)
		if (r->lk[i])
			uv_cancel((uv_req_t *)&r->lk[i]->req);
}

/* Every option of conninfo that is set, and then extra's, into *base; host,
 * hostaddr and port (or their environment variables) apart. */
static int parse(const char *conninfo, const char *const *extra, pg_params **base, char **host, char **hostaddr,
		 char **port, char *err, size_t errlen)
{
	char *msg = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo ? conninfo : "", &msg);
	if (!opts) {
		snprintf(err, errlen, "invalid connection string: %s", msg ? msg : "out of memory");
		err[strcspn(err, "\n")] = '\0';
		PQfreemem(msg);
		return -1;
	}
	pg_params *p = params_new();
	int rc = p ? 0 : -1;
	const char *h = getenv("PGHOST"), *ha = getenv("PGHOSTADDR"), *pt = getenv("PGPORT");
	for (PQconninfoOption *o = opts; p && o->keyword && rc == 0; o++) {
		if (!o->val)
			continue;
		if (strcmp(o->keyword, "host") == 0)
			h = o->val;
		else if (strcmp(o->keyword, "hostaddr") == 0)
			ha = o->val;
		else if (strcmp(o->keyword, "port") == 0)
			pt = o->val;
		else
			rc = params_set(p, o->keyword, o->val);
	}
	for (size_t i = 0; rc == 0 && extra && extra[i] && extra[i + 1]; i += 2)
		rc = params_set(p, extra[i], extra[i + 1]);
	*host = h && *h ? strdup(h) : NULL;
	*hostaddr = ha && *ha ? strdup(ha) : NULL;
	*port = pt && *pt ? strdup(pt) : NULL;
	bool oom = rc < 0 || (h && *h && !*host) || (ha && *ha && !*hostaddr) || (pt && *pt && !*port);
	PQconninfoFree(opts); /* h, ha and pt may point into it */
	if (oom) {
		pg_params_free(p);
		free(*host);
		free(*hostaddr);
		free(*port);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	*base = p;
	return 0;
}

/* The hosts and ports into r; true when some name needs a lookup. */
static bool plan(pg_resolve *r, const char *host, const char *port)
{
	long nh = split(host, r->hosts, MAX_HOSTS);
	if (nh <= 0)
		return false;
	r->nhosts = (size_t)nh;
	char *ports[MAX_HOSTS];
	long np = port ? split(port, ports, MAX_HOSTS) : 0;
	if (np > 1 && np != nh) {
		for (long i = 0; i < np; i++)
			free(ports[i]);
		return false; /* libpq refuses this itself, before any lookup */
	}
	for (long i = 0; i < np; i++) {
		if (np > 1)
			r->ports[i] = ports[i];
		else
			r->port_all = ports[i];
	}
	bool any = false;
	for (size_t i = 0; i < r->nhosts; i++)
		any = any || !(socket_path(r->hosts[i]) || numeric_address(r->hosts[i]));
	return any;
}

/* Starts the lookups of r's names; false when none could start. */
static bool start_lookups(uv_loop_t *loop, pg_resolve *r)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
	for (size_t i = 0; i < r->nhosts; i++) {
		if (socket_path(r->hosts[i]) || numeric_address(r->hosts[i]))
			continue;
		lookup *l = calloc(1, sizeof *l);
		if (!l)
			continue;
		l->r = r;
		l->req.data = l;
		r->lk[i] = l;
		r->pending++;
		if (uv_getaddrinfo(loop, &l->req, on_lookup, r->hosts[i], NULL, &hints) != 0) {
			r->pending--; /* counted as a name without addresses */
			l->status = UV_EAI_FAIL;
		}
	}
	return r->pending > 0;
}

int pg_resolve_start(uv_loop_t *loop, const char *conninfo, const char *const *extra, pg_resolve_cb cb, void *ud,
		     pg_params **ready, pg_resolve **pending, char *err, size_t errlen)
{
	*ready = NULL;
	*pending = NULL;
	pg_params *base;
	char *host, *hostaddr, *port;
	if (parse(conninfo, extra, &base, &host, &hostaddr, &port, err, errlen) < 0)
		return -1;
	pg_resolve *r = calloc(1, sizeof *r);
	int rc = 0;
	bool lookups = r && !hostaddr && host && plan(r, host, port);
	if (!r) {
		rc = -1;
		snprintf(err, errlen, "out of memory");
	} else if (lookups) {
		r->cb = cb;
		r->ud = ud;
		if (start_lookups(loop, r)) {
			r->base = base;
			*pending = r;
			base = NULL;
			r = NULL;
		} else {
			rc = -1;
			snprintf(err, errlen, "cannot start looking up the host name \"%s\"", host);
		}
	} else if ((host && params_set(base, "host", host) < 0) || (hostaddr && params_set(base, "hostaddr", hostaddr) < 0) ||
		   (port && params_set(base, "port", port) < 0)) {
		rc = -1;
		snprintf(err, errlen, "out of memory");
	} else {
		*ready = base;
		base = NULL;
	}
	if (r)
		resolve_free(r);
	pg_params_free(base);
	free(host);
	free(hostaddr);
	free(port);
	return rc;
}
