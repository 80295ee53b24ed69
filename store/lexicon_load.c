/* Loads the in-memory lexicon (store/lexicon.h) from the corpus tables in
 * one statement. serve.c runs it at start-up and whenever an import
 * announces a change (NOTIFY culturecare, 'corpus'). */
#include <stdlib.h>
#include <string.h>

#include "server/corpus_model.h"
#include "server/log.h"
#include "server/util.h"
#include "store/call.h"
#include "store/store.h"

const store_stmt store_stmt_lexicon_load = {
	"lexicon_load",
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

static lexicon *build(const PGresult *res)
{
	lexicon *l = lexicon_new();
	if (!l)
		return NULL;
	int n = PQntuples(res);
	/* Cultures first: every other row refers to one. */
	for (int i = 0; i < n; i++)
		if (PQgetvalue(res, i, 0)[0] == 'c' && lexicon_add_culture(l, PQgetvalue(res, i, 1), PQgetvalue(res, i, 3)) < 0)
			goto fail;
	for (int i = 0; i < n; i++) {
		const char *kind = PQgetvalue(res, i, 0), *code = PQgetvalue(res, i, 1);
		long post = PQgetisnull(res, i, 2) ? 0 : strtol(PQgetvalue(res, i, 2), NULL, 10);
		const char *phrase = PQgetvalue(res, i, 3);
		int rc = 0;
		switch (kind[0]) {
		case 'a':
			rc = lexicon_add_alias(l, phrase, code);
			break;
		case 's':
			rc = lexicon_add_signal(l, code, post, PQgetvalue(res, i, 5), phrase, opt(res, i, 4));
			break;
		case 'd':
			rc = lexicon_add_distress(l, code, post, phrase, opt(res, i, 4));
			break;
		case 'r':
			rc = lexicon_add_support(l, code, post, phrase, opt(res, i, 4));
			break;
		}
		if (rc < 0)
			goto fail;
	}
	if (lexicon_finish(l) < 0 || corpus_model_attach(l) < 0)
		goto fail;
	return l;
fail:
	lexicon_unref(l);
	return NULL;
}

static void on_rows(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	lexicon *l = st == STORE_OK ? build(res) : NULL;
	if (l)
		log_json(LOG_INFO, "corpus loaded",
			 json_pack("{s:i,s:i,s:f}", "cultures", (int)lexicon_culture_count(l), "rows", PQntuples(res),
				   "duration_ms", (double)(now_ns() - c->start_ns) / 1e6));
	((store_lexicon_cb)c->cb)(c->ud, l);
}

int store_lexicon_load(store_pool *p, store_lexicon_cb cb, void *ud)
{
	return store_call_query(p, &store_stmt_lexicon_load, 0, NULL, on_rows, (void (*)(void))cb, ud, NULL);
}
