/* Crisis-risk assessment of a message from rules loaded from the database
 * (see server/safety/risk.h for the API, migrations/0002_safety.sql and
 * 0007_risk_concepts.sql for the rules).
 *
 * Normalisation. The message and every pattern are normalised the same way
 * into a sequence of words grouped in clauses:
 *  - text is decoded and lower-cased by server/unicode.h (utf8proc: the
 *    simple Unicode lower case, so ẞ becomes ß); u + combining diaeresis
 *    becomes ü, likewise a and o; fullwidth ASCII is read as ASCII;
 *  - apostrophes (' ’ ʼ `) are dropped, so "don't" and "dont" are the same
 *    word; a word ending in apostrophe + s also matches a pattern word
 *    without the s ("belt's" matches belt); invisible characters, other combining marks, Arabic vowel marks
 *    and tatweel and Hebrew points are dropped;
 *  - Arabic letter variants are folded: أ إ آ ٱ to ا, ى to ي, ة to ه;
 *  - a word is a maximal run of letters and digits (any script); every
 *    Han or kana character is a word of its own, so Chinese patterns match
 *    as plain substrings; so is every emoji (💊 is a means);
 *  - clauses end at . ! ? ; : , newline, … – — and their CJK, fullwidth,
 *    Arabic (، ؛ ؟) and Hebrew (sof pasuq) forms; all other punctuation,
 *    symbols and invalid UTF-8 bytes only separate words;
 *  - in a message (not a pattern), a Latin word that is no word of the
 *    patterns and one slip from a word of a risk concept is read as that
 *    word: "overdsoed" as overdosed (server/safety/risk_typo.c).
 *
 * Patterns (risk_rules.pattern). A phrase of one or more words that matches
 * where its words occur as consecutive whole words of one clause. Within a
 * word, `*` matches any (possibly empty) run of characters of that word:
 * `kill*` matches kill, killing, killed; `*נתחר*`-style patterns let Arabic
 * and Hebrew words carry attached prefixes and suffixes. A `*` standing alone
 * as a word (or between Han characters) is a gap of zero to four words
 * (Han characters count as words). Punctuation in a pattern only separates
 * words. A pattern without a word never matches.
 *
 * Kinds. For the writer's suicide and self-harm risk: passive_ideation
 * (wish to be dead), hopelessness, active_ideation (thoughts of killing
 * oneself), past_self_harm, recent_self_harm, method (means: pills, bridge,
 * rope..., or seeking one: "ways to die"), intent (decision, plan), time
 * (tonight, right now; not a bare "now", which is mostly a discourse word),
 * preparatory (preparatory acts or an act under way: pills taken, a goodbye
 * note, standing on a roof). Context cues: negation, third_person (a friend, he,
 * she), first_person (I, me, myself), remote_past (years ago, used to, back
 * in school, in recovery), recent_past (last night, yesterday, lately, the
 * urge is back), farewell (a plain goodbye), medical (a stated ailment:
 * for my headache) and topic (a novel, research, the news). Separate categories: harm_others and abuse.
 *
 * Logic. Every language's rules are matched against the whole message, and
 * every match is weighed with the cues of its own language only (so that
 * German "er" never reads as a person in an English message); the writer's
 * concepts of all languages are then joined per sentence, so that a
 * message in two languages combines ("i'm so done, לקחתי את כל ה-pills").
 * A rule without a letter (a number: "30") only applies where its
 * language's script occurs. For every match of a risk kind in a clause:
 *  - a self kind is dropped when it overlaps a harm_others or abuse match
 *    ("ihn umbringen" is harm to others, not the writer's ideation;
 *    "threatened to kill me" is abuse); a first_person cue overlapping a
 *    third_person cue is ignored ("my" in "my friend");
 *  - it is negated when a negation cue of the same clause starts before it
 *    and ends at most one word before it starts ("I would never kill
 *    myself", "ich würde mich niemals umbringen", "我不会自杀"; longer cues
 *    bridge more: "not going to"), unless a person cue starts in between.
 *    A negated match counts for nothing;
 *  - a self kind belongs to a third person when a third_person cue overlaps
 *    it and no first_person cue lies inside it ("kill herself", German
 *    "sich umzubringen"), or when the nearest person cue starting before it
 *    in the clause is a third_person one that ends at most four words
 *    before it ("my friend wants to die", "I think he wants to die"). Han
 *    characters count two words each there: Chinese often leaves the
 *    subject out ("我跟我妈吵架后就想死": after a quarrel with my mum I
 *    want to die), so the reach is kept to two characters. Otherwise it is
 *    the writer's ("my sister died and I want to die", no cue, a cue too
 *    far away): when in doubt, the writer is taken to be at risk. A time,
 *    a quantity, a remote or recent past and a farewell belong to no one
 *    ("after they sleep" is the writer's time), a means, a farewell and
 *    finality are the writer's once a first_person cue came before in the
 *    clause ("I took her pills", "I wrote a note for my mum so she
 *    knows"), and a finality match with a third_person cue inside it is
 *    still the writer's ("tell them I'm sorry").
 * An idiom match ("killed myself laughing", "dying of embarrassment")
 * hides the self kinds it overlaps, as harm_others and abuse do.
 * A third-person match of passive or active ideation, self-harm, intent or
 * preparatory kind sets RISK_CAT_THIRD_PERSON; harm_others and abuse set
 * their categories whoever is speaking. The writer's level combines the
 * kinds of the writer's matches within any three adjacent sentences of the
 * message (COMBINE_WINDOW in risk_levels.c; a message of up to three
 * sentences combines as a whole, a paragraph does not combine a means in
 * its first sentence with a time in its fifth):
 *   low       passive ideation or hopelessness
 *   moderate  active ideation; past self-harm; passive ideation + time
 *   high      recent self-harm; ideation (passive or active) + method;
 *             intent + (ideation, method, time or a farewell); active
 *             ideation + time
 *   imminent  preparatory; time + method + (ideation or intent);
 *             time + intent + ideation
 * A method, time or intent alone is nothing (a rope in a climbing story);
 * hopelessness does not combine. A finality cue alone (a farewell, a last
 * post, a note, a will, belongings given away) is high.
 *
 * Concepts in a sentence. The concept kinds act (an act done or under way:
 * took, swallowed, injected, jumped), quantity (all of, a whole bottle,
 * thirty), finality, method_seeking (how many, what height, a lethal dose)
 * and presence (standing on, sitting on, in my hand, is running, is tied)
 * combine with the other kinds of the writer's within one sentence (it ends
 * at . ! ? newline and their other forms), in any order and at any
 * distance, so that verb-final German, words between a verb and its means,
 * and Chinese without spaces all match:
 *   high      method_seeking + (method or ideation); intent + time
 *   imminent  act + method + (quantity, ideation, finality or intent);
 *             act + quantity + (time or recent past): "took them all
 *             twenty minutes ago"; presence + method; finality + (method,
 *             time, intent, ideation, act or presence)
 * Concepts also combine with those of the sentence before (a means in one
 * sentence, a time or an act in the next), quantities excepted ("I took
 * the pills. All of it is too much."). A farewell alone is nothing; with
 * a means or ideation it is high, with an act done and a means imminent; two farewells or more (not overlapping) are finality: "Left a
 * note. Everything's sorted, the cat goes to her." (within three adjacent
 * sentences). A farewell is the writer's as finality is.
 *
 * The remote past: a sentence with a remote_past cue and no recent_past or
 * time cue speaks of what is over. Its acts, means, quantities, presence,
 * plans, preparations, farewells, finality, method seeking and times count
 * for nothing, its ideation and past self-harm make the message low and
 * combine with nothing else (not with a time in another sentence): "Two
 * years ago I overdosed; today I graduated" is low at most, "I used to cut
 * and lately the urge is back" is not lowered. A sentence with a topic cue
 * (suicide spoken of as a subject: a novel, a screenplay, research, an
 * article), or one of the two after one, is lowered the same way, whatever its time,
 * unless it holds a preparation, intent, presence, finality, method
 * seeking or a recent_past cue.
 *
 * The safety floor: uncertain is not safe. Method seeking, finality, or, in
 * three adjacent sentences with a first_person cue, a method with an act, a quantity,
 * presence, intent or hopelessness is at least moderate (reason
 * safety_floor), unless only a means and an act come with a medical cue
 * ("I took two paracetamol for my headache"). The reasons of the result are the concept kinds of the
 * writer's matches. RISK_CAT_SELF is set when the level is above none.
 *
 * Language. The script with most letters decides zh (Han and kana, counted
 * double), ar or he; Latin text is de when umlauts and ß, common German
 * words and German rule matches outweigh common English words and English
 * rule matches, else en (also the default). */
