/* Test helper: the reply check (struct safety's output check) exactly as
 * the migrations seed it, parsed from the migration files themselves. */
#ifndef CC_TESTS_SEEDED_REPLY_CHECK_H
#define CC_TESTS_SEEDED_REPLY_CHECK_H
#include "server/safety/safety.h"

/* A new safety holding every reply-check row of every migrations/NNNN_*.sql
 * in file order; *count (may be NULL) gets their number. NULL (reported on
 * stderr) when a file cannot be read or a row cannot be parsed. */
safety *seeded_reply_check_load(long *count);

#endif
