/* What http.c's request context lends the streamed replies of
 * http_stream.c, and what it asks of them; nothing else includes this. */
#ifndef CC_HTTP_INTERNAL_H
#define CC_HTTP_INTERNAL_H
#include <microhttpd.h>

#include "server/http.h"

/* The request's libmicrohttpd connection. */
struct MHD_Connection *http_req_connection(const http_req *r);
/* Resumes the request's suspended connection and runs the daemon on the
 * next loop turn to send what is queued (the resume alone does not wake
 * its epoll descriptor). */
void http_req_resume(http_req *r);
/* Makes resp the request's one reply (stolen; NULL: out of memory, 500)
 * and resumes the request if it waits. */
void http_req_set_response(http_req *r, unsigned status, struct MHD_Response *resp);
/* The stream that replaces the request's reply: released with it. */
void http_req_set_stream(http_req *r, http_stream *st);

/* The request is over (completed, or the client left): on_close runs and
 * the stream is freed. */
void http_stream_release(http_stream *st);

#endif
