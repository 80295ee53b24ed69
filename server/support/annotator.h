/* Annotation by the model: the prompt that asks it to find emotional
 * distress phrases and cultural signals in a message, answered as JSON, and
 * the check of its answer against the message. Pure: no I/O. */
#ifndef CC_ANNOTATOR_H
#define CC_ANNOTATOR_H
#include <stddef.h>

#include <jansson.h>

#include "server/support/prompt.h"

/* Longest list annotator_parse_reply() returns. */
#define ANNOTATOR_MAX_ITEMS 20

/* Builds the extraction prompt. The system turn asks for one JSON object
 * only:
 *   {"emotional_distress":[{"phrase": exact substring of the message,
 *                           "intensity": "light|moderate|high"}],
 *    "cultural_signals":[{"phrase": exact substring, "type": one of the seven
 *                         types}]}
 * with short definitions of distress, intensities and the seven types, and
 * the culture's display name as context (culture may be NULL: then none is
 * given). The user turn is the message. Returns 0, or -1 when message is
 * NULL or empty, or out of memory (out is then left empty). Free out with
 * prompt_clear(). */
int annotator_build_prompt(const char *message, const char *culture, prompt *out);

/* Validates a model's answer (the content string) against message. Returns a
 * new json object, owned by the caller (json_decref):
 *   {"emotional_distress":[{"phrase","intensity"}],
 *    "cultural_signals":[{"phrase","type"}]}
 * keeping only items whose phrase occurs in the message (case-insensitive for
 * ASCII letters, after trimming spaces and surrounding quotes; the returned
 * phrase is the span as it appears in the message) and whose label is a valid
 * intensity / type (matched case-insensitively, returned in its canonical
 * spelling), dropping repeated phrases within a list, at most
 * ANNOTATOR_MAX_ITEMS per list. Both arrays are always present in the
 * result. Tolerates the JSON wrapped in ``` fences, or with prose before the
 * first '{' or after the object. Returns NULL when the content holds no JSON
 * object with at least one of the two arrays, writing a short reason (never
 * quoting the content) into err (err may be NULL; errlen is its size). */
json_t *annotator_parse_reply(const char *content, const char *message, char *err, size_t errlen);

#endif
