/* libmicrohttpd driven by libuv (see http.h).
 *
 * libmicrohttpd runs without threads of its own (MHD_USE_EPOLL, no internal
 * polling thread): a uv_poll watches its epoll descriptor and a uv_timer its
 * next timeout, and both call MHD_run(). Resuming a connection wakes the
 * daemon's epoll descriptor through its inter-thread channel, so the loop
 * calls MHD_run() again and the queued reply goes out.
 *
 * This file holds the daemon, the request context, its one reply and the
 * checks made before a body is read; streamed replies are in
 * http_stream.c, CORS in http_cors.c and the count of connections per
 * client address in http_conns.c. */
#include "server/http_internal.h"

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/http_conns.h"
#include "server/http_cors.h"
#include "server/log.h"
#include "server/metrics.h"
#include "server/router.h"
#include "server/util.h"

struct http_server {
	uv_loop_t *loop;
	const config *cfg;
	void *app;
	http_gate gate;
	void *gate_ud;
	http_cors *cors; /* CORS_ORIGINS, or NULL */
	http_conns *conns;
	uv_timer_t sweep; /* cuts off headers slower than REQUEST_TIMEOUT_MS */
	http_routes which;
	struct MHD_Daemon *d;
	uv_poll_t poll;
	uv_timer_t timer;
	unsigned handles_open;
	unsigned inflight;
	bool refusing; /* after the drain deadline: every request gets 503 */
	unsigned port;
	void (*idle_cb)(void *);
	void *idle_ud;
	void (*stopped_cb)(void *);
	void *stopped_ud;
};

enum req_state { REQ_READING, REQ_RUNNING, REQ_SUSPENDED, REQ_REPLIED };

struct http_req {
	http_server *srv;
	struct MHD_Connection *conn;
	const route *route;
	char method[16];
	char params[HTTP_MAX_PARAMS][128];
	int nparams;
	char request_id[129];
	uint64_t start_ns;
	enum req_state state;
	bool suspended;
	char *body;
	size_t body_len;
	bool too_large;
	struct MHD_Response *response;
	unsigned status;
	http_stream *stream; /* a streamed reply, or NULL */
	enum router_result match;
	char allow[64];
	char *extra[HTTP_MAX_EXTRA_HEADERS][2]; /* headers for the reply */
	int nextra;
	void *principal;     /* set by the gate; freed with the request */
	char principal_label[16]; /* for the request log (an API key prefix) */
	json_t *log_fields;  /* more for the request log (http_req_log) */
	http_conn *cx;       /* its connection (http_conns.h) */
};

/* ---- loop integration ---- */

static void run(http_server *s)
{
	MHD_run(s->d);
	MHD_UNSIGNED_LONG_LONG ms;
	if (MHD_get_timeout(s->d, &ms) == MHD_YES)
		uv_timer_start(&s->timer, s->timer.timer_cb, ms, 0);
	else
		uv_timer_stop(&s->timer);
}

static void on_poll(uv_poll_t *h, int status, int events)
{
	run(h->data);
}

static void on_timer(uv_timer_t *t)
{
	run(t->data);
}

/* ---- request context ---- */

static void req_free(http_req *r)
{
	if (!r)
		return;
	if (r->stream)
		http_stream_release(r->stream);
	if (r->response)
		MHD_destroy_response(r->response);
	for (int i = 0; i < r->nextra; i++) {
		free(r->extra[i][0]);
		free(r->extra[i][1]);
	}
	free(r->principal);
	json_decref(r->log_fields);
	free(r->body);
	free(r);
}

void http_req_log(http_req *r, const char *key, json_t *value)
{
	if (!r->log_fields)
		r->log_fields = json_object();
	json_object_set_new(r->log_fields, key, value);
}

