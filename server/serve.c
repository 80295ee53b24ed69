/* `culturecare serve`: start-up checks, the loop, graceful shutdown.
 * One thread runs everything: libmicrohttpd, libpq and (later) libcurl are
 * all driven by the same libuv loop. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/app.h"
#include "server/safety/classifier.h"
#include "server/safety/risk.h"
#include "server/support/corpus_load.h"
#include "server/db.h"
#include "server/gate.h"
#include "server/log.h"
#include "server/log_sink.h"
#include "server/metrics.h"
#include "server/safety/safety_build.h"
#include "server/safety/text_model.h"
#include "store/store.h"

static void finish(app *a);

/* ---- the corpus in memory ---- */

static void lexicon_reload(void *ud);

static void on_lexicon(void *ud, lexicon *lex)
{
	app *a = ud;
	a->lex_loading = false;
	if (lex) {
		lexicon_unref(a->lex);
		a->lex = lex;
	}
	if (a->lex_stale && !a->shutting_down) {
		a->lex_stale = false;
		lexicon_reload(a);
	}
}

static void on_safety(void *ud, const store_safety_data *d)
{
	app *a = ud;
	a->safety_loading = false;
	safety *sf = d ? safety_build(d, a->tm) : NULL;
	if (sf) {
		safety_unref(a->safety);
		a->safety = sf;
	}
}

/* Runs at start-up and when an import notifies a change. */
static void lexicon_reload(void *ud)
{
	app *a = ud;
	if (!a->safety_loading && a->pool && !a->shutting_down)
		a->safety_loading = store_safety_load(a->pool, on_safety, a) == 0;
	if (a->lex_loading) {
		a->lex_stale = true;
		return;
	}
	if (!a->pool || a->shutting_down)
		return;
	a->lex_loading = corpus_load_start(a->pool, on_lexicon, a) == 0;
}

static void keys_reload(void *ud);

static void on_keys(void *ud, const store_key_row *rows, size_t nrows, bool ok)
{
	app *a = ud;
	a->keys_loading = false;
	access_key *keys = ok ? calloc(nrows + 1, sizeof *keys) : NULL;
	size_t n = 0;
	for (size_t i = 0; keys && i < nrows; i++)
		if (access_key_parse(&keys[n], rows[i].sha256_hex, rows[i].id, rows[i].prefix, rows[i].scopes,
				     rows[i].rpm, rows[i].max_streams) == 0)
			n++; /* else a row the table's checks should have refused */
	if (!keys) {
		log_json(LOG_WARN, "API keys could not be loaded; the previous set stays", NULL);
	} else {
		bool first = !access_loaded(a->access);
		access_set_keys(a->access, keys, n);
		log_json(first ? LOG_INFO : LOG_DEBUG, "API keys loaded", json_pack("{s:i}", "keys", (int)n));
	}
	if (a->keys_stale) {
		a->keys_stale = false;
		keys_reload(a);
	}
}

/* At start-up, on NOTIFY culturecare, 'keys' (keys create / revoke) and
 * when the listening connection comes back. */
static void keys_reload(void *ud)
{
	app *a = ud;
	if (a->keys_loading) {
		a->keys_stale = true;
		return;
	}
	if (!a->pool || a->shutting_down)
		return;
	a->keys_loading = store_keys_load(a->pool, on_keys, a) == 0;
}

/* One channel, culturecare; the payload says what changed: corpus (an
 * import) or keys. NULL: the subscription (re)started, reload both. */
static void on_notify(void *ud, const char *payload)
{
	app *a = ud;
	if (!payload || strcmp(payload, "corpus") == 0)
		lexicon_reload(a);
	if ((!payload || strcmp(payload, "keys") == 0) && a->cfg->auth)
		keys_reload(a);
}

/* Notifications are the fast way; this catches what they cannot: a
 * DATABASE_URL on a replica that had not replayed the change yet when the
 * notification came. */
static void on_keys_refresh(uv_timer_t *t)
{
	keys_reload(t->data);
}

