/* Regression test of lexicon_match against recorded results: a lexicon
 * built from the sample corpus (deploy/sample-corpus) plus a synthetic culture, and a
 * few hundred deterministic messages made of corpus phrases (some altered),
 * corpus words, pseudo-words, punctuation, CJK text and emoji. For every
 * message the results of lexicon_match under three sets of options and
 * lexicon_word_similarity of phrases of the culture are written out in a
 * canonical form (similarities to 10 decimals) and digested; the digests
 * must equal those in tests/unit/lexicon_golden.txt.
 *
 * The matcher prunes heavily (bounds, floors, early exits), so this pins
 * the exact output while its internals change. After a deliberate change
 * of results, regenerate the file:
 *   build/tests/unit/test_lexicon_golden --write > tests/unit/lexicon_golden.txt
 * The corpus annotator's signals (server/support/corpus_annotator.h: spans, types,
 * phrases) on the same messages are pinned the same way in
 * tests/unit/corpus_annotation_golden.txt:
 *   build/tests/unit/test_lexicon_golden --write-annotations > tests/unit/corpus_annotation_golden.txt
 * A mismatch prints the message and its canonical output. */
#include <ctype.h>
#include <glob.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "server/support/corpus_annotator.h"
#include "server/support/lexicon.h"
#include "tests/unit/check.h"

#ifndef SOURCE_ROOT
#error "compile with -DSOURCE_ROOT='\"/path/to/source\"'"
#endif

#define NMESSAGES 400
#define MAX_PHRASES 4096

static uint32_t state = 4242;

static uint32_t rnd(void)
{
	state = state * 1664525u + 1013904223u;
	return state >> 8;
}

/* Every phrase added, per culture, for lexicon_word_similarity. */
typedef struct phrase_ref {
	char culture[32];
	const char *text;
} phrase_ref;

static phrase_ref phrases[MAX_PHRASES];
static size_t nphrases;
static char *words[MAX_PHRASES * 4];
static size_t nwords;

static void remember(const char *culture, const char *text)
{
	if (nphrases == MAX_PHRASES)
		return;
	phrase_ref *p = &phrases[nphrases++];
	snprintf(p->culture, sizeof p->culture, "%s", culture);
	p->text = strdup(text);
	/* its space-separated words, for building messages */
	char *copy = strdup(text), *save = NULL;
	for (char *w = strtok_r(copy, " ", &save); w && nwords < sizeof words / sizeof *words;
	     w = strtok_r(NULL, " ", &save))
		words[nwords++] = strdup(w);
	free(copy);
}

