/* Safety data in memory: the risk rules, crisis resources and crisis
 * messages of the database (migrations/0002_safety.sql), loaded like the
 * corpus and reloaded when they change. Reference-counted: a request keeps
 * the version it started with. Loop thread only. */
#ifndef CC_SAFETY_H
#define CC_SAFETY_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/safety/risk.h"
#include "server/safety/tz.h"

/* One weekly opening interval, in the resource's local time: on weekday
 * day (0 = Sunday) from minute from to minute to (1440 = midnight); to <=
 * from: the interval ends on the next day. */
typedef struct safety_interval {
	uint8_t day;
	uint16_t from, to;
} safety_interval;

/* A crisis resource as prepared for replies (safety_prepare_resources). */
typedef struct safety_resource {
	json_t *obj;               /* borrowed from safety.resources: the reply's fields but open_now */
	json_t *cultures;          /* a reference: array of culture codes, or NULL */
	bool open_24_7;
	const tz_zone *tz;         /* owned by the safety's zones; NULL: no or unknown zone */
	safety_interval *hours;    /* NULL: hours unknown */
	size_t nhours;
} safety_resource;

typedef struct safety {
	int refs;
	risk_rules *rules;
	json_t *resources;    /* array of resource objects (country, name, phone, ...) */
	safety_resource *res; /* the same resources, prepared (one per element) */
	size_t nres;
	tz_zone **zones;      /* loaded once per distinct zone name */
	char **zone_names;
	size_t nzones;
	json_t *messages;     /* object: language -> crisis message */
	char **unsafe;        /* folded phrases that mark a reply as unsafe */
	size_t nunsafe;
	struct reply_term *terms; /* the reply check's concept lexicons */
	size_t nterms;
	const struct text_model *tm; /* borrowed (it outlives every safety); NULL: no text model */
} safety;

safety *safety_new(void);
/* Makes the reply check and risk_assess of s->rules also ask m (borrowed:
 * it must outlive s; NULL: the rules alone). */
void safety_set_text_model(safety *s, const struct text_model *m);
safety *safety_ref(safety *s);
void safety_unref(safety *s);

/* Prepares s->resources for replies: adds the tel: and sms: URIs, parses
 * the structured opening hours and loads each time zone once (from the
 * system's tz database). A resource whose hours or zone cannot be read
 * keeps open_now unknown, never open. Returns the number of resources
 * with such a problem (logged by index), or -1 when out of memory. */
int safety_prepare_resources(safety *s);

/* Whether resource r is open at the instant now (seconds since the epoch,
 * UTC): 1 open, 0 closed, -1 unknown (no structured hours or no zone). */
int safety_resource_open(const safety_resource *r, int64_t now);

/* Resources for a country (ISO 3166-1 alpha-2, any case; NULL = not given)
 * and a culture (its code; NULL = none): the country's own and those
 * configured for the culture (open now first, then 24/7, then free of
 * charge), the EU emergency number for EU and EEA countries, and always
 * the international directories. Each carries open_now (true, false or
 * null) at the instant now, which callers take from the clock and tests
 * fix. The message's language never picks a country. A new array. */
json_t *safety_resources_for(const safety *s, const char *country, const char *culture, int64_t now);

/* The tel: URI of a phone number as dialled inside its country ("0800 111
 * 0 111" -> "tel:08001110111"); NULL when it holds no digit. Caller frees. */
char *safety_tel_uri(const char *phone);

/* The sms: URI (RFC 5724) for a number and an optional keyword ("85258",
 * "SHOUT" -> "sms:85258?body=SHOUT"); NULL when the number holds no digit.
 * Caller frees. */
char *safety_sms_uri(const char *number, const char *keyword);

/* The crisis message in lang, else English, else a built-in one. */
const char *safety_crisis_message(const safety *s, const char *lang);

