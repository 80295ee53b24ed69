/* Unit tests for server/support/annotator.c: the extraction prompt, and the checks on
 * the model's answer. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/support/annotator.h"
#include "tests/unit/check.h"

static const char MSG[] =
	"My family expects me to take over the restaurant, but I feel completely lost. "
	"At Chinese New Year everyone asked when I will marry.";

static size_t list_size(const json_t *res, const char *key)
{
	return json_array_size(json_object_get(res, key));
}

static const char *item_str(const json_t *res, const char *key, size_t i, const char *field)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(res, key), i), field));
}

static json_t *parse(const char *content, const char *message)
{
	char err[128] = "";
	json_t *res = annotator_parse_reply(content, message, err, sizeof err);
	if (!res)
		fprintf(stderr, "  (parse failed: %s)\n", err);
	return res;
}

static void test_build_prompt(void)
{
	prompt p;
	if (!CHECK_INT_EQ(annotator_build_prompt(MSG, "Chinese", &p), 0))
		return;
	CHECK_STR_EQ(p.user, MSG);
	CHECK_STR_CONTAINS(p.system, "JSON object");
	CHECK_STR_CONTAINS(p.system, "\"emotional_distress\"");
	CHECK_STR_CONTAINS(p.system, "\"cultural_signals\"");
	CHECK_STR_CONTAINS(p.system, "\"phrase\"");
	CHECK_STR_CONTAINS(p.system, "\"intensity\"");
	CHECK_STR_CONTAINS(p.system, "\"type\"");
	CHECK_STR_CONTAINS(p.system, "from the Chinese culture");
	CHECK_STR_CONTAINS(p.system, "exactly as it is written in the message");
	CHECK_STR_CONTAINS(p.system, prompt_distress_definition);
	CHECK_STR_CONTAINS(p.system, prompt_signal_definition);
	CHECK_STR_CONTAINS(p.system, "must be one of: light, moderate, high.");
	CHECK_STR_CONTAINS(p.system, "must be one of: Concepts, Knowledge, Values, Norms and Morals, "
				     "Language, Artifacts, Demographics.");
	for (int i = 0; i < PROMPT_NINTENSITIES; i++)
		CHECK_STR_CONTAINS(p.system, prompt_intensities[i].meaning);
	for (int i = 0; i < PROMPT_NSIGNAL_TYPES; i++)
		CHECK_STR_CONTAINS(p.system, prompt_signal_types[i].meaning);
	CHECK_STR_CONTAINS(p.system, "at most 20 items");
	CHECK(strstr(p.system, MSG) == NULL);
	prompt_clear(&p);

	/* no culture: no culture sentence */
	if (CHECK_INT_EQ(annotator_build_prompt(MSG, NULL, &p), 0)) {
		CHECK(strstr(p.system, "culture;") == NULL);
		CHECK_STR_EQ(p.user, MSG);
		prompt_clear(&p);
	}

	p.system = (char *)1;
	CHECK_INT_EQ(annotator_build_prompt(NULL, "Chinese", &p), -1);
	CHECK(p.system == NULL && p.user == NULL);
	CHECK_INT_EQ(annotator_build_prompt("", "Chinese", &p), -1);
	CHECK_INT_EQ(annotator_build_prompt(MSG, "Chinese", NULL), -1);
}

static void test_valid(void)
{
	const char *ans =
		"{\"emotional_distress\":[{\"phrase\":\"I feel completely lost\",\"intensity\":\"high\"}],"
		" \"cultural_signals\":[{\"phrase\":\"Chinese New Year\",\"type\":\"Concepts\"},"
		"{\"phrase\":\"take over the restaurant\",\"type\":\"Norms and Morals\"}]}";
	json_t *r = parse(ans, MSG);
	if (!CHECK(r != NULL))
		return;
	CHECK_INT_EQ(list_size(r, "emotional_distress"), 1);
	CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "phrase"), "I feel completely lost");
	CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "intensity"), "high");
	CHECK_INT_EQ(list_size(r, "cultural_signals"), 2);
	CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "phrase"), "Chinese New Year");
	CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "type"), "Concepts");
	CHECK_STR_EQ(item_str(r, "cultural_signals", 1, "type"), "Norms and Morals");
	CHECK_INT_EQ(json_object_size(r), 2);
	CHECK_INT_EQ(json_object_size(json_array_get(json_object_get(r, "cultural_signals"), 0)), 2);
	json_decref(r);
}

