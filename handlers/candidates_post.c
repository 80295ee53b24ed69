/* POST /candidates: candidate replies to one message for human rating.
 * {"message", "culture", "strategies": [...]} or {"strategy", "n"}, with
 * "country", "annotator" (corpus, the default; llm: one JSON-mode call of
 * the model before the candidates, shared by them, the corpus's when it
 * fails; auto: llm when a strategy shows annotations, else corpus; none),
 * "metadata" (an object) optional. The candidates share one risk assessment, one corpus
 * match and one set of annotations; each is one backend call, all at once
 * on the loop (server/fanout.c), so n candidates take about as long as
 * one. They are stored as one item (STORE_MESSAGES must be on: 409
 * otherwise) and the answer carries the item, its candidates and the
 * deletion token, once. A message at high or imminent risk makes no
 * candidates: the answer is the crisis reply, as /support gives it. The
 * phrase check of generated replies applies to each candidate (a failing
 * one is replaced by the crisis message, response_mode "replaced").
 * Nothing of the message reaches a log or an error. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/support/support.h"
#include "server/support/annotator.h"
#include "server/app.h"
#include "server/llm/fanout.h"
#include "server/json_fields.h"
#include "server/log.h"
#include "server/safety/risk.h"
#include "server/safety/safety.h"
#include "server/sha256.h"
#include "server/util.h"
#include "store/annotation.h"

#define MAX_METADATA_BYTES 8192

typedef struct cand_req {
	http_req *r;
	app *a;
	json_t *body;
	const char *message;
	size_t message_len;
	const char *country;
	const char *annotator;
	json_t *metadata;
	size_t n;
	prompt_strategy strategies[MAX_CANDIDATES];
	lexicon *lex;
	const lexicon_culture *culture;
	safety *sf;
	risk_result risk;
	json_t *annotations;
	const char *annotator_fallback; /* why the model's annotations were not used, or NULL */
	lexicon_result match;           /* points into lex */
	llm_call *ann_call;             /* the annotator call in flight */
	fanout *fan;
	char item_id[37];
	char cand_ids[MAX_CANDIDATES][37];
	char token[44];
	json_t *candidates; /* the answer's candidates */
	uint64_t t0;
	double ms_backend;
} cand_req;

static void cand_free(cand_req *c)
{
	if (!c)
		return;
	fanout_free(c->fan);
	if (c->ann_call)
		llm_cancel(c->ann_call);
	lexicon_result_clear(&c->match);
	explicit_bzero(c->token, sizeof c->token);
	json_decref(c->candidates);
	json_decref(c->annotations);
	json_decref(c->body);
	lexicon_unref(c->lex);
	safety_unref(c->sf);
	free(c);
}

static const char *mode_of(risk_level l)
{
	return l == RISK_MODERATE ? "safe_messaging" : l == RISK_LOW ? "check_in" : "normal";
}

static json_t *safety_of(const cand_req *c, const char *mode)
{
	bool resources = c->risk.level >= RISK_MODERATE ||
			 (c->risk.categories & (RISK_CAT_HARM_OTHERS | RISK_CAT_ABUSE | RISK_CAT_THIRD_PERSON));
	json_t *list = resources ? safety_resources_for(c->sf, c->country, lexicon_culture_code(c->culture),
							  (int64_t)time(NULL))
				 : json_array();
	return safety_json(&c->risk, mode, list);
}

static void fail_backend(cand_req *c, const fanout_result *res)
{
	http_req *r = c->r;
	json_t *d;
	err_code code = ERR_BACKEND_FAILED;
	const char *msg = "The model backend failed for a candidate; nothing was stored.";
	if (res->outcome == LLM_TIMEOUT) {
		code = ERR_BACKEND_TIMEOUT;
		d = json_pack("{s:f,s:i}", "after_ms", res->ms, "attempts", (int)res->attempts);
		msg = NULL;
	} else if (res->outcome == LLM_HTTP_ERROR) {
		d = json_pack("{s:i,s:i}", "upstream_status", (int)res->http_status, "attempts", (int)res->attempts);
	} else {
		d = json_pack("{s:s,s:i}", "reason", res->outcome == LLM_CONNECT ? "connect_failed" : "invalid_reply",
			      "attempts", (int)res->attempts);
	}
	cand_free(c);
	http_reply_error(r, code, msg, d);
}

