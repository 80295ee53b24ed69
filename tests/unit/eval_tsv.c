/* See eval_tsv.h. */
#include "tests/unit/eval_tsv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

const char *const eval_langs[EVAL_NLANGS] = {"en", "de", "zh", "ar", "he"};

int eval_lang_slot(const char *l)
{
	for (int i = 0; i < EVAL_NLANGS; i++)
		if (strcmp(eval_langs[i], l) == 0)
			return i;
	return -1;
}

double eval_pct(unsigned a, unsigned b)
{
	return b ? 100.0 * a / b : 0.0;
}

/* Splits line into at most n tab-separated fields; returns their number. */
static int split(char *line, char **f, int n)
{
	int k = 0;
	for (char *p = line; p && k < n; k++) {
		f[k] = p;
		p = strchr(p, '\t');
		if (p)
			*p++ = '\0';
	}
	return k;
}

int eval_each_row(const char *path, int nf, int (*row)(void *ud, char **f, int slot), void *ud)
{
	char *tsv = read_file(path, NULL);
	if (!tsv) {
		fprintf(stderr, "cannot read %s\n", path);
		return -1;
	}
	int bad = 0;
	unsigned lineno = 0;
	char *save = NULL;
	for (char *line = strtok_r(tsv, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if (line[0] == '#' || line[0] == '\0' || line[0] == '\r')
			continue;
		char *f[16];
		int slot = -1;
		if (nf > 16 || split(line, f, nf) != nf || (slot = eval_lang_slot(f[1])) < 0 || row(ud, f, slot) != 0) {
			fprintf(stderr, "%s:%u: malformed line\n", path, lineno);
			bad = 1;
		}
	}
	free(tsv);
	return bad ? -1 : 0;
}

struct embedded_file *eval_read_sets(char **paths, int n, int skip)
{
	struct embedded_file *sets = calloc((size_t)n + 1, sizeof *sets);
	size_t k = 0;
	for (int i = 0; sets && i < n; i++) {
		if (i == skip)
			continue;
		size_t len;
		char *data = read_file(paths[i], &len);
		if (!data) {
			fprintf(stderr, "cannot read %s\n", paths[i]);
			eval_free_sets(sets);
			return NULL;
		}
		sets[k++] = (struct embedded_file){paths[i], data, len};
	}
	return sets;
}

void eval_free_sets(struct embedded_file *sets)
{
	for (struct embedded_file *s = sets; s && s->name; s++)
		free((char *)s->data);
	free(sets);
}
