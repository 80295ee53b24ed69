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


/* The rows of the `DELETE FROM risk_rules WHERE (lang, kind, pattern) IN (`
 * statements of all migrations: a later migration moves a rule of an
 * earlier one (to another kind), and the earlier INSERT is then skipped. */
typedef struct removals {
	char **keys; /* "lang\tkind\tpattern" */
	size_t n;
} removals;

typedef struct seed_ctx {
	risk_rules *r;
	removals *rm;
	long added;
} seed_ctx;

static char *key_of(char **f)
{
	size_t n = strlen(f[0]) + strlen(f[1]) + strlen(f[2]) + 3;
	char *k = malloc(n);
	if (k)
		snprintf(k, n, "%s\t%s\t%s", f[0], f[1], f[2]);
	return k;
}

static int add_removal(void *ud, char **f)
{
	removals *rm = ud;
	char **v = realloc(rm->keys, (rm->n + 1) * sizeof *v);
	char *k = v ? key_of(f) : NULL;
	if (v)
		rm->keys = v;
	if (!k)
		return -1;
	rm->keys[rm->n++] = k;
	return 0;
}

static bool removed(const removals *rm, char **f)
{
	char *k = rm && rm->n ? key_of(f) : NULL;
	bool found = false;
	for (size_t i = 0; k && !found && i < rm->n; i++)
		found = strcmp(rm->keys[i], k) == 0;
	free(k);
	return found;
}

static int add_rule(void *ud, char **f)
{
	seed_ctx *c = ud;
	if (removed(c->rm, f))
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

static long collect_removals(void *ud, const char *sql)
{
	return seeded_sql_statement_rows(sql, "DELETE FROM risk_rules WHERE (lang, kind, pattern) IN (", "risk_rules", 3,
					 add_removal, ud);
}

risk_rules *seeded_rules_load(long *count)
{
	risk_rules *r = risk_rules_new();
	removals rm = {0};
	seed_ctx c = {r, &rm, 0};
	long total = r ? seeded_sql_each_migration(SOURCE_ROOT "/migrations", "risk rule removals", collect_removals, &rm)
		       : -1;
	if (total >= 0)
		total = seeded_sql_each_migration(SOURCE_ROOT "/migrations", "risk rules", add_sql, &c);
	for (size_t i = 0; i < rm.n; i++)
		free(rm.keys[i]);
	free(rm.keys);
	if (total < 0) {
		risk_rules_free(r);
		r = NULL;
	}
	if (count)
		*count = total > 0 ? c.added : 0;
	return r;
}
