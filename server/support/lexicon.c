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
 * similarity (shared / |T(p)|); the 256 trigrams in the most signal groups
 * are counted by a bitmap per group rather than by walking their lists. A
 * signal phrase sharing all its trigrams is looked up as whole words in
 * the message (its words chained by hash): found, it scores 1 without
 * scoring windows, and is taken first. Phrases are scored in decreasing order of
 * that bound until it falls below the threshold or below the worst of the
 * best K found so far; one that would not enter the best K even with its
 * bound as similarity is skipped. Before a phrase is scored, a second bound counts its
 * trigrams per block of nearby words and takes the best run of blocks one
 * window can overlap (see lex_window_bound() in lexicon_text.c); a phrase whose bound is below
 * the bar it must clear is not scored at all. Scoring only considers windows that start and end at
 * words sharing a trigram with the phrase (any other window is no better),
 * and skips those that provably cannot beat the best window so far or the
 * bar the phrase must clear (see lex_score()); the result is the exact maximum
 * whenever it clears that bar. */
#include "server/support/lexicon_internal.h"

#include <stdlib.h>
#include <string.h>

#include "server/util.h"

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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

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

static void tri_index_free(tri_index *x)
{
	free(x->keys);
	free(x->off);
	free(x->len);
	free(x->post);
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
	tri_index_free(&c->full);
	free(c->nsig);
	free(c->frank);
	free(c->fmask);
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
	char *key = ascii_lower_dup(s, strlen(s));
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
	if (lex_prepare(b, phrase, &p) < 0)
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
	u->cjk = p.cjk;
	if (p.normlen) {
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

/* Groups the raw signals of c (identical phrase, type and side). */
static int build_groups(lexicon_culture *c)
{
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
	return 0;
}

/* The inverted index of c: trigram -> units (nunits). */
/* Builds x from pairs (n, trigram << 32 | unit), which it sorts. */
static int index_pairs(tri_index *x, uint64_t *pairs, size_t n)
{
	qsort(pairs, n, sizeof *pairs, cmp_u64);
	size_t nkeys = 0;
	for (size_t i = 0; i < n; i++)
		if (i == 0 || pairs[i] >> 32 != pairs[i - 1] >> 32)
			nkeys++;
	size_t cap = 16;
	while (cap < 2 * nkeys)
		cap *= 2;
	x->mask = (uint32_t)(cap - 1);
	x->keys = calloc(cap, sizeof *x->keys);
	x->off = malloc(cap * sizeof *x->off);
	x->len = malloc(cap * sizeof *x->len);
	x->post = malloc((n ? n : 1) * sizeof *x->post);
	if (!x->keys || !x->off || !x->len || !x->post)
		return -1;
	uint32_t slot = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t tri = (uint32_t)(pairs[i] >> 32);
		if (i == 0 || tri != (uint32_t)(pairs[i - 1] >> 32)) {
			slot = hash_tri(tri) & x->mask;
			while (x->keys[slot])
				slot = (slot + 1) & x->mask;
			x->keys[slot] = tri;
			x->off[slot] = (uint32_t)i;
			x->len[slot] = 0;
		}
		x->post[i] = (uint32_t)pairs[i];
		x->len[slot]++;
	}
	return 0;
}

static const unit *unit_of(const lexicon_culture *c, size_t id)
{
	return id < c->ng ? &c->g[id].u : &c->d[id - c->ng].u;
}

/* The full index of c's units, with the count of signal groups per slot. */
static int build_index(lexicon_culture *c, size_t nunits)
{
	uint64_t *pairs = malloc(c->ntri * sizeof *pairs);
	if (!pairs)
		return -1;
	size_t n = 0;
	for (size_t id = 0; id < nunits; id++) {
		const unit *u = unit_of(c, id);
		for (uint32_t k = 0; k < u->ntri; k++)
			pairs[n++] = (uint64_t)c->tri[u->tri_off + k] << 32 | id;
	}
	int rc = index_pairs(&c->full, pairs, n);
	free(pairs);
	if (rc < 0 || !(c->nsig = calloc(c->full.mask + 1, sizeof *c->nsig)))
		return -1;
	for (uint32_t i = 0; i <= c->full.mask; i++)
		for (uint32_t k = 0; c->full.keys[i] && k < c->full.len[i]; k++)
			c->nsig[i] += c->full.post[c->full.off[i] + k] < c->ng;
	return 0;
}

/* The LEX_NFREQ trigrams listing the most signal groups (more first,
 * then by trigram) and the groups' bitmaps of them (see frank, fmask). */
static int build_frequent(lexicon_culture *c)
{
	size_t nslot = (size_t)c->full.mask + 1;
	uint64_t *v = malloc(nslot * sizeof *v);
	c->frank = malloc(nslot * sizeof *c->frank);
	c->fmask = calloc(c->ng * LEX_FREQ_WORDS + 1, sizeof *c->fmask);
	if (!v || !c->frank || !c->fmask) {
		free(v);
		return -1;
	}
	size_t n = 0;
	for (size_t i = 0; i < nslot; i++) {
		c->frank[i] = LEX_NFREQ;
		if (c->full.keys[i] && c->nsig[i]) /* most groups first: the complement */
			v[n++] = (uint64_t)(UINT32_MAX - c->nsig[i]) << 32 | c->full.keys[i];
	}
	qsort(v, n, sizeof *v, cmp_u64);
	for (size_t r = 0; r < n && r < LEX_NFREQ; r++) {
		uint32_t slot = tri_index_slot(&c->full, (uint32_t)v[r]);
		c->frank[slot] = (uint16_t)r;
		const uint32_t *post = c->full.post + c->full.off[slot];
		for (uint32_t k = 0; k < c->nsig[slot]; k++)
			c->fmask[(size_t)post[k] * LEX_FREQ_WORDS + r / 64] |= (uint64_t)1 << (r % 64);
	}
	free(v);
	return 0;
}

/* The support phrases of c by post. */
static int build_posts(lexicon_culture *c)
{
	if (!c->ns)
		return 0;
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
	return 0;
}

static int culture_build(lexicon_culture *c, prep_buf *b)
{
	if (build_groups(c) < 0)
		return -1;
	size_t nunits = c->ng + c->nd;
	if (nunits > UINT32_MAX / 4)
		return -1;
	for (size_t i = 0; i < c->ng; i++)
		if (unit_build(c, b, c->g[i].phrase, &c->g[i].u) < 0)
			return -1;
	for (size_t i = 0; i < c->nd; i++)
		if (unit_build(c, b, c->d[i].phrase, &c->d[i].u) < 0)
			return -1;
	if (c->ntri && (build_index(c, nunits) < 0 || build_frequent(c) < 0))
		return -1;
	return build_posts(c);
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
			lex_prep_buf_free(&b);
			l->failed = true;
			l->finished = true;
			return -1;
		}
	lex_prep_buf_free(&b);
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
