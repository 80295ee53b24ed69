/* The reply check's concepts (see reply_concepts.h and safety.h). */
#include "server/safety/reply_concepts.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

static const char *const concept_names[C_COUNT] = {
	"means",  "amount", "instruct", "ending", "approve", "endorse",  "secrecy",
	"protect", "benign", "quote",    "stash",  "suffice", "plan",    "efficacy", "floor"};

int reply_concept_index(const char *name)
{
	for (int i = 0; name && i < C_COUNT; i++)
		if (strcmp(name, concept_names[i]) == 0)
			return i;
	return -1;
}

static bool is_latin_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* Does term t occur in folded text f (with its word boundaries)? */
static bool term_in(const struct reply_term *t, const char *f, size_t flen)
{
	for (const char *p = f; (p = memmem(p, flen - (size_t)(p - f), t->text, t->len)) != NULL; p++) {
		if (t->word_start && p > f && is_latin_byte((unsigned char)p[-1]))
			continue;
		if (t->word_end && p + t->len < f + flen && is_latin_byte((unsigned char)p[t->len]))
			continue;
		return true;
	}
	return false;
}

void reply_concepts_count(const safety *s, const char *f, size_t flen, unsigned count[C_COUNT])
{
	/* which byte pairs occur: most terms are skipped without a search */
	uint64_t pairs[65536 / 64];
	memset(pairs, 0, sizeof pairs);
	for (size_t i = 0; i + 1 < flen; i++) {
		unsigned k = (unsigned char)f[i] << 8 | (unsigned char)f[i + 1];
		pairs[k / 64] |= 1ull << (k % 64);
	}
	memset(count, 0, C_COUNT * sizeof *count);
	for (size_t i = 0; i < s->nterms; i++) {
		const struct reply_term *t = &s->terms[i];
		if (t->len >= 2) {
			unsigned k = (unsigned char)t->text[0] << 8 | (unsigned char)t->text[1];
			if (!(pairs[k / 64] >> (k % 64) & 1))
				continue;
		}
		if (term_in(t, f, flen))
			count[t->concept]++;
	}
}

reply_verdict reply_concepts_judge(const safety *s, const char *f, size_t flen)
{
	unsigned count[C_COUNT];
	reply_concepts_count(s, f, flen, count);
	bool taken_back = count[C_BENIGN] || count[C_QUOTE];
	/* "tell your doctor you're fine, so they stop watching you" */
	if (count[C_SECRECY] >= 2)
		return REPLY_CONCEAL;
	if (count[C_PROTECT])
		return REPLY_SAFE;
	if (count[C_MEANS] && (count[C_AMOUNT] || count[C_INSTRUCT]))
		return REPLY_METHOD;
	/* "that many would do it": a gathered amount said to suffice */
	if (count[C_STASH] && count[C_SUFFICE] && !count[C_BENIGN])
		return REPLY_METHOD;
	/* "the way you're planning it would work", "a higher floor is surer" */
	if ((count[C_PLAN] || count[C_FLOOR]) && count[C_EFFICACY] && !count[C_BENIGN])
		return REPLY_METHOD;
	if (count[C_ENDORSE] && !taken_back)
		return REPLY_ENCOURAGE;
	if (count[C_APPROVE] && count[C_ENDING] && !taken_back)
		return REPLY_APPROVE;
	if (count[C_SECRECY] && (count[C_MEANS] || count[C_INSTRUCT] || count[C_ENDING] || count[C_PLAN]))
		return REPLY_CONCEAL;
	return REPLY_SAFE;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* The byte length of a lone letter or digit at s[i] (a space or the start
 * before it, a space, a punctuation mark or the end after it), else 0. */
static size_t lone_char(const char *s, size_t n, size_t i)
{
	if (i >= n || (i > 0 && !is_space(s[i - 1])))
		return 0;
	utf8proc_int32_t cp;
	utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i, (utf8proc_ssize_t)(n - i), &cp);
	size_t after = i + (size_t)(k > 0 ? k : 0);
	if (k <= 0 || (after < n && !is_space(s[after]) && (!s[after] || !strchr(",.;:!?", s[after]))))
		return 0;
	utf8proc_category_t c = utf8proc_category(cp);
	bool letter = c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO;
	bool digit = c >= UTF8PROC_CATEGORY_ND && c <= UTF8PROC_CATEGORY_NO;
	return letter || digit ? (size_t)k : 0;
}

/* The end of the run of lone characters starting at i; *count of them. */
static size_t lone_run(const char *s, size_t n, size_t i, size_t *count)
{
	size_t end = i, k;
	*count = 0;
	while ((k = lone_char(s, n, i)) != 0) {
		(*count)++;
		end = i + k;
		i = end;
		while (i < n && is_space(s[i]))
			i++;
	}
	return end;
}

size_t reply_unspace(char *s, size_t n)
{
	size_t o = 0, i = 0;
	while (i < n) {
		size_t count, end = lone_run(s, n, i, &count);
		if (count < 3) {
			/* a byte at a time: o <= i, and s[i - 1] is still what it was */
			size_t upto = count ? end : i + 1;
			while (i < upto)
				s[o++] = s[i++];
			continue;
		}
		while (i < end) {
			size_t g = i;
			while (g < end && is_space(s[g]))
				g++;
			if (g == i)
				s[o++] = s[i++];
			else if (g - i == 1 && s[i] == ' ')
				i = g;
			else
				while (i < g)
					s[o++] = s[i++];
		}
	}
	return o;
}
