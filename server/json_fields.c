/* Declarative member checking for request bodies (see json_fields.h). */
#include "server/json_fields.h"

#include <string.h>

static const char *type_reason(json_field_type t)
{
	switch (t) {
	case JF_STRING:
		return "must be a string";
	case JF_BOOL:
		return "must be true or false";
	case JF_OBJECT:
		return "must be an object";
	case JF_ARRAY:
		return "must be an array";
	}
	return "has the wrong type";
}

static bool type_ok(json_t *v, json_field_type t)
{
	switch (t) {
	case JF_STRING:
		return json_is_string(v);
	case JF_BOOL:
		return json_is_boolean(v);
	case JF_OBJECT:
		return json_is_object(v);
	case JF_ARRAY:
		return json_is_array(v);
	}
	return false;
}

int json_fields_check(json_t *obj, const json_field *fields, size_t n, const char **field, const char **reason)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(fields[i].name, key) == 0;
		if (!known) {
			*field = key;
			*reason = "unknown field";
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++) {
		v = json_object_get(obj, fields[i].name);
		if (json_is_null(v))
			v = NULL;
		if (!v && fields[i].required) {
			*field = fields[i].name;
			*reason = "required";
			return -1;
		}
		if (v && !type_ok(v, fields[i].type)) {
			*field = fields[i].name;
			*reason = type_reason(fields[i].type);
			return -1;
		}
		if (fields[i].out)
			*fields[i].out = v;
	}
	return 0;
}
