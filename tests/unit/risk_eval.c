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
 * After each set: how many acute messages would be given a persona prompt
 * (those at none; with RISK_ROLE_PLAY_AT_LOW=on, those below moderate).
 *
 * Usage: risk_eval [--min-acute F] [--max-acute-none N] [--max-false F] SET.tsv...
 * Without limits it only reports (exit 0 unless a set is malformed); with
 * them it exits 1 when a limit is missed.
 *
 * risk_eval --cv [limits] SET.tsv...: leave-one-set-out cross-validation
 * of the text model (server/safety/text_model.h): for each set, the model
 * trained on the others only, then that set assessed by the rules alone,
 * the model alone and both (risk_assess with the model); per held-out set
 * and pooled, with every benign message the model raised to moderate or
 * above where the rules did not (MODEL ALARM). The limits apply to the
 * pooled combination. --sweep adds
 * the pooled figures over a grid of thresholds, --thresholds A,R and
 * --params B,NMIN,NMAX,WORDS,EPOCHS,RATE,L2[,PRIOR] try others than the
 * model's. Last, the operating point: the thresholds that find the most
 * acute messages (pooled, model alone) with the model's own false alarms
 * at most 4% (--model-false F), with its figures and the worst set's.
 * Each held-out set also gives long texts (eval_long_texts): its benign
 * messages 4 by 4, and each acute message among 3 benign ones, of one
 * language; their false alarms (moderate or above) and acute found (high
 * or above) per set, pooled and at the operating point; --max-long-false F
 * and --min-long-acute F are limits on the model alone's pooled figures.
 * --thresholds A,R,L,W also sets the low floor and the windows' threshold.
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
#include "server/safety/text_model.h"
#include "server/util.h"
#include "tests/unit/eval_tsv.h"
#include "tests/unit/seeded_rules.h"


typedef struct tally {
	unsigned acute, acute_high, acute_mod, acute_none;
	unsigned acute_persona, acute_persona_low; /* given a persona prompt; the same with RISK_ROLE_PLAY_AT_LOW=on */
	unsigned risk, risk_ok;
	unsigned benign, benign_alarm;
} tally;

