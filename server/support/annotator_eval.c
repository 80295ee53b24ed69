/* `culturecare eval-annotator` (see server/support/annotator_eval.h). */
#include "server/support/annotator_eval.h"

#include <stdbool.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/support/corpus_annotator.h"
#include "server/support/corpus_model.h"
#include "server/util.h"
#include "store/import.h"

struct ae_dataset {
	json_t *records; /* normalised records (import_normalize_record) */
};

static const char *const intensities[AE_NINT] = {"light", "moderate", "high"};

static int intensity_index(const char *s)
{
	for (int i = 0; s && i < AE_NINT; i++)
		if (strcmp(s, intensities[i]) == 0)
			return i;
	return -1;
}

ae_dataset *ae_dataset_new(void)
{
	ae_dataset *d = calloc(1, sizeof *d);
	if (d && !(d->records = json_array())) {
		free(d);
		return NULL;
	}
	return d;
}

void ae_dataset_free(ae_dataset *d)
{
	if (!d)
		return;
	json_decref(d->records);
	free(d);
}

int ae_dataset_add(ae_dataset *d, json_t *record, char *err, size_t errlen)
{
	json_t *n = import_normalize_record(record, err, errlen);
	if (!n)
		return -1;
	return json_array_append_new(d->records, n) == 0 ? 0 : -1;
}

int ae_dataset_load(ae_dataset *d, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return -1;
	}
	char *line = NULL;
	size_t cap = 0, lineno = 0;
	ssize_t n;
	int rc = 0;
	while (rc == 0 && (n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		size_t k = 0;
		while (k < (size_t)n && (line[k] == ' ' || line[k] == '\t' || line[k] == '\r' || line[k] == '\n'))
			k++;
		if (k == (size_t)n)
			continue;
		json_error_t je;
		json_t *rec = json_loadb(line, (size_t)n, 0, &je);
		char why[256];
		if (!rec) {
			snprintf(err, errlen, "%s: line %zu: not JSON: %s", path, lineno, je.text);
			rc = -1;
		} else if (ae_dataset_add(d, rec, why, sizeof why) < 0) {
			snprintf(err, errlen, "%s: line %zu: %s", path, lineno, why);
			rc = -1;
		}
		json_decref(rec);
	}
	free(line);
	fclose(f);
	return rc;
}

/* ---- helpers ---- */

