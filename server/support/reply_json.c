/* What every format reports besides the text: the metadata (annotations,
 * annotator, peers' strategies, safety, the prompt on request), timings,
 * usage and the backend that answered. No text of the message. */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *strategies_json(const support_run *s)
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
static json_t *classifier_json(const support_run *s)
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
json_t *reply_safety_json(const support_run *s)
{
	bool resources = s->risk.level >= RISK_MODERATE ||
			 (s->risk.categories & (RISK_CAT_HARM_OTHERS | RISK_CAT_ABUSE | RISK_CAT_THIRD_PERSON));
	json_t *list = resources ? safety_resources_for(s->sf, s->in.country, lexicon_culture_code(s->culture),
							  (int64_t)time(NULL))
				 : json_array();
	json_t *j = safety_json(&s->risk, s->mode, list);
	if (s->turns_assessed) /* the level is the conversation's: which turns set it */
		json_object_set_new(j, "conversation",
				    json_pack("{s:i,s:s,s:s}", "user_turns_assessed", (int)s->turns_assessed,
					      "history_level", risk_level_name(s->history_level), "message_level",
					      risk_level_name(s->turn_level)));
	if (s->cls_outcome)
		json_object_set_new(j, "classifier", classifier_json(s));
	return j;
}

json_t *reply_meta_json(const support_run *s)
{
	json_t *m = json_pack("{s:s,s:s,s:s,s:O,s:O,s:o}", "id", s->id, "culture", lexicon_culture_code(s->culture),
			      "strategy", prompt_strategy_name(s->in.strategy), "annotations", s->annotations,
			      "annotator", s->annotator_meta, "support_strategies", strategies_json(s));
	json_object_set_new(m, "safety", reply_safety_json(s));
	json_object_set_new(m, "context", history_context_json(s));
	if (s->in.include_prompt && s->prompt.system) {
		json_t *p = json_pack("[{s:s,s:s}]", "role", "system", "content", s->prompt.system);
		if (s->turns)
			json_array_extend(p, s->turns);
		json_array_append_new(p, json_pack("{s:s,s:s}", "role", "user", "content", s->prompt.user));
		json_object_set_new(m, "prompt", p);
	}
	return m;
}

json_t *reply_timings_json(const support_run *s)
{
	/* "store" is the former name of "matching", kept one release. */
	return json_pack("{s:f,s:f,s:f,s:f,s:f}", "matching", s->ms_store, "store", s->ms_store, "annotator",
			 s->ms_annotator, "backend", s->ms_backend, "total", run_ms_since(s->t0));
}

json_t *reply_usage_json(const llm_result *res, bool openai)
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

json_t *reply_backend_json(const llm_result *res)
{
	return json_pack("{s:i,s:s,s:i}", "index", (int)res->backend, "base_url", res->backend_url, "attempts",
			 (int)res->attempts);
}
