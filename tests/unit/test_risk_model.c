/* The model's second opinion on risk: its prompt, the parsing of its
 * answer, and the rule that it may raise the level but never lower it. */
#include <string.h>

#include "server/safety/risk_model.h"
#include "tests/unit/check.h"

static void test_prompt(void)
{
	prompt p;
	CHECK_INT_EQ(risk_model_prompt("I cannot go on.", &p), 0);
	CHECK_STR_EQ(p.user, "I cannot go on.");
	CHECK_STR_CONTAINS(p.system, "Columbia Suicide Severity Rating Scale");
	CHECK_STR_CONTAINS(p.system, "\"risk_level\"");
	CHECK_STR_CONTAINS(p.system, "imminent");
	CHECK(strstr(p.system, "I cannot go on.") == NULL); /* the message only in the user turn */
	prompt_clear(&p);
	CHECK_INT_EQ(risk_model_prompt("", &p), -1);
	CHECK_INT_EQ(risk_model_prompt(NULL, &p), -1);
}

static void test_parse(void)
{
	risk_level l = RISK_NONE;
	unsigned c = 0;
	CHECK_INT_EQ(risk_model_parse("{\"risk_level\": \"high\", \"categories\": []}", &l, &c), 0);
	CHECK_INT_EQ(l, RISK_HIGH);
	CHECK_INT_EQ(c, RISK_CAT_SELF);
	CHECK_INT_EQ(risk_model_parse("```json\n{\"risk_level\": \"None\", \"categories\": [\"abuse\", \"concern_for_someone_else\", 3]}\n```", &l, &c), 0);
	CHECK_INT_EQ(l, RISK_NONE);
	CHECK_INT_EQ(c, RISK_CAT_ABUSE | RISK_CAT_THIRD_PERSON);
	CHECK_INT_EQ(risk_model_parse("Here it is: {\"risk_level\":\"imminent\"} hope that helps", &l, &c), 0);
	CHECK_INT_EQ(l, RISK_IMMINENT);
	l = RISK_LOW;
	CHECK_INT_EQ(risk_model_parse("{\"risk_level\": \"severe\"}", &l, &c), -1);
	CHECK_INT_EQ(l, RISK_LOW); /* untouched */
	CHECK_INT_EQ(risk_model_parse("{\"level\": \"high\"}", &l, &c), -1);
	CHECK_INT_EQ(risk_model_parse("high", &l, &c), -1);
	CHECK_INT_EQ(risk_model_parse("{\"risk_level\": 3}", &l, &c), -1);
	CHECK_INT_EQ(risk_model_parse("{not json", &l, &c), -1);
	CHECK_INT_EQ(risk_model_parse("}{", &l, &c), -1);
	CHECK_INT_EQ(risk_model_parse(NULL, &l, &c), -1);
}

static void test_combine(void)
{
	risk_result r = {.level = RISK_MODERATE, .categories = RISK_CAT_SELF};
	CHECK_STR_EQ(risk_model_combine(&r, RISK_NONE, 0), "lower_ignored");
	CHECK_INT_EQ(r.level, RISK_MODERATE);
	CHECK_INT_EQ(r.categories, RISK_CAT_SELF);
	CHECK_STR_EQ(risk_model_combine(&r, RISK_MODERATE, RISK_CAT_SELF | RISK_CAT_ABUSE), "agreed");
	CHECK_INT_EQ(r.categories, RISK_CAT_SELF | RISK_CAT_ABUSE);
	CHECK_STR_EQ(risk_model_combine(&r, RISK_IMMINENT, RISK_CAT_SELF), "raised");
	CHECK_INT_EQ(r.level, RISK_IMMINENT);
	for (int rules = RISK_NONE; rules <= RISK_IMMINENT; rules++) {
		for (int model = RISK_NONE; model <= RISK_IMMINENT; model++) {
			risk_result x = {.level = (risk_level)rules};
			risk_model_combine(&x, (risk_level)model, 0);
			CHECK_INT_EQ(x.level, rules > model ? rules : model);
		}
	}
}

int main(void)
{
	test_prompt();
	test_parse();
	test_combine();
	return check_done();
}
