/* The model annotator for eval-annotator (see server/support/annotator_eval_llm.h). */
#include "server/support/annotator_eval_llm.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "server/support/annotator.h"
#include "server/llm/llm.h"
#include "server/support/prompt.h"
#include "server/util.h"

struct ae_llm {
	uv_loop_t loop;
	llm_client *client;
	json_t *last; /* the parsed answer of the last call: the labels point into it */
	ae_span *spans;
	size_t cap;
};

typedef struct pending {
	bool done;
	char *content;
} pending;

static void on_done(void *ud, const llm_result *res)
{
	pending *p = ud;
	p->done = true;
	if (res->outcome == LLM_OK && res->content)
		p->content = strdup(res->content);
}

ae_llm *ae_llm_new(const config *cfg)
{
	if (!cfg || !cfg->llm_base_url || !*cfg->llm_base_url)
		return NULL;
	ae_llm *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	if (uv_loop_init(&a->loop) != 0) {
		free(a);
		return NULL;
	}
	if (!(a->client = llm_client_new(&a->loop, cfg))) {
		uv_loop_close(&a->loop);
		free(a);
		return NULL;
	}
	return a;
}

void ae_llm_free(ae_llm *a)
{
	if (!a)
		return;
	llm_client_close(a->client);
	uv_run(&a->loop, UV_RUN_DEFAULT);
	uv_loop_close(&a->loop);
	json_decref(a->last);
	free(a->spans);
	free(a);
}

/* The spans of one list of the parsed answer into a->spans from *n on. */
static int add_spans(ae_llm *a, json_t *list, const char *label_key, const char *message, size_t len, size_t *n)
{
	size_t i;
	json_t *it;
	json_array_foreach(list, i, it)
	{
		const char *p = json_string_value(json_object_get(it, "phrase"));
		const char *at = p && *p ? memmem(message, len, p, strlen(p)) : NULL;
		if (!at)
			continue;
		ae_span *s = array_grow(a->spans, &a->cap, *n + 1, sizeof *s);
		if (!s)
			return -1;
		a->spans = s;
		s[(*n)++] = (ae_span){(size_t)(at - message), strlen(p),
				      json_string_value(json_object_get(it, label_key))};
	}
	return 0;
}

int ae_llm_annotator(void *ud, const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		     ae_pred *out)
{
	ae_llm *a = ud;
	(void)l;
	memset(out, 0, sizeof *out);
	json_decref(a->last);
	a->last = NULL;
	prompt pr = {0};
	if (annotator_build_prompt(message, lexicon_culture_display_name(c), &pr) < 0)
		return -1;
	pending p = {0};
	llm_handlers h = {.on_done = on_done};
	llm_call *call = llm_start(a->client, pr.system, pr.user, true, false, &h, &p);
	prompt_clear(&pr);
	if (!call)
		return -1;
	while (!p.done)
		uv_run(&a->loop, UV_RUN_ONCE);
	if (!p.content)
		return -1;
	a->last = annotator_parse_reply(p.content, message, NULL, 0);
	free(p.content);
	if (!a->last)
		return -1;
	size_t nd = 0, ns = 0;
	if (add_spans(a, json_object_get(a->last, "emotional_distress"), "intensity", message, len, &nd) < 0)
		return -1;
	ns = nd;
	if (add_spans(a, json_object_get(a->last, "cultural_signals"), "type", message, len, &ns) < 0)
		return -1;
	out->distress = a->spans;
	out->ndistress = nd;
	out->signals = a->spans + nd;
	out->nsignals = ns - nd;
	return 0;
}
