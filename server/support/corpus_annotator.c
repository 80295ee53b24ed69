/* The corpus annotator (see server/support/corpus_annotator.h).
 *
 * Signals: the signal phrases of the whole message's match (one per
 * phrase), each placed in the message: where it occurs (ASCII case aside),
 * else the stretch of one sentence from the first to the last of its words
 * that occur there (a match that cannot be placed is not reported). The
 * span reported is the sentence around that place (the corpus annotates
 * signals as clauses: "I'm 20 years old Chinese male from Malaysia.", not
 * "Chinese"), one per sentence; its type is that of the corpus phrase
 * matched there that weighs most (similarity times length: a long phrase
 * says more than a short generic word), the type model's
 * (server/support/corpus_model.h) when that phrase has none.
 * Distress: the message is cut into sentences (at . ! ? ; newline and
 * their CJK forms); each sentence the distress model scores above 0 is
 * reported with the intensity model's answer. No lexicon matching per
 * sentence: the models are trained on the corpus when it is loaded. */
#include "server/support/corpus_annotator.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/support/corpus_model.h"
#include "server/util.h"

#define MAX_SENTENCES 400
#define DISTRESS_MIN_SCORE 0.0

void corpus_match_opts(lexicon_opts *o)
{
	lexicon_opts_default(o);
	o->max_distress = 0;
}

static int push(corpus_span **v, size_t *n, size_t *cap, corpus_span s)
{
	corpus_span *g = array_grow(*v, cap, *n + 1, sizeof **v);
	if (!g)
		return -1;
	*v = g;
	g[(*n)++] = s;
	return 0;
}

static bool is_word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/* First occurrence of p (n bytes) in s (len bytes), both in ASCII lower
 * case, at word boundaries where p starts or ends with a word byte;
 * SIZE_MAX: none. */
static size_t find_ci(const char *s, size_t len, const char *p, size_t n)
{
	if (!n || n > len)
		return SIZE_MAX;
	unsigned char a = (unsigned char)p[0], z = (unsigned char)p[n - 1];
	for (size_t from = 0; from + n <= len;) {
		const char *at = memmem(s + from, len - from, p, n);
		if (!at)
			return SIZE_MAX;
		size_t i = (size_t)(at - s);
		from = i + 1;
		if (a < 0x80 && is_word_byte(a) && i > 0 && is_word_byte((unsigned char)s[i - 1]) && (unsigned char)s[i - 1] < 0x80)
			continue;
		if (z < 0x80 && is_word_byte(z) && i + n < len && is_word_byte((unsigned char)s[i + n]) &&
		    (unsigned char)s[i + n] < 0x80)
			continue;
		return i;
	}
	return SIZE_MAX;
}

/* s (n bytes) in ASCII lower case, NUL-terminated; NULL: out of memory. */
static char *lower_copy(const char *s, size_t n)
{
	char *l = malloc(n + 1);
	if (l) {
		for (size_t i = 0; i < n; i++)
			l[i] = (char)ascii_lower((unsigned char)s[i]);
		l[n] = '\0';
	}
	return l;
}

/* Where a sentence ends: *skip bytes of the terminator at the returned
 * position (0 at the end). */
static const char *sentence_end(const char *q, const char *end, size_t *skip)
{
	*skip = 0;
	for (; q < end; q++) {
		if (*q == '.' || *q == '!' || *q == '?' || *q == '\n' || *q == ';') {
			*skip = 1;
			return q;
		}
		if ((*q == '\xe3' || *q == '\xef') && end - q >= 3 && (!memcmp(q, "\xe3\x80\x82", 3) || !memcmp(q, "\xef\xbc\x81", 3) ||
				     !memcmp(q, "\xef\xbc\x9f", 3) || !memcmp(q, "\xef\xbc\x9b", 3))) {
			*skip = 3;
			return q;
		}
	}
	return end;
}

/* Places phrase in the message (msg: in ASCII lower case): see the comment
 * at the top. -1: out of memory. */
static int place(const char *msg, size_t len, const char *phrase_, size_t *off, size_t *plen)
{
	size_t n = strlen(phrase_);
	char *phrase = lower_copy(phrase_, n);
	if (!phrase)
		return -1;
	size_t at = find_ci(msg, len, phrase, n);
	if (at != SIZE_MAX) {
		free(phrase);
		*off = at;
		*plen = n;
		return 1;
	}
	/* the words of the phrase (ASCII words of 3 bytes or more, or
	 * non-ASCII runs) found in one sentence */
	size_t best = 0;
	const char *p = msg, *end = msg + len;
	while (p < end) {
		size_t skip;
		const char *q = sentence_end(p, end, &skip);
		size_t hits = 0, lo = SIZE_MAX, hi = 0;
		for (const char *w = phrase; *w;) {
			while (*w && !is_word_byte((unsigned char)*w))
				w++;
			const char *we = w;
			while (*we && is_word_byte((unsigned char)*we))
				we++;
			if (we - w >= 3) {
				size_t a = find_ci(p, (size_t)(q - p), w, (size_t)(we - w));
				if (a != SIZE_MAX) {
					hits++;
					size_t s0 = (size_t)(p - msg) + a, s1 = s0 + (size_t)(we - w);
					lo = s0 < lo ? s0 : lo;
					hi = s1 > hi ? s1 : hi;
				}
			}
			w = we;
		}
		if (hits > best) {
			best = hits;
			*off = lo;
			*plen = hi - lo;
		}
		p = q + skip;
	}
	free(phrase);
	return best > 0;
}