static void test_not_in_message(void)
{
	const char *ans =
		"{\"emotional_distress\":[{\"phrase\":\"I am devastated\",\"intensity\":\"high\"},"
		"{\"phrase\":\"completely lost\",\"intensity\":\"moderate\"},"
		"{\"phrase\":\"feel  completely lost\",\"intensity\":\"moderate\"}],"
		"\"cultural_signals\":[{\"phrase\":\"Spring Festival\",\"type\":\"Concepts\"}]}";
	json_t *r = parse(ans, MSG);
	if (!CHECK(r != NULL))
		return;
	CHECK_INT_EQ(list_size(r, "emotional_distress"), 1);
	CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "phrase"), "completely lost");
	CHECK_INT_EQ(list_size(r, "cultural_signals"), 0);
	json_decref(r);
}

static void test_case_and_trim(void)
{
	const char *ans =
		"{\"emotional_distress\":[{\"phrase\":\"  \\\"i FEEL completely LOST\\\" \","
		"\"intensity\":\"Moderate\"}],"
		"\"cultural_signals\":[{\"phrase\":\"\xe2\x80\x9c" "chinese new year\xe2\x80\x9d\","
		"\"type\":\"concepts\"},"
		"{\"phrase\":\"'my family'\",\"type\":\"  values \"}]}";
	json_t *r = parse(ans, MSG);
	if (!CHECK(r != NULL))
		return;
	CHECK_INT_EQ(list_size(r, "emotional_distress"), 1);
	CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "phrase"), "I feel completely lost");
	CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "intensity"), "moderate");
	CHECK_INT_EQ(list_size(r, "cultural_signals"), 2);
	CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "phrase"), "Chinese New Year");
	CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "type"), "Concepts");
	CHECK_STR_EQ(item_str(r, "cultural_signals", 1, "phrase"), "My family");
	CHECK_STR_EQ(item_str(r, "cultural_signals", 1, "type"), "Values");
	json_decref(r);

	/* an apostrophe at one end only is part of the phrase */
	r = parse("{\"cultural_signals\":[{\"phrase\":\"restaurant'\",\"type\":\"Artifacts\"}]}", MSG);
	if (CHECK(r != NULL)) {
		CHECK_INT_EQ(list_size(r, "cultural_signals"), 0);
		json_decref(r);
	}
	r = parse("{\"cultural_signals\":[{\"phrase\":\"parents' house\",\"type\":\"Artifacts\"}]}",
		  "We live in my parents' house.");
	if (CHECK(r != NULL)) {
		CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "phrase"), "parents' house");
		json_decref(r);
	}
}

static void test_bad_labels(void)
{
	const char *ans =
		"{\"emotional_distress\":["
		"{\"phrase\":\"completely lost\",\"intensity\":\"severe\"},"
		"{\"phrase\":\"completely lost\"},"
		"{\"phrase\":\"completely lost\",\"intensity\":3},"
		"{\"phrase\":\"feel completely lost\",\"intensity\":\"light\"}],"
		"\"cultural_signals\":["
		"{\"phrase\":\"restaurant\",\"type\":\"Food\"},"
		"{\"phrase\":\"restaurant\",\"type\":\"Norms\"},"
		"{\"phrase\":\"restaurant\",\"intensity\":\"high\"},"
		"{\"phrase\":\"marry\",\"type\":\"Values\"}]}";
	json_t *r = parse(ans, MSG);
	if (!CHECK(r != NULL))
		return;
	CHECK_INT_EQ(list_size(r, "emotional_distress"), 1);
	CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "phrase"), "feel completely lost");
	CHECK_INT_EQ(list_size(r, "cultural_signals"), 1);
	CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "phrase"), "marry");
	json_decref(r);

	/* items that are not objects, phrases that are not strings or are empty */
	r = parse("{\"emotional_distress\":[\"completely lost\", 3, null, [],"
		  "{\"phrase\":7,\"intensity\":\"high\"},{\"phrase\":\"  \",\"intensity\":\"high\"},"
		  "{\"phrase\":\"\\\"\\\"\",\"intensity\":\"high\"}],"
		  "\"cultural_signals\":\"none\"}",
		  MSG);
	if (CHECK(r != NULL)) {
		CHECK_INT_EQ(list_size(r, "emotional_distress"), 0);
		CHECK_INT_EQ(list_size(r, "cultural_signals"), 0);
		CHECK(json_is_array(json_object_get(r, "cultural_signals")));
		json_decref(r);
	}
}

