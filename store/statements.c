/* The set of statements every pooled connection prepares. */
#include "store/store.h"
#include "store/annotation.h"

extern const store_stmt store_stmt_schema_state;
extern const store_stmt store_stmt_cultures_list;
extern const store_stmt store_stmt_corpus_load;
extern const store_stmt store_stmt_safety_load;
extern const store_stmt store_stmt_record_insert;
extern const store_stmt store_stmt_record_delete;
extern const store_stmt store_stmt_records_purge;
extern const store_stmt store_stmt_records_list;
extern const store_stmt store_stmt_keys_load;

const store_stmt *const store_statements[] = {
	&store_stmt_schema_state,
	&store_stmt_cultures_list,
	&store_stmt_corpus_load,
	&store_stmt_safety_load,
	&store_stmt_record_insert,
	&store_stmt_record_delete,
	&store_stmt_records_purge,
	&store_stmt_records_list,
	&store_stmt_keys_load,
	/* the annotation workflow (store/annotation.c) */
	&store_stmt_item_insert,
	&store_stmt_items_list,
	&store_stmt_item_get,
	&store_stmt_item_delete,
	&store_stmt_rating_upsert,
	&store_stmt_preference_upsert,
	&store_stmt_annotation_stats,
	&store_stmt_candidate_for_judge,
	&store_stmt_judge_scores_upsert,
	&store_stmt_export_page,
	&store_stmt_ratings_import,
	&store_stmt_judge_scores_latest,
	NULL,
};
