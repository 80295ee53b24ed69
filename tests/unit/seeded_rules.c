/* Test helper: the risk rules exactly as the migrations seed them, parsed
 * from the migration files themselves (every `INSERT INTO risk_rules`
 * statement of every migrations/NNNN_*.sql, in file order), so that unit
 * tests and the evaluation runner test what `culturecare migrate` loads.
 * Build with -DSOURCE_ROOT='"/path/to/source"'. */
#include "tests/unit/seeded_rules.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/seeded_sql.h"

#ifndef SOURCE_ROOT
#error "compile with -DSOURCE_ROOT='\"/path/to/source\"'"
#endif


static int add_rule(void *r, char **f)
{
	return risk_rules_add(r, f[0], f[1], f[2]);
}

long seeded_rules_add_sql(risk_rules *r, const char *sql)
{
	return seeded_sql_rows(sql, "risk_rules", 3, add_rule, r);
}

static long add_sql(void *ud, const char *sql)
{
	return seeded_rules_add_sql(ud, sql);
}

risk_rules *seeded_rules_load(long *count)
{
	risk_rules *r = risk_rules_new();
	long total = r ? seeded_sql_each_migration(SOURCE_ROOT "/migrations", "risk rules", add_sql, r) : -1;
	if (total < 0) {
		risk_rules_free(r);
		r = NULL;
	}
	if (count)
		*count = total > 0 ? total : 0;
	return r;
}
