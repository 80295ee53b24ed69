/* See delete_by_token.h. */
#include "handlers/delete_by_token.h"

#include <stdlib.h>
#include <string.h>

#include "server/app.h"
#include "server/sha256.h"
#include "server/util.h"

typedef struct deletion {
	http_req *r;
	const char *not_found;
} deletion;

static void on_deleted(void *ud, long rows, store_status st, const char *sqlstate)
{
	(void)sqlstate;
	deletion *d = ud;
	if (st != STORE_OK)
		http_reply_error(d->r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	else if (rows != 1)
		http_reply_error(d->r, ERR_NOT_FOUND, d->not_found, NULL);
	else
		http_reply_static(d->r, 204, NULL, "", 0);
	free(d);
}

void delete_by_token(http_req *r, delete_fn del, const char *not_found)
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
		http_reply_error(r, ERR_NOT_FOUND, not_found, NULL);
		return;
	}
	char hash[65];
	sha256_hex(token, strlen(token), hash);
	deletion *d = malloc(sizeof *d);
	if (d)
		*d = (deletion){r, not_found};
	if (!d || del(a->pool, id, hash, on_deleted, d) < 0) {
		free(d);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	}
}
