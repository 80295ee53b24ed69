/* Unit tests for import_normalize_record (store/import.c). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/import.h"
#include "tests/unit/check.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &e);
	if (!v)
		fprintf(stderr, "test JSON does not parse: line %d: %s\n", e.line, e.text);
	return v;
}

/* Normalises a record given as JSON text; NULL when it fails (err set). */
static json_t *normalize(const char *text, char *err, size_t errlen)
{
	json_t *rec = parse(text);
	if (!CHECK(rec != NULL))
		return NULL;
	err[0] = '\0';
	json_t *out = import_normalize_record(rec, err, errlen);
	json_decref(rec);
	return out;
}

static const char *str_at(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

static json_t *item(json_t *out, const char *list, size_t i)
{
	return json_array_get(json_object_get(out, list), i);
}

static const char full_record[] =
	"{\"culture\": \"Chinese\", \"post_id\": \"t-1\","
	" \"post\": {\"text\": \"https://www.reddit.com/comments/t1\","
	"  \"emotional_distress\": ["
	"   {\"phrase\": \"  Wechat group \", \"intensity\": null},"
	"   {\"phrase\": \"\xe5\x8e\x8b\xe5\x8a\x9b\xe5\xa4\xaa\xe5\xa4\xa7 \xf0\x9f\x98\x94\", \"intensity\": \"high\"},"
	"   {\"phrase\": \"\xe3\x80\x80tired\xc2\xa0\", \"intensity\": \"light\"}],"
	"  \"cultural_signals\": ["
	"   {\"phrase\": \"gaokao\", \"type\": \"None\"},"
	"   {\"phrase\": \"filial piety\", \"type\": \"Values\"},"
	"   {\"phrase\": \"\xd8\xa7\xd9\x84\xd8\xb9\xd9\x8a\xd8\xaf\", \"type\": \"Norms and Morals\"}],"
	"  \"demographic_info\": {\"age\": 27, \"gender\": null, \"settlement\": \"unknown\","
	"   \"born_in\": \" Shanghai \", \"number_of_people_in_household\": 3.5}},"
	" \"response\": {"
	"  \"emotional_support\": ["
	"   {\"phrase\": \"I hear you\", \"strategy\": null},"
	"   {\"phrase\": \" try talking to them \", \"strategy\": \"Providing Suggestions\"}],"
	"  \"cultural_signals\": [{\"phrase\": \"\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d\", \"type\": \"Language\"}],"
	"  \"empathy_score\": \"3 moderately empathetic\"}}";

static void test_full_record(void)
{
	char err[256];
	json_t *out = normalize(full_record, err, sizeof err);
	if (!CHECK(out != NULL)) {
		fprintf(stderr, "  err: %s\n", err);
		return;
	}
	CHECK(json_is_object(out));
	static const char *const keys[] = {"culture", "post_id", "source_url", "distress", "post_signals",
					   "response_signals", "support", "demographics", "empathy"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!CHECK(json_object_get(out, keys[i]) != NULL))
			fprintf(stderr, "  missing key: %s\n", keys[i]);
	CHECK_INT_EQ(json_object_size(out), 9);

	CHECK_STR_EQ(str_at(out, "culture"), "Chinese");
	CHECK_STR_EQ(str_at(out, "post_id"), "t-1");
	CHECK_STR_EQ(str_at(out, "source_url"), "https://www.reddit.com/comments/t1");

	CHECK_INT_EQ(json_array_size(json_object_get(out, "distress")), 3);
	CHECK_STR_EQ(str_at(item(out, "distress", 0), "phrase"), "Wechat group");
	CHECK(json_is_null(json_object_get(item(out, "distress", 0), "intensity")));
	CHECK_STR_EQ(str_at(item(out, "distress", 1), "phrase"),
		     "\xe5\x8e\x8b\xe5\x8a\x9b\xe5\xa4\xaa\xe5\xa4\xa7 \xf0\x9f\x98\x94");
	CHECK_STR_EQ(str_at(item(out, "distress", 1), "intensity"), "high");
	/* ideographic and no-break spaces are trimmed too */
	CHECK_STR_EQ(str_at(item(out, "distress", 2), "phrase"), "tired");
	CHECK_STR_EQ(str_at(item(out, "distress", 2), "intensity"), "light");
	CHECK_INT_EQ(json_object_size(item(out, "distress", 0)), 2);

	CHECK_INT_EQ(json_array_size(json_object_get(out, "post_signals")), 3);
	CHECK_STR_EQ(str_at(item(out, "post_signals", 0), "phrase"), "gaokao");
	CHECK(json_is_null(json_object_get(item(out, "post_signals", 0), "type")));
	CHECK_STR_EQ(str_at(item(out, "post_signals", 1), "type"), "Values");
	CHECK_STR_EQ(str_at(item(out, "post_signals", 2), "type"), "Norms and Morals");
	CHECK_STR_EQ(str_at(item(out, "post_signals", 2), "phrase"), "\xd8\xa7\xd9\x84\xd8\xb9\xd9\x8a\xd8\xaf");

	CHECK_INT_EQ(json_array_size(json_object_get(out, "support")), 2);
	CHECK_STR_EQ(str_at(item(out, "support", 0), "phrase"), "I hear you");
	CHECK(json_is_null(json_object_get(item(out, "support", 0), "strategy")));
	CHECK(json_object_get(item(out, "support", 0), "strategy") != NULL); /* present, as null */
	CHECK_STR_EQ(str_at(item(out, "support", 1), "phrase"), "try talking to them");
	CHECK_STR_EQ(str_at(item(out, "support", 1), "strategy"), "Providing Suggestions");

	CHECK_INT_EQ(json_array_size(json_object_get(out, "response_signals")), 1);
	CHECK_STR_EQ(str_at(item(out, "response_signals", 0), "type"), "Language");

	json_t *demo = json_object_get(out, "demographics");
	CHECK(json_is_object(demo));
	CHECK_STR_EQ(str_at(demo, "age"), "27");
	CHECK_STR_EQ(str_at(demo, "gender"), "unknown");
	CHECK_STR_EQ(str_at(demo, "settlement"), "unknown");
	CHECK_STR_EQ(str_at(demo, "born_in"), "Shanghai");
	CHECK_STR_EQ(str_at(demo, "number_of_people_in_household"), "3.5");
	CHECK_INT_EQ(json_object_size(demo), 5);

	json_t *emp = json_object_get(out, "empathy");
	CHECK(json_is_integer(emp));
	CHECK_INT_EQ(json_integer_value(emp), 3);
	json_decref(out);
}

static void test_minimal_record(void)
{
	char err[256];
	/* no response, no lists, numeric post_id, spaces around the culture */
	json_t *out = normalize("{\"culture\": \" German \", \"post_id\": 42, \"post\": {}}", err, sizeof err);
	if (!CHECK(out != NULL)) {
		fprintf(stderr, "  err: %s\n", err);
		return;
	}
	CHECK_STR_EQ(str_at(out, "culture"), "German");
	CHECK_STR_EQ(str_at(out, "post_id"), "42");
	CHECK(json_is_null(json_object_get(out, "source_url")));
	CHECK(json_is_array(json_object_get(out, "distress")));
	CHECK_INT_EQ(json_array_size(json_object_get(out, "distress")), 0);
	CHECK_INT_EQ(json_array_size(json_object_get(out, "post_signals")), 0);
	CHECK_INT_EQ(json_array_size(json_object_get(out, "response_signals")), 0);
	CHECK_INT_EQ(json_array_size(json_object_get(out, "support")), 0);
	CHECK(json_is_object(json_object_get(out, "demographics")));
	CHECK_INT_EQ(json_object_size(json_object_get(out, "demographics")), 0);
	CHECK(json_is_null(json_object_get(out, "empathy")));
	CHECK_INT_EQ(json_object_size(out), 9);
	json_decref(out);
}

/* empathy_score given as JSON text -> expected integer, or 0 for null */
static void check_empathy(const char *score, int expected, int line)
{
	char text[256], err[256];
	snprintf(text, sizeof text,
		 "{\"culture\": \"Arabic\", \"post_id\": \"e\", \"post\": {}, \"response\": {\"empathy_score\": %s}}",
		 score);
	json_t *out = normalize(text, err, sizeof err);
	if (!CHECK(out != NULL)) {
		fprintf(stderr, "  (line %d) score %s: err: %s\n", line, score, err);
		return;
	}
	json_t *e = json_object_get(out, "empathy");
	if (expected == 0) {
		if (!CHECK(e != NULL && json_is_null(e)))
			fprintf(stderr, "  (line %d) score %s\n", line, score);
	} else {
		if (!CHECK(json_is_integer(e) && json_integer_value(e) == expected))
			fprintf(stderr, "  (line %d) score %s\n", line, score);
	}
	json_decref(out);
}

static void test_empathy(void)
{
	check_empathy("\"3 moderately empathetic\"", 3, __LINE__);
	check_empathy("\"\"", 0, __LINE__);
	check_empathy("\"   \"", 0, __LINE__);
	check_empathy("null", 0, __LINE__);
	check_empathy("\"1\"", 1, __LINE__);
	check_empathy("\"5 highly empathetic\"", 5, __LINE__);
	check_empathy("\" 2 somewhat\"", 2, __LINE__);
	check_empathy("4", 4, __LINE__);
}

/* A record that must fail, with err naming `needle`. */
static void expect_error(const char *text, const char *needle, int line)
{
	char err[256];
	json_t *out = normalize(text, err, sizeof err);
	if (!CHECK(out == NULL)) {
		fprintf(stderr, "  (line %d) accepted: %s\n", line, text);
		json_decref(out);
		return;
	}
	if (!CHECK_STR_CONTAINS(err, needle))
		fprintf(stderr, "  (line %d)\n", line);
	if (!CHECK(strncmp(err, "field ", 6) == 0))
		fprintf(stderr, "  (line %d) err: %s\n", line, err);
}

#define REC(post, resp) "{\"culture\": \"Chinese\", \"post_id\": \"t-1\", \"post\": " post ", \"response\": " resp "}"

static void test_errors(void)
{
	expect_error("{\"post_id\": \"t-1\", \"post\": {}}", "culture", __LINE__);
	expect_error("{\"culture\": 5, \"post_id\": \"t-1\", \"post\": {}}", "culture", __LINE__);
	expect_error("{\"culture\": \"  \", \"post_id\": \"t-1\", \"post\": {}}", "culture", __LINE__);
	expect_error("{\"culture\": \"Chinese\", \"post\": {}}", "post_id", __LINE__);
	expect_error("{\"culture\": \"Chinese\", \"post_id\": \" \", \"post\": {}}", "post_id", __LINE__);
	expect_error("{\"culture\": \"Chinese\", \"post_id\": \"t-1\"}", "post", __LINE__);
	expect_error("{\"culture\": \"Chinese\", \"post_id\": \"t-1\", \"post\": \"text\"}", "post", __LINE__);
	expect_error("{\"culture\": \"Chinese\", \"post_id\": \"t-1\", \"post\": []}", "post", __LINE__);
	expect_error(REC("{}", "[]"), "response", __LINE__);
	expect_error(REC("{\"text\": 7}", "{}"), "post.text", __LINE__);

	expect_error(REC("{\"emotional_distress\": [{\"phrase\": \"x\", \"intensity\": \"extreme\"}]}", "{}"),
		     "post.emotional_distress[0].intensity", __LINE__);
	expect_error(REC("{\"emotional_distress\": [{\"phrase\": \"x\", \"intensity\": \"light\"},"
			 " {\"phrase\": \"y\", \"intensity\": 2}]}", "{}"),
		     "post.emotional_distress[1].intensity", __LINE__);
	expect_error(REC("{\"emotional_distress\": [{\"phrase\": 5, \"intensity\": \"light\"}]}", "{}"),
		     "post.emotional_distress[0].phrase", __LINE__);
	expect_error(REC("{\"emotional_distress\": [{\"intensity\": \"light\"}]}", "{}"), ".phrase", __LINE__);
	expect_error(REC("{\"emotional_distress\": {}}", "{}"), "post.emotional_distress", __LINE__);
	expect_error(REC("{\"emotional_distress\": [\"x\"]}", "{}"), "post.emotional_distress[0]", __LINE__);
	expect_error(REC("{\"cultural_signals\": [{\"phrase\": \"x\", \"type\": \"Food\"}]}", "{}"),
		     "post.cultural_signals[0].type", __LINE__);
	expect_error(REC("{\"demographic_info\": {\"age\": [27]}}", "{}"), "post.demographic_info.age", __LINE__);
	expect_error(REC("{\"demographic_info\": \"x\"}", "{}"), "post.demographic_info", __LINE__);

	expect_error(REC("{}", "{\"emotional_support\": [{\"phrase\": \"x\", \"strategy\": \"Hugging\"}]}"),
		     "response.emotional_support[0].strategy", __LINE__);
	expect_error(REC("{}", "{\"emotional_support\": [{\"phrase\": [], \"strategy\": null}]}"),
		     ".phrase", __LINE__);
	expect_error(REC("{}", "{\"cultural_signals\": [{\"phrase\": \"x\", \"type\": \"values\"}]}"),
		     "response.cultural_signals[0].type", __LINE__);
	expect_error(REC("{}", "{\"empathy_score\": \"9 great\"}"), "empathy_score", __LINE__);
	expect_error(REC("{}", "{\"empathy_score\": \"0 none\"}"), "empathy_score", __LINE__);
	expect_error(REC("{}", "{\"empathy_score\": \"10 great\"}"), "empathy_score", __LINE__);
	expect_error(REC("{}", "{\"empathy_score\": \"great\"}"), "empathy_score", __LINE__);
	expect_error(REC("{}", "{\"empathy_score\": 6}"), "empathy_score", __LINE__);
	expect_error(REC("{}", "{\"empathy_score\": 3.0}"), "empathy_score", __LINE__);

	/* not an object at all */
	char err[256] = "";
	json_t *arr = json_array();
	CHECK(import_normalize_record(arr, err, sizeof err) == NULL);
	CHECK(err[0] != '\0');
	json_decref(arr);
}

/* The input record is not modified. */
static void test_input_untouched(void)
{
	json_t *rec = parse(full_record);
	if (!CHECK(rec != NULL))
		return;
	char *before = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT);
	char err[256];
	json_t *out = import_normalize_record(rec, err, sizeof err);
	CHECK(out != NULL);
	char *after = json_dumps(rec, JSON_SORT_KEYS | JSON_COMPACT);
	CHECK_STR_EQ(after, before);
	free(before);
	free(after);
	json_decref(out);
	json_decref(rec);
}

int main(void)
{
	test_full_record();
	test_minimal_record();
	test_empathy();
	test_errors();
	test_input_untouched();
	return check_done();
}
