/* Safety data in memory (see safety.h). */
#include "server/safety.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/log.h"

/* Used only if the database holds no message at all. */
static const char fallback_message[] =
	"I'm really glad you told me how you feel. What you're going through sounds very painful, and you "
	"don't have to face it alone. Please reach out right now to a crisis line or emergency service listed "
	"below, or to someone you trust, and let them know what is happening. They want to help you stay safe.";

safety *safety_new(void)
{
	safety *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->refs = 1;
	s->rules = risk_rules_new();
	s->resources = json_array();
	s->messages = json_object();
	if (!s->rules || !s->resources || !s->messages) {
		safety_unref(s);
		return NULL;
	}
	return s;
}

safety *safety_ref(safety *s)
{
	if (s)
		s->refs++;
	return s;
}

void safety_unref(safety *s)
{
	if (!s || --s->refs > 0)
		return;
	risk_rules_free(s->rules);
	for (size_t i = 0; i < s->nres; i++) {
		json_decref(s->res[i].cultures);
		free(s->res[i].hours);
	}
	free(s->res);
	for (size_t i = 0; i < s->nzones; i++) {
		tz_free(s->zones[i]);
		free(s->zone_names[i]);
	}
	free(s->zones);
	free(s->zone_names);
	json_decref(s->resources);
	json_decref(s->messages);
	for (size_t i = 0; i < s->nunsafe; i++)
		free(s->unsafe[i]);
	free(s->unsafe);
	free(s);
}

char *safety_tel_uri(const char *phone)
{
	if (!phone)
		return NULL;
	size_t n = strlen(phone), k = 4, digits = 0;
	char *out = malloc(n + 5);
	if (!out)
		return NULL;
	memcpy(out, "tel:", 4);
	for (size_t i = 0; i < n; i++) {
		if (isdigit((unsigned char)phone[i])) {
			out[k++] = phone[i];
			digits++;
		} else if (phone[i] == '+' && k == 4)
			out[k++] = '+';
	}
	out[k] = '\0';
	if (digits == 0) {
		free(out);
		return NULL;
	}
	return out;
}

char *safety_sms_uri(const char *number, const char *keyword)
{
	char *tel = safety_tel_uri(number);
	if (!tel)
		return NULL;
	static const char hex[] = "0123456789ABCDEF";
	size_t tn = strlen(tel + 4), kn = keyword ? strlen(keyword) : 0;
	size_t cap = 4 + tn + 6 + kn * 3 + 1, k = 0;
	char *out = malloc(cap);
	if (!out) {
		free(tel);
		return NULL;
	}
	memcpy(out, "sms:", 4);
	memcpy(out + 4, tel + 4, tn);
	k = 4 + tn;
	free(tel);
	if (kn) {
		memcpy(out + k, "?body=", 6);
		k += 6;
		for (size_t i = 0; i < kn; i++) {
			unsigned char c = (unsigned char)keyword[i];
			if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
				out[k++] = (char)c;
			else {
				out[k++] = '%';
				out[k++] = hex[c >> 4];
				out[k++] = hex[c & 15];
			}
		}
	}
	out[k] = '\0';
	return out;
}

/* "HH:MM" into minutes; 24:00 only when end. -1 when malformed. */
static int parse_clock(const char *t, bool end)
{
	if (!t || strlen(t) != 5 || !isdigit((unsigned char)t[0]) || !isdigit((unsigned char)t[1]) || t[2] != ':' ||
	    !isdigit((unsigned char)t[3]) || !isdigit((unsigned char)t[4]))
		return -1;
	int h = (t[0] - '0') * 10 + (t[1] - '0'), m = (t[3] - '0') * 10 + (t[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end)))
		return -1;
	return h * 60 + m;
}

