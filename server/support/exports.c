/* The export formats (see exports.h). Field names of the tools' formats
 * follow their documentation (docs of Label Studio, Argilla 2.x and
 * Prodigy); tests/schemas/ holds the JSON schemas the tests check them
 * against. */
#include "server/support/exports.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "server/support/judge.h"

int export_format_parse(const char *name, export_format *out)
{
	static const char *const names[] = {"jsonl", "csv", "label-studio", "argilla", "prodigy"};
	for (int i = 0; i < 5; i++)
		if (name && strcmp(name, names[i]) == 0) {
			*out = (export_format)i;
			return 0;
		}
	return -1;
}

const char *export_content_type(export_format f)
{
	switch (f) {
	case EXPORT_CSV:
		return "text/csv; charset=utf-8";
	case EXPORT_LABEL_STUDIO:
		return "application/json";
	default:
		return "application/x-ndjson";
	}
}

const char *export_file_extension(export_format f)
{
	return f == EXPORT_CSV ? "csv" : f == EXPORT_LABEL_STUDIO ? "json" : "jsonl";
}

static void add_json(sbuf *b, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(6));
	if (s)
		sb_add(b, s);
	else
		b->failed = true;
	free(s);
}

void export_begin(const export_opts *o, sbuf *b)
{
	if (o->format == EXPORT_CSV)
		sb_add(b, "item_id,candidate_id,culture,strategy,position,metric,human_mean,human_n,judge_score,"
			  "judge_weighted,judge_model,judge_prompt_version\r\n");
	else if (o->format == EXPORT_LABEL_STUDIO)
		sb_add(b, "[");
}

void export_end(const export_opts *o, sbuf *b)
{
	if (o->format == EXPORT_LABEL_STUDIO)
		sb_add(b, "]\n");
}

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* The first judge entry of a candidate for a metric (newest model/version
 * order as stored), or NULL. */
static json_t *judge_of(json_t *cand, const char *metric)
{
	size_t i;
	json_t *j;
	json_array_foreach(json_object_get(cand, "judge"), i, j)
	if (strcmp(str(j, "metric"), metric) == 0)
		return j;
	return NULL;
}

static void csv_field(sbuf *b, const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	if (!quote) {
		sb_add(b, s);
		return;
	}
	sb_add(b, "\"");
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			sb_add(b, "\"");
		sb_addn(b, p, 1);
	}
	sb_add(b, "\"");
}

static int item_csv(json_t *item, sbuf *b)
{
	int rows = 0;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(item, "candidates"), i, c)
	{
		for (int m = 0; m < JUDGE_METRICS; m++) {
			const char *metric = judge_metric_names[m];
			double sum = 0;
			int n = 0;
			size_t k;
			json_t *r;
			json_array_foreach(json_object_get(c, "ratings"), k, r)
			{
				json_t *v = json_object_get(r, metric);
				if (json_is_integer(v)) {
					sum += (double)json_integer_value(v);
					n++;
				}
			}
			json_t *j = judge_of(c, metric);
			sb_printf(b, "%s,%s,", str(item, "id"), str(c, "id"));
			csv_field(b, str(item, "culture"));
			sb_add(b, ",");
			csv_field(b, str(c, "strategy"));
			sb_printf(b, ",%d,%s,", (int)json_integer_value(json_object_get(c, "position")), metric);
			if (n)
				sb_printf(b, "%.4g", sum / n);
			sb_printf(b, ",%d,", n);
			if (j && json_is_integer(json_object_get(j, "score")))
				sb_printf(b, "%d", (int)json_integer_value(json_object_get(j, "score")));
			sb_add(b, ",");
			if (j && json_is_number(json_object_get(j, "weighted")))
				sb_printf(b, "%.4g", json_number_value(json_object_get(j, "weighted")));
			sb_add(b, ",");
			if (j) {
				csv_field(b, str(j, "model"));
				sb_add(b, ",");
				csv_field(b, str(j, "prompt_version"));
			} else {
				sb_add(b, ",");
			}
			sb_add(b, "\r\n");
			rows++;
		}
	}
	return rows;
}

static json_t *jsonl_of(json_t *item)
{
	json_t *out = json_deep_copy(item);
	json_object_set_new(out, "format", json_string("culturecare-annotation/1"));
	return out;
}

/* Label Studio: a task with one data field per candidate; the judge's
 * scores as one prediction per judge model and prompt version. */
