/* Unit tests for server/support/lexicon.c: building, culture lookup, the trigram
 * word similarity, matching signals, distress phrases and strategies,
 * reference counting, and hostile input (random bytes, invalid UTF-8, long
 * messages). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/support/lexicon.h"
#include "tests/unit/check.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static const char *const AFFIRM = "Affirmation and Reassurance";
static const char *const SUGGEST = "Providing Suggestions";
static const char *const DISCLOSE = "Self-disclosure";

/* Two cultures with aliases and invented phrases. */
static lexicon *build(void)
{
	lexicon *l = lexicon_new();
	if (!CHECK(l != NULL))
		return NULL;
	int rc = 0;
	rc |= lexicon_add_culture(l, "german", "German");
	rc |= lexicon_add_culture(l, "chinese", "Chinese");
	rc |= lexicon_add_alias(l, "china", "chinese");
	rc |= lexicon_add_alias(l, "ZH", "chinese");
	rc |= lexicon_add_alias(l, "germany", "GERMAN");
	rc |= lexicon_add_alias(l, "de", "german");

	rc |= lexicon_add_signal(l, "chinese", 1, "post", "WeChat", "Artifacts");
	rc |= lexicon_add_signal(l, "chinese", 2, "post", "WeChat", "Artifacts");
	rc |= lexicon_add_signal(l, "chinese", 3, "response", "WeChat group", "Artifacts");
	rc |= lexicon_add_signal(l, "chinese", 4, "post", "压力好大", NULL);
	rc |= lexicon_add_signal(l, "chinese", 5, "post", "   ", "Values");
	rc |= lexicon_add_signal(l, "chinese", 5, "post", "", "Values");
	rc |= lexicon_add_signal(l, "chinese", 5, "post", "…!", NULL);
	rc |= lexicon_add_signal(l, "chinese", 6, "post", "filial piety", "Values");
	rc |= lexicon_add_signal(l, "german", 10, "post", "Abitur", "Education");
	rc |= lexicon_add_signal(l, "german", 11, "post", "shabbat", "Religion");
	rc |= lexicon_add_signal(l, "german", 12, "response", "Kaffee und Kuchen", "Rituals");

	rc |= lexicon_add_distress(l, "chinese", 1, "I feel so alone", "moderate");
	rc |= lexicon_add_distress(l, "chinese", 2, "I cannot sleep at night", "high");
	rc |= lexicon_add_distress(l, "chinese", 3, "my parents expect too much", "light");
	rc |= lexicon_add_distress(l, "chinese", 4, "alone", NULL);
	rc |= lexicon_add_distress(l, "german", 10, "Ich habe Angst vor der Prüfung", "high");

	rc |= lexicon_add_support(l, "chinese", 1, "you are not alone", AFFIRM);
	rc |= lexicon_add_support(l, "chinese", 1, "many people feel this way", AFFIRM);
	rc |= lexicon_add_support(l, "chinese", 2, "sleep hygiene helps", SUGGEST);
	rc |= lexicon_add_support(l, "chinese", 1, "try talking to a counselor", SUGGEST);
	rc |= lexicon_add_support(l, "chinese", 1, "hugs", NULL);
	rc |= lexicon_add_support(l, "chinese", 1, "you are not alone", AFFIRM);
	rc |= lexicon_add_support(l, "chinese", 4, "it gets better with time", AFFIRM);
	rc |= lexicon_add_support(l, "chinese", 4, "you will find friends", AFFIRM);
	rc |= lexicon_add_support(l, "chinese", 4, "I was lonely too after moving", DISCLOSE);
	rc |= lexicon_add_support(l, "chinese", 3, "your parents love you", AFFIRM);
	rc |= lexicon_add_support(l, "german", 10, "du schaffst das", AFFIRM);
	CHECK_INT_EQ(rc, 0);
	CHECK_INT_EQ(lexicon_finish(l), 0);
	return l;
}

static const lexicon_signal_match *signal(const lexicon_result *r, const char *phrase)
{
	for (size_t i = 0; i < r->nsignals; i++)
		if (strcmp(r->signals[i].phrase, phrase) == 0)
			return &r->signals[i];
	return NULL;
}

static int match(const lexicon *l, const char *culture, const char *msg, lexicon_result *r)
{
	const lexicon_culture *c = lexicon_culture_find(l, culture);
	if (!CHECK(c != NULL))
		return -1;
	return lexicon_match(l, c, msg, strlen(msg), NULL, r);
}

