/* The crisis-risk evaluation runner: assesses every message of one or more
 * evaluation sets (the TSV files of tests/risk_eval/, written independently of the
 * rules) with the rules as the migrations seed them, and prints per
 * language and overall:
 *  - acute (labelled high or imminent): the share assessed high or above,
 *    the share assessed moderate or above, and the number assessed `none`;
 *  - risk (labelled low or moderate): the share assessed within its range
 *    or above;
 *  - benign (neutral, idioms, negations, third persons...): false alarms,
 *    the share assessed moderate or above.
 * Every acute message assessed below high and every false alarm is listed.
 *
 * Usage: risk_eval [--min-acute F] [--max-acute-none N] [--max-false F] SET.tsv...
 * Without limits it only reports (exit 0 unless a set is malformed); with
 * them it exits 1 when a limit is missed.
 *
 * risk_eval --corpus FILE.jsonl...: the distress phrases of CultureCare
 * annotation files (post.emotional_distress[].phrase) through the rules:
 * the distribution of levels, per file and per annotated intensity. No
 * phrase is printed (the files are research data). Exit 77 when no file
 * can be read. Build with -DSOURCE_ROOT. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "server/safety/risk.h"
#include "server/util.h"
#include "tests/unit/eval_tsv.h"
#include "tests/unit/seeded_rules.h"


typedef struct tally {
	unsigned acute, acute_high, acute_mod, acute_none;
	unsigned risk, risk_ok;
	unsigned benign, benign_alarm;
} tally;

static void add(tally *t, const tally *o)
{
	t->acute += o->acute;
	t->acute_high += o->acute_high;
	t->acute_mod += o->acute_mod;
	t->acute_none += o->acute_none;
	t->risk += o->risk;
	t->risk_ok += o->risk_ok;
	t->benign += o->benign;
	t->benign_alarm += o->benign_alarm;
}

static void print_row(const char *name, const tally *t)
{
	printf("%-8s acute %3u: >=high %5.1f%% (%u), >=moderate %5.1f%%, none %u | risk %3u: in range or above "
	       "%5.1f%% | benign %3u: false alarms %5.1f%% (%u)\n",
	       name, t->acute, eval_pct(t->acute_high, t->acute), t->acute_high, eval_pct(t->acute_mod, t->acute),
	       t->acute_none, t->risk, eval_pct(t->risk_ok, t->risk), t->benign, eval_pct(t->benign_alarm, t->benign),
	       t->benign_alarm);
}

typedef struct eval_ctx {
	const risk_rules *r;
	tally *by_lang;
} eval_ctx;

/* One row: id, lang, min_level, max_level, group, kind, message, reason. */
static int eval_row(void *ud, char **f, int slot)
{
	const eval_ctx *c = ud;
	risk_level lo, hi;
	if (risk_level_parse(f[2], &lo) || risk_level_parse(f[3], &hi) || lo > hi)
		return -1;
	risk_result res;
	if (risk_assess(c->r, f[6], strlen(f[6]), &res) != 0)
		return -1;
	tally *t = &c->by_lang[slot];
	if (strcmp(f[4], "acute") == 0) {
		t->acute++;
		t->acute_high += res.level >= RISK_HIGH;
		t->acute_mod += res.level >= RISK_MODERATE;
		t->acute_none += res.level == RISK_NONE;
		if (res.level < RISK_HIGH)
			printf("  MISS  %s %-16s labelled %s..%s, assessed %s: %s\n", f[0], f[5], f[2], f[3],
			       risk_level_name(res.level), f[6]);
	} else if (strcmp(f[4], "risk") == 0) {
		t->risk++;
		t->risk_ok += res.level >= lo;
		if (res.level < lo || res.level > hi)
			printf("  RANGE %s %-16s labelled %s..%s, assessed %s: %s\n", f[0], f[5], f[2], f[3],
			       risk_level_name(res.level), f[6]);
	} else if (strcmp(f[4], "benign") == 0) {
		t->benign++;
		t->benign_alarm += res.level >= RISK_MODERATE;
		if (res.level >= RISK_MODERATE)
			printf("  ALARM %s %-16s labelled %s..%s, assessed %s: %s\n", f[0], f[5], f[2], f[3],
			       risk_level_name(res.level), f[6]);
	} else {
		return -1; /* an unknown group */
	}
	return 0;
}

/* Evaluates one set into per-language tallies; -1 on a malformed set. */
static int eval_set(const risk_rules *r, const char *path, tally *by_lang)
{
	eval_ctx c = {r, by_lang};
	return eval_each_row(path, 8, eval_row, &c);
}