static int parse_day(const char *d)
{
	static const char *const days[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
	for (int i = 0; d && i < 7; i++)
		if (strcmp(d, days[i]) == 0)
			return i;
	return -1;
}

/* The opening_hours array (see migrations/0006_crisis_resources.sql) into
 * r->hours; false when it is malformed (r->hours stays NULL). */
static bool parse_hours(safety_resource *r, const json_t *oh)
{
	size_t need = 0, i, k;
	json_t *e, *d;
	json_array_foreach(oh, i, e)
		need += json_array_size(json_object_get(e, "days"));
	if (need == 0)
		return false;
	safety_interval *iv = calloc(need, sizeof *iv);
	if (!iv)
		return false;
	size_t n = 0;
	json_array_foreach(oh, i, e)
	{
		int from = parse_clock(json_string_value(json_object_get(e, "from")), false);
		int to = parse_clock(json_string_value(json_object_get(e, "to")), true);
		if (from < 0 || to < 0 || from == to)
			goto bad;
		json_array_foreach(json_object_get(e, "days"), k, d)
		{
			int day = parse_day(json_string_value(d));
			if (day < 0)
				goto bad;
			iv[n++] = (safety_interval){(uint8_t)day, (uint16_t)from, (uint16_t)to};
		}
	}
	r->hours = iv;
	r->nhours = n;
	return true;
bad:
	free(iv);
	return false;
}

static const tz_zone *zone_for(safety *s, const char *name)
{
	for (size_t i = 0; i < s->nzones; i++)
		if (strcmp(s->zone_names[i], name) == 0)
			return s->zones[i];
	tz_zone *z = tz_load(name);
	char *nm = strdup(name);
	tz_zone **zs = realloc(s->zones, (s->nzones + 1) * sizeof *zs);
	if (zs)
		s->zones = zs;
	char **ns = zs ? realloc(s->zone_names, (s->nzones + 1) * sizeof *ns) : NULL;
	if (ns)
		s->zone_names = ns;
	if (!nm || !zs || !ns) {
		tz_free(z);
		free(nm);
		return NULL;
	}
	/* A zone that does not load is remembered as NULL: one attempt. */
	s->zones[s->nzones] = z;
	s->zone_names[s->nzones++] = nm;
	return z;
}

static void set_uri(json_t *obj, const char *key, char *uri /* freed */)
{
	json_object_set_new(obj, key, uri ? json_string(uri) : json_null());
	free(uri);
}

int safety_prepare_resources(safety *s)
{
	size_t n = json_array_size(s->resources);
	s->res = calloc(n ? n : 1, sizeof *s->res);
	if (!s->res)
		return -1;
	int problems = 0;
	size_t i;
	json_t *o;
	json_array_foreach(s->resources, i, o)
	{
		safety_resource *r = &s->res[s->nres++];
		r->obj = o;
		json_t *cult = json_object_get(o, "cultures");
		if (json_is_array(cult))
			r->cultures = json_incref(cult);
		json_object_del(o, "cultures");
		set_uri(o, "tel", safety_tel_uri(json_string_value(json_object_get(o, "phone"))));
		set_uri(o, "sms", safety_sms_uri(json_string_value(json_object_get(o, "text_number")),
						 json_string_value(json_object_get(o, "text_keyword"))));
		r->open_24_7 = json_is_true(json_object_get(o, "open_24_7"));
		const json_t *oh = json_object_get(o, "opening_hours");
		const char *zone = json_string_value(json_object_get(o, "time_zone"));
		const char *problem = NULL;
		if (json_is_array(oh)) {
			if (!parse_hours(r, oh))
				problem = "opening_hours unreadable: open_now unknown";
			else if (!zone || !(r->tz = zone_for(s, zone)))
				problem = "time zone not found in the tz database: open_now unknown";
		}
		if (problem) {
			problems++;
			log_json(LOG_WARN, "crisis resource", json_pack("{s:i,s:s}", "index", (int)i, "problem", problem));
		}
	}
	return problems;
}

int safety_resource_open(const safety_resource *r, int64_t now)
{
	if (r->open_24_7)
		return 1;
	if (!r->hours || !r->tz)
		return -1;
	int wd, m;
	tz_local(r->tz, now, &wd, &m);
	int yesterday = (wd + 6) % 7;
	for (size_t i = 0; i < r->nhours; i++) {
		const safety_interval *v = &r->hours[i];
		bool overnight = v->to <= v->from;
		if (v->day == wd && m >= v->from && m < (overnight ? 1440 : v->to))
			return 1;
		if (overnight && v->day == yesterday && m < v->to)
			return 1;
	}
	return 0;
}

static const char *const eu_eea[] = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
				     "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
				     "SE", "IS", "LI", "NO", "CH", NULL};

