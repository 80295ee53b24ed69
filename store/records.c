/* Stored replies: insert, erase by id and deletion token, and the purge of
 * records past the retention period. */
#include <stdio.h>
#include <stdlib.h>

#include "store/call.h"
#include "store/store.h"

const store_stmt store_stmt_record_insert = {
	"record_insert",
	"INSERT INTO support_records (id, token_sha256, culture, strategy, risk_level, response_mode, model,"
	" message, reply, annotations, history)"
	" VALUES ($1::uuid, decode($2, 'hex'), $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $12::jsonb)"
	" RETURNING to_char((created_at + $11::float8 * interval '1 day') AT TIME ZONE 'UTC',"
	" 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')",
};

/* The caller checks that id is a UUID. */
const store_stmt store_stmt_record_delete = {
	"record_delete",
	"DELETE FROM support_records WHERE id = $1::uuid AND token_sha256 = decode($2, 'hex')",
};

/* Annotation items (with their candidates, ratings and scores, by
 * cascade) go by the same period; the count is of support records. */
const store_stmt store_stmt_records_purge = {
	"records_purge",
	"WITH items AS (DELETE FROM annotation_items WHERE created_at < now() - $1::float8 * interval '1 day')"
	" DELETE FROM support_records WHERE created_at < now() - $1::float8 * interval '1 day'",
};

/* Newest first; $2 continues after a record (keyset pagination). */
const store_stmt store_stmt_records_list = {
	"records_list",
	"SELECT coalesce(json_agg(json_build_object('id', id, 'created_at', created_at, 'culture', culture,"
	" 'strategy', strategy, 'risk_level', risk_level, 'response_mode', response_mode, 'model', model,"
	" 'message', message, 'reply', reply, 'annotations', annotations,"
	" 'history', history) ORDER BY created_at DESC, id DESC), '[]')"
	" FROM (SELECT * FROM support_records r WHERE $2::uuid IS NULL OR (r.created_at, r.id) <"
	"  (SELECT created_at, id FROM support_records WHERE id = $2::uuid)"
	"  ORDER BY created_at DESC, id DESC LIMIT $1::int) t",
};

int store_records_list(store_pool *p, unsigned limit, const char *before_id, store_json_cb cb, void *ud)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%u", limit);
	const char *v[] = {lim, before_id};
	return store_json_query(p, &store_stmt_records_list, 2, v, cb, ud);
}

static void on_text(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	const char *v = st == STORE_OK && PQntuples(res) == 1 ? PQgetvalue(res, 0, 0) : NULL;
	((store_text_cb)c->cb)(c->ud, v, st);
}

static void on_count(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	long n = st == STORE_OK ? atol(PQcmdTuples((PGresult *)res)) : 0;
	((store_count_cb)c->cb)(c->ud, n, st, sqlstate);
}

int store_record_insert(store_pool *p, const store_record *rec, double retention_days, store_text_cb cb, void *ud)
{
	char days[32];
	snprintf(days, sizeof days, "%.9g", retention_days);
	const char *v[] = {rec->id,	   rec->token_sha256_hex, rec->culture, rec->strategy,
			   rec->risk_level, rec->response_mode, rec->model,  rec->message,
			   rec->reply,	    rec->annotations_json, days, rec->history_json ? rec->history_json : "[]"};
	return store_call_query(p, &store_stmt_record_insert, 12, v, on_text, (void (*)(void))cb, ud, NULL);
}

int store_record_delete(store_pool *p, const char *id, const char *token_sha256_hex, store_count_cb cb, void *ud)
{
	const char *v[] = {id, token_sha256_hex};
	return store_call_query(p, &store_stmt_record_delete, 2, v, on_count, (void (*)(void))cb, ud, NULL);
}

int store_records_purge(store_pool *p, double retention_days, store_count_cb cb, void *ud)
{
	char days[32];
	snprintf(days, sizeof days, "%.9g", retention_days);
	const char *v[] = {days};
	return store_call_query(p, &store_stmt_records_purge, 1, v, on_count, (void (*)(void))cb, ud, NULL);
}
