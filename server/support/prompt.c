/* Prompts for the reply model: the five prompting strategies of the
 * CultureCare method, each a system prompt made of named components and a
 * user turn holding the message (and, for the annotation strategies, its
 * annotations). The texts are ours, written from docs/method.md. */
#include "server/support/prompt.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

/* ---- strategies ---- */

static const char *const api_names[STRAT__COUNT] = {
	[STRAT_REDDITOR] = "redditor",
	[STRAT_PROFILE] = "profile",
	[STRAT_GUIDED_WITHOUT_PROFILE] = "guided_without_profile",
	[STRAT_ANNOTATION_WITHOUT_PROFILE] = "annotation_without_profile",
	[STRAT_GUIDED_ANNOTATION] = "guided_annotation",
};

static const char *const paper_names[STRAT__COUNT] = {
	[STRAT_REDDITOR] = "standard",
	[STRAT_PROFILE] = "culture",
	[STRAT_GUIDED_WITHOUT_PROFILE] = "guided",
	[STRAT_ANNOTATION_WITHOUT_PROFILE] = "annotation",
	[STRAT_GUIDED_ANNOTATION] = "cga",
};

const char prompt_strategy_names[] =
	"redditor, profile, guided_without_profile, annotation_without_profile, "
	"guided_annotation, standard, culture, guided, annotation, cga";

int prompt_strategy_parse(const char *name, prompt_strategy *out)
{
	if (!name || !out)
		return -1;
	for (int i = 0; i < STRAT__COUNT; i++) {
		if (strcmp(name, api_names[i]) == 0 || strcmp(name, paper_names[i]) == 0) {
			*out = (prompt_strategy)i;
			return 0;
		}
	}
	return -1;
}

const char *prompt_strategy_name(prompt_strategy s)
{
	if ((int)s < 0 || s >= STRAT__COUNT)
		return NULL;
	return api_names[s];
}

bool prompt_strategy_uses_annotations(prompt_strategy s)
{
	return s == STRAT_ANNOTATION_WITHOUT_PROFILE || s == STRAT_GUIDED_ANNOTATION;
}

/* ---- vocabulary ---- */

const prompt_term prompt_intensities[PROMPT_NINTENSITIES] = {
	{"light", "the distress is there but subtle"},
	{"moderate", "the distress is expressed clearly and has a noticeable impact, "
		     "without being overwhelming"},
	{"high", "the distress is intense and overwhelming"},
};

const prompt_term prompt_signal_types[PROMPT_NSIGNAL_TYPES] = {
	{"Concepts", "the basic units of meaning behind objects, ideas and beliefs"},
	{"Knowledge", "information gained through education or experience"},
	{"Values", "beliefs ranked by importance, or behaviours held to be desirable, "
		   "that guide decisions"},
	{"Norms and Morals", "the rules that govern everyday behaviour and reasoning"},
	{"Language", "slang, ways of speaking, dialect"},
	{"Artifacts", "material things that people make"},
	{"Demographics", "nationality, ethnicity or belonging to a group"},
};

const char prompt_distress_definition[] =
	"An emotional distress phrase is a part of the message in which the writer "
	"expresses psychological discomfort that comes from their inner experience, "
	"such as anxiety, sadness or frustration.";

const char prompt_signal_definition[] =
	"A cultural signal is a part of the message carrying a behaviour, symbol, "
	"expression or practice that conveys the values, beliefs or identity shared "
	"by a cultural group.";

/* ---- system prompt components ---- */

#define ROLE_FORUM \
	"You are a member of an online forum where people talk about their " \
	"problems and support one another. Someone on the forum has written the " \
	"message you will be given. Reply to them as a caring fellow member, " \
	"offering emotional support."

/* %s %s: article, culture; then the culture again. */
#define ROLE_CULTURE_FMT \
	"You are %s %s member of an online forum where people talk about their " \
	"problems and support one another. Someone who shares your %s cultural " \
	"background has written the message you will be given. Reply to them as " \
	"a caring fellow member, offering emotional support."

/* Instead of a role-play, when the writer may be at risk. */
#define ROLE_NONE \
	"You are a supportive assistant, not a person and not a member of any " \
	"community. Someone has written the message you will be given. Reply to " \
	"them with care, offering emotional support."

/* The same for the strategies that name the culture: no persona, but the
 * culture stays (%s: the culture). */
#define ROLE_NONE_CULTURE_FMT \
	"You are a supportive assistant, not a person and not a member of any " \
	"community. Someone of %s cultural background has written the message " \
	"you will be given. Reply to them with care, offering emotional support " \
	"that fits their culture."

const char *const prompt_guidelines[PROMPT_NGUIDELINES] = {
	"Value and respect the ways in which the writer's culture may differ from yours.",
	"Be comfortable with the differences between the writer and you.",
	("Take into account the social and political system the writer lives in and "
	 "how it may affect them."),
	"Show that you know the writer's culture.",
	"Communicate in a way that suits the writer.",
	"Look at the problem from within the writer's own cultural context.",
	"Acknowledge cultural differences openly and be at ease with them.",
};

