/* Benchmark of lexicon_match (server/support/lexicon.c): a synthetic culture of 500
 * signal phrases, 400 distress phrases and 300 support phrases made of
 * deterministic pseudo-words mixed with common English function words, and
 * a 100-word message that contains some of them. Prints the mean time per
 * call; asserts nothing about it.
 *
 * With CultureCare JSONL files as arguments (lexicon_bench FILE...), it
 * measures instead what POST /support does to annotate a message from the
 * corpus (lexicon_match of the whole message and corpus_annotate,
 * server/support/corpus_annotator.h) with every phrase of every file loaded into
 * one culture: the median CPU time over 300 different 100-word messages
 * made of corpus phrases and words, and over 20 messages of 16 000
 * characters (the longest allowed). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "server/support/corpus_annotator.h"
#include "server/support/corpus_model.h"
#include "server/support/lexicon.h"

#define NSIGNALS 500
#define NDISTRESS 400
#define NSUPPORT 300
#define NPOSTS 200
#define VOCAB 1500
#define MESSAGE_WORDS 100
#define CALLS 10000

static uint32_t state = 2024;

static uint32_t rnd(void)
{
	state = state * 1664525u + 1013904223u;
	return state >> 8;
}

static const char *const common[] = {
	"i", "the", "and", "to", "my", "a", "of", "in", "is", "it", "that", "me", "so", "not", "feel",
	"with", "for", "at", "be", "have", "am", "do", "they", "no", "but", "all", "like", "just", "you", "we",
};
#define NCOMMON (sizeof common / sizeof common[0])

static char vocab[VOCAB][16];

static void make_vocab(void)
{
	static const char cons[] = "bcdfghjklmnprstvwz", vows[] = "aeiou";
	for (size_t i = 0; i < VOCAB; i++) {
		size_t syll = 2 + rnd() % 3, n = 0;
		for (size_t s = 0; s < syll; s++) {
			vocab[i][n++] = cons[rnd() % (sizeof cons - 1)];
			vocab[i][n++] = vows[rnd() % (sizeof vows - 1)];
		}
		if (rnd() % 3 == 0)
			vocab[i][n++] = cons[rnd() % (sizeof cons - 1)];
		vocab[i][n] = '\0';
	}
}

static const char *word(int common_percent)
{
	if ((int)(rnd() % 100) < common_percent)
		return common[rnd() % NCOMMON];
	return vocab[rnd() % VOCAB];
}

/* A phrase of min..max words into buf. */
static void phrase(char *buf, size_t cap, size_t min, size_t max, int common_percent)
{
	size_t n = min + rnd() % (max - min + 1), len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? " " : "", word(common_percent));
}

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the whole corpus ---- */

#define MAX_CORPUS 8192

static char *cphrases[MAX_CORPUS];
static size_t ncphrases;
static char *cwords[MAX_CORPUS * 8];
static size_t ncwords;

static void keep(const char *p)
{
	if (!p || !*p || ncphrases == MAX_CORPUS)
		return;
	cphrases[ncphrases++] = strdup(p);
	char *copy = strdup(p), *save = NULL;
	for (char *w = strtok_r(copy, " ", &save); w && ncwords < MAX_CORPUS * 8; w = strtok_r(NULL, " ", &save))
		cwords[ncwords++] = strdup(w);
	free(copy);
}

