/* Test helper: the reply check exactly as the migrations seed it: every
 * `INSERT INTO unsafe_reply_phrases` and `INSERT INTO reply_concepts`
 * statement of every migrations/NNNN_*.sql, in file order, one row a line
 * (`('lang', 'phrase', note),`, `('lang', 'concept', 'term', note),`), the
 * statement ending at a line ending in `;`.
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


static int add_phrase(void *s, char **f)
{
	return safety_reply_add_phrase(s, f[1]);
}

static int add_term(void *s, char **f)
{
	return safety_reply_add_term(s, f[0], f[1], f[2]);
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
	long total = s ? seeded_sql_each_migration(SOURCE_ROOT "/migrations", "reply check", add_sql, s) : -1;
	if (total < 0) {
		safety_unref(s);
		s = NULL;
	}
	if (count)
		*count = total > 0 ? total : 0;
	return s;
}