/* Results are ordered and within bounds. */
static void check_sane(const lexicon_result *r, const lexicon_opts *o)
{
	CHECK(r->nsignals <= o->max_signals);
	CHECK(r->ndistress <= o->max_distress);
	CHECK(r->nstrategies <= o->max_strategies);
	for (size_t i = 0; i < r->nsignals; i++) {
		CHECK(r->signals[i].similarity >= o->signal_threshold && r->signals[i].similarity <= 1.0);
		CHECK(r->signals[i].phrase && r->signals[i].side && r->signals[i].occurrences >= 1);
		if (i > 0)
			CHECK(r->signals[i - 1].similarity >= r->signals[i].similarity);
	}
	for (size_t i = 0; i < r->ndistress; i++) {
		CHECK(r->distress[i].similarity >= o->distress_threshold && r->distress[i].similarity <= 1.0);
		if (i > 0)
			CHECK(r->distress[i - 1].similarity >= r->distress[i].similarity);
	}
	double sum = 0;
	for (size_t i = 0; i < r->nstrategies; i++) {
		CHECK(r->strategies[i].strategy != NULL);
		CHECK(r->strategies[i].nexamples <= 3);
		sum += r->strategies[i].weight;
		if (i > 0)
			CHECK(r->strategies[i - 1].weight >= r->strategies[i].weight);
	}
	if (r->nstrategies > 0 && r->nstrategies < o->max_strategies)
		CHECK(fabs(sum - 1.0) < 1e-9);
}

