/* Which migrations the database has applied (for /readyz). */
#include "store/store.h"

const store_stmt store_stmt_schema_state = {
	"schema_state",
	"SELECT version, checksum FROM schema_migrations ORDER BY version",
};

int store_schema_state(store_pool *p, store_cb cb, void *ud)
{
	return store_pool_query(p, &store_stmt_schema_state, 0, NULL, cb, ud);
}
