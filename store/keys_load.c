/* Loads the active API keys (hashes, scopes, limits) for the service. */
#include <stdlib.h>

#include "store/call.h"
#include "store/store.h"

const store_stmt store_stmt_keys_load = {
	"keys_load",
	"SELECT encode(key_sha256, 'hex'), id, prefix, array_to_string(scopes, ','),"
	" coalesce(rate_limit_rpm, 0), coalesce(max_streams, 0)"
	" FROM api_keys WHERE revoked_at IS NULL",
};

static void on_rows(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	int n = st == STORE_OK ? PQntuples(res) : 0;
	store_key_row *rows = st == STORE_OK ? calloc((size_t)n + 1, sizeof *rows) : NULL;
	for (int i = 0; rows && i < n; i++)
		rows[i] = (store_key_row){
			.sha256_hex = PQgetvalue(res, i, 0),
			.id = atoll(PQgetvalue(res, i, 1)),
			.prefix = PQgetvalue(res, i, 2),
			.scopes = PQgetvalue(res, i, 3),
			.rpm = (unsigned)atol(PQgetvalue(res, i, 4)),
			.max_streams = (unsigned)atol(PQgetvalue(res, i, 5)),
		};
	((store_keys_cb)c->cb)(c->ud, rows, rows ? (size_t)n : 0, rows != NULL);
	free(rows);
}

int store_keys_load(store_pool *p, store_keys_cb cb, void *ud)
{
	return store_call_query(p, &store_stmt_keys_load, 0, NULL, on_rows, (void (*)(void))cb, ud, NULL);
}
