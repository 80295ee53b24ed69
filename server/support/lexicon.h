/* The in-memory lexicon of the corpus: per culture its cultural signal
 * phrases, annotated distress phrases and the support phrases of the peer
 * replies, indexed by trigram so that a message can be matched against a
 * culture on every request (lexicon_match). The similarity is defined in
 * server/support/lexicon.c.
 *
 * Life cycle: lexicon_new, lexicon_add_* (any order, cultures first),
 * lexicon_finish; afterwards the lexicon is read-only. Single-threaded.
 * The lexicon is reference counted so that requests in flight can keep
 * using their results while the service swaps in a refreshed one: every
 * holder takes a reference (lexicon_ref) and drops it (lexicon_unref). */
#ifndef CC_LEXICON_H
#define CC_LEXICON_H
#include <stddef.h>

typedef struct lexicon lexicon;
typedef struct lexicon_culture lexicon_culture; /* opaque; owned by its lexicon */

/* A new, empty lexicon with one reference; NULL when out of memory. */
lexicon *lexicon_new(void);
/* Takes one more reference; returns l (NULL ok). */
lexicon *lexicon_ref(lexicon *l);
/* Drops one reference; frees the lexicon and everything in it at 0. NULL ok. */
void lexicon_unref(lexicon *l);

/* Building. Every string is copied (interned: identical strings are stored
 * once). Each returns 0, or -1 on out of memory, unknown culture (code or
 * alias, any ASCII case), NULL arguments where a string is required, or when
 * the lexicon is already finished.
 * lexicon_add_culture: a code already present (any case) is ignored (0),
 * the first display name stays. A culture code wins over an alias of the
 * same name.
 * lexicon_add_alias: ignored (0) when code is unknown, alias is empty or
 * already names a culture.
 * Optional strings (type, intensity, strategy) may be NULL (unknown). A NULL
 * phrase is taken as "" (never matches); a NULL side as "". */
int lexicon_add_culture(lexicon *l, const char *code, const char *display_name);
int lexicon_add_alias(lexicon *l, const char *alias, const char *code);
int lexicon_add_signal(lexicon *l, const char *code, long post_id, const char *side, const char *phrase,
		       const char *type);
int lexicon_add_distress(lexicon *l, const char *code, long post_id, const char *phrase, const char *intensity);
int lexicon_add_support(lexicon *l, const char *code, long post_id, const char *phrase, const char *strategy);
/* Builds the indexes; after it the lexicon is read-only and lexicon_match
 * may be used. 0, or -1 (out of memory; the lexicon is then unusable and
 * only lexicon_unref is meaningful). Calling it again does nothing. */
int lexicon_finish(lexicon *l);

/* Lookup by code or alias, ASCII-case-insensitive; NULL if unknown (or l or
 * code_or_alias NULL). The culture is owned by l. */
const lexicon_culture *lexicon_culture_find(const lexicon *l, const char *code_or_alias);
const char *lexicon_culture_code(const lexicon_culture *c);
const char *lexicon_culture_display_name(const lexicon_culture *c);
size_t lexicon_culture_count(const lexicon *l);
/* The i-th culture code, sorted by code (ASCII-case-insensitive, then
 * bytewise); NULL when i is out of range. */
const char *lexicon_culture_code_at(const lexicon *l, size_t i);

typedef struct lexicon_opts {
	double signal_threshold;   /* default 0.6: minimum similarity of a signal */
	size_t max_signals;        /* default 10; 0: no signals (none are scored) */
	size_t max_distress;       /* default 5; 0: no distress phrases */
	double distress_threshold; /* default 0.2: minimum similarity to count as "similar" */
	size_t max_strategies;     /* default 8 */
} lexicon_opts;
void lexicon_opts_default(lexicon_opts *o);

typedef struct lexicon_signal_match {
	const char *phrase;
	const char *type; /* NULL: unknown */
	const char *side; /* "post" | "response" (as loaded; never NULL) */
	double similarity;
	unsigned occurrences; /* rows with this (phrase, type, side) in the culture */
} lexicon_signal_match;

typedef struct lexicon_distress_match {
	const char *phrase;
	const char *intensity; /* light | moderate | high; NULL: unknown */
	double similarity;
	long post_id;
} lexicon_distress_match;

typedef struct lexicon_strategy {
	const char *strategy;
	double weight;           /* share of the support phrases of the posts */
	const char *examples[3]; /* first distinct phrases in insertion order */
	size_t nexamples;
} lexicon_strategy;

typedef struct lexicon_result {
	/* best first (similarity, then occurrences, phrase, side, type);
	 * identical (phrase, type, side) merged, with occurrences */
	lexicon_signal_match *signals;
	size_t nsignals;
	/* best first (similarity, then insertion order); only similarity >=
	 * distress_threshold; not merged (one entry per annotated phrase) */
	lexicon_distress_match *distress;
	size_t ndistress;
	/* by weight (then name). The posts are those of the returned distress
	 * phrases; when there are none, those of the returned signals. Weights
	 * are computed over all strategies of those posts (NULL strategies
	 * ignored) and sum to 1 before truncation to max_strategies. */
	lexicon_strategy *strategies;
	size_t nstrategies;
} lexicon_result;

/* Matches message (len bytes, any bytes: need not be NUL-terminated nor
 * valid UTF-8) against culture c of l. o NULL: defaults. out is overwritten
 * (not freed first) and must be released with lexicon_result_clear; its
 * arrays are owned by out, the strings in it point into the lexicon: keep a
 * reference while using them. Returns 0, or -1 (out of memory, NULL
 * arguments, c not of l, l not finished) with out empty. */
int lexicon_match(const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		  const lexicon_opts *o, lexicon_result *out);
/* Frees the arrays of r and empties it. NULL ok. */
void lexicon_result_clear(lexicon_result *r);

/* The similarity lexicon_match uses, exposed for tests: 0..1 (0 when either
 * is NULL). */
double lexicon_word_similarity(const char *phrase, const char *text);
/* The bound lexicon_match checks before computing a phrase's similarity,
 * exposed for tests: never below lexicon_word_similarity(phrase, text). */
double lexicon_similarity_bound(const char *phrase, const char *text);

/* Models built on a finished lexicon (server/support/corpus_annotator.h) are kept
 * with it: lexicon_attach hands model to l, which frees it with model_free
 * when its last reference goes. -1 when l is not finished or already has
 * one. lexicon_attached: the model, or NULL. */
int lexicon_attach(lexicon *l, void *model, void (*model_free)(void *));
void *lexicon_attached(const lexicon *l);
/* The position of c among l's cultures (lexicon_culture_code_at order),
 * SIZE_MAX when c is not of l; and the culture at a position. */
size_t lexicon_culture_index(const lexicon *l, const lexicon_culture *c);
const lexicon_culture *lexicon_culture_at(const lexicon *l, size_t i);
/* The annotated phrases of a finished lexicon's culture: the i-th distress
 * phrase (*intensity: its intensity or NULL), the i-th signal group (one
 * per phrase, type and side; *type may be NULL). NULL when i is out of
 * range. */
size_t lexicon_distress_count(const lexicon_culture *c);
const char *lexicon_distress_at(const lexicon_culture *c, size_t i, const char **intensity);
size_t lexicon_signal_count(const lexicon_culture *c);
const char *lexicon_signal_at(const lexicon_culture *c, size_t i, const char **type, unsigned *occurrences);

#endif
