/* The corpus annotator: distress phrases with their intensity and cultural
 * signals with their type, found in a message by matching it against the
 * annotated phrases of its culture in the in-memory lexicon
 * (server/support/lexicon.h). Used by POST /support (annotator "corpus", and as the
 * fallback of "llm") and by `culturecare eval-annotator`. Pure: no I/O. */
#ifndef CC_CORPUS_ANNOTATOR_H
#define CC_CORPUS_ANNOTATOR_H
#include <stddef.h>
#include <stdint.h>

#include "server/support/lexicon.h"

/* off of a span whose place in the message is not known */
#define CORPUS_NO_SPAN SIZE_MAX

typedef struct corpus_span {
	size_t off, len;    /* bytes of the message; off CORPUS_NO_SPAN: not located */
	const char *label;  /* distress: intensity; signal: type; NULL: unknown */
	const char *phrase; /* the corpus phrase it was matched to (owned by the lexicon) */
	const char *side;   /* signals: the side of that phrase; distress: NULL */
	double similarity;  /* of that match, 0..1 */
} corpus_span;

typedef struct corpus_annotation {
	corpus_span *distress;
	size_t ndistress;
	corpus_span *signals;
	size_t nsignals;
} corpus_annotation;

/* The options of the whole-message match corpus_annotate takes (and POST
 * /support uses for its strategies): the defaults without distress phrases
 * (distress is the models' business). */
void corpus_match_opts(lexicon_opts *o);

/* Annotates message (len bytes) of culture c. whole: lexicon_match of the
 * whole message with corpus_match_opts (the caller has it anyway; the
 * signals are taken from it). Distress needs the models of
 * server/support/corpus_model.h attached to l (corpus_model_attach); without them
 * only signals are found. out is overwritten; free it with
 * corpus_annotation_clear. Returns 0, or -1 (out of memory, bad
 * arguments) with out empty. */
int corpus_annotate(const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		    const lexicon_result *whole, corpus_annotation *out);
void corpus_annotation_clear(corpus_annotation *a);

#endif