#include "server/safety/risk_internal.h"
#include "server/safety/text_model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- language ---- */

static const char *const en_words[] = {"i",    "the",   "and",  "to",    "is",   "my",  "me",   "a",
				       "of",   "it",    "you",  "that",  "this", "have", "not",  "with",
				       "for",  "be",    "are",  "am",    "just", "but",  "can",  "about",
				       "feel", "want",  "dont", "im",    "ive",  "what", "they", "she",
				       "he",   "would", "never", "myself", "at",  "on",   "anymore", NULL};
static const char *const de_words[] = {"ich",  "nicht", "und",  "der",   "das",   "ist",   "mich",  "mir",
				       "mein", "meine", "ein",  "eine",  "einen", "zu",    "mit",   "auf",
				       "es",   "sie",   "er",   "wir",   "habe",  "bin",   "sind",  "wie",
				       "auch", "aber",  "noch", "nur",   "mehr",  "kann",  "weil",  "dass",
				       "oder", "wenn",  "jetzt", "heute", "keine", "kein", "sehr",  "schon",
				       "immer", "nie",  "einfach", "gerade", NULL};

static size_t count_words(const text *t, const char *const *list)
{
	size_t n = 0;
	for (size_t i = 0; i < t->ntoks; i++)
		for (const char *const *w = list; *w; w++)
			if (strlen(*w) == t->toks[i].len && memcmp(*w, t->buf + t->toks[i].off, t->toks[i].len) == 0) {
				n++;
				break;
			}
	return n;
}

