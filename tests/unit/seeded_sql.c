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
	seeded_removals *rm = ud;
	char **v = realloc(rm->keys, (rm->n + 1) * sizeof *v);
	char *k = v ? key_of(f) : NULL;
	if (v)
		rm->keys = v;
	if (!k)
		return -1;
	rm->keys[rm->n++] = k;
	return 0;
}

typedef struct removal_ctx {
	seeded_removals *rm;
	const char *head, *table;
} removal_ctx;

static long collect_removals(void *ud, const char *sql)
{
	const removal_ctx *c = ud;
	return seeded_sql_statement_rows(sql, c->head, c->table, 3, add_removal, c->rm);
}

long seeded_removals_load(seeded_removals *rm, const char *dir, const char *head, const char *table)
{
	rm->keys = NULL;
	rm->n = 0;
	removal_ctx c = {rm, head, table};
	return seeded_sql_each_migration(dir, table, collect_removals, &c);
}

bool seeded_removed(const seeded_removals *rm, char **f)
{
	char *k = rm && rm->n ? key_of(f) : NULL;
	bool found = false;
	for (size_t i = 0; k && !found && i < rm->n; i++)
		found = strcmp(rm->keys[i], k) == 0;
	free(k);
	return found;
}

void seeded_removals_free(seeded_removals *rm)
{
	for (size_t i = 0; i < rm->n; i++)
		free(rm->keys[i]);
	free(rm->keys);
	rm->keys = NULL;
	rm->n = 0;
}
