/* Crisis-risk assessment of a message from rules loaded from the database
 * (see server/safety/risk.h for the API, migrations/0002_safety.sql and
 * 0007_risk_concepts.sql for the rules).
 *
 * Normalisation. The message and every pattern are normalised the same way
 * into a sequence of words grouped in clauses:
 *  - text is decoded and lower-cased by server/unicode.h (utf8proc: the
 *    simple Unicode lower case, so ẞ becomes ß); u + combining diaeresis
 *    becomes ü, likewise a and o; fullwidth ASCII is read as ASCII;
 *  - apostrophes (' ’ ʼ `) are dropped, so "don't" and "dont" are the same
 *    word; invisible characters, other combining marks, Arabic vowel marks
 *    and tatweel and Hebrew points are dropped;
 *  - Arabic letter variants are folded: أ إ آ ٱ to ا, ى to ي, ة to ه;
 *  - a word is a maximal run of letters and digits (any script); every
 *    Han or kana character is a word of its own, so Chinese patterns match
 *    as plain substrings;
 *  - clauses end at . ! ? ; : , newline, … – — and their CJK, fullwidth,
 *    Arabic (، ؛ ؟) and Hebrew (sof pasuq) forms; all other punctuation,
 *    symbols, emoji and invalid UTF-8 bytes only separate words.
 *
 * Patterns (risk_rules.pattern). A phrase of one or more words that matches
 * where its words occur as consecutive whole words of one clause. Within a
 * word, `*` matches any (possibly empty) run of characters of that word:
 * `kill*` matches kill, killing, killed; `*נתחר*`-style patterns let Arabic
 * and Hebrew words carry attached prefixes and suffixes. A `*` standing alone
 * as a word (or between Han characters) is a gap of zero to four words
 * (Han characters count as words). Punctuation in a pattern only separates
 * words. A pattern without a word never matches.
 *
 * Kinds. For the writer's suicide and self-harm risk: passive_ideation
 * (wish to be dead), hopelessness, active_ideation (thoughts of killing
 * oneself), past_self_harm, recent_self_harm, method (means: pills, bridge,
 * rope..., or seeking one: "ways to die"), intent (decision, plan), time
 * (tonight, right now; not a bare "now", which is mostly a discourse word),
 * preparatory (preparatory acts or an act under way: pills taken, a goodbye
 * note, standing on a roof). Context cues: negation, third_person (a friend, he,
 * she), first_person (I, me, myself). Separate categories: harm_others and
 * abuse.
 *
 * Logic. Every language's rules are matched against the whole message and
 * evaluated separately, with that language's cues only (so that German "er"
 * never reads as a person in an English message); the writer's level is
 * the highest over the languages and the categories are joined. For every
 * match of a risk kind in a clause:
 *  - a self kind is dropped when it overlaps a harm_others or abuse match
 *    ("ihn umbringen" is harm to others, not the writer's ideation;
 *    "threatened to kill me" is abuse); a first_person cue overlapping a
 *    third_person cue is ignored ("my" in "my friend");
 *  - it is negated when a negation cue of the same clause starts before it
 *    and ends at most one word before it starts ("I would never kill
 *    myself", "ich würde mich niemals umbringen", "我不会自杀"; longer cues
 *    bridge more: "not going to"), unless a person cue starts in between.
 *    A negated match counts for nothing;
 *  - a self kind belongs to a third person when a third_person cue overlaps
 *    it and no first_person cue lies inside it ("kill herself", German
 *    "sich umzubringen"), or when the nearest person cue starting before it
 *    in the clause is a third_person one that ends at most four words
 *    before it ("my friend wants to die", "I think he wants to die"). Han
 *    characters count two words each there: Chinese often leaves the
 *    subject out ("我跟我妈吵架后就想死": after a quarrel with my mum I
 *    want to die), so the reach is kept to two characters. Otherwise it is
 *    the writer's ("my sister died and I want to die", no cue, a cue too
 *    far away): when in doubt, the writer is taken to be at risk. A time
 *    or a quantity belongs to no one ("after they sleep" is the writer's
 *    time), and a finality match with a third_person cue inside it is
 *    still the writer's ("tell them I'm sorry").
 * An idiom match ("killed myself laughing", "dying of embarrassment")
 * hides the self kinds it overlaps, as harm_others and abuse do.
 * A third-person match of passive or active ideation, self-harm, intent or
 * preparatory kind sets RISK_CAT_THIRD_PERSON; harm_others and abuse set
 * their categories whoever is speaking. The writer's level combines the
 * kinds of the writer's matches anywhere in the message:
 *   low       passive ideation or hopelessness
 *   moderate  active ideation; past self-harm; passive ideation + time
 *   high      recent self-harm; ideation (passive or active) + method;
 *             intent + (ideation or method); active ideation + time
 *   imminent  preparatory; time + method + (ideation or intent);
 *             time + intent + ideation
 * A method, time or intent alone is nothing (a rope in a climbing story);
 * hopelessness does not combine. A finality cue alone (a farewell, a last
 * post, a note, a will, belongings given away) is high.
 *
 * Concepts in a sentence. The concept kinds act (an act done or under way:
 * took, swallowed, injected, jumped), quantity (all of, a whole bottle,
 * thirty), finality, method_seeking (how many, what height, a lethal dose)
 * and presence (standing on, sitting on, in my hand, is running, is tied)
 * combine with the other kinds of the writer's within one sentence (it ends
 * at . ! ? newline and their other forms), in any order and at any
 * distance, so that verb-final German, words between a verb and its means,
 * and Chinese without spaces all match:
 *   high      method_seeking + (method or ideation)
 *   imminent  act + method + (quantity, ideation, finality or intent);
 *             presence + method; finality + (method, time, intent,
 *             ideation, act or presence)
 * The safety floor: uncertain is not safe. Method seeking, finality, or, in
 * a message with a first_person cue, a method with an act, a quantity,
 * presence, intent or hopelessness is at least moderate (reason
 * safety_floor). The reasons of the result are the concept kinds of the
 * writer's matches. RISK_CAT_SELF is set when the level is above none.
 *
 * Language. The script with most letters decides zh (Han and kana, counted
 * double), ar or he; Latin text is de when umlauts and ß, common German
 * words and German rule matches outweigh common English words and English
 * rule matches, else en (also the default). */
