/* The annotation workflow's queries (see annotation.h), each statement
 * beside its function. */
#include "store/annotation.h"

#include <stdio.h>
#include <stdlib.h>

#include "store/call.h"

#define ISO(col) "to_char((" col ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* An item and its candidates in one statement (one transaction). */
const store_stmt store_stmt_item_insert = {
	"item_insert",
	"WITH item AS (INSERT INTO annotation_items (id, token_sha256, culture, country, risk_level, annotator, message,"
	"  annotations, metadata)"
	" VALUES ($1::uuid, decode($2, 'hex'), $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) RETURNING id, created_at),"
	" cands AS (INSERT INTO annotation_candidates (id, item_id, position, strategy, response_mode, model, reply)"
	"  SELECT c.id, (SELECT id FROM item), c.position, c.strategy, c.response_mode, c.model, c.reply"
	"  FROM jsonb_to_recordset($10::jsonb) AS c(id uuid, position smallint, strategy text, response_mode text,"
	"   model text, reply text) RETURNING 1)"
	" SELECT " ISO("created_at + $11::float8 * interval '1 day'") ", " ISO("created_at")
	" FROM item WHERE (SELECT count(*) FROM cands) >= 0",
};

/* What GET /items shows of an item ("i" is the item row). */
#define ITEM_JSON \
	"json_build_object('id', i.id, 'created_at', " ISO("i.created_at") ", 'culture', i.culture, 'country', i.country," \
	" 'risk_level', i.risk_level, 'annotator', i.annotator, 'message', i.message, 'annotations', i.annotations," \
	" 'metadata', i.metadata, 'candidates', (SELECT coalesce(json_agg(json_build_object('id', c.id, 'position'," \
	" c.position, 'strategy', c.strategy, 'response_mode', c.response_mode, 'model', c.model, 'reply', c.reply," \
	" 'ratings', (SELECT count(*) FROM annotation_ratings r WHERE r.candidate_id = c.id)) ORDER BY c.position)," \
	" '[]') FROM annotation_candidates c WHERE c.item_id = i.id))"

/* Newest first by seq (insertion order, never reused): a page continues
 * strictly below the last seq seen, so every item present when the
 * listing started is listed exactly once, whatever is inserted meanwhile.
 * The bound is written without OR so that a generic plan of the prepared
 * statement still walks the seq index backwards (no sort of every item
 * per page). */
const store_stmt store_stmt_items_list = {
	"items_list",
	"SELECT coalesce(json_agg(json_build_object('seq', t.seq, 'item', t.item) ORDER BY t.seq DESC), '[]') FROM ("
	" SELECT i.seq, " ITEM_JSON " AS item FROM annotation_items i"
	" WHERE i.seq < coalesce($2::bigint, 9223372036854775807) AND ($3::text IS NULL OR i.culture = $3)"
	" AND ($4::text IS NULL OR EXISTS (SELECT 1 FROM annotation_candidates c WHERE c.item_id = i.id AND c.strategy = $4))"
	" AND ($5::boolean IS NULL OR $5::boolean = EXISTS (SELECT 1 FROM annotation_ratings r"
	"  JOIN annotation_candidates c ON c.id = r.candidate_id WHERE c.item_id = i.id))"
	" ORDER BY i.seq DESC LIMIT $1::int) t",
};

const store_stmt store_stmt_item_get = {
	"item_get",
	"SELECT coalesce((SELECT " ITEM_JSON " FROM annotation_items i WHERE i.id = $1::uuid), '{}'::json)",
};

const store_stmt store_stmt_item_delete = {
	"item_delete",
	"DELETE FROM annotation_items WHERE id = $1::uuid AND token_sha256 = decode($2, 'hex')",
};

#define METRIC_COLS "empathy, helpfulness, socio_political, knowledge, cultural_context, fluency, communication"