static void on_stored(void *ud, store_status st, const char *expires_at, const char *created_at, const char *sqlstate)
{
	cand_req *c = ud;
	http_req *r = c->r;
	if (st != STORE_OK || !expires_at || !created_at) {
		log_json(LOG_ERROR, "candidates not stored",
			 json_pack("{s:s,s:s?}", "request_id", http_req_id(r), "sqlstate", sqlstate));
		cand_free(c);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, "The candidates could not be stored; nothing was kept.", NULL);
		return;
	}
	json_t *out = json_pack("{s:s,s:s,s:s,s:s,s:O,s:o,s:O,s:o}", "id", c->item_id, "created_at", created_at,
				"culture", lexicon_culture_code(c->culture), "annotator", c->annotator, "annotations",
				c->annotations, "metadata", c->metadata ? json_incref(c->metadata) : json_object(),
				"candidates", c->candidates, "safety", safety_of(c, mode_of(c->risk.level)));
	if (c->annotator_fallback)
		json_object_set_new(out, "annotator_fallback", json_string(c->annotator_fallback));
	json_object_set_new(out, "storage",
			    json_pack("{s:b,s:s,s:s,s:s}", "stored", true, "id", c->item_id, "deletion_token", c->token,
				      "expires_at", expires_at));
	json_object_set_new(out, "timings_ms",
			    json_pack("{s:f,s:f}", "backend", c->ms_backend, "total", (double)(now_ns() - c->t0) / 1e6));
	http_req_log(r, "candidates", json_integer((json_int_t)c->n));
	http_req_log(r, "backend_ms", json_real(c->ms_backend));
	cand_free(c);
	http_reply_json(r, 201, out);
}

/* Every call has ended (or one failed): check, store, answer. */
static void on_generated(void *ud, fanout *f)
{
	cand_req *c = ud;
	long bad = fanout_first_failure(f);
	if (bad >= 0) {
		fail_backend(c, fanout_result_at(f, (size_t)bad));
		return;
	}
	c->ms_backend = fanout_max_ms(f);
	c->candidates = json_array();
	json_t *rows = json_array();
	for (size_t i = 0; i < c->n; i++) {
		const fanout_result *res = fanout_result_at(f, i);
		const char *text = res->content, *mode = mode_of(c->risk.level);
		if (safety_reply_unsafe(c->sf, text)) {
			text = safety_crisis_message(c->sf, c->risk.lang);
			mode = "replaced";
		}
		uuid_v4(c->cand_ids[i]);
		json_t *cand = json_pack("{s:s,s:i,s:s,s:s,s:s,s:s}", "id", c->cand_ids[i], "position", (int)i + 1, "strategy",
					 prompt_strategy_name(c->strategies[i]), "response_mode", mode, "model",
					 res->model ? res->model : "", "reply", text);
		json_array_append(rows, cand);
		if (res->prompt_tokens >= 0 || res->completion_tokens >= 0)
			json_object_set_new(cand, "usage",
					    json_pack("{s:I,s:I}", "prompt_tokens", (json_int_t)res->prompt_tokens,
						      "completion_tokens", (json_int_t)res->completion_tokens));
		json_array_append_new(c->candidates, cand);
	}
	/* rows share the objects with the answer: drop usage from the copy sent to the store */
	json_t *stored = json_array();
	size_t i;
	json_t *cand;
	json_array_foreach(rows, i, cand)
	{
		json_t *copy = json_copy(cand);
		json_object_del(copy, "usage");
		json_array_append_new(stored, copy);
	}
	json_decref(rows);
	fanout_free(c->fan);
	c->fan = NULL;

	char hash[65];
	char *cands = json_dumps(stored, JSON_COMPACT);
	char *ann = json_dumps(c->annotations, JSON_COMPACT);
	char *meta = c->metadata ? json_dumps(c->metadata, JSON_COMPACT) : strdup("{}");
	json_decref(stored);
	int rc = cands && ann && meta && random_token(c->token) == 0 ? 0 : -1;
	if (rc == 0) {
		sha256_hex(c->token, strlen(c->token), hash);
		store_item it = {
			.id = c->item_id,
			.token_sha256_hex = hash,
			.culture = lexicon_culture_code(c->culture),
			.country = c->country,
			.risk_level = risk_level_name(c->risk.level),
			.annotator = c->annotator,
			.message = c->message,
			.annotations_json = ann,
			.metadata_json = meta,
			.candidates_json = cands,
		};
		rc = store_item_insert(c->a->pool, &it, c->a->cfg->retention_days, on_stored, c);
	}
	free(cands);
	free(ann);
	free(meta);
	if (rc < 0) {
		http_req *r = c->r;
		cand_free(c);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, "The candidates could not be stored; nothing was kept.", NULL);
	}
}

