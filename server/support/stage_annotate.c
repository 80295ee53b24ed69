/* Stage: the annotations the prompt uses (emotional distress and
 * cultural signals): the caller's, the model's (annotator "llm", one
 * JSON-mode call) or the corpus's; a failed or skipped model call falls
 * back to the corpus. Goes on with run_compose. */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/support/annotator.h"
#include "server/support/corpus_annotator.h"

/* The corpus annotator's annotations (server/support/corpus_annotator.h) as the
 * two JSON lists: each phrase as it is in the message; a signal with the
 * corpus phrase it matched. */
static void corpus_lists(const lexicon *lex, const lexicon_culture *c, const lexicon_result *match,
			 const char *message, size_t len, json_t **distress, json_t **signals)
{
	*distress = json_array();
	*signals = json_array();
	corpus_annotation ca;
	if (corpus_annotate(lex, c, message, len, match, &ca) < 0)
		return;
	for (size_t i = 0; i < ca.ndistress; i++) {
		const corpus_span *d = &ca.distress[i];
		json_t *span = json_stringn(message + d->off, d->len);
		if (span)
			json_array_append_new(*distress, json_pack("{s:o,s:s,s:s}", "phrase", span, "intensity", d->label,
								   "source", "corpus"));
	}
	for (size_t i = 0; i < ca.nsignals; i++) {
		const corpus_span *m = &ca.signals[i];
		json_t *span = json_stringn(message + m->off, m->len);
		if (span)
			json_array_append_new(*signals, json_pack("{s:o,s:s?,s:s,s:{s:s,s:f,s:s}}", "phrase", span, "type",
								  m->label, "source", "corpus", "match", "phrase",
								  m->phrase, "similarity", m->similarity, "side", m->side));
	}
	corpus_annotation_clear(&ca);
}

static void corpus_json(const support_run *s, json_t **distress, json_t **signals)
{
	corpus_lists(s->lex, s->culture, &s->match, s->in.message, s->in.message_len, distress, signals);
}

json_t *support_corpus_annotations(lexicon *lex, const lexicon_culture *c, const lexicon_result *match,
				   const char *message, size_t len)
{
	json_t *distress, *signals;
	corpus_lists(lex, c, match, message, len, &distress, &signals);
	return json_pack("{s:o,s:o}", "emotional_distress", distress, "cultural_signals", signals);
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

void annotate_set(support_run *s, json_t *distress, json_t *signals)
{
	json_decref(s->annotations);
	s->annotations = json_pack("{s:o,s:o}", "emotional_distress", distress, "cultural_signals", signals);
}

static void use_corpus(support_run *s, const char *used, const char *fallback_reason)
{
	json_t *distress, *signals;
	corpus_json(s, &distress, &signals);
	annotate_set(s, distress, signals);
	json_object_set_new(s->annotator_meta, "used", json_string(used));
	if (fallback_reason)
		json_object_set_new(s->annotator_meta, "fallback_reason", json_string(fallback_reason));
}

static void on_annotated(void *ud, const llm_result *res)
{
	support_run *s = ud;
	s->call = NULL;
	s->ms_annotator = res->ms;
	if (res->outcome == LLM_CANCELLED) {
		run_fail_backend(s, res);
		return;
	}
	char err[128] = "";
	json_t *parsed = res->outcome == LLM_OK ? annotator_parse_reply(res->content, s->in.message, err, sizeof err) : NULL;
	if (parsed) {
		annotate_set(s, with_source(json_object_get(parsed, "emotional_distress"), "llm"),
				with_source(json_object_get(parsed, "cultural_signals"), "llm"));
		json_object_set_new(s->annotator_meta, "used", json_string("llm"));
		json_decref(parsed);
	} else {
		use_corpus(s, "corpus",
			   res->outcome == LLM_OK ? "the model's annotations were not valid JSON of the expected shape"
						  : "the annotator call failed");
	}
	run_compose(s);
}

void stage_annotate(support_run *s)
{
	s->annotator_meta = json_pack("{s:s}", "requested", support_annotator_names[s->in.annotator]);
	enum support_annotator mode = s->in.annotator;
	if (mode == ANN_AUTO)
		mode = prompt_strategy_uses_annotations(s->in.strategy) ? ANN_LLM : ANN_CORPUS;
	if (s->in.given) {
		annotate_set(s, with_source(json_object_get(s->in.given, "emotional_distress"), "caller"),
				with_source(json_object_get(s->in.given, "cultural_signals"), "caller"));
		json_object_set_new(s->annotator_meta, "used", json_string("caller"));
		run_compose(s);
		return;
	}
	if (mode == ANN_NONE) {
		annotate_set(s, json_array(), json_array());
		json_object_set_new(s->annotator_meta, "used", json_string("none"));
		run_compose(s);
		return;
	}
	if (mode == ANN_CORPUS || s->in.dry_run) {
		use_corpus(s, "corpus", mode == ANN_LLM ? "dry_run: no backend call" : NULL);
		run_compose(s);
		return;
	}
	if (llm_client_active(s->a->llm) >= s->a->cfg->llm_max_concurrent) {
		use_corpus(s, "corpus", "too many backend calls at once");
		run_compose(s);
		return;
	}
	prompt ap = {0};
	llm_handlers h = {.on_done = on_annotated};
	if (annotator_build_prompt(s->in.message, lexicon_culture_display_name(s->culture), &ap) == 0)
		s->call = llm_start(s->a->llm, ap.system, ap.user, true, false, &h, s);
	prompt_clear(&ap);
	if (!s->call) {
		use_corpus(s, "corpus", "the annotator call could not be started");
		run_compose(s);
	}
}