#include "server/safety/risk.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/unicode.h"
#include "server/util.h"

/* Words a lone `*` in a pattern may stand for. */
#define MAX_GAP 4
/* Words allowed between the end of a negation cue and what it negates. */
#define NEG_GAP 1
/* Most words between a third_person cue and a match it claims; a Han
 * character counts as two words (see the top comment). */
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
	K_COUNT
};

static const char *const kind_names[K_COUNT] = {
	"passive_ideation", "hopelessness", "active_ideation", "past_self_harm", "recent_self_harm",
	"method",           "intent",       "time",            "preparatory",    "act",
	"quantity",         "finality",     "method_seeking",  "presence",       "negation",
	"third_person",     "first_person", "harm_others",     "abuse",
	"idiom",
};

static const char *const level_names[] = {"none", "low", "moderate", "high", "imminent"};

typedef struct ptok {
	const char *s; /* into the rule's normalised pattern; NULL for a gap */
	size_t len;
} ptok;

typedef struct rule {
	unsigned kind;
	size_t lang;   /* index into risk_rules.langs */
	char *norm;    /* the normalised pattern: words joined by single spaces */
	ptok *toks;    /* words and gaps; never starts or ends with a gap */
	size_t ntoks;  /* 0: never matches */
	size_t span;   /* most words a match can cover */
	const char *lit; /* longest part of norm without `*`, for a quick substring test */
	size_t litlen;
} rule;

struct risk_rules {
	rule *rules;
	size_t n, cap;
	char (*langs)[4];
	size_t nlangs, langcap;
	size_t maxspan;
};

/* ---- small helpers ---- */


static bool is_self_kind(unsigned k)
{
	return k <= K_PRESENCE;
}

static bool is_person_kind(unsigned k)
{
	return k == K_THIRD || k == K_FIRST;
}

/* Kinds that make a third person's match a concern for them. */
static bool is_concern_kind(unsigned k)
{
	return k == K_PASSIVE || k == K_ACTIVE || k == K_PAST_SH || k == K_RECENT_SH || k == K_INTENT ||
	       k == K_PREP || k == K_ACT || k == K_FINALITY || k == K_PRESENCE || k == K_SEEKING;
}

/* ---- character classes ---- */

