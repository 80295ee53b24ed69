/* Checks shared by the handlers of the annotation workflow (candidates,
 * items, ratings, preferences, judge, exports, imports). */
#ifndef CC_HANDLERS_ANNOTATION_H
#define CC_HANDLERS_ANNOTATION_H
#include <jansson.h>
#include <stdbool.h>

#include "server/body_error.h"
#include "server/http.h"
#include "server/support/judge.h"
#include "server/support/prompt.h"
#include "server/json_fields.h"

/* The request's body (len bytes), or NULL after replying 415 unless its
 * content type is JSON. */
const char *annotation_body_text(http_req *r, size_t *len);
/* True after replying e when a parse step returned rc < 0. */
bool annotation_refused(http_req *r, int rc, body_error *e);
/* The body text[0..len) as a JSON object or array (a new reference), or
 * NULL with e set (400, 422). Never echoes the body. Pure. */
json_t *annotation_parse_body(const char *text, size_t len, body_error *e);

/* 422 invalid_field naming the field (at most 64 bytes of its name). */
void annotation_invalid(http_req *r, const char *field, const char *reason);

/* A rater name: 1 to 200 characters, no control characters. */
bool annotation_rater_ok(const char *s);
/* The query filters of the annotation routes: *culture (may be NULL) is
 * made the canonical code of a known culture (aliases, any case), and
 * *strategy the API name of a known strategy; otherwise replies 422 and
 * returns -1. */
int annotation_filters(http_req *r, const char **culture, const char **strategy);
/* The body is an object with the fields (server/json_fields.h) and, when
 * rater is given, the rater's name is valid; otherwise -1 with e set (422). */
int annotation_check_fields(json_t *body, const json_field *fields, size_t n, json_t *const *rater, body_error *e);

/* An opaque pagination cursor for an item's seq: "c" + hex. parse returns
 * -1 for anything else; out gets the decimal seq. */
void annotation_cursor_make(const char *seq_decimal, char *out, size_t len);
int annotation_cursor_parse(const char *cursor, char *out, size_t len);

/* 409 storage_disabled unless STORE_MESSAGES is on; returns false after
 * replying. */
bool annotation_storage_on(http_req *r);

/* ---- the parse steps of the annotation routes' bodies ----
 * Each reads the body text[0..len) into its struct (whose body then owns
 * what its strings point into; release it with json_decref), or returns -1
 * with e set (400 or 422). Pure: what needs the corpus or the store (a
 * culture's code, whether an id exists) is left to the handler. */

#define MAX_CANDIDATES 10

/* POST /candidates */
typedef struct candidates_body {
	json_t *body;
	const char *message, *culture, *country; /* country may be NULL */
	size_t message_len;
	const char *annotator; /* corpus (default), llm, auto or none */
	json_t *metadata;      /* or NULL */
	size_t n;
	prompt_strategy strategies[MAX_CANDIDATES];
} candidates_body;
int candidates_parse(const char *text, size_t len, candidates_body *out, body_error *e);

/* POST /candidates/{id}/ratings */
typedef struct ratings_body {
	json_t *body;
	const char *rater, *comment; /* comment may be NULL */
	char digits[JUDGE_METRICS][2];
	const char *vals[JUDGE_METRICS]; /* per metric: "1" to "5" (into digits), or NULL */
} ratings_body;
int ratings_parse(const char *text, size_t len, ratings_body *out, body_error *e);

/* POST /items/{id}/preferences */
typedef struct preferences_body {
	json_t *body;
	const char *rater;
	bool tie;
	char *ranks; /* the ranking as a PostgreSQL array literal of UUIDs (malloc'd) */
} preferences_body;
int preferences_parse(const char *text, size_t len, preferences_body *out, body_error *e);

/* POST /evaluations: candidate_id, or message and response (culture as
 * given, or NULL). */
typedef struct evaluations_body {
	json_t *body;
	const char *candidate_id, *message, *response, *culture;
	int metrics[JUDGE_METRICS];
	size_t n;
} evaluations_body;
int evaluations_parse(const char *text, size_t len, evaluations_body *out, body_error *e);

/* POST /imports/label-studio: the ratings and preferences of a Label
 * Studio export, as JSON arrays (malloc'd) in store_ratings_import's form. */
int label_studio_import_parse(const char *text, size_t len, char **ratings, char **prefs, body_error *e);

/* POST /label-studio/predict: the body and the candidate ids of its tasks
 * as a PostgreSQL array literal (malloc'd). */
int label_studio_predict_parse(const char *text, size_t len, json_t **body, char **ids, body_error *e);

#endif
