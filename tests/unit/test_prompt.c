/* Unit tests for server/support/prompt.c: strategy names, and which components each
 * strategy's prompt holds and lacks. */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/support/prompt.h"
#include "tests/unit/check.h"

#define CHECK_ABSENT(hay, needle) CHECK((hay) != NULL && strstr((hay), (needle)) == NULL)
#define CHECK_HAS_IF(cond, hay, needle) \
	((cond) ? CHECK_STR_CONTAINS(hay, needle) : CHECK_ABSENT(hay, needle))

static const char MSG[] = "I failed the gaokao again and my parents will not speak to me.";

static const prompt_annotation DISTRESS[] = {
	{"I failed the gaokao again", "moderate"},
	{"my parents will not speak to me", "high"},
};
static const prompt_annotation SIGNALS[] = {
	{"gaokao", "Concepts"},
	{"my parents will not speak to me", "Norms and Morals"},
};
static const char *const EX1[] = {"that sounds so heavy", "you are not alone", "I hear you",
				  "FOURTH-EXAMPLE"};
static const char *const EX2[] = {"have you talked to a teacher?"};
static const prompt_hint HINTS[] = {
	{"Reflection of Feelings", 0.45, EX1, 4},
	{"Questions", 0.2, EX2, 1},
	{"Affirmation and Reassurance", 0.125, NULL, 0},
};

static prompt_input base_input(prompt_strategy s)
{
	prompt_input in = {
		.strategy = s,
		.culture = "Chinese",
		.message = MSG,
		.distress = DISTRESS,
		.ndistress = 2,
		.signals = SIGNALS,
		.nsignals = 2,
	};
	return in;
}

/* "- Name: meaning." as the prompt lists a term. */
static void term_line(char *buf, size_t n, const prompt_term *t)
{
	snprintf(buf, n, "- %s: %s.", t->name, t->meaning);
}

static void check_output_rules(const char *sys)
{
	CHECK_STR_CONTAINS(sys, "Write only your reply to the message.");
	CHECK_STR_CONTAINS(sys, "Do not reveal or mention who you are");
	CHECK_STR_CONTAINS(sys, "Do not use headings, lists, bold text or any other markup");
	CHECK_STR_CONTAINS(sys, "Write in the same language as the message.");
}

