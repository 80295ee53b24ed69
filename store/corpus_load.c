/* Reads the corpus tables in one statement, as plain rows: cultures first,
 * then aliases, signals, distress phrases and support phrases. The
 * in-memory matcher is built from them by server/support/corpus_load.c. */
#include <stdlib.h>
#include <string.h>

#include "store/call.h"
#include "store/store.h"

const store_stmt store_stmt_corpus_load = {
	"corpus_load",
	"SELECT 'c', code, NULL::bigint, display_name, NULL::text, NULL::text, 0 FROM cultures"
	" UNION ALL SELECT 'a', culture_code, NULL, alias, NULL, NULL, 0 FROM culture_aliases"
	" UNION ALL SELECT 's', p.culture, p.id, s.phrase, s.type::text, s.side::text, s.ord"
	"  FROM cultural_signals s JOIN posts p ON p.id = s.post_id"
	" UNION ALL SELECT 'd', p.culture, p.id, d.phrase, d.intensity::text, NULL, d.ord"
	"  FROM distress_phrases d JOIN posts p ON p.id = d.post_id"
	" UNION ALL SELECT 'r', p.culture, p.id, r.phrase, r.strategy::text, NULL, r.ord"
	"  FROM support_phrases r JOIN posts p ON p.id = r.post_id"
	" ORDER BY 1, 2, 3, 6, 7",
};

static const char *opt(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static void on_rows(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	int n = st == STORE_OK ? PQntuples(res) : 0;
	store_corpus_row *rows = st == STORE_OK ? calloc((size_t)n + 1, sizeof *rows) : NULL;
	for (int i = 0; rows && i < n; i++)
		rows[i] = (store_corpus_row){
			.kind = PQgetvalue(res, i, 0)[0],
			.code = PQgetvalue(res, i, 1),
			.post = PQgetisnull(res, i, 2) ? 0 : strtol(PQgetvalue(res, i, 2), NULL, 10),
			.phrase = PQgetvalue(res, i, 3),
			.label = opt(res, i, 4),
			.side = opt(res, i, 5),
		};
	((store_corpus_cb)c->cb)(c->ud, rows, rows ? (size_t)n : 0, rows != NULL, c->start_ns);
	free(rows);
}

int store_corpus_load(store_pool *p, store_corpus_cb cb, void *ud)
{
	return store_call_query(p, &store_stmt_corpus_load, 0, NULL, on_rows, (void (*)(void))cb, ud, NULL);
}
