/* The crisis-risk normaliser: risk_text_build (server/safety/risk_text.c)
 * on any bytes, as a message or (first byte odd) as a pattern. Its words
 * lie inside its text, in order, with no separator inside one, and its
 * clause and sentence numbers never go back. */
#include <stdbool.h>
#include <string.h>

#include "server/safety/risk_internal.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	bool pattern = data[0] & 1;
	text t;
	memset(&t, 0, sizeof t);
	if (risk_text_build(&t, (const char *)data + 1, size - 1, pattern) == 0) {
		size_t end = 0;
		for (size_t i = 0; i < t.ntoks; i++) {
			const tok *k = &t.toks[i];
			FUZZ_CHECK(k->len > 0 && k->off >= end && k->off + k->len <= t.len);
			FUZZ_CHECK(!memchr(t.buf + k->off, ' ', k->len) && !memchr(t.buf + k->off, '\n', k->len));
			if (i > 0) {
				FUZZ_CHECK(k->clause >= t.toks[i - 1].clause);
				FUZZ_CHECK(k->sentence >= t.toks[i - 1].sentence);
				FUZZ_CHECK(k->reach >= t.toks[i - 1].reach);
			}
			end = k->off + k->len;
		}
		FUZZ_CHECK(t.ntoks == 0 || t.nclauses > 0);
	}
	risk_text_clear(&t);
	return 0;
}
