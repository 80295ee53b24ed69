/* CORS (see http_cors.h). */
#include "server/http_cors.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct http_cors {
	char **origins; /* NULL-terminated */
	bool any;
};

bool http_cors_allowed(const http_cors *c, const char *origin)
{
	if (!c)
		return false;
	if (c->any)
		return true;
	for (char **o = c->origins; *o; o++)
		if (strcasecmp(*o, origin) == 0)
			return true;
	return false;
}

http_cors *http_cors_parse(const char *list)
{
	if (!list || !*list)
		return NULL;
	size_t n = 1;
	for (const char *p = list; *p; p++)
		n += *p == ',';
	http_cors *c = calloc(1, sizeof *c);
	if (c && !(c->origins = calloc(n + 1, sizeof *c->origins))) {
		free(c);
		return NULL;
	}
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
		else if (l && (c->origins[k] = strndup(p, l)))
			k++;
		p += len + (p[len] == ',');
	}
	return c;
}

void http_cors_free(http_cors *c)
{
	if (!c)
		return;
	for (char **o = c->origins; *o; o++)
		free(*o);
	free(c->origins);
	free(c);
}

#define CORS_METHODS "GET, POST, DELETE, OPTIONS"
#define CORS_HEADERS "Authorization, Content-Type, X-Request-Id, X-Deletion-Token"

void http_cors_preflight(const http_cors *c, http_req *r, const char *origin)
{
	if (!http_cors_allowed(c, origin)) {
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