void http_req_add_header(http_req *r, const char *name, const char *value)
{
	if (r->response) {
		MHD_add_response_header(r->response, name, value);
		return;
	}
	if (r->nextra >= HTTP_MAX_EXTRA_HEADERS)
		return;
	r->extra[r->nextra][0] = strdup(name);
	r->extra[r->nextra][1] = strdup(value);
	r->nextra++;
}

void http_req_set_principal(http_req *r, void *p, const char *label)
{
	free(r->principal);
	r->principal = p;
	snprintf(r->principal_label, sizeof r->principal_label, "%s", label ? label : "");
}

void *http_req_principal(const http_req *r)
{
	return r->principal;
}

const char *http_req_route(const http_req *r)
{
	return r->route ? r->route->pattern : NULL;
}

void *http_req_app(http_req *r)
{
	return r->srv->app;
}

const char *http_req_id(const http_req *r)
{
	return r->request_id;
}

const char *http_req_method(const http_req *r)
{
	return r->method;
}

const char *http_req_param(const http_req *r, int i)
{
	return i >= 0 && i < r->nparams ? r->params[i] : NULL;
}

const char *http_req_query(http_req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

const char *http_req_header(http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_req_body(const http_req *r, size_t *len)
{
	if (len)
		*len = r->body_len;
	return r->body ? r->body : "";
}

struct MHD_Connection *http_req_connection(const http_req *r)
{
	return r->conn;
}

void http_req_set_stream(http_req *r, http_stream *st)
{
	r->stream = st;
}

void http_req_resume(http_req *r)
{
	MHD_resume_connection(r->conn);
	uv_timer_start(&r->srv->timer, r->srv->timer.timer_cb, 0, 0);
}

void http_req_set_response(http_req *r, unsigned status, struct MHD_Response *resp)
{
	if (r->state == REQ_REPLIED || !resp) {
		/* A second reply is a bug in a handler; keep the first. */
		if (resp)
			MHD_destroy_response(resp);
		if (!resp)
			log_json(LOG_ERROR, "cannot create response", json_pack("{s:s}", "request_id", r->request_id));
		if (r->state == REQ_REPLIED)
			return;
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		status = 500;
		if (!resp)
			return;
	}
	MHD_add_response_header(resp, "X-Request-Id", r->request_id);
	for (int i = 0; i < r->nextra; i++)
		if (r->extra[i][0] && r->extra[i][1])
			MHD_add_response_header(resp, r->extra[i][0], r->extra[i][1]);
	if (!MHD_get_response_header(resp, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	r->response = resp;
	r->status = status;
	r->state = REQ_REPLIED;
	if (r->suspended) {
		r->suspended = false;
		http_req_resume(r);
	}
}

void http_reply_json(http_req *r, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(body);
	struct MHD_Response *resp = NULL;
	if (text) {
		size_t len = strlen(text);
		text[len] = '\n'; /* replaces the NUL: the buffer is length-delimited */
		resp = MHD_create_response_from_buffer(len + 1, text, MHD_RESPMEM_MUST_FREE);
		if (!resp)
			free(text);
		else
			MHD_add_response_header(resp, "Content-Type", "application/json");
	}
	http_req_set_response(r, status, resp);
}

void http_reply_error(http_req *r, err_code code, const char *message, json_t *details)
{
	const err_info *e = err_lookup(code);
	json_t *err = json_pack("{s:s,s:s}", "code", e->name, "message", message ? message : e->message);
	if (details)
		json_object_set_new(err, "details", details);
	json_t *body = json_pack("{s:o,s:s}", "error", err, "request_id", r->request_id);
	http_reply_json(r, e->status, body);
}

void http_reply_static(http_req *r, unsigned status, const char *content_type, const void *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_PERSISTENT);
	if (resp && content_type)
		MHD_add_response_header(resp, "Content-Type", content_type);
	http_req_set_response(r, status, resp);
}

void http_reply_buffer(http_req *r, unsigned status, const char *content_type, char *data, size_t len)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (resp)
		MHD_add_response_header(resp, "Content-Type", content_type);
	else
		free(data);
	http_req_set_response(r, status, resp);
}

static void reply_method_not_allowed(http_req *r, const char *allow)
{
	const err_info *e = err_lookup(ERR_METHOD_NOT_ALLOWED);
	json_t *body = json_pack("{s:{s:s,s:s,s:{s:s}},s:s}", "error", "code", e->name, "message", e->message,
				 "details", "allow", allow, "request_id", r->request_id);
	http_reply_json(r, e->status, body);
	if (r->response)
		MHD_add_response_header(r->response, "Allow", allow);
}

/* ---- libmicrohttpd callbacks ---- */

static http_req *req_new(http_server *s, struct MHD_Connection *conn, const char *method)
{
	http_req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->srv = s;
	r->conn = conn;
	r->start_ns = now_ns();
	snprintf(r->method, sizeof r->method, "%s", method);
	const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	if (request_id_valid(rid))
		snprintf(r->request_id, sizeof r->request_id, "%s", rid);
	else
		uuid_v4(r->request_id);
	s->inflight++;
	metrics_http_begin();
	return r;
}

/* After the drain deadline the application's pool and backend client are
 * gone: a request that still comes on a kept-alive connection is answered
 * 503 and its connection closed. */
static bool refused(http_req *r)
{
	if (!r->srv->refusing)
		return false;
	http_reply_error(r, ERR_NOT_READY, "The service is shutting down.", json_pack("{s:s}", "reason", "shutting_down"));
	http_req_add_header(r, "Connection", "close");
	return true;
}

static void dispatch(http_req *r)
{
	if (refused(r))
		return;
	if (r->too_large) {
		http_reply_error(r, ERR_BODY_TOO_LARGE, NULL,
				 json_pack("{s:I}", "max_bytes", (json_int_t)r->srv->cfg->max_body_bytes));
		return;
	}
	switch (r->match) {
	case ROUTE_FOUND:
		r->state = REQ_RUNNING;
		r->route->handler(r);
		return;
	case ROUTE_WRONG_METHOD:
		reply_method_not_allowed(r, r->allow);
		return;
	case ROUTE_NOT_FOUND:
		http_reply_error(r, ERR_NOT_FOUND, "No such route.", NULL);
		return;
	}
}

static enum MHD_Result queue(http_req *r)
{
	enum MHD_Result ret = MHD_queue_response(r->conn, r->status, r->response);
	MHD_destroy_response(r->response);
	r->response = NULL;
	return ret;
}

/* ---- connections ---- */

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	http_server *s = cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		const union MHD_ConnectionInfo *fd = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		*socket_context = fd ? http_conns_open(s->conns, fd->connect_fd, ci ? ci->client_addr : NULL, now_ns())
				     : NULL;
	} else if (code == MHD_CONNECTION_NOTIFY_CLOSED && *socket_context) {
		http_conns_close(s->conns, *socket_context);
		*socket_context = NULL;
	}
}

