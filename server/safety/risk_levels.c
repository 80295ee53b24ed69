/* Evaluating the matches of the crisis-risk rules into a level, categories
 * and reasons (the logic is described in server/safety/risk.c), and the
 * names of levels and reasons. */
#include "server/safety/risk_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

/* Most adjacent sentences whose concepts combine as a message's do. */
#define COMBINE_WINDOW 3

static const char *const level_names[] = {"none", "low", "moderate", "high", "imminent"};

/* ---- small helpers ---- */


static bool is_self_kind(unsigned k)
{
	return k <= K_PRESENCE;
}

static bool is_person_kind(unsigned k)
{
	return k == K_THIRD || k == K_FIRST;
}

/* Kinds that make a third person's match a concern for them. */
static bool is_concern_kind(unsigned k)
{
	return k == K_PASSIVE || k == K_ACTIVE || k == K_PAST_SH || k == K_RECENT_SH || k == K_INTENT ||
	       k == K_PREP || k == K_ACT || k == K_FINALITY || k == K_PRESENCE || k == K_SEEKING;
}

/* ---- evaluation ---- */

static bool overlaps(const match *a, const match *b)
{
	return a->start < b->end && b->start < a->end;
}

/* Marks m[i] dead when it overlaps a match of the group [a, b) whose kind
 * satisfies pred. Matches are sorted by start and cover at most span words. */
static void kill_overlapping(match *m, size_t a, size_t b, size_t i, size_t span, bool (*pred)(unsigned))
{
	for (size_t j = i; j-- > a && m[j].start + span >= m[i].start;)
		if (pred(m[j].kind) && overlaps(&m[i], &m[j])) {
			m[i].dead = true;
			return;
		}
	for (size_t j = i + 1; j < b && m[j].start < m[i].end; j++)
		if (pred(m[j].kind) && overlaps(&m[i], &m[j])) {
			m[i].dead = true;
			return;
		}
}

static bool pred_third(unsigned k)
{
	return k == K_THIRD;
}

static bool pred_other_harm(unsigned k)
{
	return k == K_HARM_OTHERS || k == K_ABUSE || k == K_IDIOM;
}

/* The per-clause context of the matches of one language and clause, sorted
 * by start: overlaps, the nearest person cue and the negation before each. */
static void annotate_clause(match *m, size_t a, size_t b, size_t span)
{
	for (size_t i = a; i < b; i++) {
		if (m[i].kind == K_FIRST)
			kill_overlapping(m, a, b, i, span, pred_third);
		else if (is_self_kind(m[i].kind))
			kill_overlapping(m, a, b, i, span, pred_other_harm);
	}
	size_t person = NONE, pend_person = NONE;
	size_t neg_end = 0, pend_neg_end = 0;
	bool has_neg = false, pend_has_neg = false, first = false;
	for (size_t i = a; i < b;) {
		size_t j = i;
		/* Context from the cues starting strictly before this start. */
		for (; j < b && m[j].start == m[i].start; j++) {
			m[j].before = person;
			m[j].first_before = first;
			m[j].neg_end = neg_end;
			m[j].has_neg = has_neg;
		}
		for (size_t k = i; k < j; k++) {
			if (m[k].dead)
				continue;
			if (is_person_kind(m[k].kind)) {
				pend_person = k;
			} else if (m[k].kind == K_NEGATION) {
				if (!pend_has_neg || m[k].end > pend_neg_end)
					pend_neg_end = m[k].end;
				pend_has_neg = true;
			}
		}
		if (pend_has_neg) {
			if (!has_neg || pend_neg_end > neg_end)
				neg_end = pend_neg_end;
			has_neg = true;
			pend_has_neg = false;
		}
		if (pend_person != NONE) {
			person = pend_person;
			first = first || m[person].kind == K_FIRST;
			/* A person cue separates earlier negations from what follows. */
			if (has_neg && neg_end <= m[person].start)
				has_neg = false;
			pend_person = NONE;
		}
		i = j;
	}
}

/* Whose match is m[i] (in its sorted group [a, b)): true for a third
 * person. */