enum cls {
	C_SKIP,   /* dropped: no boundary */
	C_SEP,    /* separates words */
	C_CLAUSE, /* ends a clause */
	C_WORD,   /* part of a word */
	C_CJK,    /* a word of its own */
	C_STAR,   /* `*`: a word character in patterns, a separator in messages */
};

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
	if (c >= 0x590 && c <= 0x5ff) { /* Hebrew */
		if ((c >= 0x591 && c <= 0x5bd) || c == 0x5bf || c == 0x5c1 || c == 0x5c2 || c == 0x5c4 ||
		    c == 0x5c5 || c == 0x5c7 || c == 0x5f3 || c == 0x5f4)
			return C_SKIP;
		if (c == 0x5c3)
			return C_CLAUSE;
		if ((c >= 0x5d0 && c <= 0x5ea) || (c >= 0x5ef && c <= 0x5f2))
			return C_WORD;
		return C_SEP;
	}
	if (c >= 0x600 && c <= 0x6ff) { /* Arabic */
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
		if ((c >= 0x600 && c <= 0x60f) || (c >= 0x66a && c <= 0x66d) || c == 0x6dd || c == 0x6de ||
		    c == 0x6e9)
			return C_SEP;
		return C_WORD;
	}
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
	if (c >= 0x1f000 && c <= 0x1faff)
		return C_SEP; /* emoji and pictographs */
	return C_WORD;
}

enum script { S_OTHER, S_LATIN, S_ARABIC, S_HEBREW, S_HAN };

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

typedef struct tok {
	size_t off, len; /* in text.buf */
	size_t clause;
	size_t sentence; /* sentences end at . ! ? newline and their other forms; clauses also at , ; : */
	size_t reach; /* sum of the reach weights of the words before this one */
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

static void text_clear(text *t)
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
		t->toks[t->ntoks++] = (tok){t->len, 0, t->nclauses, t->nsentences, 0};
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

/* Normalises s (len bytes) into t (zeroed by the caller). pattern: `*` is a
 * word character and clause punctuation only separates words. 0, or -1 when
 * out of memory (t must still be cleared). */
static int text_build(text *t, const char *s, size_t len, bool pattern)
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
		enum cls c = classify(&cp);
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
			t->in_word = false;
			if (text_put(t, (uint32_t)cp) < 0)
				return -1;
			t->in_word = false;
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
		t->clause_end[t->toks[i].clause] = i + 1;
		t->toks[i].reach = reach;
		reach += cjk_word(t->buf + t->toks[i].off, t->toks[i].len) ? 2 : 1;
	}
	return 0;
}

/* ---- rules ---- */

risk_rules *risk_rules_new(void)
{
	return calloc(1, sizeof(risk_rules));
}

size_t risk_rules_count(const risk_rules *r)
{
	return r ? r->n : 0;
}

void risk_rules_free(risk_rules *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->rules[i].norm);
		free(r->rules[i].toks);
	}
	free(r->rules);
	free(r->langs);
	free(r);
}

static bool is_star_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != '*')
			return false;
	return true;
}

/* Compiles pattern into ru (kind and lang set by the caller). 0 or -1. */
static int rule_compile(rule *ru, const char *pattern)
{
	text t = {0};
	if (text_build(&t, pattern, strlen(pattern), true) < 0) {
		text_clear(&t);
		return -1;
	}
	ru->norm = t.buf ? t.buf : strdup("");
	t.buf = NULL;
	ru->toks = malloc((t.ntoks ? t.ntoks : 1) * sizeof *ru->toks);
	if (!ru->norm || !ru->toks) {
		text_clear(&t);
		free(ru->norm);
		free(ru->toks);
		return -1;
	}
	ru->ntoks = 0;
	ru->span = 0;
	for (size_t i = 0; i < t.ntoks; i++) {
		const char *w = ru->norm + t.toks[i].off;
		size_t n = t.toks[i].len;
		bool gap = is_star_word(w, n);
		if (gap && (ru->ntoks == 0 || ru->toks[ru->ntoks - 1].s == NULL))
			continue; /* leading or repeated gap */
		ru->toks[ru->ntoks++] = (ptok){gap ? NULL : w, n};
		ru->span += gap ? MAX_GAP : 1;
	}
	if (ru->ntoks && ru->toks[ru->ntoks - 1].s == NULL) {
		ru->ntoks--;
		ru->span -= MAX_GAP;
	}
	text_clear(&t);
	/* The longest run of norm without `*`, trimmed of spaces. */
	ru->lit = ru->norm;
	ru->litlen = 0;
	for (const char *p = ru->norm; *p;) {
		while (*p == '*' || *p == ' ')
			p++;
		const char *q = p;
		while (*q && *q != '*')
			q++;
		size_t n = (size_t)(q - p);
		while (n && p[n - 1] == ' ')
			n--;
		if (n > ru->litlen) {
			ru->lit = p;
			ru->litlen = n;
		}
		p = q;
	}
	return 0;
}