/* Connections still waiting for a request's headers REQUEST_TIMEOUT_MS
 * after they began to wait are shut down (a slow sender of headers is
 * closed like a slow sender of a body). The memory a peak of connections
 * held is given back by the process's memtrim (server/memtrim.h). */
static void on_sweep(uv_timer_t *t)
{
	http_server *s = t->data;
	uint64_t now = now_ns(), limit = (uint64_t)s->cfg->request_timeout_ms * 1000000u;
	unsigned n = now > limit ? http_conns_expire(s->conns, now - limit) : 0;
	if (n > 0)
		log_json(LOG_INFO, "slow connections closed",
			 json_pack("{s:i,s:s}", "connections", (int)n, "reason", "request headers too slow"));
}

/* Checks made once the headers are in, before any body is read: CORS,
 * connections per address, and the application's gate (keys, limits).
 * Returns true when the request has been answered. */
static bool before_body(http_server *s, http_req *r)
{
	if (refused(r))
		return true;
	if (http_cors_apply(s->cors, r))
		return true;
	if (s->cfg->max_connections_per_ip && http_conns_same_address(r->cx) > s->cfg->max_connections_per_ip) {
		http_reply_error(r, ERR_TOO_MANY_CONNECTIONS, NULL,
				 json_pack("{s:i}", "max_connections_per_ip", (int)s->cfg->max_connections_per_ip));
		http_req_add_header(r, "Retry-After", "1");
		http_req_add_header(r, "Connection", "close");
		return true;
	}
	if (r->match == ROUTE_FOUND && r->route->scope && s->gate && !s->gate(r, r->route->scope, s->gate_ud)) {
		if (r->state != REQ_REPLIED)
			http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return true;
	}
	return false;
}