static double cpu_seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The level distribution of the distress phrases of CultureCare files, and
 * the processor time one assessment takes on them. */
static int corpus(const risk_rules *r, int argc, char **argv)
{
	static const char *const intens[] = {"light", "moderate", "high"};
	int read = 0;
	unsigned assessed = 0;
	double cpu = 0;
	for (int i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			printf("SKIP %s: cannot be read\n", argv[i]);
			continue;
		}
		read++;
		unsigned by[4][RISK_IMMINENT + 1] = {{0}}; /* light, moderate, high, other */
		unsigned total = 0;
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, f) > 0) {
			json_t *o = json_loads(line, 0, NULL);
			json_t *d = json_object_get(json_object_get(o, "post"), "emotional_distress");
			size_t k;
			json_t *e;
			json_array_foreach(d, k, e)
			{
				const char *ph = json_string_value(json_object_get(e, "phrase"));
				const char *in = json_string_value(json_object_get(e, "intensity"));
				risk_result res;
				double t0 = cpu_seconds();
				if (!ph || risk_assess(r, ph, strlen(ph), &res) != 0)
					continue;
				cpu += cpu_seconds() - t0;
				assessed++;
				size_t slot = 3;
				for (size_t j = 0; j < 3; j++)
					if (in && strcmp(in, intens[j]) == 0)
						slot = j;
				by[slot][res.level]++;
				total++;
			}
			json_decref(o);
		}
		free(line);
		fclose(f);
		const char *base = strrchr(argv[i], '/');
		printf("== %s: %u distress phrases\n", base ? base + 1 : argv[i], total);
		for (size_t j = 0; j < 4; j++) {
			unsigned n = 0;
			for (int l = 0; l <= RISK_IMMINENT; l++)
				n += by[j][l];
			if (!n)
				continue;
			printf("  intensity %-8s %4u:", j < 3 ? intens[j] : "other", n);
			for (int l = 0; l <= RISK_IMMINENT; l++)
				printf(" %s %u (%.1f%%)", risk_level_name((risk_level)l), by[j][l], eval_pct(by[j][l], n));
			printf("\n");
		}
	}
	if (assessed)
		printf("processor time per phrase: %.1f us (%u phrases)\n", 1e6 * cpu / assessed, assessed);
	return read ? 0 : 77;
}

int main(int argc, char **argv)
{
	double min_acute = -1, max_false = -1;
	long max_none = -1;
	int i = 1;
	for (; i + 1 < argc && strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i], "--corpus") != 0; i += 2) {
		if (strcmp(argv[i], "--min-acute") == 0)
			min_acute = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--max-false") == 0)
			max_false = atof(argv[i + 1]);
		else if (strcmp(argv[i], "--max-acute-none") == 0)
			max_none = atol(argv[i + 1]);
		else
			break;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: risk_eval [--min-acute F] [--max-acute-none N] [--max-false F] SET.tsv...\n");
		return 2;
	}
	long nrules = 0;
	risk_rules *r = seeded_rules_load(&nrules);
	if (!r)
		return 2;
	printf("seeded rules: %ld\n", nrules);
	if (strcmp(argv[i], "--corpus") == 0) {
		int rc = corpus(r, argc - i - 1, argv + i + 1);
		risk_rules_free(r);
		return rc;
	}
	int rc = 0;
	for (; i < argc; i++) {
		tally by_lang[EVAL_NLANGS] = {{0}}, all = {0};
		printf("== %s\n", argv[i]);
		if (eval_set(r, argv[i], by_lang) != 0)
			rc = 2;
		for (size_t k = 0; k < EVAL_NLANGS; k++) {
			print_row(eval_langs[k], &by_lang[k]);
			add(&all, &by_lang[k]);
		}
		print_row("overall", &all);
		if (min_acute >= 0 && all.acute && (double)all.acute_high / all.acute < min_acute) {
			printf("FAIL: acute at high or above %.1f%% < %.1f%%\n", eval_pct(all.acute_high, all.acute),
			       100 * min_acute);
			rc = rc ? rc : 1;
		}
		if (max_none >= 0 && all.acute_none > (unsigned long)max_none) {
			printf("FAIL: %u acute messages assessed none (limit %ld)\n", all.acute_none, max_none);
			rc = rc ? rc : 1;
		}
		if (max_false >= 0 && all.benign && (double)all.benign_alarm / all.benign > max_false) {
			printf("FAIL: false alarms %.1f%% > %.1f%%\n", eval_pct(all.benign_alarm, all.benign),
			       100 * max_false);
			rc = rc ? rc : 1;
		}
	}
	risk_rules_free(r);
	return rc;
}
