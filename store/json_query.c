/* Statements that answer one JSON value, handed over parsed. */
#include "store/call.h"
#include "store/store.h"

/* The statement answers one JSON value in one row. */
static void on_json(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	json_t *v = NULL;
	if (st == STORE_OK && PQntuples(res) == 1) {
		v = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		if (!v)
			st = STORE_FAILED;
	} else if (st == STORE_OK) {
		st = STORE_FAILED;
	}
	((store_json_cb)c->cb)(c->ud, v, st);
	json_decref(v);
}

int store_json_query(store_pool *p, const store_stmt *stmt, int nparams, const char *const *values,
		     store_json_cb cb, void *ud)
{
	return store_call_query(p, stmt, nparams, values, on_json, (void (*)(void))cb, ud, NULL);
}