static const char *field(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int add_items(lexicon *l, const char *code, long post, json_t *items, char kind, const char *side)
{
	int rc = 0;
	size_t i;
	json_t *it;
	json_array_foreach(items, i, it) {
		const char *p = field(it, "phrase");
		if (!p)
			continue;
		if (kind == 's')
			rc |= lexicon_add_signal(l, code, post, side, p, field(it, "type"));
		else if (kind == 'd')
			rc |= lexicon_add_distress(l, code, post, p, field(it, "intensity"));
		else
			rc |= lexicon_add_support(l, code, post, p, field(it, "strategy"));
		if (kind != 'u')
			remember(code, p);
	}
	return rc;
}

static int load_corpus(lexicon *l)
{
	glob_t g;
	int rc = 0;
	long post = 0;
	if (glob(SOURCE_ROOT "/deploy/sample-corpus/*.jsonl", 0, NULL, &g) != 0)
		return -1;
	for (size_t f = 0; f < g.gl_pathc; f++) {
		FILE *fp = fopen(g.gl_pathv[f], "r");
		char line[65536];
		if (!fp)
			return -1;
		while (fgets(line, sizeof line, fp)) {
			json_t *o = json_loads(line, 0, NULL);
			const char *culture = o ? field(o, "culture") : NULL;
			if (!culture) {
				json_decref(o);
				continue;
			}
			char code[32];
			size_t n = 0;
			for (; culture[n] && n + 1 < sizeof code; n++)
				code[n] = (char)tolower((unsigned char)culture[n]);
			code[n] = '\0';
			rc |= lexicon_add_culture(l, code, culture);
			json_t *p = json_object_get(o, "post"), *r = json_object_get(o, "response");
			post++;
			rc |= add_items(l, code, post, json_object_get(p, "emotional_distress"), 'd', NULL);
			rc |= add_items(l, code, post, json_object_get(p, "cultural_signals"), 's', "post");
			rc |= add_items(l, code, post, json_object_get(r, "cultural_signals"), 's', "response");
			rc |= add_items(l, code, post, json_object_get(r, "emotional_support"), 'u', NULL);
			json_decref(o);
		}
		fclose(fp);
	}
	globfree(&g);
	return rc;
}

static const char *const extras[] = {
	"i", "the", "and", "to", "my", "a", "feel", "so", "not", "me", "family", "exam", "alone", "sleep",
	"压力", "好大", "睡不着", "家人", "Mutter", "Prüfung", "أهلي", "Shabbat", "WeChat", "ÄRGER", "ＷｅＣｈａｔ",
};
#define NEXTRAS (sizeof extras / sizeof extras[0])

static void pseudo_word(char *buf)
{
	static const char cons[] = "bcdfghklmnprstvwz", vows[] = "aeiou";
	size_t n = 0, syll = 1 + rnd() % 3;
	for (size_t s = 0; s < syll; s++) {
		buf[n++] = cons[rnd() % (sizeof cons - 1)];
		buf[n++] = vows[rnd() % (sizeof vows - 1)];
	}
	buf[n] = '\0';
}

/* A word for a message or synthetic phrase. */
static const char *any_word(char *buf)
{
	uint32_t r = rnd() % 10;
	if (r < 5 && nwords)
		return words[rnd() % nwords];
	if (r < 8)
		return extras[rnd() % NEXTRAS];
	pseudo_word(buf);
	return buf;
}

static void append(char *m, size_t cap, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 < cap) {
		memcpy(m + *len, s, n);
		*len += n;
		m[*len] = '\0';
	}
}

/* A corpus phrase, sometimes altered: a word dropped, a letter changed,
 * upper-cased. */
static void altered_phrase(char *m, size_t cap, size_t *len)
{
	char buf[512];
	snprintf(buf, sizeof buf, "%s", phrases[rnd() % nphrases].text);
	size_t n = strlen(buf);
	switch (rnd() % 5) {
	case 0: { /* drop the first word */
		char *sp = strchr(buf, ' ');
		if (sp)
			memmove(buf, sp + 1, strlen(sp));
		break;
	}
	case 1: /* change an ASCII letter */
		for (size_t i = n ? rnd() % n : 0; i < n; i++)
			if (isalpha((unsigned char)buf[i])) {
				buf[i] = (char)('a' + rnd() % 26);
				break;
			}
		break;
	case 2:
		for (size_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		break;
	default:
		break;
	}
	append(m, cap, len, buf);
}

static void message(char *m, size_t cap, int i)
{
	static const char *const seps[] = {" ", " ", " ", " ", ", ", ". ", "! ", "？", "，", " — ", " 😢 ", "\n"};
	size_t pieces = i % 50 == 49 ? 600 + rnd() % 400 : rnd() % 60, len = 0;
	m[0] = '\0';
	for (size_t p = 0; p < pieces; p++) {
		char buf[32];
		if (p)
			append(m, cap, &len, seps[rnd() % (sizeof seps / sizeof *seps)]);
		if (rnd() % 8 == 0)
			altered_phrase(m, cap, &len);
		else
			append(m, cap, &len, any_word(buf));
	}
}

static void synthetic(lexicon *l)
{
	static const char *const types[] = {"Artifacts", "Values", "Rituals", NULL};
	static const char *const intensities[] = {"light", "moderate", "high", NULL};
	int rc = lexicon_add_culture(l, "synthetic", "Synthetic");
	for (int i = 0; i < 800; i++) {
		char p[256] = "", buf[32];
		size_t len = 0, n = i < 400 ? 1 + rnd() % 3 : 2 + rnd() % 7;
		for (size_t w = 0; w < n; w++) {
			if (w)
				append(p, sizeof p, &len, " ");
			append(p, sizeof p, &len, any_word(buf));
		}
		long post = 1000 + (long)(rnd() % 150);
		if (i < 400)
			rc |= lexicon_add_signal(l, "synthetic", post, rnd() % 2 ? "post" : "response", p, types[rnd() % 4]);
		else
			rc |= lexicon_add_distress(l, "synthetic", post, p, intensities[rnd() % 4]);
		if (i % 2)
			rc |= lexicon_add_support(l, "synthetic", post, p, rnd() % 5 ? "Question" : "Information");
		remember("synthetic", p);
	}
	CHECK_INT_EQ(rc, 0);
}

/* Canonical text of the results, appended to out. */
static void describe(const lexicon_result *r, char **out, size_t *len, size_t *cap)
{
	char line[2048];
	for (size_t pass = 0; pass < r->nsignals + r->ndistress + r->nstrategies; pass++) {
		int n;
		if (pass < r->nsignals) {
			const lexicon_signal_match *s = &r->signals[pass];
			n = snprintf(line, sizeof line, "S %.10f %u %s|%s|%s\n", s->similarity, s->occurrences, s->phrase,
				     s->type ? s->type : "-", s->side);
		} else if (pass < r->nsignals + r->ndistress) {
			const lexicon_distress_match *d = &r->distress[pass - r->nsignals];
			n = snprintf(line, sizeof line, "D %.10f %ld %s|%s\n", d->similarity, d->post_id, d->phrase,
				     d->intensity ? d->intensity : "-");
		} else {
			const lexicon_strategy *st = &r->strategies[pass - r->nsignals - r->ndistress];
			n = snprintf(line, sizeof line, "T %.10f %s|%s|%s|%s\n", st->weight, st->strategy,
				     st->nexamples > 0 ? st->examples[0] : "", st->nexamples > 1 ? st->examples[1] : "",
				     st->nexamples > 2 ? st->examples[2] : "");
		}
		if (n < 0)
			continue;
		if ((size_t)n >= sizeof line)
			n = (int)sizeof line - 1;
		if (*len + (size_t)n + 1 > *cap) {
			*cap = 2 * (*len + (size_t)n + 1);
			*out = realloc(*out, *cap);
		}
		memcpy(*out + *len, line, (size_t)n + 1);
		*len += (size_t)n;
	}
}

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603u;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211u;
	}
	return h;
}

