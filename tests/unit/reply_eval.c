/* The reply-check evaluation runner: checks every reply of one or more
 * evaluation sets (the TSV files of tests/reply_eval/, written independently
 * of the check) with the check as the migrations seed it, and prints per
 * language and overall:
 *  - unsafe (method details, encouragement...): the share replaced;
 *  - safe (close in wording or topic): the share replaced, i.e. false
 *    replacements.
 * Every unsafe reply kept (MISS) and every safe reply replaced (FALSE) is
 * listed with its id and kind.
 *
 * Usage: reply_eval [--min-unsafe F] [--max-safe F] [--per-language] SET.tsv...
 * F is a fraction (0.95). Without limits it only reports (exit 0 unless a set
 * is malformed); with them it exits 1 when a limit is missed, overall or,
 * with --per-language, in any language. Build with -DSOURCE_ROOT.
 *
 * reply_eval --cv [limits] SET.tsv...: leave-one-set-out cross-validation
 * of the reply text model (server/safety/text_model.h): for each set, the
 * model trained on the others only, then that set checked by the concept
 * check alone, the model alone and both; per held-out set and pooled. The
 * limits apply to the pooled combination. --sweep adds the pooled figures
 * over a grid of thresholds; --threshold P and --params
 * B,NMIN,NMAX,WORDS,EPOCHS,RATE,L2[,PRIOR] try others than the model's.
 * Last, the operating point: the threshold that replaces the most unsafe
 * replies (pooled, model alone) with the model's own safe replies replaced
 * at most 3% (--model-safe F), with its figures and the worst set's.
 * Each held-out set also gives long replies (eval_long_texts): its safe
 * replies 3 by 3, and each unsafe reply among 2 safe ones, of one
 * language; --min-long-unsafe F and --max-long-safe F are limits on the
 * model alone's pooled figures there. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/safety/safety.h"
#include "server/safety/text_model.h"
#include "server/util.h"
#include "tests/unit/eval_tsv.h"
#include "tests/unit/seeded_reply_check.h"


typedef struct tally {
	unsigned unsafe, unsafe_replaced;
	unsigned safe, safe_replaced;
} tally;

static void add(tally *t, const tally *o)
{
	t->unsafe += o->unsafe;
	t->unsafe_replaced += o->unsafe_replaced;
	t->safe += o->safe;
	t->safe_replaced += o->safe_replaced;
}

static void print_row(const char *name, const tally *t)
{
	printf("%-8s unsafe %3u: replaced %5.1f%% (%u) | safe %3u: replaced %5.1f%% (%u)\n", name, t->unsafe,
	       eval_pct(t->unsafe_replaced, t->unsafe), t->unsafe_replaced, t->safe, eval_pct(t->safe_replaced, t->safe),
	       t->safe_replaced);
}

typedef struct eval_ctx {
	const safety *s;
	tally *by_lang;
} eval_ctx;

/* One row: id, lang, label, kind, reply, reason. */
static int eval_row(void *ud, char **f, int slot)
{
	const eval_ctx *c = ud;
	if (strcmp(f[2], "unsafe") != 0 && strcmp(f[2], "safe") != 0)
		return -1;
	reply_verdict v = safety_check_reply(c->s, f[4], strlen(f[4]));
	bool replaced = v != REPLY_SAFE;
	tally *t = &c->by_lang[slot];
	if (strcmp(f[2], "unsafe") == 0) {
		t->unsafe++;
		t->unsafe_replaced += replaced;
		if (!replaced)
			printf("  MISS  %s %-18s %s\n", f[0], f[3], f[4]);
	} else {
		t->safe++;
		t->safe_replaced += replaced;
		if (replaced)
			printf("  FALSE %s %-18s (%s) %s\n", f[0], f[3], reply_verdict_name(v), f[4]);
	}
	return 0;
}

/* Evaluates one set into per-language tallies; -1 on a malformed set. */
static int eval_set(const safety *s, const char *path, tally *by_lang)
{
	eval_ctx c = {s, by_lang};
	return eval_each_row(path, 6, eval_row, &c);
}

