/* GET /stats?culture=&strategy=: per culture and strategy, the human
 * ratings (mean of each metric, Emo / Cult / All as the method computes
 * them: means of the metric means), inter-rater agreement per metric
 * (Krippendorff's alpha, ordinal, with the number of candidates rated by
 * two or more raters it rests on), the judge's means per model and prompt
 * version (missing answers counted apart, never as 0), and win rates from
 * the preferences (each ranking gives every pair of candidates of
 * different strategies a win and a loss; a tie half of each). The database
 * aggregates (annotation_stats): the loop only combines a few numbers per
 * culture, strategy and metric, however many ratings there are. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/support/agreement.h"
#include "server/app.h"
#include "server/support/lexicon.h"
#include "server/support/judge.h"
#include "server/support/prompt.h"
#include "server/util.h"
#include "store/annotation.h"

typedef struct group {
	json_t *out;
	double mean[JUDGE_METRICS];
	long n[JUDGE_METRICS];
	double o[JUDGE_METRICS][25]; /* coincidences, values 1..5 */
	long units[JUDGE_METRICS];
	double wins, losses, ties;
} group;

static json_t *num(double v)
{
	return isnan(v) ? json_null() : json_real(v);
}

static group *find(json_t *index, group *groups, json_t *row, const char *strategy_key)
{
	const char *culture = json_string_value(json_object_get(row, "culture"));
	const char *strategy = json_string_value(json_object_get(row, strategy_key));
	sbuf b = {0};
	sb_printf(&b, "%s\x1f%s", culture ? culture : "", strategy ? strategy : "");
	char *k = sb_take(&b);
	json_t *i = k ? json_object_get(index, k) : NULL;
	free(k);
	return i ? &groups[json_integer_value(i)] : NULL;
}

static int metric_of(json_t *row)
{
	return judge_metric_parse(json_string_value(json_object_get(row, "metric")));
}

static void add_judge(json_t *rows, json_t *index, group *groups, size_t ng)
{
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		group *g = find(index, groups, row, "strategy");
		int m = metric_of(row);
		if (!g || m < 0)
			continue;
		json_t *judges = json_object_get(g->out, "judge"), *j = NULL, *e;
		const char *model = json_string_value(json_object_get(row, "model"));
		const char *pv = json_string_value(json_object_get(row, "prompt_version"));
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
		static const char *const keys[][2] = {
			{"means", "mean"}, {"weighted_means", "weighted_mean"}, {"n", "n"}, {"missing", "missing"}};
		for (int q = 0; q < 4; q++) {
			json_t *v = json_object_get(row, keys[q][1]);
			json_object_set(json_object_get(j, keys[q][0]), judge_metric_names[m], v ? v : json_null());
		}
	}
	for (size_t gi = 0; gi < ng; gi++) {
		json_t *j;
		size_t k;
		json_array_foreach(json_object_get(groups[gi].out, "judge"), k, j)
		{
			double means[JUDGE_METRICS];
			for (int m = 0; m < JUDGE_METRICS; m++) {
				json_t *v = json_object_get(json_object_get(j, "means"), judge_metric_names[m]);
				means[m] = json_is_number(v) ? json_number_value(v) : NAN;
			}
			judge_aggregates ag;
			judge_aggregate(means, &ag);
			json_object_update_new(j, judge_aggregates_json(&ag));
		}
	}
}

static void finish_group(group *g)
{
	json_t *means = json_object(), *counts = json_object(), *agreement = json_object();
	for (int m = 0; m < JUDGE_METRICS; m++) {
		json_object_set_new(means, judge_metric_names[m], num(g->mean[m]));
		json_object_set_new(counts, judge_metric_names[m], json_integer(g->n[m]));
		double alpha = g->units[m] > 0 ? agreement_alpha_ordinal_coincidences(g->o[m], 5) : NAN;
		json_object_set_new(agreement, judge_metric_names[m],
				    json_pack("{s:o,s:I}", "alpha", num(alpha), "items", (json_int_t)g->units[m]));
	}
	judge_aggregates ag;
	judge_aggregate(g->mean, &ag);
	json_t *human = json_pack("{s:O,s:o,s:o}", "ratings", json_object_get(g->out, "ratings"), "means", means, "n", counts);
	json_object_del(g->out, "ratings");
	json_object_update_new(human, judge_aggregates_json(&ag));
	json_object_set_new(g->out, "human", human);
	json_object_set_new(g->out, "agreement", agreement);
	double total = g->wins + g->losses + g->ties;
	json_object_set_new(g->out, "preferences",
			    json_pack("{s:f,s:f,s:f,s:f,s:o}", "comparisons", total, "wins", g->wins, "losses", g->losses,
				      "ties", g->ties, "win_rate",
				      total > 0 ? json_real((g->wins + g->ties / 2) / total) : json_null()));
}

