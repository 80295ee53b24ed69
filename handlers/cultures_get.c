/* GET /cultures: the imported cultures with aliases and corpus counts. */
#include "handlers/handlers.h"
#include "server/app.h"
#include "store/store.h"

static void on_list(void *ud, json_t *cultures, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:O}", "cultures", cultures));
}

void handler_cultures_get(http_req *r)
{
	app *a = http_req_app(r);
	if (store_cultures_list(a->pool, on_list, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}
