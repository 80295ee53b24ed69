/* A small text classifier on hashed features (see server/textcat.h). */
#include "server/textcat.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/unicode.h"
#include "server/util.h"

#define NGRAM_CAP 8

static inline uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	return h ^ (h >> 16);
}

uint32_t textcat_mix(uint32_t h)
{
	return mix32(h);
}

/* FNV-1a and the finaliser: the inputs are short (a word, a character),
 * where a simple byte loop is as fast as any library's bulk hash. */
uint32_t textcat_hash(uint32_t seed, const void *s, size_t n)
{
	const unsigned char *b = s;
	uint32_t h = 2166136261u ^ seed;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return mix32(h);
}

struct textcat {
	textcat_params p;
	size_t nout;
	float *w; /* 2^bits * nout, output-minor */
	double bias[TEXTCAT_MAX_OUT];
};

/* ---- features ---- */

/* Receives features in batches of up to FEAT_BATCH. */
typedef void (*emit_fn)(void *ud, const uint32_t *buckets, size_t n);
#define FEAT_BATCH 256

typedef struct feat_state {
	const textcat_params *p;
	unsigned shift; /* 32 - bits */
	int32_t ring[NGRAM_CAP]; /* the last code points, ring[0] the newest */
	unsigned seen;
	uint32_t word, prev_word;
	uint32_t earlier[2]; /* the words before prev_word, earlier[0] the nearer */
	unsigned nearlier;
	bool in_word, have_prev;
	emit_fn emit;
	void *ud;
	uint32_t batch[FEAT_BATCH];
	size_t nbatch;
	uint64_t *seen_bits; /* the buckets emitted so far: each once */
} feat_state;

/* A feature's bucket: Fibonacci hashing (the top bits of h times 2^32/phi). */
static inline void emit(feat_state *st, uint32_t h)
{
	uint32_t b = (h * 0x9e3779b1u) >> st->shift;
	uint64_t bit = (uint64_t)1 << (b & 63);
	if (st->seen_bits[b >> 6] & bit)
		return;
	st->seen_bits[b >> 6] |= bit;
	st->batch[st->nbatch++] = b;
	if (st->nbatch == FEAT_BATCH) {
		st->emit(st->ud, st->batch, st->nbatch);
		st->nbatch = 0;
	}
}

static void word_end(feat_state *st)
{
	if (!st->in_word)
		return;
	st->in_word = false;
	if (st->p->words >= 1)
		emit(st, mix32(st->word ^ 0x5bd1e995u));
	if (st->p->words >= 2 && st->have_prev)
		emit(st, mix32(st->prev_word * 31u + st->word + 0x3c6ef372u));
	/* 3: also the pairs of a word with each of the two before its neighbour
	 * (in order, the distance not told): "took all my pills" pairs "took"
	 * with "my" and "pills" */
	for (unsigned k = 0; st->p->words >= 3 && k < st->nearlier; k++)
		emit(st, mix32(st->earlier[k] * 37u + st->word + 0x27d4eb2fu));
	if (st->have_prev) {
		st->earlier[1] = st->earlier[0];
		st->earlier[0] = st->prev_word;
		if (st->nearlier < 2)
			st->nearlier++;
	}
	st->prev_word = st->word;
	st->have_prev = true;
}

/* One code point of the collapsed sequence (' ' for a separator). */
static void push_cp(feat_state *st, int32_t cp)
{
	for (unsigned j = st->p->ngram_max - 1; j > 0; j--)
		st->ring[j] = st->ring[j - 1];
	st->ring[0] = cp;
	if (st->seen < NGRAM_CAP)
		st->seen++;
	uint32_t h = 2166136261u;
	unsigned top = st->p->ngram_max < st->seen ? st->p->ngram_max : st->seen;
	for (unsigned j = 0; j < top; j++) {
		h = (h ^ (uint32_t)st->ring[j]) * 16777619u;
		if (j + 1 >= st->p->ngram_min && !(j == 0 && cp == ' '))
			emit(st, h + (j + 1) * 0x85ebca6bu);
	}
	if (cp == ' ') {
		word_end(st);
	} else {
		if (!st->in_word)
			st->word = 2166136261u;
		st->in_word = true;
		st->word = (st->word ^ (uint32_t)cp) * 16777619u;
	}
}

static bool all_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == 0)
			return false;
	return true;
}

/* Emits the features of text; -1 when out of memory. ASCII text is folded
 * here (lower case is all that folding does to it), the rest by
 * unicode_fold. */
