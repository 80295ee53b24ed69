/* Parse-step errors of request bodies (see body_error.h). */
#include "server/body_error.h"

#include <string.h>

int body_error_set(body_error *e, err_code code, const char *message, json_t *details)
{
	e->code = code;
	e->message = message;
	e->details = details;
	return -1;
}

int body_error_invalid(body_error *e, const char *field, const char *reason, json_t *extra)
{
	json_t *d = json_pack("{s:s,s:s}", "field", strlen(field) <= 64 ? field : "(a field name over 64 bytes)",
			      "reason", reason);
	if (d && extra)
		json_object_update(d, extra);
	json_decref(extra);
	return body_error_set(e, ERR_INVALID_FIELD, NULL, d);
}

void body_error_clear(body_error *e)
{
	json_decref(e->details);
	e->details = NULL;
}

json_t *body_json(const char *text, size_t len, body_error *e)
{
	json_error_t jerr;
	json_t *v = json_loadb(text ? text : "", text ? len : 0, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		body_error_set(e, ERR_MALFORMED_JSON, NULL, json_pack("{s:i,s:i}", "line", jerr.line, "column", jerr.column));
	return v;
}
