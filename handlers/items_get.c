/* GET /items: stored items with their candidates, newest first, for human
 * rating. ?culture= ?strategy= (items with a candidate of it) ?rated=
 * (true: some candidate has a rating; false: none has) ?limit=1..100 (20)
 * ?cursor= (opaque, from next_cursor; absent on the last page). Keyset
 * pagination on the insertion order: every item present when a listing
 * starts is listed once, whatever is inserted or rated meanwhile.
 * GET /items/{id}: one item. */
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/support/lexicon.h"
#include "server/config.h"
#include "server/support/prompt.h"
#include "server/util.h"
#include "store/annotation.h"

typedef struct list_req {
	http_req *r;
	unsigned limit;
} list_req;

static void on_list(void *ud, json_t *rows, store_status st)
{
	http_req *r = ud;
	app *a = http_req_app(r);
	unsigned limit = 20;
	const char *ls = http_req_query(r, "limit");
	unsigned long long l;
	if (ls && config_parse_uint(ls, 1, 100, &l) == 0)
		limit = (unsigned)l;
	(void)a;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	json_t *items = json_array();
	size_t n = json_array_size(rows);
	for (size_t i = 0; i < n && i < limit; i++)
		json_array_append(items, json_object_get(json_array_get(rows, i), "item"));
	json_t *body = json_pack("{s:o}", "items", items);
	if (n > limit) {
		char seq[32], cursor[40];
		json_t *last = json_object_get(json_array_get(rows, limit - 1), "seq");
		snprintf(seq, sizeof seq, "%lld", (long long)json_integer_value(last));
		annotation_cursor_make(seq, cursor, sizeof cursor);
		json_object_set_new(body, "next_cursor", json_string(cursor));
	}
	http_reply_json(r, 200, body);
}

void handler_items_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *ls = http_req_query(r, "limit"), *cursor = http_req_query(r, "cursor");
	const char *culture = http_req_query(r, "culture"), *strategy = http_req_query(r, "strategy");
	const char *rated = http_req_query(r, "rated");
	unsigned long long limit = 20;
	if (ls && config_parse_uint(ls, 1, 100, &limit) < 0) {
		annotation_invalid(r, "limit", "must be an integer from 1 to 100");
		return;
	}
	char seq[32];
	if (cursor && annotation_cursor_parse(cursor, seq, sizeof seq) < 0) {
		annotation_invalid(r, "cursor", "not a cursor this service gave (next_cursor)");
		return;
	}
	if (rated && strcmp(rated, "true") && strcmp(rated, "false")) {
		annotation_invalid(r, "rated", "must be true or false");
		return;
	}
	if (annotation_filters(r, &culture, &strategy) < 0)
		return;
	if (store_items_list(a->pool, (unsigned)limit, cursor ? seq : NULL, culture,
			     strategy, rated, on_list, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}

static void on_item(void *ud, json_t *item, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	else if (!json_object_get(item, "id"))
		http_reply_error(r, ERR_NOT_FOUND, "No stored item has this id.", NULL);
	else
		http_reply_json(r, 200, json_incref(item));
}

void handler_item_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *id = http_req_param(r, 0);
	if (!uuid_valid(id)) {
		http_reply_error(r, ERR_NOT_FOUND, "No stored item has this id.", NULL);
		return;
	}
	if (store_item_get(a->pool, id, on_item, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}
