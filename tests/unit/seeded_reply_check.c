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


typedef int (*row_fn)(safety *s, char **f);

/* Reads the first nf string literals of each row of every `INSERT INTO
 * <table>` statement of sql and hands them to fn. Rows, or -1. */
static long add_rows(safety *s, const char *sql, const char *table, int nf, row_fn fn)
{
	char head[128];
	snprintf(head, sizeof head, "INSERT INTO %s ", table);
	long n = 0;
	bool in_insert = false;
	for (const char *line = sql; *line;) {
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!in_insert) {
			in_insert = strncmp(p, head, strlen(head)) == 0;
		} else {
			char *f[4] = {NULL, NULL, NULL, NULL};
			int ok = *p == '(';
			p++;
			for (int i = 0; i < nf && ok; i++) {
				while (*p == ' ')
					p++;
				f[i] = seeded_sql_string(&p);
				ok = f[i] != NULL;
				while (ok && *p == ' ')
					p++;
				if (ok && *p == ',')
					p++;
			}
			if (!ok || fn(s, f) != 0) {
				fprintf(stderr, "%s INSERT: row refused: %.*s\n", table, (int)len, line);
				ok = 0;
			}
			for (int i = 0; i < 4; i++)
				free(f[i]);
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

static int add_phrase(safety *s, char **f)
{
	return safety_reply_add_phrase(s, f[1]);
}

static int add_term(safety *s, char **f)
{
	return safety_reply_add_term(s, f[0], f[1], f[2]);
}

static long add_sql(void *ud, const char *sql)
{
	long k = add_rows(ud, sql, "unsafe_reply_phrases", 2, add_phrase);
	long k2 = k >= 0 ? add_rows(ud, sql, "reply_concepts", 3, add_term) : -1;
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