const store_stmt store_stmt_rating_upsert = {
	"rating_upsert",
	"WITH ins AS (INSERT INTO annotation_ratings (candidate_id, rater, " METRIC_COLS ", comment)"
	" SELECT $1::uuid, $2, $3::smallint, $4::smallint, $5::smallint, $6::smallint, $7::smallint, $8::smallint,"
	"  $9::smallint, $10 WHERE EXISTS (SELECT 1 FROM annotation_candidates WHERE id = $1::uuid)"
	" ON CONFLICT (candidate_id, rater) DO UPDATE SET empathy = EXCLUDED.empathy, helpfulness = EXCLUDED.helpfulness,"
	"  socio_political = EXCLUDED.socio_political, knowledge = EXCLUDED.knowledge,"
	"  cultural_context = EXCLUDED.cultural_context, fluency = EXCLUDED.fluency,"
	"  communication = EXCLUDED.communication, comment = EXCLUDED.comment, updated_at = now()"
	" RETURNING (xmax = 0) AS created, created_at, updated_at)"
	" SELECT coalesce((SELECT json_build_object('found', true, 'created', created, 'created_at', " ISO("created_at")
	", 'updated_at', " ISO("updated_at") ") FROM ins), '{\"found\": false}'::json)",
};

const store_stmt store_stmt_preference_upsert = {
	"preference_upsert",
	"WITH chk AS (SELECT EXISTS (SELECT 1 FROM annotation_items WHERE id = $1::uuid) AS item,"
	"  (SELECT count(*) FROM annotation_candidates c WHERE c.item_id = $1::uuid AND c.id = ANY ($3::uuid[]))"
	"   = cardinality($3::uuid[]) AS valid),"
	" ins AS (INSERT INTO annotation_preferences (item_id, rater, ranking, tie)"
	"  SELECT $1::uuid, $2, $3::uuid[], $4::boolean FROM chk WHERE chk.item AND chk.valid"
	"  ON CONFLICT (item_id, rater) DO UPDATE SET ranking = EXCLUDED.ranking, tie = EXCLUDED.tie, created_at = now()"
	"  RETURNING 1)"
	" SELECT json_build_object('item', chk.item, 'valid', chk.valid, 'stored', (SELECT count(*) FROM ins)) FROM chk",
};

/* The aggregation is in the function annotation_stats (migration). */
const store_stmt store_stmt_annotation_stats = {
	"annotation_stats",
	"SELECT annotation_stats($1::text, $2::text)",
};

const store_stmt store_stmt_candidate_for_judge = {
	"candidate_for_judge",
	"SELECT coalesce((SELECT json_build_object('id', c.id, 'message', i.message, 'reply', c.reply, 'culture',"
	" i.culture) FROM annotation_candidates c JOIN annotation_items i ON i.id = c.item_id WHERE c.id = $1::uuid),"
	" '{}'::json)",
};

const store_stmt store_stmt_judge_scores_upsert = {
	"judge_scores_upsert",
	"INSERT INTO judge_scores (candidate_id, metric, judge_model, prompt_version, score, weighted, probability,"
	" answer_length)"
	" SELECT s.candidate_id, s.metric, s.judge_model, s.prompt_version, s.score, s.weighted, s.probability,"
	"  s.answer_length FROM jsonb_to_recordset($1::jsonb) AS s(candidate_id uuid, metric text, judge_model text,"
	"  prompt_version text, score smallint, weighted float8, probability float8, answer_length int)"
	"  WHERE EXISTS (SELECT 1 FROM annotation_candidates c WHERE c.id = s.candidate_id)"
	" ON CONFLICT (candidate_id, metric, judge_model, prompt_version) DO UPDATE SET score = EXCLUDED.score,"
	"  weighted = EXCLUDED.weighted, probability = EXCLUDED.probability, answer_length = EXCLUDED.answer_length,"
	"  created_at = now()",
};

/* One row per item: what every export format needs, nothing more. The
 * query lives in the function annotation_export_page (migration), which
 * runs without JIT: compiling the plan cost more than running a page. */
const store_stmt store_stmt_export_page = {
	"export_page",
	"SELECT seq, item FROM annotation_export_page($1::int, $2::bigint, $3::text, $4::timestamptz)",
};

