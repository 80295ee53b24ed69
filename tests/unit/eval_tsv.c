/* See eval_tsv.h. */
#include "tests/unit/eval_tsv.h"

#include <stdbool.h>
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

int eval_pool_add(eval_pool *p, const char *text, int slot)
{
	size_t cap = p->cap;
	char **t = array_grow(p->text, &cap, p->n + 1, sizeof *t);
	if (t)
		p->text = t;
	int *s = t ? array_grow(p->slot, &p->cap, p->n + 1, sizeof *s) : NULL;
	char *copy = s ? strdup(text) : NULL;
	if (!copy)
		return -1;
	p->slot = s;
	p->text[p->n] = copy;
	p->slot[p->n++] = slot;
	return 0;
}

void eval_pool_clear(eval_pool *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->text[i]);
	free(p->text);
	free(p->slot);
	*p = (eval_pool){0};
}

/* Joins parts[0..n) into buf (grown as needed), with ". " or " ". */
static char *join(char **buf, size_t *cap, char *const *parts, size_t n, bool period, size_t *len)
{
	size_t need = 1;
	for (size_t i = 0; i < n; i++)
		need += strlen(parts[i]) + 2;
	char *b = array_grow(*buf, cap, need, 1);
	if (!b)
		return NULL;
	*buf = b;
	*len = 0;
	for (size_t i = 0; i < n; i++) {
		if (i)
			*len += (size_t)sprintf(b + *len, "%s", period ? ". " : " ");
		size_t l = strlen(parts[i]);
		memcpy(b + *len, parts[i], l);
		*len += l;
	}
	b[*len] = '\0';
	return b;
}

/* The long texts of one language (see eval_long_texts). */
static int long_texts_lang(char **base, size_t m, const eval_pool *target, int slot, size_t nbase, size_t nctx,
			   int (*fn)(void *, const char *, size_t, int), void *ud)
{
	char *buf = NULL, *parts[16];
	size_t cap = 0, len, groups = m / nbase, i = 0;
	int rc = 0;
	if (m && !groups)
		groups = 1;
	for (size_t g = 0; g < groups && rc == 0; g++) {
		size_t n = g + 1 < groups ? nbase : m - g * nbase;
		rc = n <= 16 && join(&buf, &cap, base + g * nbase, n, g % 2 == 0, &len) ? fn(ud, buf, len, 0) : -1;
	}
	for (size_t k = 0; k < target->n && m && rc == 0; k++) {
		if (target->slot[k] != slot)
			continue;
		size_t at = i % (nctx + 1), n = 0;
		for (size_t t = 0; t < nctx; t++) {
			if (t == at)
				parts[n++] = target->text[k];
			parts[n++] = base[(i * nctx + t) % m];
		}
		if (at == nctx)
			parts[n++] = target->text[k];
		rc = join(&buf, &cap, parts, n, i++ % 2 == 0, &len) ? fn(ud, buf, len, 1) : -1;
	}
	free(buf);
	return rc;
}

int eval_long_texts(const eval_pool *base, const eval_pool *target, size_t nbase, size_t nctx,
		    int (*fn)(void *ud, const char *text, size_t len, int target), void *ud)
{
	char **v = malloc((base->n + 1) * sizeof *v);
	int rc = v && nbase >= 1 && nbase <= 16 && nctx < 16 ? 0 : -1;
	for (int slot = 0; slot < EVAL_NLANGS && rc == 0; slot++) {
		size_t m = 0;
		for (size_t k = 0; k < base->n; k++)
			if (base->slot[k] == slot)
				v[m++] = base->text[k];
		rc = long_texts_lang(v, m, target, slot, nbase, nctx, fn, ud);
	}
	free(v);
	return rc;
}
