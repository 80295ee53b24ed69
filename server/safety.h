/* Safety data in memory: the risk rules, crisis resources and crisis
 * messages of the database (migrations/0002_safety.sql), loaded like the
 * corpus and reloaded when they change. Reference-counted: a request keeps
 * the version it started with. Loop thread only. */
#ifndef CC_SAFETY_H
#define CC_SAFETY_H
#include <jansson.h>
#include <stdbool.h>

#include "server/risk.h"

typedef struct safety {
	int refs;
	risk_rules *rules;
	json_t *resources;    /* array of resource objects (country, name, phone, ...) */
	json_t *messages;     /* object: language -> crisis message */
	char **unsafe;        /* lower-case phrases that mark a reply as unsafe */
	size_t nunsafe;
} safety;

safety *safety_new(void);
safety *safety_ref(safety *s);
void safety_unref(safety *s);

/* Resources for a country (ISO 3166-1 alpha-2, any case; NULL = not given):
 * the country's own, the EU emergency number for EU and EEA countries,
 * and always the international directory. A new array. */
json_t *safety_resources_for(const safety *s, const char *country);

/* The crisis message in lang, else English, else a built-in one. */
const char *safety_crisis_message(const safety *s, const char *lang);

/* True when a generated reply holds a phrase of the unsafe list
 * (case-insensitive for ASCII). */
bool safety_reply_unsafe(const safety *s, const char *reply);

/* Streams: the length of the longest end of text that begins a phrase of
 * the unsafe list. That much is held back until the next piece shows
 * whether the phrase completes, so no part of one is ever sent. */
size_t safety_unsafe_prefix_len(const safety *s, const char *text, size_t len);

/* The "safety" object of a reply. */
json_t *safety_json(const risk_result *r, const char *response_mode, json_t *resources /* stolen */);

#endif
