/* The state of a running `serve`: what handlers reach through
 * http_req_app(). Owned by serve.c; lives on the loop thread. */
#ifndef CC_APP_H
#define CC_APP_H
#include <stdbool.h>
#include <uv.h>

#include "server/access.h"
#include "server/config.h"
#include "server/http.h"
#include "server/memtrim.h"
#include "store/migrate.h"
#include "store/pool.h"

/* The domain's objects, opaque here: the process holds them, the HTTP
 * plumbing that includes this header needs nothing of them. */
typedef struct llm_client llm_client;
typedef struct lexicon lexicon;
typedef struct safety safety;
typedef struct text_model text_model;

typedef struct app {
	uv_loop_t *loop;
	const config *cfg;
	migration_set migrations; /* what the code expects of the schema */
	store_pool *pool;
	store_pool *listen_pool; /* DATABASE_LISTEN_URL's one connection, or NULL */
	http_server *http;
	http_server *metrics_http; /* the METRICS_PORT listener, or NULL */
	llm_client *llm;
	lexicon *lex;      /* the corpus in memory; NULL until loaded */
	safety *safety;    /* risk rules, crisis resources and messages; NULL until loaded */
	text_model *tm;    /* RISK_TEXT_MODEL: trained at start-up; NULL when off */
	access_table *access;    /* API keys and their limits */
	bool keys_loading, keys_stale;
	bool safety_loading;
	bool lex_loading;  /* a load is running */
	bool lex_stale;    /* the corpus changed while it ran: load again */
	bool shutting_down;
	uv_signal_t sigterm, sigint;
	uv_timer_t drain;
	uv_timer_t purge;  /* erases records past RETENTION_DAYS */
	uv_timer_t keys_refresh; /* reloads the keys now and then, besides NOTIFY */
	memtrim trim;      /* returns the heap's free pages after a burst */
	bool purging;
	int exit_code;
} app;

/* Runs the service until SIGTERM/SIGINT; returns the exit code. */
int serve_run(config *cfg);

#endif