static bool third_person_match(const text *t, const match *m, size_t a, size_t b, size_t i)
{
	unsigned kind = m[i].kind;
	if (kind == K_TIME || kind == K_QUANTITY || kind == K_REMOTE || kind == K_RECENT || kind == K_MEDICAL ||
	    kind == K_TOPIC || kind == K_JEST)
		return false; /* no one's: "after they sleep" is the writer's time */
	size_t k = i;
	while (k > a && m[k - 1].start == m[i].start)
		k--;
	bool first_in = false, third_in = false;
	for (; k < b && m[k].start < m[i].end; k++) {
		if (k == i || m[k].dead || m[k].end > m[i].end)
			continue;
		if (m[k].kind == K_FIRST)
			first_in = true;
		else if (m[k].kind == K_THIRD)
			third_in = true;
	}
	if (first_in)
		return false;
	if (third_in && kind != K_FINALITY && kind != K_FAREWELL) /* "tell them I'm sorry" is the writer's */
		return true;
	if (m[i].before == NONE || m[m[i].before].kind != K_THIRD)
		return false;
	if ((kind == K_METHOD || kind == K_FAREWELL || kind == K_FINALITY) && m[i].first_before)
		return false; /* once the writer spoke, a means and a farewell are theirs: "I took her
				 pills", "I wrote a note for my mum so she knows" */
	size_t cue_end = m[m[i].before].end;
	if (cue_end >= m[i].start)
		return true;
	return t->toks[m[i].start].reach - t->toks[cue_end].reach <= THIRD_REACH;
}

/* The reasons (risk.h) a set of the writer's concepts gives. */
static unsigned reasons_of(const bool f[K_COUNT])
{
	static const unsigned bit[K_COUNT] = {
		[K_PASSIVE] = RISK_REASON_IDEATION, [K_ACTIVE] = RISK_REASON_IDEATION,
		[K_HOPELESS] = RISK_REASON_HOPELESSNESS, [K_PAST_SH] = RISK_REASON_SELF_HARM,
		[K_RECENT_SH] = RISK_REASON_SELF_HARM, [K_METHOD] = RISK_REASON_MEANS,
		[K_INTENT] = RISK_REASON_INTENT, [K_TIME] = RISK_REASON_TIME,
		[K_PREP] = RISK_REASON_PREPARATION, [K_ACT] = RISK_REASON_ACT,
		[K_QUANTITY] = RISK_REASON_QUANTITY, [K_FINALITY] = RISK_REASON_FINALITY,
		[K_SEEKING] = RISK_REASON_METHOD_SEEKING, [K_PRESENCE] = RISK_REASON_MEANS_IN_PLACE,
	};
	unsigned r = 0;
	for (unsigned k = 0; k < K_COUNT; k++)
		if (f[k])
			r |= bit[k];
	return r;
}

/* Concepts of the writer's that co-occur in one sentence, in any order and
 * at any distance: an act done with a means, or with a quantity and a
 * time ("took them all twenty minutes ago"), a means in place, finality
 * with a means or a time, method seeking, intent with a time ("it's all
 * arranged. Sunday morning"), a plain farewell ("bye everyone", which
 * alone is nothing) with a means or ideation, or with an act done and a
 * means. */
static risk_level sentence_level(const bool f[K_COUNT])
{
	bool ideation = f[K_PASSIVE] || f[K_ACTIVE];
	risk_level l = RISK_NONE;
	if ((f[K_SEEKING] && (f[K_METHOD] || ideation)) || (f[K_FAREWELL] && (f[K_METHOD] || ideation)) ||
	    (f[K_INTENT] && f[K_TIME]))
		l = RISK_HIGH;
	if ((f[K_ACT] && f[K_METHOD] && (f[K_QUANTITY] || ideation || f[K_FINALITY] || f[K_INTENT])) ||
	    (f[K_PRESENCE] && f[K_METHOD]) || (f[K_FAREWELL] && f[K_ACT] && f[K_METHOD]) ||
	    (f[K_ACT] && f[K_QUANTITY] && (f[K_TIME] || f[K_RECENT])) ||
	    (f[K_FINALITY] && (f[K_METHOD] || f[K_TIME] || f[K_INTENT] || ideation || f[K_ACT] || f[K_PRESENCE])))
		l = RISK_IMMINENT;
	return l;
}

/* The safety floor: uncertain is not safe. Method seeking, a finality cue,
 * or, in a message in the first person, a means together with any other
 * concept of risk (an act, a quantity, being in place, intent,
 * hopelessness) is at least moderate; not a means and an act alone with a
 * stated ailment (medical). */