static int load_items(lexicon *l, long post, json_t *items, char kind)
{
	size_t i;
	json_t *it;
	int rc = 0;
	json_array_foreach(items, i, it)
	{
		const char *p = json_string_value(json_object_get(it, "phrase"));
		const char *label = json_string_value(
			json_object_get(it, kind == 'd' ? "intensity" : kind == 's' ? "strategy" : "type"));
		if (!p)
			continue;
		if (kind == 'd')
			rc |= lexicon_add_distress(l, "all", post, p, label);
		else if (kind == 's')
			rc |= lexicon_add_support(l, "all", post, p, label);
		else
			rc |= lexicon_add_signal(l, "all", post, kind == 'p' ? "post" : "response", p, label);
		if (kind == 'd' || kind == 'p')
			keep(p);
	}
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* A message of about target words (target_chars: of at most that many
 * bytes instead) made of corpus phrases (a third) and corpus words. */
static size_t corpus_message(char *buf, size_t cap, size_t target_words, size_t target_chars)
{
	size_t len = 0, words = 0;
	for (;;) {
		const char *w = rnd() % 3 == 0 ? cphrases[rnd() % ncphrases] : cwords[rnd() % ncwords];
		size_t n = strlen(w), nw = 1;
		for (const char *p = w; *p; p++)
			nw += *p == ' ';
		if (target_chars ? len + n + 1 > target_chars : words + nw > target_words) {
			if (target_chars ? len + 40 > target_chars : words >= target_words)
				break;
			continue;
		}
		if (len + n + 2 > cap)
			break;
		len += (size_t)snprintf(buf + len, cap - len, "%s%s", len ? " " : "", w);
		words += nw;
	}
	return len;
}

/* CPU time of one annotation as POST /support does it; *match: of its
 * lexicon_match part. */
static uint64_t annotate_once(const lexicon *l, const lexicon_culture *c, const char *m, size_t len,
			      uint64_t *match)
{
	lexicon_opts o;
	corpus_match_opts(&o);
	lexicon_result r;
	corpus_annotation ca;
	uint64_t t0 = cpu_now();
	if (lexicon_match(l, c, m, len, &o, &r) < 0)
		exit(1);
	uint64_t t1 = cpu_now();
	if (corpus_annotate(l, c, m, len, &r, &ca) < 0)
		exit(1);
	uint64_t t = cpu_now() - t0;
	*match = t1 - t0;
	corpus_annotation_clear(&ca);
	lexicon_result_clear(&r);
	return t;
}

/* The median CPU time of annotating n messages; *max: the longest,
 * *match: the median of the lexicon_match part. */
static uint64_t median_of(const lexicon *l, const lexicon_culture *c, size_t n, size_t words, size_t chars,
			  uint64_t *max, uint64_t *match)
{
	static char buf[20000];
	uint64_t *t = malloc(2 * n * sizeof *t), *tm = t + n;
	if (!t)
		exit(1);
	*max = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = corpus_message(buf, sizeof buf, words, chars);
		uint64_t m;
		annotate_once(l, c, buf, len, &m); /* warm */
		uint64_t best = UINT64_MAX, best_m = UINT64_MAX;
		for (int k = 0; k < 3; k++) { /* the least disturbed of 3 runs */
			uint64_t x = annotate_once(l, c, buf, len, &m);
			best = x < best ? x : best;
			best_m = m < best_m ? m : best_m;
		}
		t[i] = best;
		tm[i] = best_m;
		*max = best > *max ? best : *max;
	}
	qsort(t, n, sizeof *t, cmp_u64);
	qsort(tm, n, sizeof *tm, cmp_u64);
	uint64_t m = t[n / 2];
	*match = tm[n / 2];
	free(t);
	return m;
}

