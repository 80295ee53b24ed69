/* Non-blocking libpq connection pool on libuv (see pool.h).
 *
 * Each connection is a small state machine:
 *   DOWN -> CONNECTING (PQconnectPoll) -> PREPARING (one PQsendPrepare per
 *   statement) -> IDLE <-> BUSY (PQsendQueryPrepared ... PQgetResult)
 * and back to DOWN on any error, from where a timer reconnects with backoff.
 * A uv_poll handle on PQsocket() drives it; the handle is allocated apart
 * from the connection because the socket changes on every reconnect and a
 * closing handle must stay valid until its close callback. */
#include "store/pool.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/util.h"
#include "store/pg_resolve.h"

#define MAX_QUEUE 65536
#define TICK_MS 100
#define RETRY_MIN_MS 100
#define RETRY_MAX_MS 2000

typedef struct query {
	struct query *next;
	const store_stmt *stmt;
	int nparams;
	char **values;
	store_cb cb;
	void *ud;
	uint64_t deadline_ns;
} query;

enum conn_state { C_DOWN, C_CONNECTING, C_PREPARING, C_IDLE, C_BUSY };

typedef struct conn {
	store_pool *pool;
	unsigned index;
	enum conn_state state;
	PGconn *pg;
	uv_poll_t *poll; /* NULL when not watching */
	int fd;
	int events;
	uv_timer_t retry; /* embedded: lives as long as the pool */
	unsigned backoff_ms;
	uint64_t deadline_ns; /* connect or query deadline */
	unsigned prep_next;   /* PREPARING: index of the statement being prepared */
	uint64_t prepared;    /* bit i: stmts[i] is prepared on this connection */
	query *q;             /* BUSY: the query running */
	PGresult *res;        /* BUSY/PREPARING: first result received */
	bool logged_down;     /* "connection failed" already logged for this outage */
	pg_resolve *resolving; /* CONNECTING: the host names being looked up, or NULL */
	char detail[256];      /* why a connection failed before libpq had one */
} conn;

struct store_pool {
	uv_loop_t *loop;
	char *conninfo;
	char options[64];
	unsigned size, timeout_ms;
	const store_stmt *const *stmts;
	unsigned nstmts;
	conn *conns;
	query *head, *tail;
	unsigned waiting;
	uv_timer_t tick;
	bool closing;
	unsigned open_handles;
	void (*closed_cb)(void *);
	void *closed_ud;
	store_stmt listen_stmt; /* "LISTEN channel", when listening */
	char listen_sql[96];
	void (*on_event)(void *, const char *);
	void *event_ud;
};

static void conn_connect(conn *c);
static void conn_fail(conn *c, const char *why);
static void conn_dispatch(conn *c);
static void pool_maybe_freed(store_pool *p);

static void query_free(query *q)
{
	if (!q)
		return;
	for (int i = 0; i < q->nparams; i++)
		free(q->values[i]);
	free(q->values);
	free(q);
}

static void query_finish(query *q, const PGresult *res, store_status st, const char *sqlstate)
{
	q->cb(q->ud, st == STORE_OK ? res : NULL, st, sqlstate);
	query_free(q);
}

static int stmt_index(const store_pool *p, const store_stmt *s)
{
	for (unsigned i = 0; i < p->nstmts; i++)
		if (p->stmts[i] == s)
			return (int)i;
	return -1;
}

/* ---- poll handle management ---- */

static void on_poll_closed(uv_handle_t *h)
{
	store_pool *p = h->data;
	free(h);
	p->open_handles--;
	pool_maybe_freed(p);
}

static void unwatch(conn *c)
{
	if (c->poll) {
		c->poll->data = c->pool;
		uv_close((uv_handle_t *)c->poll, on_poll_closed);
		c->poll = NULL;
	}
}

static void on_poll(uv_poll_t *h, int status, int events);

static void watch(conn *c, int events)
{
	int fd = PQsocket(c->pg);
	if (fd < 0) {
		conn_fail(c, "no socket");
		return;
	}
	if (c->poll && c->fd != fd)
		unwatch(c);
	if (!c->poll) {
		c->poll = malloc(sizeof *c->poll);
		if (!c->poll || uv_poll_init_socket(c->pool->loop, c->poll, fd) != 0) {
			free(c->poll);
			c->poll = NULL;
			conn_fail(c, "cannot watch socket");
			return;
		}
		c->pool->open_handles++;
		c->poll->data = c;
		c->fd = fd;
		c->events = 0;
	}
	if (c->events != events) {
		uv_poll_start(c->poll, events, on_poll);
		c->events = events;
	}
}

