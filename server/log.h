/* Structured logs: one JSON object per line on stdout.
 * Never pass message text, replies or annotations to these functions. */
#ifndef CC_LOG_H
#define CC_LOG_H
#include <jansson.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(const char *name);
int log_enabled(enum log_level level);

/* Logs msg with the fields of `fields` (stolen, may be NULL). */
void log_json(enum log_level level, const char *msg, json_t *fields);

#endif