static void check_strategy(prompt_strategy s, bool with_hints)
{
	prompt_input in = base_input(s);
	if (with_hints) {
		in.hints = HINTS;
		in.nhints = 3;
	}
	prompt p;
	if (!CHECK_INT_EQ(prompt_build(&in, &p), 0))
		return;
	const char *sys = p.system, *user = p.user;
	bool culture = s == STRAT_PROFILE || s == STRAT_GUIDED_ANNOTATION;
	bool annotated = s == STRAT_ANNOTATION_WITHOUT_PROFILE || s == STRAT_GUIDED_ANNOTATION;

	check_output_rules(sys);

	/* role-play with the culture's name */
	CHECK_HAS_IF(culture, sys, "You are a Chinese member of an online forum");
	CHECK_HAS_IF(culture, sys, "shares your Chinese cultural background");
	CHECK_HAS_IF(!culture, sys, "You are a member of an online forum");
	if (!culture && !(annotated && with_hints))
		CHECK_ABSENT(sys, "Chinese");

	/* guidelines */
	bool guided = s == STRAT_GUIDED_WITHOUT_PROFILE || s == STRAT_GUIDED_ANNOTATION;
	CHECK_HAS_IF(guided, sys, "guidelines for culturally sensitive counselling");
	for (int i = 1; i <= PROMPT_NGUIDELINES; i++) {
		bool want = s == STRAT_GUIDED_WITHOUT_PROFILE ||
			    (s == STRAT_GUIDED_ANNOTATION && i >= 3 && i <= 6);
		CHECK_HAS_IF(want, sys, prompt_guidelines[i - 1]);
	}

	/* definitions */
	CHECK_HAS_IF(annotated, sys, prompt_distress_definition);
	CHECK_HAS_IF(annotated, sys, prompt_signal_definition);
	char line[512];
	for (int i = 0; i < PROMPT_NINTENSITIES; i++) {
		term_line(line, sizeof line, &prompt_intensities[i]);
		CHECK_HAS_IF(annotated, sys, line);
	}
	for (int i = 0; i < PROMPT_NSIGNAL_TYPES; i++) {
		term_line(line, sizeof line, &prompt_signal_types[i]);
		CHECK_HAS_IF(annotated, sys, line);
	}
	CHECK_HAS_IF(annotated, sys, "Concepts");
	CHECK_HAS_IF(annotated, sys, "Use these annotations");
	CHECK_HAS_IF(annotated, sys, "intensity");

	/* the user turn */
	if (annotated) {
		CHECK(strncmp(user, MSG, strlen(MSG)) == 0);
		CHECK_STR_CONTAINS(user, "\n\nAnnotations:\n"
					 "Emotional distress:\n"
					 "- \"I failed the gaokao again\" (intensity: moderate)\n"
					 "- \"my parents will not speak to me\" (intensity: high)\n"
					 "Cultural signals:\n"
					 "- \"gaokao\" (type: Concepts)\n"
					 "- \"my parents will not speak to me\" (type: Norms and Morals)");
	} else {
		CHECK_STR_EQ(user, MSG);
	}
	CHECK_ABSENT(sys, "(intensity:");
	CHECK_ABSENT(sys, "I failed the gaokao");

	/* hints */
	bool hints = annotated && with_hints;
	CHECK_HAS_IF(hints, sys, "Recommended support strategies");
	CHECK_HAS_IF(hints, sys, "when people from the Chinese culture replied to messages with "
				 "similar distress");
	CHECK_HAS_IF(hints, sys, "\n- Reflection of Feelings (45%), for example: \"that sounds so "
				 "heavy\", \"you are not alone\", \"I hear you\"\n");
	CHECK_HAS_IF(hints, sys, "\n- Questions (20%), for example: \"have you talked to a teacher?\"\n");
	CHECK_HAS_IF(hints, sys, "\n- Affirmation and Reassurance (12%)\n");
	CHECK_ABSENT(sys, "FOURTH-EXAMPLE");
	if (!hints) {
		CHECK_ABSENT(sys, "support strateg");
		CHECK_ABSENT(sys, "Reflection of Feelings");
		CHECK_ABSENT(sys, "%");
		CHECK_ABSENT(user, "Reflection of Feelings");
	}
	CHECK_ABSENT(user, "Recommended");

	/* nothing after the output rules but the extra paragraph */
	CHECK_ABSENT(sys, "SAFETY-TEXT");
	size_t n = strlen(sys);
	const char *tail = "Write in the same language as the message.";
	CHECK(n >= strlen(tail) && strcmp(sys + n - strlen(tail), tail) == 0);
	prompt_clear(&p);

	in.extra_system = "SAFETY-TEXT: follow safe messaging.";
	if (!CHECK_INT_EQ(prompt_build(&in, &p), 0))
		return;
	n = strlen(p.system);
	tail = "message.\n\nSAFETY-TEXT: follow safe messaging.";
	CHECK(n >= strlen(tail) && strcmp(p.system + n - strlen(tail), tail) == 0);
	CHECK_ABSENT(p.user, "SAFETY-TEXT");
	prompt_clear(&p);

	/* No role-play when the writer may be at risk: neither persona. */
	in.no_role = true;
	if (!CHECK_INT_EQ(prompt_build(&in, &p), 0))
		return;
	CHECK(strncmp(p.system, "You are a supportive assistant, not a person", 44) == 0);
	CHECK_ABSENT(p.system, "member of an online forum");
	CHECK_ABSENT(p.system, "fellow member");
	/* the culture stays, without the persona ('shares your') */
	CHECK_HAS_IF(culture, p.system, "Someone of Chinese cultural background");
	CHECK_HAS_IF(culture, p.system, "that fits their culture");
	CHECK_ABSENT(p.system, "shares your");
	CHECK_HAS_IF(annotated, p.system, prompt_distress_definition);
	prompt_clear(&p);
}

