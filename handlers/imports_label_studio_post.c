/* POST /imports/label-studio: a Label Studio JSON export of a project made
 * from our label-studio export and config, read back into ratings and
 * preferences. Per task: data.cand<k>_id name the candidates, data.item_id
 * the item; per annotation (cancelled ones skipped) the rater is
 * "label-studio:<completed_by>" (the user id, or its email when the export
 * carries the user object); results "<metric>_cand<k>" of type rating are
 * that candidate's scores, a pairwise result ("selected": "left" or
 * "right") a preference between cand1 and cand2. Ratings upsert as POST
 * /candidates/{id}/ratings does; unknown ids are skipped and counted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/support/judge.h"
#include "server/util.h"
#include "store/annotation.h"

static void on_imported(void *ud, json_t *res, store_status st)
{
	http_req *r = ud;
	if (st != STORE_OK) {
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	http_reply_json(r, 200, json_incref(res));
}

static void rater_of(json_t *ann, char *out, size_t len)
{
	json_t *cb = json_object_get(ann, "completed_by");
	if (json_is_integer(cb))
		snprintf(out, len, "label-studio:%lld", (long long)json_integer_value(cb));
	else if (json_is_string(cb))
		snprintf(out, len, "label-studio:%.150s", json_string_value(cb));
	else if (json_is_object(cb) && json_is_string(json_object_get(cb, "email")))
		snprintf(out, len, "label-studio:%.150s", json_string_value(json_object_get(cb, "email")));
	else if (json_is_object(cb) && json_is_integer(json_object_get(cb, "id")))
		snprintf(out, len, "label-studio:%lld", (long long)json_integer_value(json_object_get(cb, "id")));
	else
		snprintf(out, len, "label-studio:unknown");
}

/* "empathy_cand2" -> metric, 2; -1 when not of that form. */
static int parse_name(const char *name, int *pos)
{
	const char *u = name ? strstr(name, "_cand") : NULL;
	if (!u)
		return -1;
	char metric[64];
	size_t n = (size_t)(u - name);
	if (n >= sizeof metric)
		return -1;
	memcpy(metric, name, n);
	metric[n] = '\0';
	char *end;
	long p = strtol(u + 5, &end, 10);
	if (*end || p < 1 || p > 10)
		return -1;
	*pos = (int)p;
	return judge_metric_parse(metric);
}

/* One annotation of a task (data): its ratings appended to ratings, its
 * preference to prefs. */
static void import_annotation(json_t *data, json_t *ann, json_t *ratings, json_t *prefs)
{
	char rater[200];
	rater_of(ann, rater, sizeof rater);
	json_t *per_cand[11] = {0};
	size_t ri;
	json_t *res;
	json_array_foreach(json_object_get(ann, "result"), ri, res)
	{
		const char *type = json_string_value(json_object_get(res, "type"));
		json_t *value = json_object_get(res, "value");
		if (type && strcmp(type, "rating") == 0) {
			int pos, m = parse_name(json_string_value(json_object_get(res, "from_name")), &pos);
			json_t *v = json_object_get(value, "rating");
			if (m < 0 || !json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
				continue;
			if (!per_cand[pos])
				per_cand[pos] = json_object();
			json_object_set(per_cand[pos], judge_metric_names[m], v);
		} else if (type && strcmp(type, "pairwise") == 0) {
			const char *sel = json_string_value(json_object_get(value, "selected"));
			json_t *c1 = json_object_get(data, "cand1_id"), *c2 = json_object_get(data, "cand2_id");
			if (!sel || !json_is_string(c1) || !json_is_string(c2) || !uuid_valid(json_string_value(c1)) ||
			    !uuid_valid(json_string_value(c2)) ||
			    !uuid_valid(json_string_value(json_object_get(data, "item_id"))))
				continue;
			bool left = strcmp(sel, "left") == 0;
			if (!left && strcmp(sel, "right") != 0)
				continue;
			json_array_append_new(prefs, json_pack("{s:O,s:s,s:[O,O],s:b}", "item_id", json_object_get(data, "item_id"),
							       "rater", rater, "ranking", left ? c1 : c2, left ? c2 : c1, "tie", 0));
		}
	}
	for (int pos = 1; pos <= 10; pos++) {
		if (!per_cand[pos])
			continue;
		char k[32];
		snprintf(k, sizeof k, "cand%d_id", pos);
		json_t *cid = json_object_get(data, k);
		if (json_is_string(cid) && uuid_valid(json_string_value(cid))) {
			json_object_set(per_cand[pos], "candidate_id", cid);
			json_object_set_new(per_cand[pos], "rater", json_string(rater));
			json_array_append(ratings, per_cand[pos]);
		}
		json_decref(per_cand[pos]);
	}
}

int label_studio_import_parse(const char *text, size_t len, char **ratings_out, char **prefs_out, body_error *e)
{
	*ratings_out = *prefs_out = NULL;
	json_t *body = annotation_parse_body(text, len, e);
	if (!body)
		return -1;
	if (!json_is_array(body)) {
		json_decref(body);
		return body_error_invalid(e, "(body)", "must be Label Studio's JSON export: an array of tasks", NULL);
	}
	json_t *ratings = json_array(), *prefs = json_array();
	size_t ti;
	json_t *task;
	json_array_foreach(body, ti, task)
	{
		size_t ai;
		json_t *ann;
		json_array_foreach(json_object_get(task, "annotations"), ai, ann)
			if (!json_is_true(json_object_get(ann, "was_cancelled")))
				import_annotation(json_object_get(task, "data"), ann, ratings, prefs);
	}
	json_decref(body);
	*ratings_out = json_dumps(ratings, JSON_COMPACT);
	*prefs_out = json_dumps(prefs, JSON_COMPACT);
	json_decref(ratings);
	json_decref(prefs);
	if (*ratings_out && *prefs_out)
		return 0;
	free(*ratings_out);
	free(*prefs_out);
	*ratings_out = *prefs_out = NULL;
	return body_error_set(e, ERR_INTERNAL, NULL, NULL);
}

void handler_imports_label_studio_post(http_req *r)
{
	app *a = http_req_app(r);
	size_t len;
	const char *text = annotation_body_text(r, &len);
	char *rs, *ps;
	body_error e;
	if (!text || annotation_refused(r, label_studio_import_parse(text, len, &rs, &ps, &e), &e))
		return;
	if (store_ratings_import(a->pool, rs, ps, on_imported, r) < 0)
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	free(rs);
	free(ps);
}
