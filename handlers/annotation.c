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

json_t *annotation_body(http_req *r)
{
	if (!json_content_type(http_req_header(r, "Content-Type"))) {
		http_reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		return NULL;
	}
	size_t len;
	const char *text = http_req_body(r, &len);
	json_error_t jerr;
	json_t *body = json_loadb(text ? text : "", len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		http_reply_error(r, ERR_MALFORMED_JSON, NULL, json_pack("{s:i,s:i}", "line", jerr.line, "column", jerr.column));
		return NULL;
	}
	if (!json_is_object(body) && !json_is_array(body)) {
		json_decref(body);
		annotation_invalid(r, "(body)", "must be a JSON object");
		return NULL;
	}
	return body;
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

int annotation_check_body(http_req *r, json_t *body, const json_field *fields, size_t n, json_t *const *rater)
{
	const char *field, *reason;
	if (!json_is_object(body)) {
		annotation_invalid(r, "(body)", "must be a JSON object");
		return -1;
	}
	if (json_fields_check(body, fields, n, &field, &reason) < 0) {
		annotation_invalid(r, field, reason);
		return -1;
	}
	if (rater && !annotation_rater_ok(json_string_value(*rater))) {
		annotation_invalid(r, "rater", "must have 1 to 200 characters and no control characters");
		return -1;
	}
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
