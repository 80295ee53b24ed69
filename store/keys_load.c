/* Loads the active API keys (hashes, scopes, limits) for the service. */
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

const store_stmt store_stmt_keys_load = {
	"keys_load",
	"SELECT encode(key_sha256, 'hex'), id, prefix, array_to_string(scopes, ','),"
	" coalesce(rate_limit_rpm, 0), coalesce(max_streams, 0)"
	" FROM api_keys WHERE revoked_at IS NULL",
};

typedef struct call {
	store_keys_cb cb;
	void *ud;
} call;

static int unhex(const char *h, unsigned char out[32])
{
	if (strlen(h) != 64)
		return -1;
	for (int i = 0; i < 32; i++) {
		unsigned v = 0;
		for (int k = 0; k < 2; k++) {
			char c = h[2 * i + k];
			v = v * 16 + (unsigned)(c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 99);
		}
		if (v > 255)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

static void on_rows(void *ud, const PGresult *res, store_status st, const char *sqlstate)
{
	(void)sqlstate;
	call *c = ud;
	access_key *keys = NULL;
	size_t n = 0;
	bool ok = st == STORE_OK;
	if (ok) {
		int rows = PQntuples(res);
		keys = calloc((size_t)rows + 1, sizeof *keys);
		ok = keys != NULL;
		for (int i = 0; ok && i < rows; i++) {
			access_key *k = &keys[n];
			if (unhex(PQgetvalue(res, i, 0), k->hash) < 0 ||
			    access_scopes_parse(PQgetvalue(res, i, 3), &k->scopes) < 0)
				continue; /* a row the table's checks should have refused */
			k->id = atoll(PQgetvalue(res, i, 1));
			snprintf(k->prefix, sizeof k->prefix, "%s", PQgetvalue(res, i, 2));
			k->rpm = (unsigned)atol(PQgetvalue(res, i, 4));
			k->max_streams = (unsigned)atol(PQgetvalue(res, i, 5));
			n++;
		}
	}
	if (!ok) {
		free(keys);
		keys = NULL;
		n = 0;
	}
	c->cb(c->ud, keys, n, ok);
	free(c);
}

int store_keys_load(store_pool *p, store_keys_cb cb, void *ud)
{
	call *c = malloc(sizeof *c);
	if (!c)
		return -1;
	c->cb = cb;
	c->ud = ud;
	if (store_pool_query(p, &store_stmt_keys_load, 0, NULL, on_rows, c) < 0) {
		free(c);
		return -1;
	}
	return 0;
}
