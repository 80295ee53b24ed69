/* The database connection pool: a fixed number of non-blocking libpq
 * connections driven by the libuv loop, with a FIFO wait queue, statements
 * prepared once per connection, and reconnection with backoff.
 * Threading: everything here runs on the loop thread. */
#ifndef CC_STORE_POOL_H
#define CC_STORE_POOL_H
#include <libpq-fe.h>
#include <stdbool.h>
#include <uv.h>

/* A statement the pool prepares on each connection under `name`. */
typedef struct store_stmt {
	const char *name;
	const char *sql;
} store_stmt;

typedef enum store_status {
	STORE_OK,          /* res holds the result */
	STORE_UNAVAILABLE, /* no connection, connection lost, or timed out */
	STORE_FAILED,      /* the database rejected the statement */
} store_status;

/* Called once per accepted query, on the loop thread. res is valid only
 * during the call and only with STORE_OK (NULL otherwise); sqlstate is the
 * SQLSTATE with STORE_FAILED, else NULL. */
typedef void (*store_cb)(void *ud, const PGresult *res, store_status st, const char *sqlstate);

typedef struct store_pool store_pool;

typedef struct store_pool_stats {
	unsigned size, connected, busy, waiting;
} store_pool_stats;

/* Creates the pool and starts connecting. stmts is a NULL-terminated array
 * (at most 64) that outlives the pool. Returns NULL on allocation failure. */
store_pool *store_pool_new(uv_loop_t *loop, const char *conninfo, unsigned size,
			   unsigned timeout_ms, const store_stmt *const *stmts);

/* Runs a statement of the pool's set with text parameters (copied).
 * Returns 0 and later calls cb exactly once; or returns -1 (the pool is
 * closing, no connection is up, or the queue is full) and never calls cb. */
int store_pool_query(store_pool *p, const store_stmt *stmt, int nparams,
		     const char *const *values, store_cb cb, void *ud);

/* Subscribes to a notification channel (a lower-case identifier) on the
 * first connection. on_event runs with the payload for each notification
 * that arrives, and with NULL each time that connection (re)subscribes,
 * since notifications sent while it was down are lost ("reload
 * everything that depends on the channel"). */
void store_pool_listen(store_pool *p, const char *channel, void (*on_event)(void *ud, const char *payload), void *ud);

/* True if at least one connection is up. */
bool store_pool_connected(const store_pool *p);

void store_pool_stats_get(const store_pool *p, store_pool_stats *out);

/* Fails every queued and running query (their callbacks run, with
 * STORE_UNAVAILABLE), closes the connections, frees the pool, then calls
 * done (may be NULL) from the loop. */
void store_pool_close(store_pool *p, void (*done)(void *ud), void *ud);

#endif
