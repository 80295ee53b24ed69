/* Small text classifiers trained on a lexicon's own labelled phrases when
 * it is loaded (corpus_model_attach), for the corpus annotator: is a clause
 * distress (distress phrases against signal and support phrases), its
 * intensity, and the type of a cultural signal. Features: lower-cased
 * words, word pairs, character pairs of non-ASCII text, the culture, the
 * length; multiclass averaged perceptrons on hashed features, pooled over
 * the cultures (the culture is a feature). Pure; single-threaded to build,
 * read-only afterwards. */
#ifndef CC_CORPUS_MODEL_H
#define CC_CORPUS_MODEL_H
#include <stddef.h>

#include "server/support/lexicon.h"

typedef struct corpus_model corpus_model;

/* Trains the models on finished lexicon l and attaches them to it
 * (lexicon_attach). 0, or -1 (out of memory; l then has no model). */
int corpus_model_attach(lexicon *l);
/* The model of l; NULL when none is attached. */
const corpus_model *corpus_model_of(const lexicon *l);

/* The scores of a clause. */
typedef struct corpus_clause {
	double distress;     /* whether it expresses distress: > 0 yes */
	double intensity[3]; /* light, moderate, high: the higher the likelier */
} corpus_clause;

/* Scores text (len bytes) of culture c (of the model's lexicon) into out. */
void corpus_model_clause(const corpus_model *m, const lexicon_culture *c, const char *text, size_t len,
			 corpus_clause *out);
/* The intensity of a distress clause of culture c from its scores sc:
 * "light", "moderate" or "high" (static strings). The culture's most
 * frequent one unless another scores clearly higher. */
const char *corpus_model_intensity(const corpus_model *m, const lexicon_culture *c, const double sc[3]);
/* The type of a signal (one of the seven, static strings); NULL when the
 * culture has no typed signals. */
const char *corpus_model_type(const corpus_model *m, const lexicon_culture *c, const char *text, size_t len);

#endif
