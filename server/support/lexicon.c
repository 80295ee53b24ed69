/* The in-memory lexicon of the corpus and the matcher run on every request
 * (see server/support/lexicon.h for the API).
 *
 * Similarity. Both the phrase and the text are normalised the same way:
 *  - case: text is decoded and lower-cased by server/unicode.h (utf8proc:
 *    the simple Unicode lower case of every script that has one);
 *    fullwidth ASCII (Ｗ, ！) is read as ASCII;
 *  - words are maximal runs of word characters: ASCII letters and digits and
 *    any non-ASCII character (or byte of invalid UTF-8) except common
 *    punctuation and symbols, which separate words like ASCII punctuation
 *    and spaces do: Latin-1 punctuation (« » ¡ ¿ · NBSP), General
 *    Punctuation (’ “ ” – — … zero-width spaces and joiners), currency signs,
 *    arrows, mathematical and technical symbols, box drawing, shapes,
 *    dingbats, emoji and their modifiers and variation selectors, CJK and
 *    fullwidth punctuation (、。「」，！？), Arabic (، ؛ ؟) and Hebrew
 *    (maqaf, sof pasuq) punctuation, U+FFFD;
 *  - a word also ends where the script changes between CJK-like scripts
 *    (Han, kana, Hangul, Thai, Lao, Khmer, Myanmar) and others, so that
 *    "我的WeChat群" holds the word "wechat".
 * Trigrams are taken as pg_trgm does, on bytes: each word padded with two
 * spaces before and one after ("  w", " wo", "wor", ..., "rd "); T(x) is
 * the set of trigrams of the words of x. The similarity of phrase p against
 * text t is
 *   max over windows W of 1 .. (words of p) + 1 consecutive words of t of
 *   |T(p) ∩ T(W)| / |T(p) ∪ T(W)|,
 * which is 1 when p's word sequence occurs as consecutive words of t ("shabbat"
 * in "we keep shabbat every week"). In addition, a phrase containing
 * CJK-like characters scores 1 when its normalised form (words joined by one
 * space) is a substring of the text's ("压力好大" in "最近压力好大，睡不着").
 * A phrase without words (blank, only punctuation or emoji) never matches.
 *
 * Matching. Per culture, an inverted index maps each trigram to the signal
 * groups (identical phrase, type and side) and distress phrases containing
 * it. A message is normalised once; the index gives each phrase the number
 * of trigrams it shares with the whole message, an upper bound of its
 * similarity (shared / |T(p)|). Phrases are scored in decreasing order of
 * that bound until it falls below the threshold or below the worst of the
 * best K found so far. Before a phrase is scored, a second bound counts its
 * trigrams per block of nearby words and takes the best run of blocks one
 * window can overlap (see window_bound()); a phrase whose bound is below
 * the bar it must clear is not scored at all. Scoring only considers windows that start and end at
 * words sharing a trigram with the phrase (any other window is no better),
 * and skips those that provably cannot beat the best window so far or the
 * bar the phrase must clear (see score()); the result is the exact maximum
 * whenever it clears that bar. */
#include "server/support/lexicon.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/unicode.h"
#include "server/util.h"

/* Longest message looked at; the rest is ignored. */
#define MAX_TEXT ((size_t)1 << 28)
#define NONE UINT32_MAX

/* ---- small helpers ---- */


/* Compares a with b, ASCII-case-insensitively. */
static int ascii_casecmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	for (;; x++, y++) {
		int p = ascii_lower(*x), q = ascii_lower(*y);
		if (p != q || !p)
			return p - q;
	}
}

static char *ascii_lower_dup(const char *s)
{
	size_t n = strlen(s);
	char *d = malloc(n + 1);
	if (!d)
		return NULL;
	for (size_t i = 0; i <= n; i++)
		d[i] = (char)ascii_lower((unsigned char)s[i]);
	return d;
}

/* NULL sorts first. */
static int strcmp_null(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static int cmp_long(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;
	return (x > y) - (x < y);
}

static uint32_t hash_tri(uint32_t t)
{
	uint32_t h = t * 0x9e3779b1u;
	return h ^ (h >> 15);
}

/* ---- characters ---- */

enum { CH_SEP, CH_WORD, CH_CJK };

/* Lower case (server/unicode.h); fullwidth ASCII is read as ASCII. */
static uint32_t fold(int32_t cp)
{
	if (cp >= 0xff01 && cp <= 0xff5e)
		cp -= 0xfee0;
	return (uint32_t)unicode_lower(cp);
}

/* Class of a folded code point. */
static int classify(uint32_t cp)
{
	if (cp < 0x80)
		return ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9') || (cp >= 'A' && cp <= 'Z')) ? CH_WORD
														    : CH_SEP;
	if (cp < 0xc0) /* C1 controls, Latin-1 punctuation; keep ª ² ³ µ ¹ º ¼ ½ ¾ */
		return (cp == 0xaa || cp == 0xb2 || cp == 0xb3 || cp == 0xb5 || cp == 0xb9 || cp == 0xba ||
			(cp >= 0xbc && cp <= 0xbe))
			       ? CH_WORD
			       : CH_SEP;
	if (cp == 0xd7 || cp == 0xf7)
		return CH_SEP;
	if (cp < 0x590)
		return CH_WORD;
	if (cp == 0x5be || cp == 0x5c0 || cp == 0x5c3 || cp == 0x5c6) /* Hebrew punctuation */
		return CH_SEP;
	if (cp == 0x60c || cp == 0x61b || cp == 0x61f || (cp >= 0x66a && cp <= 0x66d) || cp == 0x6d4) /* Arabic */
		return CH_SEP;
	if (cp == 0x964 || cp == 0x965) /* danda */
		return CH_SEP;
	if ((cp >= 0xe00 && cp <= 0xeff) || (cp >= 0x1000 && cp <= 0x109f) || (cp >= 0x1100 && cp <= 0x11ff) ||
	    (cp >= 0x1780 && cp <= 0x17ff))
		return CH_CJK; /* Thai, Lao, Myanmar, Hangul Jamo, Khmer */
	if (cp == 0x1680)
		return CH_SEP;
	if (cp >= 0x2000 && cp <= 0x206f) /* General Punctuation */
		return CH_SEP;
	if (cp >= 0x20a0 && cp <= 0x20cf) /* currency */
		return CH_SEP;
	if (cp >= 0x2190 && cp <= 0x245f) /* arrows, maths, technical */
		return CH_SEP;
	if (cp >= 0x2500 && cp <= 0x2bff && !(cp >= 0x2800 && cp <= 0x28ff)) /* shapes, symbols, dingbats */
		return CH_SEP;
	if (cp >= 0x2e00 && cp <= 0x2e7f) /* supplemental punctuation */
		return CH_SEP;
	if (cp >= 0x2e80 && cp <= 0x2fdf)
		return CH_CJK;
	if (cp >= 0x3000 && cp <= 0x303f) { /* CJK symbols and punctuation */
		if ((cp >= 0x3005 && cp <= 0x3007) || (cp >= 0x3021 && cp <= 0x302f) || (cp >= 0x3031 && cp <= 0x303c))
			return CH_CJK;
		return CH_SEP;
	}
	if (cp == 0x30fb) /* katakana middle dot */
		return CH_SEP;
	if (cp >= 0x3040 && cp <= 0x9fff)
		return CH_CJK;
	if ((cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xac00 && cp <= 0xd7ff) || (cp >= 0xf900 && cp <= 0xfaff))
		return CH_CJK;
	if ((cp >= 0xfe00 && cp <= 0xfe6f) || cp == 0xfeff) /* variation selectors, CJK compatibility forms */
		return CH_SEP;
	if (cp >= 0xff00 && cp <= 0xffff) {
		if (cp >= 0xff66 && cp <= 0xffdc) /* halfwidth kana and Hangul */
			return CH_CJK;
		return CH_SEP;
	}
	if (cp >= 0x1f000 && cp <= 0x1faff) /* emoji and other pictographs */
		return CH_SEP;
	if (cp >= 0x20000 && cp <= 0x3ffff)
		return CH_CJK;
	if (cp >= 0xe0000 && cp <= 0xe007f) /* tags */
		return CH_SEP;
	return CH_WORD;
}

/* Room normalize needs for len input bytes: output bytes and word spans.
 * Twice the input holds the worst case: a one-byte letter and a space
 * before each 3-byte CJK character, or a 2-byte capital whose lower case
 * takes 3 bytes (Ⱥ) and a space. */
static size_t norm_room(size_t len)
{
	return 2 * len + 2;
}

static size_t span_room(size_t len)
{
	return len / 2 + 2;
}

/* Normalises s[0..len) into out (norm_room(len) bytes): words joined by
 * one space. spans (2 * span_room(len) entries) receives each word's start
 * and length in out. Returns the number of words; *outlen: bytes written;
 * *cjk: whether a CJK-like character occurs. */
static size_t normalize(const char *str, size_t len, char *out, size_t *outlen, uint32_t *spans, bool *cjk)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, o = 0, nw = 0, start = 0, maxw = span_room(len);
	int cur = CH_SEP; /* class of the word being written; CH_SEP: none */
	*cjk = false;
	while (i < len) {
		uint32_t cp;
		char enc[4];
		size_t enclen, k;
		int32_t dec;
		int cls;
		if (s[i] < 0x80) { /* ASCII, the common case, without decoding */
			cp = (uint32_t)ascii_lower(s[i]);
			cls = classify(cp);
			enc[0] = (char)cp;
			enclen = 1;
			k = 1;
		} else {
			k = utf8_decode(str + i, len - i, &dec);
			if (dec < 0) { /* invalid byte: a letter of its own */
				cls = CH_WORD;
				enc[0] = (char)s[i];
				enclen = 1;
			} else {
				cp = fold(dec);
				cls = classify(cp);
				enclen = utf8_encode((int32_t)cp, enc);
			}
		}
		i += k;
		if (cur != CH_SEP && cls != cur) { /* end of word */
			spans[2 * nw] = (uint32_t)start;
			spans[2 * nw + 1] = (uint32_t)(o - start);
			nw++;
			cur = CH_SEP;
		}
		if (cls == CH_SEP)
			continue;
		if (cur == CH_SEP) {
			if (nw >= maxw) /* cannot happen: see span_room */
				break;
			if (nw > 0)
				out[o++] = ' ';
			start = o;
			cur = cls;
		}
		for (size_t j = 0; j < enclen; j++) /* 1 to 4 bytes: no memcpy call */
			out[o++] = enc[j];
		if (cls == CH_CJK)
			*cjk = true;
	}
	if (cur != CH_SEP) {
		spans[2 * nw] = (uint32_t)start;
		spans[2 * nw + 1] = (uint32_t)(o - start);
		nw++;
	}
	*outlen = o;
	return nw;
}