static void on_purged(void *ud, long rows, store_status st, const char *sqlstate)
{
	app *a = ud;
	a->purging = false;
	if (st != STORE_OK) {
		log_json(LOG_WARN, "purge of expired records failed; it runs again later",
			 json_pack("{s:s?}", "sqlstate", sqlstate));
		return;
	}
	if (rows != 0)
		log_json(LOG_INFO, "expired records erased",
			 json_pack("{s:i,s:f}", "records", (int)rows, "retention_days", a->cfg->retention_days));
}

/* The retention period is enforced here, on the loop, whether or not this
 * process stores records itself (an earlier one may have). */
static void on_purge_timer(uv_timer_t *t)
{
	app *a = t->data;
	if (a->purging || !a->pool || a->shutting_down)
		return;
	a->purging = store_records_purge(a->pool, a->cfg->retention_days, on_purged, a) == 0;
}

static void on_drain_done(uv_timer_t *t)
{
	finish(t->data);
}

/* Runs after each completed request while draining. It may be called from
 * inside libmicrohttpd, which must not be stopped from there: defer. */
static void on_idle(void *ud)
{
	app *a = ud;
	if (http_server_inflight(a->http) == 0) {
		uv_timer_stop(&a->drain);
		uv_timer_start(&a->drain, on_drain_done, 0, 0);
	}
}

static void on_drain_timeout(uv_timer_t *t)
{
	app *a = t->data;
	log_json(LOG_WARN, "drain time over; failing what is still waiting",
		 json_pack("{s:i}", "in_flight", (int)http_server_inflight(a->http)));
	/* Closing the pool answers every waiting query; their handlers reply,
	 * the connections resume and complete, and on_idle finishes. */
	http_server_refuse(a->http); /* what still comes gets 503, not a NULL pool */
	store_pool *p = a->pool;
	a->pool = NULL;
	store_pool_close(p, NULL, NULL);
	llm_client_close(a->llm);
	a->llm = NULL;
	on_idle(a);
}

static void begin_shutdown(app *a, int signum)
{
	if (a->shutting_down)
		return;
	a->shutting_down = true;
	log_json(LOG_INFO, "shutting down", json_pack("{s:s,s:i}", "signal", signum == SIGINT ? "SIGINT" : "SIGTERM",
						       "in_flight", (int)http_server_inflight(a->http)));
	http_server_quiesce(a->http);
	uv_timer_stop(&a->purge);
	uv_timer_stop(&a->keys_refresh);
	memtrim_stop(&a->trim);
	uv_signal_stop(&a->sigterm);
	uv_signal_stop(&a->sigint);
	http_server_on_idle(a->http, on_idle, a);
	uv_timer_start(&a->drain, on_drain_timeout, a->cfg->drain_ms, 0);
	on_idle(a);
}

static void on_signal(uv_signal_t *h, int signum)
{
	begin_shutdown(h->data, signum);
}

