/* Benchmark of lexicon_match (store/lexicon.c): a synthetic culture of 500
 * signal phrases, 400 distress phrases and 300 support phrases made of
 * deterministic pseudo-words mixed with common English function words, and
 * a 100-word message that contains some of them. Prints the mean time per
 * call; asserts nothing about it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/lexicon.h"

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

int main(void)
{
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
