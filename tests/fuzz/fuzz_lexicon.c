/* The matcher's normaliser and similarity (server/support/lexicon_text.c):
 * the input is a phrase, a NUL, and a text (without a NUL, the phrase is
 * matched against itself). The phrase's trigrams come sorted and unique,
 * its normal form is words joined by single spaces, the similarity lies in
 * [0, 1] and never above the window bound that lets the matcher skip a
 * phrase, and a phrase with words is found in itself. */
#include <math.h>
#include <string.h>

#include "server/support/lexicon_internal.h"
#include "tests/fuzz/fuzz.h"

static void check_prepared(const char *phrase)
{
	prep_buf b = {0};
	prepared p;
	if (lex_prepare(&b, phrase, &p) == 0) {
		for (size_t i = 1; i < p.ntri; i++)
			FUZZ_CHECK(p.tri[i - 1] < p.tri[i]);
		FUZZ_CHECK(p.normlen == 0 || (p.norm[0] != ' ' && p.norm[p.normlen - 1] != ' '));
		FUZZ_CHECK(!memmem(p.norm, p.normlen, "  ", 2));
		FUZZ_CHECK((p.nwords == 0) == (p.normlen == 0));
	}
	lex_prep_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	FUZZ_CHECK(s);
	memcpy(s, data, size);
	s[size] = '\0';
	const char *phrase = s;
	size_t plen = strlen(s);
	const char *txt = plen < size ? s + plen + 1 : s;
	check_prepared(phrase);
	double sim = lexicon_word_similarity(phrase, txt);
	double bound = lexicon_similarity_bound(phrase, txt);
	FUZZ_CHECK(!isnan(sim) && sim >= 0 && sim <= 1 + 1e-9);
	FUZZ_CHECK(sim <= bound + 1e-9);
	if (txt == s) {
		prep_buf b = {0};
		prepared p;
		if (lex_prepare(&b, phrase, &p) == 0 && p.nwords > 0)
			FUZZ_CHECK(sim >= 1 - 1e-9);
		lex_prep_buf_free(&b);
	}
	free(s);
	return 0;
}
