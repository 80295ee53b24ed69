/* Test helper: the risk rules exactly as the migrations seed them, parsed
 * from the migration files themselves (every `INSERT INTO risk_rules`
 * statement of every migrations/NNNN_*.sql, in file order), so that unit
 * tests and the evaluation runner test what `culturecare migrate` loads.
 * Build with -DSOURCE_ROOT='"/path/to/source"'. */
#include "tests/unit/seeded_rules.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

#ifndef SOURCE_ROOT
#error "compile with -DSOURCE_ROOT='\"/path/to/source\"'"
#endif

/* Parses one SQL string literal at *p ('...' with '' for a quote) into a
 * malloc'd string; advances *p past it. NULL when *p is not at a literal or
 * the literal is not closed on this line. */
static char *sql_string(const char **p)
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
				f[i] = sql_string(&p);
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

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

risk_rules *seeded_rules_load(long *count)
{
	const char *dir = SOURCE_ROOT "/migrations";
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "cannot open %s\n", dir);
		return NULL;
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
	risk_rules *r = risk_rules_new();
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		char *sql = r ? read_file(path, NULL) : NULL;
		long k = sql ? seeded_rules_add_sql(r, sql) : -1;
		if (k < 0) {
			fprintf(stderr, "cannot load the risk rules of %s\n", path);
			risk_rules_free(r);
			r = NULL;
		}
		total += k > 0 ? k : 0;
		free(sql);
		free(names[i]);
	}
	if (count)
		*count = total;
	return r;
}
