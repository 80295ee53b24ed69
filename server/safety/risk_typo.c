/* Typo tolerance of the crisis-risk rules (the method is described in
 * server/safety/risk.c). The literal words of the patterns in the Latin
 * script are indexed: every one as a known word, and those of the risk
 * concepts (not of cues, times or quantities) at least TYPO_MIN letters
 * long also by every form with one letter left out (symmetric deletion).
 * A word of a message that is no known word, and does not begin with the
 * stem of a `stem*` pattern word, is read as the concept word it is one
 * slip from (see one_slip), when both begin and end with the same letter:
 * "overdsoed" as overdosed, "umbirngen" as umbringen, "kil" never (too
 * short), "friends" never (another word: an added letter). */
#include "server/safety/risk_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/unicode.h"
#include "server/util.h"

#define TYPO_MIN 6     /* letters */
#define TYPO_MAXB 48   /* bytes of a word considered */
#define CUT_STEM 0xff  /* cut_len of an entry for the stem of a `stem*` word */

struct typo_word {
	char *s; /* a copy */
	size_t len;
	bool target; /* a misspelt word may be read as this one */
};

struct typo_entry {
	uint64_t hash;
	uint32_t word;   /* index into typo_index.words */
	uint8_t cut_off; /* the letter left out: bytes [cut_off, cut_off + cut_len) */
	uint8_t cut_len; /* 0: the whole word; CUT_STEM: a stem */
};

static uint64_t fnv(const char *a, size_t an, const char *b, size_t bn)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < an; i++)
		h = (h ^ (unsigned char)a[i]) * 1099511628211ull;
	for (size_t i = 0; i < bn; i++)
		h = (h ^ (unsigned char)b[i]) * 1099511628211ull;
	return h ? h : 1; /* 0 marks an empty slot */
}

/* Letters of w (n bytes) into cp (TYPO_MAXB at most); -1 when a character
 * is not a Latin letter. */
static int latin_letters(const char *w, size_t n, int32_t *cp)
{
	int k = 0;
	for (size_t i = 0; i < n;) {
		int32_t c;
		size_t l = utf8_decode(w + i, n - i, &c);
		if (!((c >= 'a' && c <= 'z') || (c >= 0xdf && c <= 0xff && c != 0xf7)))
			return -1;
		cp[k++] = c;
		i += l;
	}
	return k;
}

/* Whether letters x and y are neighbours on a QWERTY or QWERTZ keyboard
 * (a replaced letter is a slip of the finger; a replaced vowel is often
 * another word: schlecht is not Schlucht). */
static bool neighbours(int32_t x, int32_t y)
{
	static const char *const rows[] = {"qwertyuiop", "asdfghjkl", "zxcvbnm"};
	static const char *const alt[] = {"qwertzuiop", "asdfghjkl", "yxcvbnm"};
	if (x > 'z' || y > 'z' || x < 'a' || y < 'a')
		return false;
	for (int k = 0; k < 2; k++) {
		const char *const *r = k ? alt : rows;
		int rx = -1, cx = 0, ry = -1, cy = 0;
		for (int i = 0; i < 3; i++) {
			const char *px = strchr(r[i], (int)x), *py = strchr(r[i], (int)y);
			if (px) {
				rx = i;
				cx = (int)(px - r[i]);
			}
			if (py) {
				ry = i;
				cy = (int)(py - r[i]);
			}
		}
		/* rows are offset by about half a key: (r, c) touches (r+1, c-1) and (r+1, c) */
		if (rx == ry && abs(cx - cy) == 1)
			return true;
		if (abs(rx - ry) == 1) {
			int top = rx < ry ? cx : cy, bottom = rx < ry ? cy : cx;
			if (bottom == top || bottom == top - 1)
				return true;
		}
	}
	return false;
}

/* Whether message word a reads as pattern word b by one slip: two
 * neighbours swapped, a letter replaced by a keyboard neighbour (in words
 * longer than TYPO_MIN), a letter
 * typed twice or a double letter typed once. A letter otherwise added or
 * left out is not taken: that mostly makes another word (though, through;
 * tables, tablets). */
