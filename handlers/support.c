/* The support pipeline (see support.h):
 *
 *   1. resolve the culture in the in-memory corpus;
 *   2. match the message: the culture's cultural signals, the most similar
 *      annotated distress phrases, the support strategies peers used;
 *   3. annotations for the prompt: the caller's, the model's (annotator
 *      "llm", one JSON-mode call) or the corpus's;
 *   4. build the chosen strategy's prompt and call the backend, plain or
 *      streamed;
 *   5. answer in the requested format. Nothing of the message ever reaches
 *      a log line or an error reply.
 *
 * Beside 2 to 4 runs the classifier stage (RISK_CLASSIFIER, see
 * on_classified): what was generated waits for its answer, which may only
 * raise the level; generated replies are checked by it too (check_reply).
 *
 * Lifetime: a support lives until its request is answered. A streamed one
 * lives until the stream closes (the client read the end or went away),
 * because the backend may still be writing into it until then. */
#include "handlers/support.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/annotator.h"
#include "server/classifier.h"
#include "server/log.h"
#include "server/risk_model.h"
#include "server/sha256.h"
#include "server/app.h"
#include "server/llm.h"
#include "server/metrics.h"
#include "server/safety.h"
#include "server/sse.h"
#include "server/util.h"
#include "store/store.h"

#define SUPPORT_MAX_MESSAGE_CHARS 16000
#define MAX_GIVEN 50
#define MAX_PHRASE_CHARS 2000
#define SENTENCE_SIMILARITY 0.3
#define MAX_SENTENCES 20
#define STREAM_HIGH_WATER (64 * 1024) /* pause the backend above this */
#define STREAM_LOW_WATER (16 * 1024)  /* and resume it below this */

const char *const support_annotator_names[] = {"auto", "llm", "corpus", "none", NULL};

static const char *const intensities[] = {"light", "moderate", "high", NULL};
static const char *const signal_types[] = {"Concepts", "Knowledge", "Values", "Norms and Morals",
					   "Language", "Artifacts", "Demographics", NULL};

typedef struct support {
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
	risk_result risk;
	const char *mode;     /* response_mode: normal, check_in, safe_messaging, crisis, replaced */
	char *acc;            /* streams: the text so far, for the output check */
	size_t acc_len;
	size_t fwd;           /* streams: bytes of acc sent to the client */
	bool withheld;        /* streams: unsafe text seen, nothing more forwarded */
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
} support;

static double ms_since(uint64_t t)
{
	return (double)(now_ns() - t) / 1e6;
}

static void on_keepalive_closed(uv_handle_t *h)
{
	free(h);
}

static void support_free(support *s)
{
	if (!s)
		return;
	if (s->call)
		llm_cancel(s->call);
	classifier_cancel(s->cls);
	free(s->gen_content);
	free(s->gen_model);
	if (s->keepalive)
		uv_close((uv_handle_t *)s->keepalive, on_keepalive_closed);
	if (s->stream_counted)
		access_stream_close(&s->who);
	lexicon_result_clear(&s->match);
	lexicon_unref(s->lex);
	safety_unref(s->sf);
	free(s->acc);
	json_decref(s->annotations);
	json_decref(s->annotator_meta);
	json_decref(s->in.body);
	json_decref(s->final);
	prompt_clear(&s->prompt);
	free(s);
}

static bool is_openai(enum support_format f)
{
	return f == FMT_OPENAI || f == FMT_OPENAI_SSE;
}

static bool is_stream(enum support_format f)
{
	return f == FMT_SUPPORT_SSE || f == FMT_OPENAI_SSE;
}

/* ---- errors ---- */

static const char *openai_type(err_code code)
{
	switch (code) {
	case ERR_RATE_LIMITED:
		return "rate_limit_error";
	case ERR_OVERLOADED:
		return "server_error";
	case ERR_INTERNAL:
	case ERR_BACKEND_FAILED:
	case ERR_BACKEND_TIMEOUT:
	case ERR_NOT_READY:
	case ERR_DATABASE_UNAVAILABLE:
		return "api_error";
	default:
		return "invalid_request_error";
	}
}

/* OpenAI's error object: {"message", "type", "param", "code"}, with our
 * details and request id beside. */
static json_t *openai_error(err_code code, const char *message, json_t *details, const char *request_id)
{
	const err_info *e = err_lookup(code);
	json_t *param = json_null();
	if (details && json_is_string(json_object_get(details, "field")))
		param = json_string(json_string_value(json_object_get(details, "field")));
	json_t *err = json_pack("{s:s,s:s,s:o,s:s}", "message", message ? message : e->message, "type", openai_type(code),
				"param", param, "code", e->name);
	if (details)
		json_object_set_new(err, "details", details);
	return json_pack("{s:o,s:s}", "error", err, "request_id", request_id);
}

void support_reply_error(http_req *r, enum support_format fmt, err_code code, const char *message, json_t *details)
{
	if (is_openai(fmt))
		http_reply_json(r, err_lookup(code)->status, openai_error(code, message, details, http_req_id(r)));
	else
		http_reply_error(r, code, message, details);
}

static void invalid(http_req *r, enum support_format fmt, const char *field, const char *reason, json_t *extra)
{
	json_t *d = json_pack("{s:s,s:s}", "field", field, "reason", reason);
	if (extra)
		json_object_update(d, extra);
	json_decref(extra);
	support_reply_error(r, fmt, ERR_INVALID_FIELD, NULL, d);
}