static void on_stats(void *ud, json_t *raw, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	json_t *list = json_object_get(raw, "groups");
	size_t ng = json_array_size(list);
	group *groups = calloc(ng + 1, sizeof *groups);
	json_t *index = json_object(), *out = json_array();
	if (!groups) {
		json_decref(index);
		json_decref(out);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < ng; i++) {
		json_t *c = json_array_get(list, i);
		sbuf b = {0};
		sb_printf(&b, "%s\x1f%s", json_string_value(json_object_get(c, "culture")),
			  json_string_value(json_object_get(c, "strategy")));
		char *k = sb_take(&b);
		if (k)
			json_object_set_new(index, k, json_integer((json_int_t)i));
		free(k);
		groups[i].out = json_pack("{s:O,s:O,s:O,s:O,s:O,s:[]}", "culture", json_object_get(c, "culture"), "strategy",
					  json_object_get(c, "strategy"), "items", json_object_get(c, "items"),
					  "candidates", json_object_get(c, "candidates"), "ratings",
					  json_object_get(c, "ratings"), "judge");
		for (int m = 0; m < JUDGE_METRICS; m++)
			groups[i].mean[m] = NAN;
	}
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(raw, "means"), i, row)
	{
		group *g = find(index, groups, row, "strategy");
		int m = metric_of(row);
		if (g && m >= 0) {
			g->mean[m] = json_number_value(json_object_get(row, "mean"));
			g->n[m] = (long)json_integer_value(json_object_get(row, "n"));
		}
	}
	json_array_foreach(json_object_get(raw, "coincidences"), i, row)
	{
		group *g = find(index, groups, row, "strategy");
		int m = metric_of(row);
		json_int_t c = json_integer_value(json_object_get(row, "c")), k = json_integer_value(json_object_get(row, "k"));
		if (g && m >= 0 && c >= 1 && c <= 5 && k >= 1 && k <= 5)
			g->o[m][(c - 1) * 5 + (k - 1)] += json_number_value(json_object_get(row, "o"));
	}
	json_array_foreach(json_object_get(raw, "pairable"), i, row)
	{
		group *g = find(index, groups, row, "strategy");
		int m = metric_of(row);
		if (g && m >= 0)
			g->units[m] = (long)json_integer_value(json_object_get(row, "units"));
	}
	json_array_foreach(json_object_get(raw, "pairs"), i, row)
	{
		group *better = find(index, groups, row, "better"), *worse = find(index, groups, row, "worse");
		double n = (double)json_integer_value(json_object_get(row, "n"));
		bool tie = json_is_true(json_object_get(row, "tie"));
		if (better)
			*(tie ? &better->ties : &better->wins) += n;
		if (worse)
			*(tie ? &worse->ties : &worse->losses) += n;
	}
	add_judge(json_object_get(raw, "judge"), index, groups, ng);
	for (size_t g = 0; g < ng; g++) {
		finish_group(&groups[g]);
		json_array_append_new(out, groups[g].out);
	}
	free(groups);
	json_decref(index);
	http_reply_json(r, 200, json_pack("{s:o,s:s}", "groups", out, "agreement_method", "krippendorff_alpha_ordinal"));
}

void handler_stats_get(http_req *r)
{
	app *a = http_req_app(r);
	const char *culture = http_req_query(r, "culture"), *strategy = http_req_query(r, "strategy");
	if (annotation_filters(r, &culture, &strategy) < 0)
		return;
	if (store_annotation_stats(a->pool, culture, strategy, on_stats, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
}