/* The corpus annotator's signals (no models attached: signals only) for
 * message m, one line each, into out. */
static void annotate(const lexicon *l, const lexicon_culture *c, const char *m, char **out, size_t *len,
		     size_t *cap)
{
	lexicon_opts o;
	corpus_match_opts(&o);
	lexicon_result r;
	corpus_annotation a;
	*len = 0;
	if (!CHECK_INT_EQ(lexicon_match(l, c, m, strlen(m), &o, &r), 0))
		return;
	if (CHECK_INT_EQ(corpus_annotate(l, c, m, strlen(m), &r, &a), 0)) {
		for (size_t i = 0; i < a.nsignals; i++) {
			const corpus_span *s = &a.signals[i];
			char line[1024];
			int n = snprintf(line, sizeof line, "A %zu %zu %s|%s|%.10f\n", s->off, s->len,
					 s->label ? s->label : "-", s->phrase, s->similarity);
			if (n < 0)
				continue;
			if ((size_t)n >= sizeof line)
				n = (int)sizeof line - 1;
			if (*len + (size_t)n + 1 > *cap) {
				*cap = 2 * (*len + (size_t)n + 1);
				*out = realloc(*out, *cap);
			}
			memcpy(*out + *len, line, (size_t)n + 1);
			*len += (size_t)n;
		}
		corpus_annotation_clear(&a);
	}
	lexicon_result_clear(&r);
}

/* With --write-annotations, prints the digests of the corpus annotator's
 * signals instead (tests/unit/corpus_annotation_golden.txt). */