static int in_list(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static json_t *list_json(const char *const *list)
{
	json_t *a = json_array();
	for (int i = 0; list[i]; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

/* Validates the caller's annotations; returns 0 or replies 422. */
int support_check_annotations(http_req *r, json_t *given, enum support_format fmt)
{
	static const char *const keys[] = {"emotional_distress", "cultural_signals"};
	static const char *const label_keys[] = {"intensity", "type"};
	const char *const *labels[] = {intensities, signal_types};
	const char *key;
	json_t *v;
	json_object_foreach(given, key, v)
	{
		if (strcmp(key, keys[0]) && strcmp(key, keys[1])) {
			invalid(r, fmt, "annotations", "unknown member: expected emotional_distress and cultural_signals", NULL);
			return -1;
		}
	}
	for (int k = 0; k < 2; k++) {
		json_t *list = json_object_get(given, keys[k]);
		char field[64];
		snprintf(field, sizeof field, "annotations.%s", keys[k]);
		if (!list || json_is_null(list))
			continue;
		if (!json_is_array(list) || json_array_size(list) > MAX_GIVEN) {
			invalid(r, fmt, field, "must be an array of at most 50 items", NULL);
			return -1;
		}
		size_t i;
		json_t *item;
		json_array_foreach(list, i, item)
		{
			snprintf(field, sizeof field, "annotations.%s[%zu]", keys[k], i);
			json_t *phrase = json_object_get(item, "phrase");
			json_t *label = json_object_get(item, label_keys[k]);
			if (!json_is_object(item) || json_object_size(item) != 2 || !json_is_string(phrase) ||
			    !json_is_string(label)) {
				invalid(r, fmt, field,
					k == 0 ? "must be {\"phrase\": string, \"intensity\": string}"
					       : "must be {\"phrase\": string, \"type\": string}",
					NULL);
				return -1;
			}
			size_t pl = json_string_length(phrase);
			if (pl == 0 || utf8_length(json_string_value(phrase), pl) > MAX_PHRASE_CHARS) {
				invalid(r, fmt, field, "phrase must have 1 to 2000 characters", NULL);
				return -1;
			}
			if (!in_list(json_string_value(label), labels[k])) {
				invalid(r, fmt, field, k == 0 ? "unknown intensity" : "unknown signal type",
					json_pack("{s:o}", "allowed", list_json(labels[k])));
				return -1;
			}
		}
	}
	return 0;
}

/* ---- annotations ---- */

static json_t *corpus_signals(const support *s)
{
	json_t *out = json_array();
	for (size_t i = 0; i < s->match.nsignals; i++) {
		const lexicon_signal_match *m = &s->match.signals[i];
		/* The same phrase and type on both sides is one annotation. */
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(s->match.signals[k].phrase, m->phrase) == 0 &&
			       (s->match.signals[k].type == m->type ||
				(s->match.signals[k].type && m->type && strcmp(s->match.signals[k].type, m->type) == 0));
		if (seen)
			continue;
		json_array_append_new(out, json_pack("{s:s,s:s?,s:s,s:{s:s,s:f,s:s}}", "phrase", m->phrase, "type", m->type,
						     "source", "corpus", "match", "phrase", m->phrase, "similarity",
						     m->similarity, "side", m->side));
	}
	return out;
}

/* Corpus distress: each sentence of the message gets the intensity of the
 * nearest annotated distress phrase of the culture, when one is close. */
static json_t *corpus_distress(const support *s)
{
	json_t *out = json_array();
	lexicon_opts o;
	lexicon_opts_default(&o);
	o.max_signals = 0;
	o.max_distress = 1;
	o.distress_threshold = SENTENCE_SIMILARITY;
	const char *p = s->in.message, *end = s->in.message + s->in.message_len;
	int sentences = 0;
	while (p < end && sentences < MAX_SENTENCES) {
		/* A sentence ends at . ! ? newline or their CJK forms 。！？ */
		const char *q = p;
		size_t skip = 0;
		while (q < end) {
			if (*q == '.' || *q == '!' || *q == '?' || *q == '\n') {
				skip = 1;
				break;
			}
			if (end - q >= 3 && (!memcmp(q, "\xe3\x80\x82", 3) || !memcmp(q, "\xef\xbc\x81", 3) ||
					     !memcmp(q, "\xef\xbc\x9f", 3))) {
				skip = 3;
				break;
			}
			q++;
		}
		const char *a = p, *b = q;
		while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
			b--;
		if (b - a >= 3) {
			sentences++;
			lexicon_result r = {0};
			if (lexicon_match(s->lex, s->culture, a, (size_t)(b - a), &o, &r) == 0 && r.ndistress > 0 &&
			    r.distress[0].intensity && r.distress[0].similarity >= SENTENCE_SIMILARITY) {
				json_t *span = json_stringn(a, (size_t)(b - a));
				if (span)
					json_array_append_new(out, json_pack("{s:o,s:s,s:s,s:{s:s,s:f}}", "phrase", span,
									     "intensity", r.distress[0].intensity, "source",
									     "corpus", "match", "phrase", r.distress[0].phrase,
									     "similarity", r.distress[0].similarity));
			}
			lexicon_result_clear(&r);
		}
		p = q + skip;
	}
	return out;
}

static json_t *with_source(json_t *list, const char *source)
{
	json_t *out = json_array();
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item)
	{
		json_t *c = json_deep_copy(item);
		json_object_set_new(c, "source", json_string(source));
		json_array_append_new(out, c);
	}
	return out;
}

static void set_annotations(support *s, json_t *distress, json_t *signals)
{
	json_decref(s->annotations);
	s->annotations = json_pack("{s:o,s:o}", "emotional_distress", distress, "cultural_signals", signals);
}

static void use_corpus(support *s, const char *used, const char *fallback_reason)
{
	set_annotations(s, corpus_distress(s), corpus_signals(s));
	json_object_set_new(s->annotator_meta, "used", json_string(used));
	if (fallback_reason)
		json_object_set_new(s->annotator_meta, "fallback_reason", json_string(fallback_reason));
}

/* ---- metadata ---- */

static json_t *strategies_json(const support *s)
{
	json_t *out = json_array();
	for (size_t i = 0; i < s->match.nstrategies; i++) {
		const lexicon_strategy *st = &s->match.strategies[i];
		json_t *ex = json_array();
		for (size_t k = 0; k < st->nexamples; k++)
			json_array_append_new(ex, json_string(st->examples[k]));
		json_array_append_new(out, json_pack("{s:s,s:f,s:o}", "strategy", st->strategy, "weight", st->weight,
						     "examples", ex));
	}
	return out;
}

/* safety.classifier: what the classifier stage did (no text, fixed names). */
static json_t *classifier_json(const support *s)
{
	json_t *c = json_pack("{s:s,s:s}", "kind", classifier_kind_name(s->ckind), "outcome", s->cls_outcome);
	if (s->cls_has_level)
		json_object_set_new(c, "level", json_string(risk_level_name(s->cls_level)));
	if (*s->cls_codes) {
		json_t *codes = json_array();
		for (const char *p = s->cls_codes; *p;) {
			size_t n = strcspn(p, ",");
			json_array_append_new(codes, json_stringn(p, n));
			p += n + (p[n] == ',');
		}
		json_object_set_new(c, "llama_guard_categories", codes);
	}
	if (s->cls_ms >= 0)
		json_object_set_new(c, "latency_ms", json_real(s->cls_ms));
	if (s->reply_outcome) {
		json_t *r = json_pack("{s:s}", "outcome", s->reply_outcome);
		if (s->reply_ms >= 0)
			json_object_set_new(r, "latency_ms", json_real(s->reply_ms));
		json_object_set_new(c, "reply", r);
	}
	return c;
}

/* What every format reports besides the text. */
/* Resources go with every reply at moderate risk and above, and whenever
 * someone else is at risk or harm is spoken of; open_now from the clock. */
static json_t *safety_of(const support *s)
{
	bool resources = s->risk.level >= RISK_MODERATE ||
			 (s->risk.categories & (RISK_CAT_HARM_OTHERS | RISK_CAT_ABUSE | RISK_CAT_THIRD_PERSON));
	json_t *list = resources ? safety_resources_for(s->sf, s->in.country, lexicon_culture_code(s->culture),
							  (int64_t)time(NULL))
				 : json_array();
	json_t *j = safety_json(&s->risk, s->mode, list);
	if (s->cls_outcome)
		json_object_set_new(j, "classifier", classifier_json(s));
	return j;
}

static json_t *meta_json(const support *s)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:O,s:O,s:o}", "id", s->id, "culture", lexicon_culture_code(s->culture),
			      "strategy", prompt_strategy_name(s->in.strategy), "annotations", s->annotations,
			      "annotator", s->annotator_meta, "support_strategies", strategies_json(s));
	json_object_set_new(m, "safety", safety_of(s));
	if (s->in.include_prompt)
		json_object_set_new(m, "prompt",
				    json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content", s->prompt.system,
					      "role", "user", "content", s->prompt.user));
	return m;
}

