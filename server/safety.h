/* Safety data in memory: the risk rules, crisis resources and crisis
 * messages of the database (migrations/0002_safety.sql), loaded like the
 * corpus and reloaded when they change. Reference-counted: a request keeps
 * the version it started with. Loop thread only. */
#ifndef CC_SAFETY_H
#define CC_SAFETY_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "server/risk.h"
#include "server/tz.h"

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
	char **unsafe;        /* lower-case phrases that mark a reply as unsafe */
	size_t nunsafe;
} safety;

safety *safety_new(void);
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
