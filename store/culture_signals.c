/* A culture's cultural signals matching a text (GET /cultures/{code}/signals).
 *
 * Similarity is the larger of the two trigram word similarities: how well
 * the stored phrase occurs somewhere in the text (a signal inside a longer
 * message) and how well the text occurs inside the phrase (a short query
 * such as "wechat"). Identical phrases of several posts are one result with
 * their number of occurrences. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

#define MIN_SIMILARITY "0.5"

const store_stmt store_stmt_culture_signals = {
	"culture_signals",
	"WITH c AS ("
	"  SELECT code FROM cultures WHERE code = lower($1)"
	"  UNION ALL"
	"  SELECT a.culture_code FROM culture_aliases a JOIN cultures k ON k.code = a.culture_code"
	"  WHERE a.alias = lower($1)"
	"  LIMIT 1),"
	" m AS ("
	"  SELECT g.phrase, g.type, g.side, g.occurrences,"
	"         greatest(word_similarity(g.phrase, $2), word_similarity($2, g.phrase)) AS similarity"
	"  FROM (SELECT s.phrase, s.type::text AS type, s.side::text AS side, count(*) AS occurrences"
	"        FROM cultural_signals s JOIN posts p ON p.id = s.post_id JOIN c ON p.culture = c.code"
	"        WHERE s.phrase <> ''"
	"        GROUP BY s.phrase, s.type, s.side) g)"
	" SELECT c.code, t.phrase, t.type, t.side, round(t.similarity::numeric, 4)::float8, t.occurrences"
	" FROM c LEFT JOIN LATERAL ("
	"  SELECT * FROM m WHERE m.similarity >= " MIN_SIMILARITY
	"  ORDER BY m.similarity DESC, m.occurrences DESC, m.phrase, m.side"
	"  LIMIT $3::int) t ON true",
};

typedef struct call {
	store_signals_cb cb;
	void *ud;
} call;

static void on_result(void *ud, const PGresult *res, store_status st, const char *sqlstate)
{
	call *c = ud;
	const char *code = NULL;
	json_t *list = json_array();
	if (st == STORE_OK && PQntuples(res) > 0) {
		code = PQgetvalue(res, 0, 0);
		for (int i = 0; i < PQntuples(res); i++) {
			if (PQgetisnull(res, i, 1))
				continue; /* the culture exists, nothing matched */
			json_array_append_new(list, json_pack("{s:s,s:o,s:s,s:f,s:I}",
				"phrase", PQgetvalue(res, i, 1),
				"type", PQgetisnull(res, i, 2) ? json_null() : json_string(PQgetvalue(res, i, 2)),
				"side", PQgetvalue(res, i, 3),
				"similarity", strtod(PQgetvalue(res, i, 4), NULL),
				"occurrences", (json_int_t)strtoll(PQgetvalue(res, i, 5), NULL, 10)));
		}
	}
	c->cb(c->ud, code, list, st);
	json_decref(list);
	free(c);
}

int store_culture_signals(store_pool *p, const char *culture, const char *text, unsigned limit,
			  store_signals_cb cb, void *ud)
{
	call *c = malloc(sizeof *c);
	if (!c)
		return -1;
	c->cb = cb;
	c->ud = ud;
	char lim[16];
	snprintf(lim, sizeof lim, "%u", limit);
	const char *params[3] = {culture, text, lim};
	if (store_pool_query(p, &store_stmt_culture_signals, 3, params, on_result, c) < 0) {
		free(c);
		return -1;
	}
	return 0;
}