/* The sentence around bytes [*off, *off + *n) of msg (from the start of
 * the sentence where it starts, blanks aside, to the end of the sentence
 * where it ends). */
static void widen(const char *msg, size_t len, size_t *off, size_t *n)
{
	size_t a = *off, skip;
	while (a > 0 && !memchr(".!?\n;", msg[a - 1], 5) &&
	       !(a >= 3 && (!memcmp(msg + a - 3, "\xe3\x80\x82", 3) || !memcmp(msg + a - 3, "\xef\xbc\x81", 3) ||
			    !memcmp(msg + a - 3, "\xef\xbc\x9f", 3) || !memcmp(msg + a - 3, "\xef\xbc\x9b", 3))))
		a--;
	while (a < *off && (msg[a] == ' ' || msg[a] == '\t' || msg[a] == '\r'))
		a++;
	size_t b = (size_t)(sentence_end(msg + *off, msg + len, &skip) - msg);
	if (b < *off + *n)
		b = *off + *n;
	*off = a;
	*n = b - a;
}

/* How much a match says about its sentence's type: a close match says
 * more than a loose one (similarity to the 8th power: 0.6 weighs 0.017),
 * and among close ones a long phrase more than a short generic word. */
static double weight(const char *phrase, double similarity)
{
	return pow(similarity, 8) * (double)strlen(phrase);
}

/* Adds the i-th signal match of sig to out: its sentence, unless a match
 * before it already gave that sentence (which then takes this match's
 * type and phrase when this one weighs more). */
static int add_signal(const corpus_model *model, const lexicon_culture *c, const char *message, const char *lower,
		      size_t len, const lexicon_signal_match *sig, size_t i, corpus_annotation *out, size_t *caps)
{
	const lexicon_signal_match *m = &sig[i];
	for (size_t k = 0; k < i; k++) /* one annotation per phrase (the best first) */
		if (strcmp(sig[k].phrase, m->phrase) == 0)
			return 0;
	size_t off = 0, n = 0;
	int placed = place(lower, len, m->phrase, &off, &n);
	if (placed <= 0)
		return placed;
	widen(message, len, &off, &n);
	for (size_t k = 0; k < out->nsignals; k++) {
		corpus_span *o = &out->signals[k];
		if (o->off != off || o->len != n)
			continue;
		if (m->type && weight(m->phrase, m->similarity) > weight(o->phrase, o->similarity))
			*o = (corpus_span){off, n, m->type, m->phrase, m->side, m->similarity};
		return 0;
	}
	/* the type of the corpus phrase; the model's only when it has none */
	const char *type = m->type;
	if (model && !type)
		type = corpus_model_type(model, c, message + off, n);
	return push(&out->signals, &out->nsignals, caps, (corpus_span){off, n, type, m->phrase, m->side, m->similarity});
}

/* The distress clauses of the message into out (see the top). */
static int find_distress(const corpus_model *model, const lexicon_culture *c, const char *message, size_t len,
			 corpus_annotation *out)
{
	const char *p = message, *end = message + len;
	size_t capd = 0, sentences = 0;
	while (p < end && sentences < MAX_SENTENCES) {
		size_t skip;
		const char *q = sentence_end(p, end, &skip);
		const char *a = p, *b = q;
		while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
			b--;
		p = q + skip;
		if (b - a < 3)
			continue;
		sentences++;
		corpus_clause cl; /* the features of the clause computed once for both models */
		corpus_model_clause(model, c, a, (size_t)(b - a), &cl);
		if (cl.distress > DISTRESS_MIN_SCORE &&
		    push(&out->distress, &out->ndistress, &capd,
			 (corpus_span){(size_t)(a - message), (size_t)(b - a), corpus_model_intensity(model, c, cl.intensity),
				       NULL, NULL, 0}) < 0)
			return -1;
	}
	return 0;
}

int corpus_annotate(const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		    const lexicon_result *whole, corpus_annotation *out)
{
	if (!out)
		return -1;
	memset(out, 0, sizeof *out);
	if (!l || !c || !whole || (!message && len))
		return -1;
	const corpus_model *model = corpus_model_of(l);
	size_t caps = 0;
	if (whole->nsignals) {
		char *lower = lower_copy(message, len);
		if (!lower)
			goto fail;
		for (size_t i = 0; i < whole->nsignals; i++)
			if (add_signal(model, c, message, lower, len, whole->signals, i, out, &caps) < 0) {
				free(lower);
				goto fail;
			}
		free(lower);
	}

	if (!model)
		return 0;
	if (find_distress(model, c, message, len, out) < 0)
		goto fail;
	return 0;
fail:
	corpus_annotation_clear(out);
	return -1;
}

void corpus_annotation_clear(corpus_annotation *a)
{
	if (!a)
		return;
	free(a->distress);
	free(a->signals);
	memset(a, 0, sizeof *a);
}
