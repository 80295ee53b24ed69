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


/* Adds the rules of every `INSERT INTO risk_rules` statement of sql: one
 * rule a line, `('lang', 'kind', 'pattern', note),` with the statement
 * ending at a line ending in `;`. Returns the number of rules, or -1 (and
 * reports) on a malformed line or a rule risk_rules_add refuses. */
long seeded_rules_add_sql(risk_rules *r, const char *sql)
{
	long n = 0;
	bool in_insert = false;
	for (const char *line = sql; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!in_insert) {
			if (strncmp(p, "INSERT INTO risk_rules", 22) == 0)
				in_insert = true;
		} else {
			if (*p != '(') {
				fprintf(stderr, "risk_rules INSERT: unexpected line: %.*s\n", (int)len, line);
				return -1;
			}
			p++;
			char *f[3] = {NULL, NULL, NULL};
			int ok = 1;
			for (int i = 0; i < 3 && ok; i++) {
				while (*p == ' ')
					p++;
				f[i] = seeded_sql_string(&p);
				ok = f[i] != NULL;
				while (ok && *p == ' ')
					p++;
				if (ok && *p == ',')
					p++;
			}
			if (!ok || risk_rules_add(r, f[0], f[1], f[2]) != 0) {
				fprintf(stderr, "risk_rules INSERT: rule refused: %.*s\n", (int)len, line);
				ok = 0;
			}
			free(f[0]);
			free(f[1]);
			free(f[2]);
			if (!ok)
				return -1;
			n++;
			while (len && (line[len - 1] == ' ' || line[len - 1] == '\r'))
				len--;
			if (len && line[len - 1] == ';')
				in_insert = false;
		}
		line += len;
		while (*line && *line != '\n')
			line++;
		if (*line == '\n')
			line++;
	}
	return n;
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
