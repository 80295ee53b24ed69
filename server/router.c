/* Static route table and path matching; no regular expressions. */
#include "server/router.h"

#include <stdio.h>
#include <string.h>

#include "handlers/handlers.h"

const route routes[] = {
	{"GET", "/healthz", handler_healthz_get, NULL},
	{"GET", "/readyz", handler_readyz_get, NULL},
	{"GET", "/cultures", handler_cultures_get, "any"},
	{"GET", "/cultures/{code}/signals", handler_culture_signals_get, "any"},
	{"GET", "/openapi.yaml", handler_openapi_get, "any"},
	{"POST", "/support", handler_support_post, "support"},
	{"DELETE", "/support/{id}", handler_support_delete, "support"},
	{"GET", "/records", handler_records_get, "annotate"},
	{"POST", "/v1/chat/completions", handler_chat_completions_post, "support"},
	{"GET", "/v1/models", handler_models_get, "support"},
	{"GET", "/metrics", handler_metrics_get, NULL},
	{"GET", "/", handler_ui_get, NULL},
	{"GET", "/ui/{file}", handler_ui_get, NULL},
	/* the annotation workflow */
	{"POST", "/candidates", handler_candidates_post, "annotate"},
	{"GET", "/items", handler_items_get, "annotate"},
	{"GET", "/items/{id}", handler_item_get, "annotate"},
	{"DELETE", "/items/{id}", handler_item_delete, "annotate"},
	{"POST", "/candidates/{id}/ratings", handler_ratings_post, "annotate"},
	{"POST", "/items/{id}/preferences", handler_preferences_post, "annotate"},
	{"GET", "/stats", handler_stats_get, "annotate"},
	{"POST", "/evaluations", handler_evaluations_post, "annotate"},
	{"GET", "/exports", handler_exports_get, "annotate"},
	{"GET", "/exports/label-studio/config", handler_exports_label_studio_config_get, "annotate"},
	{"GET", "/exports/argilla/settings", handler_exports_argilla_settings_get, "annotate"},
	{"POST", "/imports/label-studio", handler_imports_label_studio_post, "annotate"},
	{"GET", "/label-studio/health", handler_label_studio_health_get, "annotate"},
	{"POST", "/label-studio/setup", handler_label_studio_setup_post, "annotate"},
	{"POST", "/label-studio/predict", handler_label_studio_predict_post, "annotate"},
};
const size_t routes_count = sizeof routes / sizeof routes[0];
_Static_assert(sizeof routes / sizeof routes[0] <= ROUTES_MAX, "ROUTES_MAX is too small for the table");

/* /metrics goes to the metrics listener when there is one, the rest to the
 * API's. */
static bool served(const route *rt, http_routes which)
{
	return which == HTTP_ROUTES_ALL || (rt->handler == handler_metrics_get) == (which == HTTP_ROUTES_METRICS);
}

/* Matches one pattern; fills params. */
static int match(const char *pattern, const char *path, char params[][128], int *nparams)
{
	int n = 0;
	const char *p = pattern, *s = path;
	while (*p && *s) {
		if (*p == '{') {
			const char *close = strchr(p, '}');
			const char *end = strchr(s, '/');
			size_t len = end ? (size_t)(end - s) : strlen(s);
			if (len == 0 || len >= 128 || n >= HTTP_MAX_PARAMS)
				return 0;
			memcpy(params[n], s, len);
			params[n][len] = '\0';
			n++;
			p = close + 1;
			s += len;
		} else if (*p == *s) {
			p++;
			s++;
		} else {
			return 0;
		}
	}
	if (*p || *s)
		return 0;
	*nparams = n;
	return 1;
}

enum router_result router_match(http_routes which, const char *method, const char *path, const route **out,
				char params[][128], int *nparams, char *allow, size_t allow_len)
{
	const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
	const route *known = NULL;
	char methods[64] = "";
	for (size_t i = 0; i < routes_count; i++) {
		if (!served(&routes[i], which) || !match(routes[i].pattern, path, params, nparams))
			continue;
		if (strcmp(routes[i].method, m) == 0) {
			*out = &routes[i];
			return ROUTE_FOUND;
		}
		if (!known)
			known = &routes[i];
		if (!strstr(methods, routes[i].method)) {
			size_t l = strlen(methods);
			snprintf(methods + l, sizeof methods - l, "%s%s%s", l ? ", " : "", routes[i].method,
				 strcmp(routes[i].method, "GET") == 0 ? ", HEAD" : "");
		}
	}
	if (!known)
		return ROUTE_NOT_FOUND;
	*out = known;
	snprintf(allow, allow_len, "%s", methods);
	return ROUTE_WRONG_METHOD;
}
