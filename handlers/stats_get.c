/* GET /stats?culture=&strategy=: per culture and strategy, the human
 * ratings (mean of each metric, Emo / Cult / All as the method computes
 * them: means of the metric means), inter-rater agreement per metric
 * (Krippendorff's alpha, ordinal, with the number of candidates rated by
 * two or more raters it rests on), the judge's means per model and prompt
 * version (missing answers counted apart, never as 0), and win rates from
 * the preferences (each ranking gives every pair of candidates of
 * different strategies a win and a loss; a tie half of each). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/agreement.h"
#include "server/app.h"
#include "server/judge.h"
#include "server/prompt.h"
#include "server/util.h"
#include "store/annotation.h"

typedef struct group {
	json_t *out;
	double sum[JUDGE_METRICS];
	long n[JUDGE_METRICS];
	long ratings;
	/* the current group's values per metric for alpha, unit by unit */
	int *vals[JUDGE_METRICS];
	size_t nvals[JUDGE_METRICS], capv[JUDGE_METRICS];
	size_t *units[JUDGE_METRICS];
	size_t nunits[JUDGE_METRICS], capu[JUDGE_METRICS];
	double wins, losses, ties;
} group;

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static char *key_of(const char *culture, const char *strategy)
{
	sbuf b = {0};
	sb_printf(&b, "%s\x1f%s", culture ? culture : "", strategy ? strategy : "");
	return sb_take(&b);
}

static group *find(json_t *index, group *groups, const char *culture, const char *strategy)
{
	char *k = key_of(culture, strategy);
	json_t *i = k ? json_object_get(index, k) : NULL;
	free(k);
	return i ? &groups[json_integer_value(i)] : NULL;
}

static void push(group *g, int m, int value, bool new_unit)
{
	if (new_unit || g->nunits[m] == 0) {
		size_t *u = array_grow(g->units[m], &g->capu[m], g->nunits[m] + 1, sizeof *u);
		if (!u)
			return;
		g->units[m] = u;
		g->units[m][g->nunits[m]++] = 0;
	}
	int *v = array_grow(g->vals[m], &g->capv[m], g->nvals[m] + 1, sizeof *v);
	if (!v)
		return;
	g->vals[m] = v;
	g->vals[m][g->nvals[m]++] = value;
	g->units[m][g->nunits[m] - 1]++;
}

static void add_ratings(json_t *rows, json_t *index, group *groups)
{
	const char *last_cand[JUDGE_METRICS] = {0};
	group *last_g = NULL;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		group *g = find(index, groups, json_string_value(json_array_get(row, 0)),
				json_string_value(json_array_get(row, 1)));
		if (!g)
			continue;
		if (g != last_g)
			memset(last_cand, 0, sizeof last_cand);
		last_g = g;
		const char *cand = json_string_value(json_array_get(row, 2));
		g->ratings++;
		for (int m = 0; m < JUDGE_METRICS; m++) {
			json_t *v = json_array_get(row, 3 + (size_t)m);
			if (!json_is_integer(v))
				continue;
			int x = (int)json_integer_value(v);
			g->sum[m] += x;
			g->n[m]++;
			bool new_unit = !last_cand[m] || strcmp(last_cand[m], cand) != 0;
			push(g, m, x, new_unit);
			last_cand[m] = cand;
		}
	}
}

static void add_preferences(json_t *prefs, json_t *index, group *groups)
{
	size_t i;
	json_t *p;
	json_array_foreach(prefs, i, p)
	{
		const char *culture = json_string_value(json_object_get(p, "culture"));
		bool tie = json_is_true(json_object_get(p, "tie"));
		json_t *s = json_object_get(p, "strategies");
		size_t n = json_array_size(s);
		for (size_t a = 0; a < n; a++)
			for (size_t b = a + 1; b < n; b++) {
				const char *sa = json_string_value(json_array_get(s, a)),
					   *sb = json_string_value(json_array_get(s, b));
				if (!sa || !sb || strcmp(sa, sb) == 0)
					continue; /* the same strategy on both sides says nothing */
				group *ga = find(index, groups, culture, sa), *gb = find(index, groups, culture, sb);
				if (tie) {
					if (ga)
						ga->ties++;
					if (gb)
						gb->ties++;
				} else {
					if (ga)
						ga->wins++;
					if (gb)
						gb->losses++;
				}
			}
	}
}

