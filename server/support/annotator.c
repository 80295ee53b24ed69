/* Annotation by the model: builds the prompt asking for distress phrases and
 * cultural signals as JSON, and checks the answer against the message so that
 * only real spans of the message with valid labels come back. */
#include "server/support/annotator.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/util.h"

/* Items of one list looked at, at most: bounds the work a runaway answer
 * can cause. */
#define MAX_EXAMINED 200
/* '{' positions tried when looking for the JSON object in the answer. */
#define MAX_TRIES 32

#define TASK \
	"You annotate messages in which people write about something that " \
	"troubles them. Find two kinds of phrases in the message you are given."

#define CULTURE_FMT "The writer of the message is from the %s culture; read the message with that in mind."

#define INTENSITY_LEAD "Give each emotional distress phrase an intensity:"
#define TYPE_LEAD "Give each cultural signal one of these seven types:"

#define ANSWER_FORM \
	"Answer with one JSON object and nothing else: no code fences, no " \
	"explanation. Use exactly this form:\n" \
	"{\"emotional_distress\": [{\"phrase\": \"...\", \"intensity\": \"moderate\"}], " \
	"\"cultural_signals\": [{\"phrase\": \"...\", \"type\": \"Values\"}]}"

#define RULES_LEAD "Rules:"
#define RULE_EXACT \
	"- Copy every phrase exactly as it is written in the message, in the " \
	"message's own language: do not translate, correct, shorten or reword it."
#define RULE_SHORT "- Keep each phrase short: a few words, at most one sentence."
#define RULE_COUNT_FMT \
	"- List at most %d items in each array and each phrase once; use an " \
	"empty array when there is nothing to list."

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* ---- the prompt ---- */

static void put_terms(FILE *f, const char *lead, const prompt_term *terms, size_t n)
{
	fputs(lead, f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "\n- %s: %s.", terms[i].name, terms[i].meaning);
}

static void put_choices(FILE *f, const char *key, const prompt_term *terms, size_t n)
{
	fprintf(f, "\n- \"%s\" must be one of: ", key);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i ? ", " : "", terms[i].name);
	fputc('.', f);
}

int annotator_build_prompt(const char *message, const char *culture, prompt *out)
{
	if (!out)
		return -1;
	out->system = NULL;
	out->user = NULL;
	if (!message || !*message)
		return -1;

	char *sys = NULL;
	size_t syslen = 0;
	FILE *f = open_memstream(&sys, &syslen);
	if (!f)
		return -1;
	fputs(TASK, f);
	if (culture && *culture) {
		fputs(" ", f);
		fprintf(f, CULTURE_FMT, culture);
	}
	fputs("\n\n", f);
	fputs(prompt_distress_definition, f);
	fputs(" ", f);
	put_terms(f, INTENSITY_LEAD, prompt_intensities, PROMPT_NINTENSITIES);
	fputs("\n\n", f);
	fputs(prompt_signal_definition, f);
	fputs(" ", f);
	put_terms(f, TYPE_LEAD, prompt_signal_types, PROMPT_NSIGNAL_TYPES);
	fputs("\n\n" ANSWER_FORM "\n\n" RULES_LEAD "\n" RULE_EXACT "\n" RULE_SHORT, f);
	put_choices(f, "intensity", prompt_intensities, PROMPT_NINTENSITIES);
	put_choices(f, "type", prompt_signal_types, PROMPT_NSIGNAL_TYPES);
	fputc('\n', f);
	fprintf(f, RULE_COUNT_FMT, ANNOTATOR_MAX_ITEMS);
	bool failed = ferror(f) != 0;
	if (fclose(f) != 0 || failed || !sys) {
		free(sys);
		return -1;
	}

	char *user = strdup(message);
	if (!user) {
		free(sys);
		return -1;
	}
	out->system = sys;
	out->user = user;
	return 0;
}

/* ---- the answer ---- */

static bool ascii_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Quote marks stripped from either end on their own. */
static const char *const double_quotes[] = {
	"\"", "`",
	"\xe2\x80\x9c", "\xe2\x80\x9d", "\xe2\x80\x9e", /* “ ” „ */
	"\xc2\xab", "\xc2\xbb",                         /* « » */
	"\xe3\x80\x8c", "\xe3\x80\x8d",                 /* 「 」 */
	"\xe3\x80\x8e", "\xe3\x80\x8f",                 /* 『 』 */
};
/* Quote marks stripped only in pairs (they double as apostrophes). */
static const char *const single_quotes[] = {
	"'", "\xe2\x80\x98", "\xe2\x80\x99", /* ' ‘ ’ */
};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Length of the quote from set at the start (or end) of s[0..n), or 0. */
static size_t quote_at(const char *s, size_t n, bool at_end, const char *const *set, size_t nset)
{
	for (size_t i = 0; i < nset; i++) {
		size_t q = strlen(set[i]);
		if (q <= n && memcmp(at_end ? s + n - q : s, set[i], q) == 0)
			return q;
	}
	return 0;
}