static int features(const textcat_params *p, const char *text, size_t len, emit_fn fn, void *ud)
{
	const char *src = text ? text : "";
	size_t flen = text ? len : 0;
	bool ascii = all_ascii(src, flen);
	char *folded = ascii ? NULL : unicode_fold(src, flen, &flen);
	const char *f = ascii ? src : folded;
	uint64_t *seen = calloc(((size_t)1 << p->bits) / 64, sizeof *seen);
	if (!f || !seen) {
		free(folded);
		free(seen);
		return -1;
	}
	feat_state st = {.p = p, .shift = 32 - p->bits, .emit = fn, .ud = ud, .ring = {' '}, .seen = 1, .seen_bits = seen};
	bool space = true;
	for (size_t i = 0; i < flen;) {
		int32_t cp;
		i += ascii ? (size_t)(cp = (unsigned char)f[i], 1) : utf8_decode(f + i, flen - i, &cp);
		if (cp >= 0 && unicode_alnum(cp)) {
			push_cp(&st, ascii ? unicode_lower(cp) : cp);
			space = false;
		} else if (!space) {
			push_cp(&st, ' ');
			space = true;
		}
	}
	if (!space)
		push_cp(&st, ' ');
	if (st.nbatch)
		fn(ud, st.batch, st.nbatch);
	free(folded);
	free(seen);
	return 0;
}

/* ---- scoring ---- */

typedef struct score_acc {
	const textcat *m;
	double s[TEXTCAT_MAX_OUT];
	size_t n;
} score_acc;

static void add_score(void *ud, const uint32_t *b, size_t n)
{
	score_acc *a = ud;
	const textcat *m = a->m;
	if (m->nout == 1) {
		double s = 0;
		for (size_t j = 0; j < n; j++)
			s += m->w[b[j]];
		a->s[0] += s;
	} else {
		for (size_t j = 0; j < n; j++)
			for (size_t k = 0; k < m->nout; k++)
				a->s[k] += m->w[(size_t)b[j] * m->nout + k];
	}
	a->n += n;
}

/* The value of each of a text's n distinct buckets. */
static double bucket_value(const textcat_params *p, size_t n)
{
	return n == 0 ? 0 : p->mean ? 1.0 / (double)n : 1.0 / sqrt((double)n);
}

static double sigmoid(double z)
{
	return 1.0 / (1.0 + exp(-z));
}

int textcat_score(const textcat *m, const char *text, size_t len, double *out)
{
	if (!m)
		return -1;
	score_acc a = {.m = m};
	if (features(&m->p, text, len, add_score, &a) < 0) {
		for (size_t k = 0; k < m->nout; k++)
			out[k] = 0;
		return -1;
	}
	double inv = bucket_value(&m->p, a.n);
	for (size_t k = 0; k < m->nout; k++)
		out[k] = sigmoid(m->bias[k] + a.s[k] * inv);
	return 0;
}

size_t textcat_outputs(const textcat *m)
{
	return m ? m->nout : 0;
}

void textcat_free(textcat *m)
{
	if (!m)
		return;
	free(m->w);
	free(m);
}

/* ---- training ---- */

typedef struct feat_buf {
	uint32_t *v;
	size_t n, cap;
	bool failed;
} feat_buf;

static void add_feat(void *ud, const uint32_t *b, size_t n)
{
	feat_buf *fb = ud;
	uint32_t *v = fb->failed ? NULL : array_grow(fb->v, &fb->cap, fb->n + n, sizeof *v);
	if (!v) {
		fb->failed = true;
		return;
	}
	fb->v = v;
	memcpy(v + fb->n, b, n * sizeof *b);
	fb->n += n;
}

static uint32_t lcg(uint32_t *state)
{
	*state = *state * 1664525u + 1013904223u;
	return *state >> 8;
}

static void shuffle(size_t *order, size_t n, uint32_t *state)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = lcg(state) % i, x = order[i - 1];
		order[i - 1] = order[j];
		order[j] = x;
	}
}

static bool params_ok(const textcat_params *p, size_t nout)
{
	return p && nout >= 1 && nout <= TEXTCAT_MAX_OUT && p->bits >= 10 && p->bits <= 24 && p->ngram_min >= 1 &&
	       p->ngram_max >= p->ngram_min && p->ngram_max <= NGRAM_CAP && p->words <= 3 && p->rate > 0 && p->l2 >= 0 &&
	       p->prior >= 0 && p->prior < 1 && p->mean <= 1;
}

/* One AdaGrad step of every output on document features f[0..n). */
static void learn(textcat *m, float *g2, double *bg2, const uint32_t *f, size_t n, const unsigned char *y)
{
	double inv = bucket_value(&m->p, n);
	for (size_t k = 0; k < m->nout; k++) {
		double z = m->bias[k];
		for (size_t j = 0; j < n; j++)
			z += m->w[(size_t)f[j] * m->nout + k] * inv;
		double g = sigmoid(z) - (y[k] ? 1.0 : 0.0);
		bg2[k] += g * g;
		if (m->p.prior <= 0)
			m->bias[k] -= m->p.rate * g / sqrt(bg2[k] + 1e-8);
		for (size_t j = 0; j < n; j++) {
			size_t at = (size_t)f[j] * m->nout + k;
			float gr = (float)(g * inv + m->p.l2 * m->w[at]);
			g2[at] += gr * gr;
			m->w[at] -= (float)m->p.rate * gr / sqrtf(g2[at] + 1e-8f);
		}
	}
}

