/* Which migrations the database has applied (for /readyz). */
#include <string.h>

#include "store/call.h"
#include "store/store.h"

const store_stmt store_stmt_schema_state = {
	"schema_state",
	"SELECT version, checksum FROM schema_migrations ORDER BY version",
};

static void on_rows(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	char detail[512] = "";
	schema_state state = SCHEMA_OUTDATED;
	if (st == STORE_FAILED && sqlstate && strcmp(sqlstate, "42P01") == 0) /* no table: nothing applied */
		st = STORE_OK;
	if (st == STORE_OK)
		state = schema_compare_result(c->arg, res, detail, sizeof detail);
	((store_schema_cb)c->cb)(c->ud, st, state, detail);
}

int store_schema_state(store_pool *p, const migration_set *set, store_schema_cb cb, void *ud)
{
	return store_call_query(p, &store_stmt_schema_state, 0, NULL, on_rows, (void (*)(void))cb, ud, set);
}