/* 1 when t misses a limit (and says so). */
static int over(const char *name, const tally *t, double min_unsafe, double max_safe)
{
	int rc = 0;
	if (min_unsafe >= 0 && t->unsafe && (double)t->unsafe_replaced / t->unsafe < min_unsafe) {
		printf("FAIL %s: unsafe replaced %.1f%% < %.1f%%\n", name, eval_pct(t->unsafe_replaced, t->unsafe),
		       100 * min_unsafe);
		rc = 1;
	}
	if (max_safe >= 0 && t->safe && (double)t->safe_replaced / t->safe > max_safe) {
		printf("FAIL %s: safe replaced %.1f%% > %.1f%%\n", name, eval_pct(t->safe_replaced, t->safe),
		       100 * max_safe);
		rc = 1;
	}
	return rc;
}

typedef struct opts {
	double min_unsafe, max_safe, reply_min;
	double model_safe; /* of the model alone at the operating point */
	double long_unsafe, long_safe; /* limits of the model alone on long replies */
	bool per_lang, cv, sweep, service;
	textcat_params params;
	const textcat_params *pp;
} opts;

/* ---- leave-one-set-out cross-validation of the text model ---- */

typedef struct cv_row {
	bool unsafe, concept;
	double p;
	int set;
	bool lng; /* a long reply made of the set's replies */
} cv_row;

typedef struct cv_ctx {
	safety *s;
	const text_model *tm;
	tally t[3], lt[3]; /* concept check alone, model alone, combined (the check with the model); lt: long replies */
	cv_row *rows;
	size_t nrows, cap;
	int set; /* the held-out set's index */
	eval_pool safe, unsafe; /* the held-out set's replies, for its long replies */
} cv_ctx;

static const char *const cv_names[3] = {"concepts", "model", "combined"};

static void count(tally *t, bool unsafe, bool replaced)
{
	if (unsafe) {
		t->unsafe++;
		t->unsafe_replaced += replaced;
	} else {
		t->safe++;
		t->safe_replaced += replaced;
	}
}

/* Checks text by the concepts alone, the model alone and both into t[3],
 * its row added; -1 on failure. */
static int cv_check(cv_ctx *c, const char *text, bool unsafe, bool lng, tally t[3])
{
	size_t len = strlen(text);
	safety_set_text_model(c->s, NULL);
	bool concept = safety_check_reply(c->s, text, len) != REPLY_SAFE;
	safety_set_text_model(c->s, c->tm);
	bool both = safety_check_reply(c->s, text, len) != REPLY_SAFE;
	double p = safety_reply_model_score(c->s, text, len);
	cv_row *v = array_grow(c->rows, &c->cap, c->nrows + 1, sizeof *v);
	if (p < 0 || !v)
		return -1;
	c->rows = v;
	v[c->nrows++] = (cv_row){unsafe, concept, p, c->set, lng};
	count(&t[0], unsafe, concept);
	count(&t[1], unsafe, p >= c->tm->reply_min);
	count(&t[2], unsafe, both);
	return 0;
}

static int cv_row_fn(void *ud, char **f, int slot)
{
	cv_ctx *c = ud;
	bool unsafe = strcmp(f[2], "unsafe") == 0;
	if (!unsafe && strcmp(f[2], "safe") != 0)
		return -1;
	if (eval_pool_add(unsafe ? &c->unsafe : &c->safe, f[4], slot) < 0)
		return -1;
	return cv_check(c, f[4], unsafe, false, c->t);
}

/* A long reply of the held-out set: 3 safe replies, or 1 unsafe among 2. */
static int cv_long_fn(void *ud, const char *text, size_t len, int target)
{
	(void)len;
	cv_ctx *c = ud;
	return cv_check(c, text, target != 0, true, c->lt);
}

static void print_long(const char *name, const tally *t)
{
	printf("%-8s long unsafe %3u: replaced %5.1f%% (%u) | long safe %3u: replaced %5.1f%% (%u)\n", name, t->unsafe,
	       eval_pct(t->unsafe_replaced, t->unsafe), t->unsafe_replaced, t->safe, eval_pct(t->safe_replaced, t->safe),
	       t->safe_replaced);
}

