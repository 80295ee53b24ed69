/* textcat: a small statistical text classifier, free of any domain.
 *
 * Features. Text is folded by unicode_fold (NFKC, case folding, marks
 * removed); every run of characters that are neither letters nor digits
 * becomes one space, and the text is read with a space before and after.
 * The features are the character n-grams of that sequence (code points,
 * spaces included, so that Chinese without spaces and Arabic or Hebrew
 * words with attached clitics share features with their parts) and the
 * words (runs of letters and digits) alone and in pairs. Every feature is
 * hashed into 2^bits buckets; a collision only makes two features share
 * a weight. A bucket counts once per text however often its features
 * occur (a repeated word does not outweigh the rest), and a text of n
 * distinct buckets gives each the value 1/sqrt(n), so that long and short
 * texts score on the same scale.
 *
 * Model. nout independent binary outputs (one-vs-rest), each a logistic
 * regression with L2 regularisation trained by AdaGrad, in a fixed order
 * (a seeded shuffle): training twice on the same documents gives the same
 * weights. Scores are probabilities in [0, 1].
 *
 * Also here, for classifiers that build their own features (the corpus
 * annotator's): the hash, and a multiclass averaged perceptron. */
#ifndef CC_TEXTCAT_H
#define CC_TEXTCAT_H
#include <stddef.h>
#include <stdint.h>

#define TEXTCAT_MAX_OUT 4

/* A 32-bit finaliser (good avalanche) and a hash of n bytes with a seed. */
uint32_t textcat_mix(uint32_t h);
uint32_t textcat_hash(uint32_t seed, const void *s, size_t n);

typedef struct textcat_params {
	unsigned bits;       /* 2^bits buckets (10..24) */
	unsigned ngram_min;  /* character n-grams from ngram_min to ngram_max code points (1..8) */
	unsigned ngram_max;
	unsigned words;      /* 0: none; 1: words; 2: words and pairs of adjacent words; 3: also pairs of
			      * words two and three apart */
	unsigned epochs;
	double rate;         /* AdaGrad's base rate */
	double l2;           /* L2 penalty per update of a weight */
	uint32_t seed;       /* of the training order */
	double prior;        /* 0: the bias is learnt; else it stays at logit(prior) (0 < prior < 1), so that a
			      * text without known features scores prior, not the share of positives in
			      * the training set */
	unsigned mean;       /* 0: a text of n distinct buckets gives each 1/sqrt(n); 1: 1/n (their mean) */
} textcat_params;

/* A document to learn from: its text and one label (0 or 1) per output. */
typedef struct textcat_doc {
	const char *text;
	size_t len;
	unsigned char y[TEXTCAT_MAX_OUT];
} textcat_doc;

typedef struct textcat textcat;

/* Trains nout (1..TEXTCAT_MAX_OUT) outputs on n documents (any bytes;
 * invalid UTF-8 is read as U+FFFD). NULL on invalid parameters or out of
 * memory. */
textcat *textcat_train(const textcat_params *p, size_t nout, const textcat_doc *docs, size_t n);
/* The probability of each output for text (len bytes, any bytes; NULL ok
 * when len is 0) into out[0..nout). Returns 0, or -1 (NULL model, out of
 * memory: out is then all 0). */
int textcat_score(const textcat *m, const char *text, size_t len, double *out);
size_t textcat_outputs(const textcat *m);
void textcat_free(textcat *m);

/* ---- multiclass averaged perceptron on caller-made features ---- */

typedef struct textcat_example {
	const uint32_t *f; /* bucket indices, each < nbucket */
	size_t n;
	int y;             /* class, 0..nclass-1 */
	uint32_t key;      /* sorts the examples first (with y): the result does not depend on their order */
} textcat_example;

/* Trains for epochs passes in a seeded order; returns the averaged weights
 * (nbucket * nclass, class-minor), or NULL when out of memory. ex is
 * sorted in place; n may be 0 (ex NULL). Free with free(). */
float *textcat_perceptron_train(size_t nbucket, size_t nclass, unsigned epochs, textcat_example *ex, size_t n);
/* The scores of the nclass classes for features f[0..n) into out. */
void textcat_perceptron_scores(const float *w, size_t nclass, const uint32_t *f, size_t n, double *out);

#endif
