/* See fanout.h. Each call's result is copied as it ends (its strings live
 * only during on_done); the callback runs once, then the fan-out frees
 * itself. */
#include "server/llm/fanout.h"

#include <stdlib.h>
#include <string.h>

typedef struct fanout_slot {
	fanout *f;
	void *call;      /* running, or NULL once ended or cancelled */
	llm_result res;
	char *content, *model, *reason, *backend_url; /* copies of res's strings */
} fanout_slot;

struct fanout {
	fanout_backend b;
	fanout_policy policy;
	fanout_cb cb;
	void *ud;
	size_t n, pending;
	bool failed;
	fanout_slot slots[];
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void fanout_free(fanout *f)
{
	for (size_t i = 0; i < f->n; i++) {
		fanout_slot *s = &f->slots[i];
		if (s->call)
			f->b.cancel(s->call);
		free(s->content);
		free(s->model);
		free(s->reason);
		free(s->backend_url);
	}
	free(f);
}

static void finish(fanout *f)
{
	llm_result *results = calloc(f->n ? f->n : 1, sizeof *results);
	for (size_t i = 0; results && i < f->n; i++) {
		fanout_slot *s = &f->slots[i];
		if (s->call) { /* stopped by the policy */
			f->b.cancel(s->call);
			s->call = NULL;
			s->res = (llm_result){.outcome = LLM_CANCELLED, .reason = "another call of the fan-out failed",
					      .prompt_tokens = -1, .completion_tokens = -1, .first_piece_ms = -1};
		}
		results[i] = s->res;
	}
	if (results)
		f->cb(f->ud, results, f->n, f->failed || !results);
	else
		f->cb(f->ud, NULL, 0, true);
	free(results);
	fanout_free(f);
}

static void on_done(void *ud, const llm_result *res)
{
	fanout_slot *s = ud;
	fanout *f = s->f;
	s->call = NULL;
	s->res = *res;
	s->res.content = s->content = dup_or_null(res->content);
	s->res.model = s->model = dup_or_null(res->model);
	s->res.reason = s->reason = dup_or_null(res->reason);
	s->res.backend_url = s->backend_url = dup_or_null(res->backend_url);
	f->pending--;
	if (res->outcome != LLM_OK)
		f->failed = true;
	if (f->pending == 0 || (f->failed && f->policy == FANOUT_FAIL_FAST))
		finish(f);
}

fanout *fanout_start_on(const fanout_backend *b, const fanout_call *calls, size_t n, fanout_policy policy,
			fanout_cb cb, void *ud)
{
	if (n == 0)
		return NULL;
	fanout *f = calloc(1, sizeof *f + n * sizeof f->slots[0]);
	if (!f)
		return NULL;
	*f = (fanout){.b = *b, .policy = policy, .cb = cb, .ud = ud, .n = n, .pending = n};
	llm_handlers h = {.on_done = on_done};
	for (size_t i = 0; i < n; i++) {
		f->slots[i].f = f;
		f->slots[i].call = b->start(b->ctx, &calls[i], &h, &f->slots[i]);
		if (!f->slots[i].call) {
			fanout_free(f); /* cancels those started */
			return NULL;
		}
	}
	return f;
}

static void *llm_backend_start(void *ctx, const fanout_call *call, const llm_handlers *h, void *ud)
{
	return llm_start_ex(ctx, call->system, call->user, call->json_mode, false, call->opts, h, ud);
}

static void llm_backend_cancel(void *call)
{
	llm_cancel(call);
}

fanout *fanout_start(llm_client *c, const fanout_call *calls, size_t n, fanout_policy policy, fanout_cb cb,
		     void *ud)
{
	fanout_backend b = {llm_backend_start, llm_backend_cancel, c};
	return fanout_start_on(&b, calls, n, policy, cb, ud);
}

void fanout_cancel(fanout *f)
{
	if (f)
		fanout_free(f);
}
