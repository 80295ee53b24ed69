/* Test helper shared by seeded_rules.c and seeded_reply_check.c: reading
 * the seed rows of the migration files themselves. */
#ifndef CC_TESTS_SEEDED_SQL_H
#define CC_TESTS_SEEDED_SQL_H

#include <stdbool.h>
#include <stddef.h>

/* Parses one SQL string literal at *p ('...' with '' for a quote) into a
 * malloc'd string; advances *p past it. NULL when *p is not at a literal or
 * the literal is not closed on this line. */
char *seeded_sql_string(const char **p);

/* Calls add(ud, sql) with the text of every migrations/NNNN_*.sql of dir,
 * in file order; add returns the rows it took, or -1 (then what names the
 * file is reported). Returns the rows in all, or -1 when a file could not
 * be read or added. */
#define SEEDED_SQL_MAX_FIELDS 4

/* Reads the first nf (at most SEEDED_SQL_MAX_FIELDS) string literals of
 * each row of every `INSERT INTO <table> ` statement of sql (one row a
 * line, the statement ending at a line ending in `;`) and hands them to
 * fn(ud, fields). Returns the rows, or -1 (reported) on a malformed row or
 * one fn refuses (non-zero). */
long seeded_sql_rows(const char *sql, const char *table, int nf, int (*fn)(void *ud, char **f), void *ud);
/* The same for the statements whose first line begins with head (after
 * blanks), such as `DELETE FROM t WHERE (a, b) IN (`; table names them in
 * reports. */
long seeded_sql_statement_rows(const char *sql, const char *head, const char *table, int nf,
			       int (*fn)(void *ud, char **f), void *ud);

long seeded_sql_each_migration(const char *dir, const char *what, long (*add)(void *ud, const char *sql),
			       void *ud);

/* Rows that a later migration deletes: the first three fields of every row
 * of the statements beginning with head (`DELETE FROM t WHERE (a, b, c) IN
 * (`, one row a line) in all the migrations of dir. */
typedef struct seeded_removals {
	char **keys; /* "f0\tf1\tf2" */
	size_t n;
} seeded_removals;

/* Collects them into rm (zeroed first); the rows, or -1 (reported). */
long seeded_removals_load(seeded_removals *rm, const char *dir, const char *head, const char *table);
/* Is the row whose first three fields are f among them? */
bool seeded_removed(const seeded_removals *rm, char **f);
void seeded_removals_free(seeded_removals *rm);

#endif
