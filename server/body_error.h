/* What a request body's parse step decided, before any reply: the pure
 * parse functions of the handlers (body bytes -> parsed request, or a
 * body_error) fill one, and the handler answers it. */
#ifndef CC_BODY_ERROR_H
#define CC_BODY_ERROR_H
#include <jansson.h>
#include <stddef.h>

#include "server/errors.h"

typedef struct body_error {
	err_code code;
	const char *message; /* static; NULL: the code's own message */
	json_t *details;     /* owned until replied (the reply steals it) or cleared; may be NULL */
} body_error;

/* Fills e; returns -1, so that a parse step can `return body_error_set(...)`.
 * details is stolen. */
int body_error_set(body_error *e, err_code code, const char *message, json_t *details);

/* 422 invalid_field: {"field", "reason"} and the members of extra (stolen,
 * may be NULL). A field name over 64 bytes is not repeated. Returns -1. */
int body_error_invalid(body_error *e, const char *field, const char *reason, json_t *extra);

/* Releases e->details. */
void body_error_clear(body_error *e);

/* The JSON value of text[0..len) (NULL: empty; duplicate keys refused), a
 * new reference; or NULL with e set to 400 malformed_json and the line and
 * column (never jansson's text, which can quote the body). */
json_t *body_json(const char *text, size_t len, body_error *e);

#endif
