/* Safety data in memory (see safety.h). */
#include "server/safety.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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
	json_decref(s->resources);
	json_decref(s->messages);
	for (size_t i = 0; i < s->nunsafe; i++)
		free(s->unsafe[i]);
	free(s->unsafe);
	free(s);
}

static const char *const eu_eea[] = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU",
				     "IE", "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES",
				     "SE", "IS", "LI", "NO", "CH", NULL};

json_t *safety_resources_for(const safety *s, const char *country)
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
	size_t i;
	json_t *r;
	/* The country's own first, then the EU number, then the directory. */
	for (int pass = 0; pass < 3; pass++) {
		json_array_foreach(s->resources, i, r)
		{
			const char *c = json_string_value(json_object_get(r, "country"));
			if (!c)
				continue;
			if ((pass == 0 && *cc && strcmp(c, cc) == 0) || (pass == 1 && eu && strcmp(c, "EU") == 0) ||
			    (pass == 2 && strcmp(c, "INT") == 0))
				json_array_append(out, r);
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