static json_t *label_studio_of(json_t *item)
{
	json_t *data = json_pack("{s:O,s:O,s:O}", "item_id", json_object_get(item, "id"), "culture",
				 json_object_get(item, "culture"), "message", json_object_get(item, "message"));
	json_t *preds = json_array(); /* [{model_version, result, _p (probability sum), _n}] */
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(item, "candidates"), i, c)
	{
		char k[32];
		int pos = (int)json_integer_value(json_object_get(c, "position"));
		snprintf(k, sizeof k, "cand%d", pos);
		json_object_set(data, k, json_object_get(c, "reply"));
		snprintf(k, sizeof k, "cand%d_id", pos);
		json_object_set(data, k, json_object_get(c, "id"));
		snprintf(k, sizeof k, "cand%d_strategy", pos);
		json_object_set(data, k, json_object_get(c, "strategy"));
		size_t jn;
		json_t *j;
		json_array_foreach(json_object_get(c, "judge"), jn, j)
		{
			if (!json_is_integer(json_object_get(j, "score")))
				continue;
			char mv[300];
			snprintf(mv, sizeof mv, "%s/%s", str(j, "model"), str(j, "prompt_version"));
			json_t *p = NULL, *e;
			size_t pi;
			json_array_foreach(preds, pi, e)
			if (strcmp(str(e, "model_version"), mv) == 0)
				p = e;
			if (!p) {
				p = json_pack("{s:s,s:[],s:f,s:i}", "model_version", mv, "result", "_p", 0.0, "_n", 0);
				json_array_append_new(preds, p);
			}
			char name[80], to[16], rid[96];
			snprintf(to, sizeof to, "cand%d", pos);
			snprintf(name, sizeof name, "%s_cand%d", str(j, "metric"), pos);
			snprintf(rid, sizeof rid, "%s", name);
			json_array_append_new(json_object_get(p, "result"),
					      json_pack("{s:s,s:s,s:s,s:s,s:{s:O}}", "id", rid, "from_name", name, "to_name", to,
							"type", "rating", "value", "rating", json_object_get(j, "score")));
			json_t *prob = json_object_get(j, "probability");
			if (json_is_number(prob)) {
				json_object_set_new(p, "_p", json_real(json_number_value(json_object_get(p, "_p")) +
								       json_number_value(prob)));
				json_object_set_new(p, "_n", json_integer(json_integer_value(json_object_get(p, "_n")) + 1));
			}
		}
	}
	json_t *p;
	json_array_foreach(preds, i, p)
	{
		json_int_t n = json_integer_value(json_object_get(p, "_n"));
		if (n > 0) /* the judge's mean confidence in its digits */
			json_object_set_new(p, "score", json_real(json_number_value(json_object_get(p, "_p")) / (double)n));
		json_object_del(p, "_p");
		json_object_del(p, "_n");
	}
	return json_pack("{s:o,s:o}", "data", data, "predictions", preds);
}

/* Argilla 2.x: a record with the message and one text field per
 * candidate, the judge's scores as suggestions (value, score, agent). */
static json_t *argilla_of(json_t *item)
{
	json_t *fields = json_pack("{s:O}", "message", json_object_get(item, "message"));
	json_t *sugg = json_object();
	json_t *meta = json_pack("{s:O,s:O}", "culture", json_object_get(item, "culture"), "risk_level",
				 json_object_get(item, "risk_level"));
	size_t i;
	json_t *c;
	bool rated = false;
	json_array_foreach(json_object_get(item, "candidates"), i, c)
	{
		int pos = (int)json_integer_value(json_object_get(c, "position"));
		char k[80];
		snprintf(k, sizeof k, "cand%d", pos);
		json_object_set(fields, k, json_object_get(c, "reply"));
		snprintf(k, sizeof k, "cand%d_strategy", pos);
		json_object_set(meta, k, json_object_get(c, "strategy"));
		rated = rated || json_array_size(json_object_get(c, "ratings")) > 0;
		for (int m = 0; m < JUDGE_METRICS; m++) {
			json_t *j = judge_of(c, judge_metric_names[m]);
			if (!j || !json_is_integer(json_object_get(j, "score")))
				continue;
			char agent[300];
			snprintf(agent, sizeof agent, "%s/%s", str(j, "model"), str(j, "prompt_version"));
			snprintf(k, sizeof k, "%s_cand%d", judge_metric_names[m], pos);
			json_t *s = json_pack("{s:O,s:s}", "value", json_object_get(j, "score"), "agent", agent);
			json_t *prob = json_object_get(j, "probability");
			if (json_is_number(prob))
				json_object_set(s, "score", prob);
			json_object_set_new(sugg, k, s);
		}
	}
	return json_pack("{s:O,s:o,s:o,s:o,s:s}", "id", json_object_get(item, "id"), "fields", fields, "metadata", meta,
			 "suggestions", sugg, "status", rated ? "completed" : "pending");
}

