/* What both faces of the pipeline (POST /support and POST
 * /v1/chat/completions) do before it runs: the request prologue (content
 * type, JSON body, an object), the checks on the message and the caller's
 * annotations, the annotator's name, and errors in the face's shape
 * (OpenAI's error object for the OpenAI formats). */
#include "server/support/run.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "server/unicode.h"

#define SUPPORT_MAX_MESSAGE_CHARS 16000

#define MAX_GIVEN 50

#define MAX_PHRASE_CHARS 2000

const char *const support_annotator_names[] = {"auto", "llm", "corpus", "none", NULL};

static const char *const intensities[] = {"light", "moderate", "high", NULL};

static const char *const signal_types[] = {"Concepts", "Knowledge", "Values", "Norms and Morals",
					   "Language", "Artifacts", "Demographics", NULL};

static const char *openai_type(err_code code)
{
	switch (code) {
	case ERR_RATE_LIMITED:
		return "rate_limit_error";
	case ERR_OVERLOADED:
		return "server_error";
	case ERR_INTERNAL:
	case ERR_BACKEND_FAILED:
	case ERR_BACKEND_TIMEOUT:
	case ERR_NOT_READY:
	case ERR_DATABASE_UNAVAILABLE:
		return "api_error";
	default:
		return "invalid_request_error";
	}
}

/* OpenAI's error object: {"message", "type", "param", "code"}, with our
 * details and request id beside. */
json_t *support_openai_error(err_code code, const char *message, json_t *details, const char *request_id)
{
	const err_info *e = err_lookup(code);
	json_t *param = json_null();
	if (details && json_is_string(json_object_get(details, "field")))
		param = json_string(json_string_value(json_object_get(details, "field")));
	json_t *err = json_pack("{s:s,s:s,s:o,s:s}", "message", message ? message : e->message, "type", openai_type(code),
				"param", param, "code", e->name);
	if (details)
		json_object_set_new(err, "details", details);
	return json_pack("{s:o,s:s}", "error", err, "request_id", request_id);
}

void support_reply_error(http_req *r, enum support_format fmt, err_code code, const char *message, json_t *details)
{
	if (run_is_openai(fmt))
		http_reply_json(r, err_lookup(code)->status, support_openai_error(code, message, details, http_req_id(r)));
	else
		http_reply_error(r, code, message, details);
}

void support_invalid(http_req *r, enum support_format fmt, const char *field, const char *reason, json_t *extra)
{
	json_t *d = json_pack("{s:s,s:s}", "field", field, "reason", reason);
	if (extra)
		json_object_update(d, extra);
	json_decref(extra);
	support_reply_error(r, fmt, ERR_INVALID_FIELD, NULL, d);
}