static int kind_parse(const char *s)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

/* Index of lang (lower-cased, 1..3 ASCII letters) in r->langs, added when
 * new; NONE when invalid or out of memory. */
static size_t lang_index(risk_rules *r, const char *lang)
{
	char l[4] = {0};
	size_t n = strlen(lang);
	if (n < 1 || n > 3)
		return NONE;
	for (size_t i = 0; i < n; i++) {
		int c = ascii_lower((unsigned char)lang[i]);
		if (c < 'a' || c > 'z')
			return NONE;
		l[i] = (char)c;
	}
	for (size_t i = 0; i < r->nlangs; i++)
		if (strcmp(r->langs[i], l) == 0)
			return i;
	char(*v)[4] = array_grow(r->langs, &r->langcap, r->nlangs + 1, sizeof *v);
	if (!v)
		return NONE;
	r->langs = v;
	memcpy(r->langs[r->nlangs], l, sizeof l);
	return r->nlangs++;
}

int risk_rules_add(risk_rules *r, const char *lang, const char *kind, const char *pattern)
{
	if (!r || !lang || !kind || !pattern)
		return -1;
	int k = kind_parse(kind);
	if (k < 0)
		return -1;
	rule *v = array_grow(r->rules, &r->cap, r->n + 1, sizeof *v);
	if (!v)
		return -1;
	r->rules = v;
	size_t li = lang_index(r, lang);
	if (li == NONE)
		return -1;
	rule *ru = &r->rules[r->n];
	memset(ru, 0, sizeof *ru);
	ru->kind = (unsigned)k;
	ru->lang = li;
	if (rule_compile(ru, pattern) < 0)
		return -1;
	if (ru->span > r->maxspan)
		r->maxspan = ru->span;
	r->n++;
	return 0;
}

/* ---- matching ---- */

/* Whether word s (n bytes) matches pattern word p (m bytes; `*`: any run). */
static bool glob(const char *p, size_t m, const char *s, size_t n)
{
	size_t pi = 0, si = 0, star = NONE, mark = 0;
	while (si < n) {
		if (pi < m && p[pi] == '*') {
			star = pi++;
			mark = si;
		} else if (pi < m && p[pi] == s[si]) {
			pi++;
			si++;
		} else if (star != NONE) {
			pi = star + 1;
			si = ++mark;
		} else {
			return false;
		}
	}
	while (pi < m && p[pi] == '*')
		pi++;
	return pi == m;
}

/* Matches the rule's words from pi on against the words of t from ti on,
 * not beyond tend; on success *end is the index after the last word. */
static bool match_from(const text *t, size_t ti, size_t tend, const rule *ru, size_t pi, size_t *end)
{
	for (; pi < ru->ntoks; pi++, ti++) {
		const ptok *p = &ru->toks[pi];
		if (!p->s) {
			for (size_t k = 0; k <= MAX_GAP && ti + k <= tend; k++)
				if (match_from(t, ti + k, tend, ru, pi + 1, end))
					return true;
			return false;
		}
		if (ti >= tend || !glob(p->s, p->len, t->buf + t->toks[ti].off, t->toks[ti].len))
			return false;
	}
	*end = ti;
	return true;
}

typedef struct match {
	size_t start, end; /* words [start, end) */
	size_t clause;
	size_t sentence;
	size_t lang;
	unsigned kind;
	bool dead;      /* ignored (overlap rules) */
	size_t before;  /* nearest live person cue starting before, or NONE */
	size_t neg_end; /* end of the latest-ending live negation cue starting before (and not
			   separated by a person cue), or 0 */
	bool has_neg;
} match;

typedef struct matches {
	match *v;
	size_t n, cap;
} matches;

/* The byte pairs of a text, one bit each: a rule whose literal has a pair
 * the text lacks cannot occur in it, which spares most of the memmem calls
 * (one per rule and message otherwise). */
typedef struct pairs {
	uint64_t bits[65536 / 64];
} pairs;

