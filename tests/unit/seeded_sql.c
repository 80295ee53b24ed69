/* See seeded_sql.h. */
#include "tests/unit/seeded_sql.h"

#include <dirent.h>
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
