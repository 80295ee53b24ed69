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

void handler_preferences_post(http_req *r)
{
	app *a = http_req_app(r);
	const char *id = http_req_param(r, 0);
	json_t *body = annotation_body(r);
	if (!body)
		return;
	json_t *rater = NULL, *ranking = NULL, *tie = NULL;
	const json_field fields[] = {
		{"rater", JF_STRING, true, &rater},
		{"ranking", JF_ARRAY, true, &ranking},
		{"tie", JF_BOOL, false, &tie},
	};
	sbuf lit = {0};
	if (annotation_check_body(r, body, fields, sizeof fields / sizeof fields[0], &rater) < 0)
		goto out;
	size_t n = json_array_size(ranking);
	bool is_tie = tie && json_is_true(tie);
	if (n < 2 || n > 10 || (is_tie && n != 2)) {
		annotation_invalid(r, "ranking", is_tie ? "a tie names exactly two candidates" : "must list 2 to 10 candidate ids");
		goto out;
	}
	sb_add(&lit, "{");
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_array_get(ranking, i);
		if (!json_is_string(v) || !uuid_valid(json_string_value(v))) {
			annotation_invalid(r, "ranking", "must list candidate ids (UUIDs)");
			goto out;
		}
		for (size_t k = 0; k < i; k++)
			if (strcasecmp(json_string_value(json_array_get(ranking, k)), json_string_value(v)) == 0) {
				annotation_invalid(r, "ranking", "lists a candidate twice");
				goto out;
			}
		sb_printf(&lit, "%s%s", i ? "," : "", json_string_value(v));
	}
	sb_add(&lit, "}");
	if (!uuid_valid(id)) {
		http_reply_error(r, ERR_NOT_FOUND, "No stored item has this id.", NULL);
		goto out;
	}
	char *ranks = sb_take(&lit);
	if (!ranks || store_preference_upsert(a->pool, id, json_string_value(rater), ranks, is_tie ? "true" : "false",
					      on_upserted, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	free(ranks);
	json_decref(body);
	return;
out:
	free(sb_take(&lit));
	json_decref(body);
}
