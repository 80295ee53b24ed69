/* Shared checks of the annotation handlers (see annotation.h). */
#include "handlers/annotation.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/support/lexicon.h"
#include "server/support/prompt.h"
#include "server/support/support.h"
#include "server/app.h"
#include "server/unicode.h"
#include "server/util.h"

void annotation_invalid(http_req *r, const char *field, const char *reason)
{
	http_reply_error(r, ERR_INVALID_FIELD, NULL,
			 json_pack("{s:s,s:s}", "field", strlen(field) <= 64 ? field : "(a field name over 64 bytes)",
				   "reason", reason));
}

json_t *annotation_parse_body(const char *text, size_t len, body_error *e)
{
	json_t *body = body_json(text, len, e);
	if (body && !json_is_object(body) && !json_is_array(body)) {
		json_decref(body);
		body_error_invalid(e, "(body)", "must be a JSON object", NULL);
		return NULL;
	}
	return body;
}

const char *annotation_body_text(http_req *r, size_t *len)
{
	if (json_content_type(http_req_header(r, "Content-Type")))
		return http_req_body(r, len);
	http_reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
	return NULL;
}

bool annotation_refused(http_req *r, int rc, body_error *e)
{
	if (rc >= 0)
		return false;
	http_reply_error(r, e->code, e->message, e->details);
	return true;
}

bool annotation_rater_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || !utf8_valid(s, n) || utf8_length(s, n) > 200)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

int annotation_filters(http_req *r, const char **culture, const char **strategy)
{
	app *a = http_req_app(r);
	prompt_strategy s;
	if (strategy && *strategy) {
		if (prompt_strategy_parse(*strategy, &s) < 0) {
			annotation_invalid(r, "strategy", "unknown strategy");
			return -1;
		}
		*strategy = prompt_strategy_name(s);
	}
	if (culture && *culture && a->lex) {
		const lexicon_culture *c = lexicon_culture_find(a->lex, *culture);
		if (!c) {
			annotation_invalid(r, "culture", "unknown culture");
			return -1;
		}
		*culture = lexicon_culture_code(c);
	}
	return 0;
}

int annotation_check_fields(json_t *body, const json_field *fields, size_t n, json_t *const *rater, body_error *e)
{
	const char *field, *reason;
	if (!json_is_object(body))
		return body_error_invalid(e, "(body)", "must be a JSON object", NULL);
	if (json_fields_check(body, fields, n, &field, &reason) < 0)
		return body_error_invalid(e, field, reason, NULL);
	if (rater && !annotation_rater_ok(json_string_value(*rater)))
		return body_error_invalid(e, "rater", "must have 1 to 200 characters and no control characters", NULL);
	return 0;
}

void annotation_cursor_make(const char *seq_decimal, char *out, size_t len)
{
	unsigned long long v = strtoull(seq_decimal, NULL, 10);
	snprintf(out, len, "c%llx", v);
}

int annotation_cursor_parse(const char *cursor, char *out, size_t len)
{
	if (!cursor || cursor[0] != 'c' || !cursor[1] || strlen(cursor) > 17)
		return -1;
	for (const char *p = cursor + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return -1;
	unsigned long long v = strtoull(cursor + 1, NULL, 16);
	if (v == 0 || v > (unsigned long long)INT64_MAX)
		return -1;
	snprintf(out, len, "%llu", v);
	return 0;
}

bool annotation_storage_on(http_req *r)
{
	app *a = http_req_app(r);
	if (a->cfg->store_messages)
		return true;
	http_reply_error(r, ERR_STORAGE_DISABLED, NULL, json_pack("{s:s}", "setting", "STORE_MESSAGES"));
	return false;
}
