/* Cross-origin requests (CORS_ORIGINS) for the HTTP layer: the allowed
 * origins, the headers of an allowed origin's request and the answer to a
 * browser's preflight. Speaks to the request through http.h only. */
#ifndef CC_HTTP_CORS_H
#define CC_HTTP_CORS_H
#include <stdbool.h>

#include "server/http.h"

typedef struct http_cors http_cors;

/* Parses CORS_ORIGINS (comma-separated; "*" for any origin). NULL when the
 * list is empty (no CORS headers at all) or memory ran out. */
http_cors *http_cors_new(const char *list);
void http_cors_free(http_cors *c);

/* Run once a request's headers are in (c may be NULL): a preflight from an
 * origin is answered here (returns true); any other request from an
 * allowed origin gets the CORS headers for its reply (returns false). */
bool http_cors_apply(const http_cors *c, http_req *r);

#endif
