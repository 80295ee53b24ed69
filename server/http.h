/* The HTTP layer: libmicrohttpd in epoll mode driven by the libuv loop,
 * per-request contexts, suspend/resume, and reply helpers.
 *
 * A handler runs on the loop thread once the request body is complete. It
 * either replies at once (http_reply_*) or starts asynchronous work and
 * returns; the connection is then suspended until the work calls a reply
 * function, which resumes it. A request context lives until libmicrohttpd
 * reports the request completed; while suspended it cannot complete, so
 * asynchronous work may always touch its request until it replies. */
#ifndef CC_HTTP_H
#define CC_HTTP_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "server/config.h"
#include "server/errors.h"
#include "server/router.h"

typedef struct http_server http_server;
typedef struct http_req http_req;
typedef void (*http_handler)(http_req *r);

/* Starts listening on host:port (the limits come from cfg). app is handed
 * to handlers. Returns NULL with a message in err. */
http_server *http_server_start(uv_loop_t *loop, const config *cfg, const char *host, unsigned port,
			       http_routes which, void *app, char *err, size_t errlen);

/* A check run once a request's headers are in, before its body is read,
 * for routes that name a scope: returns true to go on, or replies (an
 * error) and returns false. */
typedef bool (*http_gate)(http_req *r, const char *scope, void *ud);
void http_server_set_gate(http_server *s, http_gate gate, void *ud);

/* The port actually bound (useful with PORT=0). */
unsigned http_server_port(const http_server *s);

/* Stops accepting new connections; requests in flight go on. */
void http_server_quiesce(http_server *s);
/* From now on every new request, and every request whose handler has not
 * run yet, is answered 503 (not_ready, shutting_down) with Connection:
 * close: for the time after the drain deadline, when what handlers use is
 * gone. Accepts NULL. */
void http_server_refuse(http_server *s);

/* Requests whose context exists (received, not yet completed). */
unsigned http_server_inflight(const http_server *s);

/* Called each time a request completes (e.g. to finish a drain). */
void http_server_on_idle(http_server *s, void (*cb)(void *ud), void *ud);

/* Stops the daemon and frees the server; done runs once its handles closed.
 * Every request must have completed or been answered. */
void http_server_stop(http_server *s, void (*done)(void *ud), void *ud);

/* ---- for handlers ---- */
void *http_req_app(http_req *r);
const char *http_req_id(const http_req *r);
const char *http_req_method(const http_req *r);
/* i-th path parameter of the route ({...} segments), NUL-terminated. */
const char *http_req_param(const http_req *r, int i);
/* Query argument (decoded) or NULL. */
const char *http_req_query(http_req *r, const char *key);
const char *http_req_header(http_req *r, const char *name);
const char *http_req_body(const http_req *r, size_t *len);
/* The matched route's pattern, or NULL. */
const char *http_req_route(const http_req *r);

/* A header for the reply (copied; at most HTTP_MAX_EXTRA_HEADERS before
 * the reply, any number once it is set). */
#define HTTP_MAX_EXTRA_HEADERS 8
void http_req_add_header(http_req *r, const char *name, const char *value);
/* A field for the request's log line (value stolen). Never message text:
 * counts, durations, names from fixed sets. */
void http_req_log(http_req *r, const char *key, json_t *value);
/* Who the request acts for (malloc'd; freed with the request), and a
 * label safe to log for it (copied, at most 15 bytes). */
void http_req_set_principal(http_req *r, void *p, const char *label);
void *http_req_principal(const http_req *r);

/* Replies; exactly one per request. body is stolen. */
void http_reply_json(http_req *r, unsigned status, json_t *body);
/* {"error": {"code", "message", "details"?}, "request_id"}; message NULL
 * means the registry's; details stolen, may be NULL. Never put message text
 * of a user into message or details. */
void http_reply_error(http_req *r, err_code code, const char *message, json_t *details);
/* Static data (not copied, must outlive the reply); content_type NULL for
 * none (204). */
void http_reply_static(http_req *r, unsigned status, const char *content_type, const void *data, size_t len);
/* A malloc'd buffer, stolen (freed once sent). */
void http_reply_buffer(http_req *r, unsigned status, const char *content_type, char *data, size_t len);

/* ---- streamed replies (Server-Sent Events) ----
 * A stream replaces the one reply of a request. Writes are buffered until
 * the client takes them; the writer watches http_stream_buffered() and
 * stops its producer above a limit of its choice, to be told by on_drain
 * when the buffer is back at low_water. on_close runs once when the request
 * is over, because it completed or the client went away: after it the
 * stream must not be used. */
typedef struct http_stream http_stream;
http_stream *http_reply_stream(http_req *r, unsigned status, const char *content_type, size_t low_water);
void http_stream_set_callbacks(http_stream *st, void (*on_drain)(void *ud), void (*on_close)(void *ud), void *ud);
/* Adds a header to the stream's response (before its first write). */
void http_stream_add_header(http_stream *st, const char *name, const char *value);
/* Returns 0, or -1 when the stream is over or memory ran out. */
int http_stream_write(http_stream *st, const char *data, size_t len);
size_t http_stream_buffered(const http_stream *st);
/* No more data; failed ends the chunked body abnormally. */
void http_stream_end(http_stream *st, bool failed);
/* True when the client has closed its side (checked without reading):
 * libmicrohttpd does not watch a connection while it waits for data, so a
 * silent stream asks this now and then. */
bool http_stream_peer_gone(http_stream *st);

#endif
