/* Test helper: the risk rules as the migrations seed them (see
 * seeded_rules.c). */
#ifndef CC_TESTS_SEEDED_RULES_H
#define CC_TESTS_SEEDED_RULES_H
#include "server/safety/risk.h"

/* Adds the rules of every `INSERT INTO risk_rules` statement of sql: one
 * rule a line, `('lang', 'kind', 'pattern', note),`. Returns the number of
 * rules, or -1 (and reports) on a malformed line or a refused rule. */
long seeded_rules_add_sql(risk_rules *r, const char *sql);
/* Every migration's rules, in file order; *count (may be NULL) gets their
 * number. NULL (reported on stderr) when a file cannot be read or parsed. */
risk_rules *seeded_rules_load(long *count);

#endif