static void finish(app *a)
{
	if (a->http) {
		http_server_stop(a->http, NULL, NULL);
		a->http = NULL;
	}
	if (a->metrics_http) {
		http_server_stop(a->metrics_http, NULL, NULL);
		a->metrics_http = NULL;
	}
	if (a->pool) {
		store_pool_close(a->pool, NULL, NULL);
		a->pool = NULL;
	}
	if (a->listen_pool) {
		store_pool_close(a->listen_pool, NULL, NULL);
		a->listen_pool = NULL;
	}
	llm_client_close(a->llm);
	a->llm = NULL;
	lexicon_unref(a->lex);
	a->lex = NULL;
	safety_unref(a->safety);
	a->safety = NULL;
	access_free(a->access);
	a->access = NULL;
	uv_close((uv_handle_t *)&a->sigterm, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_close((uv_handle_t *)&a->drain, NULL);
	uv_close((uv_handle_t *)&a->purge, NULL);
	uv_close((uv_handle_t *)&a->keys_refresh, NULL);
	memtrim_close(&a->trim);
	log_json(LOG_INFO, "stopped", NULL);
	log_sink_stop(2000); /* the rest of the log, then direct writes */
}

/* Refuses to start on a schema older than the code (or edited). A database
 * that does not answer yet is no reason to refuse: /readyz reports it. */
static int check_schema(app *a)
{
	char err[512];
	PGconn *pg = db_connect_blocking(a->cfg->database_url, 5, err, sizeof err);
	if (!pg) {
		log_json(LOG_WARN, "database not reachable at start-up; /readyz answers 503 until it is",
			 json_pack("{s:s}", "detail", err));
		return 0;
	}
	char detail[512];
	int st = schema_check(pg, &a->migrations, detail, sizeof detail);
	PQfinish(pg);
	if (st == SCHEMA_OUTDATED || st == SCHEMA_EDITED) {
		fprintf(stderr, "culturecare serve: %s\n", detail);
		return -1;
	}
	if (st == SCHEMA_NEWER)
		log_json(LOG_WARN, "database schema is newer than this build", json_pack("{s:s}", "detail", detail));
	return 0;
}

/* The API listener, and the metrics listener when METRICS_PORT is set:
 * /metrics is then served there only, so that it can stay off the network
 * the API faces. */
static int start_listeners(app *a, char *err, size_t errlen)
{
	const config *cfg = a->cfg;
	bool own = cfg->metrics_port >= 0;
	a->http = http_server_start(a->loop, cfg, cfg->host, cfg->port, own ? HTTP_ROUTES_API : HTTP_ROUTES_ALL, a,
				    err, errlen);
	if (!a->http || !own)
		return a->http ? 0 : -1;
	a->metrics_http = http_server_start(a->loop, cfg, cfg->metrics_host, (unsigned)cfg->metrics_port,
					    HTTP_ROUTES_METRICS, a, err, errlen);
	if (a->metrics_http)
		return 0;
	http_server_stop(a->http, NULL, NULL);
	a->http = NULL;
	return -1;
}

/* A start that failed once the loop was made: says why, closes what was
 * opened and returns the exit code. */
static int start_failed(app *a, const char *why)
{
	fprintf(stderr, "culturecare serve: %s\n", why);
	log_sink_stop(2000);
	store_pool_close(a->pool, NULL, NULL);
	llm_client_close(a->llm);
	access_free(a->access);
	memtrim_close(&a->trim);
	uv_run(a->loop, UV_RUN_DEFAULT);
	uv_loop_close(a->loop);
	migrations_free(&a->migrations);
	text_model_free(a->tm);
	return 1;
}

/* The metrics count assessments by the safety layer's level names, which
 * the registry (HTTP plumbing) does not know: they are handed to it here. */
static void metrics_name_levels(void)
{
	static const char *names[RISK_IMMINENT + 1];
	for (unsigned l = 0; l <= RISK_IMMINENT; l++)
		names[l] = risk_level_name((risk_level)l);
	metrics_set_risk_levels(names, RISK_IMMINENT + 1);
}

/* Trains the text models on the sets compiled in (RISK_TEXT_MODEL=on) and
 * logs how long it took. -1 when out of memory. */
static int text_model_setup(app *a)
{
	if (!a->cfg->risk_text_model) {
		log_json(LOG_WARN, "RISK_TEXT_MODEL=off: risk and replies are checked without the text model", NULL);
		return 0;
	}
	uint64_t t0 = uv_hrtime();
	a->tm = text_model_builtin();
	if (!a->tm)
		return -1;
	a->tm->low_min = a->cfg->risk_low_floor;
	log_json(LOG_INFO, "text model trained",
		 json_pack("{s:i,s:i,s:f,s:f}", "risk_messages", (int)a->tm->risk_docs, "replies", (int)a->tm->reply_docs,
			   "low_floor", a->tm->low_min, "ms", (double)(uv_hrtime() - t0) / 1e6));
	return 0;
}

int serve_run(config *cfg)
{
	app a = {0};
	a.cfg = cfg;
	log_set_level(cfg->log_level);
	metrics_init();
	metrics_name_levels();
	char err[512];
	if (classifier_setup(cfg, err, sizeof err) < 0) {
		fprintf(stderr, "culturecare serve: %s\n", err);
		return 1;
	}
	if (migrations_load(cfg->migrations_dir, &a.migrations, err, sizeof err) < 0) {
		fprintf(stderr, "culturecare serve: %s\n", err);
		return 1;
	}
	if (check_schema(&a) < 0 || text_model_setup(&a) < 0) {
		migrations_free(&a.migrations);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	memtrim_setup();
	a.loop = uv_default_loop();
	memtrim_start(&a.trim, a.loop);
	log_sink_start(a.loop);
	a.pool = store_pool_new(a.loop, cfg->database_url, cfg->db_pool_size, cfg->db_timeout_ms, store_statements);
	if (!a.pool)
		return start_failed(&a, "out of memory");
	a.llm = llm_client_new(a.loop, cfg);
	if (!a.llm)
		return start_failed(&a, "cannot set up the backend client");
	a.access = access_new(cfg->rate_limit_rpm, cfg->rate_limit_streams);
	if (!cfg->auth)
		log_json(LOG_WARN, "AUTH=off: every request is let through without an API key; use this only locally", NULL);
	if (cfg->risk_role_play_at_low)
		log_json(LOG_WARN, "RISK_ROLE_PLAY_AT_LOW=on: a message at low keeps the persona, whatever the text model found", NULL);
	if (start_listeners(&a, err, sizeof err) < 0)
		return start_failed(&a, err);
	http_server_set_gate(a.http, app_gate, &a);
	/* LISTEN needs a connection that stays one server session: through a
	 * transaction pooler it would be lost, so it may have its own URL. */
	static const store_stmt *const no_statements[] = {NULL};
	if (cfg->database_listen_url && *cfg->database_listen_url)
		a.listen_pool = store_pool_new(a.loop, cfg->database_listen_url, 1, cfg->db_timeout_ms, no_statements);
	store_pool_listen(a.listen_pool ? a.listen_pool : a.pool, "culturecare", on_notify, &a);
	uv_signal_init(a.loop, &a.sigterm);
	uv_signal_init(a.loop, &a.sigint);
	a.sigterm.data = a.sigint.data = &a;
	uv_signal_start(&a.sigterm, on_signal, SIGTERM);
	uv_signal_start(&a.sigint, on_signal, SIGINT);
	uv_timer_init(a.loop, &a.drain);
	a.drain.data = &a;
	uv_timer_init(a.loop, &a.keys_refresh);
	a.keys_refresh.data = &a;
	if (cfg->auth)
		uv_timer_start(&a.keys_refresh, on_keys_refresh, 30000, 30000);
	uv_timer_init(a.loop, &a.purge);
	a.purge.data = &a;
	uv_timer_start(&a.purge, on_purge_timer, cfg->purge_interval_ms < 1000 ? cfg->purge_interval_ms : 1000,
		       cfg->purge_interval_ms);
	json_t *f = json_pack("{s:s,s:i,s:i,s:i}", "host", cfg->host, "port", (int)http_server_port(a.http),
			      "db_pool_size", (int)cfg->db_pool_size, "schema_version", (int)a.migrations.n);
	if (a.metrics_http)
		json_object_update_new(f, json_pack("{s:s,s:i}", "metrics_host", cfg->metrics_host, "metrics_port",
						    (int)http_server_port(a.metrics_http)));
	log_json(LOG_INFO, "listening", f);
	uv_run(a.loop, UV_RUN_DEFAULT);
	log_sink_stop(2000); /* when the loop ended some other way */
	int rc = uv_loop_close(a.loop);
	if (rc != 0)
		log_json(LOG_WARN, "loop closed with handles open", NULL);
	migrations_free(&a.migrations);
	text_model_free(a.tm); /* after every safety that borrowed it */
	return a.exit_code;
}
