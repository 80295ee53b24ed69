/* Connection parameters for libpq without a blocking name lookup on the
 * loop: PQconnectStart resolves host names with a synchronous
 * getaddrinfo(), so the names of a conninfo (a postgresql:// URL or
 * key=value pairs; several hosts allowed) are looked up first with
 * uv_getaddrinfo (libuv's thread pool) and every address is then given as
 * hostaddr, host staying beside it for what libpq still uses it for (TLS
 * certificate verification, the password file, GSSAPI). A name with several addresses becomes as many
 * entries, in the resolver's order, so that libpq still tries each.
 * Loop thread only. */
#ifndef CC_STORE_PG_RESOLVE_H
#define CC_STORE_PG_RESOLVE_H
#include <stddef.h>
#include <uv.h>

/* For PQconnectStartParams(keys, vals, 0): NULL-terminated arrays. */
typedef struct pg_params {
	const char **keys, **vals;
	size_t n;
} pg_params;

void pg_params_free(pg_params *p);

/* The lookup's end: params (the caller's to free) or NULL with err set. */
typedef void (*pg_resolve_cb)(void *ud, pg_params *params, const char *err);

typedef struct pg_resolve pg_resolve;

/* Parses conninfo and sets the pairs of extra ({key, value, ..., NULL}) over
 * it. Returns 0 with *ready set when there is nothing to look up (no host,
 * Unix sockets, numeric addresses, hostaddr given: cb is never called), or 0
 * with *pending set (cb is called later, once); -1 with err set when
 * conninfo cannot be parsed or on out of memory. Host, hostaddr and port
 * absent from conninfo are taken from PGHOST, PGHOSTADDR and PGPORT, as
 * libpq would. */
int pg_resolve_start(uv_loop_t *loop, const char *conninfo, const char *const *extra, pg_resolve_cb cb, void *ud,
		     pg_params **ready, pg_resolve **pending, char *err, size_t errlen);

/* Stops a pending lookup: cb is not called (the lookups still finish on
 * the pool's threads; their memory is freed then). */
void pg_resolve_cancel(pg_resolve *r);

#endif
