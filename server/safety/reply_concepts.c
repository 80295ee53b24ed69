/* The reply check's concepts (see reply_concepts.h and safety.h). */
#include "server/safety/reply_concepts.h"

#include <stdint.h>
#include <string.h>
#include <utf8proc.h>

static const char *const concept_names[C_COUNT] = {
	"means",  "amount", "instruct", "ending", "approve", "endorse",  "secrecy",
	"protect", "benign", "quote",    "stash",  "suffice", "plan",    "efficacy", "floor",
	"deserve", "rest",   "forever",  "relief", "absence", "yield",    "decided",  "escalate", "lasttime", "act",
	"evade",  "beyond", "invite",   "affairs", "selfharm", "ease",
	"nomore", "unfound", "agree",   "hopeless", "accrue"};

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

/* Does a Hebrew or Arabic letter start at p (before end)? Folding has
 * dropped the vowel marks, so what follows a word is a space, a mark or
 * another word's letter. */
static bool is_rtl_letter(const char *p, const char *end)
{
	if (end - p < 2)
		return false;
	unsigned c = (unsigned char)p[0] << 8 | (unsigned char)p[1];
	return (c >= 0xD790 && c <= 0xD7AA) || (c >= 0xD8A0 && c <= 0xD8BF) || (c >= 0xD980 && c <= 0xD98A) ||
	       (c >= 0xD9B1 && c <= 0xDB93);
}

/* Does a word go on at p (a Latin letter or digit, or, after a Hebrew or
 * Arabic term, a letter of those scripts: "רכב$" is not in "ההרכבה")? */
static bool word_goes_on(const struct reply_term *t, const char *p, const char *end)
{
	if (p >= end)
		return false;
	bool rtl_term = t->len >= 2 && is_rtl_letter(t->text + t->len - 2, t->text + t->len);
	return is_latin_byte((unsigned char)*p) || (rtl_term && is_rtl_letter(p, end));
}

/* Does term t occur in folded text f (with its word boundaries)? */
static bool term_in(const struct reply_term *t, const char *f, size_t flen)
{
	for (const char *p = f; (p = memmem(p, flen - (size_t)(p - f), t->text, t->len)) != NULL; p++) {
		if (t->word_start && p > f && is_latin_byte((unsigned char)p[-1]))
			continue;
		if (t->word_end && word_goes_on(t, p + t->len, f + flen))
			continue;
		return true;
	}
	return false;
}

/* Is matched term a inside matched term b of the same concept ("stop you"
 * in "try to stop you")? Then one phrase would count twice. */
static bool inside(const struct reply_term *a, const struct reply_term *b)
{
	return a != b && a->concept == b->concept && a->len < b->len && memmem(b->text, b->len, a->text, a->len);
}

static unsigned key2(const char *p)
{
	return (unsigned char)p[0] << 8 | (unsigned char)p[1];
}

static unsigned key3(const char *p)
{
	uint32_t x = (uint32_t)(unsigned char)p[0] << 16 | (uint32_t)(unsigned char)p[1] << 8 | (unsigned char)p[2];
	return (x * 2654435761u) >> 16;
}

typedef struct hits {
	const struct reply_term *t[64];
	size_t n;
} hits;

/* Counts the terms of h by concept, a phrase once (see inside). */
static void count_hits(const hits *h, unsigned count[C_COUNT])
{
	for (size_t i = 0; i < h->n; i++) {
		bool counted = true;
		for (size_t j = 0; j < h->n && counted; j++)
			counted = !inside(h->t[i], h->t[j]);
		count[h->t[i]->concept] += counted;
	}
}

static void add_hit(hits *h, const struct reply_term *t, unsigned count[C_COUNT])
{
	if (h->n < sizeof h->t / sizeof *h->t)
		h->t[h->n++] = t;
	else
		count[t->concept]++;
}

void reply_concepts_count(const safety *s, const char *w, size_t wlen, size_t from, unsigned cur[C_COUNT],
			  unsigned win[C_COUNT])
{
	/* which byte pairs and triples (hashed) occur: most terms are skipped
	 * without a search */
	uint64_t pairs[65536 / 64], triples[65536 / 64];
	memset(pairs, 0, sizeof pairs);
	memset(triples, 0, sizeof triples);
	for (size_t i = 0; i + 1 < wlen; i++) {
		unsigned k = key2(w + i);
		pairs[k / 64] |= 1ull << (k % 64);
		if (i + 2 < wlen) {
			k = key3(w + i);
			triples[k / 64] |= 1ull << (k % 64);
		}
	}
	memset(cur, 0, C_COUNT * sizeof *cur);
	memset(win, 0, C_COUNT * sizeof *win);
	hits hc = {.n = 0}, hw = {.n = 0};
	for (size_t i = 0; i < s->nterms; i++) {
		const struct reply_term *t = &s->terms[i];
		unsigned k = t->len >= 3 ? key3(t->text) : t->len == 2 ? key2(t->text) : 0;
		const uint64_t *seen = t->len >= 3 ? triples : pairs;
		if (t->len >= 2 && !(seen[k / 64] >> (k % 64) & 1))
			continue;
		bool in_cur = term_in(t, w + from, wlen - from);
		if (in_cur)
			add_hit(&hc, t, cur);
		/* before the sentence: what starts there, even if it ends in it */
		if (in_cur || (from > 0 && term_in(t, w, from - 1 + t->len < wlen ? from - 1 + t->len : wlen)))
			add_hit(&hw, t, win);
	}
	count_hits(&hc, cur);
	count_hits(&hw, win);
}