/* Trigram k (0..m) of word w (m bytes) padded "  w ". */
static uint32_t trigram(const unsigned char *w, size_t m, size_t k)
{
	uint32_t t = 0;
	for (size_t j = k; j < k + 3; j++) {
		unsigned char b = j < 2 || j - 2 >= m ? ' ' : w[j - 2];
		t = t << 8 | b;
	}
	return t;
}

/* ---- a phrase, prepared ---- */

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

static void prep_buf_free(prep_buf *b)
{
	free(b->norm);
	free(b->spans);
	free(b->tri);
}

/* Normalises s and computes its trigram set into b; p points into b. */
static int prepare(prep_buf *b, const char *s, prepared *p)
{
	size_t len = strlen(s);
	char *norm = array_grow(b->norm, &b->cap_norm, norm_room(len), 1);
	if (!norm)
		return -1;
	b->norm = norm;
	uint32_t *spans = array_grow(b->spans, &b->cap_spans, 2 * span_room(len), sizeof *spans);
	if (!spans)
		return -1;
	b->spans = spans;
	p->nwords = normalize(s, len, b->norm, &p->normlen, b->spans, &p->cjk);
	/* sum over words of (length + 1) <= normlen + 1 */
	uint32_t *tri = array_grow(b->tri, &b->cap_tri, p->normlen + 1, sizeof *tri);
	if (!tri)
		return -1;
	b->tri = tri;
	size_t n = 0;
	for (size_t w = 0; w < p->nwords; w++) {
		const unsigned char *word = (const unsigned char *)b->norm + b->spans[2 * w];
		size_t m = b->spans[2 * w + 1];
		for (size_t k = 0; k <= m; k++)
			b->tri[n++] = trigram(word, m, k);
	}
	qsort(b->tri, n, sizeof *b->tri, cmp_u32);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || b->tri[u - 1] != b->tri[i])
			b->tri[u++] = b->tri[i];
	p->tri = b->tri;
	p->ntri = u;
	p->norm = b->norm;
	return 0;
}

/* ---- a text, analysed ---- */

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
	 * order costs a word-sized step per 64 words (see score()). */
	uint64_t *hitbits;
	size_t nhitbits; /* 64-bit words in hitbits */
	uint32_t *hitlist;
	uint32_t *shared; /* per hit word: trigrams shared with the phrase */
	uint32_t *hsum;   /* per hitlist entry: shared trigrams of the words of its longest window */
	double *hbound;   /* per hitlist entry: bound of the windows starting there */
	uint32_t pstamp, wstamp;
	/* Word blocks, for window_bound(): the words are cut into nblk blocks
	 * of bsize consecutive words (the last may be shorter), and blk holds
	 * per trigram id nlane 64-bit words whose bytes, in memory order,
	 * are one per block: 1 when the trigram occurs in a word of block b,
	 * else 0. */
	uint64_t *blk;
	size_t bsize, nblk, nlane;
	uint32_t *pids; /* scratch: the ids of a phrase's trigrams (phrase_ids()) */
} text;

/* Lanes (64-bit words of block flags, 8 blocks each) per trigram id: a
 * text of up to 32 * MIN_LANES words gets MIN_LANES (blocks of 1 to 4
 * words), a longer one a lane per 32 words (blocks of up to 4 words), at
 * most MAX_LANES (beyond 32 * MAX_LANES words, longer blocks). More blocks
 * make the bound tighter and each phrase's sum longer. */
#define MIN_LANES 4
#define MAX_LANES 32

static void text_free(text *t)
{
	free(t->norm);
	free(t->mem);
	free(t->blk);
}

/* Reserves n elements of size elem at *size in base (*size is kept a
 * multiple of 8, the largest alignment needed); returns where they are, or
 * NULL when base is NULL (only sizing). */
static void *carve(char *base, size_t *size, size_t n, size_t elem)
{
	size_t off = *size;
	*size += (n * elem + 7) & ~(size_t)7;
	return base ? base + off : NULL;
}

/* Places the arrays of t->mem in base (NULL: none) for a text of total
 * trigram occurrences and a hash of cap slots; returns the bytes needed. */