/* Flushes the output buffer, then waits for what the state needs. */
static void flush_and_watch(conn *c)
{
	int r = PQflush(c->pg);
	if (r < 0)
		conn_fail(c, "flush failed");
	else
		watch(c, r == 1 ? UV_READABLE | UV_WRITABLE : UV_READABLE);
}

/* ---- connection life cycle ---- */

static void on_retry(uv_timer_t *t)
{
	conn *c = t->data;
	if (!c->pool->closing && c->state == C_DOWN)
		conn_connect(c);
}

static bool any_alive(const store_pool *p)
{
	for (unsigned i = 0; i < p->size; i++)
		if (p->conns[i].state != C_DOWN)
			return true;
	return false;
}

static void fail_queue(store_pool *p)
{
	query *q = p->head;
	p->head = p->tail = NULL;
	p->waiting = 0;
	while (q) {
		query *next = q->next;
		query_finish(q, NULL, STORE_UNAVAILABLE, NULL);
		q = next;
	}
}

static void conn_fail(conn *c, const char *why)
{
	store_pool *p = c->pool;
	if (c->state == C_DOWN)
		return;
	if (!c->logged_down && !p->closing) {
		const char *detail = c->pg ? PQerrorMessage(c->pg) : c->detail;
		char line[256];
		snprintf(line, sizeof line, "%s", detail);
		line[strcspn(line, "\n")] = '\0';
		json_t *f = json_pack("{s:i,s:s,s:s}", "connection", (int)c->index, "reason", why,
				      "detail", line);
		log_json(LOG_WARN, "database connection down", f);
		c->logged_down = true;
	}
	pg_resolve_cancel(c->resolving);
	c->resolving = NULL;
	c->detail[0] = '\0';
	unwatch(c);
	if (c->pg)
		PQfinish(c->pg);
	c->pg = NULL;
	if (c->res)
		PQclear(c->res);
	c->res = NULL;
	c->state = C_DOWN;
	c->prepared = 0;
	query *q = c->q;
	c->q = NULL;
	if (q)
		query_finish(q, NULL, STORE_UNAVAILABLE, NULL);
	if (p->closing)
		return;
	c->backoff_ms = c->backoff_ms ? c->backoff_ms * 2 : RETRY_MIN_MS;
	if (c->backoff_ms > RETRY_MAX_MS)
		c->backoff_ms = RETRY_MAX_MS;
	uv_timer_start(&c->retry, on_retry, c->backoff_ms, 0);
	/* Fail fast: with no connection even trying, waiting helps nobody. */
	if (!any_alive(p))
		fail_queue(p);
}

static void conn_start(conn *c, pg_params *pp)
{
	c->pg = PQconnectStartParams(pp->keys, pp->vals, 0);
	pg_params_free(pp);
	if (!c->pg || PQstatus(c->pg) == CONNECTION_BAD) {
		conn_fail(c, "connect failed");
		return;
	}
	watch(c, UV_WRITABLE);
}

static void on_resolved(void *ud, pg_params *pp, const char *err)
{
	conn *c = ud;
	c->resolving = NULL;
	if (!pp) {
		snprintf(c->detail, sizeof c->detail, "%s", err);
		conn_fail(c, "host name lookup failed");
		return;
	}
	conn_start(c, pp);
}

/* libpq would look the host names up itself, blocking the loop: they are
 * looked up first on libuv's thread pool (store/pg_resolve.h). The connect
 * deadline covers the lookup. */
static void conn_connect(conn *c)
{
	store_pool *p = c->pool;
	const char *const extra[] = {"fallback_application_name", "culturecare", /* application_name wins */
				     "options", p->options, NULL};
	c->state = C_CONNECTING;
	c->deadline_ns = now_ns() + (uint64_t)p->timeout_ms * 1000000u;
	pg_params *pp;
	if (pg_resolve_start(p->loop, p->conninfo, extra, on_resolved, c, &pp, &c->resolving, c->detail,
			     sizeof c->detail) < 0) {
		conn_fail(c, "invalid connection string");
		return;
	}
	if (pp)
		conn_start(c, pp);
}

