/* Unit tests for server/safety/risk.c: the rules seeded by the migrations
 * (parsed from the files themselves by seeded_rules.c, so the test runs
 * exactly the seeded rules) against the labelled messages of
 * tests/risk_table.tsv, with per-language and overall agreement; then the
 * pattern syntax, negation, persons, combinations, level names, language
 * guess and hostile input (empty, invalid UTF-8, long messages).
 *
 * Fails when the overall agreement (level and categories both right) is
 * below 95% or when any message labelled high or imminent is assessed
 * below high. Build with -DSOURCE_ROOT='"/path/to/source"'. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/safety/risk.h"
#include "server/safety/text_model.h"
#include "server/util.h"
#include "tests/unit/check.h"
#include "tests/unit/seeded_rules.h"

#ifndef SOURCE_ROOT
#error "compile with -DSOURCE_ROOT='\"/path/to/source\"'"
#endif

#define TABLE SOURCE_ROOT "/tests/risk_table.tsv"
#define MIN_AGREEMENT 0.95

/* ---- loading the seeded rules ---- */

static risk_rules *seeded_rules(void)
{
	long n = 0;
	risk_rules *r = seeded_rules_load(&n);
	CHECK(r != NULL);
	CHECK(n > 0);
	CHECK_INT_EQ(risk_rules_count(r), n);
	printf("seeded rules: %ld\n", n);
	return r;
}

/* ---- the table ---- */

static const char *const langs[] = {"en", "de", "zh", "ar", "he"};
#define NLANGS (sizeof langs / sizeof *langs)

static int lang_slot(const char *l)
{
	for (size_t i = 0; i < NLANGS; i++)
		if (strcmp(langs[i], l) == 0)
			return (int)i;
	return -1;
}

/* Parses "-" or a comma list of category names; -1 on an unknown name. */
static long parse_categories(const char *s)
{
	if (strcmp(s, "-") == 0)
		return 0;
	long bits = 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		if (n == 4 && strncmp(s, "self", 4) == 0)
			bits |= RISK_CAT_SELF;
		else if (n == 11 && strncmp(s, "harm_others", 11) == 0)
			bits |= RISK_CAT_HARM_OTHERS;
		else if (n == 5 && strncmp(s, "abuse", 5) == 0)
			bits |= RISK_CAT_ABUSE;
		else if (n == 12 && strncmp(s, "third_person", 12) == 0)
			bits |= RISK_CAT_THIRD_PERSON;
		else
			return -1;
		s += n;
		if (*s == ',')
			s++;
	}
	return bits;
}

static void format_categories(unsigned c, char *out, size_t len)
{
	out[0] = '\0';
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{RISK_CAT_SELF, "self"},
		     {RISK_CAT_HARM_OTHERS, "harm_others"},
		     {RISK_CAT_ABUSE, "abuse"},
		     {RISK_CAT_THIRD_PERSON, "third_person"}};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (c & names[i].bit) {
			if (out[0])
				strncat(out, ",", len - strlen(out) - 1);
			strncat(out, names[i].name, len - strlen(out) - 1);
		}
	if (!out[0])
		snprintf(out, len, "-");
}

static void test_table(const risk_rules *r)
{
	char *tsv = read_file(TABLE, NULL);
	if (!CHECK(tsv != NULL)) {
		fprintf(stderr, "cannot read %s\n", TABLE);
		return;
	}
	unsigned total[NLANGS] = {0}, agree[NLANGS] = {0}, lang_ok[NLANGS] = {0};
	unsigned n = 0, nagree = 0, nlang = 0, malformed = 0, under = 0, crisis = 0;
	unsigned lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		char *f[4];
		char *p = line;
		int nf = 0;
		for (; nf < 4 && p; nf++) {
			f[nf] = p;
			p = nf < 3 ? strchr(p, '\t') : NULL;
			if (p)
				*p++ = '\0';
		}
		risk_level want;
		long cats = nf == 4 ? parse_categories(f[2]) : -1;
		int slot = nf == 4 ? lang_slot(f[0]) : -1;
		if (nf != 4 || slot < 0 || risk_level_parse(f[1], &want) != 0 || cats < 0) {
			fprintf(stderr, "%s: malformed line %u\n", TABLE, lineno);
			malformed++;
			continue;
		}
		risk_result res;
		if (!CHECK(risk_assess(r, f[3], strlen(f[3]), &res) == 0))
			continue;
		n++;
		total[slot]++;
		bool ok = res.level == want && res.categories == (unsigned)cats;
		if (ok) {
			nagree++;
			agree[slot]++;
		} else {
			char got[64], exp[64];
			format_categories(res.categories, got, sizeof got);
			format_categories((unsigned)cats, exp, sizeof exp);
			printf("  disagree [%s] expected %s %s, got %s %s: %s\n", f[0], risk_level_name(want), exp,
			       risk_level_name(res.level), got, f[3]);
		}
		if (strcmp(res.lang, f[0]) == 0) {
			nlang++;
			lang_ok[slot]++;
		} else {
			printf("  language [%s] guessed %s: %s\n", f[0], res.lang, f[3]);
		}
		if (want >= RISK_HIGH) {
			crisis++;
			if (res.level < RISK_HIGH) {
				under++;
				fprintf(stderr, "UNDER-ASSESSED [%s] labelled %s, assessed %s: %s\n", f[0],
					risk_level_name(want), risk_level_name(res.level), f[3]);
			}
		}
	}
	free(tsv);
	for (size_t i = 0; i < NLANGS; i++) {
		printf("agreement %s: %u/%u (%.1f%%), language guessed %u/%u\n", langs[i], agree[i], total[i],
		       total[i] ? 100.0 * agree[i] / total[i] : 0.0, lang_ok[i], total[i]);
		CHECK(total[i] >= 12);
	}
	double overall = n ? (double)nagree / n : 0;
	printf("agreement overall: %u/%u (%.1f%%); language guessed %u/%u; high or imminent assessed below "
	       "high: %u of %u\n",
	       nagree, n, 100.0 * overall, nlang, n, under, crisis);
	CHECK_INT_EQ(malformed, 0);
	CHECK(n >= 80);
	CHECK(overall >= MIN_AGREEMENT);
	CHECK_INT_EQ(under, 0);
	CHECK(n && (double)nlang / n >= 0.95);
}

