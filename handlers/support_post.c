/* POST /support: a culturally adapted emotional-support reply.
 *
 *   1. parse and validate the body (nothing of the message is ever echoed);
 *   2. resolve the culture in the in-memory corpus;
 *   3. match the message: the culture's cultural signals, the most similar
 *      annotated distress phrases, the support strategies peers used;
 *   4. annotations for the prompt: the caller's, the model's (annotator
 *      "llm", one JSON-mode call) or the corpus's;
 *   5. build the chosen strategy's prompt and call the backend;
 *   6. reply with the text and the metadata. */
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "server/annotator.h"
#include "server/app.h"
#include "server/json_fields.h"
#include "server/llm.h"
#include "server/prompt.h"
#include "server/util.h"

#define MAX_MESSAGE_CHARS 16000
#define MAX_GIVEN 50
#define MAX_PHRASE_CHARS 2000
#define SENTENCE_SIMILARITY 0.3
#define MAX_SENTENCES 20

enum annotator_mode { ANN_AUTO, ANN_LLM, ANN_CORPUS, ANN_NONE };
static const char *const annotator_names[] = {"auto", "llm", "corpus", "none"};

static const char *const intensities[] = {"light", "moderate", "high", NULL};
static const char *const signal_types[] = {"Concepts", "Knowledge", "Values", "Norms and Morals",
					   "Language", "Artifacts", "Demographics", NULL};

typedef struct support {
	http_req *r;
	app *a;
	json_t *body; /* the parsed request; message and given annotations point into it */
	const char *message;
	size_t message_len;
	json_t *given; /* caller's annotations object, or NULL */
	lexicon *lex;  /* a reference: results point into it */
	const lexicon_culture *culture;
	prompt_strategy strategy;
	enum annotator_mode annotator;
	bool hints, dry_run, include_prompt;
	lexicon_result match;
	json_t *annotations;    /* {"emotional_distress": [...], "cultural_signals": [...]} */
	json_t *annotator_meta; /* {"requested", "used", "fallback_reason"?} */
	prompt prompt;
	llm_call *call;
	uint64_t t0;
	double ms_store, ms_annotator, ms_backend;
} support;

static void support_free(support *s)
{
	if (!s)
		return;
	lexicon_result_clear(&s->match);
	lexicon_unref(s->lex);
	json_decref(s->annotations);
	json_decref(s->annotator_meta);
	json_decref(s->body);
	prompt_clear(&s->prompt);
	free(s);
}

static double ms_since(uint64_t t)
{
	return (double)(now_ns() - t) / 1e6;
}