static json_t *timings_json(const support *s)
{
	return json_pack("{s:f,s:f,s:f,s:f}", "store", s->ms_store, "annotator", s->ms_annotator, "backend",
			 s->ms_backend, "total", ms_since(s->t0));
}

static json_t *usage_json(const llm_result *res, bool openai)
{
	json_t *u = json_object();
	if (res->prompt_tokens >= 0)
		json_object_set_new(u, "prompt_tokens", json_integer(res->prompt_tokens));
	if (res->completion_tokens >= 0)
		json_object_set_new(u, "completion_tokens", json_integer(res->completion_tokens));
	if (openai)
		json_object_set_new(u, "total_tokens",
				    json_integer((res->prompt_tokens > 0 ? res->prompt_tokens : 0) +
						 (res->completion_tokens > 0 ? res->completion_tokens : 0)));
	return u;
}

static json_t *backend_json(const llm_result *res)
{
	return json_pack("{s:i,s:s,s:i}", "index", (int)res->backend, "base_url", res->backend_url, "attempts",
			 (int)res->attempts);
}

/* ---- streams ---- */

static void stream_event(support *s, const char *name, json_t *data)
{
	s->last_write_ns = now_ns();
	char *text = json_dumps(data, JSON_COMPACT | JSON_REAL_PRECISION(6));
	json_decref(data);
	size_t len;
	char *ev = text ? sse_format(name, text, strlen(text), &len) : NULL;
	if (ev)
		http_stream_write(s->st, ev, len);
	free(ev);
	free(text);
}

static void stream_raw(support *s, const char *text)
{
	s->last_write_ns = now_ns();
	http_stream_write(s->st, text, strlen(text));
}

static void stream_end(support *s, bool failed)
{
	s->ended = true;
	if (s->keepalive)
		uv_timer_stop(s->keepalive);
	http_stream_end(s->st, failed);
}

static json_t *openai_chunk_json(const support *s, json_t *delta, const char *finish)
{
	return json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:o,s:s?}]}", "id", s->id, "object", "chat.completion.chunk",
			 "created", (json_int_t)time(NULL), "model", s->in.model_name, "choices", "index", 0, "delta",
			 delta, "finish_reason", finish);
}

/* Every second or keep-alive period: a client that left a silent stream
 * cancels the backend call; an idle stream gets a comment line. */
static void on_keepalive(uv_timer_t *t)
{
	support *s = t->data;
	if (s->ended || !s->st)
		return;
	if (http_stream_peer_gone(s->st)) {
		if (s->call) {
			llm_cancel(s->call);
			s->call = NULL;
		}
		classifier_cancel(s->cls);
		s->cls = NULL;
		stream_end(s, true);
		return;
	}
	if (http_stream_buffered(s->st) == 0 &&
	    now_ns() - s->last_write_ns >= (uint64_t)s->a->cfg->sse_keepalive_ms * 1000000u)
		stream_raw(s, ": keep-alive\n\n");
}

static void on_stream_drain(void *ud)
{
	support *s = ud;
	if (s->call)
		llm_resume(s->call);
}

/* The request is over (the client read everything or went away). */
static void on_stream_close(void *ud)
{
	support *s = ud;
	s->st = NULL;
	if (s->storing) { /* the insert's callback frees s */
		s->closed = true;
		return;
	}
	support_free(s); /* cancels a backend call still running */
}

static void stream_open(support *s)
{
	s->st = http_reply_stream(s->r, 200, "text/event-stream; charset=utf-8", STREAM_LOW_WATER);
	if (!s->st)
		return;
	http_stream_set_callbacks(s->st, on_stream_drain, on_stream_close, s);
	s->keepalive = malloc(sizeof *s->keepalive);
	if (s->keepalive) {
		uv_timer_init(s->a->loop, s->keepalive);
		s->keepalive->data = s;
		unsigned every = s->a->cfg->sse_keepalive_ms < 1000 ? s->a->cfg->sse_keepalive_ms : 1000;
		uv_timer_start(s->keepalive, on_keepalive, every, every);
	}
	if (s->in.format == FMT_SUPPORT_SSE) {
		stream_event(s, "meta", meta_json(s));
	} else {
		json_t *first = openai_chunk_json(s, json_pack("{s:s,s:s}", "role", "assistant", "content", ""), NULL);
		json_object_set_new(first, "culturecare", meta_json(s));
		stream_event(s, NULL, first);
	}
}

/* Writes one piece of text as a delta event (or an OpenAI chunk). */
static void on_piece_raw(support *s, const char *text, size_t len)
{
	if (!s->st || s->ended)
		return;
	s->pieces++;
	json_t *t = json_stringn(text, len);
	if (!t)
		return;
	if (s->in.format == FMT_SUPPORT_SSE)
		stream_event(s, "delta", json_pack("{s:o}", "text", t));
	else
		stream_event(s, NULL, openai_chunk_json(s, json_pack("{s:o}", "content", t), NULL));
}