static bool one_slip(const int32_t *a, int an, const int32_t *b, int bn)
{
	if (an - bn > 1 || bn - an > 1)
		return false;
	int i = 0;
	while (i < an && i < bn && a[i] == b[i])
		i++;
	if (an == bn) {
		if (i == an)
			return false; /* the same word */
		if (memcmp(a + i + 1, b + i + 1, (size_t)(an - i - 1) * sizeof *a) == 0)
			return an > TYPO_MIN && neighbours(a[i], b[i]); /* liegen, lieben */
		return i + 1 < an && a[i] == b[i + 1] && a[i + 1] == b[i] &&
		       memcmp(a + i + 2, b + i + 2, (size_t)(an - i - 2) * sizeof *a) == 0;
	}
	const int32_t *lo = an > bn ? b : a, *hi = an > bn ? a : b; /* hi has one letter more, at i */
	int ln = an > bn ? bn : an;
	if (memcmp(hi + i + 1, lo + i, (size_t)(ln - i) * sizeof *a) != 0)
		return false;
	return i > 0 && hi[i] == hi[i - 1]; /* the extra letter doubles the one before */
}

static int index_grow(typo_index *x)
{
	size_t cap = x->cap ? x->cap * 2 : 1024;
	struct typo_entry *v = calloc(cap, sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < x->cap; i++) {
		if (!x->slots[i].hash)
			continue;
		size_t j = x->slots[i].hash & (cap - 1);
		while (v[j].hash)
			j = (j + 1) & (cap - 1);
		v[j] = x->slots[i];
	}
	free(x->slots);
	x->slots = v;
	x->cap = cap;
	return 0;
}

static int index_put(typo_index *x, struct typo_entry e)
{
	if ((x->used + 1) * 2 > x->cap && index_grow(x) < 0)
		return -1;
	size_t j = e.hash & (x->cap - 1);
	while (x->slots[j].hash)
		j = (j + 1) & (x->cap - 1);
	x->slots[j] = e;
	x->used++;
	return 0;
}

/* Whether entry e stands for the bytes q (n). */
static bool entry_is(const typo_index *x, const struct typo_entry *e, const char *q, size_t n)
{
	const struct typo_word *w = &x->words[e->word];
	if (e->cut_len == CUT_STEM)
		return w->len - 1 == n && memcmp(w->s, q, n) == 0;
	if (w->len - e->cut_len != n)
		return false;
	return memcmp(w->s, q, e->cut_off) == 0 &&
	       memcmp(w->s + e->cut_off + e->cut_len, q + e->cut_off, n - e->cut_off) == 0;
}

/* The first entry for bytes q (n) whose cut is whole (want 0), a letter
 * (want 1) or a stem (want CUT_STEM); NULL when none. */
static const struct typo_entry *index_find(const typo_index *x, const char *q, size_t n, unsigned want)
{
	if (!x->cap)
		return NULL;
	uint64_t h = fnv(q, n, NULL, 0);
	for (size_t j = h & (x->cap - 1); x->slots[j].hash; j = (j + 1) & (x->cap - 1)) {
		const struct typo_entry *e = &x->slots[j];
		unsigned kind = e->cut_len == CUT_STEM ? CUT_STEM : e->cut_len ? 1 : 0;
		if (e->hash == h && kind == want && entry_is(x, e, q, n))
			return e;
	}
	return NULL;
}

/* Indexes word wi by every form with one letter (not the first) left out. */
static int add_cuts(typo_index *x, uint32_t wi)
{
	const char *s = x->words[wi].s;
	size_t len = x->words[wi].len;
	for (size_t i = 1; i < len;) {
		size_t l = 1;
		while (i + l < len && ((unsigned char)s[i + l] & 0xc0) == 0x80)
			l++;
		if (index_put(x, (struct typo_entry){fnv(s, i, s + i + l, len - i - l), wi, (uint8_t)i, (uint8_t)l}) < 0)
			return -1;
		i += l;
	}
	return 0;
}