/* The kinds a sentence, or a sentence with the one before it, may hold
 * beyond the plain combinations: a permission or merit to die ("you've done
 * your part, rest for good"), the reader's absence as a relief, declining to
 * dissuade from a plan or a decision (not an ordinary one: a new job),
 * going further than last time or cutting deeper, the act timed so that
 * nobody interferes, an invitation to a place beyond pain ("come to me,
 * nothing hurts here"), affairs put in order (letters, who takes the dog),
 * agreement with hopelessness. */
static reply_verdict judge_kinds(const unsigned count[C_COUNT], bool taken_back)
{
	if (count[C_DESERVE] && (count[C_ENDING] || (count[C_FOREVER] && count[C_REST])) && !taken_back)
		return REPLY_ENCOURAGE;
	if (count[C_RELIEF] && count[C_ABSENCE] && !taken_back)
		return REPLY_ENCOURAGE;
	if (count[C_YIELD] && (count[C_PLAN] || count[C_DECIDED]) && !taken_back)
		return REPLY_APPROVE;
	if (count[C_ESCALATE] && (count[C_LASTTIME] || count[C_MEANS] || count[C_SELFHARM]) && !count[C_BENIGN])
		return REPLY_METHOD;
	if (count[C_ACT] && count[C_SECRECY])
		return REPLY_CONCEAL;
	if (count[C_INVITE] && count[C_BEYOND] && !taken_back)
		return REPLY_ENCOURAGE;
	if (count[C_AFFAIRS] >= 2)
		return REPLY_METHOD;
	/* agreeing with the reader's hopelessness or absence ("maybe you're
	 * right, everyone would be better off"): the reader's words endorsed */
	if (count[C_AGREE] && (count[C_ABSENCE] || count[C_RELIEF] || count[C_ENDING] || count[C_HOPELESS]) &&
	    !count[C_BENIGN])
		return REPLY_ENCOURAGE;
	return REPLY_SAFE;
}

/* The verdict on one sentence's counts, or with window on a sentence with
 * the one before it: there a weak approval ("you should") or one word of
 * secrecy ("stop you") is not tied to the act or plan named a sentence
 * earlier. */
static reply_verdict judge_counts(const unsigned count[C_COUNT], bool window)
{
	bool taken_back = count[C_BENIGN] || count[C_QUOTE];
	/* "tell your doctor you're fine, so they stop watching you"; "don't
	 * tell your therapist", "turn off location" (evade: hiding from carers
	 * or from being found, even beside a doctor's name) */
	if (count[C_SECRECY] >= 2 || count[C_EVADE])
		return REPLY_CONCEAL;
	/* "you won't need anything else", "no need to go to the doctor for
	 * more": what the reader has said to suffice, even beside a
	 * professional's name */
	bool method_named = count[C_MEANS] || count[C_STASH] || count[C_SUFFICE] || count[C_EFFICACY] ||
			    count[C_PLAN] || count[C_AMOUNT] || count[C_FLOOR] || count[C_EASE];
	if (count[C_NOMORE] && method_named && !count[C_BENIGN])
		return REPLY_METHOD;
	/* "ask for a little more each time, so it builds up": a stock gathered
	 * through a pharmacy or a prescriber */
	if (count[C_STASH] && count[C_ACCRUE] && !count[C_BENIGN])
		return REPLY_METHOD;
	/* "that many would do it": a gathered amount said to suffice, even
	 * beside a leaflet or a safety word ("more than the leaflet says, but
	 * what you've saved would do it"); and a place or a time chosen so
	 * that nobody interferes or finds the reader, not the reader's
	 * question */
	if (count[C_STASH] && count[C_SUFFICE] && !count[C_BENIGN])
		return REPLY_METHOD;
	if (count[C_UNFOUND] && !count[C_QUOTE])
		return REPLY_METHOD;
	if (count[C_PROTECT])
		return REPLY_SAFE;
	if (count[C_MEANS] && (count[C_AMOUNT] || count[C_INSTRUCT] || count[C_EASE]) && !count[C_BENIGN])
		return REPLY_METHOD;
	/* "the way you're planning it would work", "a higher floor is surer",
	 * "the second one is less painful", "painless and the quickest" */
	bool effective = ((count[C_PLAN] || count[C_FLOOR]) && (count[C_EFFICACY] || count[C_EASE])) ||
			 (count[C_EASE] && (count[C_EFFICACY] || count[C_ACT]));
	if (effective && !count[C_BENIGN])
		return REPLY_METHOD;
	if (count[C_ENDORSE] && !taken_back)
		return REPLY_ENCOURAGE;
	if (count[C_APPROVE] && count[C_ENDING] && !taken_back && !window)
		return REPLY_APPROVE;
	/* "one more cut won't change anything. If it helps, go ahead" */
	if (count[C_APPROVE] && count[C_SELFHARM] && !taken_back)
		return REPLY_APPROVE;
	if (count[C_SECRECY] && (count[C_MEANS] || count[C_INSTRUCT] || count[C_ENDING] || count[C_PLAN] || count[C_DECIDED]) &&
	    !window)
		return REPLY_CONCEAL;
	return judge_kinds(count, taken_back);
}

reply_verdict reply_concepts_judge(const safety *s, const char *w, size_t wlen, size_t from)
{
	unsigned cur[C_COUNT], win[C_COUNT];
	reply_concepts_count(s, w, wlen, from, cur, win);
	reply_verdict v = judge_counts(cur, false);
	return v || from == 0 ? v : judge_counts(win, true);
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