static void on_piece(void *ud, const char *text, size_t len)
{
	support *s = ud;
	if (!s->st || s->ended)
		return;
	/* The output check runs on the text so far: once unsafe, nothing more
	 * is forwarded and the end of the stream replaces the reply. */
	char *acc = realloc(s->acc, s->acc_len + len + 1);
	if (acc) {
		memcpy(acc + s->acc_len, text, len);
		s->acc = acc;
		s->acc_len += len;
		s->acc[s->acc_len] = '\0';
	}
	/* only the new text and the few bytes before it can hold a new match */
	size_t from = s->acc_len > len + 128 ? s->acc_len - len - 128 : 0;
	if (s->withheld || !acc || safety_reply_unsafe(s->sf, s->acc + from)) {
		s->withheld = true;
		return;
	}
	if (s->cls) /* held until the classifier has answered */
		return;
	size_t hold = safety_unsafe_prefix_len(s->sf, s->acc, s->acc_len);
	if (s->acc_len - hold > s->fwd) {
		on_piece_raw(s, s->acc + s->fwd, s->acc_len - hold - s->fwd);
		s->fwd = s->acc_len - hold;
	}
}

static bool is_full(void *ud)
{
	support *s = ud;
	return s->st && http_stream_buffered(s->st) > STREAM_HIGH_WATER;
}

/* ---- answers ---- */

static void fail(support *s, err_code code, const char *message, json_t *details);

/* Where the storage object goes in each format's last reply or event. */
static json_t *storage_parent(const support *s, json_t *final)
{
	return is_openai(s->in.format) ? json_object_get(final, "culturecare") : final;
}

/* Sends the last reply or event (s->final). Frees s unless it streams. */
static void deliver(support *s)
{
	http_req *r = s->r;
	json_t *final = s->final;
	s->final = NULL;
	switch (s->in.format) {
	case FMT_SUPPORT:
	case FMT_OPENAI:
		support_free(s);
		http_reply_json(r, 200, final);
		return;
	case FMT_SUPPORT_SSE:
		stream_event(s, "done", final);
		stream_end(s, false);
		return;
	case FMT_OPENAI_SSE:
		stream_event(s, NULL, final);
		stream_raw(s, "data: [DONE]\n\n");
		stream_end(s, false);
		return;
	}
}

/* The record's id: the reply's UUID (inside chatcmpl-... for /v1). */
static const char *record_id(const support *s)
{
	return is_openai(s->in.format) ? s->id + strlen("chatcmpl-") : s->id;
}

static void on_stored(void *ud, const PGresult *res, store_status st, const char *sqlstate)
{
	(void)sqlstate;
	support *s = ud;
	s->storing = false;
	if (s->closed) { /* the client left: the record stays, nobody to tell */
		support_free(s);
		return;
	}
	json_t *storage;
	if (st == STORE_OK && PQntuples(res) == 1) {
		storage = json_pack("{s:b,s:s,s:s,s:s}", "stored", true, "id", record_id(s), "deletion_token", s->token,
				    "expires_at", PQgetvalue(res, 0, 0));
	} else {
		log_json(LOG_ERROR, "reply not stored",
			 json_pack("{s:s,s:s}", "request_id", http_req_id(s->r), "reason",
				   st == STORE_UNAVAILABLE ? "database_unavailable" : "insert_failed"));
		storage = json_pack("{s:b,s:s}", "stored", false, "reason", "unavailable");
	}
	explicit_bzero(s->token, sizeof s->token);
	json_object_set_new(storage_parent(s, s->final), "storage", storage);
	if (s->st && s->ended) /* the client left meanwhile: the close frees s */
		return;
	deliver(s);
}

/* Stores the reply when the service and the request allow it; returns true
 * when an insert runs (on_stored then delivers), false to deliver now with
 * the reason it was not stored. */
static bool store(support *s, const llm_result *res)
{
	const char *why = !s->a->cfg->store_messages ? "disabled" : !s->in.store ? "declined" : NULL;
	if (!why && !res)
		why = "dry_run";
	json_t *parent = storage_parent(s, s->final);
	if (why) {
		json_object_set_new(parent, "storage", json_pack("{s:b,s:s}", "stored", false, "reason", why));
		return false;
	}
	char hash[65];
	char *annotations = json_dumps(s->annotations, JSON_COMPACT);
	int rc = annotations && random_token(s->token) == 0 ? 0 : -1;
	if (rc == 0) {
		sha256_hex(s->token, strlen(s->token), hash);
		store_record rec = {
			.id = record_id(s),
			.token_sha256_hex = hash,
			.culture = lexicon_culture_code(s->culture),
			.strategy = prompt_strategy_name(s->in.strategy),
			.risk_level = risk_level_name(s->risk.level),
			.response_mode = s->mode,
			.model = res->model ? res->model : "",
			.message = s->in.message,
			/* streams: what was sent is what the backend sent, unless
			 * replaced (then res->content is the crisis message) */
			.reply = res->content ? res->content : s->acc ? s->acc : "",
			.annotations_json = annotations,
		};
		rc = store_record_insert(s->a->pool, &rec, s->a->cfg->retention_days, on_stored, s);
	}
	free(annotations);
	if (rc < 0) {
		explicit_bzero(s->token, sizeof s->token);
		json_object_set_new(parent, "storage", json_pack("{s:b,s:s}", "stored", false, "reason", "unavailable"));
		return false;
	}
	s->storing = true;
	return true;
}

/* Success: res is NULL for a dry run. Builds the last reply or event,
 * stores the record if wanted, then delivers. Frees s unless it streams. */
