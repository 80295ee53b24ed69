/* A conversation: the earlier turns a client sends with the message
 * (POST /support's history, the messages before the last user message on
 * /v1). The service keeps nothing of them between requests.
 *
 * Risk: every earlier user turn is assessed by the rules (a phrase
 * matcher: microseconds) and the text model (risk_assess asks both), and
 * the last few together with the message, so
 * that concepts combine across turns (a means in one, a time in another).
 * The conversation's level is the highest of these and of the message's.
 * The crisis message goes to a message that is at high or above by itself
 * or with what it adds to the recent turns; when only earlier turns reached
 * that level, the reply stays in safe messaging with resources and without
 * role-play: after the C-SSRS, recently expressed intent stays relevant even
 * when the last message sounds calmer.
 *
 * The prompt: the earlier turns go between the system prompt and the
 * message, as many as LLM_MAX_CONTEXT_CHARS allows with them, the oldest
 * left out first; the message always goes. Annotations stay on the message
 * unless annotate is "all" (then the corpus annotates the earlier user
 * turns too). */
#include "server/support/run.h"

#include <stdlib.h>
#include <string.h>

#include "server/support/corpus_annotator.h"
#include "server/unicode.h"

/* Earlier user turns assessed together with the message. */
#define RECENT_USER_TURNS 3

static bool is_user(json_t *turn)
{
	return strcmp(json_string_value(json_object_get(turn, "role")), "user") == 0;
}

static void merge(risk_result *into, const risk_result *r)
{
	if (r->level > into->level)
		into->level = r->level;
	into->categories |= r->categories;
	if (r->level > RISK_NONE)
		into->reasons |= r->reasons;
}

void history_assess(support_run *s)
{
	size_t nuser = 0, i, k = 0;
	json_t *turn, *content;
	json_array_foreach(s->in.history, i, turn)
		nuser += is_user(turn);
	if (!nuser)
		return;
	risk_result earlier = {.level = RISK_NONE}, r, recent;
	sbuf text = {0};
	json_array_foreach(s->in.history, i, turn)
	{
		if (!is_user(turn))
			continue;
		content = json_object_get(turn, "content");
		assess_text(s, json_string_value(content), json_string_length(content), &r);
		merge(&earlier, &r);
		if (k++ + RECENT_USER_TURNS >= nuser) {
			sb_addn(&text, json_string_value(content), json_string_length(content));
			sb_add(&text, "\n\n"); /* a new sentence: a new clause */
		}
	}
	sb_addn(&text, s->in.message, s->in.message_len);
	if (text.failed) {
		recent = (risk_result){.level = RISK_MODERATE, .categories = RISK_CAT_SELF};
	} else {
		assess_text(s, text.p, text.len, &recent);
	}
	free(text.p);
	s->turns_assessed = (unsigned)nuser;
	s->history_level = earlier.level;
	/* What the message adds to the recent turns is the message's. */
	if (recent.level > earlier.level && recent.level > s->turn_level)
		s->turn_level = recent.level;
	merge(&s->risk, &earlier);
	merge(&s->risk, &recent);
}

/* annotate "all": the corpus's annotations of each earlier user turn
 * (null for the assistant's), in s->turn_annotations. */
static int annotate_turns(support_run *s)
{
	json_t *all = json_array(), *turn;
	size_t i;
	lexicon_opts o;
	corpus_match_opts(&o);
	json_array_foreach(s->in.history, i, turn)
	{
		json_t *content = json_object_get(turn, "content"), *a = json_null();
		lexicon_result m;
		if (is_user(turn)) {
			if (lexicon_match(s->lex, s->culture, json_string_value(content), json_string_length(content), &o,
					  &m) < 0) {
				json_decref(all);
				return -1;
			}
			a = support_corpus_annotations(s->lex, s->culture, &m, json_string_value(content),
						       json_string_length(content));
			lexicon_result_clear(&m);
		}
		json_array_append_new(all, a);
	}
	s->turn_annotations = all;
	return 0;
}

/* Turn i as the model reads it: the text, annotated when asked (a new
 * string). */
static char *turn_text(const support_run *s, size_t i)
{
	json_t *turn = json_array_get(s->in.history, i);
	const char *text = json_string_value(json_object_get(turn, "content"));
	json_t *a = json_array_get(s->turn_annotations, i);
	if (!json_is_object(a) || !prompt_strategy_uses_annotations(s->in.strategy))
		return strdup(text);
	size_t nd = 0, ns = 0;
	prompt_annotation *d = prompt_annotations_of(json_object_get(a, "emotional_distress"), "intensity", &nd);
	prompt_annotation *sg = prompt_annotations_of(json_object_get(a, "cultural_signals"), "type", &ns);
	prompt_input pin = {.strategy = s->in.strategy, .culture = lexicon_culture_display_name(s->culture),
			    .message = text, .distress = d, .ndistress = nd, .signals = sg, .nsignals = ns};
	char *out = prompt_user_turn(&pin);
	free(d);
	free(sg);
	return out;
}

int history_fit(support_run *s)
{
	json_decref(s->turns);
	s->turns = NULL;
	s->turns_used = s->turns_dropped = 0;
	size_t n = json_array_size(s->in.history);
	if (!n)
		return 0;
	if (s->in.annotate_all && !s->turn_annotations && annotate_turns(s) < 0)
		return -1;
	size_t budget = s->a->cfg->llm_max_context_chars;
	size_t used = utf8_length(s->prompt.system, strlen(s->prompt.system)) +
		      utf8_length(s->prompt.user, strlen(s->prompt.user));
	char **texts = calloc(n, sizeof *texts);
	if (!texts)
		return -1;
	size_t first = n; /* newest first, while they fit */
	int rc = 0;
	for (; first > 0; first--) {
		if (!(texts[first - 1] = turn_text(s, first - 1))) {
			rc = -1;
			break;
		}
		size_t len = utf8_length(texts[first - 1], strlen(texts[first - 1]));
		if (used + len > budget)
			break;
		used += len;
	}
	/* The model reads a conversation that starts with the writer. */
	if (first < n && !is_user(json_array_get(s->in.history, first)))
		first++;
	s->turns = rc == 0 ? json_array() : NULL;
	for (size_t i = first; s->turns && i < n; i++) {
		json_t *turn = json_array_get(s->in.history, i);
		if (json_array_append_new(s->turns, json_pack("{s:O,s:s}", "role", json_object_get(turn, "role"),
							      "content", texts[i])) < 0)
			rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	if (!s->turns)
		return -1;
	s->turns_used = n - first;
	s->turns_dropped = first;
	return rc;
}

json_t *history_context_json(const support_run *s)
{
	json_t *c = json_pack("{s:i,s:i,s:i,s:i}", "history_turns", (int)json_array_size(s->in.history), "turns_used",
			      (int)s->turns_used, "turns_dropped", (int)s->turns_dropped, "max_chars",
			      (int)s->a->cfg->llm_max_context_chars);
	if (run_is_openai(s->in.format))
		json_object_set_new(c, "system_messages_ignored", json_integer(s->in.system_ignored));
	if (s->turn_annotations)
		json_object_set_new(c, "turn_annotations", json_incref(s->turn_annotations));
	return c;
}