static size_t text_layout(text *t, char *base, size_t total, size_t cap)
{
	size_t size = 0, words = t->nwords + 1;
	/* 8-byte elements first: every offset stays aligned for them */
	t->hitbits = carve(base, &size, t->nhitbits, sizeof *t->hitbits);
	t->hbound = carve(base, &size, words, sizeof *t->hbound);
	t->wtri_off = carve(base, &size, words, sizeof *t->wtri_off);
	t->wtri = carve(base, &size, total, sizeof *t->wtri);
	t->utri = carve(base, &size, total, sizeof *t->utri);
	t->hkeys = carve(base, &size, cap, sizeof *t->hkeys);
	t->hids = carve(base, &size, cap, sizeof *t->hids);
	t->tw_off = carve(base, &size, total + 1, sizeof *t->tw_off);
	t->tw = carve(base, &size, total + 1, sizeof *t->tw);
	t->inp = carve(base, &size, total, sizeof *t->inp);
	t->seen = carve(base, &size, total, sizeof *t->seen);
	t->hitlist = carve(base, &size, words, sizeof *t->hitlist);
	t->shared = carve(base, &size, words, sizeof *t->shared);
	t->hsum = carve(base, &size, words, sizeof *t->hsum);
	t->pids = carve(base, &size, total, sizeof *t->pids);
	return size;
}

static uint32_t text_lookup(const text *t, uint32_t tri)
{
	for (uint32_t i = hash_tri(tri) & t->hmask; t->hkeys[i]; i = (i + 1) & t->hmask)
		if (t->hkeys[i] == tri)
			return t->hids[i];
	return NONE;
}

static int text_init(text *t, const char *s, size_t len)
{
	memset(t, 0, sizeof *t);
	if (!s)
		len = 0;
	if (len > MAX_TEXT)
		len = MAX_TEXT;
	size_t norm_size = (norm_room(len) + 7) & ~(size_t)7; /* spans aligned after it */
	t->norm = malloc(norm_size + 2 * span_room(len) * sizeof *t->spans);
	if (!t->norm)
		return -1;
	t->spans = (uint32_t *)(void *)(t->norm + norm_size);
	bool cjk;
	t->nwords = normalize(s ? s : "", len, t->norm, &t->normlen, t->spans, &cjk);
	size_t total = t->normlen + 1; /* >= trigram occurrences, hence >= ids */
	size_t cap = 16;
	while (cap < 2 * total)
		cap *= 2;
	t->hmask = (uint32_t)(cap - 1);
	t->nhitbits = t->nwords / 64 + 1;
	t->mem = malloc(text_layout(t, NULL, total, cap));
	if (!t->mem)
		return -1;
	text_layout(t, t->mem, total, cap);
	/* Only the hash needs clearing up front: the arrays per id are set
	 * when the id is made, and only the first nutri entries are used. */
	memset(t->hkeys, 0, cap * sizeof *t->hkeys);
	/* Ids in order of first appearance; each word's ids without repeats
	 * (seen: the last word + 1 that had the id); tw_off[id] counts the
	 * words of id. */
	size_t n = 0;
	for (size_t w = 0; w < t->nwords; w++) {
		const unsigned char *word = (const unsigned char *)t->norm + t->spans[2 * w];
		size_t m = t->spans[2 * w + 1];
		t->wtri_off[w] = (uint32_t)n;
		for (size_t k = 0; k <= m; k++) {
			uint32_t tri = trigram(word, m, k), i = hash_tri(tri) & t->hmask, id;
			while (t->hkeys[i] && t->hkeys[i] != tri)
				i = (i + 1) & t->hmask;
			if (t->hkeys[i]) {
				id = t->hids[i];
			} else {
				id = (uint32_t)t->nutri++;
				t->hkeys[i] = tri;
				t->hids[i] = id;
				t->utri[id] = tri;
				t->seen[id] = 0;
				t->tw_off[id] = 0;
			}
			if (t->seen[id] != w + 1) {
				t->seen[id] = (uint32_t)(w + 1);
				t->wtri[n++] = id;
				t->tw_off[id]++;
			}
		}
	}
	t->wtri_off[t->nwords] = (uint32_t)n;
	/* tw_off[id]: the end of id's words in tw; filling from the last word
	 * back moves it to their start and leaves each list in text order */
	for (size_t id = 1; id < t->nutri; id++)
		t->tw_off[id] += t->tw_off[id - 1];
	t->tw_off[t->nutri] = (uint32_t)n;
	for (size_t w = t->nwords; w-- > 0;)
		for (uint32_t k = t->wtri_off[w]; k < t->wtri_off[w + 1]; k++)
			t->tw[--t->tw_off[t->wtri[k]]] = (uint32_t)w;
	memset(t->inp, 0, t->nutri * sizeof *t->inp);
	memset(t->seen, 0, t->nutri * sizeof *t->seen);
	/* word blocks: as small as the lanes allow */
	t->nlane = (t->nwords + 31) / 32;
	t->nlane = t->nlane < MIN_LANES ? MIN_LANES : t->nlane > MAX_LANES ? MAX_LANES : t->nlane;
	size_t maxblk = 8 * t->nlane;
	t->bsize = t->nwords <= maxblk ? 1 : (t->nwords + maxblk - 1) / maxblk;
	t->nblk = (t->nwords + t->bsize - 1) / t->bsize;
	t->blk = calloc(t->nutri * t->nlane + 1, sizeof *t->blk);
	if (!t->blk)
		return -1;
	for (size_t w = 0; w < t->nwords; w++) {
		size_t b = w / t->bsize;
		for (uint32_t k = t->wtri_off[w]; k < t->wtri_off[w + 1]; k++)
			((unsigned char *)(t->blk + (size_t)t->wtri[k] * t->nlane))[b] = 1;
	}
	return 0;
}

/* The ids in t of the phrase trigrams tri (ntri, unique) that occur in t,
 * into t->pids; returns how many (distinct ids, so at most t->nutri). */
static size_t phrase_ids(text *t, const uint32_t *tri, size_t ntri)
{
	size_t n = 0;
	for (size_t i = 0; i < ntri; i++) {
		uint32_t id = text_lookup(t, tri[i]);
		if (id != NONE)
			t->pids[n++] = id;
	}
	return n;
}

/* acc[0 .. nlane) = the sum of the nlane blk words of each of ids. */
static inline void sum_lanes(uint64_t *acc, const uint64_t *blk, size_t nlane, const uint32_t *ids, size_t nids)
{
	for (size_t j = 0; j < nlane; j++)
		acc[j] = 0;
	for (size_t i = 0; i < nids; i++) {
		const uint64_t *f = blk + (size_t)ids[i] * nlane;
		for (size_t j = 0; j < nlane; j++)
			acc[j] += f[j];
	}
}

/* An upper bound of score() for a phrase of ntri trigrams and nwords words
 * whose trigrams occurring in t have the ids ids[0 .. nids), cheap enough
 * to decide whether score() is worth running.
 *
 * Why it is safe. score() is the maximum over windows W of at most
 * nwords + 1 consecutive words of inter / (ntri + uni - inter), where
 * inter = |T(p) ∩ T(W)| and uni = |T(W)| >= inter, so each term is at most
 * inter / ntri. Every trigram of W occurs in a word of W, hence in one of
 * the blocks W overlaps; so inter is at most the sum over those blocks of
 * cnt[b], the number of the phrase's trigrams occurring in block b. A run
 * of L consecutive words starting at offset r (0 <= r < bsize) into its
 * first block overlaps (r + L - 1) / bsize + 1 <= (L + bsize - 2) / bsize + 1
 * = span consecutive blocks, so inter is at most the best sum of span
 * adjacent cnt[b] (the sum of all of them when there are fewer blocks), and
 * at most nids. The result, that count over ntri, is therefore >= every
 * term of the maximum: for reals inter / (ntri + uni - inter) <=
 * num / ntri, and correctly rounded division keeps that order. A caller
 * that skips score() when the bound is below its floor thus skips only
 * phrases whose score would have been below the floor too.
 *
 * The counts are summed a byte per block: adding the ids' blk words as
 * 64-bit integers adds their bytes one by one as long as no byte carries,
 * which at most 255 ids of 0/1 bytes cannot do; so byte b of the sum is
 * cnt[b], whatever the byte order. A phrase with more ids than that (a
 * long one) gets the bound of the whole message, nids / ntri. */
