/* POST /candidates/{id}/ratings: a rater's scores of a candidate on the
 * seven metrics of the method, each 1-5, any subset (at least one):
 * {"rater", "scores": {"empathy": 4, ...}, "comment"?}. One rating per
 * rater and candidate: a second replaces the first whole (201 created,
 * 200 replaced). 422 for an unknown metric or a value off the scale. */
#include <stdio.h>
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/support/judge.h"
#include "server/json_fields.h"
#include "server/unicode.h"
#include "server/util.h"
#include "store/annotation.h"

#define MAX_COMMENT_CHARS 4000

static void on_upserted(void *ud, json_t *res, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	if (!json_is_true(json_object_get(res, "found"))) {
		http_reply_error(r, ERR_NOT_FOUND, "No stored candidate has this id.", NULL);
		return;
	}
	json_t *out = json_pack("{s:s,s:O,s:O,s:O}", "candidate_id", http_req_param(r, 0), "created",
				json_object_get(res, "created"), "created_at", json_object_get(res, "created_at"),
				"updated_at", json_object_get(res, "updated_at"));
	http_reply_json(r, json_is_true(json_object_get(res, "created")) ? 201 : 200, out);
}

/* The scores object into out->vals; -1 with e set. */
static int parse_scores(json_t *scores, ratings_body *out, body_error *e)
{
	const char *key;
	json_t *v;
	json_object_foreach(scores, key, v)
	{
		int m = judge_metric_parse(key);
		char f[96];
		snprintf(f, sizeof f, "scores.%.64s", key);
		if (m < 0) {
			json_t *allowed = json_array();
			for (int i = 0; i < JUDGE_METRICS; i++)
				json_array_append_new(allowed, json_string(judge_metric_names[i]));
			return body_error_invalid(e, f, "unknown metric", json_pack("{s:o}", "allowed", allowed));
		}
		if (json_is_null(v))
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
			return body_error_invalid(e, f, "must be an integer from 1 to 5", NULL);
		out->digits[m][0] = (char)('0' + json_integer_value(v));
		out->digits[m][1] = '\0';
		out->vals[m] = out->digits[m];
	}
	for (int i = 0; i < JUDGE_METRICS; i++)
		if (out->vals[i])
			return 0;
	return body_error_invalid(e, "scores", "must score at least one metric", NULL);
}

int ratings_parse(const char *text, size_t len, ratings_body *out, body_error *e)
{
	memset(out, 0, sizeof *out);
	json_t *body = annotation_parse_body(text, len, e);
	if (!body)
		return -1;
	json_t *rater = NULL, *scores = NULL, *comment = NULL;
	const json_field fields[] = {
		{"rater", JF_STRING, true, &rater},
		{"scores", JF_OBJECT, true, &scores},
		{"comment", JF_STRING, false, &comment},
	};
	int rc = annotation_check_fields(body, fields, sizeof fields / sizeof fields[0], &rater, e);
	if (rc == 0 && comment && utf8_length(json_string_value(comment), json_string_length(comment)) > MAX_COMMENT_CHARS)
		rc = body_error_invalid(e, "comment", "must have at most 4000 characters", NULL);
	if (rc == 0)
		rc = parse_scores(scores, out, e);
	if (rc < 0) {
		json_decref(body);
		return -1;
	}
	out->body = body;
	out->rater = json_string_value(rater);
	out->comment = comment ? json_string_value(comment) : NULL;
	return 0;
}

void handler_ratings_post(http_req *r)
{
	app *a = http_req_app(r);
	const char *id = http_req_param(r, 0);
	size_t len;
	const char *text = annotation_body_text(r, &len);
	ratings_body in;
	body_error e;
	if (!text || annotation_refused(r, ratings_parse(text, len, &in, &e), &e))
		return;
	if (!uuid_valid(id))
		http_reply_error(r, ERR_NOT_FOUND, "No stored candidate has this id.", NULL);
	else if (store_rating_upsert(a->pool, id, in.rater, in.vals, in.comment, on_upserted, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	json_decref(in.body);
}
