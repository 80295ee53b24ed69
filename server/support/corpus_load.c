/* Loads the in-memory lexicon (server/support/lexicon.h) from the corpus
 * rows the store reads. serve.c runs it at start-up and whenever an import
 * announces a change (NOTIFY culturecare, 'corpus'). */
#include "server/support/corpus_load.h"

#include <stdlib.h>

#include "server/log.h"
#include "server/support/corpus_model.h"
#include "server/util.h"

typedef struct corpus_load {
	corpus_load_cb cb;
	void *ud;
} corpus_load;

static int add_row(lexicon *l, const store_corpus_row *r)
{
	switch (r->kind) {
	case 'a':
		return lexicon_add_alias(l, r->phrase, r->code);
	case 's':
		return lexicon_add_signal(l, r->code, r->post, r->side, r->phrase, r->label);
	case 'd':
		return lexicon_add_distress(l, r->code, r->post, r->phrase, r->label);
	case 'r':
		return lexicon_add_support(l, r->code, r->post, r->phrase, r->label);
	default:
		return 0;
	}
}

static lexicon *build(const store_corpus_row *rows, size_t n)
{
	lexicon *l = lexicon_new();
	if (!l)
		return NULL;
	/* Cultures first: every other row refers to one. */
	for (size_t i = 0; i < n; i++)
		if (rows[i].kind == 'c' && lexicon_add_culture(l, rows[i].code, rows[i].phrase) < 0)
			goto fail;
	for (size_t i = 0; i < n; i++)
		if (add_row(l, &rows[i]) < 0)
			goto fail;
	if (lexicon_finish(l) < 0 || corpus_model_attach(l) < 0)
		goto fail;
	return l;
fail:
	lexicon_unref(l);
	return NULL;
}

static void on_rows(void *ud, const store_corpus_row *rows, size_t n, bool ok, uint64_t start_ns)
{
	corpus_load *cl = ud;
	lexicon *l = ok ? build(rows, n) : NULL;
	if (l)
		log_json(LOG_INFO, "corpus loaded",
			 json_pack("{s:i,s:i,s:f}", "cultures", (int)lexicon_culture_count(l), "rows", (int)n,
				   "duration_ms", (double)(now_ns() - start_ns) / 1e6));
	cl->cb(cl->ud, l);
	free(cl);
}

int corpus_load_start(store_pool *p, corpus_load_cb cb, void *ud)
{
	corpus_load *cl = malloc(sizeof *cl);
	if (!cl)
		return -1;
	*cl = (corpus_load){cb, ud};
	if (store_corpus_load(p, on_rows, cl) < 0) {
		free(cl);
		return -1;
	}
	return 0;
}
