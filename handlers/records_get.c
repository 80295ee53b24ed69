/* GET /records: stored replies for human rating (scope annotate), newest
 * first, with message, reply and annotations; ?limit=1..100 (20) and
 * ?before=<id> for the next page. Only what STORE_MESSAGES kept and
 * retention has not erased is here. */
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/config.h"
#include "server/util.h"
#include "store/store.h"

static void on_list(void *ud, json_t *records, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	json_t *body = json_pack("{s:O}", "records", records);
	size_t n = json_array_size(records);
	if (n > 0)
		json_object_set(body, "next_before", json_object_get(json_array_get(records, n - 1), "id"));
	http_reply_json(r, 200, body);
}

void handler_records_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *ls = http_req_query(r, "limit"), *before = http_req_query(r, "before");
	unsigned long long limit = 20;
	if (ls && config_parse_uint(ls, 1, 100, &limit) < 0) {
		http_reply_error(r, ERR_INVALID_FIELD, "limit must be an integer from 1 to 100.",
				 json_pack("{s:s}", "field", "limit"));
		return;
	}
	if (before && !uuid_valid(before)) {
		http_reply_error(r, ERR_INVALID_FIELD, "before must be a record id (a UUID).",
				 json_pack("{s:s}", "field", "before"));
		return;
	}
	if (store_records_list(a->pool, (unsigned)limit, before, on_list, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}