static const char *str(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static uint64_t fnv(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static bool overlap(size_t a, size_t alen, size_t b, size_t blen)
{
	return a < b + blen && b < a + alen;
}

static size_t overlap_len(size_t a, size_t alen, size_t b, size_t blen)
{
	size_t s = a > b ? a : b, e = a + alen < b + blen ? a + alen : b + blen;
	return e > s ? e - s : 0;
}

static bool is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* First occurrence of needle in hay (both already ASCII-lower-cased) at
 * word boundaries (checked only where the needle's edge is an ASCII letter
 * or digit); SIZE_MAX when none. */
static size_t find_word_seq(const char *hay, size_t haylen, const char *needle, size_t nlen)
{
	if (nlen == 0 || nlen > haylen)
		return SIZE_MAX;
	for (size_t i = 0; i + nlen <= haylen; i++) {
		if (hay[i] != needle[0] || memcmp(hay + i, needle, nlen) != 0)
			continue;
		if (is_alnum((unsigned char)needle[0]) && i > 0 && is_alnum((unsigned char)hay[i - 1]))
			continue;
		if (is_alnum((unsigned char)needle[nlen - 1]) && i + nlen < haylen &&
		    is_alnum((unsigned char)hay[i + nlen]))
			continue;
		return i;
	}
	return SIZE_MAX;
}

/* ---- a held-out post as a message ---- */

typedef struct gold_span {
	size_t off, len;
	const char *label;
} gold_span;

typedef struct held_out {
	char *text;
	size_t len, cap;
	gold_span *dis, *sig;
	size_t ndis, nsig, capd, caps;
} held_out;

static void message_free(held_out *m)
{
	free(m->text);
	free(m->dis);
	free(m->sig);
}

static int append(held_out *m, const char *s, size_t n)
{
	char *t = array_grow(m->text, &m->cap, m->len + n + 2, 1);
	if (!t)
		return -1;
	m->text = t;
	if (m->len)
		t[m->len++] = ' ';
	memcpy(t + m->len, s, n);
	m->len += n;
	t[m->len] = '\0';
	return 0;
}

static int add_gold(gold_span **v, size_t *n, size_t *cap, gold_span g)
{
	gold_span *x = array_grow(*v, cap, *n + 1, sizeof **v);
	if (!x)
		return -1;
	*v = x;
	x[(*n)++] = g;
	return 0;
}

/* The post's distress phrases (repeats once), then its post-side signals:
 * where one already occurs in the text (ASCII case aside) that occurrence
 * is its span, otherwise it is appended. */
static int build_message(json_t *rec, held_out *m)
{
	memset(m, 0, sizeof *m);
	size_t i;
	json_t *it;
	json_array_foreach(json_object_get(rec, "distress"), i, it)
	{
		const char *p = str(it, "phrase");
		size_t n = p ? strlen(p) : 0;
		if (!n)
			continue;
		bool dup = false;
		for (size_t k = 0; k < m->ndis && !dup; k++)
			dup = m->dis[k].len == n && memcmp(m->text + m->dis[k].off, p, n) == 0;
		if (dup)
			continue;
		if (append(m, p, n) < 0 ||
		    add_gold(&m->dis, &m->ndis, &m->capd, (gold_span){m->len - n, n, str(it, "intensity")}) < 0)
			return -1;
	}
	json_array_foreach(json_object_get(rec, "post_signals"), i, it)
	{
		const char *p = str(it, "phrase");
		size_t n = p ? strlen(p) : 0;
		if (!n)
			continue;
		char *lt = ascii_lower_dup(m->text ? m->text : "", m->len), *lp = ascii_lower_dup(p, n);
		if (!lt || !lp) {
			free(lt);
			free(lp);
			return -1;
		}
		char *at = strstr(lt, lp);
		size_t off = at ? (size_t)(at - lt) : SIZE_MAX;
		free(lt);
		free(lp);
		bool dup = false;
		for (size_t k = 0; k < m->nsig && !dup; k++)
			dup = m->sig[k].off == off && m->sig[k].len == n;
		if (dup)
			continue;
		if (off == SIZE_MAX) {
			if (append(m, p, n) < 0)
				return -1;
			off = m->len - n;
		}
		if (add_gold(&m->sig, &m->nsig, &m->caps, (gold_span){off, n, str(it, "type")}) < 0)
			return -1;
	}
	return 0;
}

/* ---- the corpus of a fold ---- */

typedef struct label_count {
	const char *label;
	size_t n;
} label_count;

static void count_label(label_count *v, size_t *n, size_t max, const char *label)
{
	if (!label)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(v[i].label, label) == 0) {
			v[i].n++;
			return;
		}
	if (*n < max)
		v[(*n)++] = (label_count){label, 1};
}

/* The most frequent label (ties: the first seen); NULL when none. */
static const char *majority(const label_count *v, size_t n)
{
	const char *best = NULL;
	size_t bn = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].n > bn) {
			bn = v[i].n;
			best = v[i].label;
		}
	return best;
}

/* Exact-phrase lookup: the distinct (lower-cased) signal phrases of the
 * culture's corpus, each with its most frequent type. */
typedef struct exact_entry {
	char *phrase;
	size_t len;
	label_count types[8];
	size_t ntypes;
} exact_entry;

typedef struct fold_corpus {
	lexicon *lex;
	exact_entry *ex;
	size_t nex, capex;
	const char *major_type, *major_intensity;
} fold_corpus;

static void fold_free(fold_corpus *f)
{
	lexicon_unref(f->lex);
	for (size_t i = 0; i < f->nex; i++)
		free(f->ex[i].phrase);
	free(f->ex);
	memset(f, 0, sizeof *f);
}

