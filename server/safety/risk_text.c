/* Normalisation of messages and patterns for the crisis-risk rules (the
 * method is described in server/safety/risk.c). */
#include "server/safety/risk_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/unicode.h"
#include "server/util.h"

/* ---- character classes ---- */

enum cls {
	C_SKIP,   /* dropped: no boundary */
	C_SEP,    /* separates words */
	C_CLAUSE, /* ends a clause */
	C_WORD,   /* part of a word */
	C_CJK,    /* a word of its own */
	C_STAR,   /* `*`: a word character in patterns, a separator in messages */
	C_EMOJI,  /* a pictograph: a word of its own (💊 is a means) */
};

/* The Hebrew block: points and cantillation dropped, sof pasuq ends a
 * clause. */
static enum cls classify_hebrew(int32_t c)
{
	if ((c >= 0x591 && c <= 0x5bd) || c == 0x5bf || c == 0x5c1 || c == 0x5c2 || c == 0x5c4 || c == 0x5c5 ||
	    c == 0x5c7 || c == 0x5f3 || c == 0x5f4)
		return C_SKIP;
	if (c == 0x5c3)
		return C_CLAUSE;
	if ((c >= 0x5d0 && c <= 0x5ea) || (c >= 0x5ef && c <= 0x5f2))
		return C_WORD;
	return C_SEP;
}

/* The Arabic block: harakat and tatweel dropped, alef, yeh and teh
 * marbuta forms folded (*cp rewritten). */
static enum cls classify_arabic(int32_t *cp)
{
	int32_t c = *cp;
	if (c == 0x60c || c == 0x61b || c == 0x61f || c == 0x6d4)
		return C_CLAUSE;
	if ((c >= 0x64b && c <= 0x65f) || c == 0x670 || c == 0x640 || (c >= 0x6d6 && c <= 0x6ed) ||
	    (c >= 0x610 && c <= 0x61a))
		return C_SKIP;
	if (c == 0x622 || c == 0x623 || c == 0x625 || c == 0x671)
		*cp = 0x627;
	else if (c == 0x649 || c == 0x6cc)
		*cp = 0x64a;
	else if (c == 0x629)
		*cp = 0x647;
	if ((c >= 0x600 && c <= 0x60f) || (c >= 0x66a && c <= 0x66d) || c == 0x6dd || c == 0x6de || c == 0x6e9)
		return C_SEP;
	return C_WORD;
}

/* Classifies *cp and rewrites it to its normalised form (see the top
 * comment). */
static enum cls classify(int32_t *cp)
{
	int32_t c = *cp;
	if (c < 0)
		return C_SEP;
	if (c >= 0xff01 && c <= 0xff5e) /* fullwidth ASCII */
		c -= 0xfee0;
	c = *cp = unicode_lower(c);
	if (c < 0x80) {
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			return C_WORD;
		if (c == '\'' || c == '`')
			return C_SKIP;
		if (c == '*')
			return C_STAR;
		if (c != 0 && strchr(".!?;:,\n\r", (int)c))
			return C_CLAUSE;
		return C_SEP;
	}
	if (c <= 0xbf)
		return C_SEP; /* C1 controls, Latin-1 punctuation and symbols */
	if (c <= 0xff)
		return c == 0xd7 || c == 0xf7 ? C_SEP : C_WORD;
	if (c == 0x2bc)
		return C_SKIP; /* modifier letter apostrophe */
	if (c >= 0x300 && c <= 0x36f)
		return C_SKIP; /* combining marks (the diaeresis is handled by the caller) */
	if (c >= 0x590 && c <= 0x5ff)
		return classify_hebrew(c);
	if (c >= 0x600 && c <= 0x6ff)
		return classify_arabic(cp);
	if (c >= 0x2000 && c <= 0x206f) { /* General Punctuation */
		if (c == 0x2019 || c == 0x2032 || (c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
		    c >= 0x2060)
			return C_SKIP;
		if (c == 0x2013 || c == 0x2014 || c == 0x2015 || c == 0x2026 || c == 0x203c ||
		    (c >= 0x2047 && c <= 0x2049))
			return C_CLAUSE;
		return C_SEP;
	}
	if (c >= 0x2070 && c <= 0x2e7f)
		return C_SEP; /* symbols, arrows, maths, box drawing, dingbats, supplemental punctuation */
	if (c >= 0x3000 && c <= 0x303f) /* CJK punctuation */
		return c == 0x3001 || c == 0x3002 ? C_CLAUSE : C_SEP;
	if ((c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff) ||
	    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xff65 && c <= 0xff9f) || (c >= 0x20000 && c <= 0x3ffff))
		return C_CJK;
	if ((c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff || (c >= 0xe0000 && c <= 0xe007f))
		return C_SKIP; /* variation selectors, BOM, tags */
	if (c >= 0xfe10 && c <= 0xfe6f)
		return C_SEP; /* vertical, compatibility and small forms */
	if (c >= 0xff00 && c <= 0xffff)
		return c == 0xff61 || c == 0xff64 ? C_CLAUSE : C_SEP;
	if (c >= 0x1f3fb && c <= 0x1f3ff)
		return C_SKIP; /* skin tone modifiers */
	if (c >= 0x1f000 && c <= 0x1faff)
		return C_EMOJI;
	return C_WORD;
}

static enum script script_of(int32_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 0xc0 && c <= 0x24f) || (c >= 0x1e00 && c <= 0x1eff))
		return S_LATIN;
	if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f) || (c >= 0x8a0 && c <= 0x8ff) ||
	    (c >= 0xfb50 && c <= 0xfdff) || (c >= 0xfe70 && c <= 0xfefc))
		return c >= 0x660 && c <= 0x669 ? S_OTHER : S_ARABIC;
	if ((c >= 0x5d0 && c <= 0x5f2) || (c >= 0xfb1d && c <= 0xfb4f))
		return S_HEBREW;
	if (c >= 0x3040)
		return S_HAN; /* only called for C_CJK characters in that range */
	return S_OTHER;
}