static void test_similarity(void)
{
	CHECK(NEAR(lexicon_word_similarity("shabbat", "shabbat"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("Filial Piety", "filial piety"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("abc", "xyz"), 0.0));
	CHECK(NEAR(lexicon_word_similarity("WeChat", "my wechat group is silent"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("Abitur", "Ich habe mein Abitur nicht bestanden."), 1.0));
	CHECK(NEAR(lexicon_word_similarity("压力好大", "最近压力好大，睡不着"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("WeChat", "我的WeChat群很安静"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("Kaffee und Kuchen", "“Kaffee und Kuchen” am Sonntag"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("don't", "I don’t know"), 1.0)); /* ’ separates like ' */
	CHECK(NEAR(lexicon_word_similarity("WeChat", "WeChat😭😭"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("ＷｅＣｈａｔ", "wechat"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("ÜBUNG", "keine übung"), 1.0));
	CHECK(NEAR(lexicon_word_similarity("שבת", "אנחנו שומרים שבת."), 1.0));
	CHECK(NEAR(lexicon_word_similarity("رمضان", "في رمضان، نصوم"), 1.0));
	double near = lexicon_word_similarity("WeChat group", "WeChat groups");
	CHECK(near >= 0.6 && near < 1.0);
	double part = lexicon_word_similarity("word", "two words");
	CHECK(part > 0.0 && part < 1.0);
	/* a partial CJK phrase is similar but not 1 */
	double cjk = lexicon_word_similarity("压力好大", "压力很大");
	CHECK(cjk > 0.0 && cjk < 1.0);
	/* a non-CJK phrase inside a longer word is not an exact match */
	CHECK(lexicon_word_similarity("cat", "education") < 0.6);
	/* blank phrases never match */
	CHECK(NEAR(lexicon_word_similarity("", "anything at all"), 0.0));
	CHECK(NEAR(lexicon_word_similarity("   ", "   "), 0.0));
	CHECK(NEAR(lexicon_word_similarity("…!", "…!"), 0.0));
	CHECK(NEAR(lexicon_word_similarity("x", ""), 0.0));
	CHECK(NEAR(lexicon_word_similarity(NULL, "x"), 0.0));
	CHECK(NEAR(lexicon_word_similarity("x", NULL), 0.0));
}

static void test_cultures(const lexicon *l)
{
	CHECK_INT_EQ(lexicon_culture_count(l), 2);
	CHECK_STR_EQ(lexicon_culture_code_at(l, 0), "chinese");
	CHECK_STR_EQ(lexicon_culture_code_at(l, 1), "german");
	CHECK(lexicon_culture_code_at(l, 2) == NULL);
	const lexicon_culture *zh = lexicon_culture_find(l, "chinese");
	CHECK(zh != NULL);
	CHECK(lexicon_culture_find(l, "CHINA") == zh);
	CHECK(lexicon_culture_find(l, "zh") == zh);
	CHECK(lexicon_culture_find(l, "ChInEsE") == zh);
	CHECK_STR_EQ(lexicon_culture_display_name(zh), "Chinese");
	const lexicon_culture *de = lexicon_culture_find(l, "Germany");
	CHECK_STR_EQ(lexicon_culture_code(de), "german");
	CHECK(lexicon_culture_find(l, "DE") == de);
	CHECK(lexicon_culture_find(l, "klingon") == NULL);
	CHECK(lexicon_culture_find(l, "") == NULL);
	CHECK(lexicon_culture_find(l, NULL) == NULL);
	CHECK(lexicon_culture_find(NULL, "chinese") == NULL);
}

static void test_building_rules(void)
{
	lexicon *l = lexicon_new();
	if (!CHECK(l != NULL))
		return;
	CHECK_INT_EQ(lexicon_add_alias(l, "nowhere", "atlantis"), 0); /* unknown code: ignored */
	CHECK_INT_EQ(lexicon_add_culture(l, "b", "B"), 0);
	CHECK_INT_EQ(lexicon_add_alias(l, "a", "b"), 0);
	CHECK_INT_EQ(lexicon_add_culture(l, "a", "A"), 0); /* the code wins over the alias */
	CHECK_INT_EQ(lexicon_add_culture(l, "A", "again"), 0); /* already there */
	CHECK_INT_EQ(lexicon_culture_count(l), 2);
	CHECK_STR_EQ(lexicon_culture_code(lexicon_culture_find(l, "A")), "a");
	CHECK_STR_EQ(lexicon_culture_display_name(lexicon_culture_find(l, "a")), "A");
	CHECK(lexicon_culture_find(l, "nowhere") == NULL);
	CHECK_INT_EQ(lexicon_add_signal(l, "atlantis", 1, "post", "x", NULL), -1);
	CHECK_INT_EQ(lexicon_add_distress(l, "atlantis", 1, "x", NULL), -1);
	CHECK_INT_EQ(lexicon_add_support(l, "atlantis", 1, "x", NULL), -1);
	CHECK_INT_EQ(lexicon_add_signal(l, "B", 1, "post", "word", NULL), 0);
	lexicon_result r;
	const lexicon_culture *b = lexicon_culture_find(l, "b");
	CHECK_INT_EQ(lexicon_match(l, b, "word", 4, NULL, &r), -1); /* not finished */
	CHECK_INT_EQ(r.nsignals, 0);
	CHECK_INT_EQ(lexicon_finish(l), 0);
	CHECK_INT_EQ(lexicon_finish(l), 0);
	CHECK_INT_EQ(lexicon_add_signal(l, "b", 2, "post", "other", NULL), -1); /* read-only */
	CHECK_INT_EQ(lexicon_add_culture(l, "c", "C"), -1);
	CHECK_INT_EQ(lexicon_match(l, b, "word", 4, NULL, &r), 0);
	if (CHECK_INT_EQ(r.nsignals, 1))
		CHECK(r.signals[0].type == NULL);
	lexicon_result_clear(&r);
	/* a culture of another lexicon */
	lexicon *other = lexicon_new();
	lexicon_add_culture(other, "b", "B");
	lexicon_finish(other);
	CHECK_INT_EQ(lexicon_match(other, b, "word", 4, NULL, &r), -1);
	CHECK_INT_EQ(lexicon_match(l, b, "word", 4, NULL, NULL), -1);
	lexicon_unref(other);
	lexicon_unref(l);
	lexicon_unref(NULL);
	lexicon_result_clear(NULL);
	CHECK(lexicon_ref(NULL) == NULL);
}

static void test_signals(const lexicon *l)
{
	lexicon_opts o;
	lexicon_opts_default(&o);
	lexicon_result r;
	const lexicon_signal_match *m;

	CHECK_INT_EQ(match(l, "german", "we keep shabbat every week", &r), 0);
	m = signal(&r, "shabbat");
	if (CHECK(m != NULL)) {
		CHECK(NEAR(m->similarity, 1.0));
		CHECK_STR_EQ(m->type, "Religion");
		CHECK_STR_EQ(m->side, "post");
		CHECK_INT_EQ(m->occurrences, 1);
	}
	CHECK_INT_EQ(r.nsignals, 1);
	check_sane(&r, &o);
	lexicon_result_clear(&r);

	/* case-insensitive, inside a longer message; duplicates merged */
	CHECK_INT_EQ(match(l, "china", "my wechat group is silent", &r), 0);
	if (CHECK(r.nsignals >= 2)) {
		CHECK_STR_EQ(r.signals[0].phrase, "WeChat"); /* ties: more occurrences first */
		CHECK(NEAR(r.signals[0].similarity, 1.0));
		CHECK_INT_EQ(r.signals[0].occurrences, 2);
		CHECK_STR_EQ(r.signals[0].type, "Artifacts");
		CHECK_STR_EQ(r.signals[1].phrase, "WeChat group");
		CHECK(NEAR(r.signals[1].similarity, 1.0));
		CHECK_STR_EQ(r.signals[1].side, "response");
	}
	size_t wechat = 0;
	for (size_t i = 0; i < r.nsignals; i++)
		wechat += strcmp(r.signals[i].phrase, "WeChat") == 0;
	CHECK_INT_EQ(wechat, 1);
	check_sane(&r, &o);
	/* no distress phrase is similar: strategies of the signals' posts 1, 2, 3 */
	CHECK_INT_EQ(r.ndistress, 0);
	if (CHECK(r.nstrategies == 2)) {
		CHECK_STR_EQ(r.strategies[0].strategy, AFFIRM); /* 4 of 6 */
		CHECK(NEAR(r.strategies[0].weight, 4.0 / 6.0));
		CHECK_STR_EQ(r.strategies[1].strategy, SUGGEST); /* 2 of 6 */
		CHECK(NEAR(r.strategies[1].weight, 2.0 / 6.0));
	}
	lexicon_result_clear(&r);

	CHECK_INT_EQ(match(l, "GERMANY", "Ich habe mein Abitur nicht bestanden", &r), 0);
	m = signal(&r, "Abitur");
	if (CHECK(m != NULL)) {
		CHECK(NEAR(m->similarity, 1.0));
		CHECK_STR_EQ(m->type, "Education");
	}
	lexicon_result_clear(&r);

	/* near match */
	CHECK_INT_EQ(match(l, "chinese", "WeChat groups", &r), 0);
	m = signal(&r, "WeChat group");
	if (CHECK(m != NULL))
		CHECK(m->similarity >= 0.6 && m->similarity < 1.0);
	m = signal(&r, "WeChat");
	if (CHECK(m != NULL))
		CHECK(NEAR(m->similarity, 1.0));
	check_sane(&r, &o);
	lexicon_result_clear(&r);

	/* unrelated */
	for (size_t i = 0; i < lexicon_culture_count(l); i++) {
		CHECK_INT_EQ(match(l, lexicon_culture_code_at(l, i), "the weather is nice today", &r), 0);
		CHECK_INT_EQ(r.nsignals, 0);
		CHECK_INT_EQ(r.ndistress, 0);
		CHECK_INT_EQ(r.nstrategies, 0);
		CHECK(r.signals == NULL && r.distress == NULL && r.strategies == NULL);
		lexicon_result_clear(&r);
	}
	CHECK_INT_EQ(match(l, "chinese", "", &r), 0);
	CHECK_INT_EQ(r.nsignals + r.ndistress + r.nstrategies, 0);
	lexicon_result_clear(&r);

	/* culture isolation */
	CHECK_INT_EQ(match(l, "chinese", "Abitur shabbat Kaffee und Kuchen Angst vor der Prüfung", &r), 0);
	CHECK_INT_EQ(r.nsignals, 0);
	CHECK_INT_EQ(r.ndistress, 0);
	lexicon_result_clear(&r);
	CHECK_INT_EQ(match(l, "german", "WeChat group 最近压力好大 I feel so alone", &r), 0);
	CHECK_INT_EQ(r.nsignals, 0);
	CHECK_INT_EQ(r.ndistress, 0);
	lexicon_result_clear(&r);

	/* CJK without spaces */
	CHECK_INT_EQ(match(l, "zh", "最近压力好大，睡不着", &r), 0);
	m = signal(&r, "压力好大");
	if (CHECK(m != NULL)) {
		CHECK(NEAR(m->similarity, 1.0));
		CHECK(m->type == NULL);
	}
	lexicon_result_clear(&r);

	/* Unicode punctuation separates words */
	CHECK_INT_EQ(match(l, "german", "„Kaffee und Kuchen“ am Sonntag", &r), 0);
	m = signal(&r, "Kaffee und Kuchen");
	if (CHECK(m != NULL))
		CHECK(NEAR(m->similarity, 1.0));
	lexicon_result_clear(&r);

	/* blank phrases never match, even with no threshold */
	lexicon_opts all;
	lexicon_opts_default(&all);
	all.signal_threshold = 0;
	all.max_signals = 100;
	const lexicon_culture *zh = lexicon_culture_find(l, "chinese");
	const char *msgs[] = {"   ", "", "…!", "WeChat … ! filial piety 压力好大", "!!!"};
	for (size_t k = 0; k < sizeof msgs / sizeof msgs[0]; k++) {
		CHECK_INT_EQ(lexicon_match(l, zh, msgs[k], strlen(msgs[k]), &all, &r), 0);
		for (size_t i = 0; i < r.nsignals; i++) {
			CHECK(strcmp(r.signals[i].phrase, "   ") != 0);
			CHECK(strcmp(r.signals[i].phrase, "") != 0);
			CHECK(strcmp(r.signals[i].phrase, "…!") != 0);
			CHECK(r.signals[i].similarity > 0);
		}
		lexicon_result_clear(&r);
	}
	CHECK_INT_EQ(lexicon_match(l, zh, msgs[3], strlen(msgs[3]), &all, &r), 0);
	CHECK_INT_EQ(r.nsignals, 4); /* WeChat, filial piety, 压力好大: 1; WeChat group: partial */
	lexicon_result_clear(&r);

	/* max_signals */
	lexicon_opts one;
	lexicon_opts_default(&one);
	one.max_signals = 1;
	CHECK_INT_EQ(lexicon_match(l, zh, "my wechat group", 15, &one, &r), 0);
	if (CHECK_INT_EQ(r.nsignals, 1))
		CHECK_STR_EQ(r.signals[0].phrase, "WeChat");
	lexicon_result_clear(&r);
	one.max_signals = 0;
	CHECK_INT_EQ(lexicon_match(l, zh, "my wechat group", 15, &one, &r), 0);
	CHECK_INT_EQ(r.nsignals, 0);
	lexicon_result_clear(&r);

	/* the message is len bytes, not NUL-terminated */
	CHECK_INT_EQ(lexicon_match(l, zh, "wechatXYZ", 6, NULL, &r), 0);
	m = signal(&r, "WeChat");
	CHECK(m != NULL && NEAR(m->similarity, 1.0));
	lexicon_result_clear(&r);
}

static void test_distress(const lexicon *l)
{
	lexicon_opts o;
	lexicon_opts_default(&o);
	lexicon_result r;

	CHECK_INT_EQ(match(l, "chinese", "lately I cannot sleep at night, I feel alone", &r), 0);
	check_sane(&r, &o);
	if (CHECK(r.ndistress >= 2)) {
		CHECK_STR_EQ(r.distress[0].phrase, "I cannot sleep at night");
		CHECK(NEAR(r.distress[0].similarity, 1.0));
		CHECK_STR_EQ(r.distress[0].intensity, "high");
		CHECK_INT_EQ(r.distress[0].post_id, 2);
		CHECK_STR_EQ(r.distress[1].phrase, "alone"); /* exact word */
		CHECK(r.distress[1].intensity == NULL);
	}
	for (size_t i = 0; i < r.ndistress; i++)
		CHECK(NEAR(r.distress[i].similarity,
			   lexicon_word_similarity(r.distress[i].phrase, "lately I cannot sleep at night, I feel alone")));
	lexicon_result_clear(&r);

	/* posts 1 and 4: support phrases a, b, c, (NULL), a, g, g2, h */
	CHECK_INT_EQ(match(l, "chinese", "Honestly, I feel so alone.", &r), 0);
	check_sane(&r, &o);
	if (CHECK_INT_EQ(r.ndistress, 2)) {
		CHECK_STR_EQ(r.distress[0].phrase, "I feel so alone");
		CHECK_INT_EQ(r.distress[0].post_id, 1);
		CHECK_STR_EQ(r.distress[1].phrase, "alone"); /* equal similarity: insertion order */
		CHECK_INT_EQ(r.distress[1].post_id, 4);
	}
	if (CHECK_INT_EQ(r.nstrategies, 3)) {
		const lexicon_strategy *s = r.strategies;
		CHECK_STR_EQ(s[0].strategy, AFFIRM);
		CHECK(NEAR(s[0].weight, 5.0 / 7.0));
		if (CHECK_INT_EQ(s[0].nexamples, 3)) {
			CHECK_STR_EQ(s[0].examples[0], "you are not alone");
			CHECK_STR_EQ(s[0].examples[1], "many people feel this way");
			CHECK_STR_EQ(s[0].examples[2], "it gets better with time");
		}
		CHECK_STR_EQ(s[1].strategy, SUGGEST); /* ties by name */
		CHECK(NEAR(s[1].weight, 1.0 / 7.0));
		if (CHECK_INT_EQ(s[1].nexamples, 1))
			CHECK_STR_EQ(s[1].examples[0], "try talking to a counselor");
		CHECK_STR_EQ(s[2].strategy, DISCLOSE);
		CHECK(NEAR(s[2].weight, 1.0 / 7.0));
		CHECK(NEAR(s[0].weight + s[1].weight + s[2].weight, 1.0));
	}
	lexicon_result_clear(&r);

	/* max_strategies, max_distress */
	lexicon_opts few;
	lexicon_opts_default(&few);
	few.max_strategies = 1;
	few.max_distress = 1;
	const lexicon_culture *zh = lexicon_culture_find(l, "chinese");
	const char *msg = "Honestly, I feel so alone.";
	CHECK_INT_EQ(lexicon_match(l, zh, msg, strlen(msg), &few, &r), 0);
	CHECK_INT_EQ(r.ndistress, 1);
	if (CHECK_INT_EQ(r.nstrategies, 1)) { /* post 1 only: a, b, c, a */
		CHECK_STR_EQ(r.strategies[0].strategy, AFFIRM);
		CHECK(NEAR(r.strategies[0].weight, 3.0 / 4.0));
		CHECK_INT_EQ(r.strategies[0].nexamples, 2);
	}
	lexicon_result_clear(&r);

	/* a higher threshold leaves the partial ones out */
	few.max_distress = 5;
	few.distress_threshold = 0.99;
	msg = "my parents expect so much";
	CHECK_INT_EQ(lexicon_match(l, zh, msg, strlen(msg), &few, &r), 0);
	CHECK_INT_EQ(r.ndistress, 0);
	lexicon_result_clear(&r);
	few.distress_threshold = 0.2;
	CHECK_INT_EQ(lexicon_match(l, zh, msg, strlen(msg), &few, &r), 0);
	if (CHECK_INT_EQ(r.ndistress, 1)) {
		CHECK_STR_EQ(r.distress[0].phrase, "my parents expect too much");
		CHECK(r.distress[0].similarity < 1.0);
	}
	lexicon_result_clear(&r);
}

static void test_refcount(void)
{
	lexicon *owner = build();
	if (!owner)
		return;
	lexicon *held = lexicon_ref(owner);
	CHECK(held == owner);
	lexicon_result r;
	CHECK_INT_EQ(match(held, "chinese", "Honestly, I feel so alone on WeChat", &r), 0);
	lexicon_unref(owner); /* the service swaps in a new lexicon */
	if (CHECK(r.nsignals >= 1 && r.ndistress >= 1 && r.nstrategies >= 1)) {
		CHECK_STR_EQ(r.signals[0].phrase, "WeChat");
		CHECK_STR_EQ(r.signals[0].type, "Artifacts");
		CHECK_STR_EQ(r.distress[0].phrase, "I feel so alone");
		CHECK_STR_EQ(r.strategies[0].strategy, AFFIRM);
		CHECK_STR_EQ(r.strategies[0].examples[0], "you are not alone");
	}
	lexicon_result_clear(&r);
	lexicon_unref(held);
}

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return rnd_state >> 8;
}

static void test_hostile(const lexicon *l)
{
	lexicon_opts o, all;
	lexicon_opts_default(&o);
	lexicon_opts_default(&all);
	all.signal_threshold = 0;
	all.distress_threshold = 0;
	all.max_signals = 1000;
	all.max_distress = 1000;
	lexicon_result r;
	char buf[512];
	size_t failures = 0;
	for (int round = 0; round < 2000; round++) {
		size_t n = rnd() % sizeof buf;
		for (size_t i = 0; i < n; i++) {
			uint32_t x = rnd();
			/* mostly high bytes, some ASCII, some NULs */
			buf[i] = (char)(x % 4 == 0 ? 'a' + x % 26 : x % 17 == 0 ? 0 : 0x80 | (x >> 8));
		}
		const lexicon_culture *c = lexicon_culture_find(l, round % 2 ? "chinese" : "german");
		const lexicon_opts *opts = round % 3 ? &o : &all;
		if (lexicon_match(l, c, buf, n, opts, &r) != 0)
			failures++;
		else
			check_sane(&r, opts);
		lexicon_result_clear(&r);
		buf[n < sizeof buf ? n : sizeof buf - 1] = '\0';
		double s = lexicon_word_similarity(buf, "WeChat 压力好大 shabbat");
		double t = lexicon_word_similarity("WeChat", buf);
		if (!(s >= 0 && s <= 1 && t >= 0 && t <= 1))
			failures++;
	}
	CHECK_INT_EQ(failures, 0);

	static const char *const invalid[] = {
		"\x80\x80\x80wechat", "we\xc3", "\xe5\x8e", "\xe5\x8e\x8b\xe5", "\xc0\x80shabbat\xc1\xbf",
		"\xed\xa0\x80\xed\xbf\xbf", "\xf5\xf6\xf7\xf8\xf9\xfa\xfb\xfc\xfd\xfe\xff", "\xf4\x90\x80\x80",
		"\xf0\x9f\x98", "\xe0\x80\xaf", "WeChat\xef\xbf\xbdgroup", "\xef\xbb\xbfWeChat",
	};
	for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
		CHECK_INT_EQ(match(l, "chinese", invalid[i], &r), 0);
		check_sane(&r, &o);
		lexicon_result_clear(&r);
		double s = lexicon_word_similarity(invalid[i], invalid[i]);
		CHECK(s >= 0 && s <= 1);
	}
	CHECK_INT_EQ(match(l, "chinese", "\xef\xbb\xbfWeChat", &r), 0); /* BOM separates */
	CHECK(signal(&r, "WeChat") != NULL);
	lexicon_result_clear(&r);
	/* embedded NUL: a separator */
	CHECK_INT_EQ(lexicon_match(l, lexicon_culture_find(l, "zh"), "x\0wechat", 8, NULL, &r), 0);
	CHECK(signal(&r, "WeChat") != NULL);
	lexicon_result_clear(&r);

	/* a 16000-character message */
	static const char *const pieces[] = {"I ", "feel ", "so ", "alone ", "WeChat ", "压力好大", "，", "😭 ",
					     "group ", "sleep ", "at ", "night ", "“", "”", "x", "\xff"};
	size_t cap = 16000 * 4 + 64, len = 0, chars = 0;
	char *big = malloc(cap);
	if (!CHECK(big != NULL))
		return;
	while (chars < 16000) {
		const char *p = pieces[rnd() % (sizeof pieces / sizeof pieces[0])];
		size_t n = strlen(p);
		memcpy(big + len, p, n);
		len += n;
		for (size_t i = 0; i < n; i++)
			chars += ((unsigned char)p[i] & 0xc0) != 0x80;
	}
	big[len] = '\0';
	for (int k = 0; k < 2; k++) {
		const lexicon_opts *opts = k ? &all : &o;
		CHECK_INT_EQ(lexicon_match(l, lexicon_culture_find(l, "chinese"), big, len, opts, &r), 0);
		check_sane(&r, opts);
		CHECK(signal(&r, "WeChat") != NULL);
		CHECK(r.ndistress > 0);
		lexicon_result_clear(&r);
	}
	/* one 16000-byte word */
	memset(big, 'a', 16000);
	big[16000] = '\0';
	CHECK_INT_EQ(match(l, "german", big, &r), 0);
	CHECK_INT_EQ(r.nsignals, 0);
	lexicon_result_clear(&r);
	double s = lexicon_word_similarity("aaa", big); /* the same trigram set: 1 */
	CHECK(s >= 0 && s <= 1);
	free(big);
}

/* ---- a brute-force reference of the similarity, for ASCII text ---- */

/* Trigram set of the words of s (ASCII: lower-cased alphanumeric runs);
 * returns the number of words, word starts/ends in ws/we. */
static size_t ref_words(const char *s, char words[][32], size_t max)
{
	size_t n = 0, len = 0;
	for (const char *p = s;; p++) {
		int c = (unsigned char)*p;
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (alnum && len < 31) {
			words[n][len++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		} else if (!alnum && len) {
			words[n][len] = '\0';
			len = 0;
			if (++n == max)
				break;
		}
		if (!c)
			break;
	}
	return n;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static size_t ref_trigrams(char words[][32], size_t from, size_t to, uint32_t *out)
{
	size_t n = 0;
	for (size_t w = from; w < to; w++) {
		char pad[40];
		snprintf(pad, sizeof pad, "  %s ", words[w]);
		for (size_t k = 0; pad[k + 2]; k++)
			out[n++] = (uint32_t)(unsigned char)pad[k] << 16 | (uint32_t)(unsigned char)pad[k + 1] << 8 |
				   (unsigned char)pad[k + 2];
	}
	qsort(out, n, sizeof *out, cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || out[u - 1] != out[i])
			out[u++] = out[i];
	return u;
}

static double ref_similarity(const char *phrase, const char *text)
{
	static char pw[64][32], tw[64][32];
	static uint32_t pt[2048], wt[2048];
	size_t np = ref_words(phrase, pw, 64), nt = ref_words(text, tw, 64);
	size_t npt = ref_trigrams(pw, 0, np, pt);
	double best = 0;
	if (npt == 0)
		return 0;
	for (size_t s = 0; s < nt; s++)
		for (size_t e = s + 1; e <= nt && e - s <= np + 1; e++) {
			size_t nwt = ref_trigrams(tw, s, e, wt), i = 0, j = 0, inter = 0;
			while (i < npt && j < nwt) {
				if (pt[i] == wt[j]) {
					inter++;
					i++;
					j++;
				} else if (pt[i] < wt[j]) {
					i++;
				} else {
					j++;
				}
			}
			double sim = (double)inter / (double)(npt + nwt - inter);
			if (sim > best)
				best = sim;
		}
	return best;
}

static const char *const vocab[] = {
	"a", "i", "to", "the", "sleep", "sleepy", "alone", "lone", "one", "night", "nights", "group", "groups",
	"we", "wechat", "chat", "hat", "at", "parents", "parent", "feel", "feeling", "so", "too", "much",
};
#define NVOCAB (sizeof vocab / sizeof vocab[0])

static uint32_t ref_state = 777;
static uint32_t ref_rnd(void)
{
	ref_state = ref_state * 1664525u + 1013904223u;
	return ref_state >> 8;
}

static void random_text(char *buf, size_t cap, size_t min, size_t max)
{
	size_t n = min + ref_rnd() % (max - min + 1), len = 0;
	static const char *const seps[] = {" ", " ", " ", ", ", ". ", " - ", "!  "};
	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 40 < cap; i++) {
		const char *w = vocab[ref_rnd() % NVOCAB];
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? seps[ref_rnd() % 7] : "",
					ref_rnd() % 5 ? w : "WeChat");
	}
}

typedef struct expect {
	const char *phrase;
	double sim;
	size_t key; /* occurrences (signals) or insertion index (distress) */
} expect;

static int cmp_expect_sig(const void *a, const void *b)
{
	const expect *x = a, *y = b;
	if (x->sim != y->sim)
		return x->sim > y->sim ? -1 : 1;
	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return strcmp(x->phrase, y->phrase);
}

static int cmp_expect_dis(const void *a, const void *b)
{
	const expect *x = a, *y = b;
	if (x->sim != y->sim)
		return x->sim > y->sim ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

/* lexicon_word_similarity and lexicon_match agree with the brute force. */
static void test_reference(void)
{
	char phrase[256], text[1024];
	size_t mismatches = 0;
	for (int i = 0; i < 3000; i++) {
		random_text(phrase, sizeof phrase, 1, 4);
		random_text(text, sizeof text, 0, 30);
		double want = ref_similarity(phrase, text), got = lexicon_word_similarity(phrase, text);
		if (!NEAR(want, got) && mismatches++ < 5)
			fprintf(stderr, "similarity(\"%s\", \"%s\"): %.6f, expected %.6f\n", phrase, text, got, want);
	}
	CHECK_INT_EQ(mismatches, 0);

	enum { NS = 80, ND = 80 };
	static char sig[NS][256], dis[ND][256];
	lexicon *l = lexicon_new();
	if (!CHECK(l != NULL))
		return;
	lexicon_add_culture(l, "x", "X");
	for (size_t i = 0; i < NS; i++) {
		random_text(sig[i], sizeof sig[i], 1, 2);
		CHECK_INT_EQ(lexicon_add_signal(l, "x", (long)i, "post", sig[i], NULL), 0);
	}
	for (size_t i = 0; i < ND; i++) {
		random_text(dis[i], sizeof dis[i], 2, 5);
		CHECK_INT_EQ(lexicon_add_distress(l, "x", (long)i, dis[i], NULL), 0);
	}
	CHECK_INT_EQ(lexicon_finish(l), 0);
	const lexicon_culture *c = lexicon_culture_find(l, "x");
	lexicon_opts o;
	lexicon_opts_default(&o);
	static expect es[NS], ed[ND];
	mismatches = 0;
	for (int round = 0; round < 300; round++) {
		random_text(text, sizeof text, 1, 40);
		size_t nes = 0, ned = 0;
		for (size_t i = 0; i < NS; i++) {
			size_t j = 0;
			while (j < nes && strcmp(es[j].phrase, sig[i]) != 0)
				j++;
			if (j < nes) {
				es[j].key++;
				continue;
			}
			double sim = ref_similarity(sig[i], text);
			es[nes++] = (expect){sig[i], sim, 1};
		}
		for (size_t i = 0; i < ND; i++)
			ed[ned++] = (expect){dis[i], ref_similarity(dis[i], text), i};
		qsort(es, nes, sizeof *es, cmp_expect_sig);
		qsort(ed, ned, sizeof *ed, cmp_expect_dis);
		size_t ws = 0, wd = 0;
		while (ws < nes && ws < o.max_signals && es[ws].sim >= o.signal_threshold)
			ws++;
		while (wd < ned && wd < o.max_distress && ed[wd].sim >= o.distress_threshold)
			wd++;
		lexicon_result r;
		if (!CHECK_INT_EQ(lexicon_match(l, c, text, strlen(text), &o, &r), 0))
			continue;
		int ok = r.nsignals == ws && r.ndistress == wd;
		for (size_t i = 0; ok && i < ws; i++)
			ok = strcmp(r.signals[i].phrase, es[i].phrase) == 0 && NEAR(r.signals[i].similarity, es[i].sim) &&
			     r.signals[i].occurrences == es[i].key;
		for (size_t i = 0; ok && i < wd; i++)
			ok = strcmp(r.distress[i].phrase, ed[i].phrase) == 0 && NEAR(r.distress[i].similarity, ed[i].sim) &&
			     (size_t)r.distress[i].post_id == ed[i].key;
		if (!ok && mismatches++ < 3)
			fprintf(stderr, "match(\"%s\"): %zu signals, %zu distress; expected %zu, %zu\n", text, r.nsignals,
				r.ndistress, ws, wd);
		lexicon_result_clear(&r);
	}
	CHECK_INT_EQ(mismatches, 0);
	lexicon_unref(l);
}

/* The bound lexicon_match checks before scoring a phrase is never below
 * the phrase's similarity, on texts short (a block per word) and long
 * (several words per block), and for phrases with more trigrams than one
 * round of block counts holds; and it sees that words far apart cannot be
 * in one window. */
static void test_bound(void)
{
	static char phrase[4096], text[16384];
	size_t below = 0;
	for (int i = 0; i < 3000; i++) {
		random_text(phrase, sizeof phrase, 1, i % 10 ? 8 : 60);
		random_text(text, sizeof text, 0, i % 3 ? 40 : 600);
		double sim = lexicon_word_similarity(phrase, text), b = lexicon_similarity_bound(phrase, text);
		if (i % 3 && sim < ref_similarity(phrase, text))
			sim = ref_similarity(phrase, text);
		if (b < sim && below++ < 5)
			fprintf(stderr, "bound(\"%s\", \"%s\"): %.6f below %.6f\n", phrase, text, b, sim);
	}
	CHECK_INT_EQ(below, 0);

	/* 300 words of distinct trigrams after 2700 others: blocks of about 94
	 * words, so more than 255 of the phrase's trigrams in one block */
	size_t len = 0;
	for (int i = 0; i < 300; i++)
		len += (size_t)snprintf(phrase + len, sizeof phrase - len, "%sq%03dz", i ? " " : "", i * 7 % 1000);
	len = 0;
	for (int i = 0; i < 2700; i++)
		len += (size_t)snprintf(text + len, sizeof text - len, "a ");
	snprintf(text + len, sizeof text - len, "%s", phrase);
	CHECK(lexicon_similarity_bound(phrase, text) >= lexicon_word_similarity(phrase, text));
	CHECK(lexicon_word_similarity(phrase, text) == 1.0);

	/* the three words of the phrase 100 words apart */
	len = (size_t)snprintf(text, sizeof text, "sleepy");
	for (int w = 0; w < 2; w++) {
		for (int i = 0; i < 100; i++)
			len += (size_t)snprintf(text + len, sizeof text - len, " a");
		len += (size_t)snprintf(text + len, sizeof text - len, w ? " parents" : " wechat");
	}
	double b = lexicon_similarity_bound("sleepy wechat parents", text);
	CHECK(b >= lexicon_word_similarity("sleepy wechat parents", text));
	CHECK(b < 0.5);
}

int main(void)
{
	test_similarity();
	test_reference();
	test_bound();
	test_building_rules();
	lexicon *l = build();
	if (l) {
		test_cultures(l);
		test_signals(l);
		test_distress(l);
		test_hostile(l);
		lexicon_unref(l);
	}
	test_refcount();
	return check_done();
}
