/* Safety data in memory (see safety.h). */
#include "server/safety/safety.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>

#include "server/log.h"
#include "server/unicode.h"
#include "server/safety/reply_concepts.h"
#include "server/safety/text_model.h"

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

void safety_set_text_model(safety *s, const struct text_model *m)
{
	s->tm = m;
	risk_rules_set_text_model(s->rules, m);
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
	for (size_t i = 0; i < s->nterms; i++)
		free(s->terms[i].text);
	free(s->terms);
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


/* ---- the reply check ---- */

const char *reply_verdict_name(reply_verdict v)
{
	static const char *const names[] = {"safe", "phrase", "method", "encouragement", "approval", "concealment",
					    "text_model"};
	return (unsigned)v < sizeof names / sizeof *names ? names[v] : "unknown";
}

static bool is_latin_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

char *safety_fold(const char *text, size_t len, size_t *out_len)
{
	size_t folded;
	utf8proc_uint8_t *mapped = (utf8proc_uint8_t *)unicode_fold(text, len, &folded);
	if (!mapped)
		return NULL;
	utf8proc_ssize_t m = (utf8proc_ssize_t)folded;
	m = (utf8proc_ssize_t)reply_unspace((char *)mapped, (size_t)m);
	/* one space for every run of spaces; no Arabic tatweel */
	char *out = (char *)mapped;
	size_t o = 0;
	bool space = false;
	for (utf8proc_ssize_t i = 0; i < m; i++) {
		unsigned char c = mapped[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
			space = true;
			continue;
		}
		if (c == 0xD9 && i + 1 < m && mapped[i + 1] == 0x80) { /* U+0640 */
			i++;
			continue;
		}
		if (c == '\'') /* "don't" is "dont" */
			continue;
		if (space && o > 0)
			out[o++] = ' ';
		space = false;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	if (out_len)
		*out_len = o;
	return out;
}

int safety_reply_add_term(safety *s, const char *lang, const char *concept, const char *term)
{
	(void)lang; /* every term is checked on every reply (replies mix languages) */
	int c = reply_concept_index(concept);
	if (c < 0 || !term)
		return -1;
	bool anywhere = term[0] == '*';
	const char *t = term + anywhere;
	size_t tl = strlen(t);
	bool end = tl > 0 && t[tl - 1] == '$';
	size_t len;
	char *folded = safety_fold(t, tl - end, &len);
	if (!folded || len == 0) {
		free(folded);
		return -1;
	}
	bool start = !anywhere && is_latin_byte((unsigned char)folded[0]);
	for (size_t i = 0; i < s->nterms; i++)
		if (s->terms[i].concept == c && s->terms[i].len == len && memcmp(s->terms[i].text, folded, len) == 0 &&
		    s->terms[i].word_start == start && s->terms[i].word_end == end) {
			free(folded); /* the same term twice ("don't", "dont") counts once */
			return 0;
		}
	struct reply_term *nt = realloc(s->terms, (s->nterms + 1) * sizeof *nt);
	if (!nt) {
		free(folded);
		return -1;
	}
	s->terms = nt;
	nt[s->nterms++] = (struct reply_term){.text = folded,
					      .len = len,
					      .concept = (unsigned char)c,
					      .word_start = start,
					      .word_end = end};
	return 0;
}

int safety_reply_add_phrase(safety *s, const char *phrase)
{
	size_t len;
	char *folded = phrase ? safety_fold(phrase, strlen(phrase), &len) : NULL;
	char **u = folded && len ? realloc(s->unsafe, (s->nunsafe + 1) * sizeof *u) : NULL;
	if (!u) {
		free(folded);
		return -1;
	}
	s->unsafe = u;
	u[s->nunsafe++] = folded;
	return 0;
}

/* The byte length of an ending mark at text[i], or 0. */
static size_t end_mark(const char *text, size_t len, size_t i)
{
	const unsigned char *p = (const unsigned char *)text + i;
	size_t left = len - i;
	if (*p == '!' || *p == '?' || *p == ';' || *p == '\n')
		return 1;
	if (left >= 2 && p[0] == 0xD8 && p[1] == 0x9F) /* ؟ */
		return 2;
	if (left >= 2 && p[0] == 0xDB && p[1] == 0x94) /* ۔ */
		return 2;
	if (left >= 3 && p[0] == 0xE3 && p[1] == 0x80 && p[2] == 0x82) /* 。 */
		return 3;
	if (left >= 3 && p[0] == 0xEF && p[1] == 0xBC && (p[2] == 0x81 || p[2] == 0x9F || p[2] == 0x9B || p[2] == 0x8E))
		return 3; /* ！？；． */
	if (left >= 3 && p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA6 || p[2] == 0xA2))
		return 3; /* … and a list bullet • */
	return 0;
}

/* A list item in running text ("- breathe - call a friend - ..."): at
 * text[i] a dash with a space before and after it, from the second such
 * dash of the text on (one dash is punctuation: "just do it - sign up");
 * the bytes to the item's start, 0 if none, SIZE_MAX if what follows the
 * dash has not arrived yet. */
static size_t list_dash(const char *text, size_t len, size_t start, size_t i)
{
	static const char en_dash[] = "\xE2\x80\x93";
	size_t k = text[i] == '-' ? 1 : len - i >= 3 && !memcmp(text + i, en_dash, 3) ? 3 : 0;
	if (!k || i <= start || text[i - 1] != ' ')
		return 0;
	if (!memmem(text, i - 1, " - ", 3) && !memmem(text, i - 1, " \xE2\x80\x93 ", 5))
		return 0;
	if (i + k == len)
		return SIZE_MAX;
	return text[i + k] == ' ' ? k + 1 : 0;
}

size_t safety_sentence_end(const char *text, size_t len, size_t start, bool final)
{
	size_t limit = start + SAFETY_SENTENCE_MAX;
	for (size_t i = start; i < len && i < limit; i++) {
		if (text[i] == '.') {
			/* 2.5 is one number; a dot at the end waits for what follows */
			if (i + 1 == len)
				return final ? len : 0;
			if (text[i + 1] >= '0' && text[i + 1] <= '9')
				continue;
			return i + 1;
		}
		size_t k = end_mark(text, len, i);
		if (k)
			return i + k;
		k = list_dash(text, len, start, i);
		if (k == SIZE_MAX)
			return final ? len : 0;
		if (k)
			return i + k;
	}
	if (len >= limit) {
		/* cut at a character boundary */
		size_t i = limit;
		while (i > start + 1 && i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i--;
		return i;
	}
	return final ? len : 0;
}

/* The folded window: text[prev..from) and text[from..to) folded apart and
 * joined by a space; *at is where the second starts. NULL on memory failure. */
static char *fold_window(const char *text, size_t prev, size_t from, size_t to, size_t *wlen, size_t *at)
{
	size_t alen = 0, blen;
	char *a = prev < from ? safety_fold(text + prev, from - prev, &alen) : NULL;
	char *b = safety_fold(text + from, to - from, &blen);
	char *w = b && alen ? realloc(a, alen + 1 + blen + 1) : NULL;
	if (!b || (alen && !w)) {
		free(a);
		free(b);
		return NULL;
	}
	if (!alen) {
		free(a);
		*wlen = blen;
		*at = 0;
		return b;
	}
	w[alen] = ' ';
	memcpy(w + alen + 1, b, blen + 1);
	free(b);
	*wlen = alen + 1 + blen;
	*at = alen + 1;
	return w;
}

reply_verdict safety_check_sentence(const safety *s, const char *text, size_t prev, size_t from, size_t to)
{
	size_t wlen, at;
	char *w = fold_window(text, prev, from, to, &wlen, &at);
	if (!w)
		return REPLY_PHRASE; /* fail safe */
	reply_verdict v = REPLY_SAFE;
	for (size_t k = 0; k < s->nunsafe && !v; k++)
		if (strstr(w, s->unsafe[k]))
			v = REPLY_PHRASE;
	if (!v)
		v = reply_concepts_judge(s, w, wlen, at);
	if (!v && s->tm) {
		double p = text_model_reply(s->tm, w, wlen);
		if (p < 0 || p >= s->tm->reply_min)
			v = REPLY_MODEL; /* unsafe, or fail safe */
	}
	free(w);
	return v;
}

size_t safety_window_start(size_t prev, size_t from, size_t to)
{
	bool short_one = to - from < SAFETY_SHORT_SENTENCE && to - prev <= SAFETY_HOLD_MAX;
	return short_one ? prev : from;
}

int safety_each_window(const char *text, size_t len, int (*fn)(void *ud, size_t prev, size_t from, size_t to),
		       void *ud)
{
	size_t prev = 0, start = 0;
	while (start < len) {
		size_t end = safety_sentence_end(text, len, start, true);
		int rc = fn(ud, prev, start, end);
		if (rc)
			return rc;
		prev = safety_window_start(prev, start, end);
		start = end;
	}
	return 0;
}

typedef struct window_ctx {
	const safety *s;
	const char *text;
	double best; /* the model's highest probability; -1 on failure */
} window_ctx;

static int check_window(void *ud, size_t prev, size_t from, size_t to)
{
	const window_ctx *c = ud;
	return (int)safety_check_sentence(c->s, c->text, prev, from, to);
}

reply_verdict safety_check_reply(const safety *s, const char *text, size_t len)
{
	window_ctx c = {s, text, 0};
	return (reply_verdict)safety_each_window(text, len, check_window, &c);
}

static int score_window(void *ud, size_t prev, size_t from, size_t to)
{
	window_ctx *c = ud;
	size_t wlen, at;
	char *w = fold_window(c->text, prev, from, to, &wlen, &at);
	double p = w ? text_model_reply(c->s->tm, w, wlen) : -1;
	free(w);
	if (p < 0) {
		c->best = -1;
		return 1;
	}
	if (p > c->best)
		c->best = p;
	return 0;
}

double safety_reply_model_score(const safety *s, const char *text, size_t len)
{
	window_ctx c = {s, text, 0};
	if (!s->tm)
		return -1;
	safety_each_window(text, len, score_window, &c);
	return c.best;
}

bool safety_reply_unsafe(const safety *s, const char *reply)
{
	return safety_check_reply(s, reply, strlen(reply)) != REPLY_SAFE;
}

/* ---- the stream filter ---- */

void reply_filter_init(reply_filter *f)
{
	memset(f, 0, sizeof *f);
}

void reply_filter_clear(reply_filter *f)
{
	free(f->text);
	reply_filter_init(f);
}

static filter_status fail_filter(reply_filter *f, filter_status st, reply_verdict v)
{
	f->status = st;
	f->verdict = v;
	return st;
}

/* Checks the sentences that have ended since the last call, and with
 * final (or once SAFETY_HOLD_MAX bytes wait) what follows them; moves
 * f->released past what passed. */
static filter_status advance(reply_filter *f, const safety *s, bool final)
{
	for (;;) {
		size_t end = safety_sentence_end(f->text, f->len, f->cur, final);
		if (end == 0 || end <= f->cur)
			break;
		reply_verdict v = safety_check_sentence(s, f->text, f->prev, f->cur, end);
		if (v)
			return fail_filter(f, FILTER_UNSAFE, v);
		f->prev = safety_window_start(f->prev, f->cur, end);
		f->cur = end;
		f->released = end;
		if (end >= f->len)
			break;
	}
	if (f->len - f->released > SAFETY_HOLD_MAX) {
		/* a long sentence: release what waits, checked as it stands, at a
		 * character boundary; the whole sentence is checked when it ends */
		size_t upto = f->len;
		while (upto > f->released && ((unsigned char)f->text[upto] & 0xC0) == 0x80)
			upto--;
		reply_verdict v = safety_check_sentence(s, f->text, f->prev, f->cur, upto);
		if (v)
			return fail_filter(f, FILTER_UNSAFE, v);
		f->released = upto;
	}
	return FILTER_OK;
}

filter_status reply_filter_feed(reply_filter *f, const safety *s, const char *piece, size_t len, const char **out,
				size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (f->status)
		return f->status;
	if (len > SAFETY_STREAM_MAX - f->len)
		return fail_filter(f, FILTER_TOO_LONG, REPLY_SAFE);
	if (f->len + len + 1 > f->cap) {
		size_t cap = f->cap ? f->cap : 1024;
		while (cap < f->len + len + 1)
			cap *= 2;
		char *t = realloc(f->text, cap);
		if (!t)
			return fail_filter(f, FILTER_TOO_LONG, REPLY_SAFE);
		f->text = t;
		f->cap = cap;
	}
	memcpy(f->text + f->len, piece, len);
	f->len += len;
	f->text[f->len] = '\0';
	size_t before = f->released;
	filter_status st = advance(f, s, false);
	if (st)
		return st;
	*out = f->text + before;
	*out_len = f->released - before;
	return FILTER_OK;
}

filter_status reply_filter_finish(reply_filter *f, const safety *s, const char **out, size_t *out_len)
{
	*out = NULL;
	*out_len = 0;
	if (f->status)
		return f->status;
	size_t before = f->released;
	filter_status st = advance(f, s, true);
	if (st)
		return st;
	/* Every sentence has now been checked, cut as safety_check_reply cuts
	 * them and with the same sentence before it: the whole reply passed the
	 * check a plain reply passes, without checking it all once more. */
	*out = f->text ? f->text + before : "";
	*out_len = f->len - before;
	f->released = f->len;
	return FILTER_OK;
}
