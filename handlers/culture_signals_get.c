/* GET /cultures/{code}/signals?q=TEXT&limit=N: the culture's cultural
 * signals matching TEXT, best first. The reply never repeats TEXT. */
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "server/app.h"
#include "server/unicode.h"
#include "server/util.h"
#include "store/store.h"

#define MAX_Q_CHARS 1000
#define DEFAULT_LIMIT 10
#define MAX_LIMIT 100

static void invalid(http_req *r, const char *field, const char *reason)
{
	http_reply_error(r, ERR_INVALID_FIELD, NULL, json_pack("{s:s,s:s}", "field", field, "reason", reason));
}

static void on_codes(void *ud, json_t *codes, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	http_reply_error(r, ERR_UNKNOWN_CULTURE, NULL, json_pack("{s:O}", "known", codes));
}

static void on_signals(void *ud, const char *code, json_t *signals, store_status st)
{
	http_req *r = ud;
	app *a = http_req_app(r);
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	if (!code) {
		if (store_culture_codes(a->pool, on_codes, r) < 0)
			http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	http_reply_json(r, 200, json_pack("{s:s,s:O}", "culture", code, "signals", signals));
}

void handler_culture_signals_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *q = http_req_query(r, "q");
	const char *lim = http_req_query(r, "limit");
	unsigned long long limit = DEFAULT_LIMIT;
	if (!q || !*q) {
		invalid(r, "q", "required: the text to match, 1 to 1000 characters");
		return;
	}
	size_t qlen = strlen(q);
	if (!utf8_valid(q, qlen)) {
		invalid(r, "q", "must be UTF-8");
		return;
	}
	if (utf8_length(q, qlen) > MAX_Q_CHARS) {
		invalid(r, "q", "at most 1000 characters");
		return;
	}
	if (lim && config_parse_uint(lim, 1, MAX_LIMIT, &limit) < 0) {
		invalid(r, "limit", "an integer from 1 to 100");
		return;
	}
	const char *culture = http_req_param(r, 0);
	if (!utf8_valid(culture, strlen(culture))) {
		invalid(r, "code", "must be UTF-8");
		return;
	}
	if (store_culture_signals(a->pool, culture, q, (unsigned)limit, on_signals, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}