const store_stmt store_stmt_ratings_import = {
	"ratings_import",
	"WITH r AS (SELECT DISTINCT ON (x.candidate_id, x.rater) x.* FROM jsonb_to_recordset($1::jsonb) AS x("
	"  candidate_id uuid, rater text, empathy smallint, helpfulness smallint, socio_political smallint,"
	"  knowledge smallint, cultural_context smallint, fluency smallint, communication smallint, comment text)),"
	" rin AS (INSERT INTO annotation_ratings (candidate_id, rater, " METRIC_COLS ", comment)"
	"  SELECT r.candidate_id, r.rater, r.empathy, r.helpfulness, r.socio_political, r.knowledge, r.cultural_context,"
	"   r.fluency, r.communication, r.comment FROM r JOIN annotation_candidates c ON c.id = r.candidate_id"
	"  ON CONFLICT (candidate_id, rater) DO UPDATE SET empathy = EXCLUDED.empathy, helpfulness = EXCLUDED.helpfulness,"
	"   socio_political = EXCLUDED.socio_political, knowledge = EXCLUDED.knowledge,"
	"   cultural_context = EXCLUDED.cultural_context, fluency = EXCLUDED.fluency,"
	"   communication = EXCLUDED.communication, comment = EXCLUDED.comment, updated_at = now() RETURNING 1),"
	" p AS (SELECT DISTINCT ON (y.item_id, y.rater) y.* FROM jsonb_to_recordset($2::jsonb) AS y(item_id uuid,"
	"  rater text, ranking uuid[], tie boolean)),"
	" pin AS (INSERT INTO annotation_preferences (item_id, rater, ranking, tie)"
	"  SELECT p.item_id, p.rater, p.ranking, coalesce(p.tie, false) FROM p"
	"  WHERE (SELECT count(*) FROM annotation_candidates c WHERE c.item_id = p.item_id AND c.id = ANY (p.ranking))"
	"   = cardinality(p.ranking) AND cardinality(p.ranking) >= 2"
	"  ON CONFLICT (item_id, rater) DO UPDATE SET ranking = EXCLUDED.ranking, tie = EXCLUDED.tie, created_at = now()"
	"  RETURNING 1)"
	" SELECT json_build_object('ratings', (SELECT count(*) FROM rin), 'preferences', (SELECT count(*) FROM pin),"
	" 'ratings_skipped', jsonb_array_length($1::jsonb) - (SELECT count(*) FROM rin),"
	" 'preferences_skipped', jsonb_array_length($2::jsonb) - (SELECT count(*) FROM pin))",
};

/* The latest judge score per candidate and metric, for Label Studio's ML
 * backend protocol. */
const store_stmt store_stmt_judge_scores_latest = {
	"judge_scores_latest",
	"SELECT coalesce(json_agg(json_build_object('candidate_id', t.candidate_id, 'metric', t.metric, 'score', t.score,"
	" 'probability', t.probability, 'model_version', t.judge_model || '/' || t.prompt_version)), '[]')"
	" FROM (SELECT DISTINCT ON (candidate_id, metric) * FROM judge_scores WHERE candidate_id = ANY ($1::uuid[])"
	"  ORDER BY candidate_id, metric, created_at DESC) t",
};

int store_judge_scores_latest(store_pool *p, const char *ids, store_json_cb cb, void *ud)
{
	const char *v[] = {ids};
	return store_json_query(p, &store_stmt_judge_scores_latest, 1, v, cb, ud);
}

static void on_item_inserted(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	bool one = st == STORE_OK && PQntuples(res) == 1;
	((store_item_insert_cb)c->cb)(c->ud, st, one ? PQgetvalue(res, 0, 0) : NULL, one ? PQgetvalue(res, 0, 1) : NULL,
				      sqlstate);
}

int store_item_insert(store_pool *p, const store_item *it, double retention_days, store_item_insert_cb cb, void *ud)
{
	char days[32];
	snprintf(days, sizeof days, "%.9g", retention_days);
	const char *v[] = {it->id,	 it->token_sha256_hex, it->culture,	     it->country,
			   it->risk_level, it->annotator,       it->message,	     it->annotations_json,
			   it->metadata_json, it->candidates_json, days};
	return store_call_query(p, &store_stmt_item_insert, 11, v, on_item_inserted, (void (*)(void))cb, ud, NULL);
}