/* A piece of the body: appended, or dropped with all before it once the
 * body is over MAX_BODY_BYTES (the request is answered 413 when it is all
 * in). MHD_NO closes the connection: out of memory, or a body trickling in
 * past REQUEST_TIMEOUT_MS (libmicrohttpd cannot answer in the middle of a
 * body; the request log says 408). */
static enum MHD_Result read_body(http_req *r, const char *data, size_t *size)
{
	const config *cfg = r->srv->cfg;
	if (r->state == REQ_READING && now_ns() - r->start_ns > (uint64_t)cfg->request_timeout_ms * 1000000u) {
		r->status = 408;
		return MHD_NO;
	}
	if (!r->too_large && r->body_len + *size > cfg->max_body_bytes) {
		r->too_large = true;
		free(r->body);
		r->body = NULL;
		r->body_len = 0;
	} else if (!r->too_large) {
		char *nb = realloc(r->body, r->body_len + *size + 1);
		if (!nb)
			return MHD_NO;
		memcpy(nb + r->body_len, data, *size);
		r->body = nb;
		r->body_len += *size;
		r->body[r->body_len] = '\0';
	}
	*size = 0;
	return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
				 const char *method, const char *version, const char *upload_data,
				 size_t *upload_size, void **con_cls)
{
	http_server *s = cls;
	http_req *r = *con_cls;
	if (!r) {
		r = req_new(s, conn, method);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		r->cx = ci ? ci->socket_context : NULL;
		http_conns_busy(s->conns, r->cx);
		r->match = router_match(s->which, r->method, url, &r->route, r->params, &r->nparams, r->allow, sizeof r->allow);
		if (before_body(s, r))
			return queue(r);
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
		unsigned long long n;
		if (cl && config_parse_uint(cl, 0, ~0ull, &n) == 0 && n > s->cfg->max_body_bytes) {
			r->too_large = true;
			dispatch(r);
			return queue(r);
		}
		return MHD_YES;
	}
	if (*upload_size > 0)
		return read_body(r, upload_data, upload_size);
	if (r->state == REQ_READING)
		dispatch(r);
	if (r->state == REQ_REPLIED && r->response)
		return queue(r);
	if (r->state == REQ_RUNNING) {
		/* The handler went asynchronous: wait without holding a thread. */
		r->state = REQ_SUSPENDED;
		r->suspended = true;
		MHD_suspend_connection(conn);
	}
	return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	http_server *s = cls;
	http_req *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	double ms = (double)(now_ns() - r->start_ns) / 1e6;
	metrics_http_end(r->route, r->method, r->status, ms / 1e3);
	json_t *f = json_pack("{s:s,s:s,s:s,s:i,s:f}", "request_id", r->request_id, "method", r->method,
			      "route", r->route ? r->route->pattern : "-", "status", (int)r->status,
			      "duration_ms", ms);
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		json_object_set_new(f, "terminated", json_integer(toe));
	if (r->principal_label[0])
		json_object_set_new(f, "key", json_string(r->principal_label));
	if (r->log_fields)
		json_object_update(f, r->log_fields);
	log_json(LOG_INFO, "request", f);
	http_conns_waiting(s->conns, r->cx, now_ns());
	req_free(r);
	s->inflight--;
	if (s->idle_cb)
		s->idle_cb(s->idle_ud);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_json(LOG_WARN, "http", json_pack("{s:s}", "detail", buf));
}

