/* Builds the in-memory safety data (server/safety/safety.h) from what
 * store_safety_load reads. */
#ifndef CC_SAFETY_BUILD_H
#define CC_SAFETY_BUILD_H
#include "server/safety/safety.h"
#include "store/store.h"

/* A new struct safety with one reference, or NULL (out of memory, or
 * resources that cannot be prepared). Rules that do not parse are skipped
 * with a warning. Logs the counts loaded. tm: the text model the risk
 * assessment and the reply check also ask (borrowed; NULL: none). */
safety *safety_build(const store_safety_data *d, const struct text_model *tm);

#endif
