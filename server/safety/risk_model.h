/* The optional second opinion on risk (RISK_MODEL_CHECK): a prompt that
 * asks the model to grade the message on the same C-SSRS levels as the
 * rules, answered as JSON, and the check of its answer. The service takes
 * the higher of the two levels; the model can never lower the rules'.
 * Pure: no I/O. */
#ifndef CC_RISK_MODEL_H
#define CC_RISK_MODEL_H
#include "server/support/prompt.h"
#include "server/safety/risk.h"

/* Builds the classification prompt; the user turn is the message. Returns
 * 0, or -1 (NULL/empty message, out of memory). Free with prompt_clear(). */
int risk_model_prompt(const char *message, prompt *out);

/* Reads {"risk_level": "...", "categories": [...]} from the model's content
 * (tolerating ``` fences and prose around the object). Returns 0 with
 * *level and *categories (risk_category bits; RISK_CAT_SELF when the level
 * is above none), or -1 when there is no such object or the level is not
 * one of the five names. */
int risk_model_parse(const char *content, risk_level *level, unsigned *categories);

/* Combines: the higher level wins; categories are joined. Returns what the
 * model's opinion did: "raised", "agreed" or "lower_ignored". */
const char *risk_model_combine(risk_result *rules, risk_level model_level, unsigned model_categories);

#endif
