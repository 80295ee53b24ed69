/* POST /evaluations: the method's judge. {"candidate_id"} judges a stored
 * candidate (its scores are stored with it, with the judge's model and
 * prompt version); {"message", "response", "culture"?} judges a pair given
 * in the request (nothing is stored). "metrics" (names) limits the seven.
 * One backend call per metric, all at once (server/fanout.c), to
 * JUDGE_BASE_URL / JUDGE_MODEL (default: the generation backend), asking
 * for logprobs with top_logprobs 5. Each answer's first digit 1-5 is the
 * score; an answer without one is missing (with the answer's length), never
 * 0; with top_logprobs the probability-weighted score over the digits
 * (G-Eval) is reported too. Emo / Cult / All from the scores present. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/support/support.h"
#include "server/app.h"
#include "server/llm/fanout.h"
#include "server/support/judge.h"
#include "server/json_fields.h"
#include "server/util.h"
#include "store/annotation.h"

#define JUDGE_MAX_TOKENS 40
#define MAX_RESPONSE_CHARS 16000

typedef struct eval_req {
	http_req *r;
	app *a;
	json_t *body;
	json_t *cand; /* the stored candidate, or NULL */
	const char *message, *response, *culture_name;
	char candidate_id[37];
	int metrics[JUDGE_METRICS];
	size_t n;
	fanout *fan;
	json_t *out;
	char model[128];
} eval_req;

static void eval_free(eval_req *e)
{
	if (!e)
		return;
	fanout_free(e->fan);
	json_decref(e->out);
	json_decref(e->cand);
	json_decref(e->body);
	free(e);
}

static void reply_and_free(eval_req *e, unsigned status)
{
	http_req *r = e->r;
	json_t *out = e->out;
	e->out = NULL;
	eval_free(e);
	http_reply_json(r, status, out);
}

static void on_scores_stored(void *ud, long rows, store_status st, const char *sqlstate)
{
	(void)rows;
	(void)sqlstate;
	eval_req *e = ud;
	json_object_set_new(e->out, "stored", json_boolean(st == STORE_OK));
	if (st != STORE_OK) {
		http_req *r = e->r;
		eval_free(e);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, "The scores could not be stored.", NULL);
		return;
	}
	reply_and_free(e, 200);
}

static const char *judge_model_of(const config *cfg)
{
	return cfg->judge_model && *cfg->judge_model ? cfg->judge_model : cfg->llm_model;
}

/* The judged candidate's rows (taken) stored with the judge's model; on_scores_stored answers. */
static void store_scores(eval_req *e, json_t *rows)
{
	json_object_set_new(e->out, "candidate_id", json_string(e->candidate_id));
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	json_object_set_new(row, "judge_model", json_string(e->model));
	char *text = json_dumps(rows, JSON_COMPACT);
	json_decref(rows);
	if (!text || store_judge_scores_upsert(e->a->pool, text, on_scores_stored, e) < 0) {
		free(text);
		http_req *r = e->r;
		eval_free(e);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	free(text);
}

static void on_judged(void *ud, fanout *f)
{
	eval_req *e = ud;
	const config *cfg = e->a->cfg;
	json_t *scores = json_object(), *missing = json_array(), *rows = json_array();
	double plain[JUDGE_METRICS], weighted[JUDGE_METRICS];
	size_t failed = 0;
	const fanout_result *first_bad = NULL;
	for (int m = 0; m < JUDGE_METRICS; m++)
		plain[m] = weighted[m] = NAN;
	snprintf(e->model, sizeof e->model, "%s", judge_model_of(cfg));
	for (size_t i = 0; i < e->n; i++) {
		int m = e->metrics[i];
		const fanout_result *res = fanout_result_at(f, i);
		judge_score js;
		char model[128] = "";
		if (res->outcome != LLM_OK || judge_parse_completion(res->content, &js, model, sizeof model) < 0) {
			failed++;
			if (!first_bad)
				first_bad = res;
			json_object_set_new(scores, judge_metric_names[m],
					    json_pack("{s:n,s:b,s:s}", "score", "missing", true, "error",
						      res->outcome == LLM_OK	      ? "invalid_reply"
						      : res->outcome == LLM_TIMEOUT ? "timeout"
										    : "backend_failed"));
			json_array_append_new(missing, json_string(judge_metric_names[m]));
			continue;
		}
		if (*model)
			snprintf(e->model, sizeof e->model, "%s", model);
		json_t *s = json_pack("{s:o,s:b,s:I}", "score", js.present ? json_integer(js.score) : json_null(), "missing",
				      !js.present, "answer_length", (json_int_t)js.answer_length);
		if (js.has_weighted) {
			json_object_set_new(s, "weighted", json_real(js.weighted));
			json_object_set_new(s, "probability", json_real(js.probability));
			weighted[m] = js.weighted;
		}
		json_object_set_new(scores, judge_metric_names[m], s);
		if (js.present)
			plain[m] = js.score;
		else
			json_array_append_new(missing, json_string(judge_metric_names[m]));
		json_array_append_new(rows, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:I}", "candidate_id", e->candidate_id,
						      "metric", judge_metric_names[m], "judge_model", "", "prompt_version",
						      JUDGE_PROMPT_VERSION, "score",
						      js.present ? json_integer(js.score) : json_null(), "weighted",
						      js.has_weighted ? json_real(js.weighted) : json_null(), "probability",
						      js.has_weighted ? json_real(js.probability) : json_null(),
						      "answer_length", (json_int_t)js.answer_length));
	}
	if (failed == e->n) { /* first_bad points into the fan-out: use it before freeing */
		http_req *r = e->r;
		bool timeout = first_bad->outcome == LLM_TIMEOUT;
		json_t *d = json_pack("{s:i,s:s}", "upstream_status", (int)first_bad->http_status, "reason",
				      timeout ? "timeout" : "backend_failed");
		json_decref(scores), json_decref(missing), json_decref(rows);
		eval_free(e); /* frees the fan-out */
		http_reply_error(r, timeout ? ERR_BACKEND_TIMEOUT : ERR_BACKEND_FAILED,
				 "The judge's backend failed for every metric.", d);
		return;
	}
	fanout_free(e->fan);
	e->fan = NULL;
	judge_aggregates ag, agw;
	judge_aggregate(plain, &ag);
	judge_aggregate(weighted, &agw);
	e->out = json_pack("{s:{s:s,s:s},s:o,s:o,s:o}", "judge", "model", e->model, "prompt_version", JUDGE_PROMPT_VERSION,
			   "scores", scores, "aggregates", judge_aggregates_json(&ag), "missing", missing);
	json_object_set_new(e->out, "weighted_aggregates", judge_aggregates_json(&agw));
	if (!e->cand) {
		json_decref(rows);
		json_object_set_new(e->out, "stored", json_false());
		reply_and_free(e, 200);
		return;
	}
	store_scores(e, rows);
}

