/* Unit tests for server/router.c: the route table and path matching. */
#include <stdio.h>
#include <string.h>

#include "server/router.h"
#include "tests/unit/check.h"

struct match {
	enum router_result res;
	const route *route;
	char params[HTTP_MAX_PARAMS][128];
	int nparams;
	char allow[64];
};

static enum router_result run(const char *method, const char *path, struct match *m)
{
	memset(m, 0, sizeof *m);
	m->nparams = -1;
	m->res = router_match(HTTP_ROUTES_ALL, method, path, &m->route, m->params, &m->nparams, m->allow, sizeof m->allow);
	return m->res;
}

static const route *find_route(const char *method, const char *pattern)
{
	for (size_t i = 0; i < routes_count; i++)
		if (strcmp(routes[i].method, method) == 0 && strcmp(routes[i].pattern, pattern) == 0)
			return &routes[i];
	return NULL;
}

static void test_table(void)
{
	CHECK(routes_count >= 5);
	CHECK(find_route("GET", "/healthz") != NULL);
	CHECK(find_route("GET", "/readyz") != NULL);
	CHECK(find_route("GET", "/cultures") != NULL);
	CHECK(find_route("GET", "/cultures/{code}/signals") != NULL);
	CHECK(find_route("GET", "/openapi.yaml") != NULL);
	for (size_t i = 0; i < routes_count; i++)
		CHECK(routes[i].handler != NULL);
}

static void test_static_paths(void)
{
	struct match m;
	const route *healthz = find_route("GET", "/healthz");

	CHECK_INT_EQ(run("GET", "/healthz", &m), ROUTE_FOUND);
	CHECK(m.route == healthz);
	CHECK_INT_EQ(m.nparams, 0);

	CHECK_INT_EQ(run("HEAD", "/healthz", &m), ROUTE_FOUND);
	CHECK(m.route == healthz);
	if (m.route)
		CHECK_STR_EQ(m.route->method, "GET");

	CHECK_INT_EQ(run("POST", "/healthz", &m), ROUTE_WRONG_METHOD);
	CHECK_STR_EQ(m.allow, "GET, HEAD");
	CHECK_INT_EQ(run("DELETE", "/cultures", &m), ROUTE_WRONG_METHOD);
	CHECK_STR_EQ(m.allow, "GET, HEAD");
	CHECK_INT_EQ(run("get", "/healthz", &m), ROUTE_WRONG_METHOD); /* methods are case-sensitive */

	CHECK_INT_EQ(run("GET", "/readyz", &m), ROUTE_FOUND);
	CHECK(m.route == find_route("GET", "/readyz"));
	CHECK_INT_EQ(run("GET", "/cultures", &m), ROUTE_FOUND);
	CHECK(m.route == find_route("GET", "/cultures"));
	CHECK_INT_EQ(run("GET", "/openapi.yaml", &m), ROUTE_FOUND);
	CHECK(m.route == find_route("GET", "/openapi.yaml"));

	CHECK_INT_EQ(run("GET", "/nope", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("POST", "/nope", &m), ROUTE_NOT_FOUND);
	/* "/" is the web page's route: exactly "/", nothing under it */
	CHECK_INT_EQ(run("GET", "/", &m), ROUTE_FOUND);
	CHECK(m.route == find_route("GET", "/"));
	CHECK_INT_EQ(run("GET", "/ui/app.js", &m), ROUTE_FOUND);
	CHECK_INT_EQ(run("GET", "/ui/", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/ui/a/b", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/healthz/", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/healthzz", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/health", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/HEALTHZ", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/cultures/", &m), ROUTE_NOT_FOUND);
}

static void test_params(void)
{
	struct match m;
	const route *signals = find_route("GET", "/cultures/{code}/signals");

	CHECK_INT_EQ(run("GET", "/cultures/chinese/signals", &m), ROUTE_FOUND);
	CHECK(m.route == signals);
	CHECK_INT_EQ(m.nparams, 1);
	CHECK_STR_EQ(m.params[0], "chinese");

	CHECK_INT_EQ(run("HEAD", "/cultures/german/signals", &m), ROUTE_FOUND);
	CHECK(m.route == signals);
	CHECK_STR_EQ(m.params[0], "german");

	CHECK_INT_EQ(run("POST", "/cultures/chinese/signals", &m), ROUTE_WRONG_METHOD);
	CHECK_STR_EQ(m.allow, "GET, HEAD");

	CHECK_INT_EQ(run("GET", "/cultures//signals", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/cultures/x/signals/extra", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/cultures/x/signals/", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/cultures/x/y/signals", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/cultures/x", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/cultures/x/", &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("GET", "/cultures/x/signal", &m), ROUTE_NOT_FOUND);

	/* parameter length: 127 bytes fit the 128-byte slot, longer do not match */
	char path[512], code[256];
	memset(code, 'c', 127);
	code[127] = '\0';
	snprintf(path, sizeof path, "/cultures/%s/signals", code);
	CHECK_INT_EQ(run("GET", path, &m), ROUTE_FOUND);
	CHECK_STR_EQ(m.params[0], code);

	memset(code, 'c', 128);
	code[128] = '\0';
	snprintf(path, sizeof path, "/cultures/%s/signals", code);
	CHECK_INT_EQ(run("GET", path, &m), ROUTE_NOT_FOUND);

	memset(code, 'c', 200);
	code[200] = '\0';
	snprintf(path, sizeof path, "/cultures/%s/signals", code);
	CHECK_INT_EQ(run("GET", path, &m), ROUTE_NOT_FOUND);
	CHECK_INT_EQ(run("POST", path, &m), ROUTE_NOT_FOUND);
}

/* With a metrics listener /metrics is served there only. */
static void test_route_sets(void)
{
	const route *metrics = find_route("GET", "/metrics"), *rt = NULL;
	char params[HTTP_MAX_PARAMS][128], allow[64];
	int n;
	CHECK(metrics != NULL);
	CHECK_INT_EQ(router_match(HTTP_ROUTES_ALL, "GET", "/metrics", &rt, params, &n, allow, sizeof allow), ROUTE_FOUND);
	CHECK(rt == metrics);
	CHECK_INT_EQ(router_match(HTTP_ROUTES_API, "GET", "/metrics", &rt, params, &n, allow, sizeof allow),
		     ROUTE_NOT_FOUND);
	CHECK_INT_EQ(router_match(HTTP_ROUTES_METRICS, "GET", "/metrics", &rt, params, &n, allow, sizeof allow),
		     ROUTE_FOUND);
	CHECK_INT_EQ(router_match(HTTP_ROUTES_METRICS, "GET", "/healthz", &rt, params, &n, allow, sizeof allow),
		     ROUTE_NOT_FOUND);
	CHECK_INT_EQ(router_match(HTTP_ROUTES_API, "GET", "/healthz", &rt, params, &n, allow, sizeof allow), ROUTE_FOUND);
	/* a known path with another method names its route (for logs, metrics) */
	rt = NULL;
	CHECK_INT_EQ(router_match(HTTP_ROUTES_API, "POST", "/cultures", &rt, params, &n, allow, sizeof allow),
		     ROUTE_WRONG_METHOD);
	CHECK(rt == find_route("GET", "/cultures"));
}

int main(void)
{
	test_table();
	test_static_paths();
	test_params();
	test_route_sets();
	return check_done();
}
