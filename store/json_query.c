/* Statements that answer one JSON value, handed over parsed. */
#include <stdlib.h>

#include "store/store.h"

typedef struct call {
	store_json_cb cb;
	void *ud;
} call;

/* The statement answers one JSON value in one row. */
static void on_json(void *ud, const PGresult *res, store_status st, const char *sqlstate)
{
	call *c = ud;
	json_t *v = NULL;
	if (st == STORE_OK && PQntuples(res) == 1) {
		v = json_loads(PQgetvalue(res, 0, 0), 0, NULL);
		if (!v)
			st = STORE_FAILED;
	} else if (st == STORE_OK) {
		st = STORE_FAILED;
	}
	c->cb(c->ud, v, st);
	json_decref(v);
	free(c);
}

int store_json_query(store_pool *p, const store_stmt *stmt, int nparams, const char *const *values,
		     store_json_cb cb, void *ud)
{
	call *c = malloc(sizeof *c);
	if (!c)
		return -1;
	c->cb = cb;
	c->ud = ud;
	if (store_pool_query(p, stmt, nparams, values, on_json, c) < 0) {
		free(c);
		return -1;
	}
	return 0;
}

