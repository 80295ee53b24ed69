/* Prometheus metrics: one process-wide registry of counters, gauges and
 * histograms in fixed arrays, and its text exposition (format 0.0.4).
 *
 * Observing is O(1) and never allocates; only a scrape builds its text. The
 * registry is plain memory without atomics: everything here runs on the
 * loop thread, like the rest of the service.
 *
 * Label values come only from fixed tables: the router's route patterns, a
 * fixed list of methods, status codes, backend indexes and enum names. No
 * caller can pass a string that ends up in a label, so nothing a request
 * carries can reach the metrics. */
#ifndef CC_METRICS_H
#define CC_METRICS_H
#include <stdbool.h>
#include <stddef.h>

#include "server/router.h"

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Records the start time (process_start_time_seconds); serve calls it.
 * The registry knows nothing of the domain: what it counts by the
 * domain's names (risk levels) is named by the domain through the
 * setters below, also called by serve at start. */
void metrics_init(void);

/* ---- HTTP ---- */
/* A request arrived (in flight until metrics_http_end). */
void metrics_http_begin(void);
/* A request completed. rt is NULL for a path no route has; status is 0
 * when no reply was sent (the client left before). */
void metrics_http_end(const route *rt, const char *method, unsigned status, double seconds);
void metrics_stream_opened(void);
void metrics_stream_closed(void);

/* ---- model backend ---- */
/* Why one backend request failed (culturecare_backend_errors_total{kind}). */
enum metrics_backend_error {
	BE_CONNECT,             /* could not reach the backend */
	BE_TIMEOUT,             /* LLM_TIMEOUT_MS or the connect timeout */
	BE_FIRST_TOKEN_TIMEOUT, /* streams: LLM_FIRST_TOKEN_TIMEOUT_MS */
	BE_IDLE_TIMEOUT,        /* streams: LLM_IDLE_TIMEOUT_MS */
	BE_RATE_LIMITED,        /* 429 */
	BE_HTTP_4XX,            /* another 4xx */
	BE_HTTP_5XX,
	BE_HTTP_OTHER,          /* 1xx or 3xx */
	BE_INVALID_REPLY,       /* 2xx but not a chat completion, cut short, too large */
	BE_CLIENT_GONE,         /* the caller abandoned the call (its client left) */
	BE_CANCELLED,           /* the client was closed (shutdown) */
	BE_KINDS
};
void metrics_backend_error(enum metrics_backend_error kind);
void metrics_backend_retry(void);
void metrics_backend_fallback(void);
/* A finished call (retries and fallbacks included): the backend that
 * answered last (an index of the configured list), its outcome, or
 * client_gone when abandoned; first_piece < 0 when no piece arrived or the
 * call was not a stream. */
enum metrics_call_outcome {
	MC_OK,            /* as server/llm/llm.h's llm_outcome, in its order */
	MC_TIMEOUT,
	MC_CONNECT,
	MC_HTTP_ERROR,
	MC_INVALID_REPLY,
	MC_CANCELLED,
	MC_CLIENT_GONE,   /* the caller abandoned the call */
	MC_OUTCOMES
};
void metrics_backend_call(unsigned backend, enum metrics_call_outcome outcome, double seconds, double first_piece);

/* ---- safety ---- */
/* The names of the risk levels, lowest first (the safety layer's names;
 * at most METRICS_RISK_LEVELS, not copied: they outlive the process's
 * loop). Until they are set, assessments are not counted. */
#define METRICS_RISK_LEVELS 8
void metrics_set_risk_levels(const char *const *names, unsigned n);
/* A message assessed at level (an index in those names). */
void metrics_risk_assessed(unsigned level);
void metrics_reply_replaced(void);
/* The classifier stage (server/safety/classifier.h): kind is a classifier_kind
 * above off, stage 0 for the message, 1 for the reply; outcome one of
 * metrics_classifier_outcomes (others are ignored); seconds < 0 when no
 * call was made. */
extern const char *const metrics_classifier_outcomes[];
void metrics_classifier(int kind, int stage, const char *outcome, double seconds);

/* ---- exposition ---- */
/* The database pool's connections at scrape time, read by the caller from
 * the store (open false: the pool is closed, size connections count as
 * down). */
typedef struct metrics_pool {
	bool open;
	unsigned size, connected, busy, waiting;
} metrics_pool;
/* The whole text. Returns a malloc'd buffer and its length, or NULL when
 * out of memory. */
char *metrics_render(const metrics_pool *pool, size_t *len);

#endif