/* Trims spaces and surrounding quotes off s[0..*n); returns the new start. */
static const char *trim_phrase(const char *s, size_t *n)
{
	size_t len = *n;
	bool changed = true;
	while (changed && len) {
		changed = false;
		while (len && ascii_space(*s)) {
			s++;
			len--;
			changed = true;
		}
		while (len && ascii_space(s[len - 1])) {
			len--;
			changed = true;
		}
		size_t q = quote_at(s, len, false, double_quotes, NELEM(double_quotes));
		if (q) {
			s += q;
			len -= q;
			changed = true;
		}
		q = quote_at(s, len, true, double_quotes, NELEM(double_quotes));
		if (q) {
			len -= q;
			changed = true;
		}
		size_t a = quote_at(s, len, false, single_quotes, NELEM(single_quotes));
		size_t b = a ? quote_at(s, len, true, single_quotes, NELEM(single_quotes)) : 0;
		if (a && b && a + b <= len) {
			s += a;
			len -= a + b;
			changed = true;
		}
	}
	*n = len;
	return s;
}

static bool has_phrase(const json_t *list, const char *s, size_t n)
{
	size_t i;
	json_t *item;
	json_array_foreach(list, i, item) {
		const json_t *p = json_object_get(item, "phrase");
		if (json_string_length(p) == n && memcmp(json_string_value(p), s, n) == 0)
			return true;
	}
	return false;
}

/* Checks the items of one list into out; -1 on out of memory. */
static int check_list(const json_t *in, const char *label_key,
		      const char *(*canon)(const char *), const char *message,
		      const char *folded, size_t msglen, json_t *out)
{
	if (!json_is_array(in))
		return 0;
	size_t nin = json_array_size(in);
	for (size_t i = 0; i < nin && i < MAX_EXAMINED; i++) {
		if (json_array_size(out) >= ANNOTATOR_MAX_ITEMS)
			break;
		const json_t *item = json_array_get(in, i);
		const json_t *jp = json_object_get(item, "phrase");
		const char *label = canon(json_string_value(json_object_get(item, label_key)));
		if (!json_is_string(jp) || !label)
			continue;
		size_t plen = json_string_length(jp);
		const char *phrase = trim_phrase(json_string_value(jp), &plen);
		if (!plen || plen > msglen)
			continue;
		char *fp = ascii_lower_dup(phrase, plen);
		if (!fp)
			return -1;
		const char *hit = memmem(folded, msglen, fp, plen);
		free(fp);
		if (!hit)
			continue;
		const char *span = message + (hit - folded);
		if (has_phrase(out, span, plen))
			continue;
		/* NULL if the message itself is not UTF-8 there: not a usable span. */
		json_t *js = json_stringn(span, plen);
		if (!js)
			continue;
		/* The _new setters release the value also when they fail. */
		json_t *o = json_object();
		if (!o) {
			json_decref(js);
			return -1;
		}
		if (json_object_set_new(o, "phrase", js) ||
		    json_object_set_new(o, label_key, json_string(label))) {
			json_decref(o);
			return -1;
		}
		if (json_array_append_new(out, o))
			return -1;
	}
	return 0;
}

static bool has_lists(const json_t *v)
{
	return json_is_object(v) && (json_is_array(json_object_get(v, "emotional_distress")) ||
				     json_is_array(json_object_get(v, "cultural_signals")));
}

/* Finds the answer's JSON object: tries each '{' in turn, allowing any text
 * after the object (a closing fence, a remark). */
static json_t *find_object(const char *content, bool *saw_object)
{
	const char *p = content;
	*saw_object = false;
	for (int tries = 0; tries < MAX_TRIES && (p = strchr(p, '{')); tries++, p++) {
		json_error_t jerr;
		json_t *v = json_loads(p, JSON_DISABLE_EOF_CHECK, &jerr);
		if (has_lists(v))
			return v;
		if (json_is_object(v))
			*saw_object = true;
		json_decref(v);
	}
	return NULL;
}

json_t *annotator_parse_reply(const char *content, const char *message, char *err, size_t errlen)
{
	if (!content || !*content) {
		set_err(err, errlen, "empty answer");
		return NULL;
	}
	if (!message) {
		set_err(err, errlen, "no message to check the answer against");
		return NULL;
	}
	bool saw_object;
	json_t *v = find_object(content, &saw_object);
	if (!v) {
		set_err(err, errlen, saw_object ? "the JSON object has no emotional_distress or "
						  "cultural_signals array"
						: "no JSON object in the answer");
		return NULL;
	}

	size_t msglen = strlen(message);
	char *folded = ascii_lower_dup(message, msglen);
	json_t *res = json_object();
	json_t *distress = json_array();
	json_t *signals = json_array();
	int rc = -1;
	if (folded && res && distress && signals &&
	    json_object_set(res, "emotional_distress", distress) == 0 &&
	    json_object_set(res, "cultural_signals", signals) == 0 &&
	    check_list(json_object_get(v, "emotional_distress"), "intensity",
		       prompt_intensity_canonical, message, folded, msglen, distress) == 0 &&
	    check_list(json_object_get(v, "cultural_signals"), "type",
		       prompt_signal_type_canonical, message, folded, msglen, signals) == 0)
		rc = 0;
	json_decref(distress);
	json_decref(signals);
	json_decref(v);
	free(folded);
	if (rc) {
		json_decref(res);
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	return res;
}