static double window_bound(const text *t, const uint32_t *ids, size_t nids, size_t ntri, size_t nwords)
{
	if (nids == 0 || ntri == 0)
		return 0;
	size_t span = (nwords + 1 + t->bsize - 2) / t->bsize + 1;
	if (span >= t->nblk || nids > 255)
		return (double)nids / (double)ntri;
	uint64_t acc[MAX_LANES];
	if (t->nlane == MIN_LANES) /* the common case, with a constant the compiler can unroll */
		sum_lanes(acc, t->blk, MIN_LANES, ids, nids);
	else
		sum_lanes(acc, t->blk, t->nlane, ids, nids);
	const unsigned char *cnt = (const unsigned char *)acc;
	size_t sum = 0, best = 0;
	for (size_t b = 0; b < t->nblk; b++) {
		sum += cnt[b];
		if (b >= span)
			sum -= cnt[b - span];
		if (sum > best)
			best = sum;
	}
	if (best > nids)
		best = nids;
	return (double)best / (double)ntri;
}

/* Index of the lowest set bit of x (x != 0). */
static unsigned lowest_bit(uint64_t x)
{
#if defined(__GNUC__) || defined(__clang__)
	return (unsigned)__builtin_ctzll(x);
#else
	unsigned n = 0;
	while (!(x & 1)) {
		x >>= 1;
		n++;
	}
	return n;
#endif
}

static uint32_t next_stamp(uint32_t *stamp, uint32_t *arr, size_t n)
{
	if (++*stamp == 0) {
		memset(arr, 0, n * sizeof *arr);
		*stamp = 1;
	}
	return *stamp;
}

/* The windowed trigram similarity of a phrase of ntri trigrams (unique)
 * and nwords words against t (without the CJK substring rule); ids
 * (nids): the ids of its trigrams that occur in t (phrase_ids()).
 * Windows that cannot reach floor are skipped: a result below floor may be
 * lower than the true similarity (which is then below floor too). */
static double score(text *t, const uint32_t *ids, size_t nids, size_t ntri, size_t nwords, double floor)
{
	if (ntri == 0 || nids == 0 || t->nwords == 0)
		return 0;
	uint32_t ps = next_stamp(&t->pstamp, t->inp, t->nutri);
	uint64_t *bits = t->hitbits;
	memset(bits, 0, t->nhitbits * sizeof *bits);
	/* the words sharing trigrams with the phrase, and how many */
	size_t nhit = 0;
	for (size_t i = 0; i < nids; i++) {
		uint32_t id = ids[i];
		t->inp[id] = ps;
		for (uint32_t k = t->tw_off[id]; k < t->tw_off[id + 1]; k++) {
			uint32_t w = t->tw[k];
			uint64_t bit = (uint64_t)1 << (w & 63);
			if (!(bits[w >> 6] & bit)) {
				bits[w >> 6] |= bit;
				t->shared[w] = 0;
				nhit++;
			}
			t->shared[w]++;
		}
	}
	if (nhit == 0)
		return 0;
	/* in text order, straight from the bitmap */
	nhit = 0;
	for (size_t b = 0; b < t->nhitbits; b++)
		for (uint64_t x = bits[b]; x; x &= x - 1)
			t->hitlist[nhit++] = (uint32_t)(64 * b + (size_t)lowest_bit(x));
	/* Bounds: the trigrams a window shares with the phrase are at most ntri
	 * and at most the sum of its words' shared counts; its trigrams that
	 * are not the phrase's (uni - inter) are at least those of its first
	 * word and never fewer as it grows. So no window starting at s is above
	 * min(ntri, sum) / (ntri + not shared by word s). */
	/* (Local copies of the arrays and of the best bound: the stores to
	 * hsum and hbound would otherwise make the compiler reload them.) */
	const uint32_t *hl = t->hitlist, *shared = t->shared, *wtri_off = t->wtri_off;
	uint32_t *hsum = t->hsum;
	double *hbound = t->hbound, topb = -1;
	/* A start whose numerator is below need has a bound below floor
	 * whatever its own trigrams ((double)num / den <= (double)num / ntri,
	 * division being correctly rounded); it gets bound 0 without a
	 * division, which changes nothing: only bounds >= floor are used. */
	size_t need = floor > 0 ? (size_t)(floor * (double)ntri) : 0;
	while (need > 0 && (double)(need - 1) / (double)ntri >= floor)
		need--;
	while (need <= ntri && (double)need / (double)ntri < floor)
		need++;
	size_t maxw = nwords + 1, top = 0, sum = 0, end = 0;
	for (size_t h = 0; h < nhit; h++) {
		size_t s = hl[h];
		if (h > 0)
			sum -= shared[hl[h - 1]];
		for (; end < nhit && hl[end] - s < maxw; end++)
			sum += shared[hl[end]];
		size_t num = sum < ntri ? sum : ntri, own = wtri_off[s + 1] - wtri_off[s] - shared[s];
		double b = num < need ? 0 : (double)num / (double)(ntri + own);
		hsum[h] = (uint32_t)sum;
		hbound[h] = b;
		if (b > topb) {
			topb = b;
			top = h;
		}
	}
	if (topb < floor)
		return 0;
	/* the most promising start first */
	uint32_t tw = t->hitlist[0], tsum = t->hsum[0];
	double tb = t->hbound[0];
	t->hitlist[0] = t->hitlist[top];
	t->hsum[0] = t->hsum[top];
	t->hbound[0] = t->hbound[top];
	t->hitlist[top] = tw;
	t->hsum[top] = tsum;
	t->hbound[top] = tb;

	double best = 0;
	for (size_t h = 0; h < nhit && best < 1.0; h++) {
		if (t->hbound[h] < floor || t->hbound[h] <= best)
			continue;
		size_t s = t->hitlist[h], uni = 0, inter = 0, rest = t->hsum[h];
		uint32_t ws = next_stamp(&t->wstamp, t->seen, t->nutri);
		for (size_t e = s; e < t->nwords && e - s < maxw; e++) {
			for (uint32_t k = t->wtri_off[e]; k < t->wtri_off[e + 1]; k++) {
				uint32_t id = t->wtri[k];
				if (t->seen[id] != ws) {
					t->seen[id] = ws;
					uni++;
					if (t->inp[id] == ps)
						inter++;
				}
			}
			if (bits[e >> 6] >> (e & 63) & 1) {
				rest -= t->shared[e];
				double j = (double)inter / (double)(ntri + uni - inter);
				if (j > best)
					best = j;
			}
			size_t reach = inter + rest < ntri ? inter + rest : ntri;
			double b = (double)reach / (double)(ntri + uni - inter);
			if (b < floor || b <= best)
				break;
		}
	}
	return best;
}

static bool cjk_substring(const text *t, const char *norm, size_t normlen)
{
	return normlen > 0 && normlen <= t->normlen && memmem(t->norm, t->normlen, norm, normlen) != NULL;
}

/* ---- the lexicon ---- */

typedef struct unit { /* a phrase as scored */
	uint32_t tri_off, ntri, nwords;
	uint32_t norm_off, norm_len; /* CJK phrases only: their normalised form */
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
	char *norm; /* normalised CJK phrases */
	size_t nnorm, cap_norm;
	/* trigram -> units (ids: signal groups 0 .. ng-1, then distress) */
	uint32_t *ikeys, *ioff, *ilen, imask;
	uint32_t *ipost;
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

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603u;
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211u;
	}
	return h;
}