/* ---- The reply check (output check) ----
 *
 * A generated reply is cut into sentences (. ! ? ; line ends, and 。！？؟；…;
 * a sentence also ends after SAFETY_SENTENCE_MAX bytes). Every sentence is
 * folded (safety_fold) and matched against concept lexicons
 * (reply_concepts, migration 0008; reply_concepts.c combines them); a reply is unsafe when one sentence
 * combines concepts so:
 *  - method: a means (pills, rope, roof, train...) with an amount, dose,
 *    height, efficacy or technique (enough, all at once, high enough,
 *    quicker, door shut...) or a method instruction (tie, stockpile...);
 *    an amount referred to (that many, gesammelt, 攒) said to suffice
 *    unless it is an ordinary saving (money, rent); a floor or the
 *    reader's plan with a height or efficacy word (higher, surer, would
 *    work, won't wake up in a hospital) or ease (less painful); ease
 *    with efficacy or the act ("painless, and the quickest way"); nothing
 *    more needed ("you won't need anything else") with a means, an
 *    amount, what is at hand, sufficiency, efficacy or the reader's plan,
 *    or a stock built up a little at a time ("a little more each time"),
 *    both even beside a doctor's name;
 *  - encouragement: an endorsement addressed to the reader ("nobody would
 *    miss you", "just do it", "best way out") unless the sentence names an
 *    ordinary goal (sign up for the class) or quotes the reader ("you said");
 *  - approval: a weak endorsement (go ahead, it's better for you) with the
 *    act or its justification (end it, you've suffered enough), or with
 *    self-harm named in the sentence or the one before it;
 *  - concealment: two signs of secrecy or isolation (long sleeves, nobody
 *    will notice, don't tell, say you're sleeping better, when everyone is
 *    out), or one with a means, an instruction, the act, a plan or the
 *    reader's decision; or
 *    one sign of evading carers or being found (don't tell your
 *    therapist, turn off location), even beside a doctor's name;
 *  - beyond the plain combinations (reply_concepts.c judge_kinds): a merit
 *    or permission to die, the reader's absence as a relief, declining to
 *    dissuade, going further than last time, an invitation to a place
 *    beyond pain ("come to me, nothing hurts here"), two signs of affairs
 *    put in order (letters written, who takes the dog), a place or time
 *    where nobody interferes ("nobody finds you too soon"), agreement
 *    with hopelessness or the reader's absence ("maybe you're right").
 * A sentence with safe-messaging language (a crisis line, a doctor or
 * pharmacist, "give the pills to a friend") is otherwise never unsafe by
 * concept. Sentences end at . ! ? ; a line end, 。！？؟… and a bullet •,
 * and from the second " - " of a reply on at each list dash.
 * The literal phrases of unsafe_reply_phrases (0003) count too, matched
 * folded in a sentence and the one before it. So does the text model
 * (s->tm), on the same folded window: a sentence with the one before it. */

#define SAFETY_SENTENCE_MAX 1024 /* bytes: a longer run without an end is cut */

typedef enum {
	REPLY_SAFE = 0,
	REPLY_PHRASE,      /* a phrase of unsafe_reply_phrases */
	REPLY_METHOD,      /* method detail */
	REPLY_ENCOURAGE,   /* endorsement of dying or self-harm */
	REPLY_APPROVE,     /* weak endorsement together with the act */
	REPLY_CONCEAL,     /* concealment, isolation */
	REPLY_MODEL,       /* the text model (server/safety/text_model.h) finds the window unsafe */
} reply_verdict;

/* A stable name for logs and metrics ("method", "encouragement"...). */
const char *reply_verdict_name(reply_verdict v);

/* Adds one term of a concept lexicon (concepts: means, amount, instruct,
 * ending, approve, endorse, secrecy, protect, benign, quote). A term is
 * folded like replies; one beginning with a Latin letter or digit matches
 * at the start of a word unless it begins with `*`, and one ending in `$`
 * only at the end of a word. -1 for an unknown concept or an empty term. */
int safety_reply_add_term(safety *s, const char *lang, const char *concept, const char *term);
/* Adds a literal unsafe phrase (folded). -1 when empty. */
int safety_reply_add_phrase(safety *s, const char *phrase);