static void test_wrapped(void)
{
	const char *fenced =
		"```json\n"
		"{\"emotional_distress\":[{\"phrase\":\"completely lost\",\"intensity\":\"high\"}],"
		"\"cultural_signals\":[]}\n"
		"```\n";
	json_t *r = parse(fenced, MSG);
	if (CHECK(r != NULL)) {
		CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "phrase"), "completely lost");
		json_decref(r);
	}

	const char *prose =
		"Sure! Here are the annotations {as asked}:\n\n"
		"{\"cultural_signals\":[{\"phrase\":\"Chinese New Year\",\"type\":\"Concepts\"}]}\n"
		"Let me know if you need more.";
	r = parse(prose, MSG);
	if (CHECK(r != NULL)) {
		CHECK_INT_EQ(list_size(r, "cultural_signals"), 1);
		CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "phrase"), "Chinese New Year");
		/* the missing list comes back empty */
		CHECK(json_is_array(json_object_get(r, "emotional_distress")));
		CHECK_INT_EQ(list_size(r, "emotional_distress"), 0);
		json_decref(r);
	}

	r = parse("{\"emotional_distress\":[],\"cultural_signals\":[]}", MSG);
	if (CHECK(r != NULL)) {
		CHECK_INT_EQ(list_size(r, "emotional_distress"), 0);
		CHECK_INT_EQ(list_size(r, "cultural_signals"), 0);
		json_decref(r);
	}
}

static void test_not_json(void)
{
	static const char *const bad[] = {
		"I could not find anything SECRET-CONTENT.",
		"",
		"[{\"phrase\":\"lost\",\"intensity\":\"high\"}]",
		"{\"annotations\": [] , \"SECRET-CONTENT\": 1}",
		"{\"emotional_distress\": {\"phrase\": \"lost\"}}",
		"{\"emotional_distress\": [",
		"\"emotional_distress\": []",
		"{{{{",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char err[128] = "";
		json_t *r = annotator_parse_reply(bad[i], MSG, err, sizeof err);
		CHECK(r == NULL);
		json_decref(r);
		CHECK(err[0] != '\0');
		CHECK(strstr(err, "SECRET") == NULL);
	}
	char err[8] = "";
	CHECK(annotator_parse_reply(NULL, MSG, err, sizeof err) == NULL);
	CHECK(strlen(err) < sizeof err && err[0]);
	CHECK(annotator_parse_reply("{\"emotional_distress\":[]}", NULL, err, sizeof err) == NULL);
	/* err is optional */
	CHECK(annotator_parse_reply("nothing", MSG, NULL, 0) == NULL);
	char big[128];
	annotator_parse_reply("{\"x\":1}", MSG, big, sizeof big);
	CHECK_STR_CONTAINS(big, "emotional_distress");
}

static void test_duplicates(void)
{
	const char *ans =
		"{\"emotional_distress\":["
		"{\"phrase\":\"completely lost\",\"intensity\":\"high\"},"
		"{\"phrase\":\"completely lost\",\"intensity\":\"high\"},"
		"{\"phrase\":\"COMPLETELY LOST\",\"intensity\":\"light\"},"
		"{\"phrase\":\" completely lost \",\"intensity\":\"high\"}],"
		"\"cultural_signals\":["
		"{\"phrase\":\"completely lost\",\"type\":\"Language\"},"
		"{\"phrase\":\"restaurant\",\"type\":\"Artifacts\"},"
		"{\"phrase\":\"restaurant\",\"type\":\"Values\"}]}";
	json_t *r = parse(ans, MSG);
	if (!CHECK(r != NULL))
		return;
	CHECK_INT_EQ(list_size(r, "emotional_distress"), 1);
	CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "intensity"), "high");
	/* the same span may be in both lists */
	CHECK_INT_EQ(list_size(r, "cultural_signals"), 2);
	CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "phrase"), "completely lost");
	CHECK_STR_EQ(item_str(r, "cultural_signals", 1, "type"), "Artifacts");
	json_decref(r);
}

