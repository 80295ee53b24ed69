/* The corpus annotator (see server/corpus_annotator.h).
 *
 * Signals: the signal phrases of the whole message's match, one per
 * (phrase, type). Distress: each sentence of the message (ending at . ! ?
 * newline or 。！？) gets the intensity of the nearest annotated distress
 * phrase of the culture, when its similarity is at least
 * SENTENCE_SIMILARITY. */
#include "server/corpus_annotator.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

#define SENTENCE_SIMILARITY 0.3
#define MAX_SENTENCES 20

static int push(corpus_span **v, size_t *n, size_t *cap, corpus_span s)
{
	corpus_span *g = array_grow(*v, cap, *n + 1, sizeof **v);
	if (!g)
		return -1;
	*v = g;
	g[(*n)++] = s;
	return 0;
}

static bool same_label(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

int corpus_annotate(const lexicon *l, const lexicon_culture *c, const char *message, size_t len,
		    const lexicon_result *whole, corpus_annotation *out)
{
	if (!out)
		return -1;
	memset(out, 0, sizeof *out);
	if (!l || !c || !whole || (!message && len))
		return -1;
	size_t capd = 0, caps = 0;
	for (size_t i = 0; i < whole->nsignals; i++) {
		const lexicon_signal_match *m = &whole->signals[i];
		/* The same phrase and type on both sides is one annotation. */
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = strcmp(whole->signals[k].phrase, m->phrase) == 0 && same_label(whole->signals[k].type, m->type);
		if (seen)
			continue;
		if (push(&out->signals, &out->nsignals, &caps,
			 (corpus_span){CORPUS_NO_SPAN, 0, m->type, m->phrase, m->side, m->similarity}) < 0)
			goto fail;
	}

	lexicon_opts o;
	lexicon_opts_default(&o);
	o.max_signals = 0;
	o.max_distress = 1;
	o.distress_threshold = SENTENCE_SIMILARITY;
	const char *p = message, *end = message + len;
	int sentences = 0;
	while (p < end && sentences < MAX_SENTENCES) {
		/* A sentence ends at . ! ? newline or their CJK forms 。！？ */
		const char *q = p;
		size_t skip = 0;
		while (q < end) {
			if (*q == '.' || *q == '!' || *q == '?' || *q == '\n') {
				skip = 1;
				break;
			}
			if (end - q >= 3 && (!memcmp(q, "\xe3\x80\x82", 3) || !memcmp(q, "\xef\xbc\x81", 3) ||
					     !memcmp(q, "\xef\xbc\x9f", 3))) {
				skip = 3;
				break;
			}
			q++;
		}
		const char *a = p, *b = q;
		while (a < b && (*a == ' ' || *a == '\t' || *a == '\r'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
			b--;
		if (b - a >= 3) {
			sentences++;
			lexicon_result r = {0};
			int rc = 0;
			if (lexicon_match(l, c, a, (size_t)(b - a), &o, &r) == 0 && r.ndistress > 0 &&
			    r.distress[0].intensity && r.distress[0].similarity >= SENTENCE_SIMILARITY)
				rc = push(&out->distress, &out->ndistress, &capd,
					  (corpus_span){(size_t)(a - message), (size_t)(b - a), r.distress[0].intensity,
							r.distress[0].phrase, NULL, r.distress[0].similarity});
			lexicon_result_clear(&r);
			if (rc < 0)
				goto fail;
		}
		p = q + skip;
	}
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