static void pairs_of(const text *t, pairs *p)
{
	memset(p, 0, sizeof *p);
	for (size_t i = 0; i + 1 < t->len; i++) {
		unsigned v = (unsigned)(unsigned char)t->buf[i] << 8 | (unsigned char)t->buf[i + 1];
		p->bits[v >> 6] |= 1ull << (v & 63);
	}
}

static bool may_contain(const pairs *p, const char *lit, size_t len)
{
	for (size_t i = 0; i + 1 < len; i++) {
		unsigned v = (unsigned)(unsigned char)lit[i] << 8 | (unsigned char)lit[i + 1];
		if (!(p->bits[v >> 6] & 1ull << (v & 63)))
			return false;
	}
	return true;
}

static int collect(const risk_rules *r, const text *t, matches *ms)
{
	pairs pp; /* 8 KB on the stack */
	pairs_of(t, &pp);
	for (size_t ri = 0; ri < r->n; ri++) {
		const rule *ru = &r->rules[ri];
		if (!ru->ntoks)
			continue;
		if (ru->litlen &&
		    (!may_contain(&pp, ru->lit, ru->litlen) || !memmem(t->buf, t->len, ru->lit, ru->litlen)))
			continue;
		const char *first = ru->toks[0].s;
		for (size_t i = 0; i < t->ntoks; i++) {
			if (first[0] != '*' && t->buf[t->toks[i].off] != first[0])
				continue;
			size_t end;
			if (!match_from(t, i, t->clause_end[t->toks[i].clause], ru, 0, &end))
				continue;
			match *v = array_grow(ms->v, &ms->cap, ms->n + 1, sizeof *v);
			if (!v)
				return -1;
			ms->v = v;
			ms->v[ms->n++] = (match){.start = i,
						 .end = end,
						 .clause = t->toks[i].clause,
						 .sentence = t->toks[i].sentence,
						 .lang = ru->lang,
						 .kind = ru->kind,
						 .before = NONE};
		}
	}
	return 0;
}

static int cmp_match(const void *a, const void *b)
{
	const match *x = a, *y = b;
	if (x->lang != y->lang)
		return x->lang < y->lang ? -1 : 1;
	if (x->clause != y->clause)
		return x->clause < y->clause ? -1 : 1;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end > y->end ? -1 : 1;
	return (x->kind > y->kind) - (x->kind < y->kind);
}

static bool overlaps(const match *a, const match *b)
{
	return a->start < b->end && b->start < a->end;
}

/* Marks m[i] dead when it overlaps a match of the group [a, b) whose kind
 * satisfies pred. Matches are sorted by start and cover at most span words. */
static void kill_overlapping(match *m, size_t a, size_t b, size_t i, size_t span, bool (*pred)(unsigned))
{
	for (size_t j = i; j-- > a && m[j].start + span >= m[i].start;)
		if (pred(m[j].kind) && overlaps(&m[i], &m[j])) {
			m[i].dead = true;
			return;
		}
	for (size_t j = i + 1; j < b && m[j].start < m[i].end; j++)
		if (pred(m[j].kind) && overlaps(&m[i], &m[j])) {
			m[i].dead = true;
			return;
		}
}

static bool pred_third(unsigned k)
{
	return k == K_THIRD;
}

static bool pred_other_harm(unsigned k)
{
	return k == K_HARM_OTHERS || k == K_ABUSE || k == K_IDIOM;
}

/* The per-clause context of the matches of one language and clause, sorted
 * by start: overlaps, the nearest person cue and the negation before each. */
static void annotate_clause(match *m, size_t a, size_t b, size_t span)
{
	for (size_t i = a; i < b; i++) {
		if (m[i].kind == K_FIRST)
			kill_overlapping(m, a, b, i, span, pred_third);
		else if (is_self_kind(m[i].kind))
			kill_overlapping(m, a, b, i, span, pred_other_harm);
	}
	size_t person = NONE, pend_person = NONE;
	size_t neg_end = 0, pend_neg_end = 0;
	bool has_neg = false, pend_has_neg = false;
	for (size_t i = a; i < b;) {
		size_t j = i;
		/* Context from the cues starting strictly before this start. */
		for (; j < b && m[j].start == m[i].start; j++) {
			m[j].before = person;
			m[j].neg_end = neg_end;
			m[j].has_neg = has_neg;
		}
		for (size_t k = i; k < j; k++) {
			if (m[k].dead)
				continue;
			if (is_person_kind(m[k].kind)) {
				pend_person = k;
			} else if (m[k].kind == K_NEGATION) {
				if (!pend_has_neg || m[k].end > pend_neg_end)
					pend_neg_end = m[k].end;
				pend_has_neg = true;
			}
		}
		if (pend_has_neg) {
			if (!has_neg || pend_neg_end > neg_end)
				neg_end = pend_neg_end;
			has_neg = true;
			pend_has_neg = false;
		}
		if (pend_person != NONE) {
			person = pend_person;
			/* A person cue separates earlier negations from what follows. */
			if (has_neg && neg_end <= m[person].start)
				has_neg = false;
			pend_person = NONE;
		}
		i = j;
	}
}