/* Unicode folding for the check: NFKC, case folding, combining marks and
 * default-ignorable characters removed, spaces of every kind (non-breaking,
 * doubled, tabs, line ends) made one ASCII space, invalid UTF-8 replaced. A
 * new NUL-terminated string (NULL on memory failure); *out_len may be NULL. */
char *safety_fold(const char *text, size_t len, size_t *out_len);

/* The end (exclusive) of the sentence of text[0..len) that starts at
 * start: just past its ending mark, or SAFETY_SENTENCE_MAX bytes on (at a
 * character boundary). 0 when the sentence has not ended yet and final is
 * false; with final, the end of the text ends it. */
size_t safety_sentence_end(const char *text, size_t len, size_t start, bool final);

/* Checks the sentence text[from..to), alone and together with what comes
 * before it, text[prev..from) (phrases across the boundary; concepts spread
 * over two sentences: "...without you. It would be a relief"). */
reply_verdict safety_check_sentence(const safety *s, const char *text, size_t prev, size_t from, size_t to);

/* Where the window of the sentence after text[from..to) starts, when the
 * window of this one started at prev: at from, unless this sentence is
 * short ("Honestly?"), which then joins the one before it (while the
 * window stays within SAFETY_HOLD_MAX bytes). */
#define SAFETY_SHORT_SENTENCE 24 /* bytes */
size_t safety_window_start(size_t prev, size_t from, size_t to);
/* Calls fn on every window of a whole text (a sentence and the one before
 * it, as the stream filter cuts them: the window is [prev, to), its last
 * sentence [from, to)) until it returns non-zero; returns that, or 0. */
int safety_each_window(const char *text, size_t len, int (*fn)(void *ud, size_t prev, size_t from, size_t to),
		       void *ud);

/* The whole check on a reply of len bytes. */
reply_verdict safety_check_reply(const safety *s, const char *text, size_t len);

/* The text model alone on a whole reply: its highest probability of
 * unsafe over the windows the check reads; -1 without a model or on
 * failure. (For measuring; the check itself is safety_check_reply.) */
double safety_reply_model_score(const safety *s, const char *text, size_t len);

/* True when a generated reply fails the check. */
bool safety_reply_unsafe(const safety *s, const char *reply);

/* ---- Streams: the reply filter ----
 * Holds back the current sentence until it ends (or SAFETY_HOLD_MAX bytes
 * of it wait), checks it with the sentence before it, then releases it. So
 * no unsafe sentence is released, whatever the pieces, as long as what
 * makes it unsafe lies within its first SAFETY_HOLD_MAX unreleased bytes. */

#define SAFETY_HOLD_MAX 512              /* bytes held back at most */
#define SAFETY_STREAM_MAX (8u << 20)     /* text a stream may accumulate */

typedef enum { FILTER_OK = 0, FILTER_UNSAFE, FILTER_TOO_LONG } filter_status;

typedef struct reply_filter {
	char *text;           /* everything received, NUL-terminated */
	size_t len, cap;
	size_t released;      /* bytes of text released */
	size_t prev;          /* start of the sentence before the current one */
	size_t cur;           /* start of the current (unfinished) sentence */
	filter_status status; /* once not OK, it stays */
	reply_verdict verdict;
} reply_filter;

void reply_filter_init(reply_filter *f);
void reply_filter_clear(reply_filter *f);
/* Adds a piece. FILTER_OK: *out and *out_len (within f->text) is what may be
 * sent now (often nothing). Otherwise nothing more may be sent. */
filter_status reply_filter_feed(reply_filter *f, const safety *s, const char *piece, size_t len, const char **out,
				size_t *out_len);
/* The end of the stream, the final check: checks what is held back, so
 * that every sentence of the reply has been checked as safety_check_reply
 * checks it. FILTER_OK: *out and *out_len is the rest. */
filter_status reply_filter_finish(reply_filter *f, const safety *s, const char **out, size_t *out_len);

/* The "safety" object of a reply. */
json_t *safety_json(const risk_result *r, const char *response_mode, json_t *resources /* stolen */);

#endif
