/* Test helper: the reply check exactly as the migrations seed it: every
 * `INSERT INTO unsafe_reply_phrases` and `INSERT INTO reply_concepts`
 * statement of every migrations/NNNN_*.sql, in file order, one row a line
 * (`('lang', 'phrase', note),`, `('lang', 'concept', 'term', note),`), the
 * statement ending at a line ending in `;`.
 * Build with -DSOURCE_ROOT='"/path/to/source"'. */
#include "tests/unit/seeded_reply_check.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

#ifndef SOURCE_ROOT
#error "compile with -DSOURCE_ROOT='\"/path/to/source\"'"
#endif

/* One SQL string literal at *p ('...' with '' for a quote), malloc'd; NULL
 * when *p is not at a literal closed on this line. */
static char *sql_string(const char **p)
{
	const char *s = *p;
	if (*s != '\'')
		return NULL;
	s++;
	char *out = malloc(strlen(s) + 1);
	size_t n = 0;
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
				f[i] = sql_string(&p);
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

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

safety *seeded_reply_check_load(long *count)
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
	safety *s = safety_new();
	long total = 0;
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		char *sql = s ? read_file(path, NULL) : NULL;
		long k = sql ? add_rows(s, sql, "unsafe_reply_phrases", 2, add_phrase) : -1;
		long k2 = k >= 0 ? add_rows(s, sql, "reply_concepts", 3, add_term) : -1;
		k = k2 < 0 ? -1 : k + k2;
		if (k < 0) {
			fprintf(stderr, "cannot load the reply check of %s\n", path);
			safety_unref(s);
			s = NULL;
		}
		total += k > 0 ? k : 0;
		free(sql);
		free(names[i]);
	}
	if (count)
		*count = total;
	return s;
}