static void invalid(http_req *r, const char *field, const char *reason, json_t *extra)
{
	json_t *d = json_pack("{s:s,s:s}", "field", field, "reason", reason);
	if (extra)
		json_object_update(d, extra);
	json_decref(extra);
	http_reply_error(r, ERR_INVALID_FIELD, NULL, d);
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
static int check_given(http_req *r, json_t *given)
{
	static const char *const keys[] = {"emotional_distress", "cultural_signals"};
	static const char *const label_keys[] = {"intensity", "type"};
	const char *const *labels[] = {intensities, signal_types};
	const char *key;
	json_t *v;
	json_object_foreach(given, key, v)
	{
		if (strcmp(key, keys[0]) && strcmp(key, keys[1])) {
			invalid(r, "annotations", "unknown member: expected emotional_distress and cultural_signals", NULL);
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
			invalid(r, field, "must be an array of at most 50 items", NULL);
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
				invalid(r, field,
					k == 0 ? "must be {\"phrase\": string, \"intensity\": string}"
					       : "must be {\"phrase\": string, \"type\": string}",
					NULL);
				return -1;
			}
			size_t pl = json_string_length(phrase);
			if (pl == 0 || utf8_length(json_string_value(phrase), pl) > MAX_PHRASE_CHARS) {
				invalid(r, field, "phrase must have 1 to 2000 characters", NULL);
				return -1;
			}
			if (!in_list(json_string_value(label), labels[k])) {
				invalid(r, field, k == 0 ? "unknown intensity" : "unknown signal type",
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
	const char *p = s->message, *end = s->message + s->message_len;
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

/* ---- reply ---- */

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

static void reply(support *s, const llm_result *res)
{
	char id[37];
	uuid_v4(id);
	json_t *body = json_pack("{s:s,s:s,s:s,s:O,s:O,s:o}", "id", id, "culture", lexicon_culture_code(s->culture),
				 "strategy", prompt_strategy_name(s->strategy), "annotations", s->annotations, "annotator",
				 s->annotator_meta, "support_strategies", strategies_json(s));
	if (res) {
		json_object_set_new(body, "response", json_string(res->content));
		json_object_set_new(body, "model", json_string(res->model));
		json_t *usage = json_object();
		if (res->prompt_tokens >= 0)
			json_object_set_new(usage, "prompt_tokens", json_integer(res->prompt_tokens));
		if (res->completion_tokens >= 0)
			json_object_set_new(usage, "completion_tokens", json_integer(res->completion_tokens));
		json_object_set_new(body, "usage", usage);
	} else {
		json_object_set_new(body, "model", json_string(s->a->cfg->llm_model));
	}
	json_object_set_new(body, "dry_run", json_boolean(res == NULL));
	json_object_set_new(body, "timings_ms",
			    json_pack("{s:f,s:f,s:f,s:f}", "store", s->ms_store, "annotator", s->ms_annotator, "backend",
				      s->ms_backend, "total", ms_since(s->t0)));
	if (s->include_prompt)
		json_object_set_new(body, "prompt",
				    json_pack("[{s:s,s:s},{s:s,s:s}]", "role", "system", "content", s->prompt.system,
					      "role", "user", "content", s->prompt.user));
	http_req *r = s->r;
	support_free(s);
	http_reply_json(r, 200, body);
}

static void fail_backend(support *s, const llm_result *res)
{
	http_req *r = s->r;
	support_free(s);
	switch (res->outcome) {
	case LLM_TIMEOUT:
		http_reply_error(r, ERR_BACKEND_TIMEOUT, NULL, json_pack("{s:f}", "after_ms", res->ms));
		return;
	case LLM_HTTP_ERROR:
		http_reply_error(r, ERR_BACKEND_FAILED, "The model backend answered an error.",
				 json_pack("{s:i}", "upstream_status", (int)res->http_status));
		return;
	case LLM_CONNECT:
		http_reply_error(r, ERR_BACKEND_FAILED, "The model backend cannot be reached.",
				 json_pack("{s:s}", "reason", "connect_failed"));
		return;
	case LLM_CANCELLED:
		http_reply_error(r, ERR_NOT_READY, "The service is shutting down.",
				 json_pack("{s:s}", "reason", "shutting_down"));
		return;
	default:
		http_reply_error(r, ERR_BACKEND_FAILED, "The model backend answered something that is not a chat completion.",
				 json_pack("{s:s,s:i}", "reason", "bad_reply", "upstream_status", (int)res->http_status));
	}
}

static void on_generated(void *ud, const llm_result *res)
{
	support *s = ud;
	s->call = NULL;
	s->ms_backend = res->ms;
	if (res->outcome == LLM_OK)
		reply(s, res);
	else
		fail_backend(s, res);
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

static void generate(support *s)
{
	size_t nd = 0, ns = 0, nh = 0;
	prompt_annotation *d = NULL, *sg = NULL;
	prompt_hint *hints = NULL;
	if (prompt_strategy_uses_annotations(s->strategy)) {
		d = to_prompt(json_object_get(s->annotations, "emotional_distress"), "intensity", &nd);
		sg = to_prompt(json_object_get(s->annotations, "cultural_signals"), "type", &ns);
		if (s->hints && s->match.nstrategies > 0) {
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
	prompt_input in = {
		.strategy = s->strategy,
		.culture = lexicon_culture_display_name(s->culture),
		.message = s->message,
		.distress = d,
		.ndistress = nd,
		.signals = sg,
		.nsignals = ns,
		.hints = hints,
		.nhints = nh,
	};
	int rc = prompt_build(&in, &s->prompt);
	free(d);
	free(sg);
	free(hints);
	if (rc < 0) {
		http_req *r = s->r;
		support_free(s);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (s->dry_run) {
		reply(s, NULL);
		return;
	}
	s->call = llm_chat(s->a->llm, s->prompt.system, s->prompt.user, false, on_generated, s);
	if (!s->call) {
		http_req *r = s->r;
		support_free(s);
		http_reply_error(r, ERR_BACKEND_FAILED, "The model backend cannot be called.",
				 json_pack("{s:s}", "reason", "client_error"));
	}
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
	json_t *parsed = res->outcome == LLM_OK ? annotator_parse_reply(res->content, s->message, err, sizeof err) : NULL;
	if (parsed) {
		set_annotations(s, with_source(json_object_get(parsed, "emotional_distress"), "llm"),
				with_source(json_object_get(parsed, "cultural_signals"), "llm"));
		json_object_set_new(s->annotator_meta, "used", json_string("llm"));
		json_decref(parsed);
	} else {
		use_corpus(s, "corpus", res->outcome == LLM_OK ? "the model's annotations were not valid JSON of the expected shape"
							      : "the annotator call failed");
	}
	generate(s);
}

static void annotate(support *s)
{
	const char *requested = annotator_names[s->annotator];
	s->annotator_meta = json_pack("{s:s}", "requested", requested);
	enum annotator_mode mode = s->annotator;
	if (mode == ANN_AUTO)
		mode = prompt_strategy_uses_annotations(s->strategy) ? ANN_LLM : ANN_CORPUS;
	if (s->given) {
		set_annotations(s, with_source(json_object_get(s->given, "emotional_distress"), "caller"),
				with_source(json_object_get(s->given, "cultural_signals"), "caller"));
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
	if (mode == ANN_CORPUS || s->dry_run) {
		use_corpus(s, "corpus", mode == ANN_LLM ? "dry_run: no backend call" : NULL);
		generate(s);
		return;
	}
	prompt ap = {0};
	if (annotator_build_prompt(s->message, lexicon_culture_display_name(s->culture), &ap) == 0)
		s->call = llm_chat(s->a->llm, ap.system, ap.user, true, on_annotated, s);
	prompt_clear(&ap);
	if (!s->call) {
		use_corpus(s, "corpus", "the annotator call could not be started");
		generate(s);
	}
}

void handler_support_post(http_req *r)
{
	app *a = http_req_app(r);
	const char *ct = http_req_header(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0 || (ct[16] && ct[16] != ';' && ct[16] != ' ')) {
		http_reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		return;
	}
	size_t len;
	const char *text = http_req_body(r, &len);
	json_error_t jerr;
	json_t *body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		/* Position only: jansson's text can quote the input. */
		http_reply_error(r, ERR_MALFORMED_JSON, NULL,
				 json_pack("{s:i,s:i}", "line", jerr.line, "column", jerr.column));
		return;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		invalid(r, "(body)", "must be a JSON object", NULL);
		return;
	}
	json_t *message = NULL, *culture = NULL, *strategy = NULL, *annotations = NULL, *annotator = NULL,
	       *hints = NULL, *dry_run = NULL, *include_prompt = NULL;
	const json_field fields[] = {
		{"message", JF_STRING, true, &message},
		{"culture", JF_STRING, true, &culture},
		{"strategy", JF_STRING, false, &strategy},
		{"annotations", JF_OBJECT, false, &annotations},
		{"annotator", JF_STRING, false, &annotator},
		{"support_hints", JF_BOOL, false, &hints},
		{"dry_run", JF_BOOL, false, &dry_run},
		{"include_prompt", JF_BOOL, false, &include_prompt},
	};
	const char *field, *reason;
	if (json_fields_check(body, fields, sizeof fields / sizeof fields[0], &field, &reason) < 0) {
		invalid(r, strlen(field) <= 64 ? field : "(a field name over 64 bytes)", reason, NULL);
		json_decref(body);
		return;
	}
	size_t mlen = json_string_length(message);
	const char *m = json_string_value(message);
	size_t k = 0;
	while (k < mlen && (m[k] == ' ' || m[k] == '\n' || m[k] == '\t' || m[k] == '\r'))
		k++;
	if (k == mlen || utf8_length(m, mlen) > MAX_MESSAGE_CHARS || memchr(m, '\0', mlen)) {
		json_decref(body);
		invalid(r, "message", "must have 1 to 16000 characters, not only white space, and no NUL", NULL);
		return;
	}
	prompt_strategy st = STRAT_GUIDED_ANNOTATION;
	if (strategy && prompt_strategy_parse(json_string_value(strategy), &st) < 0) {
		json_decref(body);
		json_t *allowed = json_array();
		for (int i = 0; i < STRAT__COUNT; i++)
			json_array_append_new(allowed, json_string(prompt_strategy_name((prompt_strategy)i)));
		invalid(r, "strategy", "unknown strategy (the paper's short names standard, culture, guided, annotation, cga work too)",
			json_pack("{s:o}", "allowed", allowed));
		return;
	}
	enum annotator_mode mode = ANN_AUTO;
	if (annotator) {
		int found = -1;
		for (int i = 0; i < 4; i++)
			if (strcmp(json_string_value(annotator), annotator_names[i]) == 0)
				found = i;
		if (found < 0) {
			json_decref(body);
			invalid(r, "annotator", "unknown annotator",
				json_pack("{s:[s,s,s,s]}", "allowed", "auto", "llm", "corpus", "none"));
			return;
		}
		mode = (enum annotator_mode)found;
	}
	if (annotations && check_given(r, annotations) < 0) {
		json_decref(body);
		return;
	}
	if (!a->lex) {
		json_decref(body);
		http_reply_error(r, ERR_NOT_READY, "The corpus is not loaded yet.",
				 json_pack("{s:s}", "reason", "corpus_not_loaded"));
		return;
	}
	const lexicon_culture *c = lexicon_culture_find(a->lex, json_string_value(culture));
	if (!c) {
		json_t *known = json_array();
		for (size_t i = 0; i < lexicon_culture_count(a->lex); i++)
			json_array_append_new(known, json_string(lexicon_culture_code_at(a->lex, i)));
		json_decref(body);
		invalid(r, "culture", "unknown culture", json_pack("{s:o}", "known", known));
		return;
	}

	support *s = calloc(1, sizeof *s);
	if (!s) {
		json_decref(body);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	s->t0 = now_ns();
	s->r = r;
	s->a = a;
	s->body = body;
	s->message = m;
	s->message_len = mlen;
	s->given = annotations;
	s->lex = lexicon_ref(a->lex);
	s->culture = c;
	s->strategy = st;
	s->annotator = mode;
	s->hints = hints ? json_is_true(hints) : true;
	s->dry_run = dry_run && json_is_true(dry_run);
	s->include_prompt = include_prompt && json_is_true(include_prompt);

	uint64_t t = now_ns();
	lexicon_opts o;
	lexicon_opts_default(&o);
	if (lexicon_match(s->lex, c, m, mlen, &o, &s->match) < 0) {
		support_free(s);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	s->ms_store = ms_since(t);
	annotate(s);
}
