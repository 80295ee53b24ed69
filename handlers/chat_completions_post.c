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

static void invalid(http_req *r, const char *field, const char *reason)
{
	support_reply_error(r, FMT_OPENAI, ERR_INVALID_FIELD, reason, json_pack("{s:s,s:s}", "field", field, "reason", reason));
}

/* The text of the last user message: a string, or the text parts of an
 * array of content parts joined by newlines (a new string, or NULL). */
static char *last_user_text(json_t *messages, size_t *len)
{
	for (size_t i = json_array_size(messages); i-- > 0;) {
		json_t *m = json_array_get(messages, i);
		const char *role = json_string_value(json_object_get(m, "role"));
		if (!role || strcmp(role, "user") != 0)
			continue;
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
	return NULL;
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

void handler_chat_completions_post(http_req *r)
{
	json_t *body = support_read_body(r, FMT_OPENAI);
	if (!body)
		return;
	const char *field, *why = shape_error(body, &field);
	if (why) {
		json_decref(body);
		invalid(r, field, why);
		return;
	}
	json_t *messages = json_object_get(body, "messages"), *meta = json_object_get(body, "metadata");
	json_t *stream = json_object_get(body, "stream");
	char culture[128] = "", strategy[64] = "";
	const char *mn = json_string_value(json_object_get(body, "model"));
	culture_and_strategy(mn, meta, culture, strategy);
	if (!*culture) {
		json_decref(body);
		invalid(r, "model", "the model must be culturecare/<culture>[/<strategy>] (see GET /v1/models), or metadata must name the culture");
		return;
	}
	support_input in = {
		.body = body,
		.culture = NULL,
		.strategy = STRAT_GUIDED_ANNOTATION,
		.annotator = ANN_AUTO,
		.hints = meta_bool(meta, "support_hints", true),
		.include_prompt = meta_bool(meta, "include_prompt", false),
		.store = !json_is_false(json_object_get(body, "store")), /* OpenAI's own flag */
		.format = json_is_true(stream) ? FMT_OPENAI_SSE : FMT_OPENAI,
		.model_name = mn,
	};
	if (*strategy && prompt_strategy_parse(strategy, &in.strategy) < 0) {
		json_decref(body);
		invalid(r, "model", "unknown strategy: use redditor, profile, guided_without_profile, annotation_without_profile or guided_annotation (or standard, culture, guided, annotation, cga)");
		return;
	}
	const char *cc = json_string_value(json_object_get(meta, "country"));
	if (cc && strlen(cc) == 2)
		in.country = cc;
	const char *ann = json_string_value(json_object_get(meta, "annotator"));
	if (ann && support_annotator_parse(ann, &in.annotator) < 0) {
		json_decref(body);
		invalid(r, "metadata", "metadata.annotator must be auto, llm, corpus or none");
		return;
	}
	size_t mlen = 0;
	char *message = last_user_text(messages, &mlen);
	if (!message || !support_message_ok(message, mlen)) {
		free(message);
		json_decref(body);
		invalid(r, "messages", "the last user message must have 1 to 16000 characters of text");
		return;
	}
	/* The pipeline borrows its strings from the body: keep ours there. */
	json_object_set_new(body, "_culture", json_string(culture));
	json_object_set_new(body, "_message", json_stringn(message, mlen));
	free(message);
	in.culture = json_string_value(json_object_get(body, "_culture"));
	in.message = json_string_value(json_object_get(body, "_message"));
	in.message_len = mlen;
	if (!in.culture || !in.message) {
		json_decref(body);
		support_reply_error(r, FMT_OPENAI, ERR_INTERNAL, NULL, NULL);
		return;
	}
	support_start(r, &in);
}