/* Pooled figures of the combination for thresholds over a grid. */
static void cv_sweep(const cv_ctx *c)
{
	printf("sweep (combined, pooled): reply_min | unsafe replaced | safe replaced\n");
	for (int k = 5; k <= 100; k += 5) {
		tally t = {0};
		for (size_t i = 0; i < c->nrows; i++)
			if (!c->rows[i].lng)
				count(&t, c->rows[i].unsafe, c->rows[i].concept || c->rows[i].p >= k / 100.0);
		printf("  %.2f | %5.1f%% | %5.1f%%\n", k / 100.0, eval_pct(t.unsafe_replaced, t.unsafe),
		       eval_pct(t.safe_replaced, t.safe));
	}
}

/* The figures of the model alone (combined: with the concepts) at
 * threshold k, pooled (set < 0) or of one held-out set, into t. */
static void cv_tally(const cv_ctx *c, double k, bool combined, int set, bool lng, tally *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < c->nrows; i++)
		if ((set < 0 || c->rows[i].set == set) && c->rows[i].lng == lng)
			count(t, c->rows[i].unsafe, (combined && c->rows[i].concept) || c->rows[i].p >= k);
}

/* The operating point chosen from the pooled held-out figures: the most
 * unsafe replies replaced by the model alone with its own safe replies
 * replaced at most max_safe, over thresholds in steps of 0.01; its
 * model-alone and combined figures, pooled and of the worst set (the
 * lowest share of unsafe replies replaced). */
static void cv_operating_point(const cv_ctx *c, int nsets, double max_safe)
{
	tally best = {0}, t;
	double bk = 1;
	for (int k = 100; k >= 1; k--) {
		cv_tally(c, k / 100.0, false, -1, false, &t);
		if (t.safe && (double)t.safe_replaced / t.safe > max_safe)
			break;
		if (t.unsafe_replaced > best.unsafe_replaced || !best.unsafe)
			best = t, bk = k / 100.0;
	}
	printf("operating point (model safe replaced <= %.1f%%): reply_min %.2f\n", 100 * max_safe, bk);
	for (int j = 0; j < 2; j++) {
		tally worst = {0}, s;
		cv_tally(c, bk, j == 1, -1, false, &t);
		print_row(j ? "combined" : "model", &t);
		cv_tally(c, bk, j == 1, -1, true, &s);
		print_long(j ? "combined" : "model", &s);
		for (int set = 0; set < nsets; set++) {
			cv_tally(c, bk, j == 1, set, false, &s);
			if (!worst.unsafe ||
			    eval_pct(s.unsafe_replaced, s.unsafe) < eval_pct(worst.unsafe_replaced, worst.unsafe))
				worst = s;
		}
		print_row("  worst", &worst);
	}
}

/* Trains on all sets but one, evaluates that one, for each; the pooled
 * figures of concepts, model and combination into pooled[3]. */
static int cross_validate(safety *s, char **paths, int n, const opts *o, tally pooled[3], tally lpooled[3])
{
	cv_ctx c = {.s = s};
	int rc = 0;
	for (int k = 0; k < n && rc == 0; k++) {
		struct embedded_file *train = eval_read_sets(paths, n, k);
		text_model *tm = train ? text_model_train(NULL, train, NULL, o->pp) : NULL;
		if (tm && o->reply_min >= 0)
			tm->reply_min = o->reply_min;
		c.tm = tm;
		c.set = k;
		memset(c.t, 0, sizeof c.t);
		memset(c.lt, 0, sizeof c.lt);
		if (!tm || eval_each_row(paths[k], 6, cv_row_fn, &c) != 0 ||
		    eval_long_texts(&c.safe, &c.unsafe, 3, 2, cv_long_fn, &c) != 0)
			rc = 2;
		eval_pool_clear(&c.safe);
		eval_pool_clear(&c.unsafe);
		printf("== held out: %s (trained on %zu replies of the other sets)\n", paths[k], tm ? tm->reply_docs : 0);
		for (int j = 0; j < 3; j++) {
			print_row(cv_names[j], &c.t[j]);
			add(&pooled[j], &c.t[j]);
		}
		for (int j = 0; j < 3; j++) {
			print_long(cv_names[j], &c.lt[j]);
			add(&lpooled[j], &c.lt[j]);
		}
		safety_set_text_model(s, NULL);
		text_model_free(tm);
		eval_free_sets(train);
	}
	printf("== pooled over the held-out sets\n");
	for (int j = 0; j < 3; j++)
		print_row(cv_names[j], &pooled[j]);
	for (int j = 0; j < 3; j++)
		print_long(cv_names[j], &lpooled[j]);
	if (o->sweep)
		cv_sweep(&c);
	if (rc == 0)
		cv_operating_point(&c, n, o->model_safe);
	free(c.rows);
	return rc;
}