static void add_judge(json_t *rows, json_t *index, group *groups)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		group *g = find(index, groups, json_string_value(json_object_get(row, "culture")),
				json_string_value(json_object_get(row, "strategy")));
		int m = judge_metric_parse(json_string_value(json_object_get(row, "metric")));
		if (!g || m < 0)
			continue;
		json_t *judges = json_object_get(g->out, "judge");
		const char *model = json_string_value(json_object_get(row, "model"));
		const char *pv = json_string_value(json_object_get(row, "prompt_version"));
		json_t *j = NULL, *e;
		size_t k;
		json_array_foreach(judges, k, e)
		{
			if (strcmp(json_string_value(json_object_get(e, "model")), model) == 0 &&
			    strcmp(json_string_value(json_object_get(e, "prompt_version")), pv) == 0)
				j = e;
		}
		if (!j) {
			j = json_pack("{s:s,s:s,s:{},s:{},s:{},s:{}}", "model", model, "prompt_version", pv, "means", "weighted_means",
				      "n", "missing");
			json_array_append_new(judges, j);
		}
		json_object_set(json_object_get(j, "means"), judge_metric_names[m], json_object_get(row, "mean"));
		json_object_set(json_object_get(j, "weighted_means"), judge_metric_names[m], json_object_get(row, "weighted_mean"));
		json_object_set(json_object_get(j, "n"), judge_metric_names[m], json_object_get(row, "n"));
		json_object_set(json_object_get(j, "missing"), judge_metric_names[m], json_object_get(row, "missing"));
	}
	/* Emo / Cult / All of each judge from its metric means */
	json_t *gi;
	const char *key;
	json_object_foreach(index, key, gi)
	{
		json_t *judges = json_object_get(groups[json_integer_value(gi)].out, "judge"), *j;
		size_t k;
		json_array_foreach(judges, k, j)
		{
			double means[JUDGE_METRICS];
			for (int m = 0; m < JUDGE_METRICS; m++) {
				json_t *v = json_object_get(json_object_get(j, "means"), judge_metric_names[m]);
				means[m] = json_is_number(v) ? json_number_value(v) : NAN;
			}
			judge_aggregates ag;
			judge_aggregate(means, &ag);
			json_object_update(j, judge_aggregates_json(&ag));
		}
	}
}

static void finish_group(group *g)
{
	json_t *means = json_object(), *counts = json_object(), *agreement = json_object();
	double mv[JUDGE_METRICS];
	for (int m = 0; m < JUDGE_METRICS; m++) {
		mv[m] = g->n[m] ? g->sum[m] / (double)g->n[m] : NAN;
		json_object_set_new(means, judge_metric_names[m], num(mv[m]));
		json_object_set_new(counts, judge_metric_names[m], json_integer(g->n[m]));
		size_t pairable = 0;
		double alpha = agreement_alpha_ordinal(g->vals[m], g->units[m], g->nunits[m], 1, 5, &pairable);
		json_object_set_new(agreement, judge_metric_names[m],
				    json_pack("{s:o,s:I}", "alpha", num(alpha), "items", (json_int_t)pairable));
		free(g->vals[m]);
		free(g->units[m]);
	}
	judge_aggregates ag;
	judge_aggregate(mv, &ag);
	json_t *human = json_pack("{s:I,s:o,s:o}", "ratings", (json_int_t)g->ratings, "means", means, "n", counts);
	json_object_update(human, judge_aggregates_json(&ag));
	json_object_set_new(g->out, "human", human);
	json_object_set_new(g->out, "agreement", agreement);
	double total = g->wins + g->losses + g->ties;
	json_object_set_new(g->out, "preferences",
			    json_pack("{s:f,s:f,s:f,s:f,s:o}", "comparisons", total, "wins", g->wins, "losses", g->losses,
				      "ties", g->ties, "win_rate", total > 0 ? json_real((g->wins + g->ties / 2) / total)
									      : json_null()));
}

static void on_stats(void *ud, json_t *raw, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	json_t *cands = json_object_get(raw, "candidates");
	size_t ng = json_array_size(cands);
	group *groups = calloc(ng + 1, sizeof *groups);
	json_t *index = json_object(), *out = json_array();
	if (!groups) {
		json_decref(index);
		json_decref(out);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < ng; i++) {
		json_t *c = json_array_get(cands, i);
		char *k = key_of(json_string_value(json_object_get(c, "culture")), json_string_value(json_object_get(c, "strategy")));
		if (k)
			json_object_set_new(index, k, json_integer((json_int_t)i));
		free(k);
		groups[i].out = json_pack("{s:O,s:O,s:O,s:O,s:[]}", "culture", json_object_get(c, "culture"), "strategy",
					  json_object_get(c, "strategy"), "items", json_object_get(c, "items"),
					  "candidates", json_object_get(c, "candidates"), "judge");
	}
	add_ratings(json_object_get(raw, "ratings"), index, groups);
	add_judge(json_object_get(raw, "judge"), index, groups);
	add_preferences(json_object_get(raw, "preferences"), index, groups);
	for (size_t i = 0; i < ng; i++) {
		finish_group(&groups[i]);
		json_array_append_new(out, groups[i].out);
	}
	free(groups);
	json_decref(index);
	http_reply_json(r, 200, json_pack("{s:o,s:s}", "groups", out, "agreement_method", "krippendorff_alpha_ordinal"));
}

void handler_stats_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *culture = http_req_query(r, "culture"), *strategy = http_req_query(r, "strategy");
	prompt_strategy s;
	if (strategy && prompt_strategy_parse(strategy, &s) < 0) {
		annotation_invalid(r, "strategy", "unknown strategy");
		return;
	}
	if (culture && a->lex) {
		const lexicon_culture *c = lexicon_culture_find(a->lex, culture);
		if (!c) {
			annotation_invalid(r, "culture", "unknown culture");
			return;
		}
		culture = lexicon_culture_code(c);
	}
	if (store_annotation_stats(a->pool, culture, strategy ? prompt_strategy_name(s) : NULL, on_stats, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}
