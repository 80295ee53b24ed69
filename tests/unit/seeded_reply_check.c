/* Test helper: the reply check exactly as the migrations seed it: every
 * `INSERT INTO unsafe_reply_phrases` and `INSERT INTO reply_concepts`
 * statement of every migrations/NNNN_*.sql, in file order, one row a line
 * (`('lang', 'phrase', note),`, `('lang', 'concept', 'term', note),`), the
 * statement ending at a line ending in `;`. Rows that a later migration
 * deletes (`DELETE FROM reply_concepts WHERE (lang, concept, term) IN (`,
 * one row a line) are left out.
 * Build with -DSOURCE_ROOT='"/path/to/source"'. */
#include "tests/unit/seeded_reply_check.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/seeded_sql.h"

#ifndef SOURCE_ROOT
#error "compile with -DSOURCE_ROOT='\"/path/to/source\"'"
#endif


typedef struct seed_ctx {
	safety *s;
	const seeded_removals *rm;
	long removed;
} seed_ctx;

static int add_phrase(void *ud, char **f)
{
	const seed_ctx *c = ud;
	return safety_reply_add_phrase(c->s, f[1]);
}

static int add_term(void *ud, char **f)
{
	seed_ctx *c = ud;
	if (seeded_removed(c->rm, f)) {
		c->removed++;
		return 0;
	}
	return safety_reply_add_term(c->s, f[0], f[1], f[2]);
}

static long add_sql(void *ud, const char *sql)
{
	long k = seeded_sql_rows(sql, "unsafe_reply_phrases", 2, add_phrase, ud);
	long k2 = k >= 0 ? seeded_sql_rows(sql, "reply_concepts", 3, add_term, ud) : -1;
	return k2 < 0 ? -1 : k + k2;
}

safety *seeded_reply_check_load(long *count)
{
	safety *s = safety_new();
	seeded_removals rm = {0};
	seed_ctx c = {s, &rm, 0};
	long total = s ? seeded_removals_load(&rm, SOURCE_ROOT "/migrations",
					      "DELETE FROM reply_concepts WHERE (lang, concept, term) IN (", "reply_concepts")
		       : -1;
	if (total >= 0)
		total = seeded_sql_each_migration(SOURCE_ROOT "/migrations", "reply check", add_sql, &c);
	seeded_removals_free(&rm);
	if (total >= 0)
		total -= c.removed;
	if (total < 0) {
		safety_unref(s);
		s = NULL;
	}
	if (count)
		*count = total > 0 ? total : 0;
	return s;
}
