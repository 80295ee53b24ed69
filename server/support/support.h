/* The support pipeline as the handlers see it (POST /support and POST
 * /v1/chat/completions): the parsed input, the request prologue and checks
 * both faces share, and support_start, which runs the stages (run.h) and
 * always answers the request. */
#ifndef CC_SUPPORT_SUPPORT_H
#define CC_SUPPORT_SUPPORT_H
#include <jansson.h>
#include <stdbool.h>

#include "server/body_error.h"
#include "server/http.h"
#include "server/safety/risk.h"
#include "server/support/lexicon.h"
#include "server/support/prompt.h"

enum support_annotator { ANN_AUTO, ANN_LLM, ANN_CORPUS, ANN_NONE };
extern const char *const support_annotator_names[]; /* indexed by the enum, NULL-terminated */

enum support_format {
	FMT_SUPPORT,        /* the service's JSON reply */
	FMT_SUPPORT_SSE,    /* events meta, delta, done | error */
	FMT_OPENAI,         /* chat.completion */
	FMT_OPENAI_SSE,     /* chat.completion.chunk events, then [DONE] */
};

/* What a handler has parsed and checked. Strings are borrowed from body,
 * which the pipeline takes over. */
typedef struct support_input {
	json_t *body;
	const char *message;
	size_t message_len;
	const char *culture;     /* code or alias as given */
	prompt_strategy strategy;
	enum support_annotator annotator;
	json_t *given;           /* the caller's annotations, or NULL */
	bool hints, dry_run, include_prompt;
	bool store;              /* false: the caller asked not to store this reply */
	enum support_format format;
	const char *model_name;  /* OpenAI formats: the model name to report */
	const char *country;     /* ISO 3166-1 alpha-2 for crisis resources, or NULL */
	json_t *history;         /* earlier turns, oldest first, [{"role", "content"}], checked
				  * by support_check_history; NULL or empty: none */
	bool annotate_all;       /* annotate: "all": the corpus's annotations on earlier user turns too */
	unsigned system_ignored; /* /v1: the client's system messages left out */
} support_input;

/* A conversation's bounds: earlier turns (user and assistant) and their
 * characters in all. */
#define SUPPORT_MAX_HISTORY_TURNS 40
#define SUPPORT_MAX_HISTORY_CHARS 32000

/* The request prologue: false after replying 415 (in the format's error
 * shape) unless the content type is JSON. */
bool support_media_ok(http_req *r, enum support_format fmt);
/* The body text[0..len) as a JSON object (a new reference), or NULL with e
 * set: 400 when it is not JSON, 422 when not an object (with the OpenAI
 * formats' message). Pure. */
json_t *support_parse_object(const char *text, size_t len, enum support_format fmt, body_error *e);

/* The annotator named name; -1 when there is none of that name. */
int support_annotator_parse(const char *name, enum support_annotator *out);

/* Validates the caller's annotations object: 0, or -1 with e set (422). */
int support_check_annotations(json_t *given, body_error *e);

/* The parse steps of POST /support and POST /v1/chat/completions: the body
 * text[0..len) into *in (in->body then owns what the strings point into),
 * or -1 with e set to the refusal (400 or 422; OpenAI's message for the
 * second). Pure: the culture is looked up later, by the pipeline. */
int support_post_parse(const char *text, size_t len, support_input *in, body_error *e);
int chat_completions_parse(const char *text, size_t len, support_input *in, body_error *e);

/* Replies with an error in the format's shape (OpenAI's for the OpenAI
 * formats). details is stolen. */
void support_reply_error(http_req *r, enum support_format fmt, err_code code, const char *message, json_t *details);

/* Validates earlier turns (field names the member in errors: "history"
 * or "messages"): an array of at most SUPPORT_MAX_HISTORY_TURNS objects
 * {"role": "user" | "assistant", "content": 1 to 16000 characters}, at most
 * SUPPORT_MAX_HISTORY_CHARS characters in all. Pure: on error -1 with e
 * set (422, naming the turn, never quoting its text). */
int support_check_history(json_t *history, const char *field, body_error *e);

/* Checks for a message: 1 to 16000 characters, not only white space, no NUL. */
bool support_message_ok(const char *m, size_t len);
/* True for "application/json" with or without parameters. */
bool json_content_type(const char *content_type);

/* Runs the pipeline; always answers the request. Takes in->body. */
void support_start(http_req *r, support_input *in);

/* For other pipelines over the same stages (candidates): the corpus's
 * annotations of a message from its match, {"emotional_distress",
 * "cultural_signals"} (a new reference); and the system prompt's addition
 * for a risk level (NULL for none). */
json_t *support_corpus_annotations(lexicon *lex, const lexicon_culture *c, const lexicon_result *match,
				   const char *message, size_t len);
const char *support_risk_instructions(risk_level level);

#endif
