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

/* Scores of text (len bytes) of culture c (of the model's lexicon). */
/* Whether it expresses distress: > 0 yes. */
double corpus_model_distress(const corpus_model *m, const lexicon_culture *c, const char *text, size_t len);
/* Its intensity: "light", "moderate" or "high" (static strings). */
const char *corpus_model_intensity(const corpus_model *m, const lexicon_culture *c, const char *text, size_t len);
/* The type of a signal (one of the seven, static strings); NULL when the
 * culture has no typed signals. */
const char *corpus_model_type(const corpus_model *m, const lexicon_culture *c, const char *text, size_t len);

#endif
