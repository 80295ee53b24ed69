/* POST /items/{id}/preferences: a rater's ranking of an item's
 * candidates, {"rater", "ranking": [candidate ids, best first]}, or a pair
 * judged equally good: {"rater", "ranking": [a, b], "tie": true}. One per
 * rater and item (a second replaces the first). Win rates in GET /stats
 * come from these. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/json_fields.h"
#include "server/util.h"
#include "store/annotation.h"

static void on_upserted(void *ud, json_t *res, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	else if (!json_is_true(json_object_get(res, "item")))
		http_reply_error(r, ERR_NOT_FOUND, "No stored item has this id.", NULL);
	else if (!json_is_true(json_object_get(res, "valid")))
		annotation_invalid(r, "ranking", "every id must be a candidate of this item");
	else
		http_reply_json(r, 201, json_pack("{s:s,s:b}", "item_id", http_req_param(r, 0), "stored", true));
}

/* The ranking's ids as an array literal into out->ranks; -1 with e set. */
static int parse_ranking(json_t *ranking, preferences_body *out, body_error *e)
{
	size_t n = json_array_size(ranking);
	if (n < 2 || n > 10 || (out->tie && n != 2))
		return body_error_invalid(e, "ranking", out->tie ? "a tie names exactly two candidates" : "must list 2 to 10 candidate ids", NULL);
	sbuf lit = {0};
	sb_add(&lit, "{");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(ranking, i);
		const char *why = NULL;
		if (!json_is_string(v) || !uuid_valid(json_string_value(v)))
			why = "must list candidate ids (UUIDs)";
		for (size_t k = 0; !why && k < i; k++)
			if (strcasecmp(json_string_value(json_array_get(ranking, k)), json_string_value(v)) == 0)
				why = "lists a candidate twice";
		if (why) {
			free(sb_take(&lit));
			return body_error_invalid(e, "ranking", why, NULL);
		}
		sb_printf(&lit, "%s%s", i ? "," : "", json_string_value(v));
	}
	sb_add(&lit, "}");
	out->ranks = sb_take(&lit);
	return out->ranks ? 0 : body_error_set(e, ERR_INTERNAL, NULL, NULL);
}

int preferences_parse(const char *text, size_t len, preferences_body *out, body_error *e)
{
	memset(out, 0, sizeof *out);
	json_t *body = annotation_parse_body(text, len, e);
	if (!body)
		return -1;
	json_t *rater = NULL, *ranking = NULL, *tie = NULL;
	const json_field fields[] = {
		{"rater", JF_STRING, true, &rater},
		{"ranking", JF_ARRAY, true, &ranking},
		{"tie", JF_BOOL, false, &tie},
	};
	if (annotation_check_fields(body, fields, sizeof fields / sizeof fields[0], &rater, e) < 0) {
		json_decref(body);
		return -1;
	}
	out->tie = tie && json_is_true(tie);
	if (parse_ranking(ranking, out, e) < 0) {
		json_decref(body);
		return -1;
	}
	out->body = body;
	out->rater = json_string_value(rater);
	return 0;
}

void handler_preferences_post(http_req *r)
{
	app *a = http_req_app(r);
	const char *id = http_req_param(r, 0);
	size_t len;
	const char *text = annotation_body_text(r, &len);
	preferences_body in;
	body_error e;
	if (!text || annotation_refused(r, preferences_parse(text, len, &in, &e), &e))
		return;
	if (!uuid_valid(id))
		http_reply_error(r, ERR_NOT_FOUND, "No stored item has this id.", NULL);
	else if (store_preference_upsert(a->pool, id, in.rater, in.ranks, in.tie ? "true" : "false", on_upserted, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	free(in.ranks);
	json_decref(in.body);
}