static bool floor_applies(const bool f[K_COUNT])
{
	return f[K_SEEKING] || f[K_FINALITY] ||
	       (f[K_METHOD] && f[K_FIRST] && (f[K_ACT] || f[K_QUANTITY] || f[K_PRESENCE] || f[K_INTENT] ||
				f[K_HOPELESS]) &&
		/* a means taken for a stated ailment, and nothing else of risk: "I took two
		 * paracetamol for my headache" is not uncertain */
		!(f[K_MEDICAL] && !f[K_PRESENCE] && !f[K_INTENT] && !f[K_HOPELESS] && !f[K_QUANTITY]));
}

static risk_level level_of(const bool f[K_COUNT])
{
	bool ideation = f[K_PASSIVE] || f[K_ACTIVE];
	risk_level l = RISK_NONE;
	if (f[K_PASSIVE] || f[K_HOPELESS])
		l = RISK_LOW;
	if (f[K_ACTIVE] || f[K_PAST_SH] || (f[K_PASSIVE] && f[K_TIME]))
		l = RISK_MODERATE;
	/* intent with a time or a farewell anywhere in the message: "I know
	 * how. [...] Friday.", "Everything is ready. [...] Sorry mom." */
	if (f[K_RECENT_SH] || (ideation && f[K_METHOD]) || (f[K_INTENT] && (ideation || f[K_METHOD])) ||
	    (f[K_ACTIVE] && f[K_TIME]) || (f[K_INTENT] && (f[K_TIME] || f[K_FAREWELL])))
		l = RISK_HIGH;
	if (f[K_FINALITY] && l < RISK_HIGH)
		l = RISK_HIGH;
	if (f[K_PREP] || (f[K_TIME] && f[K_METHOD] && (ideation || f[K_INTENT])) ||
	    (f[K_TIME] && f[K_INTENT] && ideation))
		l = RISK_IMMINENT;
	return l;
}

/* Kinds that speak of what is over in the remote past or a topic (their
 * acts, means, plans and farewells). */
static const unsigned over_kinds[] = {K_ACT,	  K_PREP,     K_RECENT_SH, K_METHOD, K_QUANTITY, K_PRESENCE,
				      K_FINALITY, K_INTENT, K_SEEKING,   K_TIME,     K_FAREWELL};

static bool is_lowered_ideation(unsigned k)
{
	return k == K_ACTIVE || k == K_PAST_SH || k == K_PASSIVE;
}

/* A clause of the remote past: a live remote_past cue and no time,
 * recent_past or cue of what is to come (finality, a farewell,
 * preparation, intent, method seeking, a means in place) in the clause
 * [c, d) itself, whatever the rest of its sentence says ("ten years ago I
 * tried to end my life, today I'm married"), but no recent_past cue in
 * the sentence (of the group [a, b)): "I tried two years ago, now the
 * thoughts are back". Its ideation, acts, means and quantities are over. */
static bool clause_remote(const match *m, size_t a, size_t b, size_t c, size_t d)
{
	bool remote = false;
	for (size_t i = c; i < d; i++) {
		unsigned k = m[i].kind;
		if (m[i].dead)
			continue;
		if (k == K_TIME || k == K_RECENT || k == K_FINALITY || k == K_FAREWELL || k == K_PREP ||
		    k == K_INTENT || k == K_SEEKING || k == K_PRESENCE || k == K_RECENT_SH)
			return false;
		remote = remote || k == K_REMOTE;
	}
	for (size_t i = a; remote && i < b; i++)
		if (!m[i].dead && m[i].kind == K_RECENT && m[i].sentence == m[c].sentence)
			return false;
	return remote;
}

static bool negated(const match *m)
{
	return m->has_neg && m->neg_end + NEG_GAP >= m->start;
}

/* Most words between a match and the laughter or joke that makes it a
 * figure of speech. */
#define JEST_GAP 2

/* Laughter or a joke said, not denied, right after m[i] in its clause
 * ("kill me now 😂", "想死哈哈哈"), and nothing heavier in its sentence (an
 * act, a quantity, intent, a time, preparation, self-harm under way, a
 * means in place, finality, method seeking or a farewell): a figure of
 * speech. m[i] is of the group [a, b). */
static bool jest_after(const match *m, size_t a, size_t b, size_t i)
{
	bool jest = false;
	for (size_t j = a; j < b; j++) {
		unsigned k = m[j].kind;
		if (m[j].dead || m[j].sentence != m[i].sentence)
			continue;
		if (k == K_ACT || k == K_QUANTITY || k == K_PREP || k == K_RECENT_SH || k == K_PRESENCE ||
		    k == K_FINALITY || k == K_SEEKING || k == K_FAREWELL || k == K_INTENT || k == K_TIME)
			return false;
		jest = jest || (k == K_JEST && m[j].clause == m[i].clause && !negated(&m[j]) &&
				m[j].start >= m[i].end && m[j].start <= m[i].end + JEST_GAP);
	}
	return jest;
}