/* The lexicon's copy of s; NULL for NULL and when out of memory. */
static const char *intern(lexicon *l, const char *s)
{
	if (!s)
		return NULL;
	if (2 * (l->nstrings + 1) > l->cap_strings) {
		size_t cap = l->cap_strings ? 2 * l->cap_strings : 64;
		char **slots = calloc(cap, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t i = 0; i < l->cap_strings; i++) {
			char *x = l->strings[i];
			if (!x)
				continue;
			size_t j = (size_t)hash_str(x) & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = x;
		}
		free(l->strings);
		l->strings = slots;
		l->cap_strings = cap;
	}
	size_t mask = l->cap_strings - 1, j = (size_t)hash_str(s) & mask;
	for (; l->strings[j]; j = (j + 1) & mask)
		if (strcmp(l->strings[j], s) == 0)
			return l->strings[j];
	char *copy = strdup(s);
	if (!copy)
		return NULL;
	l->strings[j] = copy;
	l->nstrings++;
	return copy;
}

static void culture_free(lexicon_culture *c)
{
	if (!c)
		return;
	free(c->code);
	free(c->display_name);
	free(c->sr);
	free(c->g);
	free(c->gposts);
	free(c->d);
	free(c->s);
	free(c->tri);
	free(c->norm);
	free(c->ikeys);
	free(c->ioff);
	free(c->ilen);
	free(c->ipost);
	free(c->posts);
	free(c->sup_order);
	free(c);
}

lexicon *lexicon_new(void)
{
	lexicon *l = calloc(1, sizeof *l);
	if (l)
		l->refs = 1;
	return l;
}

lexicon *lexicon_ref(lexicon *l)
{
	if (l)
		l->refs++;
	return l;
}

void lexicon_unref(lexicon *l)
{
	if (!l || --l->refs > 0)
		return;
	if (l->model_free)
		l->model_free(l->model);
	for (size_t i = 0; i < l->ncultures; i++)
		culture_free(l->cultures[i]);
	free(l->cultures);
	for (size_t i = 0; i < l->nnames; i++)
		free(l->names[i].key);
	free(l->names);
	for (size_t i = 0; i < l->cap_strings; i++)
		free(l->strings[i]);
	free(l->strings);
	free(l);
}

/* Index in l->names of the first key >= s (ASCII-case-insensitively);
 * *found whether it is equal. */