static int listen_start(conn *c);

static void prepare_next(conn *c)
{
	store_pool *p = c->pool;
	if (c->prep_next >= p->nstmts) {
		c->state = C_IDLE;
		if (c->logged_down)
			log_json(LOG_INFO, "database connection up", json_pack("{s:i}", "connection", (int)c->index));
		c->logged_down = false;
		c->backoff_ms = 0;
		watch(c, UV_READABLE);
		if (c->index == 0 && p->on_event && listen_start(c) == 0)
			return;
		conn_dispatch(c);
		return;
	}
	const store_stmt *s = p->stmts[c->prep_next];
	if (!PQsendPrepare(c->pg, s->name, s->sql, 0, NULL)) {
		conn_fail(c, "prepare failed");
		return;
	}
	flush_and_watch(c);
}

/* A statement's result arrived in full (PQgetResult returned NULL). */
static void conn_result_done(conn *c)
{
	store_pool *p = c->pool;
	PGresult *res = c->res;
	c->res = NULL;
	if (c->state == C_PREPARING) {
		const store_stmt *s = p->stmts[c->prep_next];
		if (res && PQresultStatus(res) == PGRES_COMMAND_OK) {
			c->prepared |= 1ull << c->prep_next;
		} else {
			/* Not fatal: the statement then runs unprepared, so a schema
			 * migrated after start-up is picked up. */
			const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
			log_json(LOG_DEBUG, "statement not prepared",
				 json_pack("{s:s,s:s?}", "statement", s->name, "sqlstate", st));
		}
		PQclear(res);
		c->prep_next++;
		prepare_next(c);
		return;
	}
	/* C_BUSY */
	query *q = c->q;
	c->q = NULL;
	c->state = C_IDLE;
	c->deadline_ns = 0;
	ExecStatusType est = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	if (est == PGRES_TUPLES_OK || est == PGRES_COMMAND_OK) {
		query_finish(q, res, STORE_OK, NULL);
	} else {
		const char *st = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
		/* The SQLSTATE and statement only: error texts can quote parameters. */
		log_json(LOG_WARN, "statement failed",
			 json_pack("{s:s,s:s?}", "statement", q->stmt->name, "sqlstate", st));
		bool lost = st && (strncmp(st, "08", 2) == 0 || strncmp(st, "57P", 3) == 0);
		query_finish(q, NULL, lost ? STORE_UNAVAILABLE : STORE_FAILED, st);
	}
	PQclear(res);
	if (c->state == C_IDLE && c->pg && PQstatus(c->pg) == CONNECTION_BAD)
		conn_fail(c, "connection lost");
	else
		conn_dispatch(c);
}

static void conn_read(conn *c)
{
	if (!PQconsumeInput(c->pg)) {
		conn_fail(c, "connection lost");
		return;
	}
	PGnotify *n;
	while (c->pg && (n = PQnotifies(c->pg)) != NULL) {
		char what[64];
		snprintf(what, sizeof what, "%s", n->extra ? n->extra : "");
		PQfreemem(n);
		if (c->pool->on_event)
			c->pool->on_event(c->pool->event_ud, what);
	}
	if (!c->pg)
		return;
	if (c->state == C_IDLE) {
		if (PQstatus(c->pg) == CONNECTION_BAD)
			conn_fail(c, "connection lost");
		return;
	}
	while (c->pg && !PQisBusy(c->pg)) {
		PGresult *r = PQgetResult(c->pg);
		if (!r) {
			conn_result_done(c);
			return;
		}
		if (!c->res)
			c->res = r;
		else
			PQclear(r);
	}
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	conn *c = h->data;
	if (status < 0)
		events = UV_READABLE | UV_WRITABLE; /* let libpq find the error */
	switch (c->state) {
	case C_CONNECTING: {
		PostgresPollingStatusType r = PQconnectPoll(c->pg);
		if (r == PGRES_POLLING_FAILED) {
			conn_fail(c, "connect failed");
		} else if (r == PGRES_POLLING_READING) {
			watch(c, UV_READABLE);
		} else if (r == PGRES_POLLING_WRITING) {
			watch(c, UV_WRITABLE);
		} else if (r == PGRES_POLLING_OK) {
			if (PQsetnonblocking(c->pg, 1) != 0) {
				conn_fail(c, "cannot set non-blocking");
				return;
			}
			c->state = C_PREPARING;
			c->prep_next = 0;
			c->prepared = 0;
			prepare_next(c);
		}
		return;
	}
	case C_PREPARING:
	case C_BUSY:
	case C_IDLE:
		if (events & UV_WRITABLE) {
			int r = PQflush(c->pg);
			if (r < 0) {
				conn_fail(c, "flush failed");
				return;
			}
			if (r == 0)
				watch(c, UV_READABLE);
		}
		if (c->pg && (events & UV_READABLE))
			conn_read(c);
		return;
	case C_DOWN:
		return;
	}
}

