/* The statistical text models of the safety checks, trained at start-up
 * (in memory, deterministically) on the project's own labelled sets,
 * compiled into the binary: for messages tests/risk_eval/set1..set4.tsv
 * and the sets of tests/risk_train/, for replies tests/reply_eval/
 * set1..set4.tsv and the sets of tests/reply_train/, each named in
 * meson.build (server/textcat.h is the classifier). They only ever add to the rules:
 *  - risk: the probability that the writer is acute (labelled high or
 *    imminent) and that the writer is at any risk (low or above); above
 *    TEXT_MODEL_ACUTE_MIN the level is at least high, above
 *    TEXT_MODEL_RISK_MIN at least moderate (risk_assess, reason
 *    text_model);
 *  - replies: the probability that a reply window (a sentence with the
 *    one before it) is unsafe; above TEXT_MODEL_REPLY_MIN the reply is
 *    replaced (safety_check_sentence, verdict text_model).
 * The thresholds were chosen by leave-one-set-out cross-validation over
 * those sets (README "Safety"): the most acute messages found with the
 * model's own false alarms at most 4%, the most unsafe replies replaced
 * with the model's own safe replies replaced at most 3%. Pure: no I/O; a model is read-only once
 * trained and may be shared. */
#ifndef CC_TEXT_MODEL_H
#define CC_TEXT_MODEL_H
#include <stdbool.h>
#include <stddef.h>

#include "server/embedded.h"
#include "server/safety/risk.h"
#include "server/textcat.h"

#define TEXT_MODEL_ACUTE_MIN 0.61
#define TEXT_MODEL_RISK_MIN 1.00
/* The low floor: a message the model finds even a little like risk (its
 * higher score at least this) is checked in on (RISK_LOW, and no persona in the
 * prompt), never left at none; the service sets it from RISK_LOW_FLOOR. */
#define TEXT_MODEL_LOW_MIN 0.25
#define TEXT_MODEL_REPLY_MIN 0.55
/* A text of several sentences is also scored window by window (a sentence
 * with the one before it): high when a window's acute score reaches this
 * (above 1: off), so that an acute sentence in a paragraph counts. */
#define TEXT_MODEL_WINDOW_MIN 0.80

typedef struct text_model {
	textcat *risk;  /* outputs: 0 acute, 1 any risk */
	textcat *reply; /* output 0: unsafe */
	double acute_min, risk_min, low_min, reply_min;
	double window_min; /* of a window's acute score: high */
	size_t risk_docs, reply_docs; /* rows learnt from */
} text_model;

/* The features and training of both models (a fixed seed). */
extern const textcat_params text_model_risk_params, text_model_reply_params;

/* Trains both models on the sets given (each a NULL-name-terminated
 * array; either may be NULL: that model is then absent). Risk sets have
 * the columns id, lang, min_level, max_level, group, kind, message,
 * reason; reply sets id, lang, label, kind, reply, reason; lines starting
 * with # and rows of another shape are skipped. rp and pp override the
 * parameters (NULL: the defaults). NULL when out of memory. */
text_model *text_model_train(const struct embedded_file *risk_sets, const struct embedded_file *reply_sets,
			     const textcat_params *rp, const textcat_params *pp);
/* The models on the sets compiled into the binary. */
text_model *text_model_builtin(void);
void text_model_free(text_model *m);

/* The risk model's two probabilities; -1 when the model is absent or out
 * of memory (both 0). */
int text_model_risk(const text_model *m, const char *text, size_t len, double *acute, double *any);
/* The highest acute score of the windows of text (a sentence with the one
 * before it; 0 for a text of one sentence); -1 on failure. */
double text_model_risk_window(const text_model *m, const char *text, size_t len);
/* The level the risk model alone gives: RISK_HIGH when the acute score
 * reaches acute_min or a window's reaches window_min, RISK_MODERATE when the
 * any-risk score reaches risk_min, RISK_LOW when either score reaches
 * low_min (below 1; 1: off), else RISK_NONE; -1 on failure. */
int text_model_risk_level(const text_model *m, const char *text, size_t len);
/* The reply model's probability that text is unsafe; -1 on failure. */
double text_model_reply(const text_model *m, const char *text, size_t len);

#endif