static void add(tally *t, const tally *o)
{
	t->acute += o->acute;
	t->acute_high += o->acute_high;
	t->acute_mod += o->acute_mod;
	t->acute_none += o->acute_none;
	t->acute_persona += o->acute_persona;
	t->acute_persona_low += o->acute_persona_low;
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

enum { G_ACUTE, G_RISK, G_BENIGN };

static int group_of(const char *g)
{
	return strcmp(g, "acute") == 0 ? G_ACUTE : strcmp(g, "risk") == 0 ? G_RISK : strcmp(g, "benign") == 0 ? G_BENIGN : -1;
}

static void count(tally *t, int group, risk_level lo, risk_level level)
{
	if (group == G_ACUTE) {
		t->acute++;
		t->acute_high += level >= RISK_HIGH;
		t->acute_mod += level >= RISK_MODERATE;
		t->acute_none += level == RISK_NONE;
		t->acute_persona += !risk_no_persona(level, false);
		t->acute_persona_low += !risk_no_persona(level, true);
	} else if (group == G_RISK) {
		t->risk++;
		t->risk_ok += level >= lo;
	} else {
		t->benign++;
		t->benign_alarm += level >= RISK_MODERATE;
	}
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
	int g = group_of(f[4]);
	if (g < 0)
		return -1; /* an unknown group */
	count(&c->by_lang[slot], g, lo, res.level);
	if (g == G_ACUTE && res.level < RISK_HIGH)
		printf("  MISS  %s %-16s labelled %s..%s, assessed %s: %s\n", f[0], f[5], f[2], f[3],
		       risk_level_name(res.level), f[6]);
	else if (g == G_RISK && (res.level < lo || res.level > hi))
		printf("  RANGE %s %-16s labelled %s..%s, assessed %s: %s\n", f[0], f[5], f[2], f[3],
		       risk_level_name(res.level), f[6]);
	else if (g == G_BENIGN && res.level >= RISK_MODERATE)
		printf("  ALARM %s %-16s labelled %s..%s, assessed %s: %s\n", f[0], f[5], f[2], f[3],
		       risk_level_name(res.level), f[6]);
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

/* ---- leave-one-set-out cross-validation of the text model ---- */

typedef struct cv_row {
	int group, set;
	bool lng; /* a long text made of the set's messages */
	risk_level lo, rules;
	unsigned reasons; /* the rules' */
	double acute, any, window; /* window: the highest acute score of its windows */
} cv_row;

typedef struct cv_ctx {
	risk_rules *r;
	const text_model *tm;
	tally t[3], lt[3]; /* rules alone, model alone, combined (risk_assess with the model); lt: long texts */
	cv_row *rows;
	size_t nrows, cap;
	int set; /* the held-out set's index */
	eval_pool benign, acute; /* the held-out set's messages, for its long texts */
} cv_ctx;

/* A long text's row: 4 benign messages, or 1 acute among 3 benign. */
static void print_long(const char *name, const tally *t)
{
	printf("%-8s long benign %3u: >=moderate %5.1f%% (%u) | long acute %3u: >=high %5.1f%% (%u)\n", name,
	       t->benign, eval_pct(t->benign_alarm, t->benign), t->benign_alarm, t->acute,
	       eval_pct(t->acute_high, t->acute), t->acute_high);
}

static const char *const cv_names[3] = {"rules", "model", "combined"};

/* The levels of text by rules alone, model alone and both into lv, its
 * row added; -1 on failure. */
static int cv_assess(cv_ctx *c, const char *text, size_t len, int g, risk_level lo, bool lng, risk_level lv[3])
{
	risk_result rules, both;
	double acute, any;
	risk_rules_set_text_model(c->r, NULL);
	int rc = risk_assess(c->r, text, len, &rules);
	risk_rules_set_text_model(c->r, c->tm);
	rc |= risk_assess(c->r, text, len, &both);
	int model = text_model_risk_level(c->tm, text, len);
	cv_row *v = array_grow(c->rows, &c->cap, c->nrows + 1, sizeof *v);
	double window = text_model_risk_window(c->tm, text, len);
	if (rc || model < 0 || !v || text_model_risk(c->tm, text, len, &acute, &any) < 0 || window < 0)
		return -1;
	c->rows = v;
	v[c->nrows++] = (cv_row){g, c->set, lng, lo, rules.level, rules.reasons, acute, any, window};
	lv[0] = rules.level;
	lv[1] = (risk_level)model;
	lv[2] = both.level;
	return 0;
}

static int cv_row_fn(void *ud, char **f, int slot)
{
	cv_ctx *c = ud;
	risk_level lo, hi;
	int g = group_of(f[4]);
	if (g < 0 || risk_level_parse(f[2], &lo) || risk_level_parse(f[3], &hi) || lo > hi)
		return -1;
	risk_level lv[3];
	if (cv_assess(c, f[6], strlen(f[6]), g, lo, false, lv) < 0)
		return -1;
	if (g == G_BENIGN && lv[2] >= RISK_MODERATE && lv[0] < RISK_MODERATE)
		printf("  MODEL ALARM %s %-16s assessed %s: %s\n", f[0], f[5], risk_level_name(lv[2]), f[6]);
	if ((g == G_BENIGN && eval_pool_add(&c->benign, f[6], slot) < 0) ||
	    (g == G_ACUTE && eval_pool_add(&c->acute, f[6], slot) < 0))
		return -1;
	for (int j = 0; j < 3; j++)
		count(&c->t[j], g, lo, lv[j]);
	return 0;
}

/* A long text of the held-out set (target: with an acute message). */
static int cv_long_fn(void *ud, const char *text, size_t len, int target)
{
	cv_ctx *c = ud;
	int g = target ? G_ACUTE : G_BENIGN;
	risk_level lv[3];
	if (cv_assess(c, text, len, g, target ? RISK_HIGH : RISK_NONE, true, lv) < 0)
		return -1;
	for (int j = 0; j < 3; j++)
		count(&c->lt[j], g, RISK_NONE, lv[j]);
	return 0;
}

/* The low floor and the windows' threshold of the cross-validation
 * (--thresholds A,R,L,W; above 1: off). */
static double cv_low = TEXT_MODEL_LOW_MIN, cv_window = TEXT_MODEL_WINDOW_MIN;

/* The level of the model alone for thresholds a (acute: high) and k (any
 * risk: moderate). The low floor is cv_low. */
static risk_level cv_model_level(const cv_row *x, double a, double k)
{
	return x->acute >= a || x->window >= cv_window ? RISK_HIGH
	       : x->any >= k				 ? RISK_MODERATE
	       : x->acute >= cv_low || x->any >= cv_low ? RISK_LOW
							 : RISK_NONE;
}

/* The level of the combination for thresholds a and k. */
static risk_level cv_level(const cv_row *x, double a, double k)
{
	risk_level l = cv_model_level(x, a, k);
	return l > x->rules ? l : x->rules;
}

/* The pooled figures of the model alone (combined: of the combination) for
 * thresholds a and k into t; with set >= 0, of that held-out set only. */
static void cv_tally(const cv_ctx *c, double a, double k, bool combined, int set, bool lng, tally *t)
{
	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < c->nrows; i++)
		if ((set < 0 || c->rows[i].set == set) && c->rows[i].lng == lng)
			count(t, c->rows[i].group, c->rows[i].lo,
			      combined ? cv_level(&c->rows[i], a, k) : cv_model_level(&c->rows[i], a, k));
}

static void cv_floor_table(const cv_ctx *c, double a, double k);

/* The operating point chosen from the pooled held-out figures: the most
 * acute messages at high or above by the model alone with its own false
 * alarms at most max_false (then the fewest at none, then the fewest false
 * alarms), over thresholds a in steps of 0.01 and k in steps of 0.05 (1:
 * off); its model-alone and combined figures, pooled and of the worst set
 * (the lowest share of acute at high or above). */
static void cv_operating_point(const cv_ctx *c, int nsets, double max_false)
{
	tally best = {0}, t;
	double ba = 1, bk = 1;
	for (int a = 1; a <= 100; a++)
		for (int k = 20; k >= 1; k--) {
			cv_tally(c, a / 100.0, k / 20.0, false, -1, false, &t);
			if (t.benign && 100.0 * t.benign_alarm / t.benign > 100 * max_false)
				break; /* lower k only adds false alarms */
			if (t.acute_high > best.acute_high ||
			    (t.acute_high == best.acute_high &&
			     (t.acute_none < best.acute_none ||
			      (t.acute_none == best.acute_none && t.benign_alarm < best.benign_alarm))) ||
			    !best.acute)
				best = t, ba = a / 100.0, bk = k / 20.0;
		}
	printf("operating point (model false alarms <= %.1f%%): acute_min %.2f risk_min %.2f\n", 100 * max_false, ba, bk);
	cv_floor_table(c, ba, bk);
	for (int j = 0; j < 2; j++) {
		tally worst = {0}, s;
		cv_tally(c, ba, bk, j == 1, -1, false, &t);
		print_row(j ? "combined" : "model", &t);
		cv_tally(c, ba, bk, j == 1, -1, true, &s);
		print_long(j ? "combined" : "model", &s);
		for (int set = 0; set < nsets; set++) {
			cv_tally(c, ba, bk, j == 1, set, false, &s);
			if (!worst.acute || eval_pct(s.acute_high, s.acute) < eval_pct(worst.acute_high, worst.acute))
				worst = s;
		}
		print_row("  worst", &worst);
	}
}

/* Four tables at the operating point (a, k), pooled: for floors f (either
 * score, or the acute one, at least f: low), the acute messages left at
 * none and the benign ones at low or above; for vetoes v (the rules'
 * moderate or above lowered to low where both scores and every window's are
 * below v), acute found and false alarms, short and long; for windows'
 * thresholds w, the same with the model alone's false alarms; for a
 * moderate threshold t on the acute score, acute at moderate or above and
 * false alarms. */
static void cv_floor_table(const cv_ctx *c, double a, double k)
{
	double saved = cv_low;
	cv_low = 2; /* off: the table applies its own */
	printf("floor (score >= f: low; score: p(acute) or the higher of both): f | acute none | benign >=low\n");
	for (int f = 20; f <= 110; f += f < 60 ? 5 : 50) {
	  for (int both = 0; both < 2; both++) {
		unsigned none = 0, acute = 0, benign = 0, low = 0;
		for (size_t i = 0; i < c->nrows; i++) {
			const cv_row *x = &c->rows[i];
			if (x->lng)
				continue;
			risk_level l = cv_level(x, a, k);
			double m = both && x->any > x->acute ? x->any : x->acute;
			if (l == RISK_NONE && m >= f / 100.0)
				l = RISK_LOW;
			if (x->group == G_ACUTE)
				acute++, none += l == RISK_NONE;
			else if (x->group == G_BENIGN)
				benign++, low += l >= RISK_LOW;
		}
		printf("  %.2f %s | %u of %u | %5.1f%%\n", f / 100.0, both ? "both " : "acute", none, acute,
		       eval_pct(low, benign));
	  }
	}
	printf("veto (the rules' moderate or above -> low where both scores and every window's < v): v | acute >=high >=moderate | "
	       "false alarms | long: false alarms, acute >=high\n");
	for (int v = 0; v <= 40; v += v < 10 ? 2 : 10) {
		tally t = {0}, lt = {0};
		for (size_t i = 0; i < c->nrows; i++) {
			const cv_row *x = &c->rows[i];
			cv_row y = *x;
			if (y.rules >= RISK_MODERATE && y.any < v / 100.0 && y.acute < v / 100.0 && y.window < v / 100.0)
				y.rules = RISK_LOW;
			count(x->lng ? &lt : &t, x->group, x->lo, cv_level(&y, a, k));
		}
		printf("  %.2f | %5.1f%% %5.1f%% | %5.1f%% (%u) | %5.1f%% %5.1f%%\n", v / 100.0, eval_pct(t.acute_high, t.acute),
		       eval_pct(t.acute_mod, t.acute), eval_pct(t.benign_alarm, t.benign), t.benign_alarm,
		       eval_pct(lt.benign_alarm, lt.benign), eval_pct(lt.acute_high, lt.acute));
	}
	double wsaved = cv_window;
	printf("windows (a window's acute score >= w: high): w | combined acute >=high, false alarms | long: false "
	       "alarms, acute >=high | model alone: false alarms, long false alarms\n");
	for (int w = 60; w <= 105; w += 5) {
		tally t = {0}, lt = {0}, mt = {0}, mlt = {0};
		cv_window = w / 100.0;
		for (size_t i = 0; i < c->nrows; i++) {
			const cv_row *x = &c->rows[i];
			count(x->lng ? &lt : &t, x->group, x->lo, cv_level(x, a, k));
			count(x->lng ? &mlt : &mt, x->group, x->lo, cv_model_level(x, a, k));
		}
		printf("  %.2f | %5.1f%% %5.1f%% | %5.1f%% %5.1f%% | %5.1f%% %5.1f%%\n", w / 100.0,
		       eval_pct(t.acute_high, t.acute), eval_pct(t.benign_alarm, t.benign),
		       eval_pct(lt.benign_alarm, lt.benign), eval_pct(lt.acute_high, lt.acute),
		       eval_pct(mt.benign_alarm, mt.benign), eval_pct(mlt.benign_alarm, mlt.benign));
	}
	cv_window = wsaved;
	printf("moderate by the acute score (acute >= t: moderate): t | combined acute >=moderate, false alarms | "
	       "long: false alarms, acute >=moderate\n");
	for (int m = 30; m <= 60; m += 5) {
		tally t = {0}, lt = {0};
		for (size_t i = 0; i < c->nrows; i++) {
			const cv_row *x = &c->rows[i];
			risk_level l = cv_level(x, a, k);
			if (l < RISK_MODERATE && x->acute >= m / 100.0)
				l = RISK_MODERATE;
			count(x->lng ? &lt : &t, x->group, x->lo, l);
		}
		printf("  %.2f | %5.1f%% %5.1f%% | %5.1f%% %5.1f%%\n", m / 100.0, eval_pct(t.acute_mod, t.acute),
		       eval_pct(t.benign_alarm, t.benign), eval_pct(lt.benign_alarm, lt.benign),
		       eval_pct(lt.acute_mod, lt.acute));
	}
	cv_low = saved;
}

/* Pooled figures of the combination for thresholds over a grid: the rows
 * whose false alarms stay within 10%. */
static void cv_sweep(const cv_ctx *c)
{
	printf("sweep (combined, pooled): acute_min risk_min | acute>=high none | false alarms\n");
	for (int a = 5; a <= 95; a += 5)
		for (int k = 5; k <= 100; k += 5) {
			tally t = {0};
			for (size_t i = 0; i < c->nrows; i++)
				if (!c->rows[i].lng)
					count(&t, c->rows[i].group, c->rows[i].lo,
					      cv_level(&c->rows[i], a / 100.0, k / 100.0));
			if (eval_pct(t.benign_alarm, t.benign) <= 10)
				printf("  %.2f %.2f | %5.1f%% %u | %5.1f%%\n", a / 100.0, k / 100.0,
				       eval_pct(t.acute_high, t.acute), t.acute_none, eval_pct(t.benign_alarm, t.benign));
		}
}

/* Parses "bits,nmin,nmax,words,epochs,rate,l2[,prior]" into p; -1 when malformed. */
static int parse_params(const char *s, textcat_params *p)
{
	*p = text_model_risk_params;
	return sscanf(s, "%u,%u,%u,%u,%u,%lf,%lf,%lf,%u", &p->bits, &p->ngram_min, &p->ngram_max, &p->words,
		      &p->epochs, &p->rate, &p->l2, &p->prior, &p->mean) >= 7 ? 0 : -1;
}

typedef struct cv_opts {
	const textcat_params *params;
	double acute_min, risk_min; /* < 0: the model's */
	bool sweep;
	double max_false; /* of the model alone at the operating point */
} cv_opts;

/* Trains on all sets but one, evaluates that one, for each; the per-set
 * and pooled figures of rules, model and combination into pooled[3]. */
static int cross_validate(risk_rules *r, char **paths, int n, const cv_opts *o, tally pooled[3], tally lpooled[3])
{
	cv_ctx c = {.r = r};
	int rc = 0;
	for (int k = 0; k < n && rc == 0; k++) {
		struct embedded_file *train = eval_read_sets(paths, n, k);
		text_model *tm = train ? text_model_train(train, NULL, o->params, NULL) : NULL;
		if (tm && o->acute_min >= 0)
			tm->acute_min = o->acute_min;
		if (tm && o->risk_min >= 0)
			tm->risk_min = o->risk_min;
		if (tm) {
			tm->low_min = cv_low;
			tm->window_min = cv_window;
		}
		c.tm = tm;
		c.set = k;
		memset(c.t, 0, sizeof c.t);
		memset(c.lt, 0, sizeof c.lt);
		if (!tm || eval_each_row(paths[k], 8, cv_row_fn, &c) != 0 ||
		    eval_long_texts(&c.benign, &c.acute, 4, 3, cv_long_fn, &c) != 0)
			rc = 2;
		eval_pool_clear(&c.benign);
		eval_pool_clear(&c.acute);
		printf("== held out: %s (trained on %zu messages of the other sets)\n", paths[k], tm ? tm->risk_docs : 0);
		for (int j = 0; j < 3; j++) {
			print_row(cv_names[j], &c.t[j]);
			add(&pooled[j], &c.t[j]);
		}
		for (int j = 0; j < 3; j++) {
			print_long(cv_names[j], &c.lt[j]);
			add(&lpooled[j], &c.lt[j]);
		}
		risk_rules_set_text_model(r, NULL);
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
		cv_operating_point(&c, n, o->max_false);
	free(c.rows);
	return rc;
}

typedef struct limits {
	double min_acute, max_false;
	long max_none;
	double long_false, long_acute; /* of the model alone on long texts */
} limits;

/* 1 when the model's long-text figures miss a limit (and says so). */
static int over_long(const tally *t, const limits *l)
{
	int rc = 0;
	if (l->long_false >= 0 && t->benign && (double)t->benign_alarm / t->benign > l->long_false) {
		printf("FAIL: model false alarms on long texts %.1f%% > %.1f%%\n", eval_pct(t->benign_alarm, t->benign),
		       100 * l->long_false);
		rc = 1;
	}
	if (l->long_acute >= 0 && t->acute && (double)t->acute_high / t->acute < l->long_acute) {
		printf("FAIL: model long acute texts at high or above %.1f%% < %.1f%%\n",
		       eval_pct(t->acute_high, t->acute), 100 * l->long_acute);
		rc = 1;
	}
	return rc;
}

/* 1 when all misses a limit (and says so). */
static int over(const tally *all, const limits *l)
{
	int rc = 0;
	if (l->min_acute >= 0 && all->acute && (double)all->acute_high / all->acute < l->min_acute) {
		printf("FAIL: acute at high or above %.1f%% < %.1f%%\n", eval_pct(all->acute_high, all->acute),
		       100 * l->min_acute);
		rc = 1;
	}
	if (l->max_none >= 0 && all->acute_none > (unsigned long)l->max_none) {
		printf("FAIL: %u acute messages assessed none (limit %ld)\n", all->acute_none, l->max_none);
		rc = 1;
	}
	if (l->max_false >= 0 && all->benign && (double)all->benign_alarm / all->benign > l->max_false) {
		printf("FAIL: false alarms %.1f%% > %.1f%%\n", eval_pct(all->benign_alarm, all->benign),
		       100 * l->max_false);
		rc = 1;
	}
	return rc;
}

/* The options before the sets; the index of the first set, or -1. */
static int options(int argc, char **argv, limits *l, cv_opts *o, bool *cv, textcat_params *p, bool *service)
{
	int i = 1;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i], "--corpus") != 0; i++) {
		bool arg = i + 1 < argc;
		if (strcmp(argv[i], "--cv") == 0)
			*cv = true;
		else if (strcmp(argv[i], "--service") == 0)
			*service = true;
		else if (strcmp(argv[i], "--sweep") == 0)
			o->sweep = true;
		else if (arg && strcmp(argv[i], "--min-acute") == 0)
			l->min_acute = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--max-false") == 0)
			l->max_false = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--max-long-false") == 0)
			l->long_false = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--min-long-acute") == 0)
			l->long_acute = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--max-acute-none") == 0)
			l->max_none = atol(argv[++i]);
		else if (arg && strcmp(argv[i], "--model-false") == 0)
			o->max_false = atof(argv[++i]);
		else if (arg && strcmp(argv[i], "--thresholds") == 0)
			sscanf(argv[++i], "%lf,%lf,%lf,%lf", &o->acute_min, &o->risk_min, &cv_low, &cv_window);
		else if (arg && strcmp(argv[i], "--params") == 0 && parse_params(argv[i + 1], p) == 0 && ++i)
			o->params = p;
		else
			return -1;
	}
	return i < argc ? i : -1;
}