/* ---- running queries ---- */

static void conn_send(conn *c, query *q)
{
	store_pool *p = c->pool;
	int idx = stmt_index(p, q->stmt);
	int ok;
	const char *const *vals = (const char *const *)q->values;
	if (idx >= 0 && (c->prepared & (1ull << idx)))
		ok = PQsendQueryPrepared(c->pg, q->stmt->name, q->nparams, vals, NULL, NULL, 0);
	else
		ok = PQsendQueryParams(c->pg, q->stmt->sql, q->nparams, NULL, vals, NULL, NULL, 0);
	c->q = q;
	c->state = C_BUSY;
	c->deadline_ns = now_ns() + ((uint64_t)p->timeout_ms + 1000) * 1000000u;
	if (!ok) {
		conn_fail(c, "send failed");
		return;
	}
	flush_and_watch(c);
}

static void conn_dispatch(conn *c)
{
	store_pool *p = c->pool;
	if (c->state != C_IDLE || !p->head)
		return;
	query *q = p->head;
	p->head = q->next;
	if (!p->head)
		p->tail = NULL;
	p->waiting--;
	q->next = NULL;
	conn_send(c, q);
}

int store_pool_query(store_pool *p, const store_stmt *stmt, int nparams,
		     const char *const *values, store_cb cb, void *ud)
{
	if (!p || p->closing || !any_alive(p) || p->waiting >= MAX_QUEUE)
		return -1; /* NULL: the pool is gone (after the drain deadline) */
	query *q = calloc(1, sizeof *q);
	if (!q)
		return -1;
	q->stmt = stmt;
	q->cb = cb;
	q->ud = ud;
	q->deadline_ns = now_ns() + (uint64_t)p->timeout_ms * 1000000u;
	if (nparams > 0) {
		q->values = calloc((size_t)nparams, sizeof *q->values);
		if (!q->values) {
			free(q);
			return -1;
		}
		q->nparams = nparams;
		for (int i = 0; i < nparams; i++) {
			if (values[i] && !(q->values[i] = strdup(values[i]))) {
				query_free(q);
				return -1;
			}
		}
	}
	for (unsigned i = 0; i < p->size; i++) {
		if (p->conns[i].state == C_IDLE) {
			conn_send(&p->conns[i], q);
			return 0;
		}
	}
	if (p->tail)
		p->tail->next = q;
	else
		p->head = q;
	p->tail = q;
	p->waiting++;
	return 0;
}

/* Expires queued queries and connections stuck past their deadline. */
static void on_tick(uv_timer_t *t)
{
	store_pool *p = t->data;
	uint64_t now = now_ns();
	for (unsigned i = 0; i < p->size; i++) {
		conn *c = &p->conns[i];
		if ((c->state == C_CONNECTING || c->state == C_BUSY) && c->deadline_ns && now > c->deadline_ns)
			conn_fail(c, c->state == C_CONNECTING ? "connect timed out" : "query timed out");
	}
	query **pp = &p->head, *prev = NULL;
	while (*pp) {
		query *q = *pp;
		if (now > q->deadline_ns) {
			*pp = q->next;
			if (p->tail == q)
				p->tail = prev;
			p->waiting--;
			query_finish(q, NULL, STORE_UNAVAILABLE, NULL);
		} else {
			prev = q;
			pp = &q->next;
		}
	}
}