static void test_strategies(void)
{
	for (int s = 0; s < STRAT__COUNT; s++) {
		check_strategy((prompt_strategy)s, false);
		check_strategy((prompt_strategy)s, true);
	}
}

/* With no hints, an annotation prompt has exactly the paper's components:
 * role, (guidelines), definitions, output rules, nothing else. */
static void test_component_order(void)
{
	prompt_input in = base_input(STRAT_GUIDED_ANNOTATION);
	prompt p;
	if (!CHECK_INT_EQ(prompt_build(&in, &p), 0))
		return;
	const char *role = strstr(p.system, "You are a Chinese member");
	const char *guide = strstr(p.system, prompt_guidelines[2]);
	const char *defs = strstr(p.system, prompt_distress_definition);
	const char *rules = strstr(p.system, "Write only your reply");
	CHECK(role == p.system);
	CHECK(role && guide && defs && rules && role < guide && guide < defs && defs < rules);
	prompt_clear(&p);
}

static void test_labels(void)
{
	const prompt_annotation d[] = {
		{"failed", NULL},
		{"again", "furious"},
		{"parents", " MODERATE "},
	};
	const prompt_annotation sg[] = {
		{"gaokao", "norms and morals"},
		{"speak", ""},
	};
	prompt_input in = base_input(STRAT_ANNOTATION_WITHOUT_PROFILE);
	in.distress = d;
	in.ndistress = 3;
	in.signals = sg;
	in.nsignals = 2;
	prompt p;
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		CHECK_STR_CONTAINS(p.user, "- \"failed\" (intensity: unspecified)\n");
		CHECK_STR_CONTAINS(p.user, "- \"again\" (intensity: unspecified)\n");
		CHECK_STR_CONTAINS(p.user, "- \"parents\" (intensity: moderate)\n");
		CHECK_STR_CONTAINS(p.user, "- \"gaokao\" (type: Norms and Morals)\n");
		CHECK_STR_CONTAINS(p.user, "- \"speak\" (type: unspecified)");
		CHECK_ABSENT(p.user, "furious");
		prompt_clear(&p);
	}

	/* empty lists */
	in.ndistress = 0;
	in.distress = NULL;
	in.nsignals = 0;
	in.signals = NULL;
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		char want[512];
		snprintf(want, sizeof want,
			 "%s\n\nAnnotations:\nEmotional distress: none found\nCultural signals: none found",
			 MSG);
		CHECK_STR_EQ(p.user, want);
		prompt_clear(&p);
	}

	/* phrases are copied as they are, quotes included */
	const prompt_annotation q[] = {{"he said \"no\"", "light"}};
	in.distress = q;
	in.ndistress = 1;
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		CHECK_STR_CONTAINS(p.user, "- \"he said \"no\"\" (intensity: light)\n");
		prompt_clear(&p);
	}
}

static void test_article(void)
{
	prompt_input in = base_input(STRAT_PROFILE);
	in.culture = "Arabic";
	prompt p;
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		CHECK_STR_CONTAINS(p.system, "You are an Arabic member of an online forum");
		prompt_clear(&p);
	}
	in.culture = "German";
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		CHECK_STR_CONTAINS(p.system, "You are a German member of an online forum");
		prompt_clear(&p);
	}
}

static void test_hint_without_culture(void)
{
	prompt_input in = base_input(STRAT_ANNOTATION_WITHOUT_PROFILE);
	in.culture = NULL;
	in.hints = HINTS;
	in.nhints = 1;
	prompt p;
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		CHECK_STR_CONTAINS(p.system, "when peers from the writer's culture replied");
		prompt_clear(&p);
	}
}