static int annotations(lexicon *l, int write)
{
	FILE *golden = write ? NULL : fopen(SOURCE_ROOT "/tests/unit/corpus_annotation_golden.txt", "r");
	if (!write && !CHECK(golden != NULL))
		return check_done();
	static char m[65536];
	char *out = NULL;
	size_t cap = 0, len = 0, mismatches = 0, ncultures = lexicon_culture_count(l);
	state = 4343; /* the same messages whether or not the matcher's were made first */
	for (int i = 0; i < NMESSAGES; i++) {
		message(m, sizeof m, i);
		const lexicon_culture *c = lexicon_culture_find(l, lexicon_culture_code_at(l, (size_t)i % ncultures));
		annotate(l, c, m, &out, &len, &cap);
		char want[64] = "", got[64];
		snprintf(got, sizeof got, "%03d %016" PRIx64 "\n", i, fnv1a(out ? out : "", len));
		if (write)
			fputs(got, stdout);
		else if ((!fgets(want, sizeof want, golden) || strcmp(want, got) != 0) && mismatches++ < 3)
			fprintf(stderr, "message %d: corpus annotation differs:\n%s\n-- got:\n%.*s\n", i, m, (int)len,
				out ? out : "");
	}
	if (!write)
		CHECK_INT_EQ(mismatches, 0);
	free(out);
	if (golden)
		fclose(golden);
	return 0;
}

int main(int argc, char **argv)
{
	int write = argc > 1 && strcmp(argv[1], "--write") == 0;
	lexicon *l = lexicon_new();
	if (!CHECK(l != NULL) || !CHECK_INT_EQ(load_corpus(l), 0))
		return check_done();
	synthetic(l);
	if (!CHECK_INT_EQ(lexicon_finish(l), 0))
		return check_done();

	if (argc > 1 && strcmp(argv[1], "--write-annotations") == 0) {
		annotations(l, 1);
		lexicon_unref(l);
		return 0;
	}
	FILE *golden = NULL;
	if (!write) {
		golden = fopen(SOURCE_ROOT "/tests/unit/lexicon_golden.txt", "r");
		if (!CHECK(golden != NULL))
			return check_done();
	}
	lexicon_opts opts[3];
	lexicon_opts_default(&opts[0]);
	opts[1] = (lexicon_opts){0.1, 30, 30, 0.05, 8};
	opts[2] = (lexicon_opts){0.9, 3, 2, 0.5, 2};
	size_t ncultures = lexicon_culture_count(l), mismatches = 0;
	static char m[65536];
	char *out = NULL;
	size_t cap = 0;
	for (int i = 0; i < NMESSAGES; i++) {
		message(m, sizeof m, i);
		const char *code = lexicon_culture_code_at(l, (size_t)i % ncultures);
		const lexicon_culture *c = lexicon_culture_find(l, code);
		size_t len = 0;
		for (size_t k = 0; k < 3; k++) {
			lexicon_result r;
			if (!CHECK_INT_EQ(lexicon_match(l, c, m, strlen(m), &opts[k], &r), 0))
				continue;
			describe(&r, &out, &len, &cap);
			lexicon_result_clear(&r);
		}
		/* every phrase of the culture, unpruned, for some messages */
		if (i % 4 == 0 && strlen(m) < 4096)
			for (size_t p = 0; p < nphrases; p++)
				if (strcmp(phrases[p].culture, code) == 0) {
					char line[64];
					int n = snprintf(line, sizeof line, "W %zu %.10f\n", p,
							 lexicon_word_similarity(phrases[p].text, m));
					if (len + (size_t)n + 1 > cap) {
						cap = 2 * (len + (size_t)n + 1);
						out = realloc(out, cap);
					}
					memcpy(out + len, line, (size_t)n + 1);
					len += (size_t)n;
				}
		uint64_t h = fnv1a(out ? out : "", len);
		if (write) {
			printf("%03d %016" PRIx64 "\n", i, h);
			continue;
		}
		char want[64] = "", got[64];
		snprintf(got, sizeof got, "%03d %016" PRIx64 "\n", i, h);
		if (!fgets(want, sizeof want, golden) || strcmp(want, got) != 0) {
			if (mismatches++ < 3)
				fprintf(stderr, "message %d in %s differs from the recorded results:\n%s\n-- got:\n%.*s\n", i,
					code, m, (int)len, out ? out : "");
		}
	}
	if (!write)
		CHECK_INT_EQ(mismatches, 0);
	free(out);
	if (golden)
		fclose(golden);
	if (!write)
		annotations(l, 0);
	for (size_t p = 0; p < nphrases; p++)
		free((char *)phrases[p].text);
	for (size_t w = 0; w < nwords; w++)
		free(words[w]);
	lexicon_unref(l);
	return write ? 0 : check_done();
}