store_pool *store_pool_new(uv_loop_t *loop, const char *conninfo, unsigned size,
			   unsigned timeout_ms, const store_stmt *const *stmts)
{
	store_pool *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->loop = loop;
	p->conninfo = strdup(conninfo ? conninfo : "");
	p->size = size;
	p->timeout_ms = timeout_ms;
	p->stmts = stmts;
	while (stmts[p->nstmts])
		p->nstmts++;
	p->conns = calloc(size, sizeof *p->conns);
	if (!p->conninfo || !p->conns || p->nstmts > 64) {
		free(p->conninfo);
		free(p->conns);
		free(p);
		return NULL;
	}
	snprintf(p->options, sizeof p->options, "-c statement_timeout=%u", timeout_ms);
	uv_timer_init(loop, &p->tick);
	p->tick.data = p;
	p->open_handles++;
	uv_timer_start(&p->tick, on_tick, TICK_MS, TICK_MS);
	for (unsigned i = 0; i < size; i++) {
		conn *c = &p->conns[i];
		c->pool = p;
		c->index = i;
		c->fd = -1;
		uv_timer_init(loop, &c->retry);
		c->retry.data = c;
		p->open_handles++;
		conn_connect(c);
	}
	return p;
}

bool store_pool_connected(const store_pool *p)
{
	for (unsigned i = 0; i < p->size; i++)
		if (p->conns[i].state == C_IDLE || p->conns[i].state == C_BUSY)
			return true;
	return false;
}

void store_pool_stats_get(const store_pool *p, store_pool_stats *out)
{
	memset(out, 0, sizeof *out);
	out->size = p->size;
	out->waiting = p->waiting;
	for (unsigned i = 0; i < p->size; i++) {
		if (p->conns[i].state == C_IDLE || p->conns[i].state == C_BUSY)
			out->connected++;
		if (p->conns[i].state == C_BUSY)
			out->busy++;
	}
}

/* ---- closing ---- */

static void pool_maybe_freed(store_pool *p)
{
	if (!p->closing || p->open_handles > 0)
		return;
	void (*done)(void *) = p->closed_cb;
	void *ud = p->closed_ud;
	free(p->conns);
	free(p->conninfo);
	free(p);
	if (done)
		done(ud);
}

static void on_timer_closed(uv_handle_t *h)
{
	store_pool *p = h->data;
	p->open_handles--;
	pool_maybe_freed(p);
}

void store_pool_close(store_pool *p, void (*done)(void *ud), void *ud)
{
	if (!p) {
		if (done)
			done(ud);
		return;
	}
	p->closing = true;
	p->closed_cb = done;
	p->closed_ud = ud;
	fail_queue(p);
	for (unsigned i = 0; i < p->size; i++) {
		conn *c = &p->conns[i];
		conn_fail(c, "closing");
		c->retry.data = p;
		uv_close((uv_handle_t *)&c->retry, on_timer_closed);
	}
	uv_close((uv_handle_t *)&p->tick, on_timer_closed);
}

/* ---- notifications ---- */

static void on_listening(void *ud, const PGresult *res, store_status st, const char *sqlstate)
{
	store_pool *p = ud;
	if (st == STORE_OK && p->on_event && !p->closing)
		p->on_event(p->event_ud, NULL);
}

/* Sends LISTEN on c (idle). Returns 0 when sent. */
static int listen_start(conn *c)
{
	store_pool *p = c->pool;
	query *q = calloc(1, sizeof *q);
	if (!q)
		return -1;
	q->stmt = &p->listen_stmt;
	q->cb = on_listening;
	q->ud = p;
	q->deadline_ns = now_ns() + (uint64_t)p->timeout_ms * 1000000u;
	conn_send(c, q);
	return 0;
}

void store_pool_listen(store_pool *p, const char *channel, void (*on_event)(void *ud, const char *payload), void *ud)
{
	for (const char *s = channel; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return;
	snprintf(p->listen_sql, sizeof p->listen_sql, "LISTEN %s", channel);
	p->listen_stmt.name = "listen";
	p->listen_stmt.sql = p->listen_sql;
	p->on_event = on_event;
	p->event_ud = ud;
	conn *c = &p->conns[0];
	if (c->state == C_IDLE)
		listen_start(c);
}
