/* See seeded_sql.h. */
#include "tests/unit/seeded_sql.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

char *seeded_sql_string(const char **p)
{
	const char *s = *p;
	if (*s != '\'')
		return NULL;
	s++;
	size_t cap = strlen(s) + 1, n = 0;
	char *out = malloc(cap);
	if (!out)
		return NULL;
	for (;; s++) {
		if (!*s || *s == '\n') {
			free(out);
			return NULL;
		}
		if (*s == '\'') {
			if (s[1] != '\'')
				break;
			s++;
		}
		out[n++] = *s;
	}
	out[n] = '\0';
	*p = s + 1;
	return out;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

long seeded_sql_each_migration(const char *dir, const char *what, long (*add)(void *ud, const char *sql),
			       void *ud)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dir);
		return -1;
	}
	char *names[256];
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d)) && n < 256;) {
		size_t len = strlen(e->d_name);
		if (len > 4 && strcmp(e->d_name + len - 4, ".sql") == 0 && e->d_name[0] >= '0' && e->d_name[0] <= '9')
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, cmp_names);
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		char *sql = total >= 0 ? read_file(path, NULL) : NULL;
		long k = sql ? add(ud, sql) : -1;
		if (k < 0 && total >= 0) {
			fprintf(stderr, "cannot load the %s of %s\n", what, path);
			total = -1;
		} else if (total >= 0) {
			total += k;
		}
		free(sql);
		free(names[i]);
	}
	return total;
}

long seeded_sql_rows(const char *sql, const char *table, int nf, int (*fn)(void *ud, char **f), void *ud)
{
	char head[128];
	snprintf(head, sizeof head, "INSERT INTO %s ", table);
	return seeded_sql_statement_rows(sql, head, table, nf, fn, ud);
}

long seeded_sql_statement_rows(const char *sql, const char *head, const char *table, int nf,
			       int (*fn)(void *ud, char **f), void *ud)
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
			in_insert = strncmp(p, head, strlen(head)) == 0;
		} else {
			char *f[SEEDED_SQL_MAX_FIELDS] = {NULL};
			int ok = *p == '(' && nf <= SEEDED_SQL_MAX_FIELDS;
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
			if (!ok || fn(ud, f) != 0) {
				fprintf(stderr, "%s: row refused: %.*s\n", table, (int)len, line);
				ok = 0;
			}
			for (int i = 0; i < SEEDED_SQL_MAX_FIELDS; i++)
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