static size_t name_pos(const lexicon *l, const char *s, bool *found)
{
	size_t lo = 0, hi = l->nnames;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ascii_casecmp(l->names[mid].key, s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < l->nnames && ascii_casecmp(l->names[lo].key, s) == 0;
	return lo;
}

static lexicon_culture *find(const lexicon *l, const char *s)
{
	bool found;
	if (!l || !s)
		return NULL;
	size_t i = name_pos(l, s, &found);
	return found ? l->names[i].c : NULL;
}

/* Adds (or, for a code, takes over) the name s of c. */
static int name_add(lexicon *l, const char *s, lexicon_culture *c, bool is_code)
{
	bool found;
	size_t i = name_pos(l, s, &found);
	if (found) {
		if (is_code && !l->names[i].is_code) {
			l->names[i].c = c;
			l->names[i].is_code = true;
		}
		return 0;
	}
	char *key = ascii_lower_dup(s);
	name *names = key ? array_grow(l->names, &l->cap_names, l->nnames + 1, sizeof *names) : NULL;
	if (!names) {
		free(key);
		return -1;
	}
	l->names = names;
	memmove(names + i + 1, names + i, (l->nnames - i) * sizeof *names);
	names[i] = (name){key, c, is_code};
	l->nnames++;
	return 0;
}

static int code_cmp(const char *a, const char *b)
{
	int r = ascii_casecmp(a, b);
	return r ? r : strcmp(a, b);
}

int lexicon_add_culture(lexicon *l, const char *code, const char *display_name)
{
	if (!l || l->finished || !code || !*code)
		return -1;
	lexicon_culture *old = find(l, code);
	if (old && ascii_casecmp(old->code, code) == 0)
		return 0;
	lexicon_culture *c = calloc(1, sizeof *c);
	lexicon_culture **cs = c ? array_grow(l->cultures, &l->cap_cultures, l->ncultures + 1, sizeof *cs) : NULL;
	if (!cs) {
		free(c);
		return -1;
	}
	l->cultures = cs;
	c->owner = l;
	c->code = strdup(code);
	c->display_name = strdup(display_name ? display_name : code);
	if (!c->code || !c->display_name || name_add(l, code, c, true) < 0) {
		culture_free(c);
		return -1;
	}
	size_t i = l->ncultures;
	while (i > 0 && code_cmp(cs[i - 1]->code, code) > 0) {
		cs[i] = cs[i - 1];
		i--;
	}
	cs[i] = c;
	l->ncultures++;
	return 0;
}

int lexicon_add_alias(lexicon *l, const char *alias, const char *code)
{
	if (!l || l->finished || !alias || !code)
		return -1;
	lexicon_culture *c = find(l, code);
	if (!c || !*alias)
		return 0;
	return name_add(l, alias, c, false);
}

/* The culture to add to, or NULL. */
static lexicon_culture *building(lexicon *l, const char *code)
{
	if (!l || l->finished)
		return NULL;
	return find(l, code);
}

int lexicon_add_signal(lexicon *l, const char *code, long post_id, const char *side, const char *phrase,
		       const char *type)
{
	lexicon_culture *c = building(l, code);
	if (!c)
		return -1;
	sig_raw r = {intern(l, phrase ? phrase : ""), intern(l, type), intern(l, side ? side : ""), post_id, c->nsr};
	if (!r.phrase || !r.side || (type && !r.type))
		return -1;
	sig_raw *sr = array_grow(c->sr, &c->cap_sr, c->nsr + 1, sizeof *sr);
	if (!sr)
		return -1;
	c->sr = sr;
	sr[c->nsr++] = r;
	return 0;
}

int lexicon_add_distress(lexicon *l, const char *code, long post_id, const char *phrase, const char *intensity)
{
	lexicon_culture *c = building(l, code);
	if (!c)
		return -1;
	dis d = {intern(l, phrase ? phrase : ""), intern(l, intensity), post_id, {0}};
	if (!d.phrase || (intensity && !d.intensity))
		return -1;
	dis *ds = array_grow(c->d, &c->cap_d, c->nd + 1, sizeof *ds);
	if (!ds)
		return -1;
	c->d = ds;
	ds[c->nd++] = d;
	return 0;
}

int lexicon_add_support(lexicon *l, const char *code, long post_id, const char *phrase, const char *strategy)
{
	lexicon_culture *c = building(l, code);
	if (!c)
		return -1;
	sup s = {intern(l, phrase ? phrase : ""), intern(l, strategy), post_id};
	if (!s.phrase || (strategy && !s.strategy))
		return -1;
	sup *ss = array_grow(c->s, &c->cap_s, c->ns + 1, sizeof *ss);
	if (!ss)
		return -1;
	c->s = ss;
	ss[c->ns++] = s;
	return 0;
}

/* ---- building the indexes ---- */

static int cmp_sig_raw(const void *a, const void *b)
{
	const sig_raw *x = a, *y = b;
	uintptr_t p[4] = {(uintptr_t)x->phrase, (uintptr_t)x->type, (uintptr_t)x->side, x->seq};
	uintptr_t q[4] = {(uintptr_t)y->phrase, (uintptr_t)y->type, (uintptr_t)y->side, y->seq};
	for (int i = 0; i < 4; i++)
		if (p[i] != q[i])
			return p[i] < q[i] ? -1 : 1;
	return 0;
}

typedef struct post_sup {
	long post;
	uint32_t idx;
} post_sup;

static int cmp_post_sup(const void *a, const void *b)
{
	const post_sup *x = a, *y = b;
	if (x->post != y->post)
		return x->post < y->post ? -1 : 1;
	return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Prepares phrase into u, appending to the culture's pools. */
static int unit_build(lexicon_culture *c, prep_buf *b, const char *phrase, unit *u)
{
	prepared p;
	memset(u, 0, sizeof *u);
	if (prepare(b, phrase, &p) < 0)
		return -1;
	if (p.ntri > UINT32_MAX / 4 || c->ntri + p.ntri > UINT32_MAX / 4 || c->nnorm + p.normlen > UINT32_MAX / 4)
		return -1;
	if (p.ntri) {
		uint32_t *tri = array_grow(c->tri, &c->cap_tri, c->ntri + p.ntri, sizeof *tri);
		if (!tri)
			return -1;
		c->tri = tri;
		memcpy(tri + c->ntri, p.tri, p.ntri * sizeof *tri);
	}
	u->tri_off = (uint32_t)c->ntri;
	u->ntri = (uint32_t)p.ntri;
	u->nwords = (uint32_t)p.nwords;
	c->ntri += p.ntri;
	if (p.cjk && p.normlen) {
		char *norm = array_grow(c->norm, &c->cap_norm, c->nnorm + p.normlen, 1);
		if (!norm)
			return -1;
		c->norm = norm;
		memcpy(norm + c->nnorm, p.norm, p.normlen);
		u->norm_off = (uint32_t)c->nnorm;
		u->norm_len = (uint32_t)p.normlen;
		c->nnorm += p.normlen;
	}
	return 0;
}

static int culture_build(lexicon_culture *c, prep_buf *b)
{
	/* signal groups */
	if (c->nsr) {
		qsort(c->sr, c->nsr, sizeof *c->sr, cmp_sig_raw);
		size_t ng = 0;
		for (size_t i = 0; i < c->nsr; i++)
			if (i == 0 || c->sr[i].phrase != c->sr[i - 1].phrase || c->sr[i].type != c->sr[i - 1].type ||
			    c->sr[i].side != c->sr[i - 1].side)
				ng++;
		c->g = calloc(ng, sizeof *c->g);
		c->gposts = malloc(c->nsr * sizeof *c->gposts);
		if (!c->g || !c->gposts)
			return -1;
		for (size_t i = 0; i < c->nsr; i++) {
			const sig_raw *r = &c->sr[i];
			sig_group *g = c->ng ? &c->g[c->ng - 1] : NULL;
			if (!g || r->phrase != g->phrase || r->type != g->type || r->side != g->side) {
				g = &c->g[c->ng++];
				g->phrase = r->phrase;
				g->type = r->type;
				g->side = r->side;
				g->post_off = i;
			}
			g->occurrences++;
			c->gposts[i] = r->post;
		}
	}
	free(c->sr);
	c->sr = NULL;
	c->nsr = c->cap_sr = 0;

	size_t nunits = c->ng + c->nd;
	if (nunits > UINT32_MAX / 4)
		return -1;
	for (size_t i = 0; i < c->ng; i++)
		if (unit_build(c, b, c->g[i].phrase, &c->g[i].u) < 0)
			return -1;
	for (size_t i = 0; i < c->nd; i++)
		if (unit_build(c, b, c->d[i].phrase, &c->d[i].u) < 0)
			return -1;

	/* inverted index */
	if (c->ntri) {
		uint64_t *pairs = malloc(c->ntri * sizeof *pairs);
		if (!pairs)
			return -1;
		size_t n = 0;
		for (size_t id = 0; id < nunits; id++) {
			const unit *u = id < c->ng ? &c->g[id].u : &c->d[id - c->ng].u;
			for (uint32_t k = 0; k < u->ntri; k++)
				pairs[n++] = (uint64_t)c->tri[u->tri_off + k] << 32 | id;
		}
		qsort(pairs, n, sizeof *pairs, cmp_u64);
		size_t nkeys = 0;
		for (size_t i = 0; i < n; i++)
			if (i == 0 || pairs[i] >> 32 != pairs[i - 1] >> 32)
				nkeys++;
		size_t cap = 16;
		while (cap < 2 * nkeys)
			cap *= 2;
		c->imask = (uint32_t)(cap - 1);
		c->ikeys = calloc(cap, sizeof *c->ikeys);
		c->ioff = malloc(cap * sizeof *c->ioff);
		c->ilen = malloc(cap * sizeof *c->ilen);
		c->ipost = malloc(n * sizeof *c->ipost);
		if (!c->ikeys || !c->ioff || !c->ilen || !c->ipost) {
			free(pairs);
			return -1;
		}
		uint32_t slot = 0;
		for (size_t i = 0; i < n; i++) {
			uint32_t tri = (uint32_t)(pairs[i] >> 32);
			if (i == 0 || tri != (uint32_t)(pairs[i - 1] >> 32)) {
				slot = hash_tri(tri) & c->imask;
				while (c->ikeys[slot])
					slot = (slot + 1) & c->imask;
				c->ikeys[slot] = tri;
				c->ioff[slot] = (uint32_t)i;
				c->ilen[slot] = 0;
			}
			c->ipost[i] = (uint32_t)pairs[i];
			c->ilen[slot]++;
		}
		free(pairs);
	}

	/* support phrases by post */
	if (c->ns) {
		if (c->ns > UINT32_MAX / 4)
			return -1;
		post_sup *ps = malloc(c->ns * sizeof *ps);
		c->sup_order = malloc(c->ns * sizeof *c->sup_order);
		c->posts = malloc(c->ns * sizeof *c->posts);
		if (!ps || !c->sup_order || !c->posts) {
			free(ps);
			return -1;
		}
		for (size_t i = 0; i < c->ns; i++)
			ps[i] = (post_sup){c->s[i].post, (uint32_t)i};
		qsort(ps, c->ns, sizeof *ps, cmp_post_sup);
		for (size_t i = 0; i < c->ns; i++) {
			if (i == 0 || ps[i].post != ps[i - 1].post)
				c->posts[c->nposts++] = (post_ref){ps[i].post, (uint32_t)i, 0};
			c->posts[c->nposts - 1].n++;
			c->sup_order[i] = ps[i].idx;
		}
		free(ps);
	}
	return 0;
}

int lexicon_finish(lexicon *l)
{
	if (!l || l->failed)
		return -1;
	if (l->finished)
		return 0;
	prep_buf b = {0};
	for (size_t i = 0; i < l->ncultures; i++)
		if (culture_build(l->cultures[i], &b) < 0) {
			prep_buf_free(&b);
			l->failed = true;
			l->finished = true;
			return -1;
		}
	prep_buf_free(&b);
	l->finished = true;
	return 0;
}

/* ---- lookups ---- */

const lexicon_culture *lexicon_culture_find(const lexicon *l, const char *code_or_alias)
{
	return find(l, code_or_alias);
}

const char *lexicon_culture_code(const lexicon_culture *c)
{
	return c ? c->code : NULL;
}

const char *lexicon_culture_display_name(const lexicon_culture *c)
{
	return c ? c->display_name : NULL;
}

size_t lexicon_culture_count(const lexicon *l)
{
	return l ? l->ncultures : 0;
}

const char *lexicon_culture_code_at(const lexicon *l, size_t i)
{
	return l && i < l->ncultures ? l->cultures[i]->code : NULL;
}

void lexicon_opts_default(lexicon_opts *o)
{
	o->signal_threshold = 0.6;
	o->max_signals = 10;
	o->max_distress = 5;
	o->distress_threshold = 0.2;
	o->max_strategies = 8;
}

/* ---- matching ---- */

typedef struct cand {
	uint32_t id;
	bool exact;   /* CJK substring: similarity 1 */
	double bound; /* exact: 2, so that one comparison puts them first */
} cand;

typedef struct scored {
	uint32_t id;
	double sim;
} scored;

/* Whether candidate a is to be scored before b. */
static bool cand_before(const cand *a, const cand *b)
{
	if (a->bound != b->bound)
		return a->bound > b->bound;
	return a->id < b->id;
}

/* Binary heap of candidates, the first to score on top. */
static void heap_down(cand *h, size_t n, size_t i)
{
	cand x = h[i];
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			break;
		if (c + 1 < n && cand_before(&h[c + 1], &h[c]))
			c++;
		if (!cand_before(&h[c], &x))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = x;
}

static void heap_make(cand *h, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		heap_down(h, n, i);
}

/* Removes the top of the heap into *out. */
static void heap_pop(cand *h, size_t *n, cand *out)
{
	*out = h[0];
	h[0] = h[--*n];
	if (*n)
		heap_down(h, *n, 0);
}

/* Result order of two scored signal groups (negative: a first). */
static int sig_order(const lexicon_culture *c, const scored *a, const scored *b)
{
	if (a->sim != b->sim)
		return a->sim > b->sim ? -1 : 1;
	const sig_group *x = &c->g[a->id], *y = &c->g[b->id];
	if (x->occurrences != y->occurrences)
		return x->occurrences > y->occurrences ? -1 : 1;
	int r = strcmp(x->phrase, y->phrase);
	if (!r)
		r = strcmp(x->side, y->side);
	if (!r)
		r = strcmp_null(x->type, y->type);
	return r ? r : (a->id > b->id) - (a->id < b->id);
}

static int dis_order(const lexicon_culture *c, const scored *a, const scored *b)
{
	(void)c;
	if (a->sim != b->sim)
		return a->sim > b->sim ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

typedef int (*order_fn)(const lexicon_culture *c, const scored *a, const scored *b);

/* Scores the candidates (a heap, emptied on the way) into top (room for
 * k), best first; returns how many. */
static size_t select_top(const lexicon_culture *c, text *t, cand *heap, size_t n, double threshold, size_t k,
			 order_fn order, scored *top)
{
	size_t nt = 0;
	heap_make(heap, n);
	while (n > 0 && k > 0) {
		cand x;
		heap_pop(heap, &n, &x);
		if (!x.exact && (x.bound < threshold || (nt == k && x.bound < top[k - 1].sim)))
			break;
		const unit *u = x.id < c->ng ? &c->g[x.id].u : &c->d[x.id - c->ng].u;
		scored s = {x.id < c->ng ? x.id : (uint32_t)(x.id - c->ng), 1.0};
		if (!x.exact) {
			/* A similarity below floor is dropped below (below the
			 * threshold, or not better than the K-th), so when the
			 * window bound is below it, score() cannot change the
			 * result. */
			double floor = nt == k && top[k - 1].sim > threshold ? top[k - 1].sim : threshold;
			size_t nids = phrase_ids(t, c->tri + u->tri_off, u->ntri);
			if (window_bound(t, t->pids, nids, u->ntri, u->nwords) < floor)
				continue;
			s.sim = score(t, t->pids, nids, u->ntri, u->nwords, floor);
		}
		if (!(s.sim >= threshold) || s.sim <= 0)
			continue;
		if (nt == k && order(c, &s, &top[k - 1]) >= 0)
			continue;
		size_t j = nt < k ? nt++ : k - 1;
		while (j > 0 && order(c, &s, &top[j - 1]) < 0) {
			top[j] = top[j - 1];
			j--;
		}
		top[j] = s;
	}
	return nt;
}

static const post_ref *post_find(const lexicon_culture *c, long id)
{
	size_t lo = 0, hi = c->nposts;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->posts[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->nposts && c->posts[lo].id == id ? &c->posts[lo] : NULL;
}

typedef struct strat_acc {
	const char *strategy;
	size_t count;
	const char *examples[3];
	size_t nexamples;
} strat_acc;

static int cmp_strat(const void *a, const void *b)
{
	const strat_acc *x = a, *y = b;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->strategy, y->strategy);
}

/* The strategies of the support phrases of posts (n ids, sorted unique). */
static int strategies(const lexicon_culture *c, const long *posts, size_t n, size_t max, lexicon_result *out)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		const post_ref *p = post_find(c, posts[i]);
		if (p)
			total += p->n;
	}
	if (total == 0 || max == 0)
		return 0;
	uint32_t *idx = malloc(total * sizeof *idx);
	strat_acc *acc = NULL;
	size_t nacc = 0, cap = 0, counted = 0;
	if (!idx)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const post_ref *p = post_find(c, posts[i]);
		if (p) {
			memcpy(idx + k, c->sup_order + p->off, p->n * sizeof *idx);
			k += p->n;
		}
	}
	qsort(idx, total, sizeof *idx, cmp_u32); /* insertion order */
	for (size_t i = 0; i < total; i++) {
		const sup *s = &c->s[idx[i]];
		if (!s->strategy)
			continue;
		size_t j = 0;
		while (j < nacc && acc[j].strategy != s->strategy)
			j++;
		if (j == nacc) {
			strat_acc *a = array_grow(acc, &cap, nacc + 1, sizeof *acc);
			if (!a) {
				free(acc);
				free(idx);
				return -1;
			}
			acc = a;
			acc[nacc++] = (strat_acc){s->strategy, 0, {NULL, NULL, NULL}, 0};
		}
		strat_acc *a = &acc[j];
		a->count++;
		counted++;
		if (a->nexamples < 3 && s->phrase[0]) {
			bool dup = false;
			for (size_t e = 0; e < a->nexamples; e++)
				dup = dup || a->examples[e] == s->phrase; /* interned */
			if (!dup)
				a->examples[a->nexamples++] = s->phrase;
		}
	}
	free(idx);
	if (nacc == 0) {
		free(acc);
		return 0;
	}
	qsort(acc, nacc, sizeof *acc, cmp_strat);
	size_t m = nacc < max ? nacc : max;
	out->strategies = malloc(m * sizeof *out->strategies);
	if (!out->strategies) {
		free(acc);
		return -1;
	}
	for (size_t i = 0; i < m; i++) {
		lexicon_strategy *st = &out->strategies[i];
		st->strategy = acc[i].strategy;
		st->weight = (double)acc[i].count / (double)counted;
		memcpy(st->examples, acc[i].examples, sizeof st->examples);
		st->nexamples = acc[i].nexamples;
	}
	out->nstrategies = m;
	free(acc);
	return 0;
}

