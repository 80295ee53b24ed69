/* Crisis-risk assessment of an incoming message, run before any prompt is
 * built: suicide and self-harm risk of the writer, graded after the
 * screening version of the Columbia Suicide Severity Rating Scale, plus the
 * separate categories harm to others, abuse and concern for a third person.
 *
 * The rules (phrase patterns per language and kind) live in the database
 * (table risk_rules, seeded by migrations/0002_safety.sql); the caller loads
 * the enabled ones and adds them here. The matcher itself is pure: no I/O,
 * no globals. The pattern syntax and the logic (normalisation, clauses,
 * negation, persons, combinations) are described in server/safety/risk.c.
 *
 * Life cycle: risk_rules_new, risk_rules_add (any number), then any number
 * of risk_assess calls. A risk_rules set is not modified by risk_assess, so
 * it may be shared by threads once built. */
#ifndef CC_RISK_H
#define CC_RISK_H
#include <stdbool.h>
#include <stddef.h>

typedef enum risk_level { RISK_NONE, RISK_LOW, RISK_MODERATE, RISK_HIGH, RISK_IMMINENT } risk_level;

enum risk_category {
	RISK_CAT_SELF = 1,         /* the writer's own suicide / self-harm risk (level > none) */
	RISK_CAT_HARM_OTHERS = 2,  /* the writer speaks of harming someone else */
	RISK_CAT_ABUSE = 4,        /* the writer is being abused, hurt or threatened */
	RISK_CAT_THIRD_PERSON = 8, /* someone else is at risk (a friend wants to die) */
};

/* "none", "low", "moderate", "high", "imminent"; "unknown" for a value out
 * of range. The string is static. */
const char *risk_level_name(risk_level l);
/* Parses a name of risk_level_name (ASCII case ignored). 0 and *out set, or
 * -1 (unknown name, NULL arguments; *out untouched). */
int risk_level_parse(const char *s, risk_level *out);
/* True when a reply at this level is made without a persona (no
 * role-play): from low up, since a check-in already means the service is
 * not sure the writer is safe; from moderate up when role_play_at_low
 * (RISK_ROLE_PLAY_AT_LOW). High and above get no model call at all. */
bool risk_no_persona(risk_level level, bool role_play_at_low);

typedef struct risk_rules risk_rules;

/* A new, empty rule set; NULL when out of memory. */
risk_rules *risk_rules_new(void);
/* Adds one rule (lang, kind and pattern are copied). kind is one of
 * passive_ideation, hopelessness, active_ideation, past_self_harm,
 * recent_self_harm, method, intent, time, preparatory, act, quantity, finality,
 * method_seeking, presence, negation, third_person, first_person,
 * harm_others, abuse, idiom, remote_past, recent_past, farewell, medical,
 * topic
 * (exact spelling). lang is
 * the ISO 639-1 code of the rules' language (1..3 ASCII letters, any case,
 * stored lower-cased). A pattern without any word (blank, punctuation only)
 * is accepted and never matches. Returns 0, or -1 on an unknown kind, an
 * invalid lang, NULL arguments or out of memory (r is then unchanged). */
int risk_rules_add(risk_rules *r, const char *lang, const char *kind, const char *pattern);
/* Number of rules added (including those that never match). 0 for NULL. */
size_t risk_rules_count(const risk_rules *r);
/* Frees the set and everything in it. NULL ok. */
void risk_rules_free(risk_rules *r);
/* Makes risk_assess also ask the text model m (borrowed: it must outlive
 * r; NULL: the rules alone). The model can only raise the rules' level:
 * to high when it finds the writer acute, to moderate when it finds the
 * writer at risk; the reason text_model says so. */
struct text_model;
void risk_rules_set_text_model(risk_rules *r, const struct text_model *m);

/* Why the writer's level is what it is: the concepts found in the writer's
 * own words (not negated, not a third person's), and whether the safety
 * floor raised an uncertain message to moderate. */
enum risk_reason {
	RISK_REASON_IDEATION = 1 << 0,       /* wish to be dead, thoughts of suicide, slang for it */
	RISK_REASON_HOPELESSNESS = 1 << 1,
	RISK_REASON_SELF_HARM = 1 << 2,      /* past or recent self-harm */
	RISK_REASON_MEANS = 1 << 3,          /* a means: pills, height, rope, blade... */
	RISK_REASON_INTENT = 1 << 4,         /* a decision or plan */
	RISK_REASON_TIME = 1 << 5,           /* tonight, right now, on Friday */
	RISK_REASON_PREPARATION = 1 << 6,    /* preparatory acts */
	RISK_REASON_ACT = 1 << 7,            /* an act done or under way (took, swallowed, jumped) */
	RISK_REASON_QUANTITY = 1 << 8,       /* all of, a whole bottle, thirty */
	RISK_REASON_FINALITY = 1 << 9,       /* farewell, last post, a note, a will, giving things away */
	RISK_REASON_METHOD_SEEKING = 1 << 10, /* how many, what height, lethal dose */
	RISK_REASON_MEANS_IN_PLACE = 1 << 11, /* standing on the railing, the rope is tied */
	RISK_REASON_SAFETY_FLOOR = 1 << 12,  /* raised to moderate by the safety floor */
	RISK_REASON_TEXT_MODEL = 1 << 13,    /* raised by the text model (server/safety/text_model.h) */
};
#define RISK_REASON_COUNT 14

/* The name of one reason bit ("means", "finality"...); NULL for anything
 * else. The string is static. */
const char *risk_reason_name(unsigned bit);

typedef struct risk_result {
	risk_level level;    /* for the writer themself */
	unsigned categories; /* bitmask of risk_category */
	unsigned reasons;    /* bitmask of risk_reason; 0 when level is none */
	char lang[4];        /* the message's language guessed from script and matched rules:
			      * en, de, zh, ar, he ("en" default) */
} risk_result;

/* Assesses message (len bytes; any bytes: it need not be NUL-terminated nor
 * valid UTF-8; NULL allowed when len is 0). out is overwritten. Returns 0,
 * or -1 (r or out NULL, message NULL with len > 0, out of memory) with out
 * set to level none, no categories, lang "en". On -1 the caller must not
 * take the message as safe: treat a failed assessment as unknown risk. */
int risk_assess(const risk_rules *r, const char *message, size_t len, risk_result *out);

#endif