static void test_bad_input(void)
{
	prompt p = {(char *)1, (char *)1};
	prompt_input in = base_input(STRAT_REDDITOR);

	CHECK_INT_EQ(prompt_build(NULL, &p), -1);
	CHECK(p.system == NULL && p.user == NULL);
	CHECK_INT_EQ(prompt_build(&in, NULL), -1);

	in.message = NULL;
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	in.message = "";
	CHECK_INT_EQ(prompt_build(&in, &p), -1);

	in = base_input(STRAT__COUNT);
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	in = base_input((prompt_strategy)-1);
	CHECK_INT_EQ(prompt_build(&in, &p), -1);

	/* culture needed by the role-play strategies only */
	for (int s = 0; s < STRAT__COUNT; s++) {
		bool needed = s == STRAT_PROFILE || s == STRAT_GUIDED_ANNOTATION;
		in = base_input((prompt_strategy)s);
		in.culture = NULL;
		CHECK_INT_EQ(prompt_build(&in, &p), needed ? -1 : 0);
		prompt_clear(&p);
		in.culture = "";
		CHECK_INT_EQ(prompt_build(&in, &p), needed ? -1 : 0);
		prompt_clear(&p);
	}

	const prompt_annotation nullphrase[] = {{NULL, "light"}};
	in = base_input(STRAT_GUIDED_ANNOTATION);
	in.distress = nullphrase;
	in.ndistress = 1;
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	in.distress = NULL;
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	/* ignored by a strategy that does not show annotations */
	in.strategy = STRAT_PROFILE;
	in.distress = nullphrase;
	CHECK_INT_EQ(prompt_build(&in, &p), 0);
	prompt_clear(&p);

	prompt_hint h[] = {{"Questions", 1.5, NULL, 0}};
	in = base_input(STRAT_ANNOTATION_WITHOUT_PROFILE);
	in.hints = h;
	in.nhints = 1;
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	h[0].weight = -0.1;
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	h[0].weight = (double)NAN;
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	h[0].weight = 1.0;
	h[0].strategy = NULL;
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	h[0].strategy = "Questions";
	h[0].nexamples = 2; /* examples NULL */
	CHECK_INT_EQ(prompt_build(&in, &p), -1);
	h[0].nexamples = 0;
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		CHECK_STR_CONTAINS(p.system, "\n- Questions (100%)\n");
		prompt_clear(&p);
	}

	/* clearing twice, and an empty prompt, is fine */
	prompt_clear(&p);
	prompt_clear(NULL);
}

static void test_unicode(void)
{
	static const char *const msgs[] = {
		"\xd8\xa3\xd8\xb4\xd8\xb9\xd8\xb1 \xd8\xa8\xd8\xa7\xd9\x84\xd9\x88\xd8\xad\xd8\xaf\xd8\xa9 "
		"\xd9\x85\xd9\x86\xd8\xb0 \xd8\xb1\xd9\x85\xd8\xb6\xd8\xa7\xd9\x86", /* Arabic */
		"\xe6\x88\x91\xe8\x80\x83\xe8\xaf\x95\xe5\xa4\xb1\xe8\xb4\xa5\xe4\xba\x86\xef\xbc\x8c"
		"\xe7\x88\xb6\xe6\xaf\x8d\xe5\xbe\x88\xe5\xa4\xb1\xe6\x9c\x9b\xe3\x80\x82", /* Chinese */
		"\xd7\x90\xd7\xa0\xd7\x99 \xd7\x9e\xd7\xa8\xd7\x92\xd7\x99\xd7\xa9 \xd7\x91\xd7\x93\xd7\x99"
		"\xd7\x93\xd7\x95\xd7\xaa", /* Hebrew */
	};
	for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
		for (int s = 0; s < STRAT__COUNT; s++) {
			prompt_input in = base_input((prompt_strategy)s);
			in.message = msgs[i];
			in.distress = NULL;
			in.ndistress = 0;
			in.signals = NULL;
			in.nsignals = 0;
			prompt p;
			if (!CHECK_INT_EQ(prompt_build(&in, &p), 0))
				continue;
			if (prompt_strategy_uses_annotations((prompt_strategy)s)) {
				CHECK(strncmp(p.user, msgs[i], strlen(msgs[i])) == 0);
				CHECK(strncmp(p.user + strlen(msgs[i]), "\n\nAnnotations:", 14) == 0);
			} else {
				CHECK_STR_EQ(p.user, msgs[i]);
			}
			prompt_clear(&p);
		}
	}
	/* a non-ASCII phrase and culture name pass through too */
	const prompt_annotation d[] = {{"\xe8\x80\x83\xe8\xaf\x95\xe5\xa4\xb1\xe8\xb4\xa5", "high"}};
	prompt_input in = base_input(STRAT_GUIDED_ANNOTATION);
	in.message = msgs[1];
	in.culture = "\xe4\xb8\xad\xe5\x9b\xbd";
	in.distress = d;
	in.ndistress = 1;
	prompt p;
	if (CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
		CHECK_STR_CONTAINS(p.user, "- \"\xe8\x80\x83\xe8\xaf\x95\xe5\xa4\xb1\xe8\xb4\xa5\" (intensity: high)");
		CHECK_STR_CONTAINS(p.system, "You are a \xe4\xb8\xad\xe5\x9b\xbd member");
		prompt_clear(&p);
	}
}

