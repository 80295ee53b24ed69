/* POST /support: a culturally adapted emotional-support reply, as JSON or
 * as Server-Sent Events ("stream": true). Parses and checks the body
 * (support_post_parse, pure), then hands over to the support pipeline
 * (server/support/run.c). Nothing of the message is ever echoed. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "handlers/handlers.h"
#include "server/support/support.h"
#include "server/json_fields.h"
#include "server/util.h"

/* The options of the body, checked; -1 with e set. */
static int support_options(json_t *strategy, json_t *annotator, json_t *country, support_input *in, body_error *e)
{
	if (country) {
		const char *cc = json_string_value(country);
		if (strlen(cc) != 2 || !isalpha((unsigned char)cc[0]) || !isalpha((unsigned char)cc[1]))
			return body_error_invalid(e, "country", "an ISO 3166-1 alpha-2 code such as DE, IL, CN", NULL);
		in->country = cc;
	}
	if (!support_message_ok(in->message, in->message_len))
		return body_error_invalid(e, "message", "must have 1 to 16000 characters, not only white space, and no NUL", NULL);
	if (strategy && prompt_strategy_parse(json_string_value(strategy), &in->strategy) < 0) {
		json_t *allowed = json_array();
		for (int i = 0; i < STRAT__COUNT; i++)
			json_array_append_new(allowed, json_string(prompt_strategy_name((prompt_strategy)i)));
		return body_error_invalid(e, "strategy", "unknown strategy (the paper's short names standard, culture, guided, annotation, cga work too)",
			json_pack("{s:o}", "allowed", allowed));
	}
	if (annotator && support_annotator_parse(json_string_value(annotator), &in->annotator) < 0)
		return body_error_invalid(e, "annotator", "unknown annotator",
			json_pack("{s:[s,s,s,s]}", "allowed", "auto", "llm", "corpus", "none"));
	if (in->given && support_check_annotations(in->given, e) < 0)
		return -1;
	return 0;
}

/* annotate ("last" or "all") and the earlier turns; -1 with e set. */
static int conversation_options(json_t *annotate, support_input *in, body_error *e)
{
	if (annotate) {
		const char *what = json_string_value(annotate);
		if (strcmp(what, "all") != 0 && strcmp(what, "last") != 0)
			return body_error_invalid(e, "annotate", "must be last (the default) or all",
						  json_pack("{s:[s,s]}", "allowed", "last", "all"));
		in->annotate_all = strcmp(what, "all") == 0;
	}
	return in->history ? support_check_history(in->history, "history", e) : 0;
}

int support_post_parse(const char *text, size_t len, support_input *in, body_error *e)
{
	json_t *body = support_parse_object(text, len, FMT_SUPPORT, e);
	if (!body)
		return -1;
	json_t *message = NULL, *culture = NULL, *strategy = NULL, *annotations = NULL, *annotator = NULL,
	       *hints = NULL, *dry_run = NULL, *include_prompt = NULL, *stream = NULL, *country = NULL,
	       *store = NULL, *history = NULL, *annotate = NULL;
	const json_field fields[] = {
		{"message", JF_STRING, true, &message},
		{"culture", JF_STRING, true, &culture},
		{"strategy", JF_STRING, false, &strategy},
		{"annotations", JF_OBJECT, false, &annotations},
		{"annotator", JF_STRING, false, &annotator},
		{"support_hints", JF_BOOL, false, &hints},
		{"dry_run", JF_BOOL, false, &dry_run},
		{"include_prompt", JF_BOOL, false, &include_prompt},
		{"stream", JF_BOOL, false, &stream},
		{"country", JF_STRING, false, &country},
		{"store", JF_BOOL, false, &store},
		{"history", JF_ARRAY, false, &history},
		{"annotate", JF_STRING, false, &annotate},
	};
	const char *field, *reason;
	if (json_fields_check(body, fields, sizeof fields / sizeof fields[0], &field, &reason) < 0) {
		body_error_invalid(e, field, reason, NULL);
		json_decref(body);
		return -1;
	}
	*in = (support_input){
		.body = body,
		.message = json_string_value(message),
		.message_len = json_string_length(message),
		.culture = json_string_value(culture),
		.strategy = STRAT_GUIDED_ANNOTATION,
		.annotator = ANN_AUTO,
		.given = annotations,
		.hints = hints ? json_is_true(hints) : true,
		.dry_run = dry_run && json_is_true(dry_run),
		.include_prompt = include_prompt && json_is_true(include_prompt),
		.store = !store || json_is_true(store),
		.format = stream && json_is_true(stream) ? FMT_SUPPORT_SSE : FMT_SUPPORT,
		.history = history,
	};
	if (support_options(strategy, annotator, country, in, e) < 0 || conversation_options(annotate, in, e) < 0) {
		json_decref(body);
		in->body = NULL;
		return -1;
	}
	return 0;
}

void handler_support_post(http_req *r)
{
	if (!support_media_ok(r, FMT_SUPPORT))
		return;
	size_t len;
	const char *text = http_req_body(r, &len);
	support_input in;
	body_error e;
	if (support_post_parse(text, len, &in, &e) < 0) {
		http_reply_error(r, e.code, e.message, e.details);
		return;
	}
	support_start(r, &in);
}