static int in_list(const char *s, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static json_t *list_json(const char *const *list)
{
	json_t *a = json_array();
	for (int i = 0; list[i]; i++)
		json_array_append_new(a, json_string(list[i]));
	return a;
}

/* Validates the caller's annotations; returns 0 or replies 422. */
int support_check_annotations(http_req *r, json_t *given, enum support_format fmt)
{
	static const char *const keys[] = {"emotional_distress", "cultural_signals"};
	static const char *const label_keys[] = {"intensity", "type"};
	const char *const *labels[] = {intensities, signal_types};
	const char *key;
	json_t *v;
	json_object_foreach(given, key, v)
	{
		if (strcmp(key, keys[0]) && strcmp(key, keys[1])) {
			support_invalid(r, fmt, "annotations", "unknown member: expected emotional_distress and cultural_signals", NULL);
			return -1;
		}
	}
	for (int k = 0; k < 2; k++) {
		json_t *list = json_object_get(given, keys[k]);
		char field[64];
		snprintf(field, sizeof field, "annotations.%s", keys[k]);
		if (!list || json_is_null(list))
			continue;
		if (!json_is_array(list) || json_array_size(list) > MAX_GIVEN) {
			support_invalid(r, fmt, field, "must be an array of at most 50 items", NULL);
			return -1;
		}
		size_t i;
		json_t *item;
		json_array_foreach(list, i, item)
		{
			snprintf(field, sizeof field, "annotations.%s[%zu]", keys[k], i);
			json_t *phrase = json_object_get(item, "phrase");
			json_t *label = json_object_get(item, label_keys[k]);
			if (!json_is_object(item) || json_object_size(item) != 2 || !json_is_string(phrase) ||
			    !json_is_string(label)) {
				support_invalid(r, fmt, field,
					k == 0 ? "must be {\"phrase\": string, \"intensity\": string}"
					       : "must be {\"phrase\": string, \"type\": string}",
					NULL);
				return -1;
			}
			size_t pl = json_string_length(phrase);
			if (pl == 0 || utf8_length(json_string_value(phrase), pl) > MAX_PHRASE_CHARS) {
				support_invalid(r, fmt, field, "phrase must have 1 to 2000 characters", NULL);
				return -1;
			}
			if (!in_list(json_string_value(label), labels[k])) {
				support_invalid(r, fmt, field, k == 0 ? "unknown intensity" : "unknown signal type",
					json_pack("{s:o}", "allowed", list_json(labels[k])));
				return -1;
			}
		}
	}
	return 0;
}

int support_check_history(http_req *r, json_t *history, enum support_format fmt, const char *field)
{
	char at[64];
	if (!json_is_array(history) || json_array_size(history) > SUPPORT_MAX_HISTORY_TURNS) {
		support_invalid(r, fmt, field, "must be an array of at most 40 earlier turns, oldest first",
				json_pack("{s:i}", "max_turns", SUPPORT_MAX_HISTORY_TURNS));
		return -1;
	}
	size_t i, chars = 0;
	json_t *turn;
	json_array_foreach(history, i, turn)
	{
		snprintf(at, sizeof at, "%s[%zu]", field, i);
		const char *role = json_string_value(json_object_get(turn, "role"));
		json_t *content = json_object_get(turn, "content");
		if (!json_is_object(turn) || json_object_size(turn) != 2 || !role || !content) {
			support_invalid(r, fmt, at, "must be {\"role\": \"user\" or \"assistant\", \"content\": string}", NULL);
			return -1;
		}
		if (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0) {
			support_invalid(r, fmt, at, "role must be user or assistant",
					json_pack("{s:[s,s]}", "allowed", "user", "assistant"));
			return -1;
		}
		if (!json_is_string(content) || !support_message_ok(json_string_value(content), json_string_length(content))) {
			support_invalid(r, fmt, at, "content must be a string of 1 to 16000 characters, not only white space, and no NUL", NULL);
			return -1;
		}
		chars += utf8_length(json_string_value(content), json_string_length(content));
	}
	if (chars > SUPPORT_MAX_HISTORY_CHARS) {
		support_invalid(r, fmt, field, "the earlier turns have more than 32000 characters in all",
				json_pack("{s:i}", "max_chars", SUPPORT_MAX_HISTORY_CHARS));
		return -1;
	}
	return 0;
}

bool support_message_ok(const char *m, size_t len)
{
	size_t k = 0;
	while (k < len && (m[k] == ' ' || m[k] == '\n' || m[k] == '\t' || m[k] == '\r'))
		k++;
	return k < len && utf8_length(m, len) <= SUPPORT_MAX_MESSAGE_CHARS && !memchr(m, '\0', len);
}

bool json_content_type(const char *ct)
{
	return ct && strncasecmp(ct, "application/json", 16) == 0 && (!ct[16] || ct[16] == ';' || ct[16] == ' ');
}

json_t *support_read_body(http_req *r, enum support_format fmt)
{
	if (!json_content_type(http_req_header(r, "Content-Type"))) {
		support_reply_error(r, fmt, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
		return NULL;
	}
	size_t len;
	const char *text = http_req_body(r, &len);
	json_error_t jerr;
	json_t *body = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!body) {
		/* Position only: jansson's text can quote the input. */
		support_reply_error(r, fmt, ERR_MALFORMED_JSON, NULL,
				    json_pack("{s:i,s:i}", "line", jerr.line, "column", jerr.column));
		return NULL;
	}
	if (!json_is_object(body)) {
		json_decref(body);
		const char *reason = run_is_openai(fmt) ? "the request body must be a JSON object" : "must be a JSON object";
		support_reply_error(r, fmt, ERR_INVALID_FIELD, run_is_openai(fmt) ? reason : NULL,
				    json_pack("{s:s,s:s}", "field", "(body)", "reason", reason));
		return NULL;
	}
	return body;
}

int support_annotator_parse(const char *name, enum support_annotator *out)
{
	for (int i = 0; support_annotator_names[i]; i++)
		if (strcmp(name, support_annotator_names[i]) == 0) {
			*out = (enum support_annotator)i;
			return 0;
		}
	return -1;
}
