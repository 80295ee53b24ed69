/* Test helper shared by seeded_rules.c and seeded_reply_check.c: reading
 * the seed rows of the migration files themselves. */
#ifndef CC_TESTS_SEEDED_SQL_H
#define CC_TESTS_SEEDED_SQL_H

/* Parses one SQL string literal at *p ('...' with '' for a quote) into a
 * malloc'd string; advances *p past it. NULL when *p is not at a literal or
 * the literal is not closed on this line. */
char *seeded_sql_string(const char **p);

/* Calls add(ud, sql) with the text of every migrations/NNNN_*.sql of dir,
 * in file order; add returns the rows it took, or -1 (then what names the
 * file is reported). Returns the rows in all, or -1 when a file could not
 * be read or added. */
long seeded_sql_each_migration(const char *dir, const char *what, long (*add)(void *ud, const char *sql),
			       void *ud);

#endif