static void judge(eval_req *e)
{
	app *a = e->a;
	const config *cfg = a->cfg;
	if (llm_client_active(a->llm) + e->n > cfg->llm_max_concurrent) {
		http_req *r = e->r;
		eval_free(e);
		http_req_add_header(r, "Retry-After", "1");
		http_reply_error(r, ERR_OVERLOADED, NULL, json_pack("{s:i}", "max_concurrent", (int)cfg->llm_max_concurrent));
		return;
	}
	bool own = cfg->judge_base_url && *cfg->judge_base_url;
	const char *base = own ? cfg->judge_base_url : cfg->llm_base_url;
	const char *key = cfg->judge_api_key && *cfg->judge_api_key ? cfg->judge_api_key : own ? NULL : cfg->llm_api_key;
	size_t bl = strlen(base);
	while (bl > 0 && base[bl - 1] == '/')
		bl--;
	sbuf url = {0};
	sb_addn(&url, base, bl);
	sb_add(&url, "/chat/completions");
	char *u = sb_take(&url);
	int rc = u && (e->fan = fanout_new(a->llm, e->n, FANOUT_WAIT_ALL, on_judged, e)) ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < e->n; i++) {
		char *p = judge_prompt((judge_metric)e->metrics[i], e->message, e->response, e->culture_name);
		json_t *req = p ? json_pack("{s:s,s:[{s:s,s:s}],s:i,s:i,s:b,s:i,s:b}", "model", judge_model_of(cfg), "messages",
					    "role", "user", "content", p, "temperature", 0, "max_tokens", JUDGE_MAX_TOKENS,
					    "logprobs", 1, "top_logprobs", 5, "store", 0)
				: NULL;
		char *body = req ? json_dumps(req, JSON_COMPACT) : NULL;
		llm_opts o = {.url = u, .api_key = key, .body = body};
		rc = body ? fanout_set(e->fan, i, "", "", &o) : -1;
		free(body);
		json_decref(req);
		free(p);
	}
	free(u);
	if (rc < 0 || fanout_start(e->fan) < 0) {
		http_req *r = e->r;
		eval_free(e);
		http_reply_error(r, ERR_BACKEND_FAILED, "The judge's backend cannot be called.",
				 json_pack("{s:s}", "reason", "client_error"));
	}
}

static void culture_name(eval_req *e, const char *culture)
{
	const lexicon_culture *c = culture && e->a->lex ? lexicon_culture_find(e->a->lex, culture) : NULL;
	e->culture_name = c ? lexicon_culture_display_name(c) : NULL;
}