static void test_parse(void)
{
	static const struct {
		const char *name;
		prompt_strategy s;
	} ok[] = {
		{"redditor", STRAT_REDDITOR},
		{"profile", STRAT_PROFILE},
		{"guided_without_profile", STRAT_GUIDED_WITHOUT_PROFILE},
		{"annotation_without_profile", STRAT_ANNOTATION_WITHOUT_PROFILE},
		{"guided_annotation", STRAT_GUIDED_ANNOTATION},
		{"standard", STRAT_REDDITOR},
		{"culture", STRAT_PROFILE},
		{"guided", STRAT_GUIDED_WITHOUT_PROFILE},
		{"annotation", STRAT_ANNOTATION_WITHOUT_PROFILE},
		{"cga", STRAT_GUIDED_ANNOTATION},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		prompt_strategy s = STRAT__COUNT;
		CHECK_INT_EQ(prompt_strategy_parse(ok[i].name, &s), 0);
		CHECK_INT_EQ(s, ok[i].s);
		CHECK_STR_CONTAINS(prompt_strategy_names, ok[i].name);
	}
	static const char *const bad[] = {
		"", "Redditor", "CGA", "cga ", " cga", "guided-annotation", "guided annotation",
		"annotations", "redditors", "redditor\n", "+cga", "none", "STRAT_REDDITOR",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		prompt_strategy s = STRAT_PROFILE;
		CHECK_INT_EQ(prompt_strategy_parse(bad[i], &s), -1);
		CHECK_INT_EQ(s, STRAT_PROFILE);
	}
	prompt_strategy s;
	CHECK_INT_EQ(prompt_strategy_parse(NULL, &s), -1);
	CHECK_INT_EQ(prompt_strategy_parse("cga", NULL), -1);

	CHECK_STR_EQ(prompt_strategy_name(STRAT_REDDITOR), "redditor");
	CHECK_STR_EQ(prompt_strategy_name(STRAT_PROFILE), "profile");
	CHECK_STR_EQ(prompt_strategy_name(STRAT_GUIDED_WITHOUT_PROFILE), "guided_without_profile");
	CHECK_STR_EQ(prompt_strategy_name(STRAT_ANNOTATION_WITHOUT_PROFILE),
		     "annotation_without_profile");
	CHECK_STR_EQ(prompt_strategy_name(STRAT_GUIDED_ANNOTATION), "guided_annotation");
	CHECK(prompt_strategy_name(STRAT__COUNT) == NULL);
	for (int i = 0; i < STRAT__COUNT; i++) {
		prompt_strategy back = STRAT__COUNT;
		CHECK_INT_EQ(prompt_strategy_parse(prompt_strategy_name((prompt_strategy)i), &back), 0);
		CHECK_INT_EQ(back, i);
	}

	CHECK(!prompt_strategy_uses_annotations(STRAT_REDDITOR));
	CHECK(!prompt_strategy_uses_annotations(STRAT_PROFILE));
	CHECK(!prompt_strategy_uses_annotations(STRAT_GUIDED_WITHOUT_PROFILE));
	CHECK(prompt_strategy_uses_annotations(STRAT_ANNOTATION_WITHOUT_PROFILE));
	CHECK(prompt_strategy_uses_annotations(STRAT_GUIDED_ANNOTATION));
	CHECK(!prompt_strategy_uses_annotations(STRAT__COUNT));
}

