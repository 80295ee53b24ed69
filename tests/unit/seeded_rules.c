/* Test helper: the risk rules exactly as the migrations seed them, parsed
 * from the migration files themselves (every `INSERT INTO risk_rules`
 * statement of every migrations/NNNN_*.sql, in file order), so that unit
 * tests and the evaluation runner test what `culturecare migrate` loads.
 * Rows that a later migration deletes (`DELETE FROM risk_rules WHERE
 * (lang, kind, pattern) IN (` one row a line) are left out. Build with
 * -DSOURCE_ROOT='"/path/to/source"'. */
#include "tests/unit/seeded_rules.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/seeded_sql.h"

#ifndef SOURCE_ROOT
#error "compile with -DSOURCE_ROOT='\"/path/to/source\"'"
#endif


typedef struct seed_ctx {
	risk_rules *r;
	seeded_removals *rm;
	long added;
} seed_ctx;

static int add_rule(void *ud, char **f)
{
	seed_ctx *c = ud;
	if (seeded_removed(c->rm, f))
		return 0;
	c->added++;
	return risk_rules_add(c->r, f[0], f[1], f[2]);
}

long seeded_rules_add_sql(risk_rules *r, const char *sql)
{
	seed_ctx c = {r, NULL, 0};
	return seeded_sql_rows(sql, "risk_rules", 3, add_rule, &c);
}

static long add_sql(void *ud, const char *sql)
{
	seed_ctx *c = ud;
	return seeded_sql_rows(sql, "risk_rules", 3, add_rule, c);
}

risk_rules *seeded_rules_load(long *count)
{
	risk_rules *r = risk_rules_new();
	seeded_removals rm = {0};
	seed_ctx c = {r, &rm, 0};
	long total = r ? seeded_removals_load(&rm, SOURCE_ROOT "/migrations",
					      "DELETE FROM risk_rules WHERE (lang, kind, pattern) IN (", "risk_rules")
		       : -1;
	if (total >= 0)
		total = seeded_sql_each_migration(SOURCE_ROOT "/migrations", "risk rules", add_sql, &c);
	seeded_removals_free(&rm);
	if (total < 0) {
		risk_rules_free(r);
		r = NULL;
	}
	if (count)
		*count = total > 0 ? c.added : 0;
	return r;
}
