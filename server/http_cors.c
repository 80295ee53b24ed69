/* CORS_ORIGINS (see http_cors.h). */
#include "server/http_cors.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http_cors {
	bool any;      /* "*" */
	char *list[];  /* allowed origins, NULL-terminated */
};

http_cors *http_cors_new(const char *list)
{
	if (!list || !*list)
		return NULL;
	size_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	http_cors *c = calloc(1, sizeof *c + (n + 1) * sizeof c->list[0]);
	size_t k = 0;
	for (const char *p = list; c && *p;) {
		size_t len = strcspn(p, ",");
		while (len && (*p == ' ' || *p == '\t')) {
			p++;
			len--;
		}
		size_t l = len;
		while (l && (p[l - 1] == ' ' || p[l - 1] == '/'))
			l--; /* "https://a.example/" is the origin "https://a.example" */
		if (l == 1 && *p == '*')
			c->any = true;
		else if (l)
			c->list[k++] = strndup(p, l);
		p += len + (p[len] == ',');
	}
	return c;
}

void http_cors_free(http_cors *c)
{
	if (!c)
		return;
	for (char **o = c->list; *o; o++)
		free(*o);
	free(c);
}

static bool allowed(const http_cors *c, const char *origin)
{
	if (c->any)
		return true;
	for (char *const *o = c->list; *o; o++)
		if (strcasecmp(*o, origin) == 0)
			return true;
	return false;
}

#define CORS_METHODS "GET, POST, DELETE, OPTIONS"
#define CORS_HEADERS "Authorization, Content-Type, X-Request-Id, X-Deletion-Token"

/* A browser's preflight (OPTIONS with Origin and
 * Access-Control-Request-Method): answered here for any path. An origin
 * outside the list gets 403 and no CORS headers, so the browser refuses. */
static void preflight(const http_cors *c, http_req *r, const char *origin)
{
	if (!allowed(c, origin)) {
		http_reply_error(r, ERR_ORIGIN_NOT_ALLOWED, NULL, NULL);
		return;
	}
	http_req_add_header(r, "Access-Control-Allow-Origin", origin);
	http_req_add_header(r, "Vary", "Origin");
	http_req_add_header(r, "Access-Control-Allow-Methods", CORS_METHODS);
	http_req_add_header(r, "Access-Control-Allow-Headers", CORS_HEADERS);
	http_req_add_header(r, "Access-Control-Max-Age", "600");
	http_reply_static(r, 204, NULL, "", 0);
}

bool http_cors_apply(const http_cors *c, http_req *r)
{
	const char *origin = http_req_header(r, "Origin");
	if (!c || !origin)
		return false;
	if (strcmp(http_req_method(r), "OPTIONS") == 0 && http_req_header(r, "Access-Control-Request-Method")) {
		preflight(c, r, origin);
		return true;
	}
	if (allowed(c, origin)) {
		http_req_add_header(r, "Access-Control-Allow-Origin", origin);
		http_req_add_header(r, "Access-Control-Expose-Headers", "X-Request-Id, Retry-After");
	}
	http_req_add_header(r, "Vary", "Origin");
	return false;
}