/* The options before the sets; the index of the first set, or -1. */
static int options(int argc, char **argv, opts *o)
{
	int i = 1;
	o->params = text_model_reply_params;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		bool arg = i + 1 < argc;
		if (strcmp(argv[i], "--per-language") == 0)
			o->per_lang = true;
		else if (strcmp(argv[i], "--service") == 0)
			o->service = true;
		else if (strcmp(argv[i], "--cv") == 0)
			o->cv = true;
		else if (strcmp(argv[i], "--sweep") == 0)
			o->sweep = true;
		else if (arg && strcmp(argv[i], "--min-unsafe") == 0)
			o->min_unsafe = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--min-long-unsafe") == 0)
			o->long_unsafe = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--max-long-safe") == 0)
			o->long_safe = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--max-safe") == 0)
			o->max_safe = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--model-safe") == 0)
			o->model_safe = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--threshold") == 0)
			o->reply_min = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--params") == 0 &&
			 sscanf(argv[++i], "%u,%u,%u,%u,%u,%lf,%lf,%lf,%u", &o->params.bits, &o->params.ngram_min,
				&o->params.ngram_max, &o->params.words, &o->params.epochs, &o->params.rate,
				&o->params.l2, &o->params.prior, &o->params.mean) >= 7)
			o->pp = &o->params;
		else
			return -1;
	}
	return i < argc ? i : -1;
}

int main(int argc, char **argv)
{
	opts o = {.min_unsafe = -1, .max_safe = -1, .reply_min = -1, .model_safe = 0.03, .long_unsafe = -1, .long_safe = -1};
	int i = options(argc, argv, &o);
	if (i < 0) {
		fprintf(stderr, "usage: reply_eval [--service] [--min-unsafe F] [--max-safe F] [--per-language] SET.tsv...\n"
				"       reply_eval --cv [--sweep] [--params B,NMIN,NMAX,WORDS,EPOCHS,RATE,L2] "
				"[--threshold P] [--model-safe F] [--min-long-unsafe F] [--max-long-safe F] [limits] SET.tsv...\n");
		return 2;
	}
	long rows = 0;
	safety *s = seeded_reply_check_load(&rows);
	if (!s)
		return 2;
	printf("seeded reply-check rows: %ld\n", rows);
	/* --service: the concept check with the text model the binary trains at
	 * start-up, as the service checks replies (not with --cv) */
	text_model *builtin = o.service && !o.cv ? text_model_builtin() : NULL;
	if (o.service && !o.cv && !builtin) {
		safety_unref(s);
		return 2;
	}
	safety_set_text_model(s, builtin);
	printf("text model: %s\n", builtin ? "built in (as the service runs)" : "none (the concept check alone)");
	int rc = 0;
	if (o.cv) {
		tally pooled[3] = {{0}}, lpooled[3] = {{0}};
		rc = cross_validate(s, argv + i, argc - i, &o, pooled, lpooled);
		if (!rc && (over("pooled", &pooled[2], o.min_unsafe, o.max_safe) |
			    over("long, model", &lpooled[1], o.long_unsafe, o.long_safe)))
			rc = 1;
	}
	for (; !o.cv && i < argc; i++) {
		tally by_lang[EVAL_NLANGS] = {{0}}, all = {0};
		printf("== %s\n", argv[i]);
		if (eval_set(s, argv[i], by_lang) != 0)
			rc = 2;
		for (size_t k = 0; k < EVAL_NLANGS; k++) {
			print_row(eval_langs[k], &by_lang[k]);
			add(&all, &by_lang[k]);
		}
		print_row("overall", &all);
		int missed = over("overall", &all, o.min_unsafe, o.max_safe);
		for (size_t k = 0; o.per_lang && k < EVAL_NLANGS; k++)
			missed |= over(eval_langs[k], &by_lang[k], o.min_unsafe, o.max_safe);
		if (missed && !rc)
			rc = 1;
	}
	safety_unref(s);
	text_model_free(builtin);
	return rc;
}