int risk_typo_add(typo_index *x, const char *s, size_t len, bool target)
{
	int32_t cp[TYPO_MAXB];
	bool stem = len > 1 && s[len - 1] == '*';
	int letters = len > TYPO_MAXB || memchr(s, '*', len - stem) ? -1 : latin_letters(s, len - stem, cp);
	if (letters < 0 || (stem ? len - 1 < 4 : letters < TYPO_MIN))
		return 0;
	const struct typo_entry *e = index_find(x, s, len - stem, stem ? CUT_STEM : 0);
	if (e) {
		struct typo_word *w = &x->words[e->word];
		if (stem || w->target || !target)
			return 0;
		w->target = true; /* known before, a concept now */
		return add_cuts(x, e->word);
	}
	struct typo_word *v = array_grow(x->words, &x->wcap, x->nwords + 1, sizeof *v);
	char *copy = v ? malloc(len) : NULL;
	if (!copy)
		return -1;
	x->words = v;
	memcpy(copy, s, len);
	x->words[x->nwords] = (struct typo_word){copy, len, target && !stem};
	uint32_t wi = (uint32_t)x->nwords++;
	if (index_put(x, (struct typo_entry){fnv(copy, len - stem, NULL, 0), wi, 0, stem ? CUT_STEM : 0}) < 0)
		return -1;
	return target && !stem ? add_cuts(x, wi) : 0;
}

void risk_typo_free(typo_index *x)
{
	for (size_t i = 0; i < x->nwords; i++)
		free(x->words[i].s);
	free(x->slots);
	free(x->words);
	memset(x, 0, sizeof *x);
}

/* The pattern word w (n bytes) is one edit from: a word of the index, or
 * NULL. */
static const struct typo_word *correction(const typo_index *x, const char *w, size_t n)
{
	int32_t a[TYPO_MAXB], b[TYPO_MAXB];
	int an = n <= TYPO_MAXB ? latin_letters(w, n, a) : -1;
	if (an < TYPO_MIN || index_find(x, w, n, 0))
		return NULL;
	for (size_t k = 4; k < n; k++)
		if (index_find(x, w, k, CUT_STEM))
			return NULL; /* a `stem*` word matches it as it is */
	char q[TYPO_MAXB];
	for (size_t i = 0; i <= n;) { /* i == n: the word itself */
		size_t l = 1;
		while (i + l < n && ((unsigned char)w[i + l] & 0xc0) == 0x80)
			l++;
		size_t qn = 0;
		if (i < n) {
			memcpy(q, w, i);
			memcpy(q + i, w + i + l, n - i - l);
			qn = n - l;
		} else {
			memcpy(q, w, n);
			qn = n;
		}
		uint64_t h = fnv(q, qn, NULL, 0);
		for (size_t j = h & (x->cap - 1); i > 0 && x->slots[j].hash; j = (j + 1) & (x->cap - 1)) {
			const struct typo_entry *e = &x->slots[j];
			if (e->hash != h || e->cut_len == CUT_STEM || !entry_is(x, e, q, qn))
				continue;
			const struct typo_word *c = &x->words[e->word];
			int bn = c->target ? latin_letters(c->s, c->len, b) : -1;
			if (bn >= TYPO_MIN && a[0] == b[0] && a[an - 1] == b[bn - 1] && one_slip(a, an, b, bn))
				return c;
		}
		if (i == n)
			break;
		i += l;
	}
	return NULL;
}

int risk_typo_correct(const typo_index *x, text *t)
{
	const struct typo_word **fix = NULL;
	size_t nfix = 0, more = 0;
	for (size_t i = 0; x->cap && i < t->ntoks; i++) {
		const struct typo_word *c = correction(x, t->buf + t->toks[i].off, t->toks[i].len);
		if (!c)
			continue;
		if (!fix && !(fix = calloc(t->ntoks, sizeof *fix)))
			return -1;
		fix[i] = c;
		nfix++;
		more += c->len;
	}
	if (!nfix)
		return 0;
	/* The words again, the corrected ones replaced, same separators. */
	char *buf = malloc(t->len + more + 1);
	if (!buf) {
		free(fix);
		return -1;
	}
	size_t len = 0;
	for (size_t i = 0; i < t->ntoks; i++) {
		tok *w = &t->toks[i];
		if (i)
			buf[len++] = t->buf[w->off - 1];
		const char *s = fix[i] ? fix[i]->s : t->buf + w->off;
		size_t n = fix[i] ? fix[i]->len : w->len;
		memcpy(buf + len, s, n);
		w->off = len;
		w->len = n;
		if (fix[i])
			w->stem = 0;
		len += n;
	}
	buf[len] = '\0';
	free(t->buf);
	free(fix);
	t->buf = buf;
	t->len = len;
	t->cap = t->len + more + 1;
	return 0;
}