static void guess_lang(const risk_rules *r, const text *t, const size_t *hits, char out[4])
{
	size_t han = t->letters[S_HAN] * 2, ar = t->letters[S_ARABIC], he = t->letters[S_HEBREW],
	       la = t->letters[S_LATIN];
	strcpy(out, "en");
	if (han > la && han >= ar && han >= he) {
		strcpy(out, "zh");
		return;
	}
	if (ar > la && ar >= he) {
		strcpy(out, "ar");
		return;
	}
	if (he > la) {
		strcpy(out, "he");
		return;
	}
	if (!la)
		return;
	size_t en = count_words(t, en_words), de = count_words(t, de_words) + t->umlauts;
	for (size_t i = 0; i < r->nlangs; i++) {
		if (strcmp(r->langs[i], "en") == 0)
			en += hits[i];
		else if (strcmp(r->langs[i], "de") == 0)
			de += hits[i];
	}
	size_t best = en;
	if (de > best) {
		strcpy(out, "de");
		best = de;
	}
	for (size_t i = 0; i < r->nlangs; i++) {
		const char *l = r->langs[i];
		if (strcmp(l, "en") && strcmp(l, "de") && strcmp(l, "zh") && strcmp(l, "ar") && strcmp(l, "he") &&
		    hits[i] > best) {
			memcpy(out, l, 4);
			best = hits[i];
		}
	}
}

/* ---- assessment ---- */

void risk_rules_set_text_model(risk_rules *r, const struct text_model *m)
{
	if (r)
		r->tm = m;
}

/* The text model's opinion on the whole message: it only raises. -1 when
 * it could not be asked (out of memory). */
static int model_raise(const risk_rules *r, const char *message, size_t len, risk_level *level, unsigned *reasons)
{
	if (!r->tm)
		return 0;
	int l = text_model_risk_level(r->tm, message, len);
	if (l < 0)
		return -1;
	if ((risk_level)l > *level) {
		*level = (risk_level)l;
		*reasons |= RISK_REASON_TEXT_MODEL;
	}
	return 0;
}

int risk_assess(const risk_rules *r, const char *message, size_t len, risk_result *out)
{
	if (out) {
		out->level = RISK_NONE;
		out->categories = 0;
		out->reasons = 0;
		strcpy(out->lang, "en");
	}
	if (!r || !out || (!message && len))
		return -1;
	text t = {0};
	matches ms = {0};
	sentence_flags *sent = NULL;
	size_t *farewells = NULL;
	size_t *hits = calloc(r->nlangs ? r->nlangs : 1, sizeof *hits);
	int rc = -1;
	if (!hits || risk_text_build(&t, message ? message : "", len, false) < 0 ||
	    risk_typo_correct(&r->typo, &t) < 0 || risk_collect(r, &t, &ms) < 0)
		goto done;
	/* the last sentence may lack its end mark: one row more */
	sent = calloc(t.nsentences + 1, sizeof *sent);
	farewells = calloc(t.nsentences + 1, sizeof *farewells);
	if (!sent || !farewells)
		goto done;
	if (ms.n)
		qsort(ms.v, ms.n, sizeof *ms.v, risk_cmp_match);
	unsigned cats = 0, reasons = 0;
	for (size_t a = 0; a < ms.n;) {
		size_t b = a;
		while (b < ms.n && ms.v[b].lang == ms.v[a].lang)
			b++;
		hits[ms.v[a].lang] = b - a;
		risk_evaluate_lang(&t, ms.v, a, b, r->maxspan, sent, &cats, farewells);
		a = b;
	}
	risk_level level = risk_level_of(sent, t.nsentences + 1, farewells, &reasons);
	if (model_raise(r, message, len, &level, &reasons) < 0)
		goto done;
	if (level > RISK_NONE)
		cats |= RISK_CAT_SELF;
	out->level = level;
	out->categories = cats;
	out->reasons = level > RISK_NONE ? reasons : 0;
	guess_lang(r, &t, hits, out->lang);
	rc = 0;
done:
	free(sent);
	free(farewells);
	free(hits);
	free(ms.v);
	risk_text_clear(&t);
	return rc;
}
