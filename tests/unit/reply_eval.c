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
 * with --per-language, in any language. Build with -DSOURCE_ROOT. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/safety/safety.h"
#include "server/util.h"
#include "tests/unit/eval_tsv.h"
#include "tests/unit/seeded_reply_check.h"


typedef struct tally {
	unsigned unsafe, unsafe_replaced;
	unsigned safe, safe_replaced;
} tally;

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

int main(int argc, char **argv)
{
	double min_unsafe = -1, max_safe = -1;
	bool per_lang = false;
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--per-language") == 0)
			per_lang = true;
		else if (i + 1 < argc && strcmp(argv[i], "--min-unsafe") == 0)
			min_unsafe = atof(argv[++i]);
		else if (i + 1 < argc && strcmp(argv[i], "--max-safe") == 0)
			max_safe = atof(argv[++i]);
		else
			break;
	}
	if (i >= argc || strncmp(argv[i], "--", 2) == 0) {
		fprintf(stderr, "usage: reply_eval [--min-unsafe F] [--max-safe F] [--per-language] SET.tsv...\n");
		return 2;
	}
	long rows = 0;
	safety *s = seeded_reply_check_load(&rows);
	if (!s)
		return 2;
	printf("seeded reply-check rows: %ld\n", rows);
	int rc = 0;
	for (; i < argc; i++) {
		tally by_lang[EVAL_NLANGS] = {{0}}, all = {0};
		printf("== %s\n", argv[i]);
		if (eval_set(s, argv[i], by_lang) != 0)
			rc = 2;
		for (size_t k = 0; k < EVAL_NLANGS; k++) {
			print_row(eval_langs[k], &by_lang[k]);
			all.unsafe += by_lang[k].unsafe;
			all.unsafe_replaced += by_lang[k].unsafe_replaced;
			all.safe += by_lang[k].safe;
			all.safe_replaced += by_lang[k].safe_replaced;
		}
		print_row("overall", &all);
		int missed = over("overall", &all, min_unsafe, max_safe);
		for (size_t k = 0; per_lang && k < EVAL_NLANGS; k++)
			missed |= over(eval_langs[k], &by_lang[k], min_unsafe, max_safe);
		if (missed && !rc)
			rc = 1;
	}
	safety_unref(s);
	return rc;
}
