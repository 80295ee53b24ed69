/* DELETE /items/{id}: erases an item with its candidates, ratings,
 * preferences and judge scores (one cascade) given its deletion token in
 * X-Deletion-Token. 204 when erased; 404 for an unknown id or a wrong
 * token alike. */
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/sha256.h"
#include "server/util.h"
#include "store/annotation.h"

static void on_deleted(void *ud, long rows, store_status st, const char *sqlstate)
{
	(void)sqlstate;
	http_req *r = ud;
	if (st != STORE_OK)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	else if (rows != 1)
		http_reply_error(r, ERR_NOT_FOUND, "No stored item has this id and deletion token.", NULL);
	else
		http_reply_static(r, 204, NULL, "", 0);
}

void handler_item_delete(http_req *r)
{
	app *a = http_req_app(r);
	const char *id = http_req_param(r, 0);
	const char *token = http_req_header(r, "X-Deletion-Token");
	if (!token || !*token) {
		http_reply_error(r, ERR_INVALID_FIELD, "The deletion token is required in the X-Deletion-Token header.",
				 json_pack("{s:s}", "field", "X-Deletion-Token"));
		return;
	}
	if (!uuid_valid(id) || strlen(token) != 43) {
		http_reply_error(r, ERR_NOT_FOUND, "No stored item has this id and deletion token.", NULL);
		return;
	}
	char hash[65];
	sha256_hex(token, strlen(token), hash);
	if (store_item_delete(a->pool, id, hash, on_deleted, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}
