/* Stage: the prompt. The chosen strategy's prompt (server/support/prompt.h,
 * a pure function) from the annotations, the peers' strategies and the
 * risk level: no role-play for a writer who may be at risk, and the
 * safe-messaging or check-in instructions by level. */
#include "server/support/run.h"

#include <stdlib.h>

prompt_annotation *prompt_annotations_of(json_t *list, const char *label_key, size_t *n)
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

/* After SAFE_MESSAGING when the risk was spoken of in earlier turns (after
 * the C-SSRS's view that recently expressed intent stays relevant). */
#define EARLIER_TURNS \
	" Earlier in this conversation the writer said things that suggest they may be at risk of suicide " \
	"or self-harm. Even if their last message sounds calmer, that still matters: keep following these " \
	"practices and gently check whether they are safe now."

const char *support_risk_instructions(risk_level level)
{
	return level >= RISK_MODERATE ? SAFE_MESSAGING : level == RISK_LOW ? CHECK_IN : NULL;
}

/* The system prompt's addition: by the conversation's level, with a word on
 * the earlier turns when they, not the last message, set it. */
static const char *instructions(const support_run *s)
{
	if (s->risk.level >= RISK_MODERATE && s->history_level > s->turn_level)
		return SAFE_MESSAGING EARLIER_TURNS;
	return support_risk_instructions(s->risk.level);
}

int stage_prompt(support_run *s)
{
	size_t nd = 0, ns = 0, nh = 0;
	prompt_annotation *d = NULL, *sg = NULL;
	prompt_hint *hints = NULL;
	if (prompt_strategy_uses_annotations(s->in.strategy)) {
		d = prompt_annotations_of(json_object_get(s->annotations, "emotional_distress"), "intensity", &nd);
		sg = prompt_annotations_of(json_object_get(s->annotations, "cultural_signals"), "type", &ns);
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
		.no_role = risk_no_persona(s->risk.level, s->a->cfg->risk_role_play_at_low),
		.extra_system = instructions(s),
	};
	prompt_clear(&s->prompt); /* built again when the classifier raised the level */
	int rc = prompt_build(&pin, &s->prompt);
	if (rc == 0)
		rc = history_fit(s);
	free(d);
	free(sg);
	free(hints);
	return rc;
}