static void free_server(http_server *s)
{
	http_cors_free(s->cors);
	http_conns_free(s->conns);
	free(s);
}

void http_server_set_gate(http_server *s, http_gate gate, void *ud)
{
	s->gate = gate;
	s->gate_ud = ud;
}

http_server *http_server_start(uv_loop_t *loop, const config *cfg, const char *host, unsigned port,
			       http_routes which, void *app, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char service[16];
	snprintf(service, sizeof service, "%u", port);
	int gai = getaddrinfo(host, service, &hints, &ai);
	if (gai != 0 || !ai) {
		snprintf(err, errlen, "invalid address \"%s\": %s", host, gai_strerror(gai));
		return NULL;
	}
	http_server *s = calloc(1, sizeof *s);
	if (s && !(s->conns = http_conns_new())) {
		free(s);
		s = NULL;
	}
	if (!s) {
		freeaddrinfo(ai);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->loop = loop;
	s->cfg = cfg;
	s->app = app;
	s->cors = http_cors_new(cfg->cors_origins);
	s->which = which;
	unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_access, s,
				MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
				MHD_OPTION_SOCK_ADDR, ai->ai_addr,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)((cfg->request_timeout_ms + 999) / 1000),
				MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)4096,
				/* the request line and headers must fit in the
				 * connection's memory; bodies are read in pieces */
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, cfg->max_header_bytes + (size_t)2048,
				MHD_OPTION_END);
	freeaddrinfo(ai);
	if (!s->d) {
		snprintf(err, errlen, "cannot listen on %s:%u (address in use or not available)", host, port);
		free_server(s);
		return NULL;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : port;
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_EPOLL_FD);
	uv_poll_init(loop, &s->poll, info->epoll_fd);
	s->poll.data = s;
	uv_poll_start(&s->poll, UV_READABLE, on_poll);
	uv_timer_init(loop, &s->timer);
	s->timer.data = s;
	s->timer.timer_cb = on_timer;
	uv_timer_init(loop, &s->sweep);
	s->sweep.data = s;
	uint64_t every = cfg->request_timeout_ms / 4 > 250 ? cfg->request_timeout_ms / 4 : 250;
	uv_timer_start(&s->sweep, on_sweep, every, every);
	uv_unref((uv_handle_t *)&s->sweep);
	s->handles_open = 3;
	run(s);
	return s;
}

unsigned http_server_port(const http_server *s)
{
	return s->port;
}

void http_server_quiesce(http_server *s)
{
	MHD_socket fd = MHD_quiesce_daemon(s->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
}

void http_server_refuse(http_server *s)
{
	if (s)
		s->refusing = true;
}

unsigned http_server_inflight(const http_server *s)
{
	return s->inflight;
}

void http_server_on_idle(http_server *s, void (*cb)(void *ud), void *ud)
{
	s->idle_cb = cb;
	s->idle_ud = ud;
}

static void on_handle_closed(uv_handle_t *h)
{
	http_server *s = h->data;
	if (--s->handles_open > 0)
		return;
	void (*done)(void *) = s->stopped_cb;
	void *ud = s->stopped_ud;
	free_server(s);
	if (done)
		done(ud);
}

void http_server_stop(http_server *s, void (*done)(void *ud), void *ud)
{
	s->stopped_cb = done;
	s->stopped_ud = ud;
	s->idle_cb = NULL;
	uv_poll_stop(&s->poll);
	uv_timer_stop(&s->timer);
	uv_timer_stop(&s->sweep);
	MHD_stop_daemon(s->d);
	s->d = NULL;
	uv_close((uv_handle_t *)&s->poll, on_handle_closed);
	uv_close((uv_handle_t *)&s->timer, on_handle_closed);
	uv_close((uv_handle_t *)&s->sweep, on_handle_closed);
}