/* ---- normalised text ---- */

void risk_text_clear(text *t)
{
	free(t->buf);
	free(t->toks);
	free(t->clause_end);
	memset(t, 0, sizeof *t);
}

static int text_reserve(text *t, size_t more)
{
	if (t->len + more + 1 <= t->cap)
		return 0;
	char *b = array_grow(t->buf, &t->cap, t->len + more + 1, 1);
	if (!b)
		return -1;
	t->buf = b;
	return 0;
}

/* Appends the (normalised) code point cp to the current word, starting a
 * new word (in the current clause) when none is open. */
static int text_put(text *t, uint32_t cp)
{
	if (text_reserve(t, 5) < 0)
		return -1;
	if (!t->in_word) {
		tok *v = array_grow(t->toks, &t->tcap, t->ntoks + 1, sizeof *v);
		if (!v)
			return -1;
		t->toks = v;
		if (t->ntoks)
			t->buf[t->len++] = t->toks[t->ntoks - 1].clause == t->nclauses ? ' ' : '\n';
		t->toks[t->ntoks++] = (tok){t->len, 0, t->nclauses, t->nsentences, 0, 0};
		t->in_word = true;
	}
	size_t n = utf8_encode((int32_t)cp, t->buf + t->len);
	t->len += n;
	t->toks[t->ntoks - 1].len += n;
	t->buf[t->len] = '\0';
	return 0;
}

static void text_end_clause(text *t)
{
	t->in_word = false;
	if (t->ntoks && t->toks[t->ntoks - 1].clause == t->nclauses)
		t->nclauses++;
}

/* Whether clause punctuation cp (normalised) also ends a sentence. */
static bool ends_sentence(int32_t cp)
{
	return cp == '.' || cp == '!' || cp == '?' || cp == '\n' || cp == '\r' || cp == 0x3002 || cp == 0xff61 ||
	       cp == 0x61f || cp == 0x6d4 || cp == 0x5c3 || cp == 0x2026 || cp == 0x203c ||
	       (cp >= 0x2047 && cp <= 0x2049);
}

static void text_end_sentence(text *t)
{
	if (t->ntoks && t->toks[t->ntoks - 1].sentence == t->nsentences)
		t->nsentences++;
}

/* Whether word w (n bytes, normalised) is a single Han or kana character. */
static bool cjk_word(const char *w, size_t n)
{
	int32_t cp;
	if (utf8_decode(w, n, &cp) != n)
		return false;
	return classify(&cp) == C_CJK;
}

int risk_text_build(text *t, const char *s, size_t len, bool pattern)
{
	if (text_reserve(t, len) < 0)
		return -1;
	t->buf[0] = '\0';
	for (size_t i = 0; i < len;) {
		int32_t cp;
		i += utf8_decode(s + i, len - i, &cp);
		if (cp == 0x308 && t->in_word && t->len) { /* a, o, u + combining diaeresis */
			char last = t->buf[t->len - 1];
			if (last == 'a' || last == 'o' || last == 'u') {
				t->len--;
				t->toks[t->ntoks - 1].len--;
				if (text_put(t, last == 'a' ? 0xe4u : last == 'o' ? 0xf6u : 0xfcu) < 0)
					return -1;
				t->umlauts++;
				continue;
			}
		}
		bool apostrophe = cp == '\'' || cp == '`' || cp == 0x2019 || cp == 0x2bc || cp == 0x2032;
		enum cls c = classify(&cp);
		if (apostrophe && t->in_word)
			t->toks[t->ntoks - 1].stem = t->toks[t->ntoks - 1].len;
		if (c == C_STAR)
			c = pattern ? C_WORD : C_SEP;
		if (c == C_CLAUSE && pattern)
			c = C_SEP;
		switch (c) {
		case C_SKIP:
			break;
		case C_SEP:
			t->in_word = false;
			break;
		case C_CLAUSE:
			text_end_clause(t);
			if (ends_sentence(cp))
				text_end_sentence(t);
			break;
		case C_WORD:
			if (text_put(t, (uint32_t)cp) < 0)
				return -1;
			t->letters[script_of(cp)]++;
			if (cp == 0xe4 || cp == 0xf6 || cp == 0xfc || cp == 0xdf)
				t->umlauts++;
			break;
		case C_CJK:
		case C_EMOJI:
			t->in_word = false;
			if (text_put(t, (uint32_t)cp) < 0)
				return -1;
			t->in_word = false;
			if (c == C_CJK)
				t->letters[S_HAN]++;
			break;
		case C_STAR:
			break;
		}
	}
	text_end_clause(t);
	t->clause_end = malloc((t->nclauses ? t->nclauses : 1) * sizeof *t->clause_end);
	if (!t->clause_end)
		return -1;
	size_t reach = 0;
	for (size_t i = 0; i < t->ntoks; i++) {
		tok *w = &t->toks[i];
		if (w->stem && (w->stem + 1 != w->len || t->buf[w->off + w->stem] != 's'))
			w->stem = 0;
		t->clause_end[t->toks[i].clause] = i + 1;
		t->toks[i].reach = reach;
		reach += cjk_word(t->buf + t->toks[i].off, t->toks[i].len) ? 2 : 1;
	}
	return 0;
}
