/* For store/ files only: the one adapter between the pool's PGresult
 * callbacks and the typed callbacks of store/store.h, which hand over plain
 * C values. A query function passes the caller's callback and user data;
 * convert reads the result and calls the callback exactly once. */
#ifndef CC_STORE_CALL_H
#define CC_STORE_CALL_H
#include <stdint.h>

#include "store/pool.h"

typedef struct store_call {
	void (*cb)(void);  /* the caller's callback; convert casts it back */
	void *ud;          /* the caller's user data */
	const void *arg;   /* what convert needs besides the result, or NULL */
	uint64_t start_ns; /* when the query was sent (now_ns) */
} store_call;

typedef void (*store_convert)(const store_call *c, const PGresult *res, store_status st, const char *sqlstate);

/* Runs stmt like store_pool_query: returns 0 and later runs convert once
 * (res NULL unless STORE_OK), or returns -1 and never runs it. */
int store_call_query(store_pool *p, const store_stmt *stmt, int nparams, const char *const *values,
		     store_convert convert, void (*cb)(void), void *ud, const void *arg);

#endif
