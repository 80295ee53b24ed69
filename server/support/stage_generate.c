/* Stage: the generation. One backend call (server/llm/llm.h), plain or
 * streamed; a stream's pieces go through the output check
 * (check_on_piece) and its end to stage_check, once the classifier has
 * answered on the message. */
#include "server/support/run.h"

#include <stdlib.h>
#include <string.h>

/* The request log line: which backend and model wrote the reply, and how
 * long each step took (no text, no risk level). */
static void log_backend(support_run *s, const llm_result *res)
{
	json_t *f = json_pack("{s:i,s:s,s:i,s:f,s:f,s:f}", "backend", (int)res->backend, "model",
			      res->model ? res->model : s->a->cfg->llm_model, "attempts", (int)res->attempts,
			      "store_ms", s->ms_store, "annotator_ms", s->ms_annotator, "backend_ms", res->ms);
	if (res->first_piece_ms >= 0)
		json_object_set_new(f, "first_piece_ms", json_real(res->first_piece_ms));
	const char *k;
	json_t *v;
	json_object_foreach(f, k, v)
		http_req_log(s->r, k, json_incref(v));
	json_decref(f);
}

/* Keeps a copy of the generation's result in s->gen. */
void generate_keep_result(support_run *s, const llm_result *res)
{
	if (res == &s->gen)
		return;
	free(s->gen_content);
	free(s->gen_model);
	s->gen = *res;
	s->gen_content = res->content ? strdup(res->content) : NULL;
	s->gen_model = res->model ? strdup(res->model) : NULL;
	s->gen.content = s->gen_content;
	s->gen.model = s->gen_model ? s->gen_model : s->a->cfg->llm_model;
}

static void on_generated(void *ud, const llm_result *res)
{
	support_run *s = ud;
	s->call = NULL;
	s->ms_backend = res->ms;
	log_backend(s, res);
	if (s->cls) { /* the classifier has not answered yet: wait for it */
		generate_keep_result(s, res);
		s->gen_held = true;
		return;
	}
	stage_check(s, res);
}


bool generate_admit(support_run *s)
{
	if (!s->in.dry_run && llm_client_active(s->a->llm) >= s->a->cfg->llm_max_concurrent) {
		/* LLM_MAX_CONCURRENT: the whole process's backend calls */
		http_req_add_header(s->r, "Retry-After", "1");
		run_fail(s, ERR_OVERLOADED, NULL, json_pack("{s:i}", "max_concurrent", (int)s->a->cfg->llm_max_concurrent));
		return false;
	}
	return true;
}

void stage_generate(support_run *s)
{
	if (run_is_stream(s->in.format) && !s->st) {
		stream_open(s);
		if (!s->st) {
			run_fail(s, ERR_INTERNAL, NULL, NULL);
			return;
		}
	}
	if (s->in.dry_run) {
		run_answer(s, NULL);
		return;
	}
	s->generating = true;
	llm_handlers h = {.on_done = on_generated};
	if (run_is_stream(s->in.format)) {
		h.on_piece = check_on_piece;
		h.is_full = check_is_full;
	}
	llm_opts o = {.turns = s->turns}; /* the earlier turns that fit, between system and message */
	s->call = llm_start_ex(s->a->llm, s->prompt.system, s->prompt.user, false, run_is_stream(s->in.format), &o, &h,
			       s);
	if (!s->call)
		run_fail(s, ERR_BACKEND_FAILED, "The model backend cannot be called.", json_pack("{s:s}", "reason", "client_error"));
}
