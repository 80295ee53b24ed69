/* Queries of the service, one small function each (one file each, with its
 * SQL beside it). Every function follows the pool's rule: it returns 0 and
 * calls cb exactly once later, or returns -1 and never calls cb. Callbacks
 * receive plain C values (no libpq types); strings and JSON handed to them
 * are borrowed: valid only during the call. */
#ifndef CC_STORE_H
#define CC_STORE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/migrate.h"
#include "store/pool.h"

/* Every statement the pool prepares (NULL-terminated). */
extern const store_stmt *const store_statements[];

/* How the database's applied migrations compare with set (for /readyz):
 * state and a one-line detail, valid when st is STORE_OK (a missing
 * schema_migrations table counts as OK: nothing applied). */
typedef void (*store_schema_cb)(void *ud, store_status st, schema_state state, const char *detail);
int store_schema_state(store_pool *p, const migration_set *set, store_schema_cb cb, void *ud);

/* The cultures with aliases and counts, as the JSON array GET /cultures
 * returns. */
typedef void (*store_json_cb)(void *ud, json_t *value, store_status st);
int store_cultures_list(store_pool *p, store_json_cb cb, void *ud);

/* Runs a statement that answers one JSON value in one row; cb gets it
 * parsed (STORE_FAILED when it is not JSON). */
int store_json_query(store_pool *p, const store_stmt *stmt, int nparams, const char *const *values,
		     store_json_cb cb, void *ud);

/* The corpus as rows, cultures first (then aliases, signals, distress and
 * support phrases, each in post and phrase order). */
typedef struct store_corpus_row {
	char kind;          /* 'c' culture, 'a' alias, 's' signal, 'd' distress, 'r' support */
	const char *code;   /* the culture's code */
	long post;          /* the post's id (0 for cultures and aliases) */
	const char *phrase; /* the display name ('c'), the alias ('a') or the phrase */
	const char *label;  /* signal type, intensity or strategy, or NULL */
	const char *side;   /* signals: post or response; else NULL */
} store_corpus_row;
/* rows is NULL and ok false when the query failed; start_ns: when it was
 * sent (now_ns). */
typedef void (*store_corpus_cb)(void *ud, const store_corpus_row *rows, size_t n, bool ok, uint64_t start_ns);
int store_corpus_load(store_pool *p, store_corpus_cb cb, void *ud);

/* The safety data as stored: risk rules (an array of [lang, kind,
 * pattern]), crisis resources (an array of objects), crisis messages (an
 * object of lang: body), unsafe reply phrases (an array of strings) and the
 * reply check's concept terms (an array of [lang, concept, term]). */
typedef struct store_safety_data {
	json_t *rules, *resources, *messages, *unsafe, *concepts;
} store_safety_data;
/* d is NULL when loading failed. */
typedef void (*store_safety_cb)(void *ud, const store_safety_data *d);
int store_safety_load(store_pool *p, store_safety_cb cb, void *ud);

/* An active API key as stored. */
typedef struct store_key_row {
	const char *sha256_hex; /* the key's hash, 64 hex digits */
	long long id;
	const char *prefix;
	const char *scopes; /* "support,annotate" */
	unsigned rpm, max_streams; /* 0: the configured default */
} store_key_row;
/* rows is NULL and ok false when the query failed. */
typedef void (*store_keys_cb)(void *ud, const store_key_row *rows, size_t n, bool ok);
int store_keys_load(store_pool *p, store_keys_cb cb, void *ud);

/* Stored replies for annotation, newest first: a JSON array. before_id
 * (a record UUID, or NULL) continues a listing after that record. */
int store_records_list(store_pool *p, unsigned limit, const char *before_id, store_json_cb cb, void *ud);

/* A reply to store; every field a NUL-terminated string. */
typedef struct store_record {
	const char *id, *token_sha256_hex, *culture, *strategy, *risk_level, *response_mode, *model;
	const char *message, *reply, *annotations_json;
	const char *history_json; /* the earlier turns as given, a JSON array */
} store_record;

/* One text value; NULL unless st is STORE_OK and the statement answered it. */
typedef void (*store_text_cb)(void *ud, const char *value, store_status st);
/* How many rows a statement changed (0 unless st is STORE_OK); sqlstate
 * with STORE_FAILED, else NULL. */
typedef void (*store_count_cb)(void *ud, long rows, store_status st, const char *sqlstate);

/* Inserts a record; value: when it expires (UTC, ISO 8601). */
int store_record_insert(store_pool *p, const store_record *rec, double retention_days, store_text_cb cb, void *ud);

/* Erases the record with this id and deletion token hash (rows: 1 or 0). */
int store_record_delete(store_pool *p, const char *id, const char *token_sha256_hex, store_count_cb cb, void *ud);

/* Erases every record older than the retention period. */
int store_records_purge(store_pool *p, double retention_days, store_count_cb cb, void *ud);

#endif
