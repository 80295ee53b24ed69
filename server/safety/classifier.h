/* The classifier stage (RISK_CLASSIFIER): a second opinion on the suicide
 * and self-harm risk of a message, and a check of generated replies, by
 * one of three kinds:
 *
 *   moderation   an OpenAI-compatible moderation API
 *                (POST {MODERATION_URL}/moderations {"model", "input"}),
 *                scores of self-harm, self-harm/intent and
 *                self-harm/instructions against configured thresholds;
 *   llama-guard  Llama Guard 3 through the chat backend, in its own prompt
 *                (categories S1..S14; S11 is suicide and self-harm), or
 *                as the conversation's turns when the backend's chat
 *                template writes that prompt
 *                (RISK_CLASSIFIER_LLAMA_GUARD_FORMAT=conversation);
 *   chat-json    the JSON-mode grading of server/safety/risk_model.c (C-SSRS
 *                levels), through the chat backend.
 *
 * auto (the default) is moderation when MODERATION_URL is set, else
 * chat-json; RISK_MODEL_CHECK=on is an older name for chat-json.
 * Replies are checked by moderation and llama-guard only (chat-json grades
 * the writer, not a text).
 *
 * A call ends by itself within RISK_CLASSIFIER_TIMEOUT_MS (the backend
 * call's own deadline). The pipeline that combines the opinion with the
 * rules' level is in server/support/stage_assess.c: the classifier can only raise.
 * Threading: loop thread only. */
#ifndef CC_CLASSIFIER_H
#define CC_CLASSIFIER_H
#include <stdbool.h>
#include <stddef.h>

#include "server/config.h"
#include "server/llm/llm.h"
#include "server/safety/risk.h"

typedef enum classifier_kind { CLS_OFF, CLS_MODERATION, CLS_LLAMA_GUARD, CLS_CHAT_JSON, CLS_KINDS } classifier_kind;

/* The configured kind, auto and RISK_MODEL_CHECK resolved. */
classifier_kind classifier_kind_of(const config *cfg);
/* "off", "moderation", "llama-guard", "chat-json". */
const char *classifier_kind_name(classifier_kind k);
/* True for the kinds that check generated replies too. */
bool classifier_checks_replies(classifier_kind k);

/* Start-up: checks the settings (moderation needs MODERATION_URL) and logs
 * the kind in use, as a warning when it is off. Returns 0, or -1 with a
 * reason in err. */
int classifier_setup(const config *cfg, char *err, size_t errlen);

typedef enum classifier_status { CV_ANSWERED, CV_TIMEOUT, CV_FAILED, CV_CANCELLED } classifier_status;

typedef struct classifier_verdict {
	classifier_status status;
	/* messages: true when the answer grades the writer (moderation and
	 * chat-json always; llama-guard only with S11); then level and
	 * categories (risk_category bits) hold it */
	bool opinion;
	risk_level level;
	unsigned categories;
	/* replies: the reply must not be sent */
	bool flagged;
	char codes[64]; /* llama-guard's categories ("S1,S11"), else "" */
	double ms;      /* the call's duration */
} classifier_verdict;

typedef void (*classifier_cb)(void *ud, const classifier_verdict *v);
typedef struct classifier_call classifier_call;

/* Classifies message (reply NULL) or the reply to message. Returns the
 * call (cb runs once, later, never before this returns), or NULL when it
 * could not start (then cb never runs). */
classifier_call *classifier_start(llm_client *c, const config *cfg, classifier_kind k, const char *message,
				  const char *reply, classifier_cb cb, void *ud);

/* Abandons a call: cb never runs. */
void classifier_cancel(classifier_call *call);

/* ---- pure parts ---- */

/* {"model": model, "input": input}; a new string. */
char *classifier_moderation_body(const char *model, const char *input);

typedef struct moderation_scores {
	double self_harm, intent, instructions;
} moderation_scores;

/* Reads results[0].category_scores (or, where a score is missing,
 * results[0].categories as 1 or 0) of a moderation answer. Returns 0, or
 * -1 when the answer has none of the three self-harm categories. */
int classifier_moderation_parse(const char *body, moderation_scores *out);

/* The message's level from its scores: intent or instructions at their
 * thresholds high, self-harm at its threshold moderate, else none. */
risk_level classifier_moderation_level(const config *cfg, const moderation_scores *s);

/* A reply is flagged at the intent or the instructions threshold. */
bool classifier_moderation_flags_reply(const config *cfg, const moderation_scores *s);

/* Llama Guard 3's prompt: the assessment of the last User message, or with
 * a reply, of the Agent's reply to it. A new string. */
char *classifier_llama_guard_prompt(const char *message, const char *reply);

/* Reads "safe" or "unsafe\nS1,S11" (case and spaces tolerated). Returns 0
 * with *unsafe and the category codes joined by commas in codes (only
 * well-formed S<number> codes), or -1 when the first line is neither. */
int classifier_llama_guard_parse(const char *content, bool *unsafe, char *codes, size_t codes_len);

/* True when codes ("S1,S11") holds S11, suicide and self-harm. */
bool classifier_llama_guard_self_harm(const char *codes);

#endif
