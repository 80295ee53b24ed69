/* The model annotator (server/support/annotator.h) as an eval-annotator callback:
 * one blocking call per message to the configured backend, on a private
 * libuv loop. */
#ifndef CC_ANNOTATOR_EVAL_LLM_H
#define CC_ANNOTATOR_EVAL_LLM_H
#include "server/support/annotator_eval.h"
#include "server/config.h"

typedef struct ae_llm ae_llm;

/* NULL when out of memory or no backend is configured. */
ae_llm *ae_llm_new(const config *cfg);
void ae_llm_free(ae_llm *a);
/* ae_annotate_fn; ud: an ae_llm. */
int ae_llm_annotator(void *ud, const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		     ae_pred *out);

#endif
