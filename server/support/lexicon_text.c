/* Normalisation, trigrams and the windowed similarity of the lexicon (the
 * definitions are in server/support/lexicon.c). */
#include "server/support/lexicon_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/unicode.h"
#include "server/util.h"

/* Longest message looked at; the rest is ignored. */
#define MAX_TEXT ((size_t)1 << 28)
#define NONE UINT32_MAX

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

void lex_prep_buf_free(prep_buf *b)
{
	free(b->norm);
	free(b->spans);
	free(b->tri);
}

/* Normalises s and computes its trigram set into b; p points into b. */
int lex_prepare(prep_buf *b, const char *s, prepared *p)
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

/* Lanes (64-bit words of block flags, 8 blocks each) per trigram id: a
 * text of up to 32 * MIN_LANES words gets MIN_LANES (blocks of 1 to 4
 * words), a longer one a lane per 32 words (blocks of up to 4 words), at
 * most MAX_LANES (beyond 32 * MAX_LANES words, longer blocks). More blocks
 * make the bound tighter and each phrase's sum longer. */
#define MIN_LANES 4
#define MAX_LANES 32

void lex_text_free(text *t)
{
	free(t->norm);
	free(t->mem);
	free(t->blk);
	free(t->whead);
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

/* Gives the trigrams of t ids in order of first appearance and fills
 * wtri (each word's ids) and tw (each id's words). */
static void text_index(text *t)
{
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
}

/* Sets up the word blocks of t (see text) and their flags in blk. */
static int text_blocks(text *t)
{
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

int lex_text_init(text *t, const char *s, size_t len)
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
	text_index(t);
	memset(t->inp, 0, t->nutri * sizeof *t->inp);
	memset(t->seen, 0, t->nutri * sizeof *t->seen);
	return text_blocks(t);
}

/* The ids in t of the phrase trigrams tri (ntri, unique) that occur in t,
 * into t->pids; returns how many (distinct ids, so at most t->nutri). */
size_t lex_phrase_ids(text *t, const uint32_t *tri, size_t ntri)
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

/* An upper bound of lex_score() for a phrase of ntri trigrams and nwords words
 * whose trigrams occurring in t have the ids ids[0 .. nids), cheap enough
 * to decide whether lex_score() is worth running.
 *
 * Why it is safe. lex_score() is the maximum over windows W of at most
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
 * that skips lex_score() when the bound is below its floor thus skips only
 * phrases whose score would have been below the floor too.
 *
 * The counts are summed a byte per block: adding the ids' blk words as
 * 64-bit integers adds their bytes one by one as long as no byte carries,
 * which at most 255 ids of 0/1 bytes cannot do; so byte b of the sum is
 * cnt[b], whatever the byte order. A phrase with more ids than that (a
 * long one) gets the bound of the whole message, nids / ntri. */
double lex_window_bound(const text *t, const uint32_t *ids, size_t nids, size_t ntri, size_t nwords)
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

/* Marks in t->hitbits the words sharing trigrams with the phrase of ids
 * (nids; each stamped ps in t->inp), with their shared counts, and lists
 * them in text order in t->hitlist; returns how many. */
static size_t score_hits(text *t, const uint32_t *ids, size_t nids, uint32_t ps)
{
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
	return nhit;
}

/* The bound of each start in t->hitlist (nhit) into t->hsum and t->hbound,
 * the best start moved first; returns the best bound (below floor: none
 * worth scoring). */
static double score_bounds(text *t, size_t nhit, size_t ntri, size_t nwords, double floor)
{
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
		return topb;
	/* the most promising start first */
	uint32_t tw = t->hitlist[0], tsum = t->hsum[0];
	double tb = t->hbound[0];
	t->hitlist[0] = t->hitlist[top];
	t->hsum[0] = t->hsum[top];
	t->hbound[0] = t->hbound[top];
	t->hitlist[top] = tw;
	t->hsum[top] = tsum;
	t->hbound[top] = tb;
	return topb;
}

/* The best window of the starts of score_bounds() (see lex_score()). */
static double score_windows(text *t, size_t nhit, size_t ntri, size_t nwords, double floor, uint32_t ps)
{
	const uint64_t *bits = t->hitbits;
	size_t maxw = nwords + 1;
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

/* The windowed trigram similarity of a phrase of ntri trigrams (unique)
 * and nwords words against t (without the CJK substring rule); ids
 * (nids): the ids of its trigrams that occur in t (lex_phrase_ids()).
 * Windows that cannot reach floor are skipped: a result below floor may be
 * lower than the true similarity (which is then below floor too). */
double lex_score(text *t, const uint32_t *ids, size_t nids, size_t ntri, size_t nwords, double floor)
{
	if (ntri == 0 || nids == 0 || t->nwords == 0)
		return 0;
	uint32_t ps = next_stamp(&t->pstamp, t->inp, t->nutri);
	size_t nhit = score_hits(t, ids, nids, ps);
	if (nhit == 0)
		return 0;
	if (score_bounds(t, nhit, ntri, nwords, floor) < floor)
		return 0;
	return score_windows(t, nhit, ntri, nwords, floor, ps);
}

bool lex_cjk_substring(const text *t, const char *norm, size_t normlen)
{
	return normlen > 0 && normlen <= t->normlen && memmem(t->norm, t->normlen, norm, normlen) != NULL;
}

static uint32_t word_hash(const char *w, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)w[i]) * 16777619u;
	return h ^ (h >> 15);
}

/* The chains of t's words by hash (see text). */
static int word_chains(text *t)
{
	size_t cap = 16;
	while (cap < 2 * t->nwords)
		cap *= 2;
	t->whead = malloc((cap + t->nwords) * sizeof *t->whead);
	if (!t->whead)
		return -1;
	t->wnext = t->whead + cap;
	t->wmask = (uint32_t)(cap - 1);
	memset(t->whead, 0xff, cap * sizeof *t->whead); /* NONE */
	for (size_t w = t->nwords; w-- > 0;) { /* each chain in text order */
		uint32_t h = word_hash(t->norm + t->spans[2 * w], t->spans[2 * w + 1]) & t->wmask;
		t->wnext[w] = t->whead[h];
		t->whead[h] = (uint32_t)w;
	}
	return 0;
}

bool lex_word_substring(text *t, const char *norm, size_t normlen)
{
	if (normlen == 0 || normlen > t->normlen || (!t->whead && word_chains(t) < 0))
		return false; /* out of memory: not known to be there (it is then scored) */
	const char *sp = memchr(norm, ' ', normlen);
	size_t first = sp ? (size_t)(sp - norm) : normlen;
	for (uint32_t w = t->whead[word_hash(norm, first) & t->wmask]; w != NONE; w = t->wnext[w]) {
		size_t at = t->spans[2 * w];
		if (t->spans[2 * w + 1] == first && at + normlen <= t->normlen &&
		    (at + normlen == t->normlen || t->norm[at + normlen] == ' ') &&
		    memcmp(t->norm + at, norm, normlen) == 0)
			return true;
	}
	return false;
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
	if (lex_prepare(&b, phrase, &p) == 0 && lex_text_init(&t, text_, strlen(text_)) == 0) {
		size_t nids = lex_phrase_ids(&t, p.tri, p.ntri);
		if (p.cjk && lex_cjk_substring(&t, p.norm, p.normlen))
			sim = 1.0;
		else if (bound)
			sim = lex_window_bound(&t, t.pids, nids, p.ntri, p.nwords);
		else
			sim = lex_score(&t, t.pids, nids, p.ntri, p.nwords, 0);
	}
	lex_text_free(&t);
	lex_prep_buf_free(&b);
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