static json_t *prodigy_of(const export_opts *o, json_t *item)
{
	json_t *cands = json_object_get(item, "candidates");
	json_t *meta = json_pack("{s:O,s:O}", "item_id", json_object_get(item, "id"), "culture", json_object_get(item, "culture"));
	if (o->prodigy_choice) {
		json_t *options = json_array(), *c;
		size_t i;
		json_array_foreach(cands, i, c)
		json_array_append_new(options, json_pack("{s:O,s:O}", "id", json_object_get(c, "id"), "text",
							 json_object_get(c, "reply")));
		return json_pack("{s:O,s:o,s:o}", "text", json_object_get(item, "message"), "options", options, "meta", meta);
	}
	json_t *c = json_array_get(cands, (size_t)(o->prodigy_side - 1));
	if (!c) {
		json_decref(meta);
		return NULL;
	}
	json_object_set(meta, "candidate_id", json_object_get(c, "id"));
	json_object_set(meta, "strategy", json_object_get(c, "strategy"));
	return json_pack("{s:O,s:{s:O},s:{s:O},s:o}", "id", json_object_get(item, "id"), "input", "text",
			 json_object_get(item, "message"), "output", "text", json_object_get(c, "reply"), "meta", meta);
}

int export_item(const export_opts *o, json_t *item, bool first, sbuf *b)
{
	json_t *rec = NULL;
	switch (o->format) {
	case EXPORT_CSV:
		return item_csv(item, b);
	case EXPORT_JSONL:
		rec = jsonl_of(item);
		break;
	case EXPORT_LABEL_STUDIO:
		rec = label_studio_of(item);
		if (rec && !first)
			sb_add(b, ",\n");
		break;
	case EXPORT_ARGILLA:
		rec = argilla_of(item);
		break;
	case EXPORT_PRODIGY:
		rec = prodigy_of(o, item);
		break;
	}
	if (!rec)
		return 0;
	add_json(b, rec);
	json_decref(rec);
	if (o->format != EXPORT_LABEL_STUDIO)
		sb_add(b, "\n");
	return 1;
}

char *export_label_studio_config(int n)
{
	sbuf b = {0};
	sb_add(&b, "<View>\n  <Header value=\"Message\"/>\n  <Text name=\"message\" value=\"$message\"/>\n");
	for (int k = 1; k <= n; k++) {
		sb_printf(&b, "  <Header value=\"Candidate %d\"/>\n  <Text name=\"cand%d\" value=\"$cand%d\"/>\n", k, k, k);
		for (int m = 0; m < JUDGE_METRICS; m++)
			sb_printf(&b,
				  "  <View style=\"display: flex; gap: 1em\"><Header size=\"6\" value=\"%s\"/>"
				  "<Rating name=\"%s_cand%d\" toName=\"cand%d\" maxRating=\"5\" required=\"false\"/></View>\n",
				  judge_metric_title((judge_metric)m), judge_metric_names[m], k, k);
	}
	if (n == 2)
		sb_add(&b, "  <Header value=\"Which reply is better?\"/>\n  <Pairwise name=\"pw\" toName=\"cand1,cand2\"/>\n");
	sb_add(&b, "</View>\n");
	return sb_take(&b);
}

json_t *export_argilla_settings(int n)
{
	json_t *fields = json_array(), *questions = json_array(), *ranks = json_array();
	json_array_append_new(fields, json_pack("{s:s,s:s,s:s,s:b,s:b}", "name", "message", "title", "Message", "type",
						"text", "use_markdown", 0, "required", 1));
	for (int k = 1; k <= n; k++) {
		char name[32], title[64];
		snprintf(name, sizeof name, "cand%d", k);
		snprintf(title, sizeof title, "Candidate %d", k);
		json_array_append_new(fields, json_pack("{s:s,s:s,s:s,s:b,s:b}", "name", name, "title", title, "type", "text",
							"use_markdown", 0, "required", k == 1));
		json_array_append_new(ranks, json_string(name));
		for (int m = 0; m < JUDGE_METRICS; m++) {
			char q[80], qt[128];
			snprintf(q, sizeof q, "%s_cand%d", judge_metric_names[m], k);
			snprintf(qt, sizeof qt, "%s of candidate %d", judge_metric_title((judge_metric)m), k);
			json_array_append_new(questions, json_pack("{s:s,s:s,s:s,s:[i,i,i,i,i],s:b}", "name", q, "title", qt,
								   "type", "rating", "values", 1, 2, 3, 4, 5, "required", 0));
		}
	}
	if (n >= 2)
		json_array_append_new(questions, json_pack("{s:s,s:s,s:s,s:o,s:b}", "name", "ranking", "title",
							   "Rank the candidates, best first", "type", "ranking", "values",
							   ranks, "required", 0));
	else
		json_decref(ranks);
	json_t *metadata = json_pack("[{s:s,s:s,s:s}, {s:s,s:s,s:s}]", "name", "culture", "title", "Culture", "type", "terms",
				     "name", "risk_level", "title", "Risk level", "type", "terms");
	return json_pack("{s:s,s:o,s:o,s:o,s:b}", "guidelines",
			 "Rate each candidate reply to the message on each metric from 1 (poor) to 5 (excellent), as "
			 "defined in the CultureCare method, then rank the candidates.",
			 "fields", fields, "questions", questions, "metadata", metadata, "allow_extra_metadata", 1);
}
