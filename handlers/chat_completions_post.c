/* POST /v1/chat/completions: the support pipeline behind OpenAI's chat API,
 * so that existing OpenAI clients and frontends work unchanged.
 *
 * The culture and strategy come from the model name, culturecare/<culture>
 * or culturecare/<culture>/<strategy>, or from "metadata" (culture,
 * strategy, annotator, support_hints: strings, as OpenAI's metadata is);
 * the last user message is the distressed person's message. Fields of
 * OpenAI's request that do not apply (temperature, n, tools...) are
 * accepted and ignored, so clients need no changes; errors use OpenAI's
 * error shape. */
#include <stdlib.h>
#include <string.h>

#include "handlers/handlers.h"
#include "server/support/support.h"
#include "server/util.h"

#define MODEL_PREFIX "culturecare/"

/* OpenAI's shape: the reason is the message too. Returns -1. */
static int invalid(body_error *e, const char *field, const char *reason)
{
	body_error_invalid(e, field, reason, NULL);
	e->message = reason;
	return -1;
}

/* The text of a message: a string, or the text parts of an array of
 * content parts joined by newlines (a new string); NULL for anything else. */
static char *message_text(json_t *m, size_t *len)
{
	json_t *content = json_object_get(m, "content");
	if (json_is_string(content)) {
		*len = json_string_length(content);
		char *out = malloc(*len + 1);
		if (out) {
			memcpy(out, json_string_value(content), *len);
			out[*len] = '\0';
		}
		return out;
	}
	if (!json_is_array(content))
		return NULL;
	size_t total = 0, k;
	json_t *part;
	json_array_foreach(content, k, part)
		if (json_is_string(json_object_get(part, "text")))
			total += json_string_length(json_object_get(part, "text")) + 1;
	char *out = malloc(total + 1);
	if (!out)
		return NULL;
	size_t n = 0;
	json_array_foreach(content, k, part)
	{
		json_t *t = json_object_get(part, "text");
		if (!json_is_string(t))
			continue;
		if (n)
			out[n++] = '\n';
		memcpy(out + n, json_string_value(t), json_string_length(t));
		n += json_string_length(t);
	}
	out[n] = '\0';
	*len = n;
	return out;
}

static const char *role_of(json_t *m)
{
	const char *role = json_string_value(json_object_get(m, "role"));
	return role ? role : "";
}

/* The conversation: the messages before the last user message become the
 * earlier turns (*history, a new array; the client's system and developer
 * messages are left out and counted in *ignored), the last user message
 * the message (*message, a new string). -1 with e set (422). */
static int conversation(body_error *e, json_t *messages, json_t **history, char **message, size_t *mlen,
			unsigned *ignored)
{
	size_t last = json_array_size(messages);
	while (last-- > 0 && strcmp(role_of(json_array_get(messages, last)), "user") != 0)
		;
	*history = json_array();
	*message = NULL;
	char field[48];
	for (size_t i = 0; i <= last && i < json_array_size(messages); i++) {
		json_t *m = json_array_get(messages, i);
		const char *role = role_of(m);
		snprintf(field, sizeof field, "messages[%zu]", i);
		if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
			(*ignored)++;
			continue;
		}
		if (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0) {
			return invalid(e, field, "role must be system, developer, user or assistant (tools are not offered)");
		}
		size_t len = 0;
		char *text = message_text(m, &len);
		if (!text || !support_message_ok(text, len)) {
			free(text);
			return invalid(e, field, i == last ? "the last user message must have 1 to 16000 characters of text"
						  : "content must be text of 1 to 16000 characters");
		}
		if (i == last) {
			*message = text;
			*mlen = len;
			return 0;
		}
		json_array_append_new(*history, json_pack("{s:s,s:s%}", "role", role, "content", text, len));
		free(text);
	}
	return invalid(e, "messages", "the last user message must have 1 to 16000 characters of text");
}

static bool meta_bool(json_t *meta, const char *key, bool dflt)
{
	const char *v = json_string_value(json_object_get(meta, key));
	json_t *b = json_object_get(meta, key);
	if (json_is_boolean(b))
		return json_is_true(b);
	if (!v)
		return dflt;
	return strcmp(v, "true") == 0 || strcmp(v, "1") == 0;
}

/* The field and reason when body is not a request this endpoint takes,
 * else NULL. */
static const char *shape_error(json_t *body, const char **field)
{
	json_t *model = json_object_get(body, "model"), *messages = json_object_get(body, "messages");
	json_t *meta = json_object_get(body, "metadata"), *n = json_object_get(body, "n");
	*field = "model";
	if (!json_is_string(model))
		return "model is required: culturecare/<culture> or culturecare/<culture>/<strategy>";
	*field = "messages";
	if (!json_is_array(messages) || json_array_size(messages) == 0)
		return "messages must be a non-empty array";
	*field = "metadata";
	if (meta && !json_is_null(meta) && !json_is_object(meta))
		return "metadata must be an object";
	*field = "n";
	if (n && !json_is_null(n) && !(json_is_integer(n) && json_integer_value(n) == 1))
		return "only n = 1 is supported";
	return NULL;
}