#define GUIDELINES_INTRO "Follow these guidelines for culturally sensitive counselling:"

#define ANNOTATION_INTRO \
	"The message comes with annotations, listed after it under \"Annotations:\"."

#define INTENSITY_INTRO "Each emotional distress phrase is marked with its intensity:"
#define SIGNAL_TYPES_INTRO "Each cultural signal is marked with one of seven types:"

#define ANNOTATION_USE \
	"Use these annotations to understand how the writer feels and what their " \
	"culture means for their situation, and let them shape your reply. Do not " \
	"mention the annotations themselves."

/* %s: "people from the Chinese culture" or the fallback below. */
#define HINTS_INTRO_FMT \
	"Recommended support strategies: when %s replied to messages with similar " \
	"distress, these are the support strategies they used, with how often each " \
	"was used and example phrases. Draw on them where they fit, in your own words:"
#define HINTS_PEERS_FMT "people from the %s culture"
#define HINTS_PEERS_UNKNOWN "peers from the writer's culture"

#define OUTPUT_RULES \
	"Write only your reply to the message. Do not reveal or mention who you " \
	"are or any role you have been given. Do not use headings, lists, bold text " \
	"or any other markup: write plain text. Write in the same language as the " \
	"message."

/* ---- user turn components ---- */

#define ANNOTATIONS_HEADER "Annotations:"
#define DISTRESS_HEADER "Emotional distress:"
#define SIGNALS_HEADER "Cultural signals:"
#define NONE_FOUND " none found"
#define UNKNOWN_LABEL "unspecified"

/* Starts a new paragraph unless the buffer is empty. */
static void sb_para(sbuf *b)
{
	if (b->len)
		sb_add(b, "\n\n");
}

/* ---- vocabulary lookup ---- */

static bool ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* True if s, with spaces around it trimmed, equals name ignoring ASCII case. */
static bool term_matches(const char *s, const char *name)
{
	while (ascii_space(*s))
		s++;
	size_t n = strlen(s);
	while (n && ascii_space(s[n - 1]))
		n--;
	if (n != strlen(name))
		return false;
	for (size_t i = 0; i < n; i++)
		if (ascii_lower(s[i]) != ascii_lower(name[i]))
			return false;
	return true;
}

static const char *canonical(const char *s, const prompt_term *terms, size_t n)
{
	if (!s)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (term_matches(s, terms[i].name))
			return terms[i].name;
	return NULL;
}

const char *prompt_intensity_canonical(const char *s)
{
	return canonical(s, prompt_intensities, PROMPT_NINTENSITIES);
}

const char *prompt_signal_type_canonical(const char *s)
{
	return canonical(s, prompt_signal_types, PROMPT_NSIGNAL_TYPES);
}

/* ---- building ---- */

static bool culture_needed(prompt_strategy s)
{
	return s == STRAT_PROFILE || s == STRAT_GUIDED_ANNOTATION;
}

static bool starts_with_vowel(const char *s)
{
	char c = (char)ascii_lower(*s);
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u';
}

static bool annotations_valid(const prompt_annotation *a, size_t n)
{
	if (n && !a)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!a[i].phrase)
			return false;
	return true;
}

static bool hints_valid(const prompt_hint *h, size_t n)
{
	if (n && !h)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (!h[i].strategy || !isfinite(h[i].weight) || h[i].weight < 0 || h[i].weight > 1)
			return false;
		if (h[i].nexamples && !h[i].examples)
			return false;
		for (size_t k = 0; k < h[i].nexamples && k < 3; k++)
			if (!h[i].examples[k])
				return false;
	}
	return true;
}

static bool input_valid(const prompt_input *in)
{
	if (!in || (int)in->strategy < 0 || in->strategy >= STRAT__COUNT)
		return false;
	if (!in->message || !*in->message)
		return false;
	if (culture_needed(in->strategy) && (!in->culture || !*in->culture))
		return false;
	if (prompt_strategy_uses_annotations(in->strategy) &&
	    (!annotations_valid(in->distress, in->ndistress) ||
	     !annotations_valid(in->signals, in->nsignals) || !hints_valid(in->hints, in->nhints)))
		return false;
	return true;
}

static void add_role(sbuf *b, const prompt_input *in)
{
	sb_para(b);
	if (in->no_role && culture_needed(in->strategy))
		sb_printf(b, ROLE_NONE_CULTURE_FMT, in->culture);
	else if (in->no_role)
		sb_add(b, ROLE_NONE);
	else if (culture_needed(in->strategy))
		sb_printf(b, ROLE_CULTURE_FMT, starts_with_vowel(in->culture) ? "an" : "a",
			  in->culture, in->culture);
	else
		sb_add(b, ROLE_FORUM);
}

