/* The support pipeline's inside: the state of one request (struct
 * support_run) and the stages' small interfaces. Only server/support/
 * files include this; handlers see server/support/support.h.
 *
 * The stages, in order (run.c strings them together):
 *   stage_assess.c    risk: the rules at once, the classifier concurrently
 *   stage_match.c     the corpus in memory: signals, distress, strategies
 *   stage_annotate.c  the annotations: the caller's, the model's or the corpus's
 *   stage_prompt.c    the strategy's prompt (a pure function of the run)
 *   stage_generate.c  the backend call, plain or streamed
 *   stage_check.c     the output check, a filter over the stream, and the
 *                     classifier's check of the reply
 *   stage_record.c    the record, when storing is on
 *   stage_reply.c     the last reply or event, errors, the crisis reply
 * with stream.c (Server-Sent Events) and reply_json.c (what every format
 * reports besides the text) beside them. */
#ifndef CC_SUPPORT_RUN_H
#define CC_SUPPORT_RUN_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "server/access.h"
#include "server/app.h"
#include "server/http.h"
#include "server/llm/llm.h"
#include "server/safety/classifier.h"
#include "server/safety/safety.h"
#include "server/support/lexicon.h"
#include "server/support/prompt.h"
#include "server/support/support.h"
#include "server/util.h"

/* One request's state, from the handler's parsed input to the last byte
 * of the reply. Owned by the run: freed by run_free once the request is
 * answered, or, for a stream, once the stream closes (the backend may
 * still write into it until then), or once a pending insert returns. */
typedef struct support_run {
	http_req *r;
	app *a;
	support_input in;
	lexicon *lex; /* a reference: match results point into it */
	const lexicon_culture *culture;
	lexicon_result match;
	json_t *annotations;    /* {"emotional_distress": [...], "cultural_signals": [...]} */
	json_t *annotator_meta; /* {"requested", "used", "fallback_reason"?} */
	prompt prompt;
	llm_call *call;
	char id[48];
	uint64_t t0;
	double ms_store, ms_annotator, ms_backend;
	/* streaming */
	http_stream *st;
	uv_timer_t *keepalive;
	bool ended;   /* the last event was written */
	size_t pieces;
	uint64_t last_write_ns;
	/* safety */
	safety *sf;           /* a reference: rules, resources, messages */
	risk_result risk;     /* the conversation's: the level acted on (history.c) */
	risk_level turn_level; /* the last message's own (with what it adds to recent turns, and
				* the classifier's): the crisis message from high on */
	risk_level history_level; /* the earlier user turns' highest */
	unsigned turns_assessed;  /* earlier user turns assessed */
	/* the conversation's earlier turns in the prompt (history.c) */
	json_t *turns;             /* what the backend gets between system and message */
	size_t turns_used, turns_dropped;
	json_t *turn_annotations;  /* annotate "all": the earlier user turns' annotations */
	const char *mode;     /* response_mode: normal, check_in, safe_messaging, run_crisis, replaced */
	reply_filter rf;      /* streams: the text so far, held back sentence by sentence */
	size_t fwd;           /* streams: bytes of rf.text sent to the client (what passed the
			       * check and was not sent yet waits for the classifier) */
	bool withheld;        /* streams: the check failed, nothing more forwarded */
	uv_timer_t *stop;     /* streams: ends the generation after a failed check */
	/* storage */
	json_t *final;        /* the last reply or event, sent once the record is stored */
	char token[44];       /* the deletion token, handed to the caller once */
	bool storing;         /* an insert is running: s lives until it returns */
	bool closed;          /* the stream closed while storing */
	access_principal who; /* the API key's limits (AUTH on) */
	bool stream_counted;  /* holds one of the key's stream slots */
	/* the classifier stage (RISK_CLASSIFIER), concurrent with matching,
	 * annotation and generation: nothing generated reaches the client
	 * before it has answered (or timed out) */
	classifier_kind ckind;
	classifier_call *cls;      /* the classification in flight (message, then reply) */
	const char *cls_outcome;   /* message: pending, agreed, raised, ...; NULL when off */
	bool cls_has_level;
	risk_level cls_level;
	char cls_codes[64];        /* llama-guard's categories */
	double cls_ms;             /* -1: no call made */
	const char *reply_outcome; /* the reply check: passed, flagged, ...; NULL: none */
	double reply_ms;
	bool risk_counted;
	bool generating;           /* the generation call started: its prompt has the level of then */
	bool gen_held;             /* the generation ended before the classifier answered */
	llm_result gen;            /* its result (or the one a reply check waits on) */
	char *gen_content, *gen_model;
} support_run;

#define STREAM_HIGH_WATER (64 * 1024) /* pause the backend above this */
#define STREAM_LOW_WATER (16 * 1024)  /* and resume it below this */

static inline double run_ms_since(uint64_t t)
{
	return (double)(now_ns() - t) / 1e6;
}

static inline bool run_is_openai(enum support_format f)
{
	return f == FMT_OPENAI || f == FMT_OPENAI_SSE;
}

