/* Internals shared by the parts of the crisis-risk rules
 * (server/safety/risk.c: the method, language and assessment;
 * risk_text.c: normalisation; risk_rules.c: the rules and matching them;
 * risk_levels.c: evaluating the matches, and the level names). Not for
 * use outside them. */
#ifndef CC_RISK_INTERNAL_H
#define CC_RISK_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/safety/risk.h"

/* Words a lone `*` in a pattern may stand for. */
#define MAX_GAP 4
/* Words allowed between the end of a negation cue and what it negates. */
#define NEG_GAP 1
/* Most words between a third_person cue and a match it claims; a Han
 * character counts as two words (see the top comment of risk.c). */
#define THIRD_REACH 4
#define NONE SIZE_MAX

enum kind {
	K_PASSIVE,
	K_HOPELESS,
	K_ACTIVE,
	K_PAST_SH,
	K_RECENT_SH,
	K_METHOD,
	K_INTENT,
	K_TIME,
	K_PREP,
	K_ACT,
	K_QUANTITY,
	K_FINALITY,
	K_SEEKING,
	K_PRESENCE,
	K_NEGATION,
	K_THIRD,
	K_FIRST,
	K_HARM_OTHERS,
	K_ABUSE,
	K_IDIOM,
	K_REMOTE,
	K_RECENT,
	K_FAREWELL,
	K_MEDICAL,
	K_TOPIC,
	K_JEST,
	K_COUNT
};

/* Sentence flags beyond the kinds: ideation or past self-harm said in a
 * clause of the remote past (see risk_levels.c). */
#define K_REMOTE_LOW K_COUNT
#define K_FLAGS (K_COUNT + 1)

enum script { S_OTHER, S_LATIN, S_ARABIC, S_HEBREW, S_HAN };

typedef struct ptok {
	const char *s; /* into the rule's normalised pattern; NULL for a gap */
	size_t len;
} ptok;

typedef struct rule {
	unsigned kind;
	size_t lang;   /* index into risk_rules.langs */
	unsigned script; /* enum script of the language */
	char *norm;    /* the normalised pattern: words joined by single spaces */
	ptok *toks;    /* words and gaps; never starts or ends with a gap */
	size_t ntoks;  /* 0: never matches */
	size_t span;   /* most words a match can cover */
	bool neutral;  /* no letter (digits only): applies only where its language's script is */
	const char *lit; /* longest part of norm without `*`, for a quick substring test */
	size_t litlen;
} rule;

/* The literal words of the patterns, for typo tolerance (risk_typo.c). */
struct typo_entry;
struct typo_word;
typedef struct typo_index {
	struct typo_entry *slots; /* open addressing, a power of two */
	size_t cap, used;
	struct typo_word *words;
	size_t nwords, wcap;
} typo_index;

struct risk_rules {
	typo_index typo;
	rule *rules;
	size_t n, cap;
	char (*langs)[4];
	size_t nlangs, langcap;
	size_t maxspan;
	const struct text_model *tm; /* borrowed; NULL: the rules alone */
};

/* ---- normalised text (risk_text.c) ---- */

typedef struct tok {
	size_t off, len; /* in text.buf */
	size_t clause;
	size_t sentence; /* sentences end at . ! ? newline and their other forms; clauses also at , ; : */
	size_t reach; /* sum of the reach weights of the words before this one */
	size_t stem;  /* for a word ending in apostrophe + s (belt's, mum's): its length without
			 the s, which a pattern may match too; else 0 */
} tok;

typedef struct text {
	char *buf; /* words separated by ' ' (same clause) or '\n' */
	size_t len, cap;
	tok *toks;
	size_t ntoks, tcap;
	size_t nclauses; /* clauses holding words */
	size_t nsentences; /* sentences holding words */
	size_t *clause_end; /* per clause: index after its last word */
	bool in_word;
	size_t letters[5]; /* per script */
	size_t umlauts;
} text;

void risk_text_clear(text *t);
/* Normalises s (len bytes) into t (zeroed by the caller). pattern: `*` is a
 * word character and clause punctuation only separates words. 0, or -1 when
 * out of memory (t must still be cleared). */
int risk_text_build(text *t, const char *s, size_t len, bool pattern);

/* ---- typo tolerance (risk_typo.c) ---- */

/* Adds pattern word s (len bytes) to the index when it qualifies: as a
 * word a message word may be read as when target (a concept of risk), else
 * only as a known word, never changed. 0, or -1 when out of memory. */
int risk_typo_add(typo_index *x, const char *s, size_t len, bool target);
/* Replaces the words of t that are one edit from a word of the index by
 * it. 0, or -1 when out of memory (t unchanged). */
int risk_typo_correct(const typo_index *x, text *t);
void risk_typo_free(typo_index *x);

/* ---- matches (risk_rules.c) ---- */

typedef struct match {
	size_t start, end; /* words [start, end) */
	size_t clause;
	size_t sentence;
	size_t lang;
	unsigned kind;
	bool dead;      /* ignored (overlap rules) */
	size_t before;  /* nearest live person cue starting before, or NONE */
	bool first_before; /* a live first_person cue starts before, in the clause */
	size_t neg_end; /* end of the latest-ending live negation cue starting before (and not
			   separated by a person cue), or 0 */
	bool has_neg;
} match;

typedef struct matches {
	match *v;
	size_t n, cap;
} matches;

/* Appends the matches of every rule of r in t to ms. 0, or -1 when out of
 * memory. */
int risk_collect(const risk_rules *r, const text *t, matches *ms);
/* Order of matches: by language, clause, start, longest first, kind. */
int risk_cmp_match(const void *a, const void *b);

/* ---- evaluation (risk_levels.c) ---- */

/* The writer's concepts per sentence: sent[s][kind]. */
typedef bool sentence_flags[K_FLAGS];

/* Evaluates the sorted matches of one language [a, b) (see risk.c):
 * marks the writer's concepts in sent (t->nsentences + 1 rows), adds to
 * *cats and counts the writer's farewells (not overlapping) per sentence
 * in farewells (as many rows as sent). */
void risk_evaluate_lang(const text *t, match *m, size_t a, size_t b, size_t span, sentence_flags *sent,
			unsigned *cats, size_t *farewells);
/* The writer's level from the concepts of every language, n sentences, and
 * the farewells counted per sentence; adds to *reasons. The remote past
 * and a topic lower the sentences they cover (sent is changed). */
risk_level risk_level_of(sentence_flags *sent, size_t n, const size_t *farewells, unsigned *reasons);

#endif