static int corpus_bench(int argc, char **argv)
{
	lexicon *l = lexicon_new();
	if (!l || lexicon_add_culture(l, "all", "All") < 0)
		return 1;
	long post = 0;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");
		if (!f) {
			fprintf(stderr, "cannot open %s\n", argv[i]);
			return 1;
		}
		char *line = NULL;
		size_t cap = 0;
		while (getline(&line, &cap, f) > 0) {
			json_t *rec = json_loads(line, 0, NULL);
			if (!rec)
				continue;
			json_t *p = json_object_get(rec, "post"), *r = json_object_get(rec, "response");
			post++;
			rc |= load_items(l, post, json_object_get(p, "emotional_distress"), 'd');
			rc |= load_items(l, post, json_object_get(p, "cultural_signals"), 'p');
			rc |= load_items(l, post, json_object_get(r, "cultural_signals"), 'r');
			rc |= load_items(l, post, json_object_get(r, "emotional_support"), 's');
			json_decref(rec);
		}
		free(line);
		fclose(f);
	}
	if (rc || lexicon_finish(l) < 0 || corpus_model_attach(l) < 0 || !ncphrases) {
		fprintf(stderr, "building the lexicon failed\n");
		return 1;
	}
	const lexicon_culture *c = lexicon_culture_find(l, "all");
	uint64_t max, match, med = median_of(l, c, 300, 100, 0, &max, &match);
	printf("corpus annotation, %ld posts' phrases in one culture: 100-word message: median %.1f us CPU (max %.1f; "
	       "lexicon_match part: median %.1f)\n",
	       post, med / 1000.0, max / 1000.0, match / 1000.0);
	med = median_of(l, c, 20, 0, 16000, &max, &match);
	printf("corpus annotation: 16000-character message: median %.1f us CPU (max %.1f; lexicon_match part: median "
	       "%.1f)\n",
	       med / 1000.0, max / 1000.0, match / 1000.0);
	lexicon_unref(l);
	for (size_t i = 0; i < ncphrases; i++)
		free(cphrases[i]);
	for (size_t i = 0; i < ncwords; i++)
		free(cwords[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return corpus_bench(argc, argv);
	static const char *const strategies[] = {
		"Question", "Restatement or Paraphrasing", "Reflection of feelings", "Self-disclosure",
		"Affirmation and Reassurance", "Providing Suggestions", "Information", "Others",
	};
	static const char *const types[] = {"Artifacts", "Values", "Rituals", "Education", NULL};
	static const char *const intensities[] = {"light", "moderate", "high", NULL};
	char signals[NSIGNALS][64], distress[NDISTRESS][128], buf[128];
	make_vocab();
	lexicon *l = lexicon_new();
	if (!l || lexicon_add_culture(l, "synthetic", "Synthetic") < 0)
		return 1;
	int rc = 0;
	for (size_t i = 0; i < NSIGNALS; i++) {
		phrase(signals[i], sizeof signals[i], 1, 3, 10);
		rc |= lexicon_add_signal(l, "synthetic", (long)(1 + rnd() % NPOSTS), rnd() % 2 ? "post" : "response",
					 signals[i], types[rnd() % 5]);
	}
	for (size_t i = 0; i < NDISTRESS; i++) {
		phrase(distress[i], sizeof distress[i], 3, 8, 50);
		rc |= lexicon_add_distress(l, "synthetic", (long)(1 + rnd() % NPOSTS), distress[i], intensities[rnd() % 4]);
	}
	for (size_t i = 0; i < NSUPPORT; i++) {
		phrase(buf, sizeof buf, 3, 10, 50);
		rc |= lexicon_add_support(l, "synthetic", (long)(1 + rnd() % NPOSTS), buf,
					  rnd() % 10 ? strategies[rnd() % 8] : NULL);
	}
	if (rc || lexicon_finish(l) < 0) {
		fprintf(stderr, "building the lexicon failed\n");
		lexicon_unref(l);
		return 1;
	}

	/* 100 words: mostly vocabulary and function words, with 3 signals and
	 * 2 distress phrases inside */
	char message[4096];
	size_t len = 0, words = 0;
	while (words < MESSAGE_WORDS) {
		const char *w;
		size_t nw = 1;
		uint32_t r = rnd() % 100;
		if (r < 4 && words + 3 <= MESSAGE_WORDS) {
			w = signals[rnd() % NSIGNALS];
		} else if (r < 6 && words + 8 <= MESSAGE_WORDS) {
			w = distress[rnd() % NDISTRESS];
		} else {
			w = word(40);
		}
		for (const char *p = w; *p; p++)
			nw += *p == ' ';
		if (words + nw > MESSAGE_WORDS)
			continue;
		len += (size_t)snprintf(message + len, sizeof message - len, "%s%s", len ? " " : "", w);
		words += nw;
	}

	const lexicon_culture *c = lexicon_culture_find(l, "synthetic");
	lexicon_opts o;
	lexicon_opts_default(&o);
	lexicon_result r;
	size_t found = 0;
	for (int i = 0; i < 100; i++) { /* warm up */
		if (lexicon_match(l, c, message, len, &o, &r) < 0)
			return 1;
		lexicon_result_clear(&r);
	}
	uint64_t t0 = now();
	for (int i = 0; i < CALLS; i++) {
		if (lexicon_match(l, c, message, len, &o, &r) < 0)
			return 1;
		found += r.nsignals + r.ndistress + r.nstrategies;
		lexicon_result_clear(&r);
	}
	uint64_t ns = (now() - t0) / CALLS;
	printf("lexicon_match: %llu ns per call (%d-word message, %d signals, %d distress phrases)\n",
	       (unsigned long long)ns, MESSAGE_WORDS, NSIGNALS, NDISTRESS);
	lexicon_match(l, c, message, len, &o, &r);
	printf("  per call: %zu signals, %zu distress phrases, %zu strategies (%zu results in all)\n", r.nsignals,
	       r.ndistress, r.nstrategies, found);
	lexicon_result_clear(&r);

	/* a long message: the 100 words repeated to 16000 characters */
	static char big[16100];
	size_t blen = 0;
	while (blen + len + 1 < 16000) {
		memcpy(big + blen, message, len);
		blen += len;
		big[blen++] = ' ';
	}
	int big_calls = CALLS / 100;
	t0 = now();
	for (int i = 0; i < big_calls; i++) {
		if (lexicon_match(l, c, big, blen, &o, &r) < 0)
			return 1;
		lexicon_result_clear(&r);
	}
	printf("lexicon_match: %llu ns per call (%zu-character message)\n",
	       (unsigned long long)((now() - t0) / (uint64_t)big_calls), blen);
	lexicon_unref(l);
	return 0;
}
