/* Cross-origin requests from browsers: the origins of CORS_ORIGINS and the
 * answer to a preflight. */
#ifndef CC_HTTP_CORS_H
#define CC_HTTP_CORS_H
#include <stdbool.h>

#include "server/http.h"

typedef struct http_cors http_cors;

/* Parses CORS_ORIGINS (comma-separated; "*" for any origin); NULL when it
 * is unset or empty (or out of memory: no origin is then allowed). */
http_cors *http_cors_parse(const char *list);
void http_cors_free(http_cors *c);
bool http_cors_allowed(const http_cors *c, const char *origin);
/* A browser's preflight (OPTIONS with Origin and
 * Access-Control-Request-Method): answered here for any path. An origin
 * outside the list gets 403 and no CORS headers, so the browser refuses. */
void http_cors_preflight(const http_cors *c, http_req *r, const char *origin);

#endif