int main(int argc, char **argv)
{
	limits l = {-1, -1, -1, -1, -1};
	cv_opts o = {NULL, -1, -1, false, 0.04};
	textcat_params params;
	bool cv = false, service = false;
	int i = options(argc, argv, &l, &o, &cv, &params, &service);
	if (i < 0) {
		fprintf(stderr, "usage: risk_eval [--service] [--min-acute F] [--max-acute-none N] [--max-false F] SET.tsv...\n"
				"       risk_eval --cv [--sweep] [--params B,NMIN,NMAX,WORDS,EPOCHS,RATE,L2] "
				"[--thresholds ACUTE,RISK[,LOW[,WINDOW]]] [--model-false F] [--max-long-false F] [--min-long-acute F] [limits] "
				"SET.tsv...\n"
				"       risk_eval [--service] --corpus FILE.jsonl...\n");
		return 2;
	}
	long nrules = 0;
	risk_rules *r = seeded_rules_load(&nrules);
	if (!r)
		return 2;
	printf("seeded rules: %ld\n", nrules);
	/* --service: the rules with the text model the binary trains at
	 * start-up, as the service assesses (not with --cv, which trains its own) */
	text_model *builtin = service && !cv ? text_model_builtin() : NULL;
	if (service && !cv && !builtin) {
		risk_rules_free(r);
		return 2;
	}
	risk_rules_set_text_model(r, builtin);
	printf("text model: %s\n", builtin ? "built in (as the service runs)" : "none (the rules alone)");
	int rc = 0;
	if (strcmp(argv[i], "--corpus") == 0) {
		rc = corpus(r, argc - i - 1, argv + i + 1);
	} else if (cv) {
		tally pooled[3] = {{0}}, lpooled[3] = {{0}};
		rc = cross_validate(r, argv + i, argc - i, &o, pooled, lpooled);
		if (!rc && (over(&pooled[2], &l) | over_long(&lpooled[1], &l)))
			rc = 1;
	}
	for (; !cv && i < argc && strcmp(argv[i], "--corpus") != 0; i++) {
		tally by_lang[EVAL_NLANGS] = {{0}}, all = {0};
		printf("== %s\n", argv[i]);
		if (eval_set(r, argv[i], by_lang) != 0)
			rc = 2;
		for (size_t k = 0; k < EVAL_NLANGS; k++) {
			print_row(eval_langs[k], &by_lang[k]);
			add(&all, &by_lang[k]);
		}
		print_row("overall", &all);
		printf("acute messages given a persona prompt: %u (with RISK_ROLE_PLAY_AT_LOW=on: %u)\n", all.acute_persona,
		       all.acute_persona_low);
		if (over(&all, &l) && !rc)
			rc = 1;
	}
	risk_rules_free(r);
	text_model_free(builtin);
	return rc;
}