static size_t sort_unique_longs(long *v, size_t n)
{
	if (n < 2)
		return n;
	qsort(v, n, sizeof *v, cmp_long);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (u == 0 || v[u - 1] != v[i])
			v[u++] = v[i];
	return u;
}

/* The end of the signal groups' part of a posting list (sorted by unit). */
static const uint32_t *signals_end(const uint32_t *post, const uint32_t *end, uint32_t ng)
{
	while (post < end && end[-1] >= ng) {
		size_t n = (size_t)(end - post);
		const uint32_t *mid = post + n / 2;
		if (*mid < ng)
			post = mid + 1;
		else
			end = mid;
	}
	return end;
}

int lexicon_match(const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		  const lexicon_opts *o, lexicon_result *out)
{
	if (!out)
		return -1;
	memset(out, 0, sizeof *out);
	if (!l || !c || c->owner != l || !l->finished || l->failed)
		return -1;
	lexicon_opts def;
	if (!o) {
		lexicon_opts_default(&def);
		o = &def;
	}
	size_t nunits = c->ng + c->nd;
	size_t kmax_sig = o->max_signals, kmax_dis = o->max_distress;
	text t;
	uint32_t *count = NULL, *touched = NULL;
	cand *cs = NULL;
	scored *top_sig = NULL, *top_dis = NULL;
	long *posts = NULL;
	int rc = -1;
	if (text_init(&t, message, len) < 0)
		goto done;
	count = calloc(nunits + 1, sizeof *count);
	touched = malloc((nunits + 1) * sizeof *touched);
	cs = malloc((nunits + 1) * sizeof *cs);
	if (!count || !touched || !cs)
		goto done;

	/* shared trigrams per unit */
	size_t ntouched = 0;
	bool want_all = kmax_sig && kmax_dis;
	if (c->ikeys && (kmax_sig || kmax_dis))
		for (size_t id = 0; id < t.nutri; id++) {
			uint32_t tri = t.utri[id];
			for (uint32_t i = hash_tri(tri) & c->imask; c->ikeys[i]; i = (i + 1) & c->imask) {
				if (c->ikeys[i] != tri)
					continue;
				const uint32_t *post = c->ipost + c->ioff[i], *post_end = post + c->ilen[i];
				if (want_all) { /* the common case, without the test per entry */
					for (; post < post_end; post++)
						if (count[*post]++ == 0)
							touched[ntouched++] = *post;
				} else {
					/* a posting list is sorted by unit: the signal
					 * groups (ids below ng) come first */
					if (!kmax_sig)
						while (post < post_end && *post < c->ng)
							post++;
					else if (!kmax_dis)
						post_end = signals_end(post, post_end, (uint32_t)c->ng);
					for (; post < post_end; post++)
						if (count[*post]++ == 0)
							touched[ntouched++] = *post;
				}
				break;
			}
		}

	/* candidates: signals in cs[0 .. nsig), distress phrases filled from
	 * the end, in cs[nunits - ndis .. nunits) (the order within each is
	 * the heap's) */
	size_t nsig = 0, ndis = 0;
	for (size_t i = 0; i < ntouched; i++) {
		uint32_t id = touched[i];
		bool is_sig = id < c->ng;
		const unit *u = is_sig ? &c->g[id].u : &c->d[id - c->ng].u;
		cand x = {id, false, (double)count[id] / (double)u->ntri};
		if (u->norm_len && cjk_substring(&t, c->norm + u->norm_off, u->norm_len)) {
			x.exact = true;
			x.bound = 2.0;
		} else if (!(x.bound >= (is_sig ? o->signal_threshold : o->distress_threshold))) {
			continue;
		}
		if (is_sig)
			cs[nsig++] = x;
		else
			cs[nunits - ++ndis] = x;
	}

	if (kmax_sig > nsig)
		kmax_sig = nsig;
	if (kmax_dis > ndis)
		kmax_dis = ndis;
	top_sig = malloc((kmax_sig + 1) * sizeof *top_sig);
	top_dis = malloc((kmax_dis + 1) * sizeof *top_dis);
	if (!top_sig || !top_dis)
		goto done;
	size_t ns = select_top(c, &t, cs, nsig, o->signal_threshold, kmax_sig, sig_order, top_sig);
	size_t nd = select_top(c, &t, cs + nunits - ndis, ndis, o->distress_threshold, kmax_dis, dis_order, top_dis);

	if (ns) {
		out->signals = malloc(ns * sizeof *out->signals);
		if (!out->signals)
			goto done;
		for (size_t i = 0; i < ns; i++) {
			const sig_group *g = &c->g[top_sig[i].id];
			out->signals[i] = (lexicon_signal_match){g->phrase, g->type, g->side, top_sig[i].sim, g->occurrences};
		}
		out->nsignals = ns;
	}
	if (nd) {
		out->distress = malloc(nd * sizeof *out->distress);
		if (!out->distress)
			goto done;
		for (size_t i = 0; i < nd; i++) {
			const dis *d = &c->d[top_dis[i].id];
			out->distress[i] = (lexicon_distress_match){d->phrase, d->intensity, top_dis[i].sim, d->post};
		}
		out->ndistress = nd;
	}

	/* strategies of the posts of the distress phrases, else of the signals */
	size_t np = 0;
	if (nd) {
		posts = malloc(nd * sizeof *posts);
		if (!posts)
			goto done;
		for (size_t i = 0; i < nd; i++)
			posts[np++] = out->distress[i].post_id;
	} else if (ns) {
		size_t total = 0;
		for (size_t i = 0; i < ns; i++)
			total += c->g[top_sig[i].id].occurrences;
		posts = malloc(total * sizeof *posts);
		if (!posts)
			goto done;
		for (size_t i = 0; i < ns; i++) {
			const sig_group *g = &c->g[top_sig[i].id];
			memcpy(posts + np, c->gposts + g->post_off, g->occurrences * sizeof *posts);
			np += g->occurrences;
		}
	}
	np = sort_unique_longs(posts, np);
	if (strategies(c, posts, np, o->max_strategies, out) < 0)
		goto done;
	rc = 0;
done:
	text_free(&t);
	free(count);
	free(touched);
	free(cs);
	free(top_sig);
	free(top_dis);
	free(posts);
	if (rc < 0)
		lexicon_result_clear(out);
	return rc;
}

