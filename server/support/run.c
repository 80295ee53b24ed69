/* POST /support and POST /v1/chat/completions, one request as stages
 * (server/support/run.h lists them with their files). A stage either calls
 * the next itself or, when it waits on the loop (the annotator's call, the
 * generation, the classifier, the insert), its callback does. Nothing of
 * the message ever reaches a log line or an error reply. */
#include "server/support/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void on_keepalive_closed(uv_handle_t *h)
{
	free(h);
}

void run_free(support_run *s)
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
	if (s->stop)
		uv_close((uv_handle_t *)s->stop, on_keepalive_closed);
	if (s->stream_counted)
		access_stream_close(&s->who);
	lexicon_result_clear(&s->match);
	lexicon_unref(s->lex);
	safety_unref(s->sf);
	reply_filter_clear(&s->rf);
	json_decref(s->annotations);
	json_decref(s->annotator_meta);
	json_decref(s->in.body);
	json_decref(s->final);
	json_decref(s->turns);
	json_decref(s->turn_annotations);
	prompt_clear(&s->prompt);
	free(s);
}

/* The request's run: the corpus and safety data are loaded, the culture
 * is known and the API key may open one more stream; NULL after replying.
 * Takes in->body. */
static support_run *run_new(http_req *r, support_input *in)
{
	app *a = http_req_app(r);
	if (!a->lex) {
		json_decref(in->body);
		support_reply_error(r, in->format, ERR_NOT_READY, "The corpus is not loaded yet.",
				    json_pack("{s:s}", "reason", "corpus_not_loaded"));
		return NULL;
	}
	const lexicon_culture *c = lexicon_culture_find(a->lex, in->culture);
	if (!c) {
		json_t *known = json_array();
		for (size_t i = 0; i < lexicon_culture_count(a->lex); i++)
			json_array_append_new(known, json_string(lexicon_culture_code_at(a->lex, i)));
		json_decref(in->body);
		support_invalid(r, in->format, "culture", "unknown culture", json_pack("{s:o}", "known", known));
		return NULL;
	}
	if (!a->safety) {
		json_decref(in->body);
		support_reply_error(r, in->format, ERR_NOT_READY, "The safety rules are not loaded yet.",
				    json_pack("{s:s}", "reason", "safety_not_loaded"));
		return NULL;
	}
	const access_principal *who = http_req_principal(r);
	if (who && run_is_stream(in->format) && !access_stream_open(who)) {
		json_decref(in->body);
		http_req_add_header(r, "Retry-After", "1");
		support_reply_error(r, in->format, ERR_RATE_LIMITED, "This API key has as many streams open as it may.",
				    json_pack("{s:i}", "max_streams", (int)who->max_streams));
		return NULL;
	}
	support_run *s = calloc(1, sizeof *s);
	if (!s) {
		if (who && run_is_stream(in->format))
			access_stream_close(who);
		json_decref(in->body);
		support_reply_error(r, in->format, ERR_INTERNAL, NULL, NULL);
		return NULL;
	}
	if (who && run_is_stream(in->format)) {
		s->who = *who;
		s->stream_counted = true;
	}
	s->t0 = now_ns();
	s->r = r;
	s->a = a;
	s->in = *in;
	s->lex = lexicon_ref(a->lex);
	s->culture = c;
	s->sf = safety_ref(a->safety);
	return s;
}

/* The whole flow of a request. */
void support_start(http_req *r, support_input *in)
{
	support_run *s = run_new(r, in);
	if (!s)
		return;
	stage_assess(s); /* risk first: at high risk no persona prompt is built at all */
	if (stage_match(s) < 0)
		return;
	if (s->turn_level >= RISK_HIGH)
		run_crisis(s); /* the crisis message, no model call */
	else
		stage_annotate(s); /* then run_compose */
}

/* After the annotations (and again when the classifier raised the level
 * once the generation had started): the prompt, then the generation,
 * whose pieces pass the output check (check_on_piece) and whose end
 * (stage_check) leads to stage_record and the reply (run_answer). */
void run_compose(support_run *s)
{
	if (!generate_admit(s))
		return;
	if (stage_prompt(s) < 0) {
		run_fail(s, ERR_INTERNAL, NULL, NULL);
		return;
	}
	stage_generate(s);
}