static void answer(support *s, const llm_result *res)
{
	json_t *final = NULL;
	switch (s->in.format) {
	case FMT_SUPPORT: {
		final = meta_json(s);
		if (res && s->risk.level >= RISK_HIGH) {
			json_object_set_new(final, "response", json_string(res->content));
			json_object_set_new(final, "model", json_string("none"));
		} else if (res) {
			json_object_set_new(final, "response", json_string(res->content));
			json_object_set_new(final, "model", json_string(res->model));
			json_object_set_new(final, "usage", usage_json(res, false));
			json_object_set_new(final, "backend", backend_json(res));
		} else {
			json_object_set_new(final, "model", json_string(s->a->cfg->llm_model));
		}
		json_object_set_new(final, "dry_run", json_boolean(res == NULL));
		json_object_set_new(final, "timings_ms", timings_json(s));
		break;
	}
	case FMT_OPENAI: {
		json_t *meta = meta_json(s);
		json_object_set_new(meta, "timings_ms", timings_json(s));
		if (res && s->risk.level < RISK_HIGH)
			json_object_set_new(meta, "backend", backend_json(res));
		json_object_set_new(meta, "dry_run", json_boolean(res == NULL));
		final = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:o,s:o}", "id", s->id, "object",
				  "chat.completion", "created", (json_int_t)time(NULL), "model", s->in.model_name,
				  "choices", "index", 0, "message", "role", "assistant", "content",
				  res ? res->content : "", "finish_reason", "stop", "usage",
				  res ? usage_json(res, true) : json_pack("{s:i,s:i,s:i}", "prompt_tokens", 0,
									  "completion_tokens", 0, "total_tokens", 0),
				  "culturecare", meta);
		break;
	}
	case FMT_SUPPORT_SSE: {
		final = json_pack("{s:o,s:b}", "timings_ms", timings_json(s), "dry_run", res == NULL);
		if (s->cls_outcome) /* meta said pending: the classifier's answer */
			json_object_set_new(final, "safety", safety_of(s));
		if (res && s->risk.level < RISK_HIGH) {
			json_object_set_new(final, "model", json_string(res->model));
			json_object_set_new(final, "usage", usage_json(res, false));
			json_object_set_new(final, "backend", backend_json(res));
		}
		break;
	}
	case FMT_OPENAI_SSE: {
		final = openai_chunk_json(s, json_object(), "stop");
		if (res)
			json_object_set_new(final, "usage", usage_json(res, true));
		json_object_set_new(final, "culturecare", json_pack("{s:o}", "timings_ms", timings_json(s)));
		if (s->cls_outcome)
			json_object_set_new(json_object_get(final, "culturecare"), "safety", safety_of(s));
		break;
	}
	}
	s->final = final;
	if (!final) {
		fail(s, ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (!store(s, res))
		deliver(s);
}

/* Failure after validation. Frees s unless it streams. */
static void fail(support *s, err_code code, const char *message, json_t *details)
{
	if (s->st) {
		json_t *e = is_openai(s->in.format)
				    ? openai_error(code, message, details, http_req_id(s->r))
				    : json_pack("{s:{s:s,s:s,s:o},s:s}", "error", "code", err_lookup(code)->name, "message",
						message ? message : err_lookup(code)->message, "details",
						details ? details : json_object(), "request_id", http_req_id(s->r));
		stream_event(s, is_openai(s->in.format) ? NULL : "error", e);
		stream_end(s, false);
		return;
	}
	http_req *r = s->r;
	enum support_format fmt = s->in.format;
	support_free(s);
	support_reply_error(r, fmt, code, message, details);
}

static void fail_backend(support *s, const llm_result *res)
{
	switch (res->outcome) {
	case LLM_TIMEOUT:
		fail(s, ERR_BACKEND_TIMEOUT, NULL,
		     json_pack("{s:f,s:s,s:i}", "after_ms", res->ms, "reason", res->reason ? res->reason : "timed out",
			       "attempts", (int)res->attempts));
		return;
	case LLM_HTTP_ERROR:
		fail(s, ERR_BACKEND_FAILED, "The model backend answered an error.",
		     json_pack("{s:i,s:i}", "upstream_status", (int)res->http_status, "attempts", (int)res->attempts));
		return;
	case LLM_CONNECT:
		fail(s, ERR_BACKEND_FAILED, "The model backend cannot be reached.",
		     json_pack("{s:s,s:i}", "reason", "connect_failed", "attempts", (int)res->attempts));
		return;
	case LLM_CANCELLED:
		fail(s, ERR_NOT_READY, "The service is shutting down.", json_pack("{s:s}", "reason", "shutting_down"));
		return;
	default:
		fail(s, ERR_BACKEND_FAILED, "The model backend answered something that is not a chat completion.",
		     json_pack("{s:s,s:i,s:s,s:i}", "reason", "bad_reply", "upstream_status", (int)res->http_status,
			       "detail", res->reason ? res->reason : "", "attempts", (int)res->attempts));
	}
}

/* The request log line: which backend and model wrote the reply, and how
 * long each step took (no text, no risk level). */
static void log_backend(support *s, const llm_result *res)
{
	json_t *f = json_pack("{s:i,s:s,s:i,s:f,s:f,s:f}", "backend", (int)res->backend, "model",
			      res->model ? res->model : s->a->cfg->llm_model, "attempts", (int)res->attempts,
			      "store_ms", s->ms_store, "annotator_ms", s->ms_annotator, "backend_ms", res->ms);
	if (res->first_piece_ms >= 0)
		json_object_set_new(f, "first_piece_ms", json_real(res->first_piece_ms));
	const char *k;
	json_t *v;
	json_object_foreach(f, k, v)
		http_req_log(s->r, k, json_incref(v));
	json_decref(f);
}

/* The reply gave method details or encouraged self-harm: the person gets
 * the crisis message instead. */
static void replace_reply(support *s, const llm_result *res)
{
	llm_result safe = *res;
	safe.content = safety_crisis_message(s->sf, s->risk.lang);
	s->mode = "replaced";
	metrics_reply_replaced();
	if (s->st && s->in.format == FMT_SUPPORT_SSE)
		stream_event(s, "replace", json_pack("{s:s,s:o}", "text", safe.content, "safety", safety_of(s)));
	else if (s->st) {
		if (s->fwd > 0)
			on_piece_raw(s, "\n\n", 2);
		on_piece_raw(s, safe.content, strlen(safe.content));
	}
	answer(s, &safe);
}

/* The reply passed every check. */
static void reply_ok(support *s, const llm_result *res)
{
	if (s->st && s->fwd < s->acc_len) /* what was held back */
		on_piece_raw(s, s->acc + s->fwd, s->acc_len - s->fwd);
	answer(s, res);
}

/* Keeps a copy of the generation's result in s->gen. */
static void keep_result(support *s, const llm_result *res)
{
	if (res == &s->gen)
		return;
	free(s->gen_content);
	free(s->gen_model);
	s->gen = *res;
	s->gen_content = res->content ? strdup(res->content) : NULL;
	s->gen_model = res->model ? strdup(res->model) : NULL;
	s->gen.content = s->gen_content;
	s->gen.model = s->gen_model ? s->gen_model : s->a->cfg->llm_model;
}

static void log_classifier(support *s)
{
	json_t *c = json_pack("{s:s,s:s}", "kind", classifier_kind_name(s->ckind), "outcome", s->cls_outcome);
	if (s->cls_ms >= 0)
		json_object_set_new(c, "latency_ms", json_real(s->cls_ms));
	if (s->reply_outcome)
		json_object_set_new(c, "reply_outcome", json_string(s->reply_outcome));
	if (s->reply_ms >= 0)
		json_object_set_new(c, "reply_latency_ms", json_real(s->reply_ms));
	http_req_log(s->r, "classifier", c);
}

static void reply_checked(support *s, const char *outcome, double ms)
{
	s->reply_outcome = outcome;
	s->reply_ms = ms;
	metrics_classifier((int)s->ckind, 1, outcome, ms >= 0 ? ms / 1e3 : -1);
	log_classifier(s);
}

/* The classifier's answer on the reply (moderation, llama-guard): a
 * flagged reply is replaced like one that fails the phrase check; a
 * timeout or a failure lets it through. */
static void on_reply_classified(void *ud, const classifier_verdict *v)
{
	support *s = ud;
	s->cls = NULL;
	if (s->st && s->ended)
		return;
	if (v->status == CV_CANCELLED) {
		llm_result res = {.outcome = LLM_CANCELLED, .reason = "shutting down"};
		fail_backend(s, &res);
		return;
	}
	bool flagged = v->status == CV_ANSWERED && v->flagged;
	reply_checked(s,
		      v->status == CV_TIMEOUT ? "timeout" : v->status == CV_FAILED ? "failed" : flagged ? "flagged" : "passed",
		      v->ms);
	if (flagged)
		replace_reply(s, &s->gen);
	else
		reply_ok(s, &s->gen);
}

/* Starts the classifier's check of a generated reply; true when it runs
 * (on_reply_classified goes on). Streams: everything but the text held
 * back at the end has been sent by now. */
static bool check_reply(support *s, const llm_result *res)
{
	if (!classifier_checks_replies(s->ckind))
		return false;
	if (llm_client_active(s->a->llm) >= s->a->cfg->llm_max_concurrent) {
		reply_checked(s, "skipped", -1);
		return false;
	}
	const char *text = res->content ? res->content : s->acc ? s->acc : "";
	s->cls = classifier_start(s->a->llm, s->a->cfg, s->ckind, s->in.message, text, on_reply_classified, s);
	if (!s->cls) {
		reply_checked(s, "failed", -1);
		return false;
	}
	keep_result(s, res);
	return true;
}

/* The generation's end, once the classifier has answered. */
static void generated(support *s, const llm_result *res)
{
	if (res->outcome == LLM_OK && (s->withheld || (res->content && safety_reply_unsafe(s->sf, res->content)))) {
		if (classifier_checks_replies(s->ckind))
			reply_checked(s, "not_needed", -1);
		replace_reply(s, res);
	} else if (res->outcome == LLM_OK) {
		if (!check_reply(s, res))
			reply_ok(s, res);
	} else
		fail_backend(s, res);
}

static void on_generated(void *ud, const llm_result *res)
{
	support *s = ud;
	s->call = NULL;
	s->ms_backend = res->ms;
	log_backend(s, res);
	if (s->cls) { /* the classifier has not answered yet: wait for it */
		keep_result(s, res);
		s->gen_held = true;
		return;
	}
	generated(s, res);
}

/* Fills a prompt_annotation array from one annotation list (borrowed). */
static prompt_annotation *to_prompt(json_t *list, const char *label_key, size_t *n)
{
	*n = json_array_size(list);
	prompt_annotation *out = calloc(*n + 1, sizeof *out);
	if (!out) {
		*n = 0;
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		json_t *item = json_array_get(list, i);
		out[i].phrase = json_string_value(json_object_get(item, "phrase"));
		out[i].label = json_string_value(json_object_get(item, label_key));
	}
	return out;
}

/* Added to the system prompt by risk level (written for the project after
 * WHO/IASP and Samaritans safe-messaging guidance). */
#define CHECK_IN \
	"The writer may be feeling hopeless. Somewhere in your reply, gently and without alarm, check in " \
	"on how they are doing and whether they are safe."
#define SAFE_MESSAGING \
	"The writer may be thinking about suicide or may have hurt themselves before. Follow safe-messaging " \
	"practice: take their feelings seriously and validate them; ask them directly and calmly whether they " \
	"are thinking about suicide; encourage them to reach out now to someone they trust and to a crisis " \
	"line or emergency service; never describe or discuss methods or means; never present suicide as a " \
	"solution or as understandable; do not minimise what they feel; do not diagnose; do not claim to be " \
	"a human."

static void generate(support *s)
{
	if (!s->in.dry_run && llm_client_active(s->a->llm) >= s->a->cfg->llm_max_concurrent) {
		/* LLM_MAX_CONCURRENT: the whole process's backend calls */
		http_req_add_header(s->r, "Retry-After", "1");
		fail(s, ERR_OVERLOADED, NULL, json_pack("{s:i}", "max_concurrent", (int)s->a->cfg->llm_max_concurrent));
		return;
	}
	size_t nd = 0, ns = 0, nh = 0;
	prompt_annotation *d = NULL, *sg = NULL;
	prompt_hint *hints = NULL;
	if (prompt_strategy_uses_annotations(s->in.strategy)) {
		d = to_prompt(json_object_get(s->annotations, "emotional_distress"), "intensity", &nd);
		sg = to_prompt(json_object_get(s->annotations, "cultural_signals"), "type", &ns);
		if (s->in.hints && s->match.nstrategies > 0) {
			hints = calloc(s->match.nstrategies, sizeof *hints);
			for (size_t i = 0; hints && i < s->match.nstrategies; i++) {
				hints[i].strategy = s->match.strategies[i].strategy;
				hints[i].weight = s->match.strategies[i].weight;
				hints[i].examples = s->match.strategies[i].examples;
				hints[i].nexamples = s->match.strategies[i].nexamples;
				nh++;
			}
		}
	}
	prompt_input pin = {
		.strategy = s->in.strategy,
		.culture = lexicon_culture_display_name(s->culture),
		.message = s->in.message,
		.distress = d,
		.ndistress = nd,
		.signals = sg,
		.nsignals = ns,
		.hints = hints,
		.nhints = nh,
		/* No role-play for a writer who may be at risk. */
		.no_role = s->risk.level >= RISK_MODERATE,
		.extra_system = s->risk.level == RISK_MODERATE ? SAFE_MESSAGING
				: s->risk.level == RISK_LOW    ? CHECK_IN
							       : NULL,
	};
	prompt_clear(&s->prompt); /* built again when the classifier raised the level */
	int rc = prompt_build(&pin, &s->prompt);
	free(d);
	free(sg);
	free(hints);
	if (rc < 0) {
		fail(s, ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (is_stream(s->in.format) && !s->st) {
		stream_open(s);
		if (!s->st) {
			fail(s, ERR_INTERNAL, NULL, NULL);
			return;
		}
	}
	if (s->in.dry_run) {
		answer(s, NULL);
		return;
	}
	s->generating = true;
	llm_handlers h = {.on_done = on_generated};
	if (is_stream(s->in.format)) {
		h.on_piece = on_piece;
		h.is_full = is_full;
	}
	s->call = llm_start(s->a->llm, s->prompt.system, s->prompt.user, false, is_stream(s->in.format), &h, s);
	if (!s->call)
		fail(s, ERR_BACKEND_FAILED, "The model backend cannot be called.", json_pack("{s:s}", "reason", "client_error"));
}

static void on_annotated(void *ud, const llm_result *res)
{
	support *s = ud;
	s->call = NULL;
	s->ms_annotator = res->ms;
	if (res->outcome == LLM_CANCELLED) {
		fail_backend(s, res);
		return;
	}
	char err[128] = "";
	json_t *parsed = res->outcome == LLM_OK ? annotator_parse_reply(res->content, s->in.message, err, sizeof err) : NULL;
	if (parsed) {
		set_annotations(s, with_source(json_object_get(parsed, "emotional_distress"), "llm"),
				with_source(json_object_get(parsed, "cultural_signals"), "llm"));
		json_object_set_new(s->annotator_meta, "used", json_string("llm"));
		json_decref(parsed);
	} else {
		use_corpus(s, "corpus",
			   res->outcome == LLM_OK ? "the model's annotations were not valid JSON of the expected shape"
						  : "the annotator call failed");
	}
	generate(s);
}

static void annotate(support *s)
{
	s->annotator_meta = json_pack("{s:s}", "requested", support_annotator_names[s->in.annotator]);
	enum support_annotator mode = s->in.annotator;
	if (mode == ANN_AUTO)
		mode = prompt_strategy_uses_annotations(s->in.strategy) ? ANN_LLM : ANN_CORPUS;
	if (s->in.given) {
		set_annotations(s, with_source(json_object_get(s->in.given, "emotional_distress"), "caller"),
				with_source(json_object_get(s->in.given, "cultural_signals"), "caller"));
		json_object_set_new(s->annotator_meta, "used", json_string("caller"));
		generate(s);
		return;
	}
	if (mode == ANN_NONE) {
		set_annotations(s, json_array(), json_array());
		json_object_set_new(s->annotator_meta, "used", json_string("none"));
		generate(s);
		return;
	}
	if (mode == ANN_CORPUS || s->in.dry_run) {
		use_corpus(s, "corpus", mode == ANN_LLM ? "dry_run: no backend call" : NULL);
		generate(s);
		return;
	}
	if (llm_client_active(s->a->llm) >= s->a->cfg->llm_max_concurrent) {
		use_corpus(s, "corpus", "too many backend calls at once");
		generate(s);
		return;
	}
	prompt ap = {0};
	llm_handlers h = {.on_done = on_annotated};
	if (annotator_build_prompt(s->in.message, lexicon_culture_display_name(s->culture), &ap) == 0)
		s->call = llm_start(s->a->llm, ap.system, ap.user, true, false, &h, s);
	prompt_clear(&ap);
	if (!s->call) {
		use_corpus(s, "corpus", "the annotator call could not be started");
		generate(s);
	}
}

static void after_risk(support *s);

/* The level acted on, counted once it is final. */
static void count_risk(support *s)
{
	if (s->risk_counted)
		return;
	s->risk_counted = true;
	metrics_risk_assessed(s->risk.level);
}

static void set_mode(support *s)
{
	s->mode = s->risk.level >= RISK_HIGH	 ? "crisis"
		  : s->risk.level == RISK_MODERATE ? "safe_messaging"
		  : s->risk.level == RISK_LOW	 ? "check_in"
						 : "normal";
}

/* The message stage's outcome, in the reply, the log and the metrics. */
static void classified(support *s, const char *outcome)
{
	s->cls_outcome = outcome;
	metrics_classifier((int)s->ckind, 0, outcome, s->cls_ms >= 0 ? s->cls_ms / 1e3 : -1);
	log_classifier(s);
}

static void crisis(support *s);

/* The classifier raised the level to high or imminent: whatever was being
 * made is dropped (nothing generated was sent) and the person gets the
 * crisis message, as when the rules find that level. */
static void classifier_crisis(support *s)
{
	if (s->call) {
		llm_cancel(s->call);
		s->call = NULL;
	}
	s->gen_held = false;
	if (!s->st) {
		crisis(s);
		return;
	}
	/* A stream is open: its meta went out with the rules' level; the
	 * replace event (or, on /v1, the text) carries the crisis message. */
	const char *text = safety_crisis_message(s->sf, s->risk.lang);
	llm_result res = {.outcome = LLM_OK, .content = text, .model = "none", .prompt_tokens = -1,
			  .completion_tokens = -1, .backend_url = "", .first_piece_ms = -1};
	if (s->in.format == FMT_SUPPORT_SSE)
		stream_event(s, "replace", json_pack("{s:s,s:o}", "text", text, "safety", safety_of(s)));
	else
		on_piece_raw(s, text, strlen(text));
	answer(s, &res);
}

/* The classifier's answer on the message. It can only raise the level:
 * to high or imminent, the crisis message; to low or moderate once the
 * generation has started, the reply is generated again with the
 * instructions of that level; otherwise what was held goes out. */
static void on_classified(void *ud, const classifier_verdict *v)
{
	support *s = ud;
	s->cls = NULL;
	s->cls_ms = v->ms;
	risk_level before = s->risk.level;
	const char *outcome = v->status == CV_TIMEOUT ? "timeout" : "failed";
	if (v->status == CV_ANSWERED && v->opinion) {
		s->cls_has_level = true;
		s->cls_level = v->level;
		outcome = risk_model_combine(&s->risk, v->level, v->categories);
	} else if (v->status == CV_ANSWERED) {
		outcome = "no_opinion";
	}
	snprintf(s->cls_codes, sizeof s->cls_codes, "%s", v->codes);
	classified(s, outcome);
	if (s->st && s->ended) /* the stream already ended (an error, the client left) */
		return;
	count_risk(s);
	set_mode(s);
	if (s->risk.level >= RISK_HIGH) {
		classifier_crisis(s);
		return;
	}
	if (s->risk.level != before && s->generating) {
		if (s->call) {
			llm_cancel(s->call);
			s->call = NULL;
		}
		s->gen_held = false;
		free(s->acc);
		s->acc = NULL;
		s->acc_len = s->fwd = 0;
		s->withheld = false;
		generate(s);
		return;
	}
	if (s->st)
		on_piece(s, "", 0); /* sends what was held */
	if (s->gen_held) {
		s->gen_held = false;
		generated(s, &s->gen);
	}
}


/* High or imminent risk: the fixed crisis message in the message's
 * language with the resources; no model call, no role-play. */
static void crisis(support *s)
{
	json_decref(s->annotator_meta);
	s->annotator_meta = json_pack("{s:s,s:s,s:s}", "requested", support_annotator_names[s->in.annotator], "used",
				      "none", "fallback_reason", "crisis: no model call");
	set_annotations(s, json_array(), json_array());
	lexicon_result_clear(&s->match);
	const char *text = safety_crisis_message(s->sf, s->risk.lang);
	llm_result res = {.outcome = LLM_OK, .content = text, .model = "none", .prompt_tokens = -1,
			  .completion_tokens = -1, .backend_url = "", .first_piece_ms = -1};
	if (is_stream(s->in.format)) {
		stream_open(s);
		if (!s->st) {
			fail(s, ERR_INTERNAL, NULL, NULL);
			return;
		}
		on_piece_raw(s, text, strlen(text));
	}
	answer(s, &res);
}

void support_start(http_req *r, support_input *in)
{
	app *a = http_req_app(r);
	if (!a->lex) {
		json_decref(in->body);
		support_reply_error(r, in->format, ERR_NOT_READY, "The corpus is not loaded yet.",
				    json_pack("{s:s}", "reason", "corpus_not_loaded"));
		return;
	}
	const lexicon_culture *c = lexicon_culture_find(a->lex, in->culture);
	if (!c) {
		json_t *known = json_array();
		for (size_t i = 0; i < lexicon_culture_count(a->lex); i++)
			json_array_append_new(known, json_string(lexicon_culture_code_at(a->lex, i)));
		json_decref(in->body);
		invalid(r, in->format, "culture", "unknown culture", json_pack("{s:o}", "known", known));
		return;
	}
	if (!a->safety) {
		json_decref(in->body);
		support_reply_error(r, in->format, ERR_NOT_READY, "The safety rules are not loaded yet.",
				    json_pack("{s:s}", "reason", "safety_not_loaded"));
		return;
	}
	const access_principal *who = http_req_principal(r);
	if (who && is_stream(in->format) && !access_stream_open(who)) {
		json_decref(in->body);
		http_req_add_header(r, "Retry-After", "1");
		support_reply_error(r, in->format, ERR_RATE_LIMITED, "This API key has as many streams open as it may.",
				    json_pack("{s:i}", "max_streams", (int)who->max_streams));
		return;
	}
	support *s = calloc(1, sizeof *s);
	if (!s) {
		if (who && is_stream(in->format))
			access_stream_close(who);
		json_decref(in->body);
		support_reply_error(r, in->format, ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (who && is_stream(in->format)) {
		s->who = *who;
		s->stream_counted = true;
	}
	s->t0 = now_ns();
	s->r = r;
	s->a = a;
	s->in = *in;
	s->lex = lexicon_ref(a->lex);
	s->culture = c;
	/* Risk first: at high risk no persona prompt is built at all. */
	s->sf = safety_ref(a->safety);
	if (risk_assess(s->sf->rules, in->message, in->message_len, &s->risk) < 0) {
		/* Unknown is not safe: handle as moderate (safe messaging and
		 * resources). */
		memset(&s->risk, 0, sizeof s->risk);
		s->risk.level = RISK_MODERATE;
		s->risk.categories = RISK_CAT_SELF;
		snprintf(s->risk.lang, sizeof s->risk.lang, "en");
	}
	/* The classifier runs while the rest goes on (matching, annotation,
	 * generation); see on_classified. */
	s->ckind = classifier_kind_of(a->cfg);
	s->cls_ms = s->reply_ms = -1;
	if (s->ckind != CLS_OFF) {
		if (s->risk.level >= RISK_HIGH)
			classified(s, "not_needed");
		else if (in->dry_run || llm_client_active(a->llm) >= a->cfg->llm_max_concurrent)
			classified(s, "skipped");
		else if ((s->cls = classifier_start(a->llm, a->cfg, s->ckind, in->message, NULL, on_classified, s)))
			s->cls_outcome = "pending";
		else
			classified(s, "failed");
	}
	after_risk(s);
}

/* Everything after the risk level is known. */
static void after_risk(support *s)
{
	const support_input *in = &s->in;
	if (!s->cls)
		count_risk(s);
	set_mode(s);
	char uuid[37];
	uuid_v4(uuid);
	/* OpenAI ids look like chatcmpl-...; keep the UUID inside. */
	snprintf(s->id, sizeof s->id, "%s%s", is_openai(in->format) ? "chatcmpl-" : "", uuid);
	uint64_t t = now_ns();
	lexicon_opts o;
	lexicon_opts_default(&o);
	if (lexicon_match(s->lex, s->culture, in->message, in->message_len, &o, &s->match) < 0) {
		fail(s, ERR_INTERNAL, NULL, NULL);
		return;
	}
	s->ms_store = ms_since(t);
	if (s->risk.level >= RISK_HIGH)
		crisis(s);
	else
		annotate(s);
}

/* ---- checks shared by the handlers ---- */

bool support_message_ok(const char *m, size_t len)
{
	size_t k = 0;
	while (k < len && (m[k] == ' ' || m[k] == '\n' || m[k] == '\t' || m[k] == '\r'))
		k++;
	return k < len && utf8_length(m, len) <= SUPPORT_MAX_MESSAGE_CHARS && !memchr(m, '\0', len);
}

bool json_content_type(const char *ct)
{
	return ct && strncasecmp(ct, "application/json", 16) == 0 && (!ct[16] || ct[16] == ';' || ct[16] == ' ');
}

/* ---- for pipelines beside this one (handlers/candidates_post.c) ---- */

json_t *support_corpus_annotations(lexicon *lex, const lexicon_culture *c, const lexicon_result *match,
				   const char *message, size_t len)
{
	support s;
	memset(&s, 0, sizeof s);
	s.lex = lex;
	s.culture = c;
	s.match = *match; /* borrowed: never cleared here */
	s.in.message = message;
	s.in.message_len = len;
	return json_pack("{s:o,s:o}", "emotional_distress", corpus_distress(&s), "cultural_signals", corpus_signals(&s));
}

const char *support_risk_instructions(risk_level level)
{
	return level == RISK_MODERATE ? SAFE_MESSAGING : level == RISK_LOW ? CHECK_IN : NULL;
}