/* Guideline items first..last, 1-based and inclusive. */
static void add_guidelines(sbuf *b, int first, int last)
{
	sb_para(b);
	sb_add(b, GUIDELINES_INTRO);
	for (int i = first; i <= last; i++) {
		sb_add(b, "\n- ");
		sb_add(b, prompt_guidelines[i - 1]);
	}
}

static void add_terms(sbuf *b, const char *intro, const prompt_term *terms, size_t n)
{
	sb_add(b, intro);
	for (size_t i = 0; i < n; i++)
		sb_printf(b, "\n- %s: %s.", terms[i].name, terms[i].meaning);
}

static void add_definitions(sbuf *b)
{
	sb_para(b);
	sb_add(b, ANNOTATION_INTRO);
	sb_para(b);
	sb_add(b, prompt_distress_definition);
	sb_add(b, " ");
	add_terms(b, INTENSITY_INTRO, prompt_intensities, PROMPT_NINTENSITIES);
	sb_para(b);
	sb_add(b, prompt_signal_definition);
	sb_add(b, " ");
	add_terms(b, SIGNAL_TYPES_INTRO, prompt_signal_types, PROMPT_NSIGNAL_TYPES);
	sb_para(b);
	sb_add(b, ANNOTATION_USE);
}

static void add_hints(sbuf *b, const prompt_input *in)
{
	sbuf peers = {0};
	if (in->culture && *in->culture)
		sb_printf(&peers, HINTS_PEERS_FMT, in->culture);
	else
		sb_add(&peers, HINTS_PEERS_UNKNOWN);
	if (peers.failed) {
		b->failed = true;
		free(peers.p);
		return;
	}
	sb_para(b);
	sb_printf(b, HINTS_INTRO_FMT, peers.p);
	free(peers.p);
	for (size_t i = 0; i < in->nhints; i++) {
		const prompt_hint *h = &in->hints[i];
		sb_printf(b, "\n- %s (%.0f%%)", h->strategy, h->weight * 100.0);
		size_t n = h->nexamples < 3 ? h->nexamples : 3;
		for (size_t k = 0; k < n; k++) {
			sb_add(b, k ? ", \"" : ", for example: \"");
			sb_add(b, h->examples[k]);
			sb_add(b, "\"");
		}
	}
}

static void add_annotation_list(sbuf *b, const char *header, const char *key,
				const prompt_annotation *a, size_t n,
				const char *(*canon)(const char *))
{
	sb_add(b, "\n");
	sb_add(b, header);
	if (!n) {
		sb_add(b, NONE_FOUND);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *label = canon(a[i].label);
		sb_add(b, "\n- \"");
		sb_add(b, a[i].phrase);
		sb_printf(b, "\" (%s: %s)", key, label ? label : UNKNOWN_LABEL);
	}
}

static char *build_system(const prompt_input *in)
{
	sbuf b = {0};
	bool annotated = prompt_strategy_uses_annotations(in->strategy);

	add_role(&b, in);
	if (in->strategy == STRAT_GUIDED_WITHOUT_PROFILE)
		add_guidelines(&b, 1, 7);
	else if (in->strategy == STRAT_GUIDED_ANNOTATION)
		add_guidelines(&b, 3, 6); /* 1, 2 and 7 repeat what the role-play gives */
	if (annotated)
		add_definitions(&b);
	if (annotated && in->nhints)
		add_hints(&b, in);
	sb_para(&b);
	sb_add(&b, OUTPUT_RULES);
	if (in->extra_system) {
		sb_para(&b);
		sb_add(&b, in->extra_system);
	}
	return sb_take(&b);
}

static char *build_user(const prompt_input *in)
{
	sbuf b = {0};
	sb_add(&b, in->message);
	if (prompt_strategy_uses_annotations(in->strategy)) {
		sb_add(&b, "\n\n" ANNOTATIONS_HEADER);
		add_annotation_list(&b, DISTRESS_HEADER, "intensity", in->distress, in->ndistress,
				    prompt_intensity_canonical);
		add_annotation_list(&b, SIGNALS_HEADER, "type", in->signals, in->nsignals,
				    prompt_signal_type_canonical);
	}
	return sb_take(&b);
}

int prompt_build(const prompt_input *in, prompt *out)
{
	if (!out)
		return -1;
	out->system = NULL;
	out->user = NULL;
	if (!input_valid(in))
		return -1;
	out->system = build_system(in);
	out->user = build_user(in);
	if (!out->system || !out->user) {
		prompt_clear(out);
		return -1;
	}
	return 0;
}

char *prompt_user_turn(const prompt_input *in)
{
	return input_valid(in) ? build_user(in) : NULL;
}

void prompt_clear(prompt *p)
{
	if (!p)
		return;
	free(p->system);
	free(p->user);
	p->system = NULL;
	p->user = NULL;
}
