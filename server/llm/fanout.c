/* The fan-out of backend calls (see fanout.h). Each slot owns copies of
 * its prompt until started and of its result once ended; the callback runs
 * from the last (or first failing) call's completion, never from
 * fanout_start. */
#include "server/llm/fanout.h"

#include <stdlib.h>
#include <string.h>

#define FANOUT_MAX 64

typedef struct slot {
	fanout *f;
	size_t index;
	char *system, *user;
	char *o_model, *o_url, *o_key, *o_body; /* owned copies of the options' strings */
	llm_opts opts;
	bool has_opts;
	llm_call *call;
	fanout_result res;
} slot;

struct fanout {
	llm_client *client;
	fanout_policy policy;
	fanout_cb cb;
	void *ud;
	size_t n, pending;
	bool reported;
	slot *slots;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

fanout *fanout_new(llm_client *c, size_t n, fanout_policy policy, fanout_cb cb, void *ud)
{
	if (n == 0 || n > FANOUT_MAX)
		return NULL;
	fanout *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->slots = calloc(n, sizeof *f->slots);
	if (!f->slots) {
		free(f);
		return NULL;
	}
	f->client = c;
	f->policy = policy;
	f->cb = cb;
	f->ud = ud;
	f->n = n;
	for (size_t i = 0; i < n; i++) {
		f->slots[i].f = f;
		f->slots[i].index = i;
	}
	return f;
}

int fanout_set(fanout *f, size_t i, const char *system, const char *user, const llm_opts *o)
{
	if (i >= f->n)
		return -1;
	slot *s = &f->slots[i];
	free(s->system);
	free(s->user);
	s->system = strdup(system ? system : "");
	s->user = strdup(user ? user : "");
	s->has_opts = o != NULL;
	bool bad = false;
	if (o) {
		s->opts = *o;
		free(s->o_model), free(s->o_url), free(s->o_key), free(s->o_body);
		s->opts.model = s->o_model = dup_or_null(o->model);
		s->opts.url = s->o_url = dup_or_null(o->url);
		s->opts.api_key = s->o_key = dup_or_null(o->api_key);
		s->opts.body = s->o_body = dup_or_null(o->body);
		s->opts.assistant = NULL;
		bad = (o->model && !s->o_model) || (o->url && !s->o_url) || (o->api_key && !s->o_key) ||
		      (o->body && !s->o_body);
	}
	return s->system && s->user && !bad ? 0 : -1;
}

static void cancel_running(fanout *f)
{
	for (size_t i = 0; i < f->n; i++) {
		slot *s = &f->slots[i];
		if (s->call) {
			llm_cancel(s->call);
			s->call = NULL;
			s->res.done = true;
			s->res.outcome = LLM_CANCELLED;
			s->res.reason = "cancelled by the fan-out";
		}
	}
}

static void report(fanout *f)
{
	if (f->reported)
		return;
	f->reported = true;
	f->cb(f->ud, f);
}

static void on_done(void *ud, const llm_result *r)
{
	slot *s = ud;
	fanout *f = s->f;
	s->call = NULL;
	s->res.done = true;
	s->res.outcome = r->outcome;
	s->res.http_status = r->http_status;
	s->res.content = r->outcome == LLM_OK ? dup_or_null(r->content) : NULL;
	s->res.model = dup_or_null(r->model);
	s->res.reason = r->reason;
	s->res.prompt_tokens = r->prompt_tokens;
	s->res.completion_tokens = r->completion_tokens;
	s->res.ms = r->ms;
	s->res.attempts = r->attempts;
	s->res.backend = r->backend;
	if (r->outcome == LLM_OK && !s->res.content) {
		s->res.outcome = LLM_BAD_REPLY;
		s->res.reason = "out of memory";
	}
	f->pending--;
	if (s->res.outcome != LLM_OK && f->policy == FANOUT_FAIL_FAST) {
		cancel_running(f);
		f->pending = 0;
	}
	if (f->pending == 0)
		report(f); /* may free f */
}

int fanout_start(fanout *f)
{
	size_t started = 0;
	bool start_failed = false;
	llm_handlers h = {.on_done = on_done};
	for (size_t i = 0; i < f->n; i++) {
		slot *s = &f->slots[i];
		if (!s->user)
			continue;
		s->call = llm_start_ex(f->client, s->system, s->user, false, false, s->has_opts ? &s->opts : NULL, &h, s);
		free(s->system);
		free(s->user);
		s->system = s->user = NULL;
		free(s->o_model), free(s->o_url), free(s->o_key), free(s->o_body);
		s->o_model = s->o_url = s->o_key = s->o_body = NULL;
		if (s->call) {
			s->res.started = true;
			started++;
		} else {
			s->res.done = true;
			s->res.outcome = LLM_CONNECT;
			s->res.reason = "the call could not be started";
			start_failed = true;
			if (f->policy == FANOUT_FAIL_FAST)
				break;
		}
	}
	if (started == 0 || (f->policy == FANOUT_FAIL_FAST && start_failed)) {
		cancel_running(f);
		return -1;
	}
	f->pending = started;
	return 0;
}

size_t fanout_count(const fanout *f)
{
	return f->n;
}

const fanout_result *fanout_result_at(const fanout *f, size_t i)
{
	return i < f->n ? &f->slots[i].res : NULL;
}

long fanout_first_failure(const fanout *f)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->slots[i].res.done && f->slots[i].res.outcome != LLM_OK && f->slots[i].res.outcome != LLM_CANCELLED)
			return (long)i;
	for (size_t i = 0; i < f->n; i++)
		if (!f->slots[i].res.done || f->slots[i].res.outcome != LLM_OK)
			return (long)i;
	return -1;
}

double fanout_max_ms(const fanout *f)
{
	double m = 0;
	for (size_t i = 0; i < f->n; i++)
		if (f->slots[i].res.ms > m)
			m = f->slots[i].res.ms;
	return m;
}

void fanout_free(fanout *f)
{
	if (!f)
		return;
	f->reported = true; /* a cancel below must not report */
	cancel_running(f);
	for (size_t i = 0; i < f->n; i++) {
		free(f->slots[i].system);
		free(f->slots[i].user);
		free(f->slots[i].o_model), free(f->slots[i].o_url), free(f->slots[i].o_key), free(f->slots[i].o_body);
		free(f->slots[i].res.content);
		free(f->slots[i].res.model);
	}
	free(f->slots);
	free(f);
}
