/* Checks shared by the handlers of the annotation workflow (candidates,
 * items, ratings, preferences, judge, exports, imports). */
#ifndef CC_HANDLERS_ANNOTATION_H
#define CC_HANDLERS_ANNOTATION_H
#include <jansson.h>
#include <stdbool.h>

#include "server/http.h"
#include "server/json_fields.h"

/* The request's JSON object body (a new reference), or NULL after replying
 * 415, 400 or 422. Never echoes the body. */
json_t *annotation_body(http_req *r);

/* 422 invalid_field naming the field (at most 64 bytes of its name). */
void annotation_invalid(http_req *r, const char *field, const char *reason);

/* A rater name: 1 to 200 characters, no control characters. */
bool annotation_rater_ok(const char *s);
/* The body is an object with the fields (server/json_fields.h) and, when
 * rater is given, the rater's name is valid; otherwise replies 422 and
 * returns -1. */
/* The query filters of the annotation routes: *culture (may be NULL) is
 * made the canonical code of a known culture (aliases, any case), and
 * *strategy the API name of a known strategy; otherwise replies 422 and
 * returns -1. */
int annotation_filters(http_req *r, const char **culture, const char **strategy);
int annotation_check_body(http_req *r, json_t *body, const json_field *fields, size_t n, json_t *const *rater);

/* An opaque pagination cursor for an item's seq: "c" + hex. parse returns
 * -1 for anything else; out gets the decimal seq. */
void annotation_cursor_make(const char *seq_decimal, char *out, size_t len);
int annotation_cursor_parse(const char *cursor, char *out, size_t len);

/* 409 storage_disabled unless STORE_MESSAGES is on; returns false after
 * replying. */
bool annotation_storage_on(http_req *r);

#endif