/* Whether its context lowers m[i] (of the group [a, b)): a clause of the
 * remote past its ideation, acts, means and quantities; a jest right after
 * it its ideation, hopelessness and means. Ideation lowered is marked
 * K_REMOTE_LOW in f. */
static bool context_lowers(const match *m, size_t a, size_t b, size_t i, bool remote, bool *f)
{
	unsigned k = m[i].kind;
	bool lowered = (remote && (k == K_ACT || k == K_METHOD || k == K_QUANTITY || is_lowered_ideation(k))) ||
		       ((k == K_HOPELESS || k == K_METHOD || is_lowered_ideation(k)) && jest_after(m, a, b, i));
	if (lowered && (is_lowered_ideation(k) || k == K_HOPELESS))
		f[K_REMOTE_LOW] = true;
	return lowered;
}

void risk_evaluate_lang(const text *t, match *m, size_t a, size_t b, size_t span, sentence_flags *sent,
			unsigned *cats, size_t *farewells)
{
	size_t farewell_end = 0; /* farewells counted do not overlap */
	for (size_t c = a; c < b;) {
		size_t d = c;
		while (d < b && m[d].clause == m[c].clause)
			d++;
		annotate_clause(m, c, d, span);
		c = d;
	}
	for (size_t c = a; c < b;) {
		size_t d = c;
		while (d < b && m[d].clause == m[c].clause)
			d++;
		bool remote = clause_remote(m, a, b, c, d);
		for (size_t i = c; i < d; i++) {
			unsigned k = m[i].kind;
			bool *f = sent[m[i].sentence];
			if (k == K_FIRST && !m[i].dead)
				f[K_FIRST] = true;
			if (m[i].dead || k == K_NEGATION || k == K_IDIOM || is_person_kind(k))
				continue;
			if (negated(&m[i]))
				continue;
			if (k == K_HARM_OTHERS)
				*cats |= RISK_CAT_HARM_OTHERS;
			else if (k == K_ABUSE)
				*cats |= RISK_CAT_ABUSE;
			else if (third_person_match(t, m, c, d, i)) {
				if (is_concern_kind(k))
					*cats |= RISK_CAT_THIRD_PERSON;
			} else if (!context_lowers(m, a, b, i, remote, f)) {
				f[k] = true;
				if (k == K_FAREWELL &&
				    (m[i].start >= farewell_end || !farewells[m[i].sentence])) {
					farewells[m[i].sentence]++;
					farewell_end = m[i].end;
				}
			}
		}
		c = d;
	}
}

/* A sentence in the remote past ("years ago", "used to", "back in school")
 * and without a recent or present time, or one with suicide as a topic
 * (a novel, research, the news), speaks of what is over or not the
 * writer's: its acts,
 * means, plans and farewells count for nothing, its ideation and past
 * self-harm as low ideation that combines with nothing (true when there
 * was some). */
static bool lower_remote(bool f[K_FLAGS])
{
	bool remote = f[K_REMOTE] && !f[K_RECENT] && !f[K_TIME];
	/* Suicide as a topic (a novel, a study, the news) is lowered alike,
	 * whatever its time, unless the writer prepares, decides, seeks a
	 * method or is in place in that sentence. */
	bool topic = f[K_TOPIC] && !f[K_RECENT] && !f[K_PREP] && !f[K_INTENT] && !f[K_PRESENCE] &&
		     !f[K_FINALITY] && !f[K_SEEKING];
	if (!remote && !topic)
		return f[K_REMOTE_LOW];
	for (size_t i = 0; i < sizeof over_kinds / sizeof *over_kinds; i++)
		f[over_kinds[i]] = false;
	bool lowered = f[K_ACTIVE] || f[K_PAST_SH] || f[K_PASSIVE] || f[K_REMOTE_LOW];
	f[K_ACTIVE] = f[K_PAST_SH] = f[K_PASSIVE] = false;
	return lowered;
}

/* The message-level combinations (level_of) and the safety floor over the
 * writer's concepts of the sentences [a, b] together, two farewells or more
 * among them being finality. Adds those concepts to all and sets *floor
 * when the floor applies to them. */