static inline bool run_is_stream(enum support_format f)
{
	return f == FMT_SUPPORT_SSE || f == FMT_OPENAI_SSE;
}

/* ---- request.c ---- */
/* OpenAI's error object, with our details and request id beside. */
json_t *support_openai_error(err_code code, const char *message, json_t *details, const char *request_id);
/* 422 for field (extra's members added to the details; extra stolen). */
void support_invalid(http_req *r, enum support_format fmt, const char *field, const char *reason, json_t *extra);

/* ---- run.c: the flow ---- */
/* Frees the run and what it holds (cancels calls still in flight). */
void run_free(support_run *s);
/* After the annotations: the prompt, then the generation (again when the
 * classifier raised the level once the generation had started). */
void run_compose(support_run *s);

/* ---- stage_assess.c ---- */
/* The rules' level now; starts the classifier when configured. */
void stage_assess(support_run *s);
/* The rules' assessment of one text; a failed one is moderate (unknown is
 * not safe). */
void assess_text(const support_run *s, const char *text, size_t len, risk_result *out);
/* The level acted on, counted once it is final. */
void assess_count_risk(support_run *s);
/* response_mode from the level. */
void assess_set_mode(support_run *s);
/* The classifier stage in the request log line. */
void assess_log_classifier(support_run *s);

/* ---- history.c: the conversation ---- */
/* The earlier user turns' risk, each and with the message, into s->risk,
 * s->turn_level and s->history_level (after the message's own). */
void history_assess(support_run *s);
/* The earlier turns that fit LLM_MAX_CONTEXT_CHARS with the prompt, newest
 * kept first, into s->turns; -1 when out of memory. */
int history_fit(support_run *s);
/* The "context" member of the reply's metadata. */
json_t *history_context_json(const support_run *s);

/* ---- stage_match.c ---- */
/* Matches the message in the culture's corpus; -1 after replying. */
int stage_match(support_run *s);

/* ---- stage_annotate.c ---- */
/* Finds the annotations, then goes on with run_compose. */
void stage_annotate(support_run *s);
/* Replaces the annotations (both lists stolen). */
void annotate_set(support_run *s, json_t *distress, json_t *signals);

/* ---- stage_prompt.c ---- */
/* Builds s->prompt for the strategy, level and annotations, and the
 * earlier turns that go with it (history_fit); -1 on error. */
int stage_prompt(support_run *s);
/* A prompt_annotation array (ending with a zeroed one) of one annotation
 * list (borrowed; label_key: "intensity" or "type"); free() it. */
prompt_annotation *prompt_annotations_of(json_t *list, const char *label_key, size_t *n);

/* ---- stage_generate.c ---- */
/* False after replying 503 when the process has as many backend calls as
 * it may (LLM_MAX_CONCURRENT). */
bool generate_admit(support_run *s);
/* Opens the stream if needed and starts the backend call (a dry run
 * answers at once). */
void stage_generate(support_run *s);
/* Keeps a copy of the generation's result in s->gen. */
void generate_keep_result(support_run *s, const llm_result *res);

/* ---- stage_check.c ---- */
/* The output check as a filter over the stream (llm_handlers.on_piece). */
void check_on_piece(void *ud, const char *text, size_t len);
/* llm_handlers.is_full: pause the backend. */
bool check_is_full(void *ud);
/* The generation's end, once the classifier has answered: the check's
 * final part, then the classifier's check of the reply; then reply. */
void stage_check(support_run *s, const llm_result *res);

/* ---- stage_record.c ---- */
/* Stores the reply when allowed; true when an insert runs (its callback
 * delivers), false to deliver now. */
bool stage_record(support_run *s, const llm_result *res);

/* ---- stage_reply.c ---- */
/* Success (res NULL for a dry run): builds the last reply or event,
 * records, delivers. Frees s unless it streams. */
void run_answer(support_run *s, const llm_result *res);
/* Sends s->final. Frees s unless it streams. */
void run_deliver(support_run *s);
/* Failure after validation. Frees s unless it streams. */
void run_fail(support_run *s, err_code code, const char *message, json_t *details);
void run_fail_backend(support_run *s, const llm_result *res);
/* High or imminent risk: the crisis message, no model call. */
void run_crisis(support_run *s);

/* ---- reply_json.c ---- */
json_t *reply_safety_json(const support_run *s);
json_t *reply_meta_json(const support_run *s);
json_t *reply_timings_json(const support_run *s);
json_t *reply_usage_json(const llm_result *res, bool openai);
json_t *reply_backend_json(const llm_result *res);

/* ---- stream.c ---- */
void stream_open(support_run *s);
void stream_event(support_run *s, const char *name, json_t *data);
void stream_raw(support_run *s, const char *text);
void stream_end(support_run *s, bool failed);
/* One piece of text as a delta event (or an OpenAI chunk). */
void stream_text(support_run *s, const char *text, size_t len);
json_t *stream_openai_chunk(const support_run *s, json_t *delta, const char *finish);

#endif
