/* Classifiers for the corpus annotator (see server/support/corpus_model.h). */
#include "server/support/corpus_model.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/textcat.h"
#include "server/util.h"

#define BITS 16
#define NBUCKET ((size_t)1 << BITS)
#define MAX_FEAT 512
#define EPOCHS 8
#define MAX_CLASSES 7
#define INTENSITY_MARGIN 4.0

static const char *const intensities[] = {"light", "moderate", "high"};
static const char *const types[] = {"Concepts", "Knowledge", "Values", "Norms and Morals",
				    "Language", "Artifacts", "Demographics"};

/* A multiclass averaged perceptron on hashed features (server/textcat.h). */
typedef struct perceptron {
	size_t nclass;
	float *w; /* NBUCKET * nclass, averaged after training */
} perceptron;

struct corpus_model {
	perceptron distress, intensity, type;
	const lexicon_culture **cultures;
	size_t *prior; /* per culture: its most frequent intensity (index) */
	double margin;
	size_t ncultures;
};

/* The features of text into f (at most MAX_FEAT); returns how many. */
static size_t features(const char *text, size_t len, size_t culture, uint32_t *f)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0, words = 0;
	uint32_t prev = 0;
	unsigned char w[64];
	f[n++] = textcat_mix(0x9000u + (uint32_t)culture); /* the culture: a bias per culture */
	f[n++] = 1;                                  /* a global bias */
	size_t i = 0;
	uint32_t prev_cp = 0;
	while (i < len && n + 4 < MAX_FEAT) {
		unsigned char c = s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '\'') {
			size_t m = 0;
			while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
					   (s[i] >= '0' && s[i] <= '9') || s[i] == '\'')) {
				if (s[i] != '\'' && m < sizeof w)
					w[m++] = (unsigned char)ascii_lower(s[i]);
				i++;
			}
			if (!m)
				continue;
			uint32_t h = textcat_hash(1, w, m);
			f[n++] = h;
			f[n++] = textcat_mix(h * 31u + prev + 7u); /* with the previous word */
			prev = h;
			words++;
			prev_cp = 0;
		} else if (c >= 0x80) {
			size_t k = 1;
			while (i + k < len && (s[i + k] & 0xc0) == 0x80 && k < 4)
				k++;
			uint32_t cp = textcat_hash(2, s + i, k);
			if (prev_cp)
				f[n++] = textcat_mix(cp * 131u + prev_cp); /* character pairs */
			f[n++] = cp;
			prev_cp = cp;
			i += k;
			words++;
		} else {
			if (c == '!')
				f[n++] = 0x21u;
			if (c != ' ')
				prev = 0;
			prev_cp = 0;
			i++;
		}
	}
	size_t bucket = words < 5 ? 0 : words < 10 ? 1 : words < 18 ? 2 : words < 30 ? 3 : 4;
	f[n++] = textcat_mix(0x7000u + (uint32_t)bucket);
	for (size_t j = 0; j < n; j++)
		f[j] &= NBUCKET - 1;
	return n;
}

static void scores(const perceptron *p, const uint32_t *f, size_t n, double *out)
{
	textcat_perceptron_scores(p->w, p->nclass, f, n, out);
}

typedef struct example {
	uint32_t f[MAX_FEAT];
	size_t n;
	int y;
	uint32_t key; /* of the text: the training order does not depend on the lexicon's */
} example;

/* Trains p (nclass classes) on ex; averaged weights. */
static int train(perceptron *p, size_t nclass, const example *ex, size_t n)
{
	textcat_example *v = malloc((n + 1) * sizeof *v);
	if (!v)
		return -1;
	for (size_t i = 0; i < n; i++)
		v[i] = (textcat_example){.f = ex[i].f, .n = ex[i].n, .y = ex[i].y, .key = ex[i].key};
	p->nclass = nclass;
	p->w = textcat_perceptron_train(NBUCKET, nclass, EPOCHS, v, n);
	free(v);
	return p->w ? 0 : -1;
}

static int label_index(const char *s, const char *const *labels, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, labels[i]) == 0)
			return (int)i;
	return -1;
}

static void model_free(void *p)
{
	corpus_model *m = p;
	if (!m)
		return;
	free(m->distress.w);
	free(m->intensity.w);
	free(m->type.w);
	free(m->cultures);
	free(m->prior);
	free(m);
}

