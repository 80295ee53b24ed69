/* The route table: a static list of (method, path pattern, handler). */
#ifndef CC_ROUTER_H
#define CC_ROUTER_H
#include <stddef.h>

struct http_req;

/* Path parameters ({...} segments) a route has at most. */
#define HTTP_MAX_PARAMS 4

/* Which routes of the table a listener serves: all, all but /metrics (when
 * a listener of its own serves it), or /metrics only. */
typedef enum http_routes { HTTP_ROUTES_ALL, HTTP_ROUTES_API, HTTP_ROUTES_METRICS } http_routes;

typedef struct route {
	const char *method;  /* "GET", "POST", ... */
	const char *pattern; /* "/cultures/{code}/signals" */
	void (*handler)(struct http_req *r);
	const char *scope;   /* the API key scope it needs: support, annotate,
			      * admin, any (any valid key); NULL: public */
} route;

/* The table's size at most (fixed arrays of the metrics are this long). */
#define ROUTES_MAX 32

extern const route routes[];
extern const size_t routes_count;

enum router_result { ROUTE_FOUND, ROUTE_WRONG_METHOD, ROUTE_NOT_FOUND };

/* Matches path against the routes a listener serves (which). On ROUTE_FOUND
 * sets *out and copies path parameters into params (each at most param_size
 * bytes; longer ones do not match). On ROUTE_WRONG_METHOD sets *out to the
 * first route of that path (for logs and metrics: a known path) and writes
 * the allowed methods ("GET, HEAD") into allow. HEAD matches GET routes. */
enum router_result router_match(http_routes which, const char *method, const char *path, const route **out,
				char params[][128], int *nparams, char *allow, size_t allow_len);

#endif