/* High or imminent risk: no candidates, the crisis reply as /support gives it. */
static void crisis(cand_req *c)
{
	http_req *r = c->r;
	json_t *out = json_pack("{s:b,s:s,s:s,s:o,s:[],s:o}", "crisis", true, "response",
				safety_crisis_message(c->sf, c->risk.lang), "model", "none", "safety",
				safety_of(c, "crisis"), "candidates", "storage",
				json_pack("{s:b,s:s}", "stored", false, "reason", "crisis"));
	cand_free(c);
	http_reply_json(r, 200, out);
}

static void fan_out(cand_req *c);

/* The model's annotations, marked as such (a new reference). */
static json_t *from_llm(json_t *parsed)
{
	json_t *out = json_object();
	const char *keys[] = {"emotional_distress", "cultural_signals"};
	for (int k = 0; k < 2; k++) {
		json_t *list = json_array(), *item;
		size_t i;
		json_array_foreach(json_object_get(parsed, keys[k]), i, item)
		{
			json_t *copy = json_copy(item);
			json_object_set_new(copy, "source", json_string("llm"));
			json_array_append_new(list, copy);
		}
		json_object_set_new(out, keys[k], list);
	}
	return out;
}

static void use_corpus(cand_req *c, const char *why)
{
	c->annotator = "corpus";
	c->annotator_fallback = why;
	c->annotations = support_corpus_annotations(c->lex, c->culture, &c->match, c->message, c->message_len);
}

static void on_annotated(void *ud, const llm_result *res)
{
	cand_req *c = ud;
	c->ann_call = NULL;
	if (res->outcome == LLM_CANCELLED) { /* shutting down */
		http_req *r = c->r;
		cand_free(c);
		http_reply_error(r, ERR_NOT_READY, "The service is shutting down.", json_pack("{s:s}", "reason", "shutting_down"));
		return;
	}
	char err[128] = "";
	json_t *parsed = res->outcome == LLM_OK ? annotator_parse_reply(res->content, c->message, err, sizeof err) : NULL;
	if (parsed) {
		c->annotations = from_llm(parsed);
		json_decref(parsed);
	} else {
		use_corpus(c, res->outcome == LLM_OK ? "the model's annotations were not valid JSON of the expected shape"
						     : "the annotator call failed");
	}
	fan_out(c);
}