/* Whose match is m[i] (in its sorted group [a, b)): true for a third
 * person. */
static bool third_person_match(const text *t, const match *m, size_t a, size_t b, size_t i)
{
	if (m[i].kind == K_TIME || m[i].kind == K_QUANTITY)
		return false; /* no one's: "after they sleep" is the writer's time */
	size_t k = i;
	while (k > a && m[k - 1].start == m[i].start)
		k--;
	bool first_in = false, third_in = false;
	for (; k < b && m[k].start < m[i].end; k++) {
		if (k == i || m[k].dead || m[k].end > m[i].end)
			continue;
		if (m[k].kind == K_FIRST)
			first_in = true;
		else if (m[k].kind == K_THIRD)
			third_in = true;
	}
	if (first_in)
		return false;
	if (third_in && m[i].kind != K_FINALITY) /* "tell them I'm sorry" is the writer's farewell */
		return true;
	if (m[i].before == NONE || m[m[i].before].kind != K_THIRD)
		return false;
	size_t cue_end = m[m[i].before].end;
	if (cue_end >= m[i].start)
		return true;
	return t->toks[m[i].start].reach - t->toks[cue_end].reach <= THIRD_REACH;
}

/* The reasons (risk.h) a set of the writer's concepts gives. */
static unsigned reasons_of(const bool f[K_COUNT])
{
	static const unsigned bit[K_COUNT] = {
		[K_PASSIVE] = RISK_REASON_IDEATION, [K_ACTIVE] = RISK_REASON_IDEATION,
		[K_HOPELESS] = RISK_REASON_HOPELESSNESS, [K_PAST_SH] = RISK_REASON_SELF_HARM,
		[K_RECENT_SH] = RISK_REASON_SELF_HARM, [K_METHOD] = RISK_REASON_MEANS,
		[K_INTENT] = RISK_REASON_INTENT, [K_TIME] = RISK_REASON_TIME,
		[K_PREP] = RISK_REASON_PREPARATION, [K_ACT] = RISK_REASON_ACT,
		[K_QUANTITY] = RISK_REASON_QUANTITY, [K_FINALITY] = RISK_REASON_FINALITY,
		[K_SEEKING] = RISK_REASON_METHOD_SEEKING, [K_PRESENCE] = RISK_REASON_MEANS_IN_PLACE,
	};
	unsigned r = 0;
	for (unsigned k = 0; k < K_COUNT; k++)
		if (f[k])
			r |= bit[k];
	return r;
}

/* Concepts of the writer's that co-occur in one sentence, in any order and
 * at any distance: an act done with a means, a means in place, finality
 * with a means or a time, method seeking. */
static risk_level sentence_level(const bool f[K_COUNT])
{
	bool ideation = f[K_PASSIVE] || f[K_ACTIVE];
	risk_level l = RISK_NONE;
	if (f[K_SEEKING] && (f[K_METHOD] || ideation))
		l = RISK_HIGH;
	if ((f[K_ACT] && f[K_METHOD] && (f[K_QUANTITY] || ideation || f[K_FINALITY] || f[K_INTENT])) ||
	    (f[K_PRESENCE] && f[K_METHOD]) ||
	    (f[K_FINALITY] && (f[K_METHOD] || f[K_TIME] || f[K_INTENT] || ideation || f[K_ACT] || f[K_PRESENCE])))
		l = RISK_IMMINENT;
	return l;
}

/* The safety floor: uncertain is not safe. Method seeking, a finality cue,
 * or, in a message in the first person, a means together with any other
 * concept of risk (an act, a quantity, being in place, intent,
 * hopelessness) is at least moderate. */
static bool floor_applies(const bool f[K_COUNT])
{
	return f[K_SEEKING] || f[K_FINALITY] ||
	       (f[K_METHOD] && f[K_FIRST] && (f[K_ACT] || f[K_QUANTITY] || f[K_PRESENCE] || f[K_INTENT] ||
				f[K_HOPELESS]));
}