/* The culture and strategy ("" when none): the model name mn first, then
 * metadata. */
static void culture_and_strategy(const char *mn, json_t *meta, char culture[128], char strategy[64])
{
	if (strncmp(mn, MODEL_PREFIX, strlen(MODEL_PREFIX)) == 0) {
		const char *c = mn + strlen(MODEL_PREFIX);
		const char *slash = strchr(c, '/');
		size_t cl = slash ? (size_t)(slash - c) : strlen(c);
		if (cl < 128) {
			memcpy(culture, c, cl);
			culture[cl] = '\0';
		}
		if (slash)
			snprintf(strategy, 64, "%s", slash + 1);
	}
	const char *mc = json_string_value(json_object_get(meta, "culture"));
	const char *ms = json_string_value(json_object_get(meta, "strategy"));
	if (!*culture && mc)
		snprintf(culture, 128, "%s", mc);
	if (!*strategy && ms)
		snprintf(strategy, 64, "%s", ms);
}

/* The strategy, country, annotator and message of the request; -1 with e
 * set. */
static int chat_options(json_t *body, json_t *meta, const char *strategy, support_input *in, body_error *e)
{
	if (*strategy && prompt_strategy_parse(strategy, &in->strategy) < 0)
		return invalid(e, "model", "unknown strategy: use redditor, profile, guided_without_profile, annotation_without_profile or guided_annotation (or standard, culture, guided, annotation, cga)");
	const char *cc = json_string_value(json_object_get(meta, "country"));
	if (cc && strlen(cc) == 2)
		in->country = cc;
	const char *ann = json_string_value(json_object_get(meta, "annotator"));
	if (ann && support_annotator_parse(ann, &in->annotator) < 0)
		return invalid(e, "metadata", "metadata.annotator must be auto, llm, corpus or none");
	in->annotate_all = json_is_string(json_object_get(meta, "annotate")) &&
			   strcmp(json_string_value(json_object_get(meta, "annotate")), "all") == 0;
	size_t mlen = 0;
	char *message = NULL;
	json_t *history = NULL;
	if (conversation(e, json_object_get(body, "messages"), &history, &message, &mlen, &in->system_ignored) < 0 ||
	    support_check_history(history, "messages", e) < 0) {
		free(message);
		json_decref(history);
		return -1;
	}
	/* The pipeline borrows its strings from the body: keep ours there. */
	json_object_set_new(body, "_message", json_stringn(message, mlen));
	json_object_set_new(body, "_history", history);
	free(message);
	in->message = json_string_value(json_object_get(body, "_message"));
	in->message_len = mlen;
	in->history = json_object_get(body, "_history");
	return in->message ? 0 : body_error_set(e, ERR_INTERNAL, NULL, NULL);
}

int chat_completions_parse(const char *text, size_t len, support_input *in, body_error *e)
{
	json_t *body = support_parse_object(text, len, FMT_OPENAI, e);
	if (!body)
		return -1;
	const char *field, *why = shape_error(body, &field);
	if (why) {
		json_decref(body);
		return invalid(e, field, why);
	}
	json_t *meta = json_object_get(body, "metadata");
	char culture[128] = "", strategy[64] = "";
	const char *mn = json_string_value(json_object_get(body, "model"));
	culture_and_strategy(mn, meta, culture, strategy);
	if (!*culture) {
		json_decref(body);
		return invalid(e, "model", "the model must be culturecare/<culture>[/<strategy>] (see GET /v1/models), or metadata must name the culture");
	}
	json_object_set_new(body, "_culture", json_string(culture));
	*in = (support_input){
		.body = body,
		.culture = json_string_value(json_object_get(body, "_culture")),
		.strategy = STRAT_GUIDED_ANNOTATION,
		.annotator = ANN_AUTO,
		.hints = meta_bool(meta, "support_hints", true),
		.include_prompt = meta_bool(meta, "include_prompt", false),
		.store = !json_is_false(json_object_get(body, "store")), /* OpenAI's own flag */
		.format = json_is_true(json_object_get(body, "stream")) ? FMT_OPENAI_SSE : FMT_OPENAI,
		.model_name = json_string_value(json_object_get(body, "model")),
	};
	if (!in->culture || chat_options(body, meta, strategy, in, e) < 0) {
		if (!in->culture)
			body_error_set(e, ERR_INTERNAL, NULL, NULL);
		json_decref(body);
		in->body = NULL;
		return -1;
	}
	return 0;
}

void handler_chat_completions_post(http_req *r)
{
	if (!support_media_ok(r, FMT_OPENAI))
		return;
	size_t len;
	const char *text = http_req_body(r, &len);
	support_input in;
	body_error e;
	if (chat_completions_parse(text, len, &in, &e) < 0) {
		support_reply_error(r, FMT_OPENAI, e.code, e.message, e.details);
		return;
	}
	support_start(r, &in);
}
