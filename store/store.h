/* Queries of the service, one small function each (one file each, with its
 * SQL beside it). Every function follows the pool's rule: it returns 0 and
 * calls cb exactly once later, or returns -1 and never calls cb. Results
 * handed to callbacks are borrowed: valid only during the call. */
#ifndef CC_STORE_H
#define CC_STORE_H
#include <jansson.h>

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

#endif
