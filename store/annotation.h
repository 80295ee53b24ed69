/* Queries of the annotation workflow: items with their candidates,
 * ratings, preferences, judge scores, statistics and export pages. Same
 * rule as store.h: a function returns 0 and calls cb exactly once later,
 * or returns -1 and never calls cb; results are borrowed for the call. */
#ifndef CC_STORE_ANNOTATION_H
#define CC_STORE_ANNOTATION_H
#include <jansson.h>

#include "store/store.h"

/* The statements below (NULL-terminated), for store_statements. */
extern const store_stmt store_stmt_item_insert, store_stmt_items_list, store_stmt_item_get, store_stmt_item_delete,
	store_stmt_rating_upsert, store_stmt_preference_upsert, store_stmt_annotation_stats,
	store_stmt_candidate_for_judge, store_stmt_judge_scores_upsert, store_stmt_export_page,
	store_stmt_ratings_import, store_stmt_judge_scores_latest;

/* An item to store; strings NUL-terminated; country may be NULL;
 * candidates_json is a JSON array of {id, position, strategy,
 * response_mode, model, reply}. */
typedef struct store_item {
	const char *id, *token_sha256_hex, *culture, *country, *risk_level, *annotator;
	const char *message, *annotations_json, *metadata_json, *candidates_json;
} store_item;
/* expires_at and created_at (UTC, ISO 8601): NULL unless st is STORE_OK
 * and the statement answered its one row; sqlstate with STORE_FAILED,
 * else NULL. */
typedef void (*store_item_insert_cb)(void *ud, store_status st, const char *expires_at, const char *created_at,
				     const char *sqlstate);
int store_item_insert(store_pool *p, const store_item *it, double retention_days, store_item_insert_cb cb, void *ud);

/* Items newest first, at most limit + 1 (the extra one says a next page
 * exists), each {"seq", "item"}: a JSON array. after_seq (decimal, or
 * NULL) continues below that seq; culture, strategy, rated ("true",
 * "false") filter when not NULL. */
int store_items_list(store_pool *p, unsigned limit, const char *after_seq, const char *culture, const char *strategy,
		     const char *rated, store_json_cb cb, void *ud);

/* One item as GET /items lists it, or {} when there is none. */
int store_item_get(store_pool *p, const char *id, store_json_cb cb, void *ud);

/* Erases an item (and by cascade its candidates, ratings, preferences,
 * judge scores) given the deletion token hash (rows: 1 or 0). */
int store_item_delete(store_pool *p, const char *id, const char *token_sha256_hex, store_count_cb cb, void *ud);

/* Upserts a rater's rating of a candidate: scores[7] are "1".."5" or NULL
 * (not rated); comment may be NULL. Answers {"found": false} for an unknown
 * candidate, else {"found": true, "created": bool, "created_at",
 * "updated_at"}. */
int store_rating_upsert(store_pool *p, const char *candidate_id, const char *rater, const char *const scores[7],
			const char *comment, store_json_cb cb, void *ud);

/* Upserts a rater's ranking of an item's candidates (ranking: a PostgreSQL
 * array literal of UUIDs). Answers {"item": bool (exists), "valid": bool
 * (every id a candidate of the item), "stored": 0|1}. */
int store_preference_upsert(store_pool *p, const char *item_id, const char *rater, const char *ranking,
			    const char *tie, store_json_cb cb, void *ud);

/* The figures of GET /stats (see annotation_stats in the migration):
 * {"groups": [{culture, strategy, candidates, items, ratings}], "means":
 * [{culture, strategy, metric, mean, n}], "coincidences": [{culture,
 * strategy, metric, c, k, o}], "pairable": [{culture, strategy, metric,
 * units}], "judge": [{culture, strategy, model, prompt_version, metric,
 * mean, n, missing, weighted_mean}], "pairs": [{culture, better, worse,
 * tie, n}]}. culture and strategy filter (NULL: all). */
int store_annotation_stats(store_pool *p, const char *culture, const char *strategy, store_json_cb cb, void *ud);

/* {id, message, reply, culture} of a candidate, or {} when there is none. */
int store_candidate_for_judge(store_pool *p, const char *id, store_json_cb cb, void *ud);

/* Upserts judge scores: rows is a JSON array of {candidate_id, metric,
 * judge_model, prompt_version, score, weighted, probability,
 * answer_length}. */
int store_judge_scores_upsert(store_pool *p, const char *rows_json, store_count_cb cb, void *ud);

/* One page of the export, newest first: rows (seq, item JSON with
 * candidates, their ratings and judge scores, and the item's
 * preferences), at most limit. after_seq, culture and since (ISO 8601)
 * may be NULL. */
typedef struct store_export_row {
	const char *seq;  /* decimal, the cursor for after_seq */
	const char *item; /* the item as JSON text */
} store_export_row;
/* rows is NULL and n 0 unless st is STORE_OK; sqlstate with STORE_FAILED,
 * else NULL (a failure to allocate rows is STORE_FAILED without one). */
typedef void (*store_export_page_cb)(void *ud, store_status st, const store_export_row *rows, size_t n,
				     const char *sqlstate);
int store_export_page(store_pool *p, unsigned limit, const char *after_seq, const char *culture, const char *since,
		      store_export_page_cb cb, void *ud);

/* Upserts ratings and preferences read from an annotation tool's export:
 * ratings_json [{candidate_id, rater, empathy.., comment}], prefs_json
 * [{item_id, rater, ranking: [ids], tie}]. Rows naming unknown candidates
 * or items are skipped. Answers {"ratings", "preferences",
 * "ratings_skipped", "preferences_skipped"}. */
int store_ratings_import(store_pool *p, const char *ratings_json, const char *prefs_json, store_json_cb cb, void *ud);

/* The latest judge score per candidate and metric of the candidates in ids
 * (a PostgreSQL array literal of UUIDs): a JSON array of {candidate_id,
 * metric, score, probability, model_version}. */
int store_judge_scores_latest(store_pool *p, const char *ids, store_json_cb cb, void *ud);

#endif
