/* GET /readyz: ready to serve: not shutting down, the database answers, and
 * its schema is the one this build expects. */
#include "handlers/handlers.h"
#include "server/app.h"
#include "store/store.h"

static void not_ready(http_req *r, const char *reason, const char *message)
{
	http_reply_error(r, ERR_NOT_READY, message, json_pack("{s:s}", "reason", reason));
}

static void on_schema(void *ud, store_status st, schema_state s, const char *detail)
{
	http_req *r = ud;
	app *a = http_req_app(r);
	if (st != STORE_OK) {
		not_ready(r, "database_unreachable", "The database does not answer.");
		return;
	}
	if ((s == SCHEMA_CURRENT || s == SCHEMA_NEWER) && !a->safety)
		not_ready(r, "safety_not_loaded", "The safety rules are not loaded in memory yet.");
	else if ((s == SCHEMA_CURRENT || s == SCHEMA_NEWER) && !a->lex)
		not_ready(r, "corpus_not_loaded", "The corpus is not loaded in memory yet.");
	else if ((s == SCHEMA_CURRENT || s == SCHEMA_NEWER) && a->cfg->auth && !access_loaded(a->access))
		not_ready(r, "keys_not_loaded", "The API keys are not loaded in memory yet.");
	else if (s == SCHEMA_CURRENT || s == SCHEMA_NEWER)
		http_reply_json(r, 200, json_pack("{s:s,s:i}", "status", "ready", "schema_version",
						   (int)a->migrations.n));
	else
		not_ready(r, "schema_outdated", detail);
}

void handler_readyz_get(http_req *r)
{
	app *a = http_req_app(r);
	if (a->shutting_down) {
		not_ready(r, "shutting_down", "The service is shutting down.");
		return;
	}
	if (store_schema_state(a->pool, &a->migrations, on_schema, r) < 0)
		not_ready(r, "database_unreachable", "No database connection is up.");
}
