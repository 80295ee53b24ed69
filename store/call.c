/* The adapter behind every typed query (see store/call.h). */
#include "store/call.h"

#include <stdlib.h>

#include "server/util.h"

typedef struct pending {
	store_call call;
	store_convert convert;
} pending;

static void on_result(void *ud, const PGresult *res, store_status st, const char *sqlstate)
{
	pending *q = ud;
	q->convert(&q->call, res, st, sqlstate);
	free(q);
}

int store_call_query(store_pool *p, const store_stmt *stmt, int nparams, const char *const *values,
		     store_convert convert, void (*cb)(void), void *ud, const void *arg)
{
	pending *q = malloc(sizeof *q);
	if (!q)
		return -1;
	*q = (pending){{cb, ud, arg, now_ns()}, convert};
	if (store_pool_query(p, stmt, nparams, values, on_result, q) < 0) {
		free(q);
		return -1;
	}
	return 0;
}
