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
	/* OpenAI clients show error.message only: it says why, as details.reason
	 * does (details is alive until the error is built). */
	if (run_is_openai(fmt) && !message)
		message = json_string_value(json_object_get(details, "reason"));
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

/* Validates the caller's annotations; returns 0, or -1 with e set (422). */
int support_check_annotations(json_t *given, body_error *e)
{
	static const char *const keys[] = {"emotional_distress", "cultural_signals"};
	static const char *const label_keys[] = {"intensity", "type"};
	const char *const *labels[] = {intensities, signal_types};
	const char *key;
	json_t *v;
	json_object_foreach(given, key, v)
	{
		if (strcmp(key, keys[0]) && strcmp(key, keys[1])) {
			body_error_invalid(e, "annotations", "unknown member: expected emotional_distress and cultural_signals", NULL);
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
			body_error_invalid(e, field, "must be an array of at most 50 items", NULL);
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
				body_error_invalid(e, field,
					k == 0 ? "must be {\"phrase\": string, \"intensity\": string}"
					       : "must be {\"phrase\": string, \"type\": string}",
					NULL);
				return -1;
			}
			size_t pl = json_string_length(phrase);
			if (pl == 0 || utf8_length(json_string_value(phrase), pl) > MAX_PHRASE_CHARS) {
				body_error_invalid(e, field, "phrase must have 1 to 2000 characters", NULL);
				return -1;
			}
			if (!in_list(json_string_value(label), labels[k])) {
				body_error_invalid(e, field, k == 0 ? "unknown intensity" : "unknown signal type",
					json_pack("{s:o}", "allowed", list_json(labels[k])));
				return -1;
			}
		}
	}
	return 0;
}

int support_check_history(json_t *history, const char *field, body_error *e)
{
	char at[64];
	if (!json_is_array(history) || json_array_size(history) > SUPPORT_MAX_HISTORY_TURNS)
		return body_error_invalid(e, field, "must be an array of at most 40 earlier turns, oldest first",
					  json_pack("{s:i}", "max_turns", SUPPORT_MAX_HISTORY_TURNS));
	size_t i, chars = 0;
	json_t *turn;
	json_array_foreach(history, i, turn)
	{
		snprintf(at, sizeof at, "%s[%zu]", field, i);
		const char *role = json_string_value(json_object_get(turn, "role"));
		json_t *content = json_object_get(turn, "content");
		if (!json_is_object(turn) || json_object_size(turn) != 2 || !role || !content)
			return body_error_invalid(e, at, "must be {\"role\": \"user\" or \"assistant\", \"content\": string}", NULL);
		if (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0)
			return body_error_invalid(e, at, "role must be user or assistant",
						  json_pack("{s:[s,s]}", "allowed", "user", "assistant"));
		if (!json_is_string(content) || !support_message_ok(json_string_value(content), json_string_length(content)))
			return body_error_invalid(e, at, "content must be a string of 1 to 16000 characters, not only white space, and no NUL", NULL);
		chars += utf8_length(json_string_value(content), json_string_length(content));
	}
	if (chars > SUPPORT_MAX_HISTORY_CHARS)
		return body_error_invalid(e, field, "the earlier turns have more than 32000 characters in all",
					  json_pack("{s:i}", "max_chars", SUPPORT_MAX_HISTORY_CHARS));
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

bool support_media_ok(http_req *r, enum support_format fmt)
{
	if (json_content_type(http_req_header(r, "Content-Type")))
		return true;
	support_reply_error(r, fmt, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, NULL);
	return false;
}

json_t *support_parse_object(const char *text, size_t len, enum support_format fmt, body_error *e)
{
	json_t *body = body_json(text, len, e);
	if (body && !json_is_object(body)) {
		json_decref(body);
		const char *reason = run_is_openai(fmt) ? "the request body must be a JSON object" : "must be a JSON object";
		body_error_invalid(e, "(body)", reason, NULL);
		e->message = run_is_openai(fmt) ? reason : NULL;
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
