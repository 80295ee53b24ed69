/* Internals shared by the parts of the lexicon (server/support/lexicon.c:
 * building and lookups; lexicon_text.c: normalisation, trigrams and the
 * windowed similarity; lexicon_match.c: matching a message). Not for use
 * outside them. */
#ifndef CC_LEXICON_INTERNAL_H
#define CC_LEXICON_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "server/support/lexicon.h"

static inline uint32_t hash_tri(uint32_t t)
{
	uint32_t h = t * 0x9e3779b1u;
	return h ^ (h >> 15);
}

static inline int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* ---- a phrase, prepared (lexicon_text.c) ---- */

/* Scratch buffers for preparing phrases. */
typedef struct prep_buf {
	char *norm;
	size_t cap_norm;
	uint32_t *spans;
	size_t cap_spans;
	uint32_t *tri;
	size_t cap_tri;
} prep_buf;

typedef struct prepared {
	const uint32_t *tri; /* sorted, unique */
	size_t ntri, nwords;
	const char *norm; /* words joined by one space */
	size_t normlen;
	bool cjk;
} prepared;

void lex_prep_buf_free(prep_buf *b);
/* Normalises s and computes its trigram set into b; p points into b. */
int lex_prepare(prep_buf *b, const char *s, prepared *p);

/* ---- a text, analysed (lexicon_text.c) ---- */

/* The arrays of a text live in three allocations: norm (with spans), mem
 * (all the arrays sized by the text's trigram occurrences and words) and
 * blk (sized once the distinct trigrams are known). */
typedef struct text {
	char *norm;
	void *mem;
	size_t normlen;
	size_t nwords;
	uint32_t *spans;
	uint32_t *wtri_off; /* nwords + 1: each word's trigram ids in wtri */
	uint32_t *wtri;
	uint32_t *utri; /* trigram of each id */
	size_t nutri;
	uint32_t *hkeys, *hids; /* trigram -> id; key 0: empty */
	uint32_t hmask;
	uint32_t *tw_off; /* nutri + 1: the words of each trigram id in tw */
	uint32_t *tw;
	/* scoring scratch */
	uint32_t *inp;  /* per id: == pstamp when the phrase has it */
	uint32_t *seen; /* per id: == wstamp when the window has it */
	/* per word, one bit: it shares a trigram with the phrase. A bitmap
	 * rather than a stamp per word so that listing the hit words in text
	 * order costs a word-sized step per 64 words (see lex_score()). */
	uint64_t *hitbits;
	size_t nhitbits; /* 64-bit words in hitbits */
	uint32_t *hitlist;
	uint32_t *shared; /* per hit word: trigrams shared with the phrase */
	uint32_t *hsum;   /* per hitlist entry: shared trigrams of the words of its longest window */
	double *hbound;   /* per hitlist entry: bound of the windows starting there */
	uint32_t pstamp, wstamp;
	/* Word blocks, for lex_window_bound(): the words are cut into nblk blocks
	 * of bsize consecutive words (the last may be shorter), and blk holds
	 * per trigram id nlane 64-bit words whose bytes, in memory order,
	 * are one per block: 1 when the trigram occurs in a word of block b,
	 * else 0. */
	uint64_t *blk;
	size_t bsize, nblk, nlane;
	uint32_t *pids; /* scratch: the ids of a phrase's trigrams (lex_phrase_ids()) */
	/* the words by a hash of their bytes, chained (lex_word_substring(),
	 * built on its first call; NULL: not yet) */
	uint32_t *whead, *wnext, wmask;
} text;

/* Analyses s[0..len) (NULL: empty) into t; lex_text_free(t) afterwards
 * in any case. */
int lex_text_init(text *t, const char *s, size_t len);
void lex_text_free(text *t);
/* The ids in t of the phrase trigrams tri (ntri, unique) that occur in t,
 * into t->pids; returns how many (distinct ids, so at most t->nutri). */
size_t lex_phrase_ids(text *t, const uint32_t *tri, size_t ntri);
/* An upper bound of lex_score(), cheap enough to decide whether scoring is
 * worth it (see lexicon_text.c). */