/* ---- unit checks ---- */

static risk_result assess(const risk_rules *r, const char *msg)
{
	risk_result res;
	memset(&res, 0x5a, sizeof res);
	if (!CHECK(risk_assess(r, msg, strlen(msg), &res) == 0)) {
		res.level = RISK_NONE;
		res.categories = 0;
	}
	return res;
}

#define EXPECT(r, msg, lvl, cats)                                                                        \
	do {                                                                                             \
		risk_result res_ = assess((r), (msg));                                                   \
		int level_ok_ = CHECK_INT_EQ(res_.level, (lvl));                                         \
		int cats_ok_ = CHECK_INT_EQ(res_.categories, (unsigned)(cats));                          \
		if (!level_ok_ || !cats_ok_)                                                             \
			fprintf(stderr, "  message: %s\n", (msg));                                       \
	} while (0)

/* The concept kinds: they combine within a sentence in any order and at any
 * distance; the safety floor; reasons; idioms; whose a farewell is. */
static void test_concepts(void)
{
	risk_rules *r = risk_rules_new();
	static const char *const rules[][3] = {
		{"en", "act", "took"},		    {"de", "act", "genommen"},
		{"en", "method", "pills"},	    {"de", "method", "tabletten"},
		{"en", "method", "railing"},	    {"en", "quantity", "all"},
		{"de", "quantity", "alle"},	    {"en", "presence", "standing on"},
		{"en", "finality", "last post"},   {"en", "finality", "tell them"},
		{"en", "method_seeking", "how many"}, {"en", "first_person", "i"},
		{"de", "first_person", "ich"},	    {"en", "third_person", "my friend"},
		{"en", "third_person", "them"},    {"en", "negation", "never"},
		{"en", "idiom", "killed myself laughing"}, {"en", "active_ideation", "kill* myself"},
		{"en", "time", "tonight"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		CHECK_INT_EQ(risk_rules_add(r, rules[i][0], rules[i][1], rules[i][2]), 0);
	/* Words between the act and the means, any order, verb-final German. */
	EXPECT(r, "I took nearly all of the pills my doctor gave me", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "the pills, I took all of them", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "Ich habe vorhin alle Tabletten auf einmal genommen", RISK_IMMINENT, RISK_CAT_SELF);
	/* A quantity does not cross sentences: the floor says moderate. */
	EXPECT(r, "I took the pills. All of it is too much.", RISK_MODERATE, RISK_CAT_SELF);
	/* A means in place; finality alone; finality with a time. */
	EXPECT(r, "standing on the railing", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "this is my last post", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "this is my last post, tonight", RISK_IMMINENT, RISK_CAT_SELF);
	/* Method seeking with a means is high; alone, the floor. */
	EXPECT(r, "how many pills", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "how many hours until it stops", RISK_MODERATE, RISK_CAT_SELF);
	/* A means with a quantity is nothing without a first person... */
	EXPECT(r, "all pills are white", RISK_NONE, 0);
	/* ...and a third person's act is theirs. */
	EXPECT(r, "my friend took all the pills", RISK_NONE, RISK_CAT_THIRD_PERSON);
	/* A farewell that names others is still the writer's. */
	EXPECT(r, "tell them I am sorry", RISK_HIGH, RISK_CAT_SELF);
	/* An idiom hides what it overlaps. */
	EXPECT(r, "I killed myself laughing", RISK_NONE, 0);
	EXPECT(r, "I want to kill myself", RISK_MODERATE, RISK_CAT_SELF);
	/* The reasons. */
	risk_result res = assess(r, "I took all the pills");
	CHECK_INT_EQ(res.reasons, RISK_REASON_ACT | RISK_REASON_MEANS | RISK_REASON_QUANTITY);
	res = assess(r, "how many hours until it stops");
	CHECK_INT_EQ(res.reasons, RISK_REASON_METHOD_SEEKING | RISK_REASON_SAFETY_FLOOR);
	res = assess(r, "all pills are white");
	CHECK_INT_EQ(res.reasons, 0);
	CHECK_STR_EQ(risk_reason_name(RISK_REASON_MEANS_IN_PLACE), "means_in_place");
	CHECK_STR_EQ(risk_reason_name(RISK_REASON_SAFETY_FLOOR), "safety_floor");
	CHECK(risk_reason_name(1u << RISK_REASON_COUNT) == NULL);
	CHECK(risk_reason_name(3) == NULL);
	risk_rules_free(r);
}

/* Cues of time, of persons and languages, and what crosses a sentence:
 * the remote past lowers its sentence unless a recent past or a time is
 * there; a means is the writer's once they spoke first; languages and the
 * sentence before combine; farewells only combine. */
static void test_context(void)
{
	risk_rules *r = risk_rules_new();
	static const char *const rules[][3] = {
		{"en", "act", "took"},		      {"en", "act", "overdosed"},
		{"en", "method", "pills"},	      {"en", "method", "belt"},
		{"en", "method", "\xf0\x9f\x92\x8a"}, {"en", "quantity", "all"},
		{"en", "time", "tonight"},	      {"en", "first_person", "i"},
		{"en", "third_person", "her"},	      {"en", "remote_past", "years ago"},
		{"en", "recent_past", "lately"},      {"en", "past_self_harm", "cut myself"},
		{"en", "active_ideation", "kill myself"}, {"en", "presence", "looped over"},
		{"en", "farewell", "bye everyone"},   {"en", "passive_ideation", "want to die"},
		{"he", "act", "לקחתי"},		      {"he", "quantity", "את כל"},
		{"ar", "quantity", "2"},	      {"en", "intent", "the plan"},
		{"en", "method", "tablets"},	      {"en", "active_ideation", "umbringen"},
		{"en", "active_ideation", "stab*"},   {"en", "method", "stsbbing"},
		{"en", "farewell", "a note"},	      {"en", "farewell", "look after * for me"},
		{"en", "third_person", "the girl"},   {"en", "third_person", "my mum"},
		{"en", "farewell", "so she knows"},  {"en", "medical", "for my headache"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		CHECK_INT_EQ(risk_rules_add(r, rules[i][0], rules[i][1], rules[i][2]), 0);
	/* The remote past lowers its own sentence only, and not with a recent cue. */
	EXPECT(r, "Two years ago I overdosed on all my pills", RISK_NONE, 0);
	EXPECT(r, "I took all my pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "Years ago I wanted to kill myself.", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "Years ago I cut myself.", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "Years ago I cut myself and lately I want to kill myself", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "Two years ago I overdosed. Tonight I took all the pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "Years ago I cut myself, tonight I want to kill myself", RISK_HIGH, RISK_CAT_SELF);
	/* Whose the means is does not matter once the writer spoke. */
	EXPECT(r, "I took all her pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "her pills are all white", RISK_NONE, 0);
	/* Adjacent sentences combine, a quantity excepted; further ones not. */
	EXPECT(r, "the belt is ready. looped over the door.", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "the belt is ready. the weather is fine. looped over the door.", RISK_NONE, 0);
	/* Two languages in one message combine. */
	EXPECT(r, "so done, לקחתי את כל ה-pills", RISK_IMMINENT, RISK_CAT_SELF);
	/* A number rule applies only among its language's script. */
	EXPECT(r, "I took the pills on week 2", RISK_MODERATE, RISK_CAT_SELF);
	/* An emoji is a word; apostrophe + s matches the bare word. */
	EXPECT(r, "\xf0\x9f\x92\x8a\xf0\x9f\x92\x8a bye everyone", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "the belt's looped over the door", RISK_IMMINENT, RISK_CAT_SELF);
	/* A farewell alone is nothing; with ideation high. */
	EXPECT(r, "bye everyone, see you tomorrow", RISK_NONE, 0);
	EXPECT(r, "bye everyone. I want to die", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I took the pills. bye everyone", RISK_IMMINENT, RISK_CAT_SELF);
	/* Two farewells are finality; a third person's is theirs. */
	EXPECT(r, "look after the cat for me", RISK_NONE, 0);
	EXPECT(r, "I left a note. look after the cat for me.", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "the girl left a note by the pills", RISK_NONE, 0);
	EXPECT(r, "I left a note for my mum so she knows", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "my mum left a note so she knows", RISK_NONE, 0);
	/* A stated ailment keeps a means taken below the floor, not a combination. */
	EXPECT(r, "I took the pills", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "I took the pills for my headache", RISK_NONE, 0);
	EXPECT(r, "I took all the pills for my headache", RISK_IMMINENT, RISK_CAT_SELF);
	/* Typos: swapped neighbours, a doubled or undoubled letter, a keyboard
	 * neighbour; not an added or dropped letter that makes another word,
	 * not a word a `stem*` pattern matches as it is. */
	EXPECT(r, "I overdsoed on all my pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "I ovverdosed on all my pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "I overdised on all my pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "I took all the tabelts", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "I took all the tables", RISK_NONE, 0);
	EXPECT(r, "ich will mich umbirngen", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "stabbing, the tablets", RISK_HIGH, RISK_CAT_SELF);
	risk_rules_free(r);
}

/* The seed reader leaves out what a later migration deletes. */
static void test_seed_removals(const risk_rules *seeded)
{
	risk_rules *r = risk_rules_new();
	CHECK_INT_EQ(seeded_rules_add_sql(r, "INSERT INTO risk_rules (lang, kind, pattern, note) VALUES\n"
					     "    ('en', 'finality', 'a note', NULL),\n"
					     "    ('en', 'method', 'pills', NULL);\n"),
		     2);
	EXPECT(r, "a note", RISK_HIGH, RISK_CAT_SELF);
	risk_rules_free(r);
	/* migration 0011 moves "made a will" from finality to farewell */
	EXPECT(seeded, "We made a will after buying the house.", RISK_NONE, 0);
	EXPECT(seeded, "I made a will. I want to die.", RISK_HIGH, RISK_CAT_SELF);
}

static void test_level_names(void)
{
	static const char *const names[] = {"none", "low", "moderate", "high", "imminent"};
	for (int i = RISK_NONE; i <= RISK_IMMINENT; i++) {
		CHECK_STR_EQ(risk_level_name((risk_level)i), names[i]);
		risk_level l = RISK_NONE;
		CHECK_INT_EQ(risk_level_parse(names[i], &l), 0);
		CHECK_INT_EQ(l, i);
	}
	risk_level l = RISK_LOW;
	CHECK_INT_EQ(risk_level_parse("HIGH", &l), 0);
	CHECK_INT_EQ(l, RISK_HIGH);
	CHECK_INT_EQ(risk_level_parse("Imminent", &l), 0);
	CHECK_INT_EQ(l, RISK_IMMINENT);
	l = RISK_LOW;
	CHECK_INT_EQ(risk_level_parse("severe", &l), -1);
	CHECK_INT_EQ(risk_level_parse("", &l), -1);
	CHECK_INT_EQ(risk_level_parse("hig", &l), -1);
	CHECK_INT_EQ(risk_level_parse("highest", &l), -1);
	CHECK_INT_EQ(risk_level_parse(NULL, &l), -1);
	CHECK_INT_EQ(risk_level_parse("low", NULL), -1);
	CHECK_INT_EQ(l, RISK_LOW);
	CHECK_STR_EQ(risk_level_name((risk_level)7), "unknown");
	/* the persona: at none only; at none and low with RISK_ROLE_PLAY_AT_LOW=on */
	CHECK(!risk_no_persona(RISK_NONE, false) && !risk_no_persona(RISK_NONE, true));
	CHECK(risk_no_persona(RISK_LOW, false) && !risk_no_persona(RISK_LOW, true));
	for (int i = RISK_MODERATE; i <= RISK_IMMINENT; i++)
		CHECK(risk_no_persona((risk_level)i, false) && risk_no_persona((risk_level)i, true));
	CHECK_STR_EQ(risk_level_name((risk_level)-1), "unknown");
}

static void test_rules_api(void)
{
	risk_rules_free(NULL);
	CHECK_INT_EQ(risk_rules_count(NULL), 0);
	risk_rules *r = risk_rules_new();
	if (!CHECK(r != NULL))
		return;
	CHECK_INT_EQ(risk_rules_add(r, "en", "active_ideation", "kill myself"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "EN", "method", "pills"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "en", "suicide", "x"), -1);
	CHECK_INT_EQ(risk_rules_add(r, "en", "Method", "x"), -1);
	CHECK_INT_EQ(risk_rules_add(r, "", "method", "x"), -1);
	CHECK_INT_EQ(risk_rules_add(r, "english", "method", "x"), -1);
	CHECK_INT_EQ(risk_rules_add(r, "e1", "method", "x"), -1);
	CHECK_INT_EQ(risk_rules_add(r, NULL, "method", "x"), -1);
	CHECK_INT_EQ(risk_rules_add(r, "en", NULL, "x"), -1);
	CHECK_INT_EQ(risk_rules_add(r, "en", "method", NULL), -1);
	CHECK_INT_EQ(risk_rules_add(NULL, "en", "method", "x"), -1);
	/* Accepted, never match. */
	CHECK_INT_EQ(risk_rules_add(r, "en", "preparatory", ""), 0);
	CHECK_INT_EQ(risk_rules_add(r, "en", "preparatory", " ,.!? "), 0);
	CHECK_INT_EQ(risk_rules_add(r, "en", "preparatory", "*"), 0);
	CHECK_INT_EQ(risk_rules_count(r), 5);
	EXPECT(r, "I want to kill myself", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "hello there", RISK_NONE, 0);
	EXPECT(r, "", RISK_NONE, 0);

	risk_result res;
	CHECK_INT_EQ(risk_assess(r, NULL, 0, &res), 0);
	CHECK_INT_EQ(res.level, RISK_NONE);
	CHECK_INT_EQ(res.categories, 0);
	CHECK_STR_EQ(res.lang, "en");
	res.level = RISK_HIGH;
	CHECK_INT_EQ(risk_assess(r, NULL, 3, &res), -1);
	CHECK_INT_EQ(res.level, RISK_NONE);
	CHECK_INT_EQ(risk_assess(NULL, "kill myself", 11, &res), -1);
	CHECK_INT_EQ(risk_assess(r, "kill myself", 11, NULL), -1);
	/* Not NUL-terminated: only len bytes are read. */
	char buf[11];
	memcpy(buf, "kill myself", 11);
	CHECK_INT_EQ(risk_assess(r, buf, sizeof buf, &res), 0);
	CHECK_INT_EQ(res.level, RISK_MODERATE);
	CHECK_INT_EQ(risk_assess(r, buf, 4, &res), 0);
	CHECK_INT_EQ(res.level, RISK_NONE);
	risk_rules_free(r);
}

/* A small hand-made English rule set for the logic. */
static risk_rules *logic_rules(void)
{
	risk_rules *r = risk_rules_new();
	if (!r)
		return NULL;
	static const char *const rules[][2] = {
		{"passive_ideation", "want* to die"},
		{"hopelessness", "hopeless"},
		{"active_ideation", "kill* myself"},
		{"active_ideation", "kill* herself"},
		{"past_self_harm", "used to cut"},
		{"recent_self_harm", "cut myself again"},
		{"method", "pills"},
		{"method", "bridge"},
		{"intent", "have a plan"},
		{"time", "tonight"},
		{"preparatory", "goodbye note"},
		{"negation", "never"},
		{"negation", "dont"},
		{"negation", "not"},
		{"third_person", "my friend"},
		{"third_person", "she"},
		{"third_person", "herself"},
		{"first_person", "i"},
		{"first_person", "my"},
		{"first_person", "myself"},
		{"harm_others", "kill him"},
		{"abuse", "hits me"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		CHECK_INT_EQ(risk_rules_add(r, "en", rules[i][0], rules[i][1]), 0);
	return r;
}

static void test_levels_and_combinations(void)
{
	risk_rules *r = logic_rules();
	if (!r)
		return;
	EXPECT(r, "I want to die", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "Everything is hopeless", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I want to kill myself", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "I used to cut when I was younger", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "I cut myself again", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I wrote a goodbye note", RISK_IMMINENT, RISK_CAT_SELF);
	/* Means, time or a plan alone are nothing. */
	EXPECT(r, "I forgot my pills", RISK_NONE, 0);
	EXPECT(r, "See you at the bridge tonight", RISK_NONE, 0);
	EXPECT(r, "I have a plan for the weekend", RISK_NONE, 0);
	/* ideation + method = high; + time = imminent. */
	EXPECT(r, "I want to kill myself with pills", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I want to die. I have the pills.", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I want to kill myself with pills tonight", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "I want to die. The pills are here. Tonight.", RISK_IMMINENT, RISK_CAT_SELF);
	/* intent + ideation or method = high; + time = imminent. */
	EXPECT(r, "I want to kill myself and I have a plan", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I have a plan and the pills", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I have a plan, I want to die tonight", RISK_IMMINENT, RISK_CAT_SELF);
	/* time raises ideation one step. */
	EXPECT(r, "I want to die tonight", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "I want to kill myself tonight", RISK_HIGH, RISK_CAT_SELF);
	/* Hopelessness does not combine. */
	EXPECT(r, "hopeless, the pills are here", RISK_LOW, RISK_CAT_SELF);
	risk_rules_free(r);
}

static void test_negation(void)
{
	risk_rules *r = logic_rules();
	if (!r)
		return;
	EXPECT(r, "I would never kill myself", RISK_NONE, 0);
	EXPECT(r, "I dont want to die", RISK_NONE, 0);
	EXPECT(r, "I don't want to die", RISK_NONE, 0);
	EXPECT(r, "I DON’T want to die", RISK_NONE, 0);
	EXPECT(r, "I would never ever kill myself", RISK_NONE, 0);
	/* Only in its clause, only before, only close. */
	EXPECT(r, "I'm not okay, I want to die", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "Not today. I want to die", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I want to die and never wake up", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I dont know why everybody says I want to die", RISK_LOW, RISK_CAT_SELF);
	/* A person cue between blocks it. */
	EXPECT(r, "dont i want to die", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "dont want to die", RISK_NONE, 0);
	/* A negated match is dropped, the others stay. */
	EXPECT(r, "I would never kill myself but I want to die", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I would never kill myself. I have the pills and want to die tonight", RISK_IMMINENT,
	       RISK_CAT_SELF);
	EXPECT(r, "she would never kill herself", RISK_NONE, 0);
	risk_rules_free(r);
}

static void test_persons(void)
{
	risk_rules *r = logic_rules();
	if (!r)
		return;
	EXPECT(r, "my friend wants to die", RISK_NONE, RISK_CAT_THIRD_PERSON);
	EXPECT(r, "I think she wants to die", RISK_NONE, RISK_CAT_THIRD_PERSON);
	EXPECT(r, "I'm worried, my friend wants to kill herself", RISK_NONE, RISK_CAT_THIRD_PERSON);
	EXPECT(r, "she wrote a goodbye note", RISK_NONE, RISK_CAT_THIRD_PERSON);
	/* The writer also expresses it. */
	EXPECT(r, "my friend wants to die and I want to die too", RISK_LOW, RISK_CAT_SELF | RISK_CAT_THIRD_PERSON);
	/* The nearest person decides; first person inside the match too. */
	EXPECT(r, "my friend left and I want to die", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "she says I should kill myself", RISK_MODERATE, RISK_CAT_SELF);
	/* Too far away: the writer's (cautious). */
	EXPECT(r, "my friend has been distant lately and wants to die", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "my friend has been distant and wants to die", RISK_NONE, RISK_CAT_THIRD_PERSON);
	/* A method of someone else is not the writer's. */
	EXPECT(r, "I want to die. She has pills", RISK_LOW, RISK_CAT_SELF);
	/* Harm to others and abuse, whoever speaks. */
	EXPECT(r, "I want to kill him", RISK_NONE, RISK_CAT_HARM_OTHERS);
	EXPECT(r, "I would never kill him", RISK_NONE, 0);
	EXPECT(r, "my dad hits me and I want to die", RISK_LOW, RISK_CAT_SELF | RISK_CAT_ABUSE);
	risk_rules_free(r);
}

static void test_pattern_syntax(void)
{
	risk_rules *r = risk_rules_new();
	if (!r)
		return;
	CHECK_INT_EQ(risk_rules_add(r, "en", "active_ideation", "kill* myself"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "en", "preparatory", "took all * pills"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "en", "passive_ideation", "don't want to live"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "de", "method", "überdosis"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "de", "passive_ideation", "will sterben"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "zh", "passive_ideation", "想死"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "zh", "preparatory", "吃了*安眠药"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "ar", "active_ideation", "*نتحر*"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "ar", "active_ideation", "*نتحار*"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "ar", "passive_ideation", "أريد أن أموت"), 0);
	CHECK_INT_EQ(risk_rules_add(r, "he", "active_ideation", "*התאבד*"), 0);
	/* Whole words; * within a word. */
	EXPECT(r, "thinking about killing myself", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "KILL MYSELF", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "skill myself up", RISK_NONE, 0);
	EXPECT(r, "kill myselfie", RISK_NONE, 0);
	EXPECT(r, "kill, myself", RISK_NONE, 0);
	EXPECT(r, "kill\nmyself", RISK_NONE, 0);
	EXPECT(r, "kill   myself", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "kill-myself", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "ｋｉｌｌ　ｍｙｓｅｌｆ", RISK_MODERATE, RISK_CAT_SELF);
	/* A lone * is a gap of 0 to 4 words. */
	EXPECT(r, "took all pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "took all my pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "took all of my sleeping pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "took all of my old sleeping pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "took all of my old and new sleeping pills", RISK_NONE, 0);
	/* Apostrophes dropped on both sides. */
	EXPECT(r, "i dont want to live", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "i don’t want to live", RISK_LOW, RISK_CAT_SELF);
	/* Latin-1 capitals, combining diaeresis. */
	EXPECT(r, "ÜBERDOSIS und ich will sterben", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "U\xcc\x88""berdosis und ich will sterben", RISK_HIGH, RISK_CAT_SELF);
	/* Han characters as substrings, a gap of Han characters. */
	EXPECT(r, "我真的好想死啊", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "我吃了一整瓶安眠药", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "我吃了安眠药", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "想，死", RISK_NONE, 0);
	/* Arabic: prefixes and suffixes, vowel marks, alef forms. */
	EXPECT(r, "أفكر في الانتحار", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "سأنتحر", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "اريد ان اموت", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "أُرِيدُ أَنْ أَمُوتَ", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "أريـــد أن أموت", RISK_LOW, RISK_CAT_SELF);
	/* Hebrew: prefixes, points. */
	EXPECT(r, "אני רוצה להתאבד", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "מחשבות על הִתְאַבְּדוּת", RISK_MODERATE, RISK_CAT_SELF);
	risk_rules_free(r);
}

static void test_language_guess(const risk_rules *r)
{
	static const char *const cases[][2] = {
		{"", "en"},
		{"12345 !!! :)", "en"},
		{"I feel so alone lately", "en"},
		{"Ich fühle mich so allein", "de"},
		{"ich bin so müde", "de"},
		{"Mir geht es nicht gut", "de"},
		{"我最近很孤单", "zh"},
		{"我的WeChat群没人说话", "zh"},
		{"أشعر بالوحدة", "ar"},
		{"אני מרגיש בודד", "he"},
		{"I feel lonely, אני מרגיש בודד מאוד מאוד", "he"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		risk_result res;
		if (CHECK(risk_assess(r, cases[i][0], strlen(cases[i][0]), &res) == 0) &&
		    !CHECK_STR_EQ(res.lang, cases[i][1]))
			fprintf(stderr, "  message: %s\n", cases[i][0]);
	}
}

/* Mixed languages: every language's rules apply with their own cues. */
static void test_mixed(const risk_rules *r)
{
	EXPECT(r, "Ich kann nicht mehr. I want to kill myself.", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "我想死 but I would never kill myself", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I want to die and er, I don't know", RISK_LOW, RISK_CAT_SELF);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void test_hostile_input(const risk_rules *r)
{
	risk_result res;
	/* Invalid UTF-8: stray continuation bytes, truncated and overlong
	 * sequences, surrogates, bytes above F4, NUL inside. */
	static const char bad[] = "\x80\xbf kill\xc0\xaf myself \xed\xa0\x80 \xf8\x88\x80\x80\x80 \xe6\x83"
				  "\xff\xfe \xc3 \xf0\x9f\x98 want to die\x00 tonight \xe2\x80";
	CHECK_INT_EQ(risk_assess(r, bad, sizeof bad - 1, &res), 0);
	CHECK(res.level >= RISK_LOW);
	static const char trunc[] = "I want to kill my\xc3";
	CHECK_INT_EQ(risk_assess(r, trunc, sizeof trunc - 1, &res), 0);
	for (int round = 0; round < 200; round++) {
		char buf[512];
		size_t n = (size_t)(rng() % sizeof buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)(rng() & 0xff);
		CHECK_INT_EQ(risk_assess(r, buf, n, &res), 0);
		CHECK(res.level <= RISK_IMMINENT);
		CHECK(res.lang[0] && strlen(res.lang) < sizeof res.lang);
	}

	/* 16000 characters: a crisis at the very end is still found, fast. */
	size_t n = 16000;
	char *big = malloc(n + 1);
	if (!CHECK(big != NULL))
		return;
	static const char filler[] = "I had a long day and I am tired ";
	for (size_t i = 0; i < n; i++)
		big[i] = filler[i % (sizeof filler - 1)];
	static const char tail[] = ". I want to kill myself tonight.";
	memcpy(big + n - (sizeof tail - 1), tail, sizeof tail - 1);
	big[n] = '\0';
	clock_t t0 = clock();
	CHECK_INT_EQ(risk_assess(r, big, n, &res), 0);
	CHECK_INT_EQ(res.level, RISK_HIGH);
	/* No punctuation at all, every word a cue. */
	for (size_t i = 0; i < n; i++)
		big[i] = "i not my friend "[i % 16];
	CHECK_INT_EQ(risk_assess(r, big, n, &res), 0);
	CHECK_INT_EQ(res.level, RISK_NONE);
	/* 16000 Han characters, every one a cue. */
	char *han = malloc(16000 * 3 + 1);
	if (CHECK(han != NULL)) {
		for (size_t i = 0; i < 16000; i++)
			memcpy(han + 3 * i, i % 2 ? "\xe6\x88\x91" : "\xe4\xbb\x96", 3); /* 我 他 */
		CHECK_INT_EQ(risk_assess(r, han, 16000 * 3, &res), 0);
		CHECK_STR_EQ(res.lang, "zh");
		free(han);
	}
	/* Random words from the rules' vocabulary. */
	static const char *const words[] = {"i", "want", "to", "die", "kill", "myself", "not", "never",
					    "pills", "tonight", "my", "friend", "she", ",", ".", "想死",
					    "不想", "לא", "רוצה", "למות", "*"};
	size_t len = 0;
	for (; len < n - 16;) {
		const char *w = words[rng() % (sizeof words / sizeof *words)];
		size_t k = strlen(w);
		memcpy(big + len, w, k);
		len += k;
		big[len++] = ' ';
	}
	CHECK_INT_EQ(risk_assess(r, big, len, &res), 0);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	printf("long messages assessed in %.3f s\n", secs);
	CHECK(secs < 10);
	free(big);
}

/* The low floor: with the other thresholds out of reach, a message whose
 * score reaches low_min is low (reason text_model), below it none. */
static void test_low_floor(risk_rules *r, text_model *tm, const char *msg)
{
	double acute, any;
	risk_result res;
	CHECK_INT_EQ(text_model_risk(tm, msg, strlen(msg), &acute, &any), 0);
	double top = acute > any ? acute : any;
	tm->acute_min = tm->risk_min = 2;
	tm->low_min = top / 2;
	CHECK_INT_EQ(text_model_risk_level(tm, msg, strlen(msg)), RISK_LOW);
	CHECK_INT_EQ(risk_assess(r, msg, strlen(msg), &res), 0);
	CHECK_INT_EQ(res.level, RISK_LOW);
	CHECK(res.reasons & RISK_REASON_TEXT_MODEL);
	tm->low_min = top + 0.01;
	CHECK_INT_EQ(text_model_risk_level(tm, msg, strlen(msg)), RISK_NONE);
	tm->acute_min = TEXT_MODEL_ACUTE_MIN;
	tm->risk_min = TEXT_MODEL_RISK_MIN;
	tm->low_min = TEXT_MODEL_LOW_MIN;
}

/* Windows: a text of several sentences scores each window (a sentence with
 * the one before it) against window_min; a text of one sentence has none. */
static void test_windows(text_model *tm, const char *msg)
{
	static const char para[] = "The weather was fine and we walked to the lake. The children fed the ducks. "
				   "Then we had lunch at my aunt's house.";
	char text[512];
	snprintf(text, sizeof text, "%s %s", para, msg);
	double w = text_model_risk_window(tm, text, strlen(text)), alone = text_model_risk_window(tm, msg, strlen(msg));
	CHECK(w > 0 && w <= 1);
	CHECK(alone == 0);
	tm->acute_min = tm->risk_min = tm->low_min = 2;
	tm->window_min = w / 2;
	CHECK_INT_EQ(text_model_risk_level(tm, text, strlen(text)), RISK_HIGH);
	CHECK_INT_EQ(text_model_risk_level(tm, msg, strlen(msg)), RISK_NONE);
	tm->window_min = w + 0.01;
	CHECK_INT_EQ(text_model_risk_level(tm, text, strlen(text)), RISK_NONE);
	CHECK(text_model_risk_window(NULL, text, strlen(text)) < 0);
	tm->acute_min = TEXT_MODEL_ACUTE_MIN;
	tm->risk_min = TEXT_MODEL_RISK_MIN;
	tm->low_min = TEXT_MODEL_LOW_MIN;
	tm->window_min = TEXT_MODEL_WINDOW_MIN;
}

/* A message of the training sets that the rules alone leave at none: the
 * text model raises it to high with the reason text_model; an ordinary
 * message stays below moderate (at most the low floor); the model never lowers the rules' level. */
static void test_text_model(risk_rules *r)
{
	static const char msg[] = "wrote letters to my sister and my two best friends tonight and sealed them with "
				  "their names on the front";
	static const char plain[] = "I went to the market and bought some bread and cheese for dinner.";
	text_model *tm = text_model_builtin();
	risk_result res;
	if (!CHECK(tm != NULL))
		return;
	CHECK_INT_EQ(risk_assess(r, msg, strlen(msg), &res), 0);
	CHECK(res.level < RISK_HIGH);
	CHECK(!(res.reasons & RISK_REASON_TEXT_MODEL));
	risk_rules_set_text_model(r, tm);
	CHECK_INT_EQ(risk_assess(r, msg, strlen(msg), &res), 0);
	CHECK(res.level >= RISK_HIGH);
	CHECK(res.reasons & RISK_REASON_TEXT_MODEL);
	CHECK(res.categories & RISK_CAT_SELF);
	CHECK_STR_EQ(risk_reason_name(RISK_REASON_TEXT_MODEL), "text_model");
	CHECK_INT_EQ(risk_assess(r, plain, strlen(plain), &res), 0);
	CHECK(res.level <= RISK_LOW);
	CHECK_INT_EQ(res.reasons & ~RISK_REASON_TEXT_MODEL, 0);
	static const char imminent[] = "I want to die and I have the pills for tonight";
	CHECK_INT_EQ(risk_assess(r, imminent, strlen(imminent), &res), 0);
	CHECK_INT_EQ(res.level, RISK_IMMINENT);
	CHECK(text_model_risk_level(tm, plain, strlen(plain)) <= RISK_LOW);
	test_low_floor(r, tm, msg);
	test_windows(tm, msg);
	risk_rules_set_text_model(r, NULL);
	text_model_free(tm);
}

/* A subject (a novel, research) lowers its sentence and those after it as
 * the remote past does, unless the writer decides or prepares; the ideation
 * of the remote past is low and combines with nothing; the combinations of
 * round 4. */
static void test_topic_and_remote(void)
{
	risk_rules *r = risk_rules_new();
	static const char *const rules[][3] = {
		{"en", "topic", "a novel"},	      {"en", "active_ideation", "suicide"},
		{"en", "active_ideation", "kill myself"}, {"en", "time", "tonight"},
		{"en", "remote_past", "years ago"},   {"en", "intent", "the plan"},
		{"en", "act", "took"},		      {"en", "quantity", "all"},
		{"en", "time", "minutes ago"},	      {"en", "intent", "all arranged"},
		{"en", "time", "sunday"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		CHECK_INT_EQ(risk_rules_add(r, rules[i][0], rules[i][1], rules[i][2]), 0);
	EXPECT(r, "I think about suicide", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "I am writing a novel. The hero thinks about suicide.", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "In a novel tonight the hero thinks about suicide.", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I am writing a novel and the plan is to kill myself tonight", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "Years ago I thought about suicide. Tonight I am fine.", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "Years ago I thought about suicide, tonight I want to kill myself", RISK_HIGH, RISK_CAT_SELF);
	/* An act done with a quantity and a time needs no named means; intent
	 * with a time is high. */
	EXPECT(r, "took them all twenty minutes ago", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "took them all", RISK_NONE, 0);
	EXPECT(r, "All arranged. Sunday morning.", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "All arranged.", RISK_NONE, 0);
	risk_rules_free(r);
}

/* Round 5: intent with a time or a farewell in the message is high; a
 * farewell or a time alone is nothing. Round 6: these message-level
 * combinations hold within three adjacent sentences, not across a
 * paragraph. */
static void test_intent_combinations(void)
{
	risk_rules *r = risk_rules_new();
	static const char *const rules[][3] = {
		{"en", "intent", "all arranged"}, {"en", "time", "sunday"},
		{"en", "farewell", "sorry mom"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		CHECK_INT_EQ(risk_rules_add(r, rules[i][0], rules[i][1], rules[i][2]), 0);
	EXPECT(r, "All arranged. I am calm. Sunday.", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "All arranged. I am calm. Sorry mom.", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I am calm. The weather is nice. All arranged. I am calm. Sunday.", RISK_HIGH,
	       RISK_CAT_SELF);
	/* four sentences apart: two unrelated things said in one paragraph */
	EXPECT(r, "All arranged. I am calm. The weather is nice. Sunday.", RISK_NONE, 0);
	EXPECT(r, "All arranged. I am calm. The weather is nice. Sorry mom.", RISK_NONE, 0);
	EXPECT(r, "Sorry mom. See you Sunday.", RISK_NONE, 0);
	EXPECT(r, "All arranged.", RISK_NONE, 0);
	risk_rules_free(r);
}

/* Round 6: in a paragraph, the message-level combinations, two farewells
 * and the safety floor need their concepts within three adjacent
 * sentences; a topic lowers the two sentences after it, not the rest of
 * the paragraph. */
static void test_paragraphs(void)
{
	risk_rules *r = risk_rules_new();
	static const char *const rules[][3] = {
		{"en", "active_ideation", "kill myself"}, {"en", "time", "tonight"},
		{"en", "method", "pills"},		  {"en", "first_person", "i"},
		{"en", "quantity", "how many"},		  {"en", "farewell", "a note"},
		{"en", "farewell", "look after * for me"}, {"en", "topic", "a novel"},
		{"en", "active_ideation", "suicide"},	  {"en", "intent", "decided"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		CHECK_INT_EQ(risk_rules_add(r, rules[i][0], rules[i][1], rules[i][2]), 0);
	/* ideation + time: moderate alone, high together */
	EXPECT(r, "I want to kill myself. It is late. Tonight.", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I want to kill myself. It is late. The bus was full. Tonight.", RISK_MODERATE,
	       RISK_CAT_SELF);
	/* the floor: a means and a quantity, in the first person */
	EXPECT(r, "How many pills can I take? It hurts.", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "The pills are on the shelf. We moved. The cat is fine. I wonder how many came.",
	       RISK_NONE, 0);
	EXPECT(r, "The pills are on the shelf. We moved. I wonder how many came.", RISK_MODERATE,
	       RISK_CAT_SELF);
	/* two farewells: finality within the window, nothing further apart */
	EXPECT(r, "I left a note. It rains. Look after the cat for me.", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "I left a note. It rains. The bus was late. Look after the cat for me.", RISK_NONE, 0);
	/* a topic holds for the two sentences after it */
	EXPECT(r, "I am writing a novel. It is long. The hero thinks about suicide.", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I am writing a novel. It is long. It is hard. I think about suicide.", RISK_MODERATE,
	       RISK_CAT_SELF);
	/* a sentence and the one before still combine, whatever the length */
	EXPECT(r, "It is late. The bus was full. We moved. I have decided. Tonight.", RISK_HIGH, RISK_CAT_SELF);
	risk_rules_free(r);
}

/* Round 7: laughter or a joke right after ideation or a means in its
 * clause makes them a figure of speech (low), unless the sentence holds
 * something heavier or the joke is denied; a clause of the remote past is
 * over even when another clause of its sentence has a time. */
static void test_jest_and_remote_clause(void)
{
	risk_rules *r = risk_rules_new();
	static const char *const rules[][3] = {
		{"en", "active_ideation", "kill myself"}, {"en", "jest", "lol"},
		{"en", "jest", "😂"},			  {"en", "time", "tonight"},
		{"en", "time", "today"},		  {"en", "act", "took"},
		{"en", "method", "pills"},		  {"en", "quantity", "all"},
		{"en", "negation", "not"},		  {"en", "remote_past", "years ago"},
		{"en", "first_person", "i"},		  {"en", "intent", "decided"},
		{"zh", "passive_ideation", "想死"},	  {"zh", "jest", "哈哈"},
	};
	for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
		CHECK_INT_EQ(risk_rules_add(r, rules[i][0], rules[i][1], rules[i][2]), 0);
	EXPECT(r, "if I see one more spreadsheet I will kill myself lol", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "one more meeting and I kill myself 😂", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "加班加到想死哈哈哈", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I want to kill myself", RISK_MODERATE, RISK_CAT_SELF);
	/* the joke not right after it, denied, or with something heavier */
	EXPECT(r, "lol I want to kill myself", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "I want to kill myself and it is not the lol kind", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "I will kill myself lol", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "I will kill myself not lol", RISK_MODERATE, RISK_CAT_SELF);
	EXPECT(r, "tonight I kill myself lol", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "decided, I kill myself lol", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "took all the pills lol", RISK_IMMINENT, RISK_CAT_SELF);
	/* the remote past in its own clause */
	EXPECT(r, "years ago I tried to kill myself, today I am married", RISK_LOW, RISK_CAT_SELF);
	EXPECT(r, "years ago I took all the pills, today I am fine", RISK_NONE, 0);
	EXPECT(r, "years ago I was fine, today I want to kill myself", RISK_HIGH, RISK_CAT_SELF);
	EXPECT(r, "years ago I tried, tonight I took all the pills", RISK_IMMINENT, RISK_CAT_SELF);
	EXPECT(r, "years ago I decided to kill myself today", RISK_IMMINENT, RISK_CAT_SELF);
	risk_rules_free(r);
}

int main(void)
{
	test_level_names();
	test_rules_api();
	test_levels_and_combinations();
	test_negation();
	test_persons();
	test_pattern_syntax();
	test_concepts();
	test_context();
	test_topic_and_remote();
	test_intent_combinations();
	test_paragraphs();
	test_jest_and_remote_clause();
	risk_rules *r = seeded_rules();
	if (r) {
		test_table(r);
		test_language_guess(r);
		test_mixed(r);
		test_seed_removals(r);
		/* The seeded rules on the cases of the brief. */
		EXPECT(r, "I would never kill myself", RISK_NONE, 0);
		EXPECT(r, "my friend wants to die", RISK_NONE, RISK_CAT_THIRD_PERSON);
		EXPECT(r, "I want to die and I have the pills", RISK_HIGH, RISK_CAT_SELF);
		EXPECT(r, "I want to die and I have the pills for tonight", RISK_IMMINENT, RISK_CAT_SELF);
		/* round 7: the figure of speech said with a laugh, in every language */
		EXPECT(r, "Wenn ich noch einmal diese Tabelle sehe, bring ich mich um 😂", RISK_LOW, RISK_CAT_SELF);
		EXPECT(r, "this exam is so bad i want to die lol", RISK_LOW, RISK_CAT_SELF);
		EXPECT(r, "i want to die tonight lol", RISK_MODERATE, RISK_CAT_SELF);
		EXPECT(r, "took two painkillers for my tooth, like it says on the box", RISK_NONE, 0);
		test_hostile_input(r);
		test_text_model(r);
	}
	risk_rules_free(r);
	return check_done();
}