static int exact_add(fold_corpus *f, const char *phrase, const char *type)
{
	size_t n = strlen(phrase);
	if (!n)
		return 0;
	char *lp = ascii_lower_dup(phrase, n);
	if (!lp)
		return -1;
	for (size_t i = 0; i < f->nex; i++)
		if (strcmp(f->ex[i].phrase, lp) == 0) {
			free(lp);
			count_label(f->ex[i].types, &f->ex[i].ntypes, 8, type);
			return 0;
		}
	exact_entry *e = array_grow(f->ex, &f->capex, f->nex + 1, sizeof *f->ex);
	if (!e) {
		free(lp);
		return -1;
	}
	f->ex = e;
	e = &f->ex[f->nex++];
	memset(e, 0, sizeof *e);
	e->phrase = lp;
	e->len = n;
	count_label(e->types, &e->ntypes, 8, type);
	return 0;
}

static int add_items(lexicon *l, const char *code, long post, json_t *items, char kind)
{
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it)
	{
		const char *p = str(it, "phrase");
		int rc = kind == 'd'   ? lexicon_add_distress(l, code, post, p, str(it, "intensity"))
			 : kind == 'p' ? lexicon_add_signal(l, code, post, "post", p, str(it, "type"))
			 : kind == 'r' ? lexicon_add_signal(l, code, post, "response", p, str(it, "type"))
				       : lexicon_add_support(l, code, post, p, str(it, "strategy"));
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Everything but the posts of culture in fold (fold[] per record) and
 * the records dropped (drop[r]). */
static int fold_build(const ae_dataset *d, const unsigned *folds, const bool *drop, const char *culture,
		      unsigned fold, fold_corpus *f)
{
	memset(f, 0, sizeof *f);
	f->lex = lexicon_new();
	if (!f->lex)
		return -1;
	size_t n = json_array_size(d->records);
	for (size_t r = 0; r < n; r++) {
		const char *code = str(json_array_get(d->records, r), "culture");
		if (lexicon_add_culture(f->lex, code, code) < 0)
			return -1;
	}
	label_count types[16], ints[8];
	size_t ntypes = 0, nints = 0;
	for (size_t r = 0; r < n; r++) {
		json_t *rec = json_array_get(d->records, r);
		const char *code = str(rec, "culture");
		bool same = strcmp(code, culture) == 0;
		if ((same && folds[r] == fold) || drop[r])
			continue;
		long post = (long)r + 1;
		if (add_items(f->lex, code, post, json_object_get(rec, "distress"), 'd') < 0 ||
		    add_items(f->lex, code, post, json_object_get(rec, "post_signals"), 'p') < 0 ||
		    add_items(f->lex, code, post, json_object_get(rec, "response_signals"), 'r') < 0 ||
		    add_items(f->lex, code, post, json_object_get(rec, "support"), 's') < 0)
			return -1;
		if (!same)
			continue;
		size_t i;
		json_t *it;
		json_array_foreach(json_object_get(rec, "distress"), i, it)
			count_label(ints, &nints, 8, str(it, "intensity"));
		const char *sides[] = {"post_signals", "response_signals"};
		for (int s = 0; s < 2; s++)
			json_array_foreach(json_object_get(rec, sides[s]), i, it)
			{
				count_label(types, &ntypes, 16, str(it, "type"));
				if (exact_add(f, str(it, "phrase"), str(it, "type")) < 0)
					return -1;
			}
	}
	f->major_type = majority(types, ntypes);
	f->major_intensity = majority(ints, nints);
	if (lexicon_finish(f->lex) < 0)
		return -1;
	return corpus_model_attach(f->lex);
}

/* ---- scoring one message ---- */

static bool same(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

/* The prediction overlapping g most (SIZE_MAX: none). */
static size_t best_overlap(const gold_span *g, const ae_span *p, size_t np)
{
	size_t best = SIZE_MAX, bl = 0;
	for (size_t i = 0; i < np; i++) {
		size_t o = overlap_len(g->off, g->len, p[i].off, p[i].len);
		if (o > bl) {
			bl = o;
			best = i;
		}
	}
	return best;
}

static size_t preds_ok(const ae_span *p, size_t np, const gold_span *g, size_t ng)
{
	size_t ok = 0;
	for (size_t i = 0; i < np; i++) {
		bool hit = false;
		for (size_t k = 0; k < ng && !hit; k++)
			hit = overlap(p[i].off, p[i].len, g[k].off, g[k].len);
		ok += hit;
	}
	return ok;
}

static void score_signals(const held_out *m, const ae_span *p, size_t np, const char *major_type, size_t *found,
			  size_t *pred, size_t *pred_ok, size_t *type_n, size_t *type_ok, size_t *major_ok)
{
	*pred += np;
	*pred_ok += preds_ok(p, np, m->sig, m->nsig);
	for (size_t k = 0; k < m->nsig; k++) {
		size_t b = best_overlap(&m->sig[k], p, np);
		if (b == SIZE_MAX)
			continue;
		(*found)++;
		if (!m->sig[k].label)
			continue;
		(*type_n)++;
		*type_ok += same(p[b].label, m->sig[k].label);
		if (major_ok)
			*major_ok += same(major_type, m->sig[k].label);
	}
}

static int score_message(const held_out *m, const fold_corpus *f, const ae_pred *pr, ae_counts *c)
{
	c->sig_gold += m->nsig;
	score_signals(m, pr->signals, pr->nsignals, f->major_type, &c->sig_found, &c->sig_pred, &c->sig_pred_ok,
		      &c->type_n, &c->type_ok, &c->type_major_ok);

	/* exact-phrase lookup */
	ae_span *ex = NULL;
	size_t nex = 0;
	char *lt = ascii_lower_dup(m->text, m->len);
	if (!lt)
		return -1;
	if (f->nex && !(ex = malloc(f->nex * sizeof *ex))) {
		free(lt);
		return -1;
	}
	for (size_t i = 0; i < f->nex; i++) {
		size_t at = find_word_seq(lt, m->len, f->ex[i].phrase, f->ex[i].len);
		if (at != SIZE_MAX)
			ex[nex++] = (ae_span){at, f->ex[i].len, majority(f->ex[i].types, f->ex[i].ntypes)};
	}
	free(lt);
	score_signals(m, ex, nex, NULL, &c->ex_found, &c->ex_pred, &c->ex_pred_ok, &c->ex_type_n, &c->ex_type_ok, NULL);
	free(ex);

	/* distress */
	c->dis_gold += m->ndis;
	c->dis_pred += pr->ndistress;
	c->dis_pred_ok += preds_ok(pr->distress, pr->ndistress, m->dis, m->ndis);
	int maj = intensity_index(f->major_intensity);
	for (size_t k = 0; k < m->ndis; k++) {
		size_t b = best_overlap(&m->dis[k], pr->distress, pr->ndistress);
		if (b == SIZE_MAX)
			continue;
		c->dis_found++;
		int g = intensity_index(m->dis[k].label);
		if (g < 0)
			continue;
		int p = intensity_index(pr->distress[b].label);
		c->conf[g][p < 0 ? AE_NINT : p]++;
		c->major[g][maj < 0 ? AE_NINT : maj]++;
	}
	return 0;
}

static void counts_add(ae_counts *a, const ae_counts *b)
{
	size_t *x = (size_t *)(void *)a;
	const size_t *y = (const size_t *)(const void *)b;
	for (size_t i = 0; i < sizeof *a / sizeof(size_t); i++)
		x[i] += y[i];
}

/* ---- the run ---- */

typedef struct ranked {
	uint64_t h;
	size_t rec;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->h != y->h)
		return x->h < y->h ? -1 : 1;
	return (x->rec > y->rec) - (x->rec < y->rec);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The k folds of one culture (its posts rk[0 .. m), folds assigned) into c. */
static int eval_culture(const ae_dataset *d, const unsigned *folds, const bool *drop, const ranked *rk, size_t m,
			unsigned k, const char *culture, ae_annotate_fn fn, void *ud, ae_counts *c)
{
	for (unsigned f = 0; f < k; f++) {
		fold_corpus fc;
		if (fold_build(d, folds, drop, culture, f, &fc) < 0) {
			fold_free(&fc);
			return -1;
		}
		const lexicon_culture *lc = lexicon_culture_find(fc.lex, culture);
		for (size_t i = 0; i < m; i++) {
			if (folds[rk[i].rec] != f)
				continue;
			held_out msg;
			if (build_message(json_array_get(d->records, rk[i].rec), &msg) < 0) {
				message_free(&msg);
				fold_free(&fc);
				return -1;
			}
			if (!msg.len) {
				message_free(&msg);
				continue;
			}
			c->posts++;
			ae_pred pr = {0};
			if (fn(ud, fc.lex, lc, msg.text, msg.len, &pr) < 0) {
				c->failures++;
				memset(&pr, 0, sizeof pr);
			}
			int src = score_message(&msg, &fc, &pr, c);
			message_free(&msg);
			if (src < 0) {
				fold_free(&fc);
				return -1;
			}
		}
		fold_free(&fc);
	}
	return 0;
}

bool ae_in_test_part(const char *post_id)
{
	/* a hash of its own (not the folds' order): the id's FNV-1a hash,
	 * mixed (splitmix64's finaliser), modulo 10: 0 and 1 are the test part */
	uint64_t h = fnv(post_id ? post_id : "");
	h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9u;
	h = (h ^ (h >> 27)) * 0x94d049bb133111ebu;
	h ^= h >> 31;
	return h % 10 < 2;
}

int ae_run(const ae_dataset *d, unsigned k, ae_split split, ae_annotate_fn fn, void *ud, ae_report *rep)
{
	memset(rep, 0, sizeof *rep);
	if (!d || !fn || (k < 2 && split != AE_SPLIT_TEST))
		return -1;
	if (split == AE_SPLIT_TEST)
		k = 1;
	rep->split = split;
	rep->k = k;
	size_t n = json_array_size(d->records);
	unsigned *folds = calloc(n + 1, sizeof *folds);
	bool *drop = calloc(n + 1, sizeof *drop), *test = calloc(n + 1, sizeof *test);
	ranked *rk = malloc((n + 1) * sizeof *rk);
	rep->cultures = calloc(n + 1, sizeof *rep->cultures);
	int rc = -1;
	if (!folds || !drop || !test || !rk || !rep->cultures)
		goto done;
	for (size_t r = 0; r < n; r++) {
		json_t *rec = json_array_get(d->records, r);
		/* the test part is never in a corpus of a split run */
		test[r] = ae_in_test_part(str(rec, "post_id"));
		drop[r] = split != AE_SPLIT_ALL && test[r];
		const char *code = str(rec, "culture");
		bool known = false;
		for (size_t i = 0; i < rep->ncultures && !known; i++)
			known = strcmp(rep->cultures[i], code) == 0;
		if (!known && !(rep->cultures[rep->ncultures++] = strdup(code)))
			goto done;
	}
	qsort(rep->cultures, rep->ncultures, sizeof *rep->cultures, cmp_str);
	if (!(rep->counts = calloc(rep->ncultures + 1, sizeof *rep->counts)))
		goto done;
	for (size_t ci = 0; ci < rep->ncultures; ci++) {
		/* folds: the culture's posts in the order of a hash of their id */
		size_t m = 0;
		for (size_t r = 0; r < n; r++) {
			json_t *rec = json_array_get(d->records, r);
			if (strcmp(str(rec, "culture"), rep->cultures[ci]) != 0)
				continue;
			folds[r] = UINT_MAX; /* never held out */
			if (split == AE_SPLIT_ALL || test[r] == (split == AE_SPLIT_TEST))
				rk[m++] = (ranked){fnv(str(rec, "post_id")), r};
		}
		qsort(rk, m, sizeof *rk, cmp_ranked);
		for (size_t i = 0; i < m; i++)
			folds[rk[i].rec] = (unsigned)(i % k);
		ae_counts *c = &rep->counts[ci];
		if (eval_culture(d, folds, drop, rk, m, k, rep->cultures[ci], fn, ud, c) < 0)
			goto done;
		counts_add(&rep->all, c);
	}
	rc = 0;
done:
	free(folds);
	free(drop);
	free(test);
	free(rk);
	if (rc < 0)
		ae_report_clear(rep);
	return rc;
}

void ae_report_clear(ae_report *rep)
{
	if (!rep)
		return;
	for (size_t i = 0; rep->cultures && i < rep->ncultures; i++)
		free(rep->cultures[i]);
	free(rep->cultures);
	free(rep->counts);
	memset(rep, 0, sizeof *rep);
}

/* ---- the corpus annotator ---- */

/* Where phrase (matched to the message with similarity < 1, or written
 * differently) lies in the message: its first ASCII-case-insensitive
 * occurrence, else the run of words (split at spaces) most similar to it. */
static void locate(const char *message, size_t len, const char *phrase, size_t *off, size_t *plen)
{
	*off = 0;
	*plen = len;
	size_t n = strlen(phrase);
	char *lm = ascii_lower_dup(message, len), *lp = ascii_lower_dup(phrase, n);
	char *at = lm && lp ? strstr(lm, lp) : NULL;
	if (at) {
		*off = (size_t)(at - lm);
		*plen = n;
	}
	free(lm);
	free(lp);
	if (at)
		return;
	size_t pw = 1;
	for (size_t i = 0; i < n; i++)
		pw += phrase[i] == ' ';
	size_t starts[512], ends[512], nw = 0;
	for (size_t i = 0; i < len && nw < 512;) {
		while (i < len && message[i] == ' ')
			i++;
		if (i >= len)
			break;
		starts[nw] = i;
		while (i < len && message[i] != ' ')
			i++;
		ends[nw++] = i;
	}
	double best = -1;
	char buf[4096];
	for (size_t a = 0; a < nw; a++)
		for (size_t w = pw > 1 ? pw - 1 : 1; w <= pw + 1 && a + w <= nw; w++) {
			size_t s = starts[a], e = ends[a + w - 1];
			if (e - s >= sizeof buf)
				continue;
			memcpy(buf, message + s, e - s);
			buf[e - s] = '\0';
			double sim = lexicon_word_similarity(phrase, buf);
			if (sim > best) {
				best = sim;
				*off = s;
				*plen = e - s;
			}
		}
}

int ae_corpus_annotator(void *ud, const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
			ae_pred *out)
{
	static ae_span *dis, *sig;
	static size_t capd, caps;
	(void)ud;
	memset(out, 0, sizeof *out);
	lexicon_opts o;
	corpus_match_opts(&o);
	lexicon_result whole;
	corpus_annotation ca;
	if (lexicon_match(l, c, message, len, &o, &whole) < 0)
		return -1;
	int rc = corpus_annotate(l, c, message, len, &whole, &ca);
	lexicon_result_clear(&whole);
	if (rc < 0)
		return -1;
	ae_span *d = array_grow(dis, &capd, ca.ndistress + 1, sizeof *d), *s = d ? array_grow(sig, &caps, ca.nsignals + 1, sizeof *s) : NULL;
	if (d)
		dis = d;
	if (s)
		sig = s;
	if (!d || !s) {
		corpus_annotation_clear(&ca);
		return -1;
	}
	for (size_t i = 0; i < ca.ndistress; i++)
		dis[i] = (ae_span){ca.distress[i].off, ca.distress[i].len, ca.distress[i].label};
	for (size_t i = 0; i < ca.nsignals; i++) {
		const corpus_span *x = &ca.signals[i];
		sig[i] = (ae_span){x->off, x->len, x->label};
		if (x->off == CORPUS_NO_SPAN)
			locate(message, len, x->phrase, &sig[i].off, &sig[i].len);
	}
	out->distress = dis;
	out->ndistress = ca.ndistress;
	out->signals = sig;
	out->nsignals = ca.nsignals;
	corpus_annotation_clear(&ca);
	return 0;
}