static int push(example **v, size_t *n, size_t *cap, const char *text, size_t culture, int y)
{
	if (!text || !*text || y < 0)
		return 0;
	example *e = array_grow(*v, cap, *n + 1, sizeof **v);
	if (!e)
		return -1;
	*v = e;
	e += (*n)++;
	e->n = features(text, strlen(text), culture, e->f);
	e->y = y;
	e->key = textcat_hash((uint32_t)culture, (const unsigned char *)text, strlen(text));
	return 0;
}

int corpus_model_attach(lexicon *l)
{
	corpus_model *m = calloc(1, sizeof *m);
	example *dx = NULL, *ix = NULL, *tx = NULL;
	size_t nd = 0, ni = 0, nt = 0, capd = 0, capi = 0, capt = 0;
	int rc = -1;
	if (!m)
		return -1;
	m->ncultures = lexicon_culture_count(l);
	m->cultures = calloc(m->ncultures + 1, sizeof *m->cultures);
	m->prior = calloc(m->ncultures + 1, sizeof *m->prior);
	if (!m->cultures || !m->prior) {
		model_free(m);
		return -1;
	}
	m->margin = INTENSITY_MARGIN;
	for (size_t ci = 0; ci < m->ncultures; ci++) {
		const lexicon_culture *c = lexicon_culture_at(l, ci);
		m->cultures[ci] = c;
		size_t count[3] = {0, 0, 0};
		for (size_t i = 0; i < lexicon_distress_count(c); i++) {
			const char *in, *p = lexicon_distress_at(c, i, &in);
			int y = label_index(in, intensities, 3);
			if (y >= 0)
				count[y]++;
			if (push(&dx, &nd, &capd, p, ci, 1) < 0 ||
			    push(&ix, &ni, &capi, p, ci, label_index(in, intensities, 3)) < 0)
				goto done;
		}
		m->prior[ci] = count[1] >= count[0] && count[1] >= count[2] ? 1 : count[0] >= count[2] ? 0 : 2;
		for (size_t i = 0; i < lexicon_signal_count(c); i++) {
			const char *ty;
			unsigned occ;
			const char *p = lexicon_signal_at(c, i, &ty, &occ);
			if (push(&dx, &nd, &capd, p, ci, 0) < 0)
				goto done;
			for (unsigned k = 0; k < occ && k < 3; k++)
				if (push(&tx, &nt, &capt, p, ci, label_index(ty, types, 7)) < 0)
					goto done;
		}
	}
	if (train(&m->distress, 2, dx, nd) < 0 || train(&m->intensity, 3, ix, ni) < 0 ||
	    train(&m->type, 7, tx, nt) < 0)
		goto done;
	rc = lexicon_attach(l, m, model_free);
done:
	free(dx);
	free(ix);
	free(tx);
	if (rc < 0)
		model_free(m);
	return rc;
}

const corpus_model *corpus_model_of(const lexicon *l)
{
	return lexicon_attached(l);
}

static size_t culture_of(const corpus_model *m, const lexicon_culture *c)
{
	for (size_t i = 0; i < m->ncultures; i++)
		if (m->cultures[i] == c)
			return i;
	return m->ncultures;
}

static size_t best_of(const perceptron *p, const double *sc)
{
	size_t best = 0;
	for (size_t c = 1; c < p->nclass; c++)
		if (sc[c] > sc[best])
			best = c;
	return best;
}

static void score_text(const corpus_model *m, const perceptron *p, const lexicon_culture *c, const char *text,
		       size_t len, double *sc)
{
	uint32_t f[MAX_FEAT];
	size_t n = features(text, len, culture_of(m, c), f);
	scores(p, f, n, sc);
}

void corpus_model_clause(const corpus_model *m, const lexicon_culture *c, const char *text, size_t len,
			 corpus_clause *out)
{
	uint32_t f[MAX_FEAT];
	size_t n = features(text, len, culture_of(m, c), f);
	double sc[MAX_CLASSES];
	scores(&m->distress, f, n, sc);
	out->distress = sc[1] - sc[0];
	scores(&m->intensity, f, n, out->intensity);
}

const char *corpus_model_intensity(const corpus_model *m, const lexicon_culture *c, const double sc[3])
{
	size_t best = best_of(&m->intensity, sc), prior = m->prior[culture_of(m, c)];
	/* the culture's most frequent intensity unless the model is clearly
	 * for another one */
	if (best != prior && sc[best] - sc[prior] < m->margin)
		best = prior;
	return intensities[best];
}

const char *corpus_model_type(const corpus_model *m, const lexicon_culture *c, const char *text, size_t len)
{
	double sc[MAX_CLASSES];
	score_text(m, &m->type, c, text, len, sc);
	return types[best_of(&m->type, sc)];
}