static risk_level level_of(const bool f[K_COUNT])
{
	bool ideation = f[K_PASSIVE] || f[K_ACTIVE];
	risk_level l = RISK_NONE;
	if (f[K_PASSIVE] || f[K_HOPELESS])
		l = RISK_LOW;
	if (f[K_ACTIVE] || f[K_PAST_SH] || (f[K_PASSIVE] && f[K_TIME]))
		l = RISK_MODERATE;
	if (f[K_RECENT_SH] || (ideation && f[K_METHOD]) || (f[K_INTENT] && (ideation || f[K_METHOD])) ||
	    (f[K_ACTIVE] && f[K_TIME]))
		l = RISK_HIGH;
	if (f[K_FINALITY] && l < RISK_HIGH)
		l = RISK_HIGH;
	if (f[K_PREP] || (f[K_TIME] && f[K_METHOD] && (ideation || f[K_INTENT])) ||
	    (f[K_TIME] && f[K_INTENT] && ideation))
		l = RISK_IMMINENT;
	return l;
}

/* Evaluates the sorted matches of one language [a, b). */
static void evaluate_lang(const text *t, match *m, size_t a, size_t b, size_t span, risk_level *level,
			  unsigned *cats, unsigned *reasons)
{
	for (size_t c = a; c < b;) {
		size_t d = c;
		while (d < b && m[d].clause == m[c].clause)
			d++;
		annotate_clause(m, c, d, span);
		c = d;
	}
	bool writer[K_COUNT] = {false}, sent[K_COUNT] = {false};
	size_t cur_sent = a < b ? m[a].sentence : 0;
	risk_level l = RISK_NONE;
	for (size_t c = a; c < b;) {
		size_t d = c;
		while (d < b && m[d].clause == m[c].clause)
			d++;
		if (m[c].sentence != cur_sent) {
			risk_level sl = sentence_level(sent);
			if (sl > l)
				l = sl;
			memset(sent, 0, sizeof sent);
			cur_sent = m[c].sentence;
		}
		for (size_t i = c; i < d; i++) {
			unsigned k = m[i].kind;
			if (k == K_FIRST && !m[i].dead)
				writer[K_FIRST] = true;
			if (m[i].dead || k == K_NEGATION || k == K_IDIOM || is_person_kind(k))
				continue;
			if (m[i].has_neg && m[i].neg_end + NEG_GAP >= m[i].start)
				continue;
			if (k == K_HARM_OTHERS)
				*cats |= RISK_CAT_HARM_OTHERS;
			else if (k == K_ABUSE)
				*cats |= RISK_CAT_ABUSE;
			else if (third_person_match(t, m, c, d, i)) {
				if (is_concern_kind(k))
					*cats |= RISK_CAT_THIRD_PERSON;
			} else {
				writer[k] = true;
				sent[k] = true;
			}
		}
		c = d;
	}
	risk_level sl = sentence_level(sent), ml = level_of(writer);
	if (sl > l)
		l = sl;
	if (ml > l)
		l = ml;
	unsigned why = reasons_of(writer);
	if (l < RISK_MODERATE && floor_applies(writer)) {
		l = RISK_MODERATE;
		why |= RISK_REASON_SAFETY_FLOOR;
	}
	if (l > *level)
		*level = l;
	if (l > RISK_NONE)
		*reasons |= why;
}

/* ---- language ---- */

static const char *const en_words[] = {"i",    "the",   "and",  "to",    "is",   "my",  "me",   "a",
				       "of",   "it",    "you",  "that",  "this", "have", "not",  "with",
				       "for",  "be",    "are",  "am",    "just", "but",  "can",  "about",
				       "feel", "want",  "dont", "im",    "ive",  "what", "they", "she",
				       "he",   "would", "never", "myself", "at",  "on",   "anymore", NULL};
static const char *const de_words[] = {"ich",  "nicht", "und",  "der",   "das",   "ist",   "mich",  "mir",
				       "mein", "meine", "ein",  "eine",  "einen", "zu",    "mit",   "auf",
				       "es",   "sie",   "er",   "wir",   "habe",  "bin",   "sind",  "wie",
				       "auch", "aber",  "noch", "nur",   "mehr",  "kann",  "weil",  "dass",
				       "oder", "wenn",  "jetzt", "heute", "keine", "kein", "sehr",  "schon",
				       "immer", "nie",  "einfach", "gerade", NULL};