static risk_level window_level(const sentence_flags *sent, const size_t *farewells, size_t a, size_t b,
			       bool all[K_COUNT], bool *floor)
{
	bool f[K_COUNT] = {false};
	size_t fw = 0;
	for (size_t s = a; s <= b; s++) {
		for (unsigned k = 0; k < K_COUNT; k++)
			f[k] = f[k] || sent[s][k];
		fw += farewells[s];
	}
	/* Several farewells together are a goodbye: "Left a note. Everything's
	 * sorted, the cat goes to her." */
	if (fw >= 2)
		f[K_FINALITY] = true;
	for (unsigned k = 0; k < K_COUNT; k++)
		all[k] = all[k] || f[k];
	if (floor_applies(f))
		*floor = true;
	return level_of(f);
}

risk_level risk_level_of(sentence_flags *sent, size_t n, const size_t *farewells, unsigned *reasons)
{
	bool writer[K_COUNT] = {false};
	risk_level l = RISK_NONE;
	/* Ideation of the remote past is low and combines with nothing: "Ten
	 * years ago I attempted suicide. Today I'm a nurse." */
	bool remote_low = false, floor = false;
	size_t topic_at = NONE;
	for (size_t s = 0; s < n; s++) {
		/* a subject, once named, holds for the sentences after it within
		 * the window: "I'm writing a novel. How do I write about
		 * suicide?" */
		if (sent[s][K_TOPIC])
			topic_at = s;
		else if (topic_at != NONE && s - topic_at < COMBINE_WINDOW)
			sent[s][K_TOPIC] = true;
		remote_low = lower_remote(sent[s]) || remote_low;
		/* Concepts combine within a sentence, and with the one before it:
		 * a means in one, a time or an act in the next; not a quantity,
		 * which speaks of its own sentence ("I took the pills. All of it
		 * is too much."). */
		bool pair[K_COUNT];
		for (unsigned k = 0; k < K_COUNT; k++)
			pair[k] = k != K_QUANTITY && (sent[s][k] || (s && sent[s - 1][k]));
		risk_level sl = sentence_level(sent[s]), pl = sentence_level(pair);
		if (pl > sl)
			sl = pl;
		/* The message-level combinations and the floor hold within
		 * COMBINE_WINDOW adjacent sentences, not across a paragraph: a
		 * means in one sentence and a time four sentences on speak of
		 * different things. */
		size_t from = s + 1 > COMBINE_WINDOW ? s + 1 - COMBINE_WINDOW : 0;
		risk_level wl = window_level(sent, farewells, from, s, writer, &floor);
		if (wl > sl)
			sl = wl;
		if (sl > l)
			l = sl;
	}
	unsigned why = reasons_of(writer);
	if (remote_low && l < RISK_LOW)
		l = RISK_LOW;
	if (remote_low)
		why |= RISK_REASON_IDEATION;
	if (l < RISK_MODERATE && floor) {
		l = RISK_MODERATE;
		why |= RISK_REASON_SAFETY_FLOOR;
	}
	if (l > RISK_NONE)
		*reasons |= why;
	return l;
}

/* ---- levels ---- */

const char *risk_level_name(risk_level l)
{
	if ((int)l < 0 || (size_t)l >= sizeof level_names / sizeof *level_names)
		return "unknown";
	return level_names[l];
}

bool risk_no_persona(risk_level level, bool role_play_at_low)
{
	return level >= (role_play_at_low ? RISK_MODERATE : RISK_LOW);
}

int risk_level_parse(const char *s, risk_level *out)
{
	if (!s || !out)
		return -1;
	for (size_t i = 0; i < sizeof level_names / sizeof *level_names; i++) {
		const char *n = level_names[i];
		size_t k = 0;
		while (n[k] && ascii_lower((unsigned char)s[k]) == n[k])
			k++;
		if (!n[k] && !s[k]) {
			*out = (risk_level)i;
			return 0;
		}
	}
	return -1;
}

const char *risk_reason_name(unsigned bit)
{
	static const char *const names[] = {"ideation",   "hopelessness", "self_harm",      "means",
					    "intent",     "time",         "preparation",    "act",
					    "quantity",   "finality",     "method_seeking", "means_in_place",
					    "safety_floor", "text_model"};
	for (size_t i = 0; i < sizeof names / sizeof *names; i++)
		if (bit == 1u << i)
			return names[i];
	return NULL;
}
