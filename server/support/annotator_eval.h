/* `culturecare eval-annotator`: measures an annotator on CultureCare files
 * with k-fold splits by post within each culture. For culture C and fold f
 * the messages are the posts of C in fold f, each written as its annotated
 * post phrases (distress phrases, then the post-side signals not already
 * inside them, joined by one space); the corpus is every other post (all
 * cultures), loaded into an in-memory lexicon. Pure apart from reading the
 * files; the annotator is a callback (the corpus annotator, the model). */
#ifndef CC_ANNOTATOR_EVAL_H
#define CC_ANNOTATOR_EVAL_H
#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>

#include <jansson.h>

#include "server/support/lexicon.h"

typedef struct ae_dataset ae_dataset;

/* A new, empty dataset; NULL when out of memory. */
ae_dataset *ae_dataset_new(void);
void ae_dataset_free(ae_dataset *d);
/* Adds one record in the CultureCare JSONL shape (as in the files; it is
 * normalised like `import` does). 0, or -1 with a reason in err. */
int ae_dataset_add(ae_dataset *d, json_t *record, char *err, size_t errlen);
/* Adds every line of a JSONL file. 0, or -1 with "FILE: line N: reason"
 * in err. */
int ae_dataset_load(ae_dataset *d, const char *path, char *err, size_t errlen);

/* One predicted span of a message. */
typedef struct ae_span {
	size_t off, len;   /* bytes of the message */
	const char *label; /* intensity or type; NULL: none */
} ae_span;

/* What an annotator found in a message; the arrays belong to the
 * annotator (valid until its next call). */
typedef struct ae_pred {
	const ae_span *distress;
	size_t ndistress;
	const ae_span *signals;
	size_t nsignals;
} ae_pred;

/* The annotator under test: annotates message (NUL-terminated, len bytes)
 * of culture c against corpus l (the held-out fold is not in it).
 * Returns 0, or -1 on failure (the message then counts as annotated with
 * nothing; failures are counted). */
typedef int (*ae_annotate_fn)(void *ud, const lexicon *l, const lexicon_culture *c, const char *message,
			      size_t len, ae_pred *out);

#define AE_NINT 3 /* light, moderate, high */

/* Counts of one culture (or all). Spans match when they overlap. */
typedef struct ae_counts {
	size_t posts, failures;
	/* signals */
	size_t sig_gold, sig_found, sig_pred, sig_pred_ok;
	size_t type_n, type_ok, type_major_ok; /* found gold signals with a type */
	size_t ex_pred, ex_pred_ok, ex_found, ex_type_n, ex_type_ok; /* exact-phrase lookup */
	/* distress */
	size_t dis_gold, dis_found, dis_pred, dis_pred_ok;
	/* found gold phrases with an intensity: gold x predicted
	 * (AE_NINT: predicted none or unknown) */
	size_t conf[AE_NINT][AE_NINT + 1], major[AE_NINT][AE_NINT + 1];
} ae_counts;

/* Which posts an evaluation uses. Each culture's posts are cut once and
 * for all by a hash of their post id (ae_in_test_part) into a tuning part
 * (about 80 %) and a test part (about 20 %), so that an annotator can be
 * tuned on one and measured once on the other.
 * AE_SPLIT_ALL: k folds over all posts.
 * AE_SPLIT_TUNE: k folds over the tuning part; test posts are nowhere
 * (neither messages nor corpus).
 * AE_SPLIT_TEST: one run: the test posts are the messages, the tuning part
 * (every culture's) is the corpus. */
typedef enum ae_split { AE_SPLIT_ALL, AE_SPLIT_TUNE, AE_SPLIT_TEST } ae_split;

/* Whether the post with this id is in the test part. */
bool ae_in_test_part(const char *post_id);

typedef struct ae_report {
	ae_split split;
	unsigned k;        /* folds (AE_SPLIT_TEST: 1) */
	char **cultures;   /* sorted */
	ae_counts *counts; /* per culture */
	size_t ncultures;
	ae_counts all;
} ae_report;

/* Runs the evaluation with k folds (k >= 2; ignored for AE_SPLIT_TEST)
 * on the posts split selects of every culture of d. Returns 0, or -1 (out
 * of memory, k < 2). Free rep with ae_report_clear. */
int ae_run(const ae_dataset *d, unsigned k, ae_split split, ae_annotate_fn fn, void *ud, ae_report *rep);
void ae_report_clear(ae_report *rep);
/* Macro-F1 over the three intensities of a confusion table. */
double ae_macro_f1(const size_t conf[AE_NINT][AE_NINT + 1]);
/* Prints the two tables (signals, distress), a row per culture and one
 * overall, as Markdown, under a line that says which posts were used. */
void ae_report_print(const ae_report *rep, const char *annotator, FILE *f);

/* The corpus annotator (server/support/corpus_annotator.h) as an ae_annotate_fn;
 * ud: NULL. */
int ae_corpus_annotator(void *ud, const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
			ae_pred *out);

#endif
