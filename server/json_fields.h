/* Declarative checking of a JSON object's members: a handler lists the
 * fields it accepts, one call checks presence, types and unknown members. */
#ifndef CC_JSON_FIELDS_H
#define CC_JSON_FIELDS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

typedef enum json_field_type { JF_STRING, JF_BOOL, JF_OBJECT, JF_ARRAY } json_field_type;

typedef struct json_field {
	const char *name;
	json_field_type type;
	bool required;
	json_t **out; /* set to the member (borrowed) or NULL when absent/null */
} json_field;

/* Checks obj against fields. A JSON null counts as absent. On failure
 * returns -1 and points *field at the offending member's name (borrowed from
 * obj or fields) and *reason at a static explanation. */
int json_fields_check(json_t *obj, const json_field *fields, size_t n, const char **field, const char **reason);

#endif