static void generate(cand_req *c)
{
	lexicon_opts o;
	lexicon_opts_default(&o);
	if (lexicon_match(c->lex, c->culture, c->message, c->message_len, &o, &c->match) < 0) {
		http_req *r = c->r;
		cand_free(c);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	bool shows = false;
	for (size_t i = 0; i < c->n; i++)
		shows = shows || prompt_strategy_uses_annotations(c->strategies[i]);
	if (strcmp(c->annotator, "auto") == 0)
		c->annotator = shows ? "llm" : "corpus";
	if (strcmp(c->annotator, "none") == 0) {
		c->annotations = json_pack("{s:[],s:[]}", "emotional_distress", "cultural_signals");
	} else if (strcmp(c->annotator, "llm") == 0) {
		prompt ap = {0};
		llm_handlers h = {.on_done = on_annotated};
		if (annotator_build_prompt(c->message, lexicon_culture_display_name(c->culture), &ap) == 0)
			c->ann_call = llm_start(c->a->llm, ap.system, ap.user, true, false, &h, c);
		prompt_clear(&ap);
		if (c->ann_call)
			return; /* on_annotated goes on */
		use_corpus(c, "the annotator call could not be started");
	} else {
		use_corpus(c, NULL);
	}
	fan_out(c);
}

/* The candidates' prompts from the shared annotations, then the calls. */
static void fan_out(cand_req *c)
{
	const lexicon_result match = c->match;
	json_t *dl = json_object_get(c->annotations, "emotional_distress");
	json_t *sl = json_object_get(c->annotations, "cultural_signals");
	size_t nd = json_array_size(dl), ns = json_array_size(sl);
	prompt_annotation *d = calloc(nd + 1, sizeof *d), *sg = calloc(ns + 1, sizeof *sg);
	prompt_hint *hints = calloc(match.nstrategies + 1, sizeof *hints);
	for (size_t i = 0; d && i < nd; i++) {
		d[i].phrase = json_string_value(json_object_get(json_array_get(dl, i), "phrase"));
		d[i].label = json_string_value(json_object_get(json_array_get(dl, i), "intensity"));
	}
	for (size_t i = 0; sg && i < ns; i++) {
		sg[i].phrase = json_string_value(json_object_get(json_array_get(sl, i), "phrase"));
		sg[i].label = json_string_value(json_object_get(json_array_get(sl, i), "type"));
	}
	for (size_t i = 0; hints && i < match.nstrategies; i++) {
		hints[i].strategy = match.strategies[i].strategy;
		hints[i].weight = match.strategies[i].weight;
		hints[i].examples = match.strategies[i].examples;
		hints[i].nexamples = match.strategies[i].nexamples;
	}
	int rc = d && sg && hints && (c->fan = fanout_new(c->a->llm, c->n, FANOUT_FAIL_FAST, on_generated, c)) ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		prompt_input pin = {
			.strategy = c->strategies[i],
			.culture = lexicon_culture_display_name(c->culture),
			.message = c->message,
			.distress = d,
			.ndistress = nd,
			.signals = sg,
			.nsignals = ns,
			.hints = hints,
			.nhints = match.nstrategies,
			.no_role = risk_no_persona(c->risk.level, c->a->cfg->risk_role_play_at_low),
			.extra_system = support_risk_instructions(c->risk.level),
		};
		prompt p = {0};
		rc = prompt_build(&pin, &p);
		if (rc == 0)
			rc = fanout_set(c->fan, i, p.system, p.user, NULL);
		prompt_clear(&p);
	}
	free(d);
	free(sg);
	free(hints);
	if (rc < 0) {
		http_req *r = c->r;
		cand_free(c);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	uuid_v4(c->item_id);
	if (fanout_start(c->fan) < 0) {
		http_req *r = c->r;
		cand_free(c);
		http_reply_error(r, ERR_BACKEND_FAILED, "The model backend cannot be called.",
				 json_pack("{s:s}", "reason", "client_error"));
	}
}

static int parse_strategies(json_t *list, json_t *one, json_t *n, candidates_body *c, body_error *e)
{
	if (list && (one || n))
		return body_error_invalid(e, "strategies", "give either strategies or strategy with n, not both", NULL);
	if (list) {
		if (json_array_size(list) < 1 || json_array_size(list) > MAX_CANDIDATES)
			return body_error_invalid(e, "strategies", "must list 1 to 10 strategies", NULL);
		c->n = json_array_size(list);
		for (size_t i = 0; i < c->n; i++) {
			json_t *s = json_array_get(list, i);
			if (!json_is_string(s) || prompt_strategy_parse(json_string_value(s), &c->strategies[i]) < 0)
				return body_error_invalid(e, "strategies", "unknown strategy", NULL);
		}
		return 0;
	}
	prompt_strategy s = STRAT_GUIDED_ANNOTATION;
	if (one && prompt_strategy_parse(json_string_value(one), &s) < 0)
		return body_error_invalid(e, "strategy", "unknown strategy", NULL);
	json_int_t k = 3;
	if (n) {
		if (!json_is_integer(n) || json_integer_value(n) < 1 || json_integer_value(n) > MAX_CANDIDATES)
			return body_error_invalid(e, "n", "must be an integer from 1 to 10", NULL);
		k = json_integer_value(n);
	}
	c->n = (size_t)k;
	for (size_t i = 0; i < c->n; i++)
		c->strategies[i] = s;
	return 0;
}

/* "country", "annotator" and "metadata": checked and kept in c; -1 with e set. */
static int parse_options(candidates_body *c, json_t *country, json_t *annotator, json_t *metadata, body_error *e)
{
	if (country) {
		const char *cc = json_string_value(country);
		if (strlen(cc) != 2 || !isalpha((unsigned char)cc[0]) || !isalpha((unsigned char)cc[1]))
			return body_error_invalid(e, "country", "an ISO 3166-1 alpha-2 code such as DE, IL, CN", NULL);
		c->country = cc;
	}
	c->annotator = annotator ? json_string_value(annotator) : "corpus";
	if (strcmp(c->annotator, "corpus") && strcmp(c->annotator, "none") && strcmp(c->annotator, "llm") &&
	    strcmp(c->annotator, "auto"))
		return body_error_invalid(e, "annotator", "must be corpus, llm, auto or none", NULL);
	if (metadata) {
		char *m = json_dumps(metadata, JSON_COMPACT);
		size_t ml = m ? strlen(m) : SIZE_MAX;
		free(m);
		if (ml > MAX_METADATA_BYTES)
			return body_error_invalid(e, "metadata", "must be an object of at most 8192 bytes as JSON", NULL);
		c->metadata = metadata;
	}
	return 0;
}

/* The checked fields of body into c; -1 with e set. n is the body's "n",
 * taken out of it (json_fields has no integer type). */
static int parse_fields(json_t *body, json_t *n, candidates_body *c, body_error *e)
{
	json_t *message = NULL, *culture = NULL, *strategies = NULL, *strategy = NULL, *country = NULL,
	       *annotator = NULL, *metadata = NULL;
	const json_field fields[] = {
		{"message", JF_STRING, true, &message},	{"culture", JF_STRING, true, &culture},
		{"strategies", JF_ARRAY, false, &strategies}, {"strategy", JF_STRING, false, &strategy},
		{"country", JF_STRING, false, &country},	{"annotator", JF_STRING, false, &annotator},
		{"metadata", JF_OBJECT, false, &metadata},
	};
	const char *field, *reason;
	if (json_fields_check(body, fields, sizeof fields / sizeof fields[0], &field, &reason) < 0)
		return body_error_invalid(e, field, reason, NULL);
	if (parse_strategies(strategies, strategy, json_is_null(n) ? NULL : n, c, e) < 0)
		return -1;
	c->message = json_string_value(message);
	c->message_len = json_string_length(message);
	if (!support_message_ok(c->message, c->message_len))
		return body_error_invalid(e, "message", "must have 1 to 16000 characters, not only white space, and no NUL", NULL);
	c->culture = json_string_value(culture);
	return parse_options(c, country, annotator, metadata, e);
}

int candidates_parse(const char *text, size_t len, candidates_body *out, body_error *e)
{
	memset(out, 0, sizeof *out);
	json_t *body = annotation_parse_body(text, len, e);
	if (!body)
		return -1;
	if (!json_is_object(body)) {
		json_decref(body);
		return body_error_invalid(e, "(body)", "must be a JSON object", NULL);
	}
	json_t *n = json_incref(json_object_get(body, "n"));
	json_object_del(body, "n");
	int rc = parse_fields(body, n, out, e);
	json_decref(n);
	if (rc < 0) {
		json_decref(body);
		memset(out, 0, sizeof *out);
		return -1;
	}
	out->body = body;
	return 0;
}

/* The corpus and safety rules loaded and "culture" known to them, or -1 (answered). */
static int find_culture(http_req *r, cand_req *c, const char *culture)
{
	app *a = c->a;
	if (!a->lex || !a->safety) {
		http_reply_error(r, ERR_NOT_READY, "The corpus or the safety rules are not loaded yet.", NULL);
		return -1;
	}
	c->culture = lexicon_culture_find(a->lex, culture);
	if (!c->culture) {
		json_t *known = json_array();
		for (size_t i = 0; i < lexicon_culture_count(a->lex); i++)
			json_array_append_new(known, json_string(lexicon_culture_code_at(a->lex, i)));
		http_reply_error(r, ERR_INVALID_FIELD, NULL,
				 json_pack("{s:s,s:s,s:o}", "field", "culture", "reason", "unknown culture", "known", known));
		return -1;
	}
	return 0;
}

/* A checked request: the risk assessment, then the crisis reply, 503 when
 * overloaded, or the candidates. c is answered and freed on every path. */
static void assess(cand_req *c)
{
	http_req *r = c->r;
	app *a = c->a;
	c->lex = lexicon_ref(a->lex);
	c->sf = safety_ref(a->safety);
	if (risk_assess(c->sf->rules, c->message, c->message_len, &c->risk) < 0) {
		memset(&c->risk, 0, sizeof c->risk); /* unknown is not safe: moderate */
		c->risk.level = RISK_MODERATE;
		c->risk.categories = RISK_CAT_SELF;
		snprintf(c->risk.lang, sizeof c->risk.lang, "en");
	}
	http_req_log(r, "risk_level", json_string(risk_level_name(c->risk.level)));
	if (c->risk.level >= RISK_HIGH) {
		crisis(c);
		return;
	}
	if (llm_client_active(a->llm) + c->n + (strcmp(c->annotator, "corpus") && strcmp(c->annotator, "none") ? 1 : 0) >
	    a->cfg->llm_max_concurrent) {
		http_req_add_header(r, "Retry-After", "1");
		http_reply_error(r, ERR_OVERLOADED, NULL, json_pack("{s:i}", "max_concurrent", (int)a->cfg->llm_max_concurrent));
		cand_free(c);
		return;
	}
	generate(c);
}

void handler_candidates_post(http_req *r)
{
	size_t len;
	const char *text = annotation_body_text(r, &len);
	candidates_body in;
	body_error e;
	if (!text || annotation_refused(r, candidates_parse(text, len, &in, &e), &e))
		return;
	cand_req *c = calloc(1, sizeof *c);
	if (!c) {
		json_decref(in.body);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	*c = (cand_req){.r = r, .a = http_req_app(r), .body = in.body, .message = in.message,
			.message_len = in.message_len, .country = in.country, .annotator = in.annotator,
			.metadata = in.metadata, .n = in.n, .t0 = now_ns()};
	memcpy(c->strategies, in.strategies, sizeof c->strategies);
	if (find_culture(r, c, in.culture) < 0 || !annotation_storage_on(r)) {
		cand_free(c);
		return;
	}
	assess(c);
}