int store_items_list(store_pool *p, unsigned limit, const char *after_seq, const char *culture, const char *strategy,
		     const char *rated, store_json_cb cb, void *ud)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%u", limit + 1);
	const char *v[] = {lim, after_seq, culture, strategy, rated};
	return store_json_query(p, &store_stmt_items_list, 5, v, cb, ud);
}

int store_item_get(store_pool *p, const char *id, store_json_cb cb, void *ud)
{
	const char *v[] = {id};
	return store_json_query(p, &store_stmt_item_get, 1, v, cb, ud);
}

static void on_count(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	long n = st == STORE_OK ? atol(PQcmdTuples((PGresult *)res)) : 0;
	((store_count_cb)c->cb)(c->ud, n, st, sqlstate);
}

int store_item_delete(store_pool *p, const char *id, const char *token_sha256_hex, store_count_cb cb, void *ud)
{
	const char *v[] = {id, token_sha256_hex};
	return store_call_query(p, &store_stmt_item_delete, 2, v, on_count, (void (*)(void))cb, ud, NULL);
}

int store_rating_upsert(store_pool *p, const char *candidate_id, const char *rater, const char *const scores[7],
			const char *comment, store_json_cb cb, void *ud)
{
	const char *v[] = {candidate_id, rater,	    scores[0], scores[1], scores[2],
			   scores[3],	 scores[4], scores[5], scores[6], comment};
	return store_json_query(p, &store_stmt_rating_upsert, 10, v, cb, ud);
}

int store_preference_upsert(store_pool *p, const char *item_id, const char *rater, const char *ranking,
			    const char *tie, store_json_cb cb, void *ud)
{
	const char *v[] = {item_id, rater, ranking, tie};
	return store_json_query(p, &store_stmt_preference_upsert, 4, v, cb, ud);
}

int store_annotation_stats(store_pool *p, const char *culture, const char *strategy, store_json_cb cb, void *ud)
{
	const char *v[] = {culture, strategy};
	return store_json_query(p, &store_stmt_annotation_stats, 2, v, cb, ud);
}

int store_candidate_for_judge(store_pool *p, const char *id, store_json_cb cb, void *ud)
{
	const char *v[] = {id};
	return store_json_query(p, &store_stmt_candidate_for_judge, 1, v, cb, ud);
}

int store_judge_scores_upsert(store_pool *p, const char *rows_json, store_count_cb cb, void *ud)
{
	const char *v[] = {rows_json};
	return store_call_query(p, &store_stmt_judge_scores_upsert, 1, v, on_count, (void (*)(void))cb, ud, NULL);
}

static void on_export_rows(const store_call *c, const PGresult *res, store_status st, const char *sqlstate)
{
	int n = st == STORE_OK ? PQntuples(res) : 0;
	store_export_row *rows = st == STORE_OK ? calloc((size_t)n + 1, sizeof *rows) : NULL;
	if (st == STORE_OK && !rows)
		st = STORE_FAILED;
	for (int i = 0; rows && i < n; i++)
		rows[i] = (store_export_row){.seq = PQgetvalue(res, i, 0), .item = PQgetvalue(res, i, 1)};
	((store_export_page_cb)c->cb)(c->ud, st, rows, rows ? (size_t)n : 0, sqlstate);
	free(rows);
}

int store_export_page(store_pool *p, unsigned limit, const char *after_seq, const char *culture, const char *since,
		      store_export_page_cb cb, void *ud)
{
	char lim[16];
	snprintf(lim, sizeof lim, "%u", limit);
	const char *v[] = {lim, after_seq, culture, since};
	return store_call_query(p, &store_stmt_export_page, 4, v, on_export_rows, (void (*)(void))cb, ud, NULL);
}

int store_ratings_import(store_pool *p, const char *ratings_json, const char *prefs_json, store_json_cb cb, void *ud)
{
	const char *v[] = {ratings_json, prefs_json};
	return store_json_query(p, &store_stmt_ratings_import, 2, v, cb, ud);
}