textcat *textcat_train(const textcat_params *p, size_t nout, const textcat_doc *docs, size_t n)
{
	if (!params_ok(p, nout) || (!docs && n))
		return NULL;
	textcat *m = calloc(1, sizeof *m);
	size_t nb = (size_t)1 << p->bits;
	feat_buf fb = {0};
	size_t *start = calloc(n + 1, sizeof *start), *order = calloc(n + 1, sizeof *order);
	float *g2 = calloc(nb * nout, sizeof *g2);
	double bg2[TEXTCAT_MAX_OUT] = {0};
	if (m) {
		m->p = *p;
		m->nout = nout;
		for (size_t k = 0; k < nout && p->prior > 0; k++)
			m->bias[k] = log(p->prior / (1 - p->prior));
		m->w = calloc(nb * nout, sizeof *m->w);
	}
	bool ok = m && m->w && start && order && g2;
	for (size_t i = 0; ok && i < n; i++) {
		start[i] = fb.n;
		order[i] = i;
		ok = features(p, docs[i].text, docs[i].len, add_feat, &fb) == 0 && !fb.failed;
	}
	if (ok) {
		start[n] = fb.n;
		uint32_t state = p->seed;
		for (unsigned e = 0; e < p->epochs; e++) {
			shuffle(order, n, &state);
			for (size_t i = 0; i < n; i++) {
				size_t d = order[i];
				learn(m, g2, bg2, fb.v + start[d], start[d + 1] - start[d], docs[d].y);
			}
		}
	}
	free(fb.v);
	free(start);
	free(order);
	free(g2);
	if (!ok) {
		textcat_free(m);
		return NULL;
	}
	return m;
}

/* ---- the averaged perceptron ---- */

void textcat_perceptron_scores(const float *w, size_t nclass, const uint32_t *f, size_t n, double *out)
{
	for (size_t c = 0; c < nclass; c++)
		out[c] = 0;
	for (size_t j = 0; j < n; j++) {
		const float *wf = w + (size_t)f[j] * nclass;
		for (size_t c = 0; c < nclass; c++)
			out[c] += wf[c];
	}
}

static int cmp_example(const void *a, const void *b)
{
	const textcat_example *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->y > y->y) - (x->y < y->y);
}

/* One pass in order: the mistakes update w and, weighted by the step t, acc. */
static void perceptron_pass(float *w, float *acc, size_t nclass, const textcat_example *ex, const size_t *order,
			    size_t n, float *t, double *sc)
{
	for (size_t k = 0; k < n; k++, (*t)++) {
		const textcat_example *x = &ex[order[k]];
		textcat_perceptron_scores(w, nclass, x->f, x->n, sc);
		size_t best = 0;
		for (size_t c = 1; c < nclass; c++)
			if (sc[c] > sc[best])
				best = c;
		if ((int)best == x->y)
			continue;
		for (size_t j = 0; j < x->n; j++) {
			size_t b = (size_t)x->f[j] * nclass;
			w[b + (size_t)x->y] += 1;
			w[b + best] -= 1;
			acc[b + (size_t)x->y] += *t;
			acc[b + best] -= *t;
		}
	}
}

float *textcat_perceptron_train(size_t nbucket, size_t nclass, unsigned epochs, textcat_example *ex, size_t n)
{
	float *w = calloc(nbucket * nclass, sizeof *w);
	float *acc = calloc(nbucket * nclass, sizeof *acc);
	size_t *order = malloc((n + 1) * sizeof *order);
	double *sc = malloc((nclass + 1) * sizeof *sc);
	if (!w || !acc || !order || !sc) {
		free(w);
		free(acc);
		free(order);
		free(sc);
		return NULL;
	}
	if (n > 0) /* no examples: ex may be NULL */
		qsort(ex, n, sizeof *ex, cmp_example);
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	uint32_t state = 12345;
	float t = 1;
	for (unsigned e = 0; e < epochs; e++) {
		shuffle(order, n, &state);
		perceptron_pass(w, acc, nclass, ex, order, n, &t, sc);
	}
	/* averaged: w - acc / t */
	for (size_t i = 0; i < nbucket * nclass; i++)
		w[i] -= acc[i] / t;
	free(acc);
	free(order);
	free(sc);
	return w;
}
