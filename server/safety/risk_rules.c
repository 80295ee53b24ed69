/* The crisis-risk rules: compiling patterns and matching them against a
 * normalised message (the method is described in server/safety/risk.c). */
#include "server/safety/risk_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

static const char *const kind_names[K_COUNT] = {
	"passive_ideation", "hopelessness", "active_ideation", "past_self_harm", "recent_self_harm",
	"method",           "intent",       "time",            "preparatory",    "act",
	"quantity",         "finality",     "method_seeking",  "presence",       "negation",
	"third_person",     "first_person", "harm_others",     "abuse",
	"idiom",            "remote_past",  "recent_past",     "farewell",       "medical",
	"topic",            "jest",
};

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
	risk_typo_free(&r->typo);
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
	if (risk_text_build(&t, pattern, strlen(pattern), true) < 0) {
		risk_text_clear(&t);
		return -1;
	}
	ru->norm = t.buf ? t.buf : strdup("");
	t.buf = NULL;
	ru->toks = malloc((t.ntoks ? t.ntoks : 1) * sizeof *ru->toks);
	if (!ru->norm || !ru->toks) {
		risk_text_clear(&t);
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
	ru->neutral = true;
	for (size_t i = 0; i < t.ntoks; i++)
		for (size_t j = 0; j < t.toks[i].len; j++) {
			char c = ru->norm[t.toks[i].off + j];
			if (c != '*' && (c < '0' || c > '9'))
				ru->neutral = false;
		}
	risk_text_clear(&t);
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
	ru->script = strcmp(r->langs[li], "zh") == 0   ? S_HAN
		     : strcmp(r->langs[li], "ar") == 0 ? S_ARABIC
		     : strcmp(r->langs[li], "he") == 0 ? S_HEBREW
						       : S_LATIN;
	if (rule_compile(ru, pattern) < 0)
		return -1;
	/* a cue is never what a misspelt word is read as: "kleinen" is not "keinen" */
	bool target = k <= K_PRESENCE && k != K_TIME && k != K_QUANTITY;
	for (size_t i = 0; i < ru->ntoks; i++)
		if (ru->toks[i].s && risk_typo_add(&r->typo, ru->toks[i].s, ru->toks[i].len, target) < 0) {
			free(ru->norm);
			free(ru->toks);
			return -1;
		}
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
		if (ti >= tend)
			return false;
		const tok *w = &t->toks[ti];
		if (!glob(p->s, p->len, t->buf + w->off, w->len) &&
		    !(w->stem && glob(p->s, p->len, t->buf + w->off, w->stem)))
			return false;
	}
	*end = ti;
	return true;
}

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

int risk_collect(const risk_rules *r, const text *t, matches *ms)
{
	pairs pp; /* 8 KB on the stack */
	pairs_of(t, &pp);
	for (size_t ri = 0; ri < r->n; ri++) {
		const rule *ru = &r->rules[ri];
		if (!ru->ntoks || (ru->neutral && !t->letters[ru->script]))
			continue; /* "2" is a quantity in Arabic only among Arabic words */
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

int risk_cmp_match(const void *a, const void *b)
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