static void test_vocabulary(void)
{
	CHECK_STR_EQ(prompt_intensity_canonical("light"), "light");
	CHECK_STR_EQ(prompt_intensity_canonical("Moderate"), "moderate");
	CHECK_STR_EQ(prompt_intensity_canonical("  HIGH\t"), "high");
	CHECK(prompt_intensity_canonical("medium") == NULL);
	CHECK(prompt_intensity_canonical("") == NULL);
	CHECK(prompt_intensity_canonical(NULL) == NULL);
	CHECK(prompt_intensity_canonical("high!") == NULL);

	static const char *const types[] = {"Concepts", "Knowledge", "Values", "Norms and Morals",
					    "Language", "Artifacts", "Demographics"};
	for (int i = 0; i < PROMPT_NSIGNAL_TYPES; i++) {
		CHECK_STR_EQ(prompt_signal_types[i].name, types[i]);
		CHECK_STR_EQ(prompt_signal_type_canonical(types[i]), types[i]);
	}
	CHECK_STR_EQ(prompt_signal_type_canonical("norms and morals"), "Norms and Morals");
	CHECK_STR_EQ(prompt_signal_type_canonical(" values "), "Values");
	CHECK(prompt_signal_type_canonical("Norms") == NULL);
	CHECK(prompt_signal_type_canonical("Concept") == NULL);
	CHECK(prompt_signal_type_canonical("Norms  and Morals") == NULL);
	CHECK(prompt_signal_type_canonical(NULL) == NULL);
	CHECK_STR_EQ(prompt_intensities[0].name, "light");
	CHECK_STR_EQ(prompt_intensities[1].name, "moderate");
	CHECK_STR_EQ(prompt_intensities[2].name, "high");

	/* no guideline item is part of another, so presence checks mean something */
	for (int i = 0; i < PROMPT_NGUIDELINES; i++)
		for (int k = 0; k < PROMPT_NGUIDELINES; k++)
			if (i != k)
				CHECK(strstr(prompt_guidelines[i], prompt_guidelines[k]) == NULL);
}

/* prompt_user_turn: the user turn prompt_build makes, for a conversation's
 * earlier turns; NULL on bad input. */
static void test_user_turn(void)
{
	for (int st = 0; st < STRAT__COUNT; st++) {
		prompt_input in = base_input((prompt_strategy)st);
		prompt p;
		char *turn = prompt_user_turn(&in);
		if (CHECK(turn != NULL) && CHECK_INT_EQ(prompt_build(&in, &p), 0)) {
			CHECK_STR_EQ(turn, p.user);
			CHECK_HAS_IF(prompt_strategy_uses_annotations((prompt_strategy)st), turn, "Annotations:");
			prompt_clear(&p);
		}
		free(turn);
	}
	prompt_input bad = base_input(STRAT_REDDITOR);
	bad.message = "";
	CHECK(prompt_user_turn(&bad) == NULL);
	CHECK(prompt_user_turn(NULL) == NULL);
}

int main(void)
{
	test_parse();
	test_vocabulary();
	test_strategies();
	test_component_order();
	test_labels();
	test_article();
	test_hint_without_culture();
	test_bad_input();
	test_unicode();
	test_user_turn();
	return check_done();
}