void lexicon_result_clear(lexicon_result *r)
{
	if (!r)
		return;
	free(r->signals);
	free(r->distress);
	free(r->strategies);
	memset(r, 0, sizeof *r);
}

/* lexicon_word_similarity, or with bound the window bound instead of the
 * similarity. */
static double similarity(const char *phrase, const char *text_, bool bound)
{
	if (!phrase || !text_)
		return 0;
	prep_buf b = {0};
	prepared p;
	text t;
	double sim = 0;
	memset(&t, 0, sizeof t);
	if (prepare(&b, phrase, &p) == 0 && text_init(&t, text_, strlen(text_)) == 0) {
		size_t nids = phrase_ids(&t, p.tri, p.ntri);
		if (p.cjk && cjk_substring(&t, p.norm, p.normlen))
			sim = 1.0;
		else if (bound)
			sim = window_bound(&t, t.pids, nids, p.ntri, p.nwords);
		else
			sim = score(&t, t.pids, nids, p.ntri, p.nwords, 0);
	}
	text_free(&t);
	prep_buf_free(&b);
	return sim;
}

double lexicon_word_similarity(const char *phrase, const char *text_)
{
	return similarity(phrase, text_, false);
}

double lexicon_similarity_bound(const char *phrase, const char *text_)
{
	return similarity(phrase, text_, true);
}

/* ---- the phrases, for models built on the lexicon ---- */

int lexicon_attach(lexicon *l, void *model, void (*model_free)(void *))
{
	if (!l || !l->finished || l->failed || l->model)
		return -1;
	l->model = model;
	l->model_free = model_free;
	return 0;
}

void *lexicon_attached(const lexicon *l)
{
	return l ? l->model : NULL;
}

size_t lexicon_culture_index(const lexicon *l, const lexicon_culture *c)
{
	for (size_t i = 0; l && i < l->ncultures; i++)
		if (l->cultures[i] == c)
			return i;
	return SIZE_MAX;
}

const lexicon_culture *lexicon_culture_at(const lexicon *l, size_t i)
{
	return l && i < l->ncultures ? l->cultures[i] : NULL;
}

size_t lexicon_distress_count(const lexicon_culture *c)
{
	return c && c->owner->finished ? c->nd : 0;
}

const char *lexicon_distress_at(const lexicon_culture *c, size_t i, const char **intensity)
{
	if (i >= lexicon_distress_count(c))
		return NULL;
	*intensity = c->d[i].intensity;
	return c->d[i].phrase;
}

size_t lexicon_signal_count(const lexicon_culture *c)
{
	return c && c->owner->finished ? c->ng : 0;
}

const char *lexicon_signal_at(const lexicon_culture *c, size_t i, const char **type, unsigned *occurrences)
{
	if (i >= lexicon_signal_count(c))
		return NULL;
	*type = c->g[i].type;
	*occurrences = c->g[i].occurrences;
	return c->g[i].phrase;
}
