/* Queries of the service, one small function each (one file each, with its
 * SQL beside it). Every function follows the pool's rule: it returns 0 and
 * calls cb exactly once later, or returns -1 and never calls cb. Results
 * handed to callbacks are borrowed: valid only during the call. */
#ifndef CC_STORE_H
#define CC_STORE_H
#include <jansson.h>

#include "server/access.h"
#include "server/safety.h"
#include "store/lexicon.h"
#include "store/pool.h"

/* Every statement the pool prepares (NULL-terminated). */
extern const store_stmt *const store_statements[];

/* The applied migrations: rows (version, checksum); res NULL when the
 * table is missing (st STORE_FAILED, sqlstate 42P01) or on error. */
int store_schema_state(store_pool *p, store_cb cb, void *ud);

/* The cultures with aliases and counts, as the JSON array GET /cultures
 * returns. */
typedef void (*store_json_cb)(void *ud, json_t *value, store_status st);
int store_cultures_list(store_pool *p, store_json_cb cb, void *ud);

/* Runs a statement that answers one JSON value in one row; cb gets it
 * parsed (STORE_FAILED when it is not JSON). */
int store_json_query(store_pool *p, const store_stmt *stmt, int nparams, const char *const *values,
		     store_json_cb cb, void *ud);

/* Codes of all cultures, a JSON array of strings. */
int store_culture_codes(store_pool *p, store_json_cb cb, void *ud);

/* Signals of a culture (code or alias, any case) matching text by trigram
 * word similarity, best first. code is the resolved culture code, NULL when
 * the culture is unknown; signals is a JSON array. */
typedef void (*store_signals_cb)(void *ud, const char *code, json_t *signals, store_status st);
int store_culture_signals(store_pool *p, const char *culture, const char *text, unsigned limit,
			  store_signals_cb cb, void *ud);

/* Loads the corpus into a new in-memory lexicon (one reference handed to
 * cb; NULL when loading failed). */
typedef void (*store_lexicon_cb)(void *ud, lexicon *lex);
int store_lexicon_load(store_pool *p, store_lexicon_cb cb, void *ud);

/* Loads the safety data into a new struct safety (one reference handed to
 * cb; NULL when loading failed). */
typedef void (*store_safety_cb)(void *ud, safety *s);
int store_safety_load(store_pool *p, store_safety_cb cb, void *ud);

/* Loads the active API keys; keys (taken by cb) is NULL and ok false when
 * the query failed. */
typedef void (*store_keys_cb)(void *ud, access_key *keys, size_t n, bool ok);
int store_keys_load(store_pool *p, store_keys_cb cb, void *ud);

/* Stored replies for annotation, newest first: a JSON array. before_id
 * (a record UUID, or NULL) continues a listing after that record. */
int store_records_list(store_pool *p, unsigned limit, const char *before_id, store_json_cb cb, void *ud);

/* A reply to store; every field a NUL-terminated string. */
typedef struct store_record {
	const char *id, *token_sha256_hex, *culture, *strategy, *risk_level, *response_mode, *model;
	const char *message, *reply, *annotations_json;
} store_record;

/* Inserts a record; the result's one value is when it expires (UTC,
 * ISO 8601). */
int store_record_insert(store_pool *p, const store_record *rec, double retention_days, store_cb cb, void *ud);

/* Erases the record with this id and deletion token hash; the command
 * status says how many rows went (PQcmdTuples: "1" or "0"). */
int store_record_delete(store_pool *p, const char *id, const char *token_sha256_hex, store_cb cb, void *ud);

/* Erases every record older than the retention period. */
int store_records_purge(store_pool *p, double retention_days, store_cb cb, void *ud);

#endif