typedef struct ranked {
	size_t idx;
	int open; /* 1, 0, -1 */
	int key;  /* smaller first */
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static bool for_culture(const safety_resource *r, const char *culture)
{
	size_t i;
	json_t *c;
	if (!culture || !r->cultures)
		return false;
	json_array_foreach(r->cultures, i, c)
		if (json_is_string(c) && strcasecmp(json_string_value(c), culture) == 0)
			return true;
	return false;
}

static void append(json_t *out, const safety_resource *r, int open)
{
	json_t *o = json_copy(r->obj);
	if (!o)
		return;
	json_object_set_new(o, "open_now", open < 0 ? json_null() : json_boolean(open));
	json_array_append_new(out, o);
}

json_t *safety_resources_for(const safety *s, const char *country, const char *culture, int64_t now)
{
	char cc[3] = "";
	if (country && strlen(country) == 2) {
		cc[0] = (char)toupper((unsigned char)country[0]);
		cc[1] = (char)toupper((unsigned char)country[1]);
	}
	bool eu = false;
	for (int i = 0; *cc && eu_eea[i]; i++)
		eu = eu || strcmp(cc, eu_eea[i]) == 0;
	json_t *out = json_array();
	ranked *own = calloc(s->nres ? s->nres : 1, sizeof *own);
	if (!out || !own) {
		free(own);
		return out;
	}
	/* The country's own and the culture's, ranked: open now, then 24/7,
	 * then free of charge (unknown hours before closed ones). */
	size_t nown = 0;
	for (size_t i = 0; i < s->nres; i++) {
		const safety_resource *r = &s->res[i];
		const char *c = json_string_value(json_object_get(r->obj, "country"));
		if (!c || strcmp(c, "INT") == 0 || strcmp(c, "EU") == 0)
			continue;
		if (!((*cc && strcmp(c, cc) == 0) || for_culture(r, culture)))
			continue;
		int open = safety_resource_open(r, now);
		int rank = open == 1 ? 0 : open < 0 ? 1 : 2;
		bool is_free = json_is_true(json_object_get(r->obj, "free_of_charge"));
		own[nown++] = (ranked){i, open, rank * 4 + (r->open_24_7 ? 0 : 2) + (is_free ? 0 : 1)};
	}
	qsort(own, nown, sizeof *own, ranked_cmp);
	for (size_t k = 0; k < nown; k++)
		append(out, &s->res[own[k].idx], own[k].open);
	free(own);
	/* Then the EU number, then the directories. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < s->nres; i++) {
			const safety_resource *r = &s->res[i];
			const char *c = json_string_value(json_object_get(r->obj, "country"));
			if (c && ((pass == 0 && eu && strcmp(c, "EU") == 0) || (pass == 1 && strcmp(c, "INT") == 0)))
				append(out, r, safety_resource_open(r, now));
		}
	}
	return out;
}

const char *safety_crisis_message(const safety *s, const char *lang)
{
	const char *m = json_string_value(json_object_get(s->messages, lang ? lang : "en"));
	if (!m)
		m = json_string_value(json_object_get(s->messages, "en"));
	return m ? m : fallback_message;
}

bool safety_reply_unsafe(const safety *s, const char *reply)
{
	size_t n = strlen(reply);
	char *low = malloc(n + 1);
	if (!low)
		return true; /* fail safe */
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)reply[i]);
	bool bad = false;
	for (size_t k = 0; k < s->nunsafe && !bad; k++)
		bad = strstr(low, s->unsafe[k]) != NULL;
	free(low);
	return bad;
}

json_t *safety_json(const risk_result *r, const char *response_mode, json_t *resources)
{
	json_t *cats = json_array();
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{RISK_CAT_SELF, "self"},
		     {RISK_CAT_HARM_OTHERS, "harm_to_others"},
		     {RISK_CAT_ABUSE, "abuse"},
		     {RISK_CAT_THIRD_PERSON, "concern_for_someone_else"}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (r->categories & names[i].bit)
			json_array_append_new(cats, json_string(names[i].name));
	json_t *reasons = json_array();
	for (unsigned i = 0; i < RISK_REASON_COUNT; i++)
		if (r->reasons & 1u << i)
			json_array_append_new(reasons, json_string(risk_reason_name(1u << i)));
	return json_pack("{s:s,s:o,s:o,s:b,s:s,s:s,s:o}", "risk_level", risk_level_name(r->level), "categories",
			 cats, "reasons", reasons, "escalate", r->level >= RISK_HIGH, "response_mode", response_mode,
			 "language", r->lang, "resources", resources ? resources : json_array());
}

size_t safety_unsafe_prefix_len(const safety *s, const char *text, size_t len)
{
	size_t best = 0;
	for (size_t i = 0; i < s->nunsafe; i++) {
		const char *p = s->unsafe[i];
		size_t pl = strlen(p);
		for (size_t k = pl - 1 < len ? pl - 1 : len; k > best; k--) {
			size_t j = 0;
			while (j < k && tolower((unsigned char)text[len - k + j]) == (unsigned char)p[j])
				j++;
			if (j == k) {
				best = k;
				break;
			}
		}
	}
	return best;
}