static size_t count_words(const text *t, const char *const *list)
{
	size_t n = 0;
	for (size_t i = 0; i < t->ntoks; i++)
		for (const char *const *w = list; *w; w++)
			if (strlen(*w) == t->toks[i].len && memcmp(*w, t->buf + t->toks[i].off, t->toks[i].len) == 0) {
				n++;
				break;
			}
	return n;
}

static void guess_lang(const risk_rules *r, const text *t, const size_t *hits, char out[4])
{
	size_t han = t->letters[S_HAN] * 2, ar = t->letters[S_ARABIC], he = t->letters[S_HEBREW],
	       la = t->letters[S_LATIN];
	strcpy(out, "en");
	if (han > la && han >= ar && han >= he) {
		strcpy(out, "zh");
		return;
	}
	if (ar > la && ar >= he) {
		strcpy(out, "ar");
		return;
	}
	if (he > la) {
		strcpy(out, "he");
		return;
	}
	if (!la)
		return;
	size_t en = count_words(t, en_words), de = count_words(t, de_words) + t->umlauts;
	for (size_t i = 0; i < r->nlangs; i++) {
		if (strcmp(r->langs[i], "en") == 0)
			en += hits[i];
		else if (strcmp(r->langs[i], "de") == 0)
			de += hits[i];
	}
	size_t best = en;
	if (de > best) {
		strcpy(out, "de");
		best = de;
	}
	for (size_t i = 0; i < r->nlangs; i++) {
		const char *l = r->langs[i];
		if (strcmp(l, "en") && strcmp(l, "de") && strcmp(l, "zh") && strcmp(l, "ar") && strcmp(l, "he") &&
		    hits[i] > best) {
			memcpy(out, l, 4);
			best = hits[i];
		}
	}
}

/* ---- assessment ---- */

int risk_assess(const risk_rules *r, const char *message, size_t len, risk_result *out)
{
	if (out) {
		out->level = RISK_NONE;
		out->categories = 0;
		out->reasons = 0;
		strcpy(out->lang, "en");
	}
	if (!r || !out || (!message && len))
		return -1;
	text t = {0};
	matches ms = {0};
	size_t *hits = calloc(r->nlangs ? r->nlangs : 1, sizeof *hits);
	int rc = -1;
	if (!hits || text_build(&t, message ? message : "", len, false) < 0 || collect(r, &t, &ms) < 0)
		goto done;
	if (ms.n)
		qsort(ms.v, ms.n, sizeof *ms.v, cmp_match);
	risk_level level = RISK_NONE;
	unsigned cats = 0, reasons = 0;
	for (size_t a = 0; a < ms.n;) {
		size_t b = a;
		while (b < ms.n && ms.v[b].lang == ms.v[a].lang)
			b++;
		hits[ms.v[a].lang] = b - a;
		evaluate_lang(&t, ms.v, a, b, r->maxspan, &level, &cats, &reasons);
		a = b;
	}
	if (level > RISK_NONE)
		cats |= RISK_CAT_SELF;
	out->level = level;
	out->categories = cats;
	out->reasons = level > RISK_NONE ? reasons : 0;
	guess_lang(r, &t, hits, out->lang);
	rc = 0;
done:
	free(hits);
	free(ms.v);
	text_clear(&t);
	return rc;
}

/* ---- levels ---- */

const char *risk_level_name(risk_level l)
{
	if ((int)l < 0 || (size_t)l >= sizeof level_names / sizeof *level_names)
		return "unknown";
	return level_names[l];
}

int risk_level_parse(const char *s, risk_level *out)
{
	if (!s || !out)
		return -1;
	for (size_t i = 0; i < sizeof level_names / sizeof *level_names; i++) {
		const char *n = level_names[i];
		size_t k = 0;
		while (n[k] && ascii_lower((unsigned char)s[k]) == n[k])
			k++;
		if (!n[k] && !s[k]) {
			*out = (risk_level)i;
			return 0;
		}
	}
	return -1;
}

const char *risk_reason_name(unsigned bit)
{
	static const char *const names[] = {"ideation",   "hopelessness", "self_harm",      "means",
					    "intent",     "time",         "preparation",    "act",
					    "quantity",   "finality",     "method_seeking", "means_in_place",
					    "safety_floor"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (bit == 1u << i)
			return names[i];
	return NULL;
}