static void on_candidate(void *ud, json_t *cand, store_status st)
{
	eval_req *e = ud;
	if (st != STORE_OK || !json_object_get(cand, "id")) {
		http_req *r = e->r;
		eval_free(e);
		if (st != STORE_OK)
			http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		else
			http_reply_error(r, ERR_NOT_FOUND, "No stored candidate has this id.", NULL);
		return;
	}
	e->cand = json_incref(cand);
	e->message = json_string_value(json_object_get(cand, "message"));
	e->response = json_string_value(json_object_get(cand, "reply"));
	culture_name(e, json_string_value(json_object_get(cand, "culture")));
	judge(e);
}

/* "metrics" (all seven without it) into out->metrics; -1 with err set. */
static int parse_metrics(json_t *metrics, evaluations_body *out, body_error *err)
{
	if (!metrics) {
		for (int m = 0; m < JUDGE_METRICS; m++)
			out->metrics[out->n++] = m;
		return 0;
	}
	if (json_array_size(metrics) < 1 || json_array_size(metrics) > JUDGE_METRICS)
		return body_error_invalid(err, "metrics", "must list 1 to 7 metrics", NULL);
	size_t i;
	json_t *v;
	json_array_foreach(metrics, i, v)
	{
		int m = judge_metric_parse(json_string_value(v));
		for (size_t k = 0; m >= 0 && k < out->n; k++)
			if (out->metrics[k] == m)
				m = -2;
		if (m < 0)
			return body_error_invalid(err, "metrics", m == -2 ? "lists a metric twice" : "unknown metric", NULL);
		out->metrics[out->n++] = m;
	}
	return 0;
}

/* The fields of a checked body into out; -1 with err set. */
static int parse_fields(json_t *cid, json_t *message, json_t *response, json_t *metrics, evaluations_body *out,
			body_error *err)
{
	if (!cid == !(message || response) || (!cid && !(message && response)))
		return body_error_invalid(err, cid ? "candidate_id" : "message",
					  "give either candidate_id, or message and response (with culture optional)", NULL);
	if (parse_metrics(metrics, out, err) < 0)
		return -1;
	if (cid) {
		out->candidate_id = json_string_value(cid);
		return 0;
	}
	out->message = json_string_value(message);
	out->response = json_string_value(response);
	if (!support_message_ok(out->message, json_string_length(message)))
		return body_error_invalid(err, "message", "must have 1 to 16000 characters, not only white space, and no NUL", NULL);
	if (!support_message_ok(out->response, json_string_length(response)))
		return body_error_invalid(err, "response", "must have 1 to 16000 characters, not only white space, and no NUL", NULL);
	return 0;
}

int evaluations_parse(const char *text, size_t len, evaluations_body *out, body_error *err)
{
	memset(out, 0, sizeof *out);
	json_t *body = annotation_parse_body(text, len, err);
	if (!body)
		return -1;
	json_t *cid = NULL, *message = NULL, *response = NULL, *culture = NULL, *metrics = NULL;
	const json_field fields[] = {
		{"candidate_id", JF_STRING, false, &cid}, {"message", JF_STRING, false, &message},
		{"response", JF_STRING, false, &response}, {"culture", JF_STRING, false, &culture},
		{"metrics", JF_ARRAY, false, &metrics},
	};
	if (annotation_check_fields(body, fields, sizeof fields / sizeof fields[0], NULL, err) < 0 ||
	    parse_fields(cid, message, response, metrics, out, err) < 0) {
		json_decref(body);
		memset(out, 0, sizeof *out);
		return -1;
	}
	out->body = body;
	out->culture = culture ? json_string_value(culture) : NULL;
	return 0;
}

/* The stored candidate of id, then judged; answers on every path. */
static void judge_stored(eval_req *e, const char *id)
{
	http_req *r = e->r;
	if (!uuid_valid(id)) {
		eval_free(e);
		http_reply_error(r, ERR_NOT_FOUND, "No stored candidate has this id.", NULL);
		return;
	}
	snprintf(e->candidate_id, sizeof e->candidate_id, "%s", id);
	if (store_candidate_for_judge(e->a->pool, e->candidate_id, on_candidate, e) < 0) {
		eval_free(e);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	}
}

void handler_evaluations_post(http_req *r)
{
	size_t len;
	const char *text = annotation_body_text(r, &len);
	evaluations_body in;
	body_error err;
	if (!text || annotation_refused(r, evaluations_parse(text, len, &in, &err), &err))
		return;
	eval_req *e = calloc(1, sizeof *e);
	if (!e) {
		json_decref(in.body);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	e->r = r;
	e->a = http_req_app(r);
	e->body = in.body;
	memcpy(e->metrics, in.metrics, sizeof e->metrics);
	e->n = in.n;
	if (in.candidate_id) {
		judge_stored(e, in.candidate_id);
		return;
	}
	e->message = in.message;
	e->response = in.response;
	culture_name(e, in.culture);
	if (in.culture && !e->culture_name) {
		eval_free(e);
		annotation_invalid(r, "culture", "unknown culture");
		return;
	}
	judge(e);
}