double lex_window_bound(const text *t, const uint32_t *ids, size_t nids, size_t ntri, size_t nwords);
/* The windowed trigram similarity (see lexicon_text.c); below floor it may
 * be lower than the true one. */
double lex_score(text *t, const uint32_t *ids, size_t nids, size_t ntri, size_t nwords, double floor);
/* Whether the normalised CJK phrase norm occurs in t's normalised form. */
bool lex_cjk_substring(const text *t, const char *norm, size_t normlen);
/* Whether the normalised phrase norm occurs in t's normalised form as
 * whole words; then its lex_score() is 1 (a window of the same words). */
bool lex_word_substring(text *t, const char *norm, size_t normlen);

/* ---- the lexicon ---- */

typedef struct unit { /* a phrase as scored */
	uint32_t tri_off, ntri, nwords;
	uint32_t norm_off, norm_len; /* its normalised form */
	bool cjk;                    /* it has CJK-like characters */
} unit;

typedef struct sig_raw {
	const char *phrase, *type, *side;
	long post;
	size_t seq;
} sig_raw;

typedef struct sig_group {
	const char *phrase, *type, *side;
	unsigned occurrences;
	size_t post_off; /* occurrences post ids in gposts */
	unit u;
} sig_group;

typedef struct dis {
	const char *phrase, *intensity;
	long post;
	unit u;
} dis;

typedef struct sup {
	const char *phrase, *strategy;
	long post;
} sup;

#define LEX_NFREQ 256
#define LEX_FREQ_WORDS (LEX_NFREQ / 64)

/* An inverted index: per trigram (open addressing, key 0: empty) the
 * units post[off .. off + len), ascending. */
typedef struct tri_index {
	uint32_t *keys, *off, *len, mask;
	uint32_t *post;
} tri_index;

/* The slot of tri in x; UINT32_MAX when absent. */
static inline uint32_t tri_index_slot(const tri_index *x, uint32_t tri)
{
	if (!x->keys)
		return UINT32_MAX;
	for (uint32_t i = hash_tri(tri) & x->mask; x->keys[i]; i = (i + 1) & x->mask)
		if (x->keys[i] == tri)
			return i;
	return UINT32_MAX;
}

typedef struct post_ref { /* the support phrases of one post: sup_order[off .. off + n) */
	long id;
	uint32_t off, n;
} post_ref;

struct lexicon_culture {
	const lexicon *owner;
	char *code, *display_name;
	/* while building */
	sig_raw *sr;
	size_t nsr, cap_sr;
	/* built */
	sig_group *g;
	size_t ng;
	long *gposts;
	dis *d;
	size_t nd, cap_d;
	sup *s;
	size_t ns, cap_s;
	uint32_t *tri; /* trigram sets of the units */
	size_t ntri, cap_tri;
	char *norm; /* normalised phrases */
	size_t nnorm, cap_norm;
	/* trigram -> units (ids: signal groups 0 .. ng-1, then distress);
	 * nsig: per slot, how many of the units listed are signal groups */
	tri_index full;
	uint32_t *nsig;
	/* The LEX_NFREQ trigrams listing the most signal groups are not walked
	 * for them: frank (per slot) is the rank of such a trigram, else
	 * LEX_NFREQ, and fmask (LEX_FREQ_WORDS words per group) has bit r set
	 * when the group has the trigram of rank r. */
	uint16_t *frank;
	uint64_t *fmask;
	post_ref *posts;
	size_t nposts;
	uint32_t *sup_order;
};

typedef struct name {
	char *key; /* lower case */
	lexicon_culture *c;
	bool is_code;
} name;

struct lexicon {
	size_t refs;
	bool finished, failed;
	lexicon_culture **cultures; /* sorted by code */
	size_t ncultures, cap_cultures;
	name *names; /* codes and aliases, sorted by key */
	size_t nnames, cap_names;
	char **strings; /* interned strings: open addressing */
	size_t nstrings, cap_strings;
	void *model; /* lexicon_attach() */
	void (*model_free)(void *);
};

#endif