static void test_limit(void)
{
	/* a message of 30 distinct words, an answer naming all of them */
	char msg[512] = "", ans[8192] = "{\"emotional_distress\":[";
	for (int i = 0; i < 30; i++) {
		char w[32];
		snprintf(w, sizeof w, "%sword%02d", i ? " " : "", i);
		strcat(msg, w);
		snprintf(w, sizeof w, "%s{\"phrase\":\"word%02d\",", i ? "," : "", i);
		strcat(ans, w);
		strcat(ans, "\"intensity\":\"light\"}");
	}
	strcat(ans, "]}");
	json_t *r = parse(ans, msg);
	if (CHECK(r != NULL)) {
		CHECK_INT_EQ(list_size(r, "emotional_distress"), ANNOTATOR_MAX_ITEMS);
		CHECK_STR_EQ(item_str(r, "emotional_distress", 19, "phrase"), "word19");
		json_decref(r);
	}
}

static void test_unicode(void)
{
	/* Chinese: "I failed the exam, my parents are very disappointed. Spring Festival." */
	const char *zh = "\xe6\x88\x91\xe8\x80\x83\xe8\xaf\x95\xe5\xa4\xb1\xe8\xb4\xa5\xe4\xba\x86\xef\xbc\x8c"
			 "\xe7\x88\xb6\xe6\xaf\x8d\xe5\xbe\x88\xe5\xa4\xb1\xe6\x9c\x9b\xe3\x80\x82"
			 "\xe6\x98\xa5\xe8\x8a\x82";
	const char *ans =
		"```json\n{\"emotional_distress\":["
		"{\"phrase\":\"\xe7\x88\xb6\xe6\xaf\x8d\xe5\xbe\x88\xe5\xa4\xb1\xe6\x9c\x9b\",\"intensity\":\"high\"},"
		"{\"phrase\":\"\xe6\x88\x91\xe5\xbe\x88\xe9\x9a\xbe\xe8\xbf\x87\",\"intensity\":\"high\"}],"
		"\"cultural_signals\":[{\"phrase\":\"\xe3\x80\x8c\xe6\x98\xa5\xe8\x8a\x82\xe3\x80\x8d\","
		"\"type\":\"Concepts\"}]}\n```";
	json_t *r = parse(ans, zh);
	if (CHECK(r != NULL)) {
		CHECK_INT_EQ(list_size(r, "emotional_distress"), 1);
		CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "phrase"),
			     "\xe7\x88\xb6\xe6\xaf\x8d\xe5\xbe\x88\xe5\xa4\xb1\xe6\x9c\x9b");
		CHECK_INT_EQ(list_size(r, "cultural_signals"), 1);
		CHECK_STR_EQ(item_str(r, "cultural_signals", 0, "phrase"), "\xe6\x98\xa5\xe8\x8a\x82");
		json_decref(r);
	}

	/* Hebrew, escaped as \u in the answer */
	const char *he = "\xd7\x90\xd7\xa0\xd7\x99 \xd7\x9e\xd7\xa8\xd7\x92\xd7\x99\xd7\xa9 \xd7\x91\xd7\x93\xd7\x99"
			 "\xd7\x93\xd7\x95\xd7\xaa";
	r = parse("{\"emotional_distress\":[{\"phrase\":\"\\u05d1\\u05d3\\u05d9\\u05d3\\u05d5\\u05ea\","
		  "\"intensity\":\"moderate\"}]}",
		  he);
	if (CHECK(r != NULL)) {
		CHECK_STR_EQ(item_str(r, "emotional_distress", 0, "phrase"),
			     "\xd7\x91\xd7\x93\xd7\x99\xd7\x93\xd7\x95\xd7\xaa");
		json_decref(r);
	}
}

int main(void)
{
	test_build_prompt();
	test_valid();
	test_not_in_message();
	test_case_and_trim();
	test_bad_labels();
	test_wrapped();
	test_not_json();
	test_duplicates();
	test_limit();
	test_unicode();
	return check_done();
}
