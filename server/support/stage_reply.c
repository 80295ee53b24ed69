/* Stage: the reply. The last reply or event in each of the four formats,
 * errors in the format's shape, and the crisis reply (high or imminent
 * risk: the fixed message in the message's language, no model call). */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/metrics.h"

/* Sends the last reply or event (s->final). Frees s unless it streams. */
void run_deliver(support_run *s)
{
	http_req *r = s->r;
	json_t *final = s->final;
	s->final = NULL;
	switch (s->in.format) {
	case FMT_SUPPORT:
	case FMT_OPENAI:
		run_free(s);
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

/* Success: res is NULL for a dry run. Builds the last reply or event,
 * stores the record if wanted, then delivers. Frees s unless it streams. */
void run_answer(support_run *s, const llm_result *res)
{
	json_t *final = NULL;
	switch (s->in.format) {
	case FMT_SUPPORT: {
		final = reply_meta_json(s);
		if (res && s->turn_level >= RISK_HIGH) {
			json_object_set_new(final, "response", json_string(res->content));
			json_object_set_new(final, "model", json_string("none"));
		} else if (res) {
			json_object_set_new(final, "response", json_string(res->content));
			json_object_set_new(final, "model", json_string(res->model));
			json_object_set_new(final, "usage", reply_usage_json(res, false));
			json_object_set_new(final, "backend", reply_backend_json(res));
		} else {
			json_object_set_new(final, "model", json_string(s->a->cfg->llm_model));
		}
		json_object_set_new(final, "dry_run", json_boolean(res == NULL));
		json_object_set_new(final, "timings_ms", reply_timings_json(s));
		break;
	}
	case FMT_OPENAI: {
		json_t *meta = reply_meta_json(s);
		json_object_set_new(meta, "timings_ms", reply_timings_json(s));
		if (res && s->turn_level < RISK_HIGH)
			json_object_set_new(meta, "backend", reply_backend_json(res));
		json_object_set_new(meta, "dry_run", json_boolean(res == NULL));
		final = json_pack("{s:s,s:s,s:I,s:s,s:[{s:i,s:{s:s,s:s},s:s}],s:o,s:o}", "id", s->id, "object",
				  "chat.completion", "created", (json_int_t)time(NULL), "model", s->in.model_name,
				  "choices", "index", 0, "message", "role", "assistant", "content",
				  res ? res->content : "", "finish_reason", "stop", "usage",
				  res ? reply_usage_json(res, true) : json_pack("{s:i,s:i,s:i}", "prompt_tokens", 0,
									  "completion_tokens", 0, "total_tokens", 0),
				  "culturecare", meta);
		break;
	}
	case FMT_SUPPORT_SSE: {
		final = json_pack("{s:o,s:b}", "timings_ms", reply_timings_json(s), "dry_run", res == NULL);
		if (s->cls_outcome) /* meta said pending: the classifier's answer */
			json_object_set_new(final, "safety", reply_safety_json(s));
		if (res && s->turn_level < RISK_HIGH) {
			json_object_set_new(final, "model", json_string(res->model));
			json_object_set_new(final, "usage", reply_usage_json(res, false));
			json_object_set_new(final, "backend", reply_backend_json(res));
		}
		break;
	}
	case FMT_OPENAI_SSE: {
		final = stream_openai_chunk(s, json_object(), "stop");
		if (res)
			json_object_set_new(final, "usage", reply_usage_json(res, true));
		json_object_set_new(final, "culturecare", json_pack("{s:o}", "timings_ms", reply_timings_json(s)));
		if (s->cls_outcome)
			json_object_set_new(json_object_get(final, "culturecare"), "safety", reply_safety_json(s));
		break;
	}
	}
	s->final = final;
	if (!final) {
		run_fail(s, ERR_INTERNAL, NULL, NULL);
		return;
	}
	if (!stage_record(s, res))
		run_deliver(s);
}

/* Failure after validation. Frees s unless it streams. */
void run_fail(support_run *s, err_code code, const char *message, json_t *details)
{
	if (s->st) {
		json_t *e = run_is_openai(s->in.format)
				    ? support_openai_error(code, message, details, http_req_id(s->r))
				    : json_pack("{s:{s:s,s:s,s:o},s:s}", "error", "code", err_lookup(code)->name, "message",
						message ? message : err_lookup(code)->message, "details",
						details ? details : json_object(), "request_id", http_req_id(s->r));
		stream_event(s, run_is_openai(s->in.format) ? NULL : "error", e);
		stream_end(s, false);
		return;
	}
	http_req *r = s->r;
	enum support_format fmt = s->in.format;
	run_free(s);
	support_reply_error(r, fmt, code, message, details);
}

void run_fail_backend(support_run *s, const llm_result *res)
{
	switch (res->outcome) {
	case LLM_TIMEOUT:
		run_fail(s, ERR_BACKEND_TIMEOUT, NULL,
		     json_pack("{s:f,s:s,s:i}", "after_ms", res->ms, "reason", res->reason ? res->reason : "timed out",
			       "attempts", (int)res->attempts));
		return;
	case LLM_HTTP_ERROR:
		run_fail(s, ERR_BACKEND_FAILED, "The model backend answered an error.",
		     json_pack("{s:i,s:i}", "upstream_status", (int)res->http_status, "attempts", (int)res->attempts));
		return;
	case LLM_CONNECT:
		run_fail(s, ERR_BACKEND_FAILED, "The model backend cannot be reached.",
		     json_pack("{s:s,s:i}", "reason", "connect_failed", "attempts", (int)res->attempts));
		return;
	case LLM_CANCELLED:
		run_fail(s, ERR_NOT_READY, "The service is shutting down.", json_pack("{s:s}", "reason", "shutting_down"));
		return;
	default:
		run_fail(s, ERR_BACKEND_FAILED, "The model backend answered something that is not a chat completion.",
		     json_pack("{s:s,s:i,s:s,s:i}", "reason", "bad_reply", "upstream_status", (int)res->http_status,
			       "detail", res->reason ? res->reason : "", "attempts", (int)res->attempts));
	}
}

/* High or imminent risk: the fixed crisis message in the message's
 * language with the resources; no model call, no role-play. */
void run_crisis(support_run *s)
{
	json_decref(s->annotator_meta);
	s->annotator_meta = json_pack("{s:s,s:s,s:s}", "requested", support_annotator_names[s->in.annotator], "used",
				      "none", "fallback_reason", "crisis: no model call");
	annotate_set(s, json_array(), json_array());
	lexicon_result_clear(&s->match);
	const char *text = safety_crisis_message(s->sf, s->risk.lang);
	llm_result res = {.outcome = LLM_OK, .content = text, .model = "none", .prompt_tokens = -1,
			  .completion_tokens = -1, .backend_url = "", .first_piece_ms = -1};
	if (run_is_stream(s->in.format)) {
		stream_open(s);
		if (!s->st) {
			run_fail(s, ERR_INTERNAL, NULL, NULL);
			return;
		}
		stream_text(s, text, strlen(text));
	}
	run_answer(s, &res);
}
