/* Streamed replies (see http.h): bytes written by the application wait in
 * a buffer until libmicrohttpd asks for them (stream_reader). With nothing
 * to send the reader suspends the connection; a write resumes it. */
#include "server/http_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "server/metrics.h"

struct http_stream {
	http_req *r;
	char *buf;
	size_t len, cap;
	bool ended, failed;
	bool suspended;  /* suspended by the reader, waiting for data */
	bool closed;     /* the request completed (or the client left) */
	size_t low_water;
	void (*on_drain)(void *ud);
	void (*on_close)(void *ud);
	void *ud;
};

static void stream_wake(http_stream *st)
{
	if (st->suspended && st->r) {
		st->suspended = false;
		http_req_resume(st->r);
	}
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	http_stream *st = cls;
	if (st->len > 0) {
		size_t n = st->len < max ? st->len : max;
		memcpy(out, st->buf, n);
		memmove(st->buf, st->buf + n, st->len - n);
		st->len -= n;
		if (st->len <= st->low_water && st->on_drain)
			st->on_drain(st->ud);
		return (ssize_t)n;
	}
	if (st->ended)
		return st->failed ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
	/* Nothing yet: park the connection until the next write. */
	st->suspended = true;
	MHD_suspend_connection(http_req_connection(st->r));
	return 0;
}

http_stream *http_reply_stream(http_req *r, unsigned status, const char *content_type, size_t low_water)
{
	http_stream *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->r = r;
	st->low_water = low_water;
	struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_reader, st, NULL);
	if (!resp) {
		free(st);
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	/* For reverse proxies: pass every event on at once. */
	MHD_add_response_header(resp, "Cache-Control", "no-cache");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	http_req_set_stream(r, st);
	metrics_stream_opened();
	http_req_set_response(r, status, resp);
	return st;
}

void http_stream_release(http_stream *st)
{
	metrics_stream_closed();
	st->closed = true;
	st->r = NULL;
	if (st->on_close)
		st->on_close(st->ud);
	free(st->buf);
	free(st);
}

void http_stream_set_callbacks(http_stream *st, void (*on_drain)(void *ud), void (*on_close)(void *ud), void *ud)
{
	st->on_drain = on_drain;
	st->on_close = on_close;
	st->ud = ud;
}

void http_stream_add_header(http_stream *st, const char *name, const char *value)
{
	if (st->r)
		http_req_add_header(st->r, name, value);
}

int http_stream_write(http_stream *st, const char *data, size_t len)
{
	if (st->closed || st->ended)
		return -1;
	if (st->len + len > st->cap) {
		size_t cap = st->cap ? st->cap : 4096;
		while (cap < st->len + len)
			cap *= 2;
		char *nb = realloc(st->buf, cap);
		if (!nb)
			return -1;
		st->buf = nb;
		st->cap = cap;
	}
	memcpy(st->buf + st->len, data, len);
	st->len += len;
	stream_wake(st);
	return 0;
}

size_t http_stream_buffered(const http_stream *st)
{
	return st->len;
}

void http_stream_end(http_stream *st, bool failed)
{
	if (st->closed || st->ended)
		return;
	st->ended = true;
	st->failed = failed;
	stream_wake(st);
}

bool http_stream_peer_gone(http_stream *st)
{
	if (!st->r)
		return true;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(http_req_connection(st->r), MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	char b;
	ssize_t n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}
