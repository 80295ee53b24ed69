/* The model's second opinion on risk; see risk_model.h. */
#include "server/safety/risk_model.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Written for the project from the C-SSRS screener's questions. */
static const char system_text[] =
	"You are a screening assistant for a support service. Read the message and grade the suicide and "
	"self-harm risk of its writer, following the screening questions of the Columbia Suicide Severity "
	"Rating Scale. Levels:\n"
	"- none: no sign of suicidal thoughts or self-harm.\n"
	"- low: a wish to be dead, or hopelessness, without thoughts of killing oneself.\n"
	"- moderate: thoughts of suicide without a method, or self-harm in the past.\n"
	"- high: a method, an intent or a plan, or recent self-harm.\n"
	"- imminent: preparations or an act under way (for example pills already taken, a goodbye note), "
	"or a method together with a time such as tonight.\n"
	"Grade the writer themself: a statement that denies suicidal thoughts is not a sign of them, and "
	"someone else's risk is a category, not the writer's level. Categories (any that apply): "
	"harm_to_others (the writer speaks of harming someone), abuse (the writer is abused, hurt or "
	"threatened), concern_for_someone_else (someone else is at risk).\n"
	"Answer with one JSON object and nothing else: "
	"{\"risk_level\": \"none|low|moderate|high|imminent\", \"categories\": [...]}";

int risk_model_prompt(const char *message, prompt *out)
{
	memset(out, 0, sizeof *out);
	if (!message || !*message)
		return -1;
	out->system = strdup(system_text);
	out->user = strdup(message);
	if (!out->system || !out->user) {
		prompt_clear(out);
		return -1;
	}
	return 0;
}

int risk_model_parse(const char *content, risk_level *level, unsigned *categories)
{
	if (!content)
		return -1;
	const char *open = strchr(content, '{'), *close = strrchr(content, '}');
	if (!open || !close || close < open)
		return -1;
	json_t *o = json_loadb(open, (size_t)(close - open) + 1, 0, NULL);
	const char *name = json_string_value(json_object_get(o, "risk_level"));
	risk_level l;
	if (!name || risk_level_parse(name, &l) < 0) {
		json_decref(o);
		return -1;
	}
	unsigned cats = l > RISK_NONE ? RISK_CAT_SELF : 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(o, "categories"), i, c)
	{
		const char *n = json_string_value(c);
		if (!n)
			continue;
		if (strcmp(n, "harm_to_others") == 0)
			cats |= RISK_CAT_HARM_OTHERS;
		else if (strcmp(n, "abuse") == 0)
			cats |= RISK_CAT_ABUSE;
		else if (strcmp(n, "concern_for_someone_else") == 0)
			cats |= RISK_CAT_THIRD_PERSON;
	}
	json_decref(o);
	*level = l;
	*categories = cats;
	return 0;
}

const char *risk_model_combine(risk_result *rules, risk_level model_level, unsigned model_categories)
{
	const char *what = model_level > rules->level ? "raised" : model_level == rules->level ? "agreed" : "lower_ignored";
	if (model_level > rules->level)
		rules->level = model_level;
	/* categories only add: the model may see what the rules missed, never
	 * take away what they found */
	rules->categories |= model_categories;
	return what;
}
