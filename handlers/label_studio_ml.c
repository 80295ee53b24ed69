/* Label Studio's ML backend protocol, so that a Label Studio project made
 * from our label-studio export shows the judge's stored scores as
 * pre-annotations: GET /label-studio/health -> {"status": "UP"};
 * POST /label-studio/setup -> {"model_version"}; POST /label-studio/predict
 * {"tasks": [...]} -> {"results": [one prediction per task, in order]}.
 * A task's candidates are named by data.cand<k>_id; its prediction holds,
 * per candidate and metric, the latest stored judge score as a rating
 * result "<metric>_cand<k>" (no backend call: run POST /evaluations first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/annotation.h"
#include "handlers/handlers.h"
#include "server/app.h"
#include "server/support/judge.h"
#include "server/util.h"
#include "store/annotation.h"

#define MAX_TASKS 100

static const char *judge_model(const config *cfg)
{
	return cfg->judge_model && *cfg->judge_model ? cfg->judge_model : cfg->llm_model;
}

void handler_label_studio_health_get(http_req *r)
{
	http_reply_json(r, 200, json_pack("{s:s,s:s}", "status", "UP", "model_class", "CultureCareJudge"));
}

void handler_label_studio_setup_post(http_req *r)
{
	app *a = http_req_app(r);
	char mv[300];
	snprintf(mv, sizeof mv, "%s/%s", judge_model(a->cfg), JUDGE_PROMPT_VERSION);
	http_reply_json(r, 200, json_pack("{s:s}", "model_version", mv));
}

typedef struct predict_req {
	http_req *r;
	json_t *body;
} predict_req;

static void on_scores(void *ud, json_t *scores, store_status st)
{
	predict_req *p = ud;
	http_req *r = p->r;
	if (st != STORE_OK) {
		json_decref(p->body);
		free(p);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
		return;
	}
	json_t *results = json_array();
	size_t ti;
	json_t *task;
	json_array_foreach(json_object_get(p->body, "tasks"), ti, task)
	{
		json_t *data = json_object_get(task, "data");
		json_t *result = json_array();
		const char *mv = NULL;
		double psum = 0;
		int pn = 0;
		for (int k = 1; k <= 10; k++) {
			char key[32];
			snprintf(key, sizeof key, "cand%d_id", k);
			const char *cid = json_string_value(json_object_get(data, key));
			if (!cid)
				continue;
			size_t si;
			json_t *s;
			json_array_foreach(scores, si, s)
			{
				if (strcmp(json_string_value(json_object_get(s, "candidate_id")), cid) != 0 ||
				    !json_is_integer(json_object_get(s, "score")))
					continue;
				char name[80], to[16];
				snprintf(name, sizeof name, "%s_cand%d", json_string_value(json_object_get(s, "metric")), k);
				snprintf(to, sizeof to, "cand%d", k);
				json_array_append_new(result, json_pack("{s:s,s:s,s:s,s:s,s:{s:O}}", "id", name, "from_name", name,
									"to_name", to, "type", "rating", "value", "rating",
									json_object_get(s, "score")));
				mv = json_string_value(json_object_get(s, "model_version"));
				json_t *prob = json_object_get(s, "probability");
				if (json_is_number(prob)) {
					psum += json_number_value(prob);
					pn++;
				}
			}
		}
		json_t *pred = json_pack("{s:o}", "result", result);
		if (mv)
			json_object_set_new(pred, "model_version", json_string(mv));
		if (pn)
			json_object_set_new(pred, "score", json_real(psum / pn));
		json_array_append_new(results, pred);
	}
	json_decref(p->body);
	free(p);
	http_reply_json(r, 200, json_pack("{s:o}", "results", results));
}

int label_studio_predict_parse(const char *text, size_t len, json_t **body_out, char **ids_out, body_error *e)
{
	*body_out = NULL;
	*ids_out = NULL;
	json_t *body = annotation_parse_body(text, len, e);
	if (!body)
		return -1;
	json_t *tasks = json_object_get(body, "tasks");
	if (!json_is_object(body) || !json_is_array(tasks) || json_array_size(tasks) > MAX_TASKS) {
		json_decref(body);
		return body_error_invalid(e, "tasks", "must be an array of at most 100 Label Studio tasks", NULL);
	}
	sbuf ids = {0};
	sb_add(&ids, "{");
	int n = 0;
	size_t ti;
	json_t *task;
	json_array_foreach(tasks, ti, task)
	{
		json_t *data = json_object_get(task, "data");
		for (int k = 1; k <= 10; k++) {
			char key[32];
			snprintf(key, sizeof key, "cand%d_id", k);
			const char *cid = json_string_value(json_object_get(data, key));
			if (cid && uuid_valid(cid))
				sb_printf(&ids, "%s%s", n++ ? "," : "", cid);
		}
	}
	sb_add(&ids, "}");
	*ids_out = sb_take(&ids);
	if (!*ids_out) {
		json_decref(body);
		return body_error_set(e, ERR_INTERNAL, NULL, NULL);
	}
	*body_out = body;
	return 0;
}

void handler_label_studio_predict_post(http_req *r)
{
	app *a = http_req_app(r);
	size_t len;
	const char *text = annotation_body_text(r, &len);
	json_t *body;
	char *lit;
	body_error e;
	if (!text || annotation_refused(r, label_studio_predict_parse(text, len, &body, &lit, &e), &e))
		return;
	predict_req *p = calloc(1, sizeof *p);
	if (!p) {
		free(lit);
		json_decref(body);
		http_reply_error(r, ERR_INTERNAL, NULL, NULL);
		return;
	}
	p->r = r;
	p->body = body;
	if (store_judge_scores_latest(a->pool, lit, on_scores, p) < 0) {
		json_decref(body);
		free(p);
		http_reply_error(r, ERR_DATABASE_UNAVAILABLE, NULL, NULL);
	}
	free(lit);
}
