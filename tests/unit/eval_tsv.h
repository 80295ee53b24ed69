/* Test helper shared by the evaluation runners (risk_eval.c,
 * reply_eval.c): the five languages of the sets, and reading a set's rows. */
#ifndef CC_TESTS_EVAL_TSV_H
#define CC_TESTS_EVAL_TSV_H
#include <stddef.h>

#include "server/embedded.h"

extern const char *const eval_langs[];
#define EVAL_NLANGS 5

/* Index of language l in eval_langs, or -1. */
int eval_lang_slot(const char *l);
/* 100 a / b; 0 when b is 0. */
double eval_pct(unsigned a, unsigned b);
/* Calls row(ud, fields, slot) for every row of the tab-separated set at
 * path (lines starting with # and blank lines skipped) that has exactly nf
 * fields and a known language in field 1 (slot is its index); row returns
 * 0, or -1 for a malformed row. Malformed lines are reported. Returns 0, or
 * -1 when the file cannot be read or any line was malformed. */
int eval_each_row(const char *path, int nf, int (*row)(void *ud, char **f, int slot), void *ud);

/* For cross-validation: the sets paths[0..n) but paths[skip] read into a
 * NULL-name-terminated array (as the binary embeds them), for
 * text_model_train. NULL when one cannot be read. Free with
 * eval_free_sets. */
struct embedded_file *eval_read_sets(char **paths, int n, int skip);
void eval_free_sets(struct embedded_file *sets);

/* Long texts for cross-validation, made of the rows of one held-out set:
 * texts kept with their language slot. */
typedef struct eval_pool {
	char **text;
	int *slot;
	size_t n, cap;
} eval_pool;

/* Adds a copy of text; -1 when out of memory. */
int eval_pool_add(eval_pool *p, const char *text, int slot);
void eval_pool_clear(eval_pool *p);

/* The long texts of one set, each passed to fn(ud, text, len, target)
 * (fn returns 0, or -1 to stop):
 *  - ordinary: the texts of base in groups of nbase of the same language,
 *    in their order, each used once (the remainder joins the last group);
 *  - target: each text of target among nctx texts of base of its language
 *    (taken in turn), at position i % (nctx + 1) for the i-th target of
 *    that language; none when the language has no base text.
 * Parts are joined with ". " and " " in turn (by text). Returns 0 or -1. */
int eval_long_texts(const eval_pool *base, const eval_pool *target, size_t nbase, size_t nctx,
		    int (*fn)(void *ud, const char *text, size_t len, int target), void *ud);

#endif
