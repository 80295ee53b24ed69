/* The request bodies of every POST route: the first input byte picks the
 * route, the rest is the body, given to the route's parse step (the pure
 * part of its handler). An accepted body gives a request within the
 * route's limits; a refused one gives a 400, 422 or 500 error whose
 * details have the shape that the error replies document. */
#include <string.h>

#include "handlers/annotation.h"
#include "server/support/support.h"
#include "tests/fuzz/fuzz.h"

static void check_error(const body_error *e)
{
	FUZZ_CHECK(e->code == ERR_MALFORMED_JSON || e->code == ERR_INVALID_FIELD || e->code == ERR_INTERNAL);
	if (e->code == ERR_MALFORMED_JSON) {
		FUZZ_CHECK(json_is_integer(json_object_get(e->details, "line")));
		FUZZ_CHECK(json_is_integer(json_object_get(e->details, "column")));
	} else if (e->code == ERR_INVALID_FIELD) {
		const char *field = json_string_value(json_object_get(e->details, "field"));
		FUZZ_CHECK(field && strlen(field) <= 96);
		FUZZ_CHECK(json_is_string(json_object_get(e->details, "reason")));
	}
	char *dump = e->details ? json_dumps(e->details, 0) : NULL;
	FUZZ_CHECK(!e->details || dump);
	free(dump);
}

static void check_support(const support_input *in, bool openai)
{
	FUZZ_CHECK(json_is_object(in->body) && in->message && in->culture);
	FUZZ_CHECK(support_message_ok(in->message, in->message_len) && strlen(in->message) == in->message_len);
	FUZZ_CHECK(in->strategy < STRAT__COUNT && in->annotator <= ANN_NONE);
	FUZZ_CHECK(!in->country || strlen(in->country) == 2);
	FUZZ_CHECK(openai == (in->format == FMT_OPENAI || in->format == FMT_OPENAI_SSE));
	FUZZ_CHECK(!openai || in->model_name);
}

static bool array_literal(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 2 && s[0] == '{' && s[n - 1] == '}';
}

static int support_route(const char *text, size_t len, body_error *e, bool openai)
{
	support_input in;
	int rc = openai ? chat_completions_parse(text, len, &in, e) : support_post_parse(text, len, &in, e);
	if (rc == 0) {
		check_support(&in, openai);
		json_decref(in.body);
	}
	return rc;
}

static int candidates_route(const char *text, size_t len, body_error *e)
{
	candidates_body c;
	if (candidates_parse(text, len, &c, e) < 0)
		return -1;
	FUZZ_CHECK(c.n >= 1 && c.n <= MAX_CANDIDATES && c.culture && c.annotator);
	FUZZ_CHECK(support_message_ok(c.message, c.message_len));
	for (size_t i = 0; i < c.n; i++)
		FUZZ_CHECK(c.strategies[i] < STRAT__COUNT);
	json_decref(c.body);
	return 0;
}

static int ratings_route(const char *text, size_t len, body_error *e)
{
	ratings_body b;
	if (ratings_parse(text, len, &b, e) < 0)
		return -1;
	FUZZ_CHECK(annotation_rater_ok(b.rater));
	int scored = 0;
	for (int i = 0; i < JUDGE_METRICS; i++)
		if (b.vals[i]) {
			FUZZ_CHECK(b.vals[i][0] >= '1' && b.vals[i][0] <= '5' && !b.vals[i][1]);
			scored++;
		}
	FUZZ_CHECK(scored > 0);
	json_decref(b.body);
	return 0;
}

static int preferences_route(const char *text, size_t len, body_error *e)
{
	preferences_body b;
	if (preferences_parse(text, len, &b, e) < 0)
		return -1;
	FUZZ_CHECK(annotation_rater_ok(b.rater) && array_literal(b.ranks));
	size_t commas = 0;
	for (const char *p = b.ranks; *p; p++)
		commas += *p == ',';
	FUZZ_CHECK(commas >= 1 && commas <= 9 && (!b.tie || commas == 1));
	free(b.ranks);
	json_decref(b.body);
	return 0;
}

static int evaluations_route(const char *text, size_t len, body_error *e)
{
	evaluations_body b;
	if (evaluations_parse(text, len, &b, e) < 0)
		return -1;
	FUZZ_CHECK(!b.candidate_id == !!(b.message && b.response));
	FUZZ_CHECK(b.n >= 1 && b.n <= JUDGE_METRICS);
	for (size_t i = 0; i < b.n; i++) {
		FUZZ_CHECK(b.metrics[i] >= 0 && b.metrics[i] < JUDGE_METRICS);
		for (size_t k = 0; k < i; k++)
			FUZZ_CHECK(b.metrics[k] != b.metrics[i]);
	}
	json_decref(b.body);
	return 0;
}

static int import_route(const char *text, size_t len, body_error *e)
{
	char *ratings, *prefs;
	if (label_studio_import_parse(text, len, &ratings, &prefs, e) < 0)
		return -1;
	json_t *r = json_loads(ratings, 0, NULL), *p = json_loads(prefs, 0, NULL);
	FUZZ_CHECK(json_is_array(r) && json_is_array(p));
	size_t i;
	json_t *v;
	json_array_foreach(r, i, v)
		FUZZ_CHECK(json_is_string(json_object_get(v, "candidate_id")) && json_is_string(json_object_get(v, "rater")));
	json_array_foreach(p, i, v)
		FUZZ_CHECK(json_array_size(json_object_get(v, "ranking")) == 2);
	json_decref(r);
	json_decref(p);
	free(ratings);
	free(prefs);
	return 0;
}

static int predict_route(const char *text, size_t len, body_error *e)
{
	json_t *body;
	char *ids;
	if (label_studio_predict_parse(text, len, &body, &ids, e) < 0)
		return -1;
	FUZZ_CHECK(json_is_object(body) && array_literal(ids));
	free(ids);
	json_decref(body);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	body_error e = {.code = ERR__COUNT};
	int rc;
	switch (data[0] % 8) {
	case 0: rc = support_route(text, len, &e, false); break;
	case 1: rc = support_route(text, len, &e, true); break;
	case 2: rc = candidates_route(text, len, &e); break;
	case 3: rc = ratings_route(text, len, &e); break;
	case 4: rc = preferences_route(text, len, &e); break;
	case 5: rc = evaluations_route(text, len, &e); break;
	case 6: rc = import_route(text, len, &e); break;
	default: rc = predict_route(text, len, &e); break;
	}
	if (rc == 0) {
		FUZZ_CHECK(e.code == ERR__COUNT && !e.details);
	} else {
		FUZZ_CHECK(rc == -1);
		check_error(&e);
		body_error_clear(&e);
	}
	return 0;
}
